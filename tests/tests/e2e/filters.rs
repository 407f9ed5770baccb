//! Payload filters and endpoint authentication, end to end: written through the API into DynamoDB,
//! applied at fan-out and delivery, so only matching endpoints get a delivery (a message nobody's filter
//! passes is still in the log) and the receiver sees the endpoint's Authorization beside the signature.

use std::time::Duration;

use hookline_local::receiver::Behaviour;
use hookline_tests::{Stack, receiver};
use serde_json::json;

#[tokio::test]
async fn only_endpoints_whose_payload_filter_matches_receive_the_event() {
    let stack = Stack::new(&[]).await.unwrap();
    let (big, eu, all) = (
        receiver(Behaviour::default()).await.unwrap(),
        receiver(Behaviour::default()).await.unwrap(),
        receiver(Behaviour::default()).await.unwrap(),
    );
    let big_filter = json!({ "amount": { "$gte": 100 }, "currency": "eur" });
    let made = stack.subscribe(&big, json!({ "payload_filter": big_filter })).await.unwrap();
    assert_eq!(made["payload_filter"], big_filter, "returned as written");
    stack
        .subscribe(
            &eu,
            json!({ "payload_filter": { "$or": [{ "region": { "$in": ["eu"] } }, { "vip": true }] } }),
        )
        .await
        .unwrap();
    stack.subscribe(&all, json!({})).await.unwrap();

    let (status, accepted) = stack
        .post("/v1/events", &json!({ "event_type": "invoice.paid", "payload": { "amount": 150, "currency": "eur", "region": "us" } }).to_string())
        .await;
    assert_eq!((status, accepted["endpoints"].clone()), (202, json!(2)), "{accepted}");
    let done = stack
        .poll_until(Duration::from_secs(10), async || big.received().len() == 1 && all.received().len() == 1)
        .await
        .unwrap();
    assert!(done, "the matching endpoints were not delivered to");
    stack.poll().await.unwrap();
    assert!(eu.received().is_empty(), "an endpoint whose filter does not match got the event");
    let stored = stack.send("GET", &format!("/v1/endpoints/{}", made["id"].as_str().unwrap()), "").await;
    assert_eq!(stored.body["payload_filter"], big_filter, "read back from DynamoDB as written");
}

#[tokio::test]
async fn a_message_no_endpoints_filter_matches_is_stored_and_visible_with_zero_deliveries() {
    let stack = Stack::new(&[]).await.unwrap();
    let to = receiver(Behaviour::default()).await.unwrap();
    stack.subscribe(&to, json!({ "payload_filter": { "amount": { "$gt": 1000 } } })).await.unwrap();
    let (status, accepted) = stack
        .post("/v1/events", &json!({ "event_type": "invoice.paid", "payload": { "amount": 5 } }).to_string())
        .await;
    assert_eq!((status, accepted["endpoints"].clone()), (202, json!(0)));
    let id = accepted["id"].as_str().unwrap();
    let message = stack.send("GET", &format!("/v1/messages/{id}"), "").await;
    assert_eq!((message.status, message.body["deliveries"].clone()), (200, json!([])));
    let listed = stack.send("GET", "/v1/messages", "").await;
    assert!(listed.body["data"].as_array().unwrap().iter().any(|m| m["id"] == json!(id)), "{}", listed.body);
    stack.poll().await.unwrap();
    assert!(to.received().is_empty());
}

#[tokio::test]
async fn a_bad_filter_is_refused_with_400_and_the_path_of_the_mistake_and_null_removes_one() {
    let stack = Stack::new(&[]).await.unwrap();
    let bad = json!({ "url": "https://a.example.com/h", "payload_filter": { "$and": [{ "a": 1 }, { "b": { "$gt": true } }] } });
    let refused = stack.send("POST", "/v1/endpoints", &bad.to_string()).await;
    assert_eq!((refused.status, refused.code()), (400, Some("invalid_filter")));
    let message = refused.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("$and.1.b.$gt"), "{message}");

    let made = stack
        .send(
            "POST",
            "/v1/endpoints",
            &json!({ "url": "https://a.example.com/h", "payload_filter": { "a": 1 } }).to_string(),
        )
        .await;
    let path = format!("/v1/endpoints/{}", made.body["id"].as_str().unwrap());
    let unknown =
        stack.send("PATCH", &path, &json!({ "payload_filter": { "a": { "$like": "x" } } }).to_string()).await;
    assert_eq!((unknown.status, unknown.code()), (400, Some("invalid_filter")));
    let cleared = stack.send("PATCH", &path, r#"{"payload_filter": null}"#).await;
    assert_eq!(cleared.status, 200);
    assert!(cleared.body.get("payload_filter").is_none(), "{}", cleared.body);
}

#[tokio::test]
async fn an_endpoints_basic_or_bearer_auth_reaches_the_receiver_and_is_never_shown_in_full() {
    let stack = Stack::new(&[]).await.unwrap();
    let (basic, bearer) =
        (receiver(Behaviour::default()).await.unwrap(), receiver(Behaviour::default()).await.unwrap());
    let made = stack
        .subscribe(
            &basic,
            json!({ "auth": { "type": "basic", "username": "hook", "password": "s3cret-pass-ab12" } }),
        )
        .await
        .unwrap();
    assert_eq!(made["auth"], json!({ "type": "basic", "username": "hook", "hint": "…ab12" }));
    let with_token = stack
        .subscribe(&bearer, json!({ "auth": { "type": "bearer", "token": "tok-live-9f3c" } }))
        .await
        .unwrap();
    stack.send_event("invoice.paid", json!({ "n": 1 })).await.unwrap();
    let done = stack
        .poll_until(Duration::from_secs(10), async || {
            !basic.received().is_empty() && !bearer.received().is_empty()
        })
        .await
        .unwrap();
    assert!(done);
    assert_eq!(basic.received()[0].header("authorization"), Some("Basic aG9vazpzM2NyZXQtcGFzcy1hYjEy"));
    assert_eq!(bearer.received()[0].header("authorization"), Some("Bearer tok-live-9f3c"));
    assert!(basic.received()[0].header("webhook-signature").is_some(), "beside the signature, not instead");

    let path = format!("/v1/endpoints/{}", with_token["id"].as_str().unwrap());
    let shown = stack.send("GET", &path, "").await;
    assert!(!shown.text.contains("tok-live"), "the token is shown in full: {}", shown.text);
    assert_eq!(shown.body["auth"], json!({ "type": "bearer", "hint": "…9f3c" }));
    let bad = stack
        .send(
            "PATCH",
            &path,
            &json!({ "auth": { "type": "basic", "username": "a:b", "password": "p" } }).to_string(),
        )
        .await;
    assert_eq!((bad.status, bad.code()), (400, Some("invalid_request")));
    let cleared = stack.send("PATCH", &path, r#"{"auth": null}"#).await;
    assert!(cleared.body.get("auth").is_none(), "{}", cleared.body);
}
