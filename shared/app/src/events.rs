//! Accepting events, one or a batch: admission (rate limit), validation, fan-out to the subscribed
//! endpoints, then [`crate::idempotency`] stores and queues each message exactly once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use futures::{StreamExt as _, stream};
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use tracing::{Instrument as _, Span, info, info_span};

use hookline_core::event_types::EventType;
use hookline_core::ids::{EndpointId, MessageId};
use hookline_core::model::{Endpoint, Message, QueueState};
use hookline_core::tenancy::Tenant;
use hookline_core::time::rfc3339;

use crate::app::App;
use crate::clock::Clock as _;
use crate::error::ServiceError;
use crate::idempotency::{Stored, ToQueue};
use crate::ports::Ports;
use crate::rate_budget::Take;
use crate::store::{EndpointStore as _, EventTypeStore as _, RateBucket, RateLimiter as _};

pub const MAX_BATCH: usize = 100;
const MAX_KEY_LEN: usize = 256;
/// Items of one batch stored, or groups of them queued, at once.
const BATCH_CONCURRENCY: usize = 10;
/// Tasks queued in one request (SQS's SendMessageBatch takes ten).
const TASKS_PER_ENQUEUE: usize = 10;
/// A batch starts storing an event only this soon after the request arrived; later ones are answered
/// `batch_out_of_time` (503, not stored, safe to send again). Each store and queue call is bounded
/// by the functions' SDK timeout (`hookline_aws::AWS_CALL_TIMEOUT`, 1.5 s), and an event takes at
/// most three (store, queue, mark), so a batch answers within 2.5 + 3 × 1.5 = 7 s whatever the
/// store's latency, inside the ingest function's 10 s timeout.
pub const BATCH_START_BUDGET: Duration = Duration::from_millis(2_500);

/// An event as a producer sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_type: String,
    pub payload: serde_json::Value,
    /// The producer's own id for the event: sending it again returns the first answer.
    pub id: Option<String>,
}

/// An accepted event: its message id and how many endpoints it fans out to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub id: MessageId,
    pub endpoints: usize,
    /// This answer repeats an earlier request's.
    pub replayed: bool,
}

impl<P: Ports> App<P> {
    /// Accepts one event and answers only once every delivery task is on the queue. A repeat (same event id
    /// or `Idempotency-Key`) returns the first answer and delivers nothing again.
    pub async fn accept_event(
        &self,
        tenant: &Tenant,
        event: NewEvent,
        idempotency_key: Option<&str>,
    ) -> Result<Accepted, ServiceError> {
        let key = match (event.id.as_deref(), idempotency_key) {
            (Some(id), Some(header)) if id != header => {
                return Err(ServiceError::Invalid(
                    "the Idempotency-Key header and the event id differ".into(),
                ));
            }
            (id, header) => id.or(header).map(str::to_owned),
        };
        self.admit(tenant, 1).await?;
        let fan_out = FanOut::load(self, tenant).await?;
        let event_type = event.event_type.clone();
        let accepted = self.accept_one(tenant, &fan_out, event, key).await?;
        info!(
            tenant_id = %tenant.id,
            message_id = %accepted.id,
            event_type,
            endpoints = accepted.endpoints,
            replayed = accepted.replayed,
            "event accepted"
        );
        Ok(accepted)
    }

