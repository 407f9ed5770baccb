//! Endpoint fairness: rate limits, the in-flight bound and per-endpoint schedules.

use std::sync::Arc;

use tokio::sync::Notify;

use super::*;
use hookline_core::throttle::Throttle;

#[tokio::test]
async fn a_delivery_over_the_endpoint_rate_limit_is_put_back_without_an_attempt() {
    let mut f = fixture("0s,1s", vec![status(200)]).await;
    f.update_endpoint(|endpoint| endpoint.rate_limit = Some(1)).await;

    assert_eq!(f.receive(1).await, Disposition::Done);
    f.next_message();
    assert_eq!(f.receive(1).await, Disposition::Done, "the throttled record is replaced by a new message");

    assert_eq!(f.deps.sender.sent().len(), 1);
    assert_eq!(f.attempts().len(), 1, "a throttled delivery is not an attempt");
    let requeued = f.deps.queue.requeued();
    assert_eq!(requeued.len(), 1);
    let (again, delay) = &requeued[0];
    assert_eq!((again.prior_attempts, again.throttles), (0, 1));
    assert!((500..=1_000).contains(&delay.as_millis()), "{delay:?}");
    assert_eq!(f.metrics.recorded_total(Metric::DeliveriesThrottled), 1.0);
}

#[tokio::test]
async fn the_next_second_has_a_fresh_budget() {
    let mut f = fixture("0s,1s", vec![status(200), status(200)]).await;
    f.update_endpoint(|endpoint| endpoint.rate_limit = Some(1)).await;
    f.receive(1).await;
    f.deps.clock.advance(Duration::from_secs(1));
    f.next_message();
    assert_eq!(f.receive(1).await, Disposition::Done);
    assert_eq!(f.deps.sender.sent().len(), 2);
    assert!(f.deps.queue.requeued().is_empty());
}

#[tokio::test]
async fn a_throttled_retry_comes_back_with_its_attempt_number_and_a_longer_delay() {
    let mut f = fixture("0s,1s,1s,1s", vec![status(500), status(500), status(200), status(500)]).await;
    f.update_endpoint(|endpoint| endpoint.rate_limit = Some(1)).await;
    f.receive(1).await;
    f.wait_for_retry(Duration::from_secs(1));
    f.receive(2).await; // two attempts recorded
    f.wait_for_retry(Duration::from_secs(1));
    let third = f.task.clone();
    f.next_message();
    f.receive(1).await; // another message spends this second's budget
    // The third attempt is due but over the rate limit; it was throttled twice before.
    f.task = task_with(&third, |task| task.throttles = 2);
    assert_eq!(f.receive(3).await, Disposition::Done);
    let (again, delay) = f.deps.queue.requeued()[0].clone();
    assert_eq!((again.prior_attempts, again.throttles), (2, 3));
    assert!((2_000..=4_000).contains(&delay.as_millis()), "doubles per throttle: {delay:?}");

    // The new message's first receive is attempt 3.
    f.deps.clock.advance(Duration::from_secs(4));
    f.task = DeliveryTask::from(again).encode();
    assert_eq!(f.receive_as("sqs-2", 1).await, Disposition::Again);
    assert_eq!(f.attempts().last().map(|a| a.number), Some(3));
}

#[tokio::test]
async fn when_sqs_refuses_the_new_message_the_record_itself_waits_out_the_delay() {
    let mut f = fixture("0s,1s", vec![status(200)]).await;
    f.update_endpoint(|endpoint| endpoint.rate_limit = Some(1)).await;
    f.receive(1).await;
    f.deps.queue.fail_next_requeue();
    f.next_message();
    assert_eq!(f.receive(1).await, Disposition::Again);
    let delays = f.deps.queue.delays();
    assert_eq!(delays.len(), 1);
    assert!((500..=1_000).contains(&delays[0].1.as_millis()));
}

/// Holds sends to one URL until released, so a test can have a slow endpoint's delivery in flight.
#[derive(Clone, Debug)]
struct GatedSender {
    inner: ScriptedSender,
    slow_url: String,
    gate: Arc<Notify>,
}

impl WebhookSender for GatedSender {
    async fn send(&self, webhook: OutgoingWebhook) -> Result<WebhookResponse, SendFailure> {
        let slow = webhook.url == self.slow_url;
        let answer = self.inner.send(webhook).await;
        if slow {
            self.gate.notified().await;
        }
        answer
    }

    async fn fetch_token(
        &self,
        request: hookline_core::oauth::TokenRequest,
    ) -> Result<WebhookResponse, SendFailure> {
        self.inner.fetch_token(request).await
    }
}

