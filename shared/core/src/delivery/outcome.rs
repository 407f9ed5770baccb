//! What one delivery attempt sends, and what came back: an answer with any status, or no answer.

use std::time::Duration;

use crate::model::ErrorCode;

/// One signed webhook, ready to POST.
#[derive(Debug, Clone)]
pub struct OutgoingWebhook {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
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
