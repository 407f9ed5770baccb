//! The management API and production ingest, through the ingest handler and the real SDK clients against
//! the emulator. Every answer is also checked against `openapi/openapi.yaml` by the harness.

use std::net::SocketAddr;
use std::time::Duration;

use hookline::clock::{Clock as _, SystemClock};
use hookline::store::TenantStore as _;
use hookline_core::signing::{Secret, verify};
use hookline_local::receiver::{Behaviour, Received, Receiver};
use hookline_tests::{Answer, Stack};
use serde_json::{Value, json};

async fn receiver() -> Receiver {
    Receiver::start("127.0.0.1:0".parse::<SocketAddr>().unwrap(), Behaviour::default()).await.unwrap()
}

async fn create_endpoint(stack: &Stack, body: Value) -> Value {
    let answer = stack.send("POST", "/v1/endpoints", &body.to_string()).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body
}

fn id(value: &Value) -> &str {
    value["id"].as_str().unwrap()
}

/// Polls until every receiver has at least `n` requests.
async fn delivered(stack: &Stack, receivers: &[&Receiver], n: usize) -> bool {
    stack
        .poll_until(Duration::from_secs(10), async || receivers.iter().all(|r| r.received().len() >= n))
        .await
        .unwrap()
}

fn verifies(got: &Received, secret: &str) -> bool {
    let header = |name| got.header(name).unwrap();
    verify(
        &Secret::parse(secret).unwrap(),
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
        got.body.as_bytes(),
        SystemClock.now_secs(),
        300,
    )
    .is_ok()
}

#[tokio::test]
async fn endpoints_go_through_create_list_get_update_and_delete() {
    let stack = Stack::new(&[]).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        let created =
            create_endpoint(&stack, json!({ "url": format!("https://{n}.example.com/hook") })).await;
        ids.push(id(&created).to_owned());
    }

    let first = stack.send("GET", "/v1/endpoints?limit=2", "").await;
    assert_eq!((first.status, first.body["data"].as_array().unwrap().len()), (200, 2));
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = stack.send("GET", &format!("/v1/endpoints?limit=2&cursor={cursor}"), "").await;
    assert_eq!(second.body["data"].as_array().unwrap().len(), 1);
    assert!(second.body["next_cursor"].is_null());
    let mut listed: Vec<String> = [first.body, second.body]
        .iter()
        .flat_map(|page| page["data"].as_array().unwrap().iter().map(|e| id(e).to_owned()))
        .collect();
    listed.sort();
    ids.sort();
    assert_eq!(listed, ids);

    let path = format!("/v1/endpoints/{}", ids[0]);
    let patch = json!({ "description": "billing", "event_types": ["invoice.*"], "rate_limit": 10,
                        "headers": { "X-Team": "billing" }, "metadata": { "owner": "ops" } });
    let updated = stack.send("PATCH", &path, &patch.to_string()).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let fetched = stack.send("GET", &path, "").await;
    assert_eq!(fetched.body, updated.body);
    assert_eq!(fetched.body["event_types"], json!(["invoice.*"]));
    assert_eq!(fetched.body["headers"], json!({ "x-team": "billing" }));
    assert_eq!((fetched.body["rate_limit"].as_u64(), fetched.body.get("secret")), (Some(10), None));

    assert_eq!(stack.send("DELETE", &path, "").await.status, 204);
    assert_eq!(stack.send("GET", &path, "").await.code(), Some("not_found"));
    assert_eq!(stack.send("DELETE", &path, "").await.status, 404);
}

