//! What the API's operations can fail with, and the one place those failures become HTTP answers.

use crate::api::ApiError;
use crate::queue::QueueError;
use crate::ssrf::UrlError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is well-formed JSON but breaks a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    #[error("the cursor is not one this listing returned")]
    InvalidCursor,
    #[error("the endpoint URL is not acceptable: {0}")]
    BadUrl(#[source] UrlError),
    /// Also the answer for another tenant's ids: they must be indistinguishable from missing ones.
    #[error("{kind} `{id}` does not exist")]
    NotFound { kind: &'static str, id: String },
    #[error("event id `{0}` was already used for a different event")]
    IdConflict(String),
    #[error("a request with event id `{0}` is still being processed; retry shortly")]
    InProgress(String),
    #[error("event type `{0}` is already registered")]
    EventTypeExists(String),
    #[error("event type `{0}` is not registered, and this tenant refuses unregistered event types")]
    UnregisteredEventType(String),
    #[error("endpoint `{0}` is disabled; re-enable it (PATCH {{\"enabled\": true}}) before sending to it")]
    EndpointDisabled(String),
    #[error("this tenant may send at most {limit} events per second")]
    RateLimited { limit: u32 },
    #[error("the request could not be stored")]
    Store(#[from] StoreError),
    #[error("the event could not be queued for delivery")]
    Queue(#[from] QueueError),
}

impl ServiceError {
    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound { kind, id: id.into() }
    }
}

/// Where a listing starts: the decoded `cursor`, which must name an item of the listed kind.
pub fn page_after(cursor: Option<&str>, prefix: &str) -> Result<Option<String>, ServiceError> {
    cursor.map(|c| crate::api::decode_cursor(c, prefix).ok_or(ServiceError::InvalidCursor)).transpose()
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        let message = error.to_string();
        match error {
            ServiceError::Invalid(_) => ApiError::new(400, "invalid_request", message),
            ServiceError::InvalidCursor => ApiError::new(400, "invalid_cursor", message),
            ServiceError::BadUrl(e) if e.is_blocked() => ApiError::new(422, "url_not_allowed", message),
            ServiceError::BadUrl(_) => ApiError::new(400, "invalid_url", message),
            ServiceError::NotFound { .. } => ApiError::new(404, "not_found", message),
            ServiceError::IdConflict(_) => ApiError::new(409, "id_conflict", message),
            ServiceError::InProgress(_) => ApiError::new(409, "request_in_progress", message).retry_after(1),
            ServiceError::EventTypeExists(_) => ApiError::new(409, "event_type_exists", message),
            ServiceError::UnregisteredEventType(_) => ApiError::new(422, "unregistered_event_type", message),
            ServiceError::EndpointDisabled(_) => ApiError::new(409, "endpoint_disabled", message),
            ServiceError::RateLimited { .. } => ApiError::new(429, "rate_limited", message).retry_after(1),
            // Retry-safe: the producer sends the same request again and gets the first answer.
            ServiceError::Store(_) => ApiError::new(503, "storage_unavailable", message),
            ServiceError::Queue(_) => ApiError::new(503, "queue_unavailable", message),
        }
    }
}
