//! Ingest → SQS → delivery → a receiver on 127.0.0.1, through the real SDK clients against the emulator.

use std::process::{Command, Stdio};
use std::time::Duration;

use hookline::metrics::Metric;
use hookline_core::model::{DeliveryState, ErrorCode};
use hookline_local::receiver::{Behaviour, Receiver};
use hookline_tests::Stack;
use serde_json::{Value, json};

async fn receiver(behaviour: Behaviour) -> Receiver {
    hookline_tests::receiver(behaviour).await.unwrap()
}

/// Registers the receiver as an endpoint and hands it the secret it must verify with.
async fn subscribe(stack: &Stack, receiver: &Receiver) -> Value {
    stack.subscribe(receiver, json!({ "event_types": ["invoice.*"] })).await.unwrap()
}

async fn send_event(stack: &Stack) -> String {
    let event = json!({ "event_type": "invoice.paid", "payload": { "invoice": "in_1", "amount": 4200 } });
    let (status, accepted) = stack.post("/v1/events", &event.to_string()).await;
    assert_eq!((status, accepted["endpoints"].as_u64()), (202, Some(1)), "{accepted}");
    accepted["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_event_reaches_the_receiver_with_a_signature_that_verifies() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver(Behaviour::default()).await;
    subscribe(&stack, &receiver).await;
    let message_id = send_event(&stack).await;

    let delivered =
        stack.poll_until(Duration::from_secs(10), async || !receiver.received().is_empty()).await.unwrap();
    assert!(delivered, "nothing reached the receiver");

    let got = &receiver.received()[0];
    assert_eq!(got.verified, Some(Ok(())));
    assert_eq!((got.path.as_str(), got.answered), ("/hooks", 200));
    assert_eq!(got.header("webhook-id"), Some(message_id.as_str()));
    let body: Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!((body["type"].as_str(), body["data"]["amount"].as_u64()), (Some("invoice.paid"), Some(4200)));

    let attempts = stack.attempts(&message_id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        (attempts[0].state, attempts[0].status_code, attempts[0].number),
        (DeliveryState::Succeeded, Some(200), 1)
    );
    assert_eq!(stack.poll().await.unwrap().received, 0, "the delivered message must be gone from the queue");
    assert_eq!(stack.metrics.recorded_total(Metric::DeliveriesSucceeded), 1.0);
}

#[tokio::test]
async fn a_receiver_answering_500_is_retried_each_attempt_recorded_then_dead_lettered() {
    let stack = Stack::new(&[("RetrySchedule", "0s,1s,1s")]).await.unwrap();
    let receiver = receiver(Behaviour { fail_first: usize::MAX, ..Behaviour::default() }).await;
    subscribe(&stack, &receiver).await;
    let message_id = send_event(&stack).await;

    let dead = stack
        .poll_until(Duration::from_secs(30), async || !stack.dead_letters().await.unwrap().is_empty())
        .await;
    assert!(dead.unwrap(), "the message never reached the dead-letter queue");

    let requests = receiver.received();
    assert_eq!(requests.len(), 3, "one request per scheduled attempt");
    assert!(
        requests.iter().all(|r| r.header("webhook-id") == Some(message_id.as_str()) && r.answered == 500)
    );
    let attempts = stack.attempts(&message_id).await.unwrap();
    let summary: Vec<_> = attempts.iter().map(|a| (a.number, a.state, a.status_code, a.error_code)).collect();
    let failed = |n, state| (n, state, Some(500), Some(ErrorCode::HttpStatus));
    assert_eq!(
        summary,
        vec![
            failed(1, DeliveryState::Retrying),
            failed(2, DeliveryState::Retrying),
            failed(3, DeliveryState::DeadLettered)
        ]
    );
    let metrics = &stack.metrics;
    assert_eq!(
        [Metric::DeliveriesFailed, Metric::DeliveriesRetried, Metric::DeliveriesDeadLettered]
            .map(|m| metrics.recorded_total(m)),
        [3.0, 2.0, 1.0]
    );
    let dead_letter: Value = serde_json::from_str(&stack.dead_letters().await.unwrap()[0]).unwrap();
    assert_eq!(dead_letter["message_id"].as_str(), Some(message_id.as_str()));
}

#[tokio::test]
async fn a_receiver_that_fails_twice_is_delivered_on_the_third_attempt() {
    let stack = Stack::new(&[("RetrySchedule", "0s,1s,1s,1s")]).await.unwrap();
    let receiver = receiver(Behaviour { fail_first: 2, failure_status: 500, ..Behaviour::default() }).await;
    subscribe(&stack, &receiver).await;
    let message_id = send_event(&stack).await;

    let delivered = stack
        .poll_until(Duration::from_secs(20), async || receiver.received().iter().any(|r| r.answered == 200))
        .await;
    assert!(delivered.unwrap());
    let states: Vec<_> = stack.attempts(&message_id).await.unwrap().iter().map(|a| a.state).collect();
    assert_eq!(states, vec![DeliveryState::Retrying, DeliveryState::Retrying, DeliveryState::Succeeded]);
    let stamps: Vec<i64> =
        receiver.received().iter().map(|r| r.header("webhook-timestamp").unwrap().parse().unwrap()).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "each attempt is signed with its own timestamp");
    assert!(stack.dead_letters().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_malformed_record_fails_alone_while_its_batch_mate_is_delivered() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver(Behaviour::default()).await;
    subscribe(&stack, &receiver).await;
    stack
        .sqs()
        .send_message()
        .queue_url(&stack.config.delivery_queue_url)
        .message_body("{\"type\":\"deliver.v0\",\"what\":\"garbage\"}")
        .send()
        .await
        .unwrap();
    send_event(&stack).await;

    let mut outcome = stack.poll().await.unwrap();
    while outcome.received < 2 {
        // SQS may hand the two messages over in separate receives.
        let next = stack.poll().await.unwrap();
        outcome = hookline_local::event_source::PollOutcome {
            received: outcome.received + next.received,
            deleted: outcome.deleted + next.deleted,
            failed: outcome.failed + next.failed,
        };
    }
    assert_eq!((outcome.deleted, outcome.failed), (1, 1));
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(receiver.received()[0].verified, Some(Ok(())));
}

#[tokio::test]
async fn delivered_signatures_verify_with_the_official_standard_webhooks_library() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver(Behaviour::default()).await;
    let endpoint = subscribe(&stack, &receiver).await;
    send_event(&stack).await;
    assert!(
        stack.poll_until(Duration::from_secs(10), async || !receiver.received().is_empty()).await.unwrap()
    );
    let got = receiver.received().remove(0);

    let python =
        std::env::var("HOOKLINE_PYTHON").expect("HOOKLINE_PYTHON: run the tests with scripts/test.sh");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/verify_standardwebhooks.py");
    let check = |body: &str| {
        let mut child =
            Command::new(&python).arg(script).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        let request = json!({ "secret": endpoint["secret"], "headers": got.headers, "body": body });
        serde_json::to_writer(child.stdin.take().unwrap(), &request).unwrap();
        child.wait().unwrap().code()
    };
    assert_eq!(check(&got.body), Some(0), "the official library must accept what Hookline signed");
    assert_eq!(check(&got.body.replace("4200", "4201")), Some(1), "and refuse a tampered body");
}