#[tokio::test]
async fn a_tenant_can_neither_read_list_change_delete_nor_send_to_another_tenants_resources() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver().await;
    let mine = create_endpoint(&stack, json!({ "url": receiver.url("/a") })).await;
    let (_, other_key) = stack.other_tenant("other").await.unwrap();
    let as_other = async |method: &str, path: &str, body: &str| -> Answer {
        stack.call(method, path, Some(&other_key), &[], body).await
    };

    let path = format!("/v1/endpoints/{}", id(&mine));
    assert_eq!(as_other("GET", &path, "").await.status, 404);
    assert_eq!(as_other("PATCH", &path, r#"{"enabled":false}"#).await.status, 404);
    assert_eq!(as_other("GET", &format!("{path}/secret"), "").await.status, 404);
    assert_eq!(as_other("POST", &format!("{path}/secret/rotate"), "").await.status, 404);
    assert_eq!(as_other("DELETE", &path, "").await.status, 404);
    assert_eq!(as_other("GET", "/v1/endpoints", "").await.body["data"], json!([]));
    let keys = stack.send("GET", "/v1/api-keys", "").await;
    let my_key_path = format!("/v1/api-keys/{}", id(&keys.body["data"][0]));
    assert_eq!(as_other("DELETE", &my_key_path, "").await.status, 404);

    let theirs = as_other("POST", "/v1/events", r#"{"event_type":"invoice.paid","payload":{}}"#).await;
    assert_eq!((theirs.status, theirs.body["endpoints"].as_u64()), (202, Some(0)));
    stack.poll().await.unwrap();
    assert!(receiver.received().is_empty(), "another tenant's event reached my endpoint");

    let still_mine = stack.send("GET", &path, "").await;
    assert_eq!((still_mine.status, still_mine.body["enabled"].as_bool()), (200, Some(true)));
    assert_eq!(stack.send("GET", "/v1/tenant", "").await.status, 200);
}

#[tokio::test]
async fn during_a_rotation_deliveries_carry_both_signatures_and_after_it_only_the_new_one() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver().await;
    let endpoint = create_endpoint(&stack, json!({ "url": receiver.url("/hooks") })).await;
    let old = endpoint["secret"].as_str().unwrap().to_owned();
    let rotate = format!("/v1/endpoints/{}/secret/rotate", id(&endpoint));

    let rotated = stack.send("POST", &rotate, r#"{"grace_period_secs":3600}"#).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(rotated.body["previous"][0]["secret"].as_str(), Some(old.as_str()));
    stack.post("/v1/events", r#"{"event_type":"a.b","payload":{"n":1}}"#).await;
    assert!(delivered(&stack, &[&receiver], 1).await);
    let during = &receiver.received()[0];
    assert_eq!(during.header("webhook-signature").unwrap().split(' ').count(), 2);
    assert!(verifies(during, &old) && verifies(during, &new));

    // A rotation without grace ends the previous secrets at once.
    let newest = stack.send("POST", &rotate, r#"{"grace_period_secs":0}"#).await;
    let newest = newest.body["secret"].as_str().unwrap().to_owned();
    stack.post("/v1/events", r#"{"event_type":"a.b","payload":{"n":2}}"#).await;
    assert!(delivered(&stack, &[&receiver], 2).await);
    let after = &receiver.received()[1];
    assert_eq!(after.header("webhook-signature").unwrap().split(' ').count(), 1);
    assert!(verifies(after, &newest) && !verifies(after, &new) && !verifies(after, &old));
    let secret = stack.send("GET", &format!("/v1/endpoints/{}/secret", id(&endpoint)), "").await;
    assert_eq!(secret.body, json!({ "secret": newest, "previous": [] }));
}

#[tokio::test]
async fn a_batch_accepts_its_valid_items_reports_each_and_delivers_the_accepted_ones() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver().await;
    create_endpoint(&stack, json!({ "url": receiver.url("/hooks"), "event_types": ["invoice.*"] })).await;
    let batch = json!({ "events": [
        { "event_type": "invoice.paid", "payload": { "n": 0 } },
        { "event_type": "invoice.paid", "payload": [0] },
        { "event_type": "bad..type", "payload": {} },
        { "event_type": "invoice.voided", "payload": { "n": 3 }, "id": "inv-3" },
        { "payload": {} },
    ]});
    let answer = stack.send("POST", "/v1/events/batch", &batch.to_string()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let statuses: Vec<u64> =
        answer.body["results"].as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, vec![202, 400, 400, 202, 400]);
    assert_eq!((answer.body["accepted"].as_u64(), answer.body["rejected"].as_u64()), (Some(2), Some(3)));
    assert_eq!(answer.body["results"][4]["error"]["code"].as_str(), Some("invalid_request"));

    assert!(delivered(&stack, &[&receiver], 2).await);
    stack.poll().await.unwrap();
    let mut types: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(types, vec!["invoice.paid", "invoice.voided"]);

    let too_many = json!({ "events": vec![json!({ "event_type": "a.b", "payload": {} }); 101] });
    let refused = stack.send("POST", "/v1/events/batch", &too_many.to_string()).await;
    assert_eq!((refused.status, refused.code()), (400, Some("invalid_request")));
}

#[tokio::test]
async fn concurrent_duplicates_by_idempotency_key_make_one_message_and_one_delivery_per_endpoint() {
    let stack = Stack::new(&[]).await.unwrap();
    let (one, two) = (receiver().await, receiver().await);
    create_endpoint(&stack, json!({ "url": one.url("/hooks") })).await;
    create_endpoint(&stack, json!({ "url": two.url("/hooks") })).await;
    let body = r#"{"event_type":"order.created","payload":{"order":"o_1"}}"#;
    let headers = [("idempotency-key", "order-o_1")];
    let copies = (0..6).map(|_| stack.call("POST", "/v1/events", Some(&stack.token), &headers, body));
    let answers = futures::future::join_all(copies).await;
    assert!(answers.iter().all(|a| a.status == 202 && a.body == answers[0].body), "{answers:?}");
    assert_eq!(answers.iter().filter(|a| a.header("idempotent-replayed").is_none()).count(), 1);

    assert!(delivered(&stack, &[&one, &two], 1).await);
    stack.poll().await.unwrap();
    assert_eq!((one.received().len(), two.received().len()), (1, 1));
    let message_id = answers[0].body["id"].as_str().unwrap();
    assert_eq!(stack.attempts(message_id).await.unwrap().len(), 2);
}

#[tokio::test]
async fn event_types_are_registered_listed_and_enforced_when_the_tenant_asks() {
    let stack = Stack::new(&[]).await.unwrap();
    let registered = json!({ "name": "invoice.paid", "description": "An invoice was paid",
                             "example": { "invoice": "in_1", "amount": 4200 } });
    let created = stack.send("POST", "/v1/event-types", &registered.to_string()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        stack.send("POST", "/v1/event-types", &registered.to_string()).await.code(),
        Some("event_type_exists")
    );
    stack.send("POST", "/v1/event-types", r#"{"name":"invoice.voided"}"#).await;
    let listed = stack.send("GET", "/v1/event-types", "").await;
    let names: Vec<&str> =
        listed.body["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["invoice.paid", "invoice.voided"]);
    let one = stack.send("GET", "/v1/event-types/invoice.paid", "").await;
    assert_eq!(one.body["example"]["amount"].as_u64(), Some(4200));

    let unregistered = r#"{"event_type":"user.created","payload":{}}"#;
    assert_eq!(stack.post("/v1/events", unregistered).await.0, 202, "allowed until the tenant opts in");
    let strict = stack.send("PATCH", "/v1/tenant", r#"{"reject_unregistered_event_types":true}"#).await;
    assert_eq!(strict.body["reject_unregistered_event_types"].as_bool(), Some(true));
    let refused = stack.send("POST", "/v1/events", unregistered).await;
    assert_eq!((refused.status, refused.code()), (422, Some("unregistered_event_type")));
    assert_eq!(stack.post("/v1/events", r#"{"event_type":"invoice.paid","payload":{}}"#).await.0, 202);

    assert_eq!(stack.send("DELETE", "/v1/event-types/invoice.paid", "").await.status, 204);
    assert_eq!(stack.send("GET", "/v1/event-types/invoice.paid", "").await.status, 404);
    let now_refused = stack.send("POST", "/v1/events", r#"{"event_type":"invoice.paid","payload":{}}"#).await;
    assert_eq!(now_refused.status, 422);
}

#[tokio::test]
async fn a_revoked_key_is_refused_while_the_tenants_other_keys_keep_working() {
    // With the access cache on, as deployed: the instance that revokes the key drops its copy.
    let stack = Stack::new(&[("HOOKLINE_ACCESS_CACHE_SECS", "5")]).await.unwrap();
    let issued = stack.send("POST", "/v1/api-keys", r#"{"name":"deploy-bot"}"#).await;
    assert_eq!(issued.status, 201);
    let key = issued.body["key"].as_str().unwrap().to_owned();
    let with_key = async |key: &str| stack.call("GET", "/v1/endpoints", Some(key), &[], "").await;
    assert_eq!(with_key(&key).await.status, 200);

    let revoke = stack.send("DELETE", &format!("/v1/api-keys/{}", id(&issued.body)), "").await;
    assert_eq!(revoke.status, 204);
    let refused = with_key(&key).await;
    assert_eq!((refused.status, refused.code()), (401, Some("unauthorized")));
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
    assert_eq!(with_key(&stack.token).await.status, 200);
    let listed = stack.send("GET", "/v1/api-keys", "").await;
    let revoked =
        listed.body["data"].as_array().unwrap().iter().find(|k| k["id"] == issued.body["id"]).unwrap();
    assert!(revoked["revoked_at"].is_string());
}

/// method, path, key, body, expected status, expected code.
type Case<'a> = (&'a str, &'a str, Option<&'a str>, String, u16, &'a str);

#[tokio::test]
async fn every_client_mistake_gets_its_own_status_and_code() {
    let stack = Stack::new(&[]).await.unwrap();
    let event = r#"{"event_type":"a.b","payload":{},"id":"e-1"}"#;
    stack.post("/v1/events", event).await;
    let big = format!(r#"{{"event_type":"a.b","payload":{{"pad":"{}"}}}}"#, "x".repeat(300 * 1024));
    let cases: Vec<Case> = vec![
        ("POST", "/v1/events", Some(&stack.token), "{oops".into(), 400, "invalid_json"),
        ("POST", "/v1/events", Some(&stack.token), r#"{"payload":{}}"#.into(), 400, "invalid_request"),
        ("POST", "/v1/endpoints", Some(&stack.token), r#"{"url":"ftp://x"}"#.into(), 400, "invalid_url"),
        ("GET", "/v1/endpoints?cursor=Zm9v", Some(&stack.token), String::new(), 400, "invalid_cursor"),
        ("GET", "/v1/endpoints", None, String::new(), 401, "unauthorized"),
        ("GET", "/v1/endpoints", Some("hlk_nope"), String::new(), 401, "unauthorized"),
        ("GET", "/v1/endpoints/ep_missing", Some(&stack.token), String::new(), 404, "not_found"),
        ("GET", "/v1/nowhere", Some(&stack.token), String::new(), 404, "not_found"),
        ("PUT", "/v1/endpoints", Some(&stack.token), String::new(), 405, "method_not_allowed"),
        ("POST", "/v1/events", Some(&stack.token), event.replace("{}", r#"{"n":2}"#), 409, "id_conflict"),
        ("POST", "/v1/events", Some(&stack.token), big, 413, "body_too_large"),
        (
            "POST",
            "/v1/endpoints",
            Some(&stack.token),
            r#"{"url":"https://10.1.2.3/"}"#.into(),
            422,
            "url_not_allowed",
        ),
    ];
    for (method, path, key, body, status, code) in cases {
        let answer = stack.call(method, path, key, &[], &body).await;
        assert_eq!((answer.status, answer.code()), (status, Some(code)), "{method} {path}");
    }

    let mut limited = stack.tenant.clone();
    limited.ingest_rate_limit = Some(1);
    stack.ingest.store().update_tenant(&limited).await.unwrap();
    // Limit 1/s: of three requests sent within the same second or two, at least one is refused.
    let answers = futures::future::join_all(
        (0..3).map(|_| stack.send("POST", "/v1/events", r#"{"event_type":"a.b","payload":{}}"#)),
    )
    .await;
    let refused = answers.iter().find(|a| a.status == 429).expect("one of three is over the limit");
    assert_eq!((refused.code(), refused.header("retry-after")), (Some("rate_limited"), Some("1")));
}

#[tokio::test]
async fn an_endpoints_custom_headers_reach_the_receiver_beside_the_signature() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver().await;
    create_endpoint(&stack, json!({ "url": receiver.url("/hooks"), "headers": { "X-Team": "billing" } }))
        .await;
    stack.post("/v1/events", r#"{"event_type":"a.b","payload":{}}"#).await;
    assert!(delivered(&stack, &[&receiver], 1).await);
    let got = &receiver.received()[0];
    assert_eq!(got.header("x-team"), Some("billing"));
    assert!(got.header("webhook-signature").is_some());
}

#[tokio::test]
async fn receivers_read_the_source_addresses_without_a_key() {
    let stack = Stack::new(&[]).await.unwrap();
    let answer = stack.call("GET", "/v1/source-ips", None, &[], "").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, json!({ "fixed": false, "source_ips": [] }), "StaticSourceIps is off by default");
}
