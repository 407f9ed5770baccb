//! Accepting events, one or a batch: admission (rate limit), validation, fan-out to the subscribed
//! endpoints, then [`crate::idempotency`] stores and queues each message exactly once.

use std::collections::HashMap;
use std::sync::Mutex;

use futures::{StreamExt as _, stream};
use sha2::{Digest, Sha256};
use tracing::{Instrument as _, info_span};

use crate::api::{
    ApiError, BatchItemResult, BatchRequest, BatchResult, CreateEvent, EventAccepted, ItemError,
};
use crate::clock::{Clock, rfc3339};
use crate::error::ServiceError;
use crate::event_type::EventType;
use crate::idempotency::store_and_queue;
use crate::ids::{EndpointId, MessageId};
use crate::metrics::Metrics;
use crate::model::{Endpoint, Message, QueueState};
use crate::queue::DeliveryQueue;
use crate::sender::HttpSender;
use crate::ssrf::UrlGuard;
use crate::store::{EndpointStore, EventTypeStore, MessageStore, RateBucket, RateLimiter};
use crate::tenancy::Tenant;

pub const MAX_BATCH: usize = 100;
const MAX_KEY_LEN: usize = 256;
/// Items of one batch stored and queued at once.
const BATCH_CONCURRENCY: usize = 10;

#[derive(Debug, Clone)]
pub struct IngestSettings {
    /// Checks endpoint URLs on create and update (scheme, literal addresses, and what names resolve to).
    pub urls: UrlGuard,
    /// The deployment's number of attempts: an endpoint's own schedule may not have more.
    pub max_attempts: u32,
    /// Events per second for tenants without their own limit.
    pub default_rate_limit: u32,
    /// Largest request body, and largest event within a batch.
    pub max_body_bytes: usize,
    /// Where accepted events are counted (CloudWatch EMF on stdout in Lambda).
    pub metrics: Metrics,
}

/// Everything the API's operations need, generic over the ports so unit tests run on in-memory fakes.
/// The sender is only used by the verification probe ([`crate::probe`]), whose logic is generic over
/// it; everything else, the handler included, uses the default.
#[derive(Debug, Clone)]
pub struct IngestDeps<S, Q, C, H = HttpSender> {
    pub store: S,
    pub queue: Q,
    pub clock: C,
    /// Sends probe requests synchronously, through the SSRF guard like deliveries.
    pub sender: H,
    pub settings: IngestSettings,
}

/// Accepts one event and answers only once every delivery task is on the queue. A repeat (same event id
/// or `Idempotency-Key`) returns the first answer and delivers nothing again.
pub async fn accept_event<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &Tenant,
    event: CreateEvent,
    idempotency_key: Option<&str>,
) -> Result<EventAccepted, ServiceError>
where
    S: EndpointStore + MessageStore + EventTypeStore + RateLimiter,
    Q: DeliveryQueue,
    C: Clock,
{
    let key = match (event.id.as_deref(), idempotency_key) {
        (Some(id), Some(header)) if id != header => {
            return Err(ServiceError::Invalid("the Idempotency-Key header and the event id differ".into()));
        }
        (id, header) => id.or(header).map(str::to_owned),
    };
    admit(deps, tenant, 1).await?;
    let fan_out = FanOut::load(deps, tenant).await?;
    accept_one(deps, tenant, &fan_out, event, key).await
}

/// Accepts up to [`MAX_BATCH`] events in one request; each item succeeds or fails on its own and gets
/// the answer it would have got alone. Items without an id take `<Idempotency-Key>:<index>`.
pub async fn accept_batch<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &Tenant,
    batch: BatchRequest,
    idempotency_key: Option<&str>,
) -> Result<BatchResult, ServiceError>
where
    S: EndpointStore + MessageStore + EventTypeStore + RateLimiter,
    Q: DeliveryQueue,
    C: Clock,
{
    let count = batch.events.len();
    if count == 0 || count > MAX_BATCH {
        return Err(ServiceError::Invalid(format!("a batch holds 1 to {MAX_BATCH} events, not {count}")));
    }
    admit(deps, tenant, u32::try_from(count).unwrap_or(u32::MAX)).await?;
    let fan_out = FanOut::load(deps, tenant).await?;
    let results: Vec<BatchItemResult> = stream::iter(batch.events.into_iter().enumerate())
        .map(|(index, raw)| {
            let fan_out = &fan_out;
            async move {
                let size = serde_json::to_vec(&raw).map_or(usize::MAX, |bytes| bytes.len());
                if size > deps.settings.max_body_bytes {
                    let limit = deps.settings.max_body_bytes;
                    let too_large = format!("the event is {size} bytes; the limit is {limit}");
                    return item_result(index, Err(ApiError::new(413, "body_too_large", too_large)));
                }
                let outcome = match serde_json::from_value::<CreateEvent>(raw) {
                    Ok(event) => {
                        let key =
                            event.id.clone().or_else(|| idempotency_key.map(|k| format!("{k}:{index}")));
                        accept_one(deps, tenant, fan_out, event, key).await.map_err(ApiError::from)
                    }
                    Err(e) => Err(ApiError::undecodable(&e)),
                };
                item_result(index, outcome)
            }
        })
        .buffered(BATCH_CONCURRENCY)
        .collect()
        .await;
    let accepted = results.iter().filter(|r| r.status == 202).count();
    Ok(BatchResult { accepted, rejected: count - accepted, results })
}

