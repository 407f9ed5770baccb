//! Resend, recover-since and test events end to end: ingest → SQS → delivery → a receiver on 127.0.0.1,
//! then the recovery routes through the real DynamoDB and SQS clients against the emulator.

use std::collections::BTreeSet;
use std::time::Duration;

use hookline::clock::{Clock as _, SystemClock};
use hookline_core::model::{DeliveryState, ErrorCode};
use hookline_core::time::rfc3339;
use hookline_local::receiver::{Behaviour, Receiver};
use hookline_tests::Stack;
use serde_json::{Value, json};

async fn receiver(behaviour: Behaviour) -> Receiver {
    hookline_tests::receiver(behaviour).await.unwrap()
}

async fn subscribe(stack: &Stack, receiver: &Receiver) -> String {
    stack.subscribe(receiver, json!({})).await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn send_event(stack: &Stack, n: u32) -> String {
    stack.send_event("invoice.paid", json!({ "n": n })).await.unwrap()
}

/// Polls until the message's latest recorded attempt is in `state`.
async fn settled(stack: &Stack, message: &str, state: DeliveryState) {
    let reached = stack
        .poll_until(Duration::from_secs(20), async || {
            stack.attempts(message).await.unwrap().last().is_some_and(|a| a.state == state)
        })
        .await
        .unwrap();
    assert!(reached, "{message} never became {state:?}: {:?}", stack.attempts(message).await.unwrap());
}

async fn set_enabled(stack: &Stack, endpoint: &str, enabled: bool) {
    let patch = json!({ "enabled": enabled }).to_string();
    assert_eq!(stack.send("PATCH", &format!("/v1/endpoints/{endpoint}"), &patch).await.status, 200);
}

fn webhook_ids(receiver: &Receiver, skip: usize) -> Vec<String> {
    receiver.received().iter().skip(skip).map(|r| r.header("webhook-id").unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_resend_of_a_delivered_message_delivers_it_again_with_the_same_webhook_id() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver(Behaviour::default()).await;
    let endpoint = subscribe(&stack, &receiver).await;
    let message = send_event(&stack, 1).await;
    settled(&stack, &message, DeliveryState::Succeeded).await;

    let resend = stack
        .send(
            "POST",
            &format!("/v1/messages/{message}/resend"),
            &json!({ "endpoint_id": endpoint }).to_string(),
        )
        .await;
    assert_eq!(resend.status, 202, "{}", resend.body);
    assert_eq!(resend.body, json!({ "message_id": message, "endpoint_id": endpoint }));
    let again = stack.poll_until(Duration::from_secs(10), async || receiver.received().len() >= 2).await;
    assert!(again.unwrap(), "the resent message never arrived");

    let requests = receiver.received();
    assert_eq!(webhook_ids(&receiver, 0), vec![message.clone(), message.clone()]);
    assert_eq!(requests[0].body, requests[1].body, "the same bytes");
    assert!(requests.iter().all(|r| r.verified == Some(Ok(())) && r.answered == 200));
    let detail = stack.send("GET", &format!("/v1/messages/{message}"), "").await;
    let delivery = &detail.body["deliveries"][0];
    let attempts: Vec<(u64, &str)> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["number"].as_u64().unwrap(), a["state"].as_str().unwrap()))
        .collect();
    assert_eq!(attempts, vec![(1, "succeeded"), (1, "succeeded")], "a resend is a fresh delivery");
    assert_eq!(delivery["state"].as_str(), Some("succeeded"));

    let missing = stack
        .send("POST", "/v1/messages/msg_nope/resend", &json!({ "endpoint_id": endpoint }).to_string())
        .await;
    assert_eq!((missing.status, missing.code()), (404, Some("not_found")));
    let malformed = stack.send("POST", &format!("/v1/messages/{message}/resend"), "{}").await;
    assert_eq!((malformed.status, malformed.code()), (400, Some("invalid_request")));
}

