//! Accepting events and registering endpoints: the logic behind the ingest function's routes.

use sha2::{Digest, Sha256};
use tracing::{Instrument as _, info, info_span, warn};

use crate::api::{ApiError, CreateEndpoint, CreateEvent, EndpointView, EventAccepted};
use crate::clock::{Clock, rfc3339};
use crate::event_type::{EventFilter, EventType};
use crate::ids::{EndpointId, MessageId, TenantId};
use crate::model::{Endpoint, Message, QueueState};
use crate::queue::{DeliveryQueue, QueueError};
use crate::signing::Secret;
use crate::ssrf::{AddressPolicy, UrlError};
use crate::store::{EndpointStore, Inserted, MessageStore, StoreError};
use crate::task::{DeliverV1, DeliveryTask};

#[derive(Debug, Clone)]
pub struct IngestSettings {
    pub allow_http: bool,
    pub policy: AddressPolicy,
}

#[derive(Debug, Clone)]
pub struct IngestDeps<S, Q, C> {
    pub store: S,
    pub queue: Q,
    pub clock: C,
    pub settings: IngestSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Invalid(String),
    #[error("the endpoint URL is not acceptable: {0}")]
    BadUrl(#[source] UrlError),
    #[error("event id `{0}` was already used for a different event")]
    IdConflict(String),
    #[error("the event could not be stored")]
    Store(#[from] StoreError),
    #[error("the event could not be queued for delivery")]
    Queue(#[from] QueueError),
}

impl From<IngestError> for ApiError {
    fn from(error: IngestError) -> Self {
        let message = error.to_string();
        match error {
            IngestError::Invalid(_) => ApiError::new(400, "invalid_request", message),
            IngestError::BadUrl(UrlError::Blocked(_)) => ApiError::new(422, "url_not_allowed", message),
            IngestError::BadUrl(_) => ApiError::new(400, "invalid_url", message),
            IngestError::IdConflict(_) => ApiError::new(409, "id_conflict", message),
            // Retry-safe: the producer sends the same request again and gets the first answer.
            IngestError::Store(_) => ApiError::new(503, "storage_unavailable", message),
            IngestError::Queue(_) => ApiError::new(503, "queue_unavailable", message),
        }
    }
}

/// Accepts one event: stores it, fans it out to the subscribed endpoints and answers only once every
/// delivery task is on the queue. A repeat of an accepted event (same `id`) returns the first answer.
pub async fn accept_event<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    event: CreateEvent,
) -> Result<EventAccepted, IngestError>
where
    S: EndpointStore + MessageStore,
    Q: DeliveryQueue,
    C: Clock,
{
    let event_type = EventType::parse(&event.event_type).map_err(|e| IngestError::Invalid(e.to_string()))?;
    if !event.payload.is_object() {
        return Err(IngestError::Invalid("payload must be a JSON object".into()));
    }
    let id = match &event.id {
        Some(key) if key.is_empty() || key.len() > 256 => {
            return Err(IngestError::Invalid("id must be 1 to 256 characters".into()));
        }
        Some(key) => MessageId::for_idempotency_key(tenant, key),
        None => MessageId::generate(),
    };
    let request_hash =
        hex_sha256(&serde_json::to_vec(&(&event.event_type, &event.payload)).unwrap_or_default());
    let now_ms = deps.clock.now_ms();
    let endpoints: Vec<EndpointId> = deps
        .store
        .list_endpoints(tenant)
        .await?
        .into_iter()
        .filter(|endpoint| endpoint.enabled && endpoint.filter.matches(&event_type))
        .map(|endpoint| endpoint.id)
        .collect();
    let envelope = serde_json::json!({
        "type": event_type.as_str(),
        "timestamp": rfc3339(now_ms),
        "data": event.payload,
    });
    let fresh = Message {
        id,
        tenant_id: tenant.clone(),
        event_type,
        body: envelope.to_string(),
        request_hash,
        created_at_ms: now_ms,
        queue_state: QueueState::Queueing,
        endpoint_ids: endpoints,
    };

    let span =
        info_span!("event", tenant_id = %tenant, message_id = %fresh.id, event_type = %fresh.event_type);
    store_and_queue(deps, tenant, fresh, event.id).instrument(span).await
}

/// Stores the message (or finds the copy an earlier request stored) and queues one task per endpoint.
async fn store_and_queue<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    fresh: Message,
    producer_id: Option<String>,
) -> Result<EventAccepted, IngestError>
where
    S: EndpointStore + MessageStore,
    Q: DeliveryQueue,
    C: Clock,
{
    let message = match deps.store.insert_message(&fresh).await? {
        Inserted::New => fresh,
        Inserted::Existing(earlier) if earlier.request_hash != fresh.request_hash => {
            return Err(IngestError::IdConflict(producer_id.unwrap_or_default()));
        }
        Inserted::Existing(earlier) => match settle_earlier_copy(deps, tenant, *earlier).await? {
            Earlier::Accepted(earlier) => {
                info!(message_id = %earlier.id, "repeat of an accepted event");
                return Ok(EventAccepted { id: earlier.id, endpoints: earlier.endpoint_ids.len() });
            }
            // The earlier copy failed or died before queueing everything: finish its work, with its fan-out.
            Earlier::Unfinished(earlier) => earlier,
        },
    };

    let tasks: Vec<DeliveryTask> = message
        .endpoint_ids
        .iter()
        .map(|endpoint_id| {
            DeliveryTask::DeliverV1(DeliverV1 {
                tenant_id: tenant.clone(),
                message_id: message.id.clone(),
                endpoint_id: endpoint_id.clone(),
                event_type: message.event_type.clone(),
                body: message.body.clone(),
            })
        })
        .collect();
    if let Err(e) = deps.queue.enqueue(&tasks).await {
        // Tell copies of this request not to wait for us: the producer's retry queues again.
        if let Err(mark) = deps.store.set_queue_state(tenant, &message.id, QueueState::Failed).await {
            warn!(message_id = %message.id, error = %mark, "could not mark the message as failed to queue");
        }
        return Err(e.into());
    }
    if let Err(e) = deps.store.set_queue_state(tenant, &message.id, QueueState::Queued).await {
        // Everything is queued, so the event is safe; a repeat of this request after the lease would
        // queue it again (a duplicate with the same webhook-id, never a loss).
        warn!(message_id = %message.id, error = %e, "could not mark the message as queued");
    }
    info!(message_id = %message.id, event_type = %message.event_type, endpoints = tasks.len(), "event accepted");
    Ok(EventAccepted { id: message.id, endpoints: tasks.len() })
}

/// How long a request may still be queueing a message (the ingest function times out after 10 s).
const QUEUEING_LEASE_MS: i64 = 15_000;
const QUEUEING_POLL: std::time::Duration = std::time::Duration::from_millis(100);

enum Earlier {
    Accepted(Message),
    Unfinished(Message),
}

/// A copy of this request stored the message first. While it is still queueing (within its lease),
/// wait for it, so that concurrent duplicates queue the tasks exactly once and get the same answer.
async fn settle_earlier_copy<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    mut earlier: Message,
) -> Result<Earlier, IngestError>
where
    S: MessageStore,
    C: Clock,
{
    let polls = QUEUEING_LEASE_MS / i64::try_from(QUEUEING_POLL.as_millis()).unwrap_or(1);
    for _ in 0..polls {
        match earlier.queue_state {
            QueueState::Queued => return Ok(Earlier::Accepted(earlier)),
            QueueState::Failed => return Ok(Earlier::Unfinished(earlier)),
            QueueState::Queueing if deps.clock.now_ms() - earlier.created_at_ms > QUEUEING_LEASE_MS => break,
            QueueState::Queueing => {
                tokio::time::sleep(QUEUEING_POLL).await;
                if let Some(latest) = deps.store.get_message(tenant, &earlier.id).await? {
                    earlier = latest;
                }
            }
        }
    }
    Ok(Earlier::Unfinished(earlier))
}

/// Registers an endpoint with a fresh signing secret, shown once in the answer.
pub async fn create_endpoint<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    request: CreateEndpoint,
) -> Result<EndpointView, IngestError>
where
    S: EndpointStore,
    C: Clock,
{
    let url = deps
        .settings
        .policy
        .check_url(&request.url, deps.settings.allow_http)
        .map_err(IngestError::BadUrl)?;
    let filter = EventFilter::parse(&request.event_types).map_err(|e| IngestError::Invalid(e.to_string()))?;
    if request.description.as_ref().is_some_and(|d| d.len() > 1024) {
        return Err(IngestError::Invalid("description must be at most 1024 bytes".into()));
    }
    let secret = Secret::generate();
    let mut endpoint =
        Endpoint::new(tenant.clone(), url.to_string(), filter, secret.clone(), deps.clock.now_ms());
    endpoint.description = request.description;
    deps.store.put_endpoint(&endpoint).await?;
    info!(endpoint_id = %endpoint.id, "endpoint created");
    Ok(EndpointView { secret: Some(secret.expose()), ..EndpointView::of(&endpoint) })
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "ingest_tests.rs"]
mod tests;