fn item_result(index: usize, outcome: Result<EventAccepted, ApiError>) -> BatchItemResult {
    match outcome {
        Ok(accepted) => BatchItemResult {
            index,
            status: 202,
            id: Some(accepted.id),
            endpoints: Some(accepted.endpoints),
            error: None,
        },
        Err(e) => BatchItemResult {
            index,
            status: e.status,
            id: None,
            endpoints: None,
            error: Some(ItemError { code: e.code.to_owned(), message: e.message }),
        },
    }
}

/// Takes the events from the tenant's per-second budget, shared by every ingest instance.
async fn admit<S, Q, C>(deps: &IngestDeps<S, Q, C>, tenant: &Tenant, events: u32) -> Result<(), ServiceError>
where
    S: RateLimiter,
    C: Clock,
{
    let limit = tenant.ingest_rate_limit.unwrap_or(deps.settings.default_rate_limit);
    if deps.store.admit(&RateBucket::Ingest(tenant.id.clone()), events, limit, deps.clock.now_ms()).await? {
        Ok(())
    } else {
        Err(ServiceError::RateLimited { limit })
    }
}

/// What every event of one request is matched against: the tenant's endpoints (read once per request)
/// and, when the tenant refuses unregistered types, which types are registered.
struct FanOut {
    endpoints: Vec<Endpoint>,
    reject_unregistered: bool,
    registered: Mutex<HashMap<EventType, bool>>,
}

impl FanOut {
    async fn load<S, Q, C>(deps: &IngestDeps<S, Q, C>, tenant: &Tenant) -> Result<Self, ServiceError>
    where
        S: EndpointStore,
    {
        Ok(Self {
            endpoints: deps.store.list_endpoints(&tenant.id).await?,
            reject_unregistered: tenant.reject_unregistered_event_types,
            registered: Mutex::default(),
        })
    }

    fn subscribers(&self, event_type: &EventType) -> Vec<EndpointId> {
        self.endpoints
            .iter()
            .filter(|endpoint| endpoint.enabled && endpoint.filter.matches(event_type))
            .map(|endpoint| endpoint.id.clone())
            .collect()
    }

    async fn check_registered<S, Q, C>(
        &self,
        deps: &IngestDeps<S, Q, C>,
        tenant: &Tenant,
        event_type: &EventType,
    ) -> Result<(), ServiceError>
    where
        S: EventTypeStore,
    {
        if !self.reject_unregistered {
            return Ok(());
        }
        let cached = self.cache().get(event_type).copied();
        let known = match cached {
            Some(known) => known,
            None => {
                let known = deps.store.get_event_type(&tenant.id, event_type).await?.is_some();
                self.cache().insert(event_type.clone(), known);
                known
            }
        };
        if known { Ok(()) } else { Err(ServiceError::UnregisteredEventType(event_type.to_string())) }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<EventType, bool>> {
        self.registered.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

async fn accept_one<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &Tenant,
    fan_out: &FanOut,
    event: CreateEvent,
    key: Option<String>,
) -> Result<EventAccepted, ServiceError>
where
    S: EndpointStore + MessageStore + EventTypeStore,
    Q: DeliveryQueue,
    C: Clock,
{
    let event_type = EventType::parse(&event.event_type).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    if !event.payload.is_object() {
        return Err(ServiceError::Invalid("payload must be a JSON object".into()));
    }
    if key.as_ref().is_some_and(|k| k.is_empty() || k.len() > MAX_KEY_LEN) {
        return Err(ServiceError::Invalid(format!("an event id must be 1 to {MAX_KEY_LEN} characters")));
    }
    fan_out.check_registered(deps, tenant, &event_type).await?;
    let id =
        key.as_deref().map_or_else(MessageId::generate, |k| MessageId::for_idempotency_key(&tenant.id, k));
    let request_hash =
        hex_sha256(&serde_json::to_vec(&(&event.event_type, &event.payload)).unwrap_or_default());
    let now_ms = deps.clock.now_ms();
    let envelope = serde_json::json!({
        "type": event_type.as_str(),
        "timestamp": rfc3339(now_ms),
        "data": event.payload,
    });
    let fresh = Message {
        id,
        tenant_id: tenant.id.clone(),
        endpoint_ids: fan_out.subscribers(&event_type),
        event_type,
        body: envelope.to_string(),
        request_hash,
        created_at_ms: now_ms,
        queue_state: QueueState::Queueing,
        claimed_at_ms: now_ms,
    };
    let span =
        info_span!("event", tenant_id = %tenant.id, message_id = %fresh.id, event_type = %fresh.event_type);
    store_and_queue(deps, fresh, key).instrument(span).await
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "ingest_tests.rs"]
mod tests;
