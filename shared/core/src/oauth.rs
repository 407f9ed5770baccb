//! The OAuth2 client-credentials grant (RFC 6749 §4.4) as pure rules: the token request an endpoint's
//! grant makes, how the token endpoint's answer is read, and how long a token is used before a new one
//! is fetched. The fetch itself goes through the HTTP sender port, behind the same SSRF guard.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::endpoint_auth::{ClientCredentials, Credential, basic};

/// A token is given up this long before the token endpoint said it expires, so that clock skew and the
/// time a delivery takes never send an expired one.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(30);
/// How long a token that came without `expires_in` is used.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// One POST to a token URL: form-encoded, the client authenticated with HTTP Basic (`client_secret_basic`,
/// which RFC 6749 §2.3.1 requires every server to support).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub token_url: String,
    /// `Basic base64(client_id:client_secret)`, each part form-encoded first as §2.3.1 says.
    pub authorization: String,
    /// `grant_type=client_credentials[&scope=…]`.
    pub form: String,
}

impl TokenRequest {
    pub fn of(grant: &ClientCredentials) -> Self {
        let encode = |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials");
        if let Some(scope) = &grant.scope {
            form.append_pair("scope", scope);
        }
        Self {
            token_url: grant.token_url.clone(),
            authorization: basic(&encode(&grant.client_id), &encode(grant.client_secret.expose())),
            form: form.finish(),
        }
    }
}

/// Shows the URL and form, never the client's credentials.
impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("token_url", &self.token_url)
            .field("authorization", &"<redacted>")
            .field("form", &self.form)
            .finish()
    }
}

/// A token the token endpoint issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: Credential,
    pub lifetime: Duration,
}

impl AccessToken {
    /// Until when (ms) the token is used, counted from when it was asked for.
    pub fn fresh_until_ms(&self, asked_at_ms: i64) -> i64 {
        // A token shorter-lived than twice the margin is used for half its life instead.
        let usable =
            if self.lifetime > EXPIRY_MARGIN * 2 { self.lifetime - EXPIRY_MARGIN } else { self.lifetime / 2 };
        asked_at_ms.saturating_add(i64::try_from(usable.as_millis()).unwrap_or(i64::MAX))
    }
}

/// Why the token endpoint's answer gave no token. The text goes into the attempt's `error_detail`, so it
/// names the server's `error` code but never echoes a token or the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token endpoint answered {status}{}", error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default())]
    Refused { status: u16, error: Option<String> },
    #[error("the token endpoint's answer is not a JSON token response")]
    NotATokenResponse,
    #[error("the token endpoint issued a `{0}` token; only bearer tokens can be sent")]
    NotBearer(String),
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    token_type: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: String,
}

/// Reads the token endpoint's answer (RFC 6749 §5.1 and §5.2).
pub fn read_token_answer(status: u16, body: &str) -> Result<AccessToken, TokenError> {
    if !(200..300).contains(&status) {
        let error = serde_json::from_str::<ErrorResponse>(body)
            .ok()
            .map(|e| e.error.chars().filter(|c| c.is_ascii_graphic()).take(64).collect());
        return Err(TokenError::Refused { status, error });
    }
    let answer: TokenResponse = serde_json::from_str(body).map_err(|_| TokenError::NotATokenResponse)?;
    if answer.access_token.is_empty() || answer.access_token.chars().any(char::is_control) {
        return Err(TokenError::NotATokenResponse);
    }
    if !answer.token_type.eq_ignore_ascii_case("bearer") {
        let kind = answer.token_type.chars().filter(|c| c.is_ascii_alphanumeric()).take(32).collect();
        return Err(TokenError::NotBearer(kind));
    }
    Ok(AccessToken {
        token: Credential::new(answer.access_token),
        lifetime: answer.expires_in.map_or(DEFAULT_LIFETIME, Duration::from_secs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(scope: Option<&str>) -> ClientCredentials {
        ClientCredentials {
            token_url: "https://auth.example.com/token".into(),
            client_id: "hook line".into(),
            client_secret: Credential::new("s:cret"),
            scope: scope.map(str::to_owned),
        }
    }

    #[test]
    fn the_token_request_authenticates_the_client_with_basic_and_asks_for_the_scope() {
        let request = TokenRequest::of(&grant(Some("webhooks:write read")));
        assert_eq!(request.form, "grant_type=client_credentials&scope=webhooks%3Awrite+read");
        // RFC 6749 §2.3.1: id and secret are form-encoded before Basic: "hook+line:s%3Acret".
        assert_eq!(request.authorization, "Basic aG9vaytsaW5lOnMlM0FjcmV0");
        assert_eq!(TokenRequest::of(&grant(None)).form, "grant_type=client_credentials");
        assert!(!format!("{request:?}").contains("aG9v"), "{request:?}");
    }

    #[test]
    fn a_token_answer_gives_a_bearer_token_and_its_lifetime() {
        let token =
            read_token_answer(200, r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#)
                .unwrap();
        assert_eq!(token.token.expose(), "at-1");
        assert_eq!(token.lifetime, Duration::from_secs(3600));
        let no_expiry = read_token_answer(200, r#"{"access_token":"at-2","token_type":"bearer"}"#).unwrap();
        assert_eq!(no_expiry.lifetime, DEFAULT_LIFETIME);
    }

    #[test]
    fn a_refusal_or_an_unusable_answer_is_an_error_that_names_no_secret() {
        let refused = read_token_answer(401, r#"{"error":"invalid_client","error_description":"bad"}"#);
        assert_eq!(refused, Err(TokenError::Refused { status: 401, error: Some("invalid_client".into()) }));
        assert_eq!(refused.unwrap_err().to_string(), "the token endpoint answered 401 (invalid_client)");
        assert_eq!(
            read_token_answer(503, "<html>down</html>"),
            Err(TokenError::Refused { status: 503, error: None })
        );
        assert_eq!(read_token_answer(200, "not json"), Err(TokenError::NotATokenResponse));
        assert_eq!(
            read_token_answer(200, r#"{"access_token":"","token_type":"bearer"}"#),
            Err(TokenError::NotATokenResponse)
        );
        assert_eq!(
            read_token_answer(200, r#"{"access_token":"at","token_type":"mac"}"#),
            Err(TokenError::NotBearer("mac".into()))
        );
    }

    #[test]
    fn a_token_is_used_until_shortly_before_it_expires() {
        let hour = AccessToken { token: Credential::new("t"), lifetime: Duration::from_secs(3600) };
        assert_eq!(hour.fresh_until_ms(1_000), 1_000 + 3_570_000);
        let short = AccessToken { token: Credential::new("t"), lifetime: Duration::from_secs(40) };
        assert_eq!(short.fresh_until_ms(0), 20_000, "a short-lived token is used for half its life");
        let none = AccessToken { token: Credential::new("t"), lifetime: Duration::ZERO };
        assert_eq!(none.fresh_until_ms(5), 5, "a token that expires at once is never reused");
    }
}
