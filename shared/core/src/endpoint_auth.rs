//! Endpoint authentication beyond the signature, for receivers behind API gateways: HTTP Basic or a
//! bearer token, sent as `Authorization` with every delivery. Credentials are stored like signing
//! secrets: returned in full only in the answer that sets them, and redacted in `Debug` and logs.

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
        };
        failure.map_or(Ok(self), Err)
    }

    /// The `Authorization` header's value.
    pub fn header_value(&self) -> String {
        match self {
            Self::Basic { username, password } => {
                format!("Basic {}", STANDARD.encode(format!("{username}:{}", password.expose())))
            }
            Self::Bearer { token } => format!("Bearer {}", token.expose()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_and_bearer_make_their_authorization_headers() {
        let basic = EndpointAuth::Basic { username: "hook".into(), password: Credential::new("s3cret") };
        assert_eq!(basic.header_value(), "Basic aG9vazpzM2NyZXQ=");
        let bearer = EndpointAuth::Bearer { token: Credential::new("tok_123") };
        assert_eq!(bearer.header_value(), "Bearer tok_123");
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
}
