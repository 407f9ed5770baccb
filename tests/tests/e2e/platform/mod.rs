//! A platform with many customers: one platform key onboards tenants by the platform's own ids and acts
//! for any of them under `/v1/tenants/{id}/…`; tenant keys stay inside their own tenant. Portal sessions
//! are in `sessions.rs`. All through the ingest handler and the real SDK clients against the emulator.

mod sessions;

use std::time::Duration;

use hookline::store::AttemptStore as _;
use hookline_core::ids::{MessageId, TenantId};
use hookline_core::model::{DeliveryState, ErrorCode};
use hookline_local::receiver::Behaviour;
use hookline_tests::{Answer, Stack, receiver};
use serde_json::{Value, json};

/// A platform-key call.
async fn platform(stack: &Stack, key: &str, method: &str, path: &str, body: Value) -> Answer {
    let body = if body.is_null() { String::new() } else { body.to_string() };
    stack.call(method, path, Some(key), &[], &body).await
}

/// A tenant id no other test uses.
fn fresh_tenant_id(name: &str) -> String {
    format!("{name}_{}", hookline_core::ids::EndpointId::generate().as_str().trim_start_matches("ep_"))
}

#[tokio::test]
async fn putting_the_same_tenant_twice_makes_one_tenant_and_a_change_updates_it() {
    let stack = Stack::new(&[]).await.unwrap();
    let key = stack.platform_key().await.unwrap();
    let id = fresh_tenant_id("cus");
    let body = json!({ "name": "Acme", "metadata": { "plan": "pro" }, "ingest_rate_limit": 50 });
    let path = format!("/v1/tenants/{id}");

    let created = platform(&stack, &key, "PUT", &path, body.clone()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let again = platform(&stack, &key, "PUT", &path, body).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body, created.body, "a repeat leaves the same tenant");
    assert_eq!(created.body["id"], json!(id));
    assert_eq!(created.body["metadata"], json!({ "plan": "pro" }));

    let renamed = platform(&stack, &key, "PUT", &path, json!({ "name": "Acme Inc" })).await;
    assert_eq!((renamed.status, renamed.body["name"].clone()), (200, json!("Acme Inc")));
    assert_eq!(renamed.body["metadata"], json!({}), "PUT sets the whole settings");
    let fetched = platform(&stack, &key, "GET", &path, Value::Null).await;
    assert_eq!(fetched.body, renamed.body);

    let mut listed = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = platform(&stack, &key, "GET", &format!("/v1/tenants?limit=2{cursor}"), Value::Null).await;
        assert_eq!(page.status, 200, "{}", page.body);
        listed.extend(page.body["data"].as_array().unwrap().iter().map(|t| t["id"].clone()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(listed.iter().filter(|listed| **listed == json!(id)).count(), 1, "{listed:?}");
    assert!(listed.contains(&json!(stack.tenant.id)), "a tenant made by the CLI is listed too");
}

#[tokio::test]
async fn a_tenant_id_outside_the_documented_characters_is_refused_with_422() {
    let stack = Stack::new(&[]).await.unwrap();
    let key = stack.platform_key().await.unwrap();
    for bad in ["-acme", "a%23b", &"a".repeat(65)] {
        let answer = platform(&stack, &key, "PUT", &format!("/v1/tenants/{bad}"), json!({})).await;
        assert_eq!((answer.status, answer.code()), (422, Some("invalid_tenant_id")), "{bad}");
    }
}

#[tokio::test]
async fn a_platform_key_publishes_for_tenant_a_and_only_as_endpoints_receive_it() {
    let stack = Stack::new(&[]).await.unwrap();
    let key = stack.platform_key().await.unwrap();
    let (a, b) = (fresh_tenant_id("a"), fresh_tenant_id("b"));
    let (to_a, to_b) =
        (receiver(Behaviour::default()).await.unwrap(), receiver(Behaviour::default()).await.unwrap());
    for (tenant, receiver) in [(&a, &to_a), (&b, &to_b)] {
        assert_eq!(
            platform(&stack, &key, "PUT", &format!("/v1/tenants/{tenant}"), json!({})).await.status,
            201
        );
        let endpoint = json!({ "url": receiver.url("/hooks") });
        let made = platform(&stack, &key, "POST", &format!("/v1/tenants/{tenant}/endpoints"), endpoint).await;
        assert_eq!(made.status, 201, "{}", made.body);
    }

    let event = json!({ "event_type": "invoice.paid", "payload": { "n": 1 } });
    let accepted = platform(&stack, &key, "POST", &format!("/v1/tenants/{a}/events"), event).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let delivered =
        stack.poll_until(Duration::from_secs(10), async || !to_a.received().is_empty()).await.unwrap();
    assert!(delivered, "tenant A's endpoint got nothing");
    stack.poll().await.unwrap();
    assert!(to_b.received().is_empty(), "tenant B's endpoint got A's event");
    let message = accepted.body["id"].as_str().unwrap();
    let in_a =
        platform(&stack, &key, "GET", &format!("/v1/tenants/{a}/messages/{message}"), Value::Null).await;
    assert_eq!(in_a.status, 200);
    let in_b =
        platform(&stack, &key, "GET", &format!("/v1/tenants/{b}/messages/{message}"), Value::Null).await;
    assert_eq!(in_b.status, 404);

    let unprefixed = platform(&stack, &key, "GET", "/v1/endpoints", Value::Null).await;
    assert_eq!((unprefixed.status, unprefixed.code()), (403, Some("tenant_path_required")));
    let unknown = platform(&stack, &key, "GET", "/v1/tenants/nobody/endpoints", Value::Null).await;
    assert_eq!((unknown.status, unknown.code()), (404, Some("not_found")));
}

#[tokio::test]
async fn tenant_bs_key_on_as_ids_prefixed_or_not_gets_404_and_changes_nothing() {
    let stack = Stack::new(&[]).await.unwrap();
    let (b, b_key) = stack.other_tenant("b").await.unwrap();
    let endpoint =
        stack.send("POST", "/v1/endpoints", &json!({ "url": "https://a.example.com/h" }).to_string()).await;
    let endpoint_id = endpoint.body["id"].as_str().unwrap().to_owned();
    let a = stack.tenant.id.as_str();

    let attempts: [(&str, String, Value); 5] = [
        ("GET", format!("/v1/endpoints/{endpoint_id}"), Value::Null),
        ("DELETE", format!("/v1/endpoints/{endpoint_id}"), Value::Null),
        ("GET", format!("/v1/tenants/{a}/endpoints/{endpoint_id}"), Value::Null),
        ("PATCH", format!("/v1/tenants/{a}/endpoints/{endpoint_id}"), json!({ "enabled": false })),
        ("POST", format!("/v1/tenants/{a}/events"), json!({ "event_type": "x.y", "payload": {} })),
    ];
    for (method, path, body) in attempts {
        let answer = platform(&stack, &b_key, method, &path, body).await;
        assert_eq!((answer.status, answer.code()), (404, Some("not_found")), "{method} {path}");
    }
    let own = platform(&stack, &b_key, "GET", &format!("/v1/tenants/{}/endpoints", b.id), Value::Null).await;
    assert_eq!(own.status, 200, "a tenant key may name its own tenant");
    let still = stack.send("GET", &format!("/v1/endpoints/{endpoint_id}"), "").await;
    assert_eq!((still.status, still.body["enabled"].clone()), (200, json!(true)), "nothing changed");
    let messages = stack.send("GET", "/v1/messages", "").await;
    assert_eq!(messages.body["data"], json!([]), "B published nothing into A");
    let managing = platform(&stack, &b_key, "GET", "/v1/tenants", Value::Null).await;
    assert_eq!((managing.status, managing.code()), (403, Some("platform_key_required")));
}

#[tokio::test]
async fn a_revoked_platform_key_gets_401() {
    let stack = Stack::new(&[]).await.unwrap();
    let (key, token) = hookline::tenants::issue_platform_key(stack.ingest.store(), "ci", 0).await.unwrap();
    let token = token.expose().to_owned();
    assert_eq!(platform(&stack, &token, "GET", "/v1/tenants", Value::Null).await.status, 200);
    assert!(hookline::tenants::revoke_platform_key(stack.ingest.store(), key.id.as_str(), 1).await.unwrap());
    let refused = platform(&stack, &token, "GET", "/v1/tenants", Value::Null).await;
    assert_eq!((refused.status, refused.code()), (401, Some("unauthorized")));
    let acting =
        platform(&stack, &token, "GET", &format!("/v1/tenants/{}/endpoints", stack.tenant.id), Value::Null)
            .await;
    assert_eq!(acting.status, 401);
}

#[tokio::test]
async fn a_deleted_tenants_queued_deliveries_are_abandoned_with_the_reason_and_its_keys_stop() {
    let stack = Stack::new(&[]).await.unwrap();
    let key = stack.platform_key().await.unwrap();
    let to = receiver(Behaviour::default()).await.unwrap();
    stack.subscribe(&to, json!({})).await.unwrap();
    let message = stack.send_event("invoice.paid", json!({ "n": 1 })).await.unwrap();
    let tenant = stack.tenant.id.to_string();

    let deleted = platform(&stack, &key, "DELETE", &format!("/v1/tenants/{tenant}"), Value::Null).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let id = MessageId::parse(&message).unwrap();
    let tenant_id = TenantId::parse(&tenant).unwrap();
    let store = stack.delivery.store();
    let settled = stack
        .poll_until(Duration::from_secs(10), async || {
            store.attempts_for_message(&tenant_id, &id).await.is_ok_and(|attempts| !attempts.is_empty())
        })
        .await
        .unwrap();
    assert!(settled, "the queued delivery was never settled");
    let attempts = store.attempts_for_message(&tenant_id, &id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        (attempts[0].state, attempts[0].error_code),
        (DeliveryState::Abandoned, Some(ErrorCode::TenantDeleted))
    );
    assert!(to.received().is_empty(), "nothing is sent for a deleted tenant");

    let with_its_key = stack.send("GET", "/v1/endpoints", "").await;
    assert_eq!(with_its_key.status, 401, "the tenant's keys stop working");
    for (method, body) in [("GET", Value::Null), ("DELETE", Value::Null)] {
        let gone = platform(&stack, &key, method, &format!("/v1/tenants/{tenant}"), body).await;
        assert_eq!(gone.status, 404, "{method}");
    }
    let reused = platform(&stack, &key, "PUT", &format!("/v1/tenants/{tenant}"), json!({})).await;
    assert_eq!((reused.status, reused.code()), (409, Some("tenant_deleted")));
    let listed = platform(&stack, &key, "GET", "/v1/tenants?limit=100", Value::Null).await;
    assert!(!listed.body["data"].as_array().unwrap().iter().any(|t| t["id"] == json!(tenant)));
}