#[tokio::test]
async fn a_repeated_event_id_is_accepted_once_and_delivered_once() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver(Behaviour::default()).await;
    subscribe(&stack, &receiver).await;
    let event = json!({ "id": "order-7", "event_type": "invoice.paid", "payload": { "n": 1 } }).to_string();
    let (first_status, first) = stack.post("/v1/events", &event).await;
    let (again_status, again) = stack.post("/v1/events", &event).await;
    assert_eq!((first_status, again_status), (202, 202));
    assert_eq!(first, again);

    assert!(
        stack.poll_until(Duration::from_secs(10), async || !receiver.received().is_empty()).await.unwrap()
    );
    stack.poll().await.unwrap();
    assert_eq!(receiver.received().len(), 1);

    let conflicting =
        json!({ "id": "order-7", "event_type": "invoice.paid", "payload": { "n": 2 } }).to_string();
    let (status, error) = stack.post("/v1/events", &conflicting).await;
    assert_eq!((status, error["error"]["code"].as_str()), (409, Some("id_conflict")));
}

#[tokio::test]
async fn concurrent_copies_of_one_event_are_stored_once_and_delivered_once() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver(Behaviour::default()).await;
    subscribe(&stack, &receiver).await;
    let event = json!({ "id": "order-8", "event_type": "invoice.paid", "payload": { "n": 1 } }).to_string();
    let answers = futures::future::join_all((0..5).map(|_| stack.post("/v1/events", &event))).await;
    assert!(answers.iter().all(|answer| answer == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 202);

    assert!(
        stack.poll_until(Duration::from_secs(10), async || !receiver.received().is_empty()).await.unwrap()
    );
    stack.poll().await.unwrap();
    assert_eq!(receiver.received().len(), 1, "one delivery per endpoint");
}
