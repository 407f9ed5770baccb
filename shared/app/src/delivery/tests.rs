use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rand::SeedableRng;
use rand::rngs::StdRng;

use hookline_core::delivery::{OutgoingWebhook, SendFailure, WebhookResponse};
use hookline_core::event_types::{EventFilter, EventType};
use hookline_core::ids::{MessageId, TenantId};
use hookline_core::model::{Attempt, DeliveryState};
use hookline_core::retry::SLOW_DOWN_FLOOR;
use hookline_core::signing::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, Secret, verify};

use super::*;
use crate::metrics::Metric;
use crate::sender::WebhookSender;
use crate::testing::{ManualClock, MemoryPorts, MemoryQueue, MemoryStore, RecordedMetrics};

const NOW_MS: i64 = 1_700_000_000_000;
const FIVE_DAYS: Duration = Duration::from_secs(5 * 86_400);

/// Answers each send with the next scripted outcome and remembers what it was asked to send.
#[derive(Debug, Clone, Default)]
struct ScriptedSender {
    script: Arc<Mutex<VecDeque<Result<WebhookResponse, SendFailure>>>>,
    sent: Arc<Mutex<Vec<OutgoingWebhook>>>,
}

impl ScriptedSender {
    fn answering(outcomes: Vec<Result<WebhookResponse, SendFailure>>) -> Self {
        Self { script: Arc::new(Mutex::new(outcomes.into())), ..Self::default() }
    }
    fn sent(&self) -> Vec<OutgoingWebhook> {
        self.sent.lock().unwrap().clone()
    }
}

impl WebhookSender for ScriptedSender {
    async fn send(&self, webhook: OutgoingWebhook) -> Result<WebhookResponse, SendFailure> {
        self.sent.lock().unwrap().push(webhook);
        self.script.lock().unwrap().pop_front().expect("the test scripted too few answers")
    }

    async fn fetch_token(
        &self,
        _request: hookline_core::oauth::TokenRequest,
    ) -> Result<WebhookResponse, SendFailure> {
        crate::testing::no_token_endpoint()
    }
}

fn status(code: u16) -> Result<WebhookResponse, SendFailure> {
    Ok(WebhookResponse {
        status: code,
        body: format!("answer {code}"),
        retry_after: None,
        latency: Duration::from_millis(12),
    })
}

fn failure(code: ErrorCode) -> Result<WebhookResponse, SendFailure> {
    Err(SendFailure { code, detail: "scripted".into(), latency: Duration::from_millis(3) })
}

/// The task `body` with `change` made to it.
fn task_with(body: &str, change: impl FnOnce(&mut Deliver)) -> String {
    let mut task = DeliveryTask::decode(body).unwrap();
    change(&mut task);
    DeliveryTask::from(task).encode()
}

struct Fixture {
    deps: Delivery<MemoryPorts<ScriptedSender>>,
    metrics: RecordedMetrics,
    endpoint: Endpoint,
    secret: Secret,
    task: String,
}

async fn fixture(schedule: &str, outcomes: Vec<Result<WebhookResponse, SendFailure>>) -> Fixture {
    fixture_caching(schedule, outcomes, Duration::ZERO).await
}

/// A fixture whose delivery keeps endpoints it read for `endpoint_cache`.
async fn fixture_caching(
    schedule: &str,
    outcomes: Vec<Result<WebhookResponse, SendFailure>>,
    endpoint_cache: Duration,
) -> Fixture {
    let tenant = TenantId::parse("ten_a").unwrap();
    let secret = Secret::generate();
    let endpoint = Endpoint::new(
        tenant.clone(),
        "https://hooks.example.com/in".into(),
        EventFilter::everything(),
        secret.clone(),
        0,
    );
    let store = MemoryStore::default();
    store.put_endpoint(&endpoint).await.unwrap();
    let task = DeliveryTask::from(Deliver::first(
        tenant,
        MessageId::generate(),
        endpoint.id.clone(),
        EventType::parse("invoice.paid").unwrap(),
        r#"{"type":"invoice.paid","data":{}}"#.into(),
    ))
    .encode();
    let metrics = RecordedMetrics::default();
    let settings = DeliverySettings {
        schedule: RetrySchedule::parse(schedule).unwrap(),
        concurrency: 4,
        endpoint_concurrency: 1,
        disable_after: FIVE_DAYS,
        metrics: metrics.metrics(),
        // As the template derives it: one receive per attempt, plus 5.
        max_receive_count: RetrySchedule::parse(schedule).unwrap().attempts() + 5,
        endpoint_cache,
    };
    let deps = Delivery::new(
        store,
        MemoryQueue::default(),
        ScriptedSender::answering(outcomes),
        ManualClock::at_ms(NOW_MS),
        settings,
    );
    Fixture { deps, metrics, endpoint, secret, task }
}

