//! Getting back what an endpoint missed: resend one message, recover every delivery that failed since a
//! time, and send a test event. Each goes through the delivery queue like any delivery, as a fresh
//! delivery (attempt numbers and the retry schedule start over) under the message's own `webhook-id`.
//!
//! A delivery sent again is marked `pending` first, conditionally on its state, so a recovery that runs
//! twice, or concurrently, sends each failed delivery once.

use std::collections::HashSet;
use std::time::Duration;

use futures::{StreamExt as _, stream};
use tracing::{info, warn};

use hookline_core::event_types::EventType;
use hookline_core::ids::{AttemptId, EndpointId, MessageId, TenantId};
use hookline_core::model::{DeliveryState, Endpoint, Message, QueueState};
use hookline_core::task::{Deliver, DeliveryTask};
use hookline_core::time::{parse_time, rfc3339};

use crate::app::App;
use crate::attempt_log::time_cursor;
use crate::clock::Clock as _;
use crate::endpoints::tenant_endpoint;
use crate::error::ServiceError;
use crate::ports::Ports;
use crate::queue::DeliveryQueue as _;
use crate::store::{EndpointStore, LogStore, MessageStore as _, StoreError, TimeQuery};

/// A message queued again for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resent {
    pub message_id: MessageId,
    pub endpoint_id: EndpointId,
}

/// What one recovery call queued again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub resent: usize,
    /// Set when the call stopped early: call again with this cursor to go on.
    pub next: Option<String>,
}

/// A test event queued for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestEventSent {
    pub id: MessageId,
    pub endpoint_id: EndpointId,
    pub event_type: EventType,
}

/// The event type of test events.
pub const TEST_EVENT_TYPE: &str = "hookline.test";
/// Deliveries one recovery call sends at most; past it the answer carries a cursor to go on.
pub const MAX_RECOVER: usize = 1000;
/// How long one recovery call keeps starting new pages (the ingest function times out at 10 s).
const RECOVER_BUDGET: Duration = Duration::from_secs(4);
const RECOVER_PAGE: usize = 100;
/// Messages read and claimed at once.
const CONCURRENCY: usize = 10;
/// Tasks per enqueue (one SendMessageBatch).
const ENQUEUE_CHUNK: usize = 10;
/// The final states of a delivery that did not succeed.
const FAILED: [DeliveryState; 2] = [DeliveryState::DeadLettered, DeliveryState::Abandoned];

impl<P: Ports> App<P> {
    /// Sends one message again to one endpoint of the tenant (whether or not it was delivered before).
    pub async fn resend_message(
        &self,
        tenant: &TenantId,
        message_id: &str,
        endpoint_id: &str,
    ) -> Result<Resent, ServiceError> {
        let not_found = || ServiceError::not_found("message", message_id);
        let id = MessageId::parse(message_id).map_err(|_| not_found())?;
        let message = self.store.get_message(tenant, &id).await?.ok_or_else(not_found)?;
        let endpoint = sendable_endpoint(&self.store, tenant, endpoint_id).await?;
        let previous = self.store.latest_delivery(tenant, &id, &endpoint.id).await?;
        let marked = match previous {
            Some(previous) => {
                let pending = DeliveryState::Pending;
                self.store.set_delivery_state(tenant, &id, &endpoint.id, pending, &[previous.state]).await?
            }
            None => None,
        };
        if let Err(e) = self.queue.enqueue(&[task(&message, &endpoint.id)]).await {
            if let Some(previous) = marked {
                restore(&self.store, tenant, &id, &endpoint.id, previous).await;
            }
            return Err(e.into());
        }
        info!(tenant_id = %tenant, message_id = %id, endpoint_id = %endpoint.id, "message resent");
        Ok(Resent { message_id: id, endpoint_id: endpoint.id })
    }

    /// Sends again every message whose delivery to the endpoint failed for good (dead-lettered or
    /// abandoned, and not resent since) with that failure recorded at or after `since`; newest first, at
    /// most [`MAX_RECOVER`] per call.
    pub async fn recover_endpoint(
        &self,
        tenant: &TenantId,
        endpoint_id: &str,
        since: &str,
        cursor: Option<&str>,
    ) -> Result<Recovered, ServiceError> {
        let since = parse_time("since", since)?;
        let mut before = time_cursor(cursor, AttemptId::PREFIX)?;
        let endpoint = sendable_endpoint(&self.store, tenant, endpoint_id).await?;
        let started = tokio::time::Instant::now();
        let mut seen = HashSet::new();
        let mut resent = 0;
        loop {
            // Each failed attempt read sends at most one delivery, so this page cannot pass the bound.
            let limit = (MAX_RECOVER - resent).min(RECOVER_PAGE);
            let query = TimeQuery {
                from_ms: Some(since),
                to_ms: None,
                limit: u32::try_from(limit).unwrap_or(1),
                before: before.take(),
            };
            let page = self.store.endpoint_attempts_page(tenant, &endpoint.id, &FAILED, &query).await?;
            // A message dead-lettered twice (resent in between) has two failed attempts: send it once.
            let fresh: Vec<MessageId> =
                page.items.into_iter().map(|a| a.message_id).filter(|id| seen.insert(id.clone())).collect();
            resent += self.resend_failed(tenant, &endpoint.id, fresh).await?;
            let Some(next) = page.next else { break };
            if resent >= MAX_RECOVER || started.elapsed() >= RECOVER_BUDGET {
                info!(tenant_id = %tenant, endpoint_id = %endpoint.id, resent, "recovery stopped early");
                return Ok(Recovered { resent, next: Some(next) });
            }
            before = Some(next);
        }
        info!(tenant_id = %tenant, endpoint_id = %endpoint.id, resent, since = %rfc3339(since), "endpoint recovered");
        Ok(Recovered { resent, next: None })
    }

