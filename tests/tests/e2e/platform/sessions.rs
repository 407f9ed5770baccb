//! Portal sessions: a single-use magic link, a session scoped to its tenant and capabilities, checked on
//! every request, expiring and revocable.

use std::time::Duration;

use hookline::clock::{Clock as _, SystemClock};
use hookline::store::PortalSessionStore as _;
use hookline_core::portal::PortalSession;
use hookline_tests::Stack;
use serde_json::{Value, json};

/// A magic link for the stack's tenant with `capabilities`, made with the tenant's own key.
async fn link(stack: &Stack, capabilities: &[&str]) -> String {
    let body = json!({ "capabilities": capabilities }).to_string();
    let answer = stack.send("POST", "/v1/portal-sessions", &body).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let url = answer.body["url"].as_str().unwrap();
    url.split_once("token=").unwrap().1.to_owned()
}

async fn exchange(stack: &Stack, token: &str) -> hookline_tests::Answer {
    stack
        .call("POST", "/v1/portal-sessions/exchange", None, &[], &json!({ "token": token }).to_string())
        .await
}

async fn open_session(stack: &Stack, capabilities: &[&str]) -> String {
    let opened = exchange(stack, &link(stack, capabilities).await).await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    opened.body["session_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_portal_link_works_once_and_never_twice() {
    let stack = Stack::new(&[]).await.unwrap();
    let token = link(&stack, &["replay"]).await;
    let opened = exchange(&stack, &token).await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    assert_eq!(opened.body["tenant_id"], json!(stack.tenant.id));
    assert_eq!(opened.body["capabilities"], json!(["view", "replay"]));
    let replayed = exchange(&stack, &token).await;
    assert_eq!((replayed.status, replayed.code()), (401, Some("unauthorized")));
    let as_a_key = stack.call("GET", "/v1/endpoints", Some(&token), &[], "").await;
    assert_eq!(as_a_key.status, 401, "a link is not a credential");
    let session = opened.body["session_token"].as_str().unwrap();
    assert_eq!(stack.call("GET", "/v1/endpoints", Some(session), &[], "").await.status, 200);
}

#[tokio::test]
async fn a_platform_key_opens_a_portal_session_for_any_tenant_and_a_session_sees_only_its_own() {
    let stack = Stack::new(&[]).await.unwrap();
    let key = stack.platform_key().await.unwrap();
    let path = format!("/v1/tenants/{}/portal-sessions", stack.tenant.id);
    let answer = stack.call("POST", &path, Some(&key), &[], &json!({ "expires_in": 600 }).to_string()).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert!(answer.body["url"].as_str().unwrap().contains("/portal/login?token=hll_"), "{}", answer.body);
    let token = answer.body["url"].as_str().unwrap().split_once("token=").unwrap().1;
    let opened = exchange(&stack, token).await;
    let session = opened.body["session_token"].as_str().unwrap();
    let (other, _) = stack.other_tenant("other").await.unwrap();
    let elsewhere =
        stack.call("GET", &format!("/v1/tenants/{}/endpoints", other.id), Some(session), &[], "").await;
    assert_eq!(elsewhere.status, 404);
    let bad =
        stack.call("POST", &path, Some(&key), &[], &json!({ "capabilities": ["admin"] }).to_string()).await;
    assert_eq!((bad.status, bad.code()), (422, Some("unknown_capability")));
    let long = stack.call("POST", &path, Some(&key), &[], &json!({ "expires_in": 90_000 }).to_string()).await;
    assert_eq!((long.status, long.code()), (422, Some("invalid_expires_in")));
}

#[tokio::test]
async fn an_expired_session_gets_401() {
    let stack = Stack::new(&[]).await.unwrap();
    // The API's shortest session is a minute; this one is written through the store to end in 1.5 s.
    let now = SystemClock.now_ms();
    let (mut offered, link) = PortalSession::offer(stack.tenant.id.clone(), &[], None, now).unwrap();
    offered.expires_at_ms = now + 1_500;
    stack.ingest.store().put_portal_session(&offered).await.unwrap();
    let opened = exchange(&stack, link.expose()).await;
    let session = opened.body["session_token"].as_str().unwrap().to_owned();
    assert_eq!(stack.call("GET", "/v1/endpoints", Some(&session), &[], "").await.status, 200);
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let expired = stack.call("GET", "/v1/endpoints", Some(&session), &[], "").await;
    assert_eq!((expired.status, expired.code()), (401, Some("unauthorized")));
}

#[tokio::test]
async fn a_view_only_session_is_refused_rotate_resend_and_endpoint_changes_with_403() {
    let stack = Stack::new(&[]).await.unwrap();
    let endpoint =
        stack.send("POST", "/v1/endpoints", &json!({ "url": "https://a.example.com/h" }).to_string()).await;
    let endpoint_id = endpoint.body["id"].as_str().unwrap().to_owned();
    let message = stack.send_event("invoice.paid", json!({})).await.unwrap();
    let session = open_session(&stack, &[]).await;

    let ep = format!("/v1/endpoints/{endpoint_id}");
    let refused: [(&str, String, Value, &str); 7] = [
        ("POST", format!("{ep}/secret/rotate"), json!({}), "capability_missing"),
        ("GET", format!("{ep}/secret"), Value::Null, "capability_missing"),
        (
            "POST",
            format!("/v1/messages/{message}/resend"),
            json!({ "endpoint_id": endpoint_id }),
            "capability_missing",
        ),
        ("PATCH", ep.clone(), json!({ "enabled": false }), "capability_missing"),
        ("DELETE", ep.clone(), Value::Null, "capability_missing"),
        ("POST", "/v1/endpoints".into(), json!({ "url": "https://b.example.com/h" }), "capability_missing"),
        ("POST", "/v1/events".into(), json!({ "event_type": "a.b", "payload": {} }), "api_key_required"),
    ];
    for (method, path, body, code) in refused {
        let body = if body.is_null() { String::new() } else { body.to_string() };
        let answer = stack.call(method, &path, Some(&session), &[], &body).await;
        assert_eq!((answer.status, answer.code()), (403, Some(code)), "{method} {path}");
    }
    let unchanged = stack.send("GET", &ep, "").await;
    assert_eq!(unchanged.body["enabled"], json!(true));
    assert_eq!(stack.call("GET", &ep, Some(&session), &[], "").await.status, 200, "viewing is allowed");
    let log = stack.call("GET", &format!("/v1/messages/{message}"), Some(&session), &[], "").await;
    assert_eq!(log.status, 200);

    let secrets = open_session(&stack, &["secrets"]).await;
    let rotated = stack.call("POST", &format!("{ep}/secret/rotate"), Some(&secrets), &[], "{}").await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
}

#[tokio::test]
async fn revoking_a_tenants_sessions_ends_them_at_once() {
    let stack = Stack::new(&[]).await.unwrap();
    let session = open_session(&stack, &["manage_endpoints"]).await;
    assert_eq!(stack.call("GET", "/v1/endpoints", Some(&session), &[], "").await.status, 200);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let revoked = stack.send("DELETE", "/v1/portal-sessions", "").await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    assert_eq!(stack.call("GET", "/v1/endpoints", Some(&session), &[], "").await.status, 401);
    let from_session = stack.call("DELETE", "/v1/portal-sessions", Some(&session), &[], "").await;
    assert_eq!(from_session.status, 401);
}