impl Fixture {
    /// The record's `receive_count`-th receive, as SQS message `sqs-1`.
    async fn receive(&self, receive_count: u32) -> Disposition {
        self.receive_as("sqs-1", receive_count).await
    }
    async fn receive_as(&self, queue_message_id: &str, receive_count: u32) -> Disposition {
        let body = &self.task;
        self.deps
            .deliver(ReceivedTask { body, receipt_handle: "rh-1", queue_message_id, receive_count })
            .await
    }
    /// Moves on to another message to the same endpoint (the ledger is per message and endpoint).
    fn next_message(&mut self) {
        self.task = task_with(&self.task, |task| task.message_id = MessageId::generate());
    }
    /// Lets the retry delay of the last attempt pass (at most a schedule's step plus jitter).
    fn wait_for_retry(&self, step: Duration) {
        self.deps.clock.advance(step.mul_f64(1.2) + Duration::from_secs(1));
    }
    fn attempts(&self) -> Vec<Attempt> {
        self.deps.store.all_attempts()
    }
    /// Changes the stored endpoint as an API update would.
    async fn update_endpoint(&mut self, change: impl FnOnce(&mut Endpoint)) {
        change(&mut self.endpoint);
        self.endpoint.revision += 1;
        self.deps.store.replace_endpoint(&self.endpoint).await.unwrap();
    }
}

#[tokio::test]
async fn a_2xx_answer_is_recorded_as_succeeded_and_the_record_is_done() {
    let f = fixture("0s,5s", vec![status(204)]).await;
    assert_eq!(f.receive(1).await, Disposition::Done);
    let attempts = f.attempts();
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        (attempts[0].state, attempts[0].status_code, attempts[0].number),
        (DeliveryState::Succeeded, Some(204), 1)
    );
    assert_eq!(attempts[0].response_body.as_deref(), Some("answer 204"));
    assert!(f.deps.queue.delays().is_empty());
    let metrics = f.metrics;
    assert_eq!(metrics.recorded_total(Metric::DeliveriesSucceeded), 1.0);
    assert_eq!(metrics.recorded_total(Metric::AttemptLatency), 12.0);
    assert_eq!(metrics.recorded_total(Metric::DeliveriesFailed), 0.0);
}

#[tokio::test]
async fn the_webhook_is_signed_with_the_endpoint_secret_and_the_current_time() {
    let f = fixture("0s", vec![status(200)]).await;
    f.receive(1).await;
    let sent = &f.deps.sender.sent()[0];
    let header = |name: &str| sent.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(header(HEADER_TIMESTAMP), (NOW_MS / 1000).to_string());
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(sent.url, f.endpoint.url);
    let checked = verify(
        &f.secret,
        &header(HEADER_ID),
        &header(HEADER_TIMESTAMP),
        &header(HEADER_SIGNATURE),
        sent.body.as_bytes(),
        NOW_MS / 1000,
        300,
    );
    assert_eq!(checked, Ok(()));
}

#[tokio::test]
async fn a_500_is_retried_after_the_scheduled_delay_with_jitter() {
    let f = fixture("0s,100s,200s", vec![status(500)]).await;
    assert_eq!(f.receive(1).await, Disposition::Again);
    let delays = f.deps.queue.delays();
    assert_eq!(delays.len(), 1);
    assert!((80..=120).contains(&delays[0].1.as_secs()), "{:?}", delays[0]);
    let attempt = &f.attempts()[0];
    assert_eq!((attempt.state, attempt.error_code), (DeliveryState::Retrying, Some(ErrorCode::HttpStatus)));
    let next = attempt.next_attempt_at_ms.unwrap() - NOW_MS;
    assert!((80_000..=120_000).contains(&next));
    let metrics = f.metrics;
    assert_eq!(
        [Metric::DeliveriesFailed, Metric::DeliveriesRetried, Metric::DeliveriesDeadLettered]
            .map(|m| metrics.recorded_total(m)),
        [1.0, 1.0, 0.0]
    );
}

