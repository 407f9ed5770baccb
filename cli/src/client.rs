//! A small client of the Hookline HTTP API: bearer auth, JSON bodies, the API's error shape turned into
//! [`ApiError`], and `next_cursor` pagination.

use std::fmt;
use std::time::Duration;

use anyhow::{Context as _, bail};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use url::Url;

use crate::config::Settings;

/// What went wrong talking to the API. Displayed as `<code>: <message>`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The API answered with an error: its own code and message.
    #[error("{code}: {message}{}", retry_hint(*.retry_after))]
    Api { status: u16, code: String, message: String, retry_after: Option<u64> },
    #[error("connection_failed: could not reach {url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("invalid_response: {0}")]
    InvalidResponse(String),
    #[error(
        "tenant_required: the configured key is a platform key; name the tenant with --tenant ID (or HOOKLINE_TENANT)"
    )]
    TenantRequired,
}

impl ApiError {
    /// Whether the same request may work a little later: no answer, too many requests, or a 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { status, .. } => *status == 429 || *status >= 500,
            Self::Transport { .. } => true,
            Self::InvalidResponse(_) | Self::TenantRequired => false,
        }
    }

    /// How long the API asked to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api { retry_after, .. } => retry_after.map(Duration::from_secs),
            _ => None,
        }
    }
}

fn retry_hint(retry_after: Option<u64>) -> String {
    retry_after.map(|secs| format!(" (retry after {secs} s)")).unwrap_or_default()
}

/// A successful answer: its JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub body: Value,
    /// The answer replays an earlier request with the same event id (`Idempotent-Replayed: true`).
    pub replayed: bool,
}

pub struct Client {
    http: reqwest::Client,
    base: Url,
    key: String,
    /// The tenant to act for (`--tenant`): tenant routes go to `/v1/tenants/{tenant}/…`.
    tenant: Option<String>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

/// Checks an API base URL: absolute, http or https.
pub fn parse_base_url(text: &str) -> anyhow::Result<Url> {
    let url = Url::parse(text.trim()).with_context(|| format!("`{text}` is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        bail!("the API URL must be http(s)://…, not `{text}`");
    }
    Ok(url)
}

impl Client {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("hookline-cli/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()?;
        let base = parse_base_url(&settings.api_url)?;
        Ok(Self { http, base, key: settings.api_key.clone(), tenant: settings.tenant.clone() })
    }

    /// `base` + `/segments…` (each percent-encoded) + `?query`; a route that acts for a tenant goes under
    /// `/v1/tenants/{tenant}` when a tenant was named.
    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            match (&self.tenant, segments.split_first()) {
                (Some(tenant), Some((&"v1", rest))) if acts_for_tenant(segments) => {
                    path.extend(["v1", "tenants", tenant]).extend(rest);
                }
                _ => {
                    path.extend(segments);
                }
            }
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    pub async fn call(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Reply, ApiError> {
        if self.tenant.is_none() && self.key.starts_with("hlp_") && acts_for_tenant(segments) {
            return Err(ApiError::TenantRequired);
        }
        let url = self.url(segments, query);
        let mut request = self.http.request(method, url.clone()).bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let transport = |e: reqwest::Error| ApiError::Transport { url: url.to_string(), reason: chain(&e) };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let header =
            |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let replayed = header("idempotent-replayed").is_some_and(|v| v == "true");
        let retry_after = header("retry-after").and_then(|v| v.trim().parse().ok());
        let text = response.text().await.map_err(transport)?;
        if status.is_success() {
            let body = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).map_err(|e| {
                    ApiError::InvalidResponse(format!("{status} with a body that is not JSON: {e}"))
                })?
            };
            return Ok(Reply { body, replayed });
        }
        Err(error_of(status, &text, retry_after))
    }

    /// One page of a list route, or with `all`, every page from `cursor` on, following `next_cursor`;
    /// `filters` go with every page's query, and `progress` hears the pages fetched and the items so far.
    pub async fn list(
        &self,
        segments: &[&str],
        filters: &[(&str, String)],
        limit: Option<u32>,
        mut cursor: Option<String>,
        all: bool,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Value, ApiError> {
        let mut data = Vec::new();
        for page in 1.. {
            let mut query = filters.to_vec();
            query.extend(limit.map(|limit| ("limit", limit.to_string())));
            query.extend(cursor.clone().map(|cursor| ("cursor", cursor)));
            let reply = self.call(Method::GET, segments, &query, None).await?;
            if !all {
                return Ok(reply.body);
            }
            let Value::Object(mut body) = reply.body else {
                return Err(ApiError::InvalidResponse("a list answer that is not an object".into()));
            };
            let Some(Value::Array(items)) = body.remove("data") else {
                return Err(ApiError::InvalidResponse("a list answer without `data`".into()));
            };
            data.extend(items);
            progress(page, data.len());
            match body.remove("next_cursor") {
                Some(Value::String(next)) if cursor.as_ref() == Some(&next) => {
                    return Err(ApiError::InvalidResponse(format!("the cursor {next} did not advance")));
                }
                Some(Value::String(next)) => cursor = Some(next),
                _ => break,
            }
        }
        Ok(json!({ "data": data, "next_cursor": null }))
    }
}

/// The API's `{"error": {"code", "message"}}`; anything else (a gateway's own answer, a wrong URL) gets
/// `http_<status>` and what the body said.
/// Whether the route acts for a tenant (and is served under `/v1/tenants/{tenant_id}` too).
fn acts_for_tenant(segments: &[&str]) -> bool {
    match segments {
        ["v1", "tenants" | "tenant" | "openapi.yaml", ..] | ["v1", "portal-sessions", "exchange"] => false,
        ["v1", _, ..] => true,
        _ => false,
    }
}

fn error_of(status: StatusCode, text: &str, retry_after: Option<u64>) -> ApiError {
    let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let field = |value: &Value| value.as_str().map(str::to_owned);
    let (code, message) = match (field(&body["error"]["code"]), field(&body["error"]["message"])) {
        (Some(code), Some(message)) => (code, message),
        _ => {
            let said = field(&body["message"]).unwrap_or_else(|| text.trim().chars().take(200).collect());
            let said = if said.is_empty() { status.to_string() } else { said };
            (
                format!("http_{}", status.as_u16()),
                format!("{said} (not an answer of the Hookline API: is the API URL right?)"),
            )
        }
    };
    ApiError::Api { status: status.as_u16(), code, message, retry_after }
}

/// An error with its causes: reqwest's own message alone ("error sending request") hides the reason.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Client {
        Client::new(&Settings { api_url: base.into(), api_key: "hlk_x".into(), tenant: None }).unwrap()
    }

