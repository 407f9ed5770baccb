//! The reqwest implementation of the sender port: one pooled client, built once at init, with
//! timeouts, no redirects and the SSRF guard as its only resolver.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hookline::lookup::{GuardedLookup, Lookup, ResolveError};
use hookline::sender::WebhookSender;
use hookline_core::address_policy::{AddressPolicy, UrlError};
use hookline_core::delivery::{OutgoingWebhook, SendFailure, WebhookResponse};
use hookline_core::model::ErrorCode;
use hookline_core::oauth::TokenRequest;

use crate::resolver::{GuardedResolver, SystemLookup};

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub response_body_limit: usize,
    pub allow_http: bool,
    pub policy: AddressPolicy,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            response_body_limit: 4096,
            allow_http: false,
            policy: AddressPolicy::public_only(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpSender {
    client: reqwest::Client,
    settings: Arc<HttpSettings>,
}

impl HttpSender {
    pub fn new(settings: HttpSettings) -> Result<Self, reqwest::Error> {
        Self::with_lookup(settings, Arc::new(SystemLookup))
    }

    /// With a custom name lookup (tests play DNS through it).
    pub fn with_lookup(settings: HttpSettings, lookup: Arc<dyn Lookup>) -> Result<Self, reqwest::Error> {
        let resolver = GuardedResolver(GuardedLookup::new(settings.policy.clone(), lookup));
        let client = reqwest::Client::builder()
            .user_agent(concat!("Hookline/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(30))
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .build()?;
        Ok(Self { client, settings: Arc::new(settings) })
    }

    /// POSTs `body` to `url` through the guard and reads at most `body_limit` bytes of the answer.
    async fn post(
        &self,
        url: &str,
        headers: Vec<(String, String)>,
        body: String,
        body_limit: usize,
    ) -> Result<WebhookResponse, SendFailure> {
        let started = Instant::now();
        let failure = |code, detail: String| SendFailure { code, detail, latency: started.elapsed() };
        // Literal addresses never reach the resolver, so they are checked here, on every request.
        let url = match self.settings.policy.check_url(url, self.settings.allow_http) {
            Ok(url) => url,
            Err(UrlError::Blocked(ip)) => {
                return Err(failure(ErrorCode::Blocked, format!("{ip} is not a public address")));
            }
            Err(e @ UrlError::LoopbackName(_)) => return Err(failure(ErrorCode::Blocked, e.to_string())),
            Err(e) => return Err(failure(ErrorCode::InvalidUrl, e.to_string())),
        };
        let mut request = self.client.post(url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| {
            let (code, detail) = classify(&e);
            failure(code, detail)
        })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_limited(response, body_limit).await;
        Ok(WebhookResponse { status, body, retry_after, latency: started.elapsed() })
    }
}

async fn read_limited(mut response: reqwest::Response, limit: usize) -> String {
    let mut kept = Vec::new();
    // Stop reading at the limit: a huge or endless body must not cost memory or time.
    while kept.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk[..chunk.len().min(limit - kept.len())]),
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// Token answers are read whole up to this size (a JWT with many claims is a few KiB).
const TOKEN_ANSWER_LIMIT: usize = 64 * 1024;

impl WebhookSender for HttpSender {
    async fn send(&self, webhook: OutgoingWebhook) -> Result<WebhookResponse, SendFailure> {
        let limit = self.settings.response_body_limit;
        self.post(&webhook.url, webhook.headers, webhook.body, limit).await
    }

    async fn fetch_token(&self, request: TokenRequest) -> Result<WebhookResponse, SendFailure> {
        let headers = vec![
            ("authorization".to_owned(), request.authorization),
            ("content-type".to_owned(), "application/x-www-form-urlencoded".to_owned()),
            ("accept".to_owned(), "application/json".to_owned()),
        ];
        self.post(&request.token_url, headers, request.form, TOKEN_ANSWER_LIMIT).await
    }
}

/// Maps a transport error to its stable code, with the innermost cause as the detail.
fn classify(error: &reqwest::Error) -> (ErrorCode, String) {
    let mut innermost: &dyn std::error::Error = error;
    let mut code = None;
    while let Some(source) = innermost.source() {
        if let Some(resolve) = source.downcast_ref::<ResolveError>() {
            code = Some(match resolve {
                ResolveError::Blocked { .. } => ErrorCode::Blocked,
                ResolveError::NotFound { .. } => ErrorCode::Dns,
            });
        }
        innermost = source;
    }
    let detail = innermost.to_string();
    let code = code.unwrap_or_else(|| {
        if error.is_timeout() {
            ErrorCode::Timeout
        } else if is_tls(&detail) {
            ErrorCode::Tls
        } else if error.is_connect() {
            ErrorCode::Connect
        } else {
            ErrorCode::Io
        }
    });
    (code, detail)
}

fn is_tls(detail: &str) -> bool {
    let detail = detail.to_ascii_lowercase();
    ["certificate", "tls", "handshake", "alert"].iter().any(|word| detail.contains(word))
}