    /// Accepts up to [`MAX_BATCH`] events in one request; each item succeeds or fails on its own and gets
    /// the answer it would have got alone, in order. An item that is not an event (`Err`) counts against the
    /// rate limit like the rest and comes back as it is. Items without an id take `<Idempotency-Key>:<index>`.
    pub async fn accept_batch(
        &self,
        tenant: &Tenant,
        items: Vec<Result<NewEvent, ServiceError>>,
        idempotency_key: Option<&str>,
    ) -> Result<Vec<Result<Accepted, ServiceError>>, ServiceError> {
        let count = items.len();
        if count == 0 || count > MAX_BATCH {
            return Err(ServiceError::Invalid(format!("a batch holds 1 to {MAX_BATCH} events, not {count}")));
        }
        let deadline = Instant::now() + BATCH_START_BUDGET;
        self.admit(tenant, u32::try_from(count).unwrap_or(u32::MAX)).await?;
        let fan_out = FanOut::load(self, tenant).await?;
        // First every event is stored (or found stored by an earlier copy)...
        let stored: Vec<Result<Stored, ServiceError>> = stream::iter(items.into_iter().enumerate())
            .map(|(index, item)| {
                let fan_out = &fan_out;
                async move {
                    let event = item?;
                    let key = event.id.clone().or_else(|| idempotency_key.map(|k| format!("{k}:{index}")));
                    let event_type = validate(&event, key.as_deref())?;
                    if Instant::now() >= deadline {
                        return Err(ServiceError::BatchOutOfTime);
                    }
                    let (fresh, span) =
                        self.message(tenant, fan_out, event_type, event, key.as_deref()).await?;
                    self.store_once(fresh, key, Some(deadline)).instrument(span).await
                }
            })
            .buffered(BATCH_CONCURRENCY)
            .collect()
            .await;
        // ...then their tasks are queued ten to a request.
        let answers = self.queue_stored(stored).await;
        // One line per request: each accepted item's ids are in the answer and the message log.
        let accepted = answers.iter().filter(|answer| answer.is_ok()).count();
        info!(tenant_id = %tenant.id, accepted, refused = count - accepted, "batch accepted");
        Ok(answers)
    }

    /// Queues the stored events' tasks in groups of at most ten (one SendMessageBatch each), an event's
    /// tasks always in one group; each event gets its group's outcome.
    async fn queue_stored(
        &self,
        stored: Vec<Result<Stored, ServiceError>>,
    ) -> Vec<Result<Accepted, ServiceError>> {
        let mut answers: Vec<Option<Result<Accepted, ServiceError>>> = Vec::with_capacity(stored.len());
        let mut groups: Vec<(Vec<usize>, Vec<ToQueue>)> = Vec::new();
        let mut tasks_in_group = 0;
        for (index, item) in stored.into_iter().enumerate() {
            match item {
                Ok(Stored::ToQueue(message)) => {
                    let tasks = message.task_count();
                    let full = tasks_in_group + tasks > TASKS_PER_ENQUEUE;
                    if groups.last().is_none_or(|(indexes, _)| full && !indexes.is_empty()) {
                        groups.push((Vec::new(), Vec::new()));
                        tasks_in_group = 0;
                    }
                    tasks_in_group += tasks;
                    if let Some((indexes, messages)) = groups.last_mut() {
                        indexes.push(index);
                        messages.push(message);
                    }
                    answers.push(None);
                }
                Ok(Stored::Replayed(accepted)) => answers.push(Some(Ok(accepted))),
                Err(e) => answers.push(Some(Err(e))),
            }
        }
        let queued: Vec<_> = stream::iter(groups)
            .map(|(indexes, messages)| async move {
                let outcome = self.queue_together(&messages).await;
                (indexes, messages, outcome)
            })
            .buffer_unordered(BATCH_CONCURRENCY)
            .collect()
            .await;
        for (indexes, messages, outcome) in queued {
            for (index, message) in indexes.into_iter().zip(messages) {
                let answer = match &outcome {
                    Ok(()) => Ok(message.accepted()),
                    Err(e) => Err(ServiceError::Queue(e.clone())),
                };
                if let Some(slot) = answers.get_mut(index) {
                    *slot = Some(answer);
                }
            }
        }
        answers.into_iter().map(|answer| answer.unwrap_or(Err(ServiceError::BatchOutOfTime))).collect()
    }

    /// Takes the events from the tenant's per-second budget, shared by every ingest instance (see
    /// [`crate::rate_budget`] for what an instance may take ahead).
    async fn admit(&self, tenant: &Tenant, events: u32) -> Result<(), ServiceError> {
        let limit = tenant.ingest_rate_limit.unwrap_or(self.settings.default_rate_limit);
        let now_ms = self.clock.now_ms();
        let bucket = RateBucket::Ingest(tenant.id.clone());
        let ask = match self.rate_budget.take(&tenant.id, events, limit, now_ms) {
            Take::Held => return Ok(()),
            Take::FromStore(ask) => ask,
        };
        // Taking ahead may not fit in what is left of the second's budget; the exact need may still.
        let takes: &[u32] = if ask > events { &[ask, events] } else { &[events] };
        for &take in takes {
            let admitted = self.store.admit(&bucket, take, limit, now_ms).await;
            if take > events && !matches!(admitted, Ok(true)) {
                self.rate_budget.refused_ahead(&tenant.id, now_ms);
            }
            if admitted? {
                self.rate_budget.taken(&tenant.id, events, take, now_ms);
                return Ok(());
            }
        }
        Err(ServiceError::RateLimited { limit })
    }

