//! What one delivery attempt sends, and what came back: an answer with any status, or no answer.

use std::time::Duration;

use crate::model::ErrorCode;

/// One signed webhook, ready to POST.
#[derive(Clone)]
pub struct OutgoingWebhook {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Shows everything but the `Authorization` header's value, which carries the endpoint's credential.
impl std::fmt::Debug for OutgoingWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown =
                    if name.eq_ignore_ascii_case("authorization") { "<redacted>" } else { value.as_str() };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("OutgoingWebhook")
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

/// What the endpoint answered (any status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookResponse {
    pub status: u16,
    /// Truncated to the configured limit, lossily decoded as UTF-8.
    pub body: String,
    pub retry_after: Option<String>,
    pub latency: Duration,
}

/// Why no answer came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    pub code: ErrorCode,
    pub detail: String,
    pub latency: Duration,
}
