//! The API's operations over the in-memory ports, with the request and response bodies as clients see
//! them. The fixture below is shared by the attempt log, recovery and probe tests.

mod attempt_log;
mod batches;
mod endpoints;
mod events;
mod probe;
mod recovery;

use std::fmt::Debug;

use hookline::app::App;
use hookline::ports::Ports;
use hookline::sender::WebhookSender;
use hookline::store::{AttemptStore as _, EndpointStore as _, LogStore as _, MessageStore as _};
use hookline::testing::{MemoryPorts, NoSender, app_settings, memory_app};
use hookline_core::delivery::ledger::next_entry;
use hookline_core::event_types::{EventFilter, EventType};
use hookline_core::ids::{AttemptId, MessageId, TenantId};
use hookline_core::model::{Attempt, DeliveryState, Endpoint, ErrorCode, Message, QueueState};
use hookline_core::signing::Secret;

use crate::ApiError;

pub(crate) type Deps<H = NoSender> = App<MemoryPorts<H>>;

pub(crate) const NOW: i64 = 1_700_000_000_000;

pub(crate) fn deps_with<H: WebhookSender + Debug + 'static>(sender: H) -> Deps<H> {
    memory_app(sender, NOW, app_settings())
}

pub(crate) fn deps() -> Deps {
    deps_with(NoSender)
}

pub(crate) fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

pub(crate) async fn endpoint<P: Ports>(deps: &App<P>, tenant: &TenantId) -> Endpoint {
    let endpoint = Endpoint::new(
        tenant.clone(),
        "https://example.com/hook".into(),
        EventFilter::everything(),
        Secret::generate(),
        0,
    );
    deps.store().put_endpoint(&endpoint).await.unwrap();
    endpoint
}

pub(crate) async fn message<P: Ports>(
    deps: &App<P>,
    tenant: &TenantId,
    event_type: &str,
    at_ms: i64,
    endpoints: &[&Endpoint],
) -> Message {
    let message = Message {
        id: MessageId::generate(),
        tenant_id: tenant.clone(),
        event_type: EventType::parse(event_type).unwrap(),
        body: serde_json::json!({"type": event_type, "timestamp": "t", "data": {"at": at_ms}}).to_string(),
        request_hash: String::new(),
        created_at_ms: at_ms,
        queue_state: QueueState::Queued,
        claimed_at_ms: at_ms,
        endpoint_ids: endpoints.iter().map(|e| e.id.clone()).collect(),
    };
    deps.store().insert_message(&message).await.unwrap();
    message
}

/// Records an attempt as the delivery function would (which also makes it the delivery's latest).
pub(crate) async fn attempt<P: Ports>(
    deps: &App<P>,
    message: &Message,
    endpoint: &Endpoint,
    number: u32,
    state: DeliveryState,
    at_ms: i64,
) -> Attempt {
    let failed = state != DeliveryState::Succeeded;
    let latest = deps.store().latest_delivery(&message.tenant_id, &message.id, &endpoint.id).await.unwrap();
    let attempt = Attempt {
        id: AttemptId::generate(),
        tenant_id: message.tenant_id.clone(),
        message_id: message.id.clone(),
        endpoint_id: endpoint.id.clone(),
        number,
        started_at_ms: at_ms,
        latency_ms: 12,
        state,
        status_code: Some(if failed { 500 } else { 200 }),
        error_code: failed.then_some(ErrorCode::HttpStatus),
        error_detail: None,
        response_body: Some("ok".into()),
        next_attempt_at_ms: (state == DeliveryState::Retrying).then_some(at_ms + 5_000),
        queue_message_id: None,
        ledger_seq: next_entry(latest.as_ref()),
    };
    deps.store().record_attempt(&attempt).await.unwrap();
    attempt
}

pub(crate) fn code(error: ApiError) -> (u16, &'static str) {
    (error.status, error.code)
}
