//! Where endpoints, messages and attempts live: the store ports, in domain words. `hookline-aws` has the
//! DynamoDB implementation (one table, every key prefixed by the tenant), [`crate::testing::MemoryStore`]
//! the in-memory one; the store contract suite runs the same cases against both.

pub mod order;
mod platform;

pub use platform::{PlatformKeyStore, PortalSessionStore};

use std::future::Future;

use hookline_core::event_types::EventType;
use hookline_core::ids::{ApiKeyId, EndpointId, MessageId, TenantId};
use hookline_core::model::{Attempt, DeliveryState, Endpoint, EventTypeInfo, Message, QueueState};
use hookline_core::tenancy::{ApiKey, Tenant};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or refused the call (the adapter names its own operation).
    #[error("the store's {operation} call failed")]
    Unavailable {
        operation: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("a stored {entity} item could not be read")]
    Corrupt {
        entity: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("endpoint {0} does not exist")]
    NoSuchEndpoint(EndpointId),
    #[error("the item changed since it was read")]
    Conflict,
}

impl StoreError {
    pub fn unavailable<E>(operation: &'static str, source: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Self::Unavailable { operation, source: Box::new(source) }
    }
}

/// What inserting a message found: a fresh item, or the one an earlier request with the same id wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    New,
    Existing(Box<Message>),
}

/// One page of a listing, and where the next one starts (the last sort key; opaque to callers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// Which page of a listing to read: at most `limit` items after the sort key `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<String>,
}

