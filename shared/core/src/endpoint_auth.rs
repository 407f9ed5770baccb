//! Endpoint authentication beyond the signature, for receivers behind API gateways: HTTP Basic, a
//! bearer token, or an OAuth2 client-credentials grant whose access token is sent as a bearer token
//! (see `oauth`). Credentials are stored like signing secrets: returned in full only in the answer that
//! sets them, and redacted in `Debug` and logs.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::endpoint_rules::FieldError;

const MAX_CREDENTIAL_LEN: usize = 4096;

/// A password or token: serialized (to the store, to the answer that sets it), never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Credential(String);

impl Credential {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, for people to tell credentials apart: `…ab12`.
    pub fn hint(&self) -> String {
        let tail: String = self.0.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        format!("…{tail}")
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credential(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum EndpointAuth {
    /// `Authorization: Basic base64(username:password)`.
    Basic { username: String, password: Credential },
    /// `Authorization: Bearer <token>`.
    Bearer { token: Credential },
    /// `Authorization: Bearer <access token>`, the token fetched from the endpoint's token URL.
    #[serde(rename = "oauth2_client_credentials")]
    OAuth2ClientCredentials(ClientCredentials),
}

/// An OAuth2 client-credentials grant (RFC 6749 §4.4): where to ask for a token, and as whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCredentials {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Credential,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl EndpointAuth {
    /// Refuses what no server could take: empty or oversized values, line breaks, a `:` in a username.
    pub fn checked(self) -> Result<Self, FieldError> {
        let bad = |what: &str, text: &str| {
            { text.is_empty() || text.len() > MAX_CREDENTIAL_LEN || text.chars().any(char::is_control) }.then(
                || {
                    FieldError::new(format!(
                        "auth: {what} must be 1 to {MAX_CREDENTIAL_LEN} characters without control characters"
                    ))
                },
            )
        };
        let failure = match &self {
            Self::Basic { username, password } => bad("username", username)
                .or_else(|| {
                    username
                        .contains(':')
                        .then(|| FieldError::new("auth: a Basic username cannot contain `:`".into()))
                })
                .or_else(|| bad("password", password.expose())),
            Self::Bearer { token } => bad("token", token.expose()),
            Self::OAuth2ClientCredentials(grant) => bad("token_url", &grant.token_url)
                .or_else(|| {
                    url::Url::parse(&grant.token_url)
                        .ok()
                        .filter(|url| matches!(url.scheme(), "https" | "http"))
                        .is_none()
                        .then(|| FieldError::new("auth: token_url must be an absolute http(s) URL".into()))
                })
                .or_else(|| bad("client_id", &grant.client_id))
                .or_else(|| bad("client_secret", grant.client_secret.expose()))
                .or_else(|| grant.scope.as_deref().and_then(|scope| bad("scope", scope))),
        };
        failure.map_or(Ok(self), Err)
    }

    /// The `Authorization` header's value, when it is fixed (an OAuth2 token is fetched at delivery).
    pub fn header_value(&self) -> Option<String> {
        match self {
            Self::Basic { username, password } => Some(basic(username, password.expose())),
            Self::Bearer { token } => Some(bearer(token.expose())),
            Self::OAuth2ClientCredentials(_) => None,
        }
    }

    /// Its stable name in the API: `basic`, `bearer` or `oauth2_client_credentials`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Basic { .. } => "basic",
            Self::Bearer { .. } => "bearer",
            Self::OAuth2ClientCredentials(_) => "oauth2_client_credentials",
        }
    }
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// `Bearer <token>`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_and_bearer_make_their_authorization_headers() {
        let basic = EndpointAuth::Basic { username: "hook".into(), password: Credential::new("s3cret") };
        assert_eq!(basic.header_value().as_deref(), Some("Basic aG9vazpzM2NyZXQ="));
        let bearer = EndpointAuth::Bearer { token: Credential::new("tok_123") };
        assert_eq!(bearer.header_value().as_deref(), Some("Bearer tok_123"));
    }

    #[test]
    fn credentials_are_never_printed_and_a_hint_shows_only_their_end() {
        let basic = EndpointAuth::Basic { username: "hook".into(), password: Credential::new("s3cret-ab12") };
        assert!(!format!("{basic:?}").contains("s3cret"), "{basic:?}");
        assert_eq!(Credential::new("s3cret-ab12").hint(), "…ab12");
        let stored = serde_json::to_value(&basic).unwrap();
        assert_eq!(
            stored,
            serde_json::json!({ "type": "basic", "username": "hook", "password": "s3cret-ab12" })
        );
    }

    #[test]
    fn unusable_credentials_are_refused() {
        let basic =
            |u: &str, p: &str| EndpointAuth::Basic { username: u.into(), password: Credential::new(p) };
        assert!(basic("a:b", "p").checked().is_err());
        assert!(basic("", "p").checked().is_err());
        assert!(basic("u", "line\nbreak").checked().is_err());
        assert!(EndpointAuth::Bearer { token: Credential::new("") }.checked().is_err());
        assert!(basic("u", "p").checked().is_ok());
        assert!(serde_json::from_value::<EndpointAuth>(serde_json::json!({ "type": "digest" })).is_err());
    }

    fn grant(token_url: &str) -> serde_json::Value {
        serde_json::json!({
            "type": "oauth2_client_credentials",
            "token_url": token_url,
            "client_id": "hookline",
            "client_secret": "cs-9f3a",
            "scope": "webhooks:write",
        })
    }

    #[test]
    fn an_oauth2_grant_is_read_checked_and_never_printed() {
        let auth: EndpointAuth = serde_json::from_value(grant("https://auth.example.com/token")).unwrap();
        assert_eq!(auth.kind(), "oauth2_client_credentials");
        assert_eq!(auth.header_value(), None, "its token is fetched at delivery");
        assert!(!format!("{auth:?}").contains("cs-9f3a"), "{auth:?}");
        assert_eq!(serde_json::to_value(&auth).unwrap(), grant("https://auth.example.com/token"));
        assert!(auth.checked().is_ok());
        let relative: EndpointAuth = serde_json::from_value(grant("/token")).unwrap();
        assert!(relative.checked().is_err());
        let ftp: EndpointAuth = serde_json::from_value(grant("ftp://auth.example.com/token")).unwrap();
        assert!(ftp.checked().is_err());
        let mut unknown = grant("https://auth.example.com/token");
        unknown["audience"] = "x".into();
        assert!(serde_json::from_value::<EndpointAuth>(unknown).is_err());
    }
}