#[tokio::test]
async fn the_last_failed_attempt_is_dead_lettered_and_made_visible_at_once() {
    let f = fixture("0s,1s", vec![status(500), status(500)]).await;
    assert_eq!(f.receive(1).await, Disposition::Again);
    f.wait_for_retry(Duration::from_secs(1));
    assert_eq!(f.receive(2).await, Disposition::Again);
    assert_eq!(f.deps.queue.delays().last(), Some(&("rh-1".to_owned(), Duration::ZERO)));
    assert_eq!(f.attempts()[1].state, DeliveryState::DeadLettered);
    assert_eq!(f.metrics.recorded_total(Metric::DeliveriesDeadLettered), 1.0);
}

#[tokio::test]
async fn a_record_received_after_its_last_attempt_is_not_sent_again() {
    let f = fixture("0s,1s", vec![status(500), status(500)]).await;
    f.receive(1).await;
    f.wait_for_retry(Duration::from_secs(1));
    f.receive(2).await;
    // The same SQS message again, on its way to the DLQ.
    assert_eq!(f.receive(3).await, Disposition::Again);
    assert_eq!(f.deps.sender.sent().len(), 2);
    assert_eq!(f.attempts().len(), 2);
    assert_eq!(f.deps.queue.delays().last(), Some(&("rh-1".to_owned(), Duration::ZERO)));
}

#[tokio::test]
async fn when_endpoint_returns_410_the_endpoint_is_disabled() {
    let f = fixture("0s,1s", vec![status(410)]).await;
    assert_eq!(f.receive(1).await, Disposition::Done);
    let endpoint = f.deps.store.get_endpoint(&f.endpoint.tenant_id, &f.endpoint.id).await.unwrap().unwrap();
    assert!(!endpoint.enabled);
    assert!(endpoint.disabled_reason.unwrap().contains("410"));
    assert_eq!(f.metrics.recorded_total(Metric::EndpointsDisabled), 1.0);
    assert_eq!(f.attempts()[0].state, DeliveryState::Abandoned);
}

#[tokio::test]
async fn a_disabled_endpoint_is_recorded_and_not_attempted() {
    let f = fixture("0s", vec![]).await;
    f.deps.store.disable_endpoint(&f.endpoint.tenant_id, &f.endpoint.id, "operator").await.unwrap();
    assert_eq!(f.receive(1).await, Disposition::Done);
    assert!(f.deps.sender.sent().is_empty());
    assert_eq!(f.attempts()[0].error_code, Some(ErrorCode::EndpointDisabled));
}

#[tokio::test]
async fn a_blocked_target_is_recorded_and_not_retried() {
    let f = fixture("0s,1s", vec![failure(ErrorCode::Blocked)]).await;
    assert_eq!(f.receive(1).await, Disposition::Done);
    let attempt = &f.attempts()[0];
    assert_eq!((attempt.state, attempt.error_code), (DeliveryState::Abandoned, Some(ErrorCode::Blocked)));
}

#[tokio::test]
async fn an_undecodable_record_is_left_to_the_queue_and_records_nothing() {
    let mut f = fixture("0s", vec![]).await;
    f.task = "{\"type\":\"deliver.v1\"}".into();
    assert_eq!(f.receive(1).await, Disposition::Again);
    assert!(f.attempts().is_empty());
}

fn judged(outcome: Result<WebhookResponse, SendFailure>, schedule: &str) -> Verdict {
    let schedule = RetrySchedule::parse(schedule).unwrap();
    judge(&outcome, 1, &schedule, NOW_MS, &mut StdRng::seed_from_u64(1))
}

#[test]
fn redirects_count_as_failures() {
    assert_eq!(judged(status(301), "0s,5s").state, DeliveryState::Retrying);
}