#[tokio::test]
async fn recover_since_resends_only_what_failed_after_the_time_abandoned_deliveries_included() {
    // One attempt per delivery: a failure dead-letters at once.
    let stack = Stack::new(&[("RetrySchedule", "0s")]).await.unwrap();
    let receiver = receiver(Behaviour { fail_first: 2, ..Behaviour::default() }).await;
    let endpoint = subscribe(&stack, &receiver).await;

    let before = send_event(&stack, 1).await;
    settled(&stack, &before, DeliveryState::DeadLettered).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let since = SystemClock.now_ms();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let dead = send_event(&stack, 2).await;
    settled(&stack, &dead, DeliveryState::DeadLettered).await;
    let delivered = send_event(&stack, 3).await;
    settled(&stack, &delivered, DeliveryState::Succeeded).await;
    // Queued while enabled, attempted while disabled: abandoned, not sent.
    let abandoned = send_event(&stack, 4).await;
    set_enabled(&stack, &endpoint, false).await;
    settled(&stack, &abandoned, DeliveryState::Abandoned).await;
    let last = stack.attempts(&abandoned).await.unwrap().pop().unwrap();
    assert_eq!(last.error_code, Some(ErrorCode::EndpointDisabled));
    assert_eq!(receiver.received().len(), 3);

    let recover_path = format!("/v1/endpoints/{endpoint}/recover");
    let recover = json!({ "since": rfc3339(since) }).to_string();
    let refused = stack.send("POST", &recover_path, &recover).await;
    assert_eq!((refused.status, refused.code()), (409, Some("endpoint_disabled")));
    set_enabled(&stack, &endpoint, true).await;
    let recovered = stack.send("POST", &recover_path, &recover).await;
    assert_eq!((recovered.status, &recovered.body), (202, &json!({ "resent": 2, "next_cursor": null })));

    let arrived = stack.poll_until(Duration::from_secs(20), async || receiver.received().len() >= 5).await;
    assert!(arrived.unwrap(), "only {} requests arrived", receiver.received().len());
    stack.poll().await.unwrap();
    let resent: BTreeSet<String> = webhook_ids(&receiver, 3).into_iter().collect();
    assert_eq!(resent, BTreeSet::from([dead.clone(), abandoned.clone()]));
    assert_eq!(receiver.received().len(), 5, "nothing else was sent again");
    for message in [&dead, &abandoned] {
        settled(&stack, message, DeliveryState::Succeeded).await;
        let detail = stack.send("GET", &format!("/v1/messages/{message}"), "").await;
        assert_eq!(detail.body["deliveries"][0]["state"].as_str(), Some("succeeded"));
    }

    let again = stack.send("POST", &recover_path, &recover).await;
    assert_eq!(again.body["resent"].as_u64(), Some(0), "what was recovered is not failed any more");
    let everything = stack.send("POST", &recover_path, &json!({ "since": rfc3339(0) }).to_string()).await;
    assert_eq!(everything.body["resent"].as_u64(), Some(1), "only the failure before the time is left");
    let arrived = stack.poll_until(Duration::from_secs(20), async || receiver.received().len() >= 6).await;
    assert!(arrived.unwrap());
    assert_eq!(webhook_ids(&receiver, 5), vec![before]);
    let bad = stack.send("POST", &recover_path, r#"{"since":"last tuesday"}"#).await;
    assert_eq!((bad.status, bad.code()), (400, Some("invalid_request")));
}

#[tokio::test]
async fn a_test_event_reaches_only_that_endpoint_signed_and_is_kept_in_the_attempt_log() {
    let stack = Stack::new(&[]).await.unwrap();
    let (target, bystander) = (receiver(Behaviour::default()).await, receiver(Behaviour::default()).await);
    let endpoint = subscribe(&stack, &target).await;
    subscribe(&stack, &bystander).await;

    let sent = stack.send("POST", &format!("/v1/endpoints/{endpoint}/test"), "").await;
    assert_eq!(sent.status, 202, "{}", sent.body);
    assert_eq!(
        (sent.body["event_type"].as_str(), sent.body["endpoint_id"].as_str()),
        (Some("hookline.test"), Some(endpoint.as_str()))
    );
    let message = sent.body["id"].as_str().unwrap().to_owned();
    let arrived = stack.poll_until(Duration::from_secs(10), async || !target.received().is_empty()).await;
    assert!(arrived.unwrap(), "the test event never arrived");
    stack.poll().await.unwrap();

    let got = &target.received()[0];
    assert_eq!((got.header("webhook-id"), got.verified.clone()), (Some(message.as_str()), Some(Ok(()))));
    let body: Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!((body["type"].as_str(), body["data"]["test"].as_bool()), (Some("hookline.test"), Some(true)));
    assert!(bystander.received().is_empty(), "a test event goes to one endpoint");
    settled(&stack, &message, DeliveryState::Succeeded).await;
    let listed = stack.send("GET", "/v1/messages?event_type=hookline.test", "").await;
    assert_eq!(listed.body["data"][0]["id"].as_str(), Some(message.as_str()));
}