    /// Claims the failed deliveries of these messages and queues them; the number queued.
    async fn resend_failed(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        ids: Vec<MessageId>,
    ) -> Result<usize, ServiceError> {
        let outcomes: Vec<Result<Option<(Message, DeliveryState)>, StoreError>> = stream::iter(ids)
            .map(|id| async move {
                // Expired by TTL meanwhile: nothing left to send.
                let Some(message) = self.store.get_message(tenant, &id).await? else { return Ok(None) };
                let claimed = self
                    .store
                    .set_delivery_state(tenant, &id, endpoint, DeliveryState::Pending, &FAILED)
                    .await?;
                Ok(claimed.map(|previous| (message, previous)))
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut claimed = Vec::new();
        let mut first_error = None;
        for outcome in outcomes {
            match outcome {
                Ok(Some(pair)) => claimed.push(pair),
                Ok(None) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        // Whatever was claimed is queued (or put back) before any error is reported.
        let mut resent = 0;
        let mut chunks = claimed.chunks(ENQUEUE_CHUNK);
        while let Some(chunk) = chunks.next() {
            let tasks: Vec<DeliveryTask> = chunk.iter().map(|(message, _)| task(message, endpoint)).collect();
            if let Err(e) = self.queue.enqueue(&tasks).await {
                // Not queued: mark them failed again, so the next recovery finds them.
                for (message, previous) in chunk.iter().chain(chunks.by_ref().flatten()) {
                    restore(&self.store, tenant, &message.id, endpoint, *previous).await;
                }
                return Err(e.into());
            }
            resent += chunk.len();
        }
        match first_error {
            Some(e) => Err(e.into()),
            None => Ok(resent),
        }
    }

    /// Sends one endpoint a `hookline.test` event through the queue, like any event; it is kept in the
    /// attempt log like any message.
    pub async fn send_test_event(
        &self,
        tenant: &TenantId,
        endpoint_id: &str,
    ) -> Result<TestEventSent, ServiceError> {
        let endpoint = sendable_endpoint(&self.store, tenant, endpoint_id).await?;
        let event_type =
            EventType::parse(TEST_EVENT_TYPE).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let now_ms = self.clock.now_ms();
        let envelope = serde_json::json!({
            "type": TEST_EVENT_TYPE,
            "timestamp": rfc3339(now_ms),
            "data": {
                "test": true,
                "endpoint_id": endpoint.id,
                "message": "A test event sent from Hookline, to check this endpoint receives webhooks.",
            },
        });
        let message = Message {
            id: MessageId::generate(),
            tenant_id: tenant.clone(),
            event_type,
            body: envelope.to_string(),
            request_hash: String::new(),
            created_at_ms: now_ms,
            queue_state: QueueState::Queueing,
            claimed_at_ms: now_ms,
            endpoint_ids: vec![endpoint.id.clone()],
        };
        self.store.insert_message(&message).await?;
        let outcome = self.queue.enqueue(&[task(&message, &endpoint.id)]).await;
        let state = if outcome.is_ok() { QueueState::Queued } else { QueueState::Failed };
        if let Err(e) = self.store.set_queue_state(&message, state).await {
            warn!(message_id = %message.id, error = %e, "could not record the test event's queue state");
        }
        outcome?;
        info!(tenant_id = %tenant, message_id = %message.id, endpoint_id = %endpoint.id, "test event sent");
        Ok(TestEventSent { id: message.id, endpoint_id: endpoint.id, event_type: message.event_type })
    }
}

/// The tenant's endpoint, if deliveries to it can be made: a disabled one would only record them as
/// abandoned, so sending to it is refused until it is re-enabled.
async fn sendable_endpoint<S>(store: &S, tenant: &TenantId, id: &str) -> Result<Endpoint, ServiceError>
where
    S: EndpointStore,
{
    let endpoint = tenant_endpoint(store, tenant, id).await?;
    if endpoint.enabled { Ok(endpoint) } else { Err(ServiceError::EndpointDisabled(endpoint.id.to_string())) }
}

fn task(message: &Message, endpoint: &EndpointId) -> DeliveryTask {
    DeliveryTask::from(Deliver::first_of(message, endpoint))
}

/// Puts back the state a delivery had before it was marked `pending`, when it could not be queued.
async fn restore<S>(
    store: &S,
    tenant: &TenantId,
    message: &MessageId,
    endpoint: &EndpointId,
    state: DeliveryState,
) where
    S: LogStore,
{
    let pending = [DeliveryState::Pending];
    if let Err(e) = store.set_delivery_state(tenant, message, endpoint, state, &pending).await {
        warn!(message_id = %message, endpoint_id = %endpoint, error = %e, "could not restore a delivery's state");
    }
}