#[test]
fn slow_down_answers_and_timeouts_wait_at_least_a_minute() {
    for outcome in [status(429), status(502), status(503), status(504), failure(ErrorCode::Timeout)] {
        let verdict = judged(outcome, "0s,5s");
        assert_eq!(verdict.retry_in, Some(SLOW_DOWN_FLOOR));
    }
    assert!(judged(status(500), "0s,5s").retry_in.unwrap() < SLOW_DOWN_FLOOR);
    assert!(judged(failure(ErrorCode::Connect), "0s,5s").retry_in.unwrap() < SLOW_DOWN_FLOOR);
}

#[test]
fn retry_after_is_honoured_within_its_bounds() {
    let mut answer = WebhookResponse {
        status: 429,
        body: String::new(),
        retry_after: Some("90".into()),
        latency: Duration::ZERO,
    };
    assert_eq!(judged(Ok(answer.clone()), "0s,5m").retry_in, Some(Duration::from_secs(300)));
    answer.retry_after = Some("3600".into());
    assert_eq!(judged(Ok(answer.clone()), "0s,5m").retry_in, Some(Duration::from_secs(600)));
    answer.retry_after = Some("450".into());
    assert_eq!(judged(Ok(answer), "0s,5m").retry_in, Some(Duration::from_secs(450)));
}

#[tokio::test]
async fn a_secret_rotated_out_earlier_in_the_same_second_no_longer_signs() {
    let mut f = fixture("0s", vec![status(200), status(200)]).await;
    // NOW_MS is a whole second: move half a second in and expire the old secret just before "now".
    f.deps.clock.advance(Duration::from_millis(500));
    let fresh = Secret::generate();
    let old = f.secret.clone();
    f.update_endpoint(|endpoint| {
        endpoint.secrets = vec![
            hookline_core::model::EndpointSecret { secret: fresh.clone(), expires_at_ms: None },
            hookline_core::model::EndpointSecret { secret: old, expires_at_ms: Some(NOW_MS + 400) },
        ];
    })
    .await;
    f.receive(1).await;
    let sent = &f.deps.sender.sent()[0];
    let signature = sent.headers.iter().find(|(n, _)| n == HEADER_SIGNATURE).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(signature.split(' ').count(), 1, "only the live secret signs: {signature}");
}

impl Fixture {
    async fn stored_endpoint(&self) -> Endpoint {
        self.deps.store.get_endpoint(&self.endpoint.tenant_id, &self.endpoint.id).await.unwrap().unwrap()
    }
}

#[tokio::test]
async fn an_endpoint_failing_for_the_whole_window_is_disabled_with_the_reason() {
    let f = fixture("0s,1s,1s,1s", vec![status(500), status(500), status(500)]).await;
    f.receive(1).await;
    let failing = f.stored_endpoint().await;
    assert_eq!(
        (failing.failing_since_ms, failing.consecutive_failures, failing.enabled),
        (Some(NOW_MS), 1, true)
    );

    f.deps.clock.advance(FIVE_DAYS - Duration::from_secs(1));
    f.receive(2).await;
    assert!(f.stored_endpoint().await.enabled, "one second short of the window");

    // Past the window, and past the second attempt's retry delay (1 s, jittered and rounded up to 2 s).
    f.deps.clock.advance(Duration::from_secs(2));
    f.receive(3).await;
    let disabled = f.stored_endpoint().await;
    assert!(!disabled.enabled);
    let reason = disabled.disabled_reason.unwrap();
    assert!(reason.contains("every delivery failed since") && reason.contains("5days"), "{reason}");
    assert_eq!(disabled.consecutive_failures, 3);
}

#[tokio::test]
async fn a_success_ends_the_failing_run_so_the_window_starts_again() {
    let mut f = fixture("0s,1s,1s", vec![status(500), status(200), status(500)]).await;
    f.receive(1).await;
    f.deps.clock.advance(Duration::from_secs(3 * 86_400));
    f.receive(2).await;
    let healthy = f.stored_endpoint().await;
    assert_eq!((healthy.failing_since_ms, healthy.consecutive_failures), (None, 0));

    f.deps.clock.advance(Duration::from_secs(3 * 86_400));
    f.next_message();
    f.receive(1).await;
    let failing = f.stored_endpoint().await;
    assert!(failing.enabled, "six days since the first failure, but a success came in between");
    assert_eq!(failing.failing_since_ms, Some(f.deps.clock.now_ms()));
}

mod cached_endpoints;
mod fairness;
mod ledger;
