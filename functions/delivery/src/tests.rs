//! The handler driven by SQS events shaped like Lambda's, over in-memory ports.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use hookline::delivery::DeliverySettings;
use hookline::sender::WebhookSender;
use hookline::store::EndpointStore as _;
use hookline::testing::{ManualClock, MemoryPorts, MemoryQueue, MemoryStore, RecordedMetrics};
use hookline_core::delivery::{OutgoingWebhook, SendFailure, WebhookResponse};
use hookline_core::event_types::{EventFilter, EventType};
use hookline_core::ids::{EndpointId, MessageId, TenantId};
use hookline_core::model::{DeliveryState, Endpoint};
use hookline_core::retry::RetrySchedule;
use hookline_core::signing::Secret;
use hookline_core::task::{Deliver, DeliveryTask};

use super::*;

const FIXTURE: &str = include_str!("../fixtures/sqs-event.json");

/// Answers every POST with one status and counts them.
#[derive(Debug, Clone)]
struct FixedSender {
    status: u16,
    sent: Arc<Mutex<Vec<String>>>,
}

impl WebhookSender for FixedSender {
    async fn send(&self, webhook: OutgoingWebhook) -> Result<WebhookResponse, SendFailure> {
        self.sent.lock().unwrap().push(webhook.body);
        Ok(WebhookResponse {
            status: self.status,
            body: String::new(),
            retry_after: None,
            latency: Duration::ZERO,
        })
    }

    async fn fetch_token(
        &self,
        _request: hookline_core::oauth::TokenRequest,
    ) -> Result<WebhookResponse, SendFailure> {
        hookline::testing::no_token_endpoint()
    }
}

type Deps = Delivery<MemoryPorts<FixedSender>>;

async fn deps(status: u16) -> (Deps, TenantId, EndpointId) {
    let tenant = TenantId::parse("ten_a").unwrap();
    let endpoint = Endpoint::new(
        tenant.clone(),
        "https://example.com/hook".into(),
        EventFilter::everything(),
        Secret::generate(),
        0,
    );
    let store = MemoryStore::default();
    store.put_endpoint(&endpoint).await.unwrap();
    let settings = DeliverySettings {
        schedule: RetrySchedule::parse("0s,10s").unwrap(),
        concurrency: 2,
        endpoint_concurrency: 2,
        disable_after: std::time::Duration::from_secs(5 * 86_400),
        metrics: RecordedMetrics::default().metrics(),
        // As the template derives it for two attempts: one receive per attempt, plus 5.
        max_receive_count: 7,
        endpoint_cache: std::time::Duration::ZERO,
    };
    let sender = FixedSender { status, sent: Arc::default() };
    let deps =
        Delivery::new(store, MemoryQueue::default(), sender, ManualClock::at_ms(1_795_644_000_000), settings);
    (deps, tenant, endpoint.id)
}

fn task(tenant: &TenantId, endpoint: &EndpointId) -> String {
    DeliveryTask::from(Deliver::first(
        tenant.clone(),
        MessageId::generate(),
        endpoint.clone(),
        EventType::parse("a.b").unwrap(),
        "{}".into(),
    ))
    .encode()
}

/// The fixture batch with its two bodies replaced.
fn sqs_event(bodies: [&str; 2]) -> LambdaEvent<SqsEvent> {
    let mut event: Value = serde_json::from_str(FIXTURE).unwrap();
    for (record, body) in event["Records"].as_array_mut().unwrap().iter_mut().zip(bodies) {
        record["body"] = json!(body);
    }
    LambdaEvent::new(serde_json::from_value(event).unwrap(), lambda_runtime::Context::default())
}

fn failed_ids(response: &SqsBatchResponse) -> Vec<&str> {
    response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect()
}

#[tokio::test]
async fn a_batch_that_is_delivered_reports_no_failures() {
    let (deps, tenant, endpoint) = deps(200).await;
    let (a, b) = (task(&tenant, &endpoint), task(&tenant, &endpoint));
    let response = handle(&deps, sqs_event([&a, &b])).await.unwrap();
    assert!(failed_ids(&response).is_empty());
    assert_eq!(deps.sender().sent.lock().unwrap().len(), 2);
    assert!(deps.store().all_attempts().iter().all(|a| a.state == DeliveryState::Succeeded));
}

#[tokio::test]
async fn a_malformed_record_fails_alone_while_its_batch_mate_is_delivered() {
    let (deps, tenant, endpoint) = deps(200).await;
    let good = task(&tenant, &endpoint);
    let response = handle(&deps, sqs_event(["{\"type\":\"deliver.v1\",\"oops\":1}", &good])).await.unwrap();
    assert_eq!(failed_ids(&response), vec!["059f36b4-87a3-44ab-83d2-661975830a7d"]);
    assert_eq!(deps.sender().sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn failed_deliveries_are_reported_for_retry_with_their_delay_set() {
    let (deps, tenant, endpoint) = deps(500).await;
    let (a, b) = (task(&tenant, &endpoint), task(&tenant, &endpoint));
    let response = handle(&deps, sqs_event([&a, &b])).await.unwrap();
    assert_eq!(failed_ids(&response).len(), 2);
    let delays = deps.queue().delays();
    assert_eq!(delays.len(), 2);
    assert!(delays.iter().all(|(_, delay)| (8..=12).contains(&delay.as_secs())));
}