pub trait EndpointStore: Send + Sync {
    /// Writes a new endpoint (fails with [`StoreError::Conflict`] if its id exists).
    fn put_endpoint(&self, endpoint: &Endpoint) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Writes `endpoint` over the stored one if that is still at `endpoint.revision - 1`:
    /// [`StoreError::Conflict`] when another write came first, [`StoreError::NoSuchEndpoint`] when gone.
    fn replace_endpoint(&self, endpoint: &Endpoint) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes the endpoint; false if the tenant has no such endpoint.
    fn delete_endpoint(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// One page of the tenant's endpoints, oldest first.
    fn endpoints_page(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Endpoint>, StoreError>> + Send;

    fn get_endpoint(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
    ) -> impl Future<Output = Result<Option<Endpoint>, StoreError>> + Send;

    /// Every endpoint of the tenant (a Query on the tenant's partition, never a Scan).
    fn list_endpoints(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = Result<Vec<Endpoint>, StoreError>> + Send;

    /// Counts a failed delivery against the endpoint and returns since when it has been failing without
    /// a success in between (`at_ms` if this failure starts the run). [`StoreError::NoSuchEndpoint`] if gone.
    fn record_endpoint_failure(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        at_ms: i64,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// A delivered message ends the endpoint's run of failures.
    fn record_endpoint_success(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stops deliveries to an endpoint, keeping why for the operator and the customer.
    fn disable_endpoint(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        reason: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait MessageStore: Send + Sync {
    /// Writes the message unless one with its id exists; then returns that one instead.
    fn insert_message(&self, message: &Message) -> impl Future<Output = Result<Inserted, StoreError>> + Send;

    /// Records where queueing `message` under its claim (`claimed_at_ms`) ended. It counts only while
    /// that claim is the message's latest: an outcome of an earlier claim never overrides a later one.
    fn set_queue_state(
        &self,
        message: &Message,
        state: QueueState,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Takes over queueing a message that `seen` shows failed or abandoned: sets it to queueing with a
    /// fresh lease if it is still exactly as seen. False when another request claimed it first.
    fn claim_queueing(
        &self,
        seen: &Message,
        now_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn get_message(
        &self,
        tenant: &TenantId,
        id: &MessageId,
    ) -> impl Future<Output = Result<Option<Message>, StoreError>> + Send;
}

pub trait AttemptStore: Send + Sync {
    /// Appends one attempt to its delivery's ledger, at `attempt.ledger_seq` if that place is free, else
    /// after the newest entry there (a duplicate receive or a resend wrote one meanwhile). The newest
    /// entry is where the message stands with that endpoint: one write records both.
    fn record_attempt(&self, attempt: &Attempt) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every attempt of a message, to every endpoint, oldest first per endpoint.
    fn attempts_for_message(
        &self,
        tenant: &TenantId,
        id: &MessageId,
    ) -> impl Future<Output = Result<Vec<Attempt>, StoreError>> + Send;
}

/// One page of a time-ordered index (messages by creation, an endpoint's attempts by start), newest
/// first: items of `[from_ms, to_ms)` whose index sort key is below `before`, the key the previous page
/// ended on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimeQuery {
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub limit: u32,
    pub before: Option<String>,
}

/// A message, where it stands with each endpoint, and every attempt made to deliver it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageLog {
    pub message: Message,
    /// The newest ledger entry per endpoint: its latest attempt, or a resend's mark (`pending` while
    /// the resend waits in the queue).
    pub deliveries: Vec<Attempt>,
    pub attempts: Vec<Attempt>,
}

/// Reading the attempt log, and marking deliveries that are sent again.
pub trait LogStore: Send + Sync {
    /// One page of the tenant's messages, newest first, only of `event_type` if given. A page may hold
    /// fewer than `limit` items (even none) while `next` is set: the filter is applied after reading.
    fn messages_page(
        &self,
        tenant: &TenantId,
        event_type: Option<&EventType>,
        query: &TimeQuery,
    ) -> impl Future<Output = Result<Page<Message>, StoreError>> + Send;

    /// One page of the attempts made to an endpoint, newest first, only those in `states` unless empty.
    /// Short pages as for [`LogStore::messages_page`].
    fn endpoint_attempts_page(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        states: &[DeliveryState],
        query: &TimeQuery,
    ) -> impl Future<Output = Result<Page<Attempt>, StoreError>> + Send;

    /// The message with its deliveries and attempts (one Query of the message's partition).
    fn message_log(
        &self,
        tenant: &TenantId,
        id: &MessageId,
    ) -> impl Future<Output = Result<Option<MessageLog>, StoreError>> + Send;

    /// The newest entry of the delivery's ledger (its latest attempt, or the mark a resend left), if any.
    fn latest_delivery(
        &self,
        tenant: &TenantId,
        message: &MessageId,
        endpoint: &EndpointId,
    ) -> impl Future<Output = Result<Option<Attempt>, StoreError>> + Send;

    /// Sets where an attempted delivery stands to `state`, if its state is one of `only_from`, and
    /// returns the state it had; `None` when there is no such delivery or its state is another. The
    /// change is a mark appended to the ledger right after the entry whose state was checked, so of
    /// two callers (or a caller and an attempt) that read the same entry only one appends there.
    fn set_delivery_state(
        &self,
        tenant: &TenantId,
        message: &MessageId,
        endpoint: &EndpointId,
        state: DeliveryState,
        only_from: &[DeliveryState],
    ) -> impl Future<Output = Result<Option<DeliveryState>, StoreError>> + Send;
}

pub trait TenantStore: Send + Sync {
    /// Writes a new tenant (fails with [`StoreError::Conflict`] if its id exists, deleted or not).
    fn put_tenant(&self, tenant: &Tenant) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Writes the tenant's settings (name, metadata, limits, event-type policy) over the stored ones,
    /// leaving the rest as stored; [`StoreError::Conflict`] if it does not exist or was deleted.
    fn update_tenant(&self, tenant: &Tenant) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The tenant, deleted or not (callers decide what a deleted one means).
    fn get_tenant(&self, id: &TenantId) -> impl Future<Output = Result<Option<Tenant>, StoreError>> + Send;

    /// One page of the tenants that are not deleted, by id.
    fn tenants_page(
        &self,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Tenant>, StoreError>> + Send;

    /// Deletes a tenant: disables its endpoints for good, revokes its API keys, and marks it deleted last,
    /// so a delete cut short can be repeated. Everything of the tenant is set to expire by TTL after the
    /// log's retention. False if there is no such live tenant.
    fn delete_tenant(
        &self,
        id: &TenantId,
        at_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Ends every portal session of the tenant opened at or before `at_ms`; false if no live tenant.
    fn revoke_portal_sessions(
        &self,
        id: &TenantId,
        at_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

pub trait ApiKeyStore: Send + Sync {
    fn put_api_key(&self, key: &ApiKey) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Finds a key by its id alone: this is how a request finds its tenant, so it is the one read
    /// not scoped by a tenant. Everything it returns is checked against the presented token.
    fn find_api_key(&self, id: &ApiKeyId) -> impl Future<Output = Result<Option<ApiKey>, StoreError>> + Send;

    /// The tenant's keys, revoked ones included, oldest first.
    fn list_api_keys(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = Result<Vec<ApiKey>, StoreError>> + Send;

    /// Marks the tenant's key revoked; false if the tenant has no such key.
    fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        at_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

pub trait EventTypeStore: Send + Sync {
    /// Registers an event type; false if the tenant already has one of that name.
    fn put_event_type(&self, info: &EventTypeInfo) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn get_event_type(
        &self,
        tenant: &TenantId,
        name: &EventType,
    ) -> impl Future<Output = Result<Option<EventTypeInfo>, StoreError>> + Send;

    /// One page of the tenant's event types, by name.
    fn event_types_page(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<EventTypeInfo>, StoreError>> + Send;

    /// False if the tenant has no such event type.
    fn delete_event_type(
        &self,
        tenant: &TenantId,
        name: &EventType,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Whose per-second budget a rate limit counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateBucket {
    /// Events a tenant ingests.
    Ingest(TenantId),
    /// Deliveries to one endpoint (its `rate_limit`).
    Endpoint(TenantId, EndpointId),
}

/// Counts events per second in a bucket, shared by every function instance.
pub trait RateLimiter: Send + Sync {
    /// Takes `events` from the bucket's budget for the second containing `now_ms`; false (and nothing
    /// taken) when that would exceed `per_second`. A batch larger than the budget passes only into an
    /// untouched second, so it is never refused forever.
    fn admit(
        &self,
        bucket: &RateBucket,
        events: u32,
        per_second: u32,
        now_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Every store port: what a deployment's store implements (the DynamoDB one and the in-memory one do).
pub trait Store:
    EndpointStore
    + MessageStore
    + AttemptStore
    + LogStore
    + TenantStore
    + ApiKeyStore
    + PlatformKeyStore
    + PortalSessionStore
    + EventTypeStore
    + RateLimiter
{
}

impl<T> Store for T where
    T: EndpointStore
        + MessageStore
        + AttemptStore
        + LogStore
        + TenantStore
        + ApiKeyStore
        + PlatformKeyStore
        + PortalSessionStore
        + EventTypeStore
        + RateLimiter
{
}
