//! What the API's operations can fail with. `hookline-api` maps each variant to its status and stable
//! error code.

use hookline_core::address_policy::UrlError;
use hookline_core::endpoint_rules::FieldError;
use hookline_core::ids::IdError;
use hookline_core::payload_filter::FilterError;
use hookline_core::portal::PortalError;
use hookline_core::time::TimeError;

use crate::queue::QueueError;
use crate::store::StoreError;
use crate::store::order::is_cursor_of;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is well-formed JSON but breaks a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Time(#[from] TimeError),
    /// An item of a batch is larger than one event may be.
    #[error("the event is {size} bytes; the limit is {limit}")]
    EventTooLarge { size: usize, limit: usize },
    /// An item of a batch is not an event (the API tells malformed JSON from a wrong field).
    #[error("{0}")]
    Undecodable(#[source] serde_json::Error),
    #[error("the cursor is not one this listing returned")]
    InvalidCursor,
    #[error("the endpoint URL is not acceptable: {0}")]
    BadUrl(#[source] UrlError),
    /// An OAuth2 grant's `token_url`, held to the endpoint URL's rules (the SSRF guard among them).
    #[error("auth: the token_url is not acceptable: {0}")]
    BadTokenUrl(#[source] UrlError),
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
    #[error("the tenant id is not acceptable: {0}")]
    InvalidTenantId(#[source] IdError),
    #[error(transparent)]
    Portal(#[from] PortalError),
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error(
        "tenant `{0}` was deleted; its data is kept until it expires, and its id cannot be reused until then"
    )]
    TenantDeleted(String),
    #[error("this tenant may send at most {limit} events per second")]
    RateLimited { limit: u32 },
    /// A batch ran out of its time before this event was stored: nothing of it was kept.
    #[error("the batch ran out of time before this event was stored; nothing of it was kept, send it again")]
    BatchOutOfTime,
    #[error("the request could not be stored")]
    Store(#[from] StoreError),
    #[error("the event could not be queued for delivery")]
    Queue(#[from] QueueError),
}

impl ServiceError {
    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound { kind, id: id.into() }
    }

    /// The stable, customer-visible code of this failure. Clients branch on it: never rename one.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) | Self::Field(_) | Self::Time(_) => "invalid_request",
            Self::Undecodable(e) if e.is_syntax() || e.is_eof() || e.is_io() => "invalid_json",
            Self::Undecodable(_) => "invalid_request",
            Self::EventTooLarge { .. } => "body_too_large",
            Self::InvalidCursor => "invalid_cursor",
            Self::BadUrl(e) | Self::BadTokenUrl(e) if e.is_blocked() => "url_not_allowed",
            Self::BadUrl(_) | Self::BadTokenUrl(_) => "invalid_url",
            Self::NotFound { .. } => "not_found",
            Self::IdConflict(_) => "id_conflict",
            Self::InProgress(_) => "request_in_progress",
            Self::EventTypeExists(_) => "event_type_exists",
            Self::UnregisteredEventType(_) => "unregistered_event_type",
            Self::EndpointDisabled(_) => "endpoint_disabled",
            Self::RateLimited { .. } => "rate_limited",
            Self::InvalidTenantId(_) => "invalid_tenant_id",
            Self::Portal(PortalError::UnknownCapability(_)) => "unknown_capability",
            Self::Portal(PortalError::ExpiresIn) => "invalid_expires_in",
            Self::TenantDeleted(_) => "tenant_deleted",
            Self::Filter(_) => "invalid_filter",
            Self::BatchOutOfTime => "batch_out_of_time",
            Self::Store(_) => "storage_unavailable",
            Self::Queue(_) => "queue_unavailable",
        }
    }
}

/// Where a listing starts: the cursor (as the previous page returned it) must name an item of the listed
/// kind, whose sort keys start with `prefix`.
pub fn page_after(cursor: Option<&str>, prefix: &str) -> Result<Option<String>, ServiceError> {
    cursor
        .map(|c| if is_cursor_of(c, prefix) { Ok(c.to_owned()) } else { Err(ServiceError::InvalidCursor) })
        .transpose()
}