    fn platform(tenant: Option<&str>) -> Client {
        let settings = Settings {
            api_url: "https://api.example/".into(),
            api_key: "hlp_x".into(),
            tenant: tenant.map(Into::into),
        };
        Client::new(&settings).unwrap()
    }

    #[test]
    fn with_a_tenant_named_tenant_routes_go_under_its_prefix_and_the_others_do_not() {
        let acme = platform(Some("cus 1"));
        assert_eq!(
            acme.url(&["v1", "endpoints", "ep_1"], &[]).as_str(),
            "https://api.example/v1/tenants/cus%201/endpoints/ep_1"
        );
        assert_eq!(acme.url(&["v1", "tenants"], &[]).as_str(), "https://api.example/v1/tenants");
        assert_eq!(
            acme.url(&["v1", "portal-sessions", "exchange"], &[]).as_str(),
            "https://api.example/v1/portal-sessions/exchange"
        );
        assert_eq!(
            acme.url(&["v1", "portal-sessions"], &[]).as_str(),
            "https://api.example/v1/tenants/cus%201/portal-sessions"
        );
    }

    #[tokio::test]
    async fn a_platform_key_without_a_tenant_is_told_to_name_one_before_any_request() {
        let error = platform(None).call(Method::GET, &["v1", "endpoints"], &[], None).await.unwrap_err();
        assert!(matches!(error, ApiError::TenantRequired), "{error}");
    }

    #[test]
    fn paths_are_joined_to_the_base_and_ids_are_percent_encoded() {
        let url = client("http://127.0.0.1:9000/lambda-url/ingest/").url(&["v1", "endpoints", "ep_1/x"], &[]);
        assert_eq!(url.as_str(), "http://127.0.0.1:9000/lambda-url/ingest/v1/endpoints/ep_1%2Fx");
        let url = client("https://api.example.com").url(&["v1", "endpoints"], &[("cursor", "a b&c".into())]);
        assert_eq!(url.as_str(), "https://api.example.com/v1/endpoints?cursor=a+b%26c");
    }

    #[test]
    fn only_http_and_https_base_urls_are_accepted() {
        assert!(parse_base_url("https://x.example.com/prod").is_ok());
        assert!(parse_base_url("ftp://x.example.com").is_err());
        assert!(parse_base_url("x.example.com").is_err());
    }

    #[test]
    fn api_errors_show_their_code_and_message() {
        let body = r#"{"error":{"code":"unauthorized","message":"a valid API key is required"}}"#;
        let error = error_of(StatusCode::UNAUTHORIZED, body, None);
        assert_eq!(error.to_string(), "unauthorized: a valid API key is required");
        let body = r#"{"error":{"code":"rate_limited","message":"slow down"}}"#;
        let error = error_of(StatusCode::TOO_MANY_REQUESTS, body, Some(2));
        assert_eq!(error.to_string(), "rate_limited: slow down (retry after 2 s)");
    }

    #[test]
    fn only_missing_answers_429_and_5xx_are_worth_retrying() {
        let api =
            |status: u16| ApiError::Api { status, code: "x".into(), message: "y".into(), retry_after: None };
        assert!(api(503).is_transient() && api(429).is_transient() && api(500).is_transient());
        assert!(!api(404).is_transient() && !api(409).is_transient() && !api(401).is_transient());
        assert!(ApiError::Transport { url: "u".into(), reason: "r".into() }.is_transient());
        assert!(!ApiError::InvalidResponse("nope".into()).is_transient());
    }

    #[test]
    fn answers_not_from_the_api_are_named_by_their_status() {
        let error = error_of(StatusCode::NOT_FOUND, r#"{"message":"Not Found"}"#, None).to_string();
        assert!(error.starts_with("http_404: Not Found (not an answer of the Hookline API"), "{error}");
        let error = error_of(StatusCode::BAD_GATEWAY, "", None).to_string();
        assert!(error.starts_with("http_502: 502 Bad Gateway"), "{error}");
    }
}