/// The fixture's delivery (one delivery per endpoint in flight) whose sends to its endpoint wait for `gate`.
fn gated(f: &Fixture, gate: &Arc<Notify>) -> Delivery<MemoryPorts<GatedSender>> {
    Delivery::new(
        f.deps.store.clone(),
        f.deps.queue.clone(),
        GatedSender { inner: f.deps.sender.clone(), slow_url: f.endpoint.url.clone(), gate: gate.clone() },
        f.deps.clock.clone(),
        f.deps.settings.clone(),
    )
}

#[tokio::test]
async fn a_slow_endpoint_holds_only_its_own_slots_and_the_rest_is_put_back_after_a_short_wait() {
    let f = fixture("0s,1s", vec![status(200), status(200)]).await;
    let other = Endpoint::new(
        f.endpoint.tenant_id.clone(),
        "https://other.example.com/in".into(),
        hookline_core::event_types::EventFilter::everything(),
        Secret::generate(),
        0,
    );
    f.deps.store.put_endpoint(&other).await.unwrap();
    let gate = Arc::new(Notify::new());
    let deps = gated(&f, &gate);
    let to_other = task_with(&f.task, |task| task.endpoint_id = other.id.clone());
    let receive = |body| {
        deps.deliver(ReceivedTask { body, receipt_handle: "rh", queue_message_id: "sqs-1", receive_count: 1 })
    };

    let slow = receive(&f.task);
    let meanwhile = async {
        while f.deps.sender.sent().is_empty() {
            tokio::task::yield_now().await;
        }
        let same_endpoint = receive(&f.task).await;
        assert_eq!(f.deps.queue.requeued().len(), 1, "put back after its wait, while the first is in flight");
        let other_endpoint = receive(&to_other).await;
        gate.notify_one();
        (same_endpoint, other_endpoint)
    };
    let (first, (second, third)) = tokio::join!(slow, meanwhile);

    assert_eq!((first, second, third), (Disposition::Done, Disposition::Done, Disposition::Done));
    assert_eq!(f.deps.sender.sent().len(), 2, "the slow endpoint once, the other endpoint once");
    assert_eq!(f.attempts().len(), 2);
    assert_eq!(f.deps.queue.requeued()[0].0.endpoint_id, f.endpoint.id);
}

#[tokio::test]
async fn a_delivery_to_a_busy_endpoint_waits_for_its_slot_instead_of_being_put_back() {
    let f = fixture("0s,1s", vec![status(200), status(200)]).await;
    let gate = Arc::new(Notify::new());
    let deps = gated(&f, &gate);
    let second = task_with(&f.task, |task| task.message_id = MessageId::generate());
    let receive = |body, queue_message_id| {
        deps.deliver(ReceivedTask { body, receipt_handle: "rh", queue_message_id, receive_count: 1 })
    };
    let first = receive(&f.task, "sqs-1");
    let meanwhile = async {
        while f.deps.sender.sent().is_empty() {
            tokio::task::yield_now().await;
        }
        let waiting = receive(&second, "sqs-2");
        let release = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            gate.notify_one();
            // The second send is let through as soon as it is made.
            while f.deps.sender.sent().len() < 2 {
                tokio::task::yield_now().await;
            }
            gate.notify_one();
        };
        tokio::join!(waiting, release).0
    };
    let (first, second) = tokio::join!(first, meanwhile);

    assert_eq!((first, second), (Disposition::Done, Disposition::Done));
    assert!(f.deps.queue.requeued().is_empty(), "nothing was put back");
    assert_eq!(f.deps.sender.sent().len(), 2, "both were sent, one after the other");
    assert_eq!(f.metrics.recorded_total(Metric::DeliveriesThrottled), 0.0);
}

#[tokio::test]
async fn an_endpoint_schedule_replaces_the_deployment_schedule() {
    let mut f = fixture("0s,1s,1s,1s", vec![status(500), status(500)]).await;
    f.update_endpoint(|endpoint| endpoint.retry_schedule = Some(RetrySchedule::parse("0s,10m").unwrap()))
        .await;

    assert_eq!(f.receive(1).await, Disposition::Again);
    let delay = f.deps.queue.delays()[0].1.as_secs();
    assert!((480..=720).contains(&delay), "the endpoint's 10 min, jittered: {delay}");

    f.wait_for_retry(Duration::from_secs(600));
    assert_eq!(f.receive(2).await, Disposition::Again);
    assert_eq!(f.attempts()[1].state, DeliveryState::DeadLettered, "the endpoint allows two attempts");

    assert_eq!(f.receive(3).await, Disposition::Again);
    assert_eq!(f.deps.sender.sent().len(), 2, "not attempted a third time");
}

#[test]
fn throttle_reasons_have_stable_names_for_logs_and_metrics() {
    assert_eq!(Throttle::RateLimit.as_str(), "rate_limit");
    assert_eq!(Throttle::Concurrency.as_str(), "concurrency");
}
