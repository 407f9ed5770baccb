//! Dead letters back to work: the copy redrive through the real SQS client against the emulator.

use std::time::Duration;

use hookline_aws::redrive::{CopyOutcome, Redrive};
use hookline_core::model::DeliveryState;
use hookline_core::signing::Secret;
use hookline_local::receiver::{Behaviour, Receiver};
use hookline_tests::Stack;
use serde_json::{Value, json};

async fn receiver(fail_first: usize) -> Receiver {
    hookline_tests::receiver(Behaviour { fail_first, ..Behaviour::default() }).await.unwrap()
}

/// Subscribes the receiver for `key`'s tenant and sends one event; the message id.
async fn subscribe_and_send(stack: &Stack, key: &str, receiver: &Receiver) -> String {
    let endpoint = json!({ "url": receiver.url("/hooks") }).to_string();
    let created = stack.call("POST", "/v1/endpoints", Some(key), &[], &endpoint).await;
    assert_eq!(created.status, 201, "{}", created.body);
    receiver.set_secret(Secret::parse(created.body["secret"].as_str().unwrap()).unwrap());
    let event = json!({ "event_type": "invoice.paid", "payload": { "n": 1 } }).to_string();
    let accepted = stack.call("POST", "/v1/events", Some(key), &[], &event).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    accepted.body["id"].as_str().unwrap().to_owned()
}

fn redrive(stack: &Stack) -> Redrive {
    let dead_letters = stack.made.queue_url("DeadLetterQueue").unwrap();
    Redrive::new(stack.sqs(), dead_letters, stack.config.delivery_queue_url.clone())
}

async fn wait_for_dead_letters(stack: &Stack, count: usize) {
    let arrived = stack
        .poll_until(Duration::from_secs(30), async || stack.dead_letters().await.unwrap().len() >= count)
        .await;
    assert!(arrived.unwrap(), "fewer than {count} dead letters");
}

#[tokio::test]
async fn dead_letters_copied_back_are_delivered_again_with_their_webhook_id() {
    let stack = Stack::new(&[("RetrySchedule", "0s")]).await.unwrap();
    let receiver = receiver(1).await; // down for the one attempt, then back up
    let token = stack.token.clone();
    let message_id = subscribe_and_send(&stack, &token, &receiver).await;
    wait_for_dead_letters(&stack, 1).await;
    let redrive = redrive(&stack);
    assert_eq!(redrive.waiting().await.unwrap(), 1);

    let mut progress = vec![];
    let outcome = redrive.copy(None, 100, |p| progress.push(p)).await.unwrap();
    assert_eq!(outcome, CopyOutcome { moved: 1, skipped: 0 });
    assert_eq!(progress.last(), Some(&outcome));

    let delivered = stack
        .poll_until(Duration::from_secs(20), async || receiver.received().iter().any(|r| r.answered == 200))
        .await;
    assert!(delivered.unwrap(), "the redriven message was not delivered");
    let received = receiver.received();
    assert!(received.iter().all(|r| r.header("webhook-id") == Some(message_id.as_str())));
    let states: Vec<_> = stack.attempts(&message_id).await.unwrap().iter().map(|a| a.state).collect();
    assert_eq!(states, vec![DeliveryState::DeadLettered, DeliveryState::Succeeded]);
    assert_eq!(redrive.waiting().await.unwrap(), 0);
}

#[tokio::test]
async fn a_copy_for_one_tenant_leaves_the_other_tenants_dead_letters_where_they_are() {
    let stack = Stack::new(&[("RetrySchedule", "0s")]).await.unwrap();
    let (other, other_key) = stack.other_tenant("other").await.unwrap();
    let (mine, theirs) = (receiver(usize::MAX).await, receiver(usize::MAX).await);
    let token = stack.token.clone();
    subscribe_and_send(&stack, &token, &mine).await;
    subscribe_and_send(&stack, &other_key, &theirs).await;
    wait_for_dead_letters(&stack, 2).await;

    let outcome = redrive(&stack).copy(Some(&stack.tenant.id), 100, |_| {}).await.unwrap();
    assert_eq!(outcome, CopyOutcome { moved: 1, skipped: 1 });

    let left = stack.dead_letters().await.unwrap();
    assert_eq!(left.len(), 1, "the other tenant's dead letter is visible again at once");
    let task: Value = serde_json::from_str(&left[0]).unwrap();
    assert_eq!(task["tenant_id"].as_str(), Some(other.id.as_str()));
}

#[tokio::test]
async fn a_copy_stops_at_its_limit() {
    let stack = Stack::new(&[("RetrySchedule", "0s")]).await.unwrap();
    let receiver = receiver(usize::MAX).await;
    let token = stack.token.clone();
    subscribe_and_send(&stack, &token, &receiver).await;
    let event = json!({ "event_type": "invoice.paid", "payload": { "n": 2 } }).to_string();
    assert_eq!(stack.call("POST", "/v1/events", Some(&token), &[], &event).await.status, 202);
    wait_for_dead_letters(&stack, 2).await;

    let outcome = redrive(&stack).copy(None, 1, |_| {}).await.unwrap();
    assert_eq!(outcome.moved, 1);
}
