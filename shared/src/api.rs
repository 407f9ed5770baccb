//! The HTTP API's request and response bodies, and its one error shape:
//! `{"error": {"code": "…", "message": "…"}}` with stable codes.

use serde::{Deserialize, Serialize};

use crate::clock::rfc3339;
use crate::ids::{EndpointId, MessageId};
use crate::model::Endpoint;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEvent {
    pub event_type: String,
    pub payload: serde_json::Value,
    /// The producer's own id for the event: sending it again returns the first answer.
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAccepted {
    pub id: MessageId,
    /// How many endpoints the event fans out to.
    pub endpoints: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpoint {
    pub url: String,
    #[serde(default = "everything")]
    pub event_types: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

fn everything() -> Vec<String> {
    vec!["*".to_owned()]
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointView {
    pub id: EndpointId,
    pub url: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_at: String,
    /// Only in the answer to create: the signing secret, shown once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl EndpointView {
    pub fn of(endpoint: &Endpoint) -> Self {
        Self {
            id: endpoint.id.clone(),
            url: endpoint.url.clone(),
            event_types: endpoint.filter.patterns().to_vec(),
            enabled: endpoint.enabled,
            description: endpoint.description.clone(),
            created_at: rfc3339(endpoint.created_at_ms),
            secret: None,
        }
    }
}

/// An error as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorFields<'a>,
}

#[derive(Serialize)]
struct ErrorFields<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    /// A body that did not decode: malformed JSON is `invalid_json`, a missing or mistyped field is
    /// `invalid_request`, both 400.
    pub fn undecodable(error: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        match error.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                Self::new(400, "invalid_json", format!("the body is not valid JSON: {error}"))
            }
            Category::Data => Self::new(400, "invalid_request", error.to_string()),
        }
    }

    pub fn body(&self) -> String {
        let body = ErrorBody { error: ErrorFields { code: self.code, message: &self.message } };
        serde_json::to_string(&body).unwrap_or_default()
    }
}

/// Decodes a request body, answering 400 with a precise message when it does not fit.
pub fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::undecodable(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_render_as_the_one_documented_shape() {
        let error = ApiError::new(404, "not_found", "no route POST /nope");
        let json: serde_json::Value = serde_json::from_str(&error.body()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "not_found", "message": "no route POST /nope"}})
        );
    }

    #[test]
    fn malformed_json_and_wrong_fields_get_different_codes() {
        assert_eq!(decode::<CreateEvent>(b"{not json").unwrap_err().code, "invalid_json");
        assert_eq!(decode::<CreateEvent>(b"").unwrap_err().code, "invalid_json");
        assert_eq!(decode::<CreateEvent>(br#"{"payload":{}}"#).unwrap_err().code, "invalid_request");
        assert_eq!(
            decode::<CreateEvent>(br#"{"event_type":1,"payload":{}}"#).unwrap_err().code,
            "invalid_request"
        );
        let extra = decode::<CreateEvent>(br#"{"event_type":"a","payload":{},"x":1}"#).unwrap_err();
        assert_eq!((extra.status, extra.code), (400, "invalid_request"));
    }
}
