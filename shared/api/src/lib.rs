//! Hookline's HTTP API: the request and response bodies, the one error shape
//! `{"error": {"code": "…", "message": "…"}}` with stable codes and the mapping from service errors to
//! it, and the route table, which a test holds equal to `openapi/openapi.yaml`.
//!
//! Request bodies decode here and become the services' inputs; the services' domain answers become
//! response bodies here. The functions and the CLI share these types.

mod endpoints;
mod errors;
mod event_types;
mod events;
mod messages;
pub mod operations;
mod portal;
pub mod routes;
mod tenancy;

pub use endpoints::{
    AuthView, CreateEndpoint, EndpointView, PreviousSecret, RotateSecret, SecretView, UpdateEndpoint,
};
pub use event_types::{CreateEventType, EventTypeView};
pub use events::{BatchItemResult, BatchRequest, BatchResult, CreateEvent, EventAccepted, ItemError};
pub use messages::{
    AttemptView, DeliveryView, MessageDetail, MessageSummary, ProbeCaseView, ProbeCheckView, ProbeReportView,
    RecoverEndpoint, Recovered, ResendMessage, Resent, TestEventSent,
};
pub use portal::{CreatePortalSession, ExchangePortalLink, PortalLinkView, PortalSessionView};
pub use tenancy::{ApiKeyView, CreateApiKey, PutTenantRequest, SourceIpsView, TenantView, UpdateTenant};

/// The served OpenAPI document: `openapi/openapi.yaml` with the routes that act for a tenant also listed
/// under `/v1/tenants/{tenant_id}` (see `build.rs`).
pub const OPENAPI: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.yaml"));

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hookline::error::ServiceError;
use hookline::store::Page;
use serde::{Deserialize, Deserializer, Serialize};

/// An error as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Seconds to wait before trying again (429 and some 409s), sent as `Retry-After`.
    pub retry_after: Option<u64>,
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
        Self { status, code, message: message.into(), retry_after: None }
    }

    pub fn retry_after(self, seconds: u64) -> Self {
        Self { retry_after: Some(seconds), ..self }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", message)
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

/// Like [`decode`], for routes whose body is optional: an empty body is the default request.
pub fn decode_optional<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) { Ok(T::default()) } else { decode(body) }
}

/// One page of a listing. Follow `next_cursor` until it is null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> ListPage<T> {
    /// A store's page as the API answers it: each item as its view, the cursor opaque.
    pub fn of<I>(page: &Page<I>, view: impl Fn(&I) -> T) -> Self {
        Self {
            data: page.items.iter().map(view).collect(),
            next_cursor: page.next.as_deref().map(encode_cursor),
        }
    }
}

pub const DEFAULT_PAGE_LIMIT: u32 = 50;
pub const MAX_PAGE_LIMIT: u32 = 100;

/// A cursor is the store's last sort key, base64url-encoded so clients treat it as opaque. It is only
/// ever used inside the caller's own partition, so a forged one can reach nothing of another tenant.
pub fn encode_cursor(sort_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(sort_key)
}

/// Reads a cursor back (the service then checks that it names an item of the listed kind).
pub fn decode_cursor(cursor: &str) -> Option<String> {
    URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|bytes| String::from_utf8(bytes).ok())
}

/// The `cursor` query parameter or body field, decoded: 400 `invalid_cursor` when it is not one.
pub fn cursor_param(cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    cursor
        .map(|c| {
            decode_cursor(c)
                .ok_or_else(|| ApiError::new(400, "invalid_cursor", ServiceError::InvalidCursor.to_string()))
        })
        .transpose()
}

/// Reads the `limit` query parameter.
pub fn page_limit(text: Option<&str>) -> Result<u32, ApiError> {
    match text {
        None => Ok(DEFAULT_PAGE_LIMIT),
        Some(text) => {
            text.parse::<u32>().ok().filter(|n| (1..=MAX_PAGE_LIMIT).contains(n)).ok_or_else(|| {
                ApiError::invalid(format!("limit must be a whole number from 1 to {MAX_PAGE_LIMIT}"))
            })
        }
    }
}

/// For PATCH fields that can be cleared: absent is `None`, `null` is `Some(None)`.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
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

    #[test]
    fn cursors_round_trip_and_foreign_or_garbled_ones_are_refused() {
        let cursor = encode_cursor("EP#ep_1");
        assert_eq!(decode_cursor(&cursor).as_deref(), Some("EP#ep_1"));
        assert_eq!(decode_cursor("%%%"), None);
        assert_eq!(cursor_param(Some("%%%")).unwrap_err().code, "invalid_cursor");
        // A cursor of another listing decodes, and the service refuses it (`store::order`'s tests).
    }

    #[test]
    fn page_limits_default_and_are_bounded() {
        assert_eq!(page_limit(None).unwrap(), DEFAULT_PAGE_LIMIT);
        assert_eq!(page_limit(Some("100")).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten"] {
            assert_eq!(page_limit(Some(bad)).unwrap_err().code, "invalid_request", "{bad}");
        }
    }

    #[test]
    fn an_empty_optional_body_is_the_default_request() {
        let rotate: RotateSecret = decode_optional(b"").unwrap();
        assert_eq!(rotate.grace_period_secs, None);
        assert_eq!(decode_optional::<RotateSecret>(b"{").unwrap_err().code, "invalid_json");
    }
}
