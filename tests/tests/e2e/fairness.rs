//! Endpoint fairness and per-endpoint schedules through the real SQS and DynamoDB clients.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use hookline::lookup::UrlGuard;
use hookline::testing::ScriptedLookup;
use hookline_core::address_policy::AddressPolicy;
use hookline_core::model::DeliveryState;
use hookline_local::receiver::{Behaviour, Receiver};
use hookline_tests::Stack;
use serde_json::{Value, json};

async fn receiver(behaviour: Behaviour) -> Receiver {
    hookline_tests::receiver(behaviour).await.unwrap()
}

async fn subscribe(stack: &Stack, receiver: &Receiver, extra: Value) -> Value {
    stack.subscribe(receiver, extra).await.unwrap()
}

async fn send_event(stack: &Stack, n: u32) -> String {
    stack.send_event("invoice.paid", json!({ "n": n })).await.unwrap()
}

#[tokio::test]
async fn an_endpoint_limited_to_one_delivery_a_second_gets_every_event_once_without_spending_attempts() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver(Behaviour::default()).await;
    subscribe(&stack, &receiver, json!({ "rate_limit": 1 })).await;
    let mut ids = vec![];
    for n in 0..3 {
        ids.push(send_event(&stack, n).await);
    }

    let all = stack.poll_until(Duration::from_secs(30), async || receiver.received().len() >= 3).await;
    assert!(all.unwrap(), "only {} of 3 arrived", receiver.received().len());
    stack.poll().await.unwrap();
    assert_eq!(receiver.received().len(), 3, "each event exactly once");

    let mut seconds = BTreeSet::new();
    for id in &ids {
        let attempts = stack.attempts(id).await.unwrap();
        let summary: Vec<_> = attempts.iter().map(|a| (a.number, a.state)).collect();
        assert_eq!(summary, vec![(1, DeliveryState::Succeeded)], "waiting is not an attempt");
        seconds.insert(attempts[0].started_at_ms.div_euclid(1000));
    }
    assert_eq!(seconds.len(), 3, "one delivery per second: {seconds:?}");
}

#[tokio::test]
async fn an_endpoint_schedule_shorter_than_the_deployments_dead_letters_after_its_own_last_attempt() {
    let stack = Stack::new(&[("RetrySchedule", "0s,1s,1s,1s")]).await.unwrap();
    let receiver = receiver(Behaviour { fail_first: usize::MAX, ..Behaviour::default() }).await;
    let endpoint = subscribe(&stack, &receiver, json!({ "retry_schedule": ["0s", "1s"] })).await;
    assert_eq!(endpoint["retry_schedule"], json!(["0s", "1s"]));
    let id = send_event(&stack, 1).await;

    let dead = stack
        .poll_until(Duration::from_secs(30), async || !stack.dead_letters().await.unwrap().is_empty())
        .await;
    assert!(dead.unwrap(), "the message never reached the dead-letter queue");
    assert_eq!(receiver.received().len(), 2);
    let states: Vec<_> = stack.attempts(&id).await.unwrap().iter().map(|a| a.state).collect();
    assert_eq!(states, vec![DeliveryState::Retrying, DeliveryState::DeadLettered]);
}

#[tokio::test]
async fn endpoint_schedules_longer_than_the_deployments_and_names_resolving_to_private_addresses_are_refused()
{
    let mut stack = Stack::new(&[("RetrySchedule", "0s,1s,1s")]).await.unwrap();
    let too_long = json!({ "url": "https://hooks.example.com/", "retry_schedule": ["0s", "1s", "1s", "1s"] });
    let answer = stack.send("POST", "/v1/endpoints", &too_long.to_string()).await;
    assert_eq!((answer.status, answer.code()), (400, Some("invalid_request")), "{:?}", answer.body);

    // DNS says the name is internal: refused when written, with the address in the message.
    let lookup = Arc::new(ScriptedLookup::new(vec![vec!["10.20.30.40".parse().unwrap()]]));
    stack.ingest.settings_mut().urls = UrlGuard::new(AddressPolicy::public_only(), false, lookup);
    let internal = json!({ "url": "https://billing.internal.example.com/hook" });
    let answer = stack.send("POST", "/v1/endpoints", &internal.to_string()).await;
    assert_eq!((answer.status, answer.code()), (422, Some("url_not_allowed")), "{:?}", answer.body);
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("10.20.30.40"));
}

/// SQS fair queues: every delivery task carries its endpoint (with its tenant) as `MessageGroupId`, so a
/// slow endpoint's backlog is one noisy group. moto stores the key but does not model the fairness; what
/// AWS does with it is in docs/operating.md.
#[tokio::test]
async fn every_delivery_task_carries_its_endpoint_as_the_fair_queue_key() {
    use aws_sdk_sqs::types::MessageSystemAttributeName;
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver(Behaviour::default()).await;
    let endpoint = subscribe(&stack, &receiver, json!({})).await;
    send_event(&stack, 1).await;
    let received = stack
        .sqs()
        .receive_message()
        .queue_url(&stack.config.delivery_queue_url)
        .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let message = received.messages().first().expect("the delivery task is queued");
    let group = message.attributes().and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId));
    let expected = format!("{}/{}", stack.tenant.id, endpoint["id"].as_str().unwrap());
    assert_eq!(group.map(String::as_str), Some(expected.as_str()));
}