    async fn accept_one(
        &self,
        tenant: &Tenant,
        fan_out: &FanOut,
        event: NewEvent,
        key: Option<String>,
    ) -> Result<Accepted, ServiceError> {
        let event_type = validate(&event, key.as_deref())?;
        let (fresh, span) = self.message(tenant, fan_out, event_type, event, key.as_deref()).await?;
        self.store_and_queue(fresh, key).instrument(span).await
    }

    /// The message an accepted event becomes, with the span its storing runs in.
    async fn message(
        &self,
        tenant: &Tenant,
        fan_out: &FanOut,
        event_type: EventType,
        event: NewEvent,
        key: Option<&str>,
    ) -> Result<(Message, Span), ServiceError> {
        fan_out.check_registered(self, tenant, &event_type).await?;
        let id = key.map_or_else(MessageId::generate, |k| MessageId::for_idempotency_key(&tenant.id, k));
        let request_hash =
            hex_sha256(&serde_json::to_vec(&(&event.event_type, &event.payload)).unwrap_or_default());
        let now_ms = self.clock.now_ms();
        // A message no endpoint's filters pass is still stored, with no deliveries: the log shows it.
        let endpoint_ids = fan_out.subscribers(&event_type, &event.payload);
        let envelope = serde_json::json!({
            "type": event_type.as_str(),
            "timestamp": rfc3339(now_ms),
            "data": event.payload,
        });
        let fresh = Message {
            id,
            tenant_id: tenant.id.clone(),
            endpoint_ids,
            event_type,
            body: envelope.to_string(),
            request_hash,
            created_at_ms: now_ms,
            queue_state: QueueState::Queueing,
            claimed_at_ms: now_ms,
        };
        let span = info_span!("event", tenant_id = %tenant.id, message_id = %fresh.id, event_type = %fresh.event_type);
        Ok((fresh, span))
    }
}

/// What can be told of an event without reading anything: its type, payload and id are acceptable.
fn validate(event: &NewEvent, key: Option<&str>) -> Result<EventType, ServiceError> {
    let event_type = EventType::parse(&event.event_type).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    if !event.payload.is_object() {
        return Err(ServiceError::Invalid("payload must be a JSON object".into()));
    }
    if key.is_some_and(|k| k.is_empty() || k.len() > MAX_KEY_LEN) {
        return Err(ServiceError::Invalid(format!("an event id must be 1 to {MAX_KEY_LEN} characters")));
    }
    Ok(event_type)
}

/// What every event of one request is matched against: the tenant's endpoints (read once per request)
/// and, when the tenant refuses unregistered types, which types are registered.
struct FanOut {
    endpoints: Vec<Endpoint>,
    reject_unregistered: bool,
    registered: Mutex<HashMap<EventType, bool>>,
}

impl FanOut {
    async fn load<P: Ports>(app: &App<P>, tenant: &Tenant) -> Result<Self, ServiceError> {
        Ok(Self {
            endpoints: app.store.list_endpoints(&tenant.id).await?,
            reject_unregistered: tenant.reject_unregistered_event_types,
            registered: Mutex::default(),
        })
    }

    fn subscribers(&self, event_type: &EventType, payload: &serde_json::Value) -> Vec<EndpointId> {
        self.endpoints
            .iter()
            .filter(|endpoint| endpoint.enabled && endpoint.filter.matches(event_type))
            .filter(|endpoint| endpoint.payload_filter.as_ref().is_none_or(|f| f.matches(payload)))
            .map(|endpoint| endpoint.id.clone())
            .collect()
    }

    async fn check_registered<P: Ports>(
        &self,
        app: &App<P>,
        tenant: &Tenant,
        event_type: &EventType,
    ) -> Result<(), ServiceError> {
        if !self.reject_unregistered {
            return Ok(());
        }
        let cached = self.cache().get(event_type).copied();
        let known = match cached {
            Some(known) => known,
            None => {
                let known = app.store.get_event_type(&tenant.id, event_type).await?.is_some();
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

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
