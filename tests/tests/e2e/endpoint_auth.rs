//! OAuth2 client credentials and Ed25519 v1a signatures, end to end: written through the API into
//! DynamoDB, used by the delivery function with the real HTTP sender against a token endpoint and a
//! receiver on loopback, and v1a signatures checked with Python's `cryptography` (nobody here wrote it).

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hookline_local::receiver::Behaviour;
use hookline_tests::{Stack, receiver};
use serde_json::{Value, json};

/// A token endpoint issuing `at-1`, `at-2`, … to client `hookline`, and a receiver that takes only
/// tokens from `accept_from` on (earlier ones are "revoked").
#[derive(Default)]
struct AuthServer {
    issued: AtomicU32,
    accept_from: AtomicU32,
    refuse_clients: std::sync::atomic::AtomicBool,
    forms: Mutex<Vec<String>>,
    deliveries: Mutex<Vec<(String, StatusCode)>>,
}

async fn token(
    State(server): State<Arc<AuthServer>>,
    headers: HeaderMap,
    form: String,
) -> (StatusCode, String) {
    server.forms.lock().unwrap().push(form);
    let basic = headers.get("authorization").and_then(|v| v.to_str().ok());
    // base64("hookline:cs-9f3a")
    if server.refuse_clients.load(Ordering::SeqCst) || basic != Some("Basic aG9va2xpbmU6Y3MtOWYzYQ==") {
        return (StatusCode::UNAUTHORIZED, json!({ "error": "invalid_client" }).to_string());
    }
    let n = server.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let answer = json!({ "access_token": format!("at-{n}"), "token_type": "Bearer", "expires_in": 3600 });
    (StatusCode::OK, answer.to_string())
}

async fn hook(State(server): State<Arc<AuthServer>>, headers: HeaderMap) -> StatusCode {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let number: u32 = auth.strip_prefix("Bearer at-").and_then(|n| n.parse().ok()).unwrap_or(0);
    let status = if number >= server.accept_from.load(Ordering::SeqCst).max(1) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::UNAUTHORIZED
    };
    server.deliveries.lock().unwrap().push((auth, status));
    status
}

async fn auth_server() -> (Arc<AuthServer>, String) {
    let server = Arc::new(AuthServer::default());
    let app = axum::Router::new()
        .route("/token", post(token))
        .route("/hooks", post(hook))
        .with_state(Arc::clone(&server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (server, base)
}

fn grant(base: &str) -> Value {
    json!({ "type": "oauth2_client_credentials", "token_url": format!("{base}/token"),
            "client_id": "hookline", "client_secret": "cs-9f3a", "scope": "webhooks" })
}

async fn create(stack: &Stack, body: Value) -> Value {
    let (status, endpoint) = stack.post("/v1/endpoints", &body.to_string()).await;
    assert_eq!(status, 201, "{endpoint}");
    endpoint
}

#[tokio::test]
async fn an_oauth2_token_is_fetched_once_reused_and_fetched_again_when_the_endpoint_answers_401() {
    let stack = Stack::new(&[]).await.unwrap();
    let (server, base) = auth_server().await;
    let endpoint = create(&stack, json!({ "url": format!("{base}/hooks"), "auth": grant(&base) })).await;
    assert_eq!(
        endpoint["auth"],
        json!({ "type": "oauth2_client_credentials", "token_url": format!("{base}/token"),
                "client_id": "hookline", "scope": "webhooks", "hint": "…9f3a" })
    );
    let delivered = async |count: usize| {
        stack
            .poll_until(Duration::from_secs(15), async || {
                server.deliveries.lock().unwrap().iter().filter(|(_, s)| s.is_success()).count() >= count
            })
            .await
            .unwrap()
    };
    for n in 0..3 {
        stack.send_event("invoice.paid", json!({ "n": n })).await.unwrap();
    }
    assert!(delivered(3).await);
    assert_eq!(server.issued.load(Ordering::SeqCst), 1, "one token for three deliveries");
    assert_eq!(server.forms.lock().unwrap()[0], "grant_type=client_credentials&scope=webhooks");

    // The authorization server revokes at-1: the next delivery gets 401, fetches at-2 and sends again.
    server.accept_from.store(2, Ordering::SeqCst);
    stack.send_event("invoice.paid", json!({ "n": 3 })).await.unwrap();
    assert!(delivered(4).await);
    assert_eq!(server.issued.load(Ordering::SeqCst), 2);
    let last: Vec<(String, StatusCode)> =
        server.deliveries.lock().unwrap().iter().rev().take(2).cloned().collect();
    assert_eq!(
        last,
        [
            ("Bearer at-2".to_owned(), StatusCode::NO_CONTENT),
            ("Bearer at-1".to_owned(), StatusCode::UNAUTHORIZED)
        ]
    );
    let endpoint_id = endpoint["id"].as_str().unwrap();
    let attempts = stack.send("GET", &format!("/v1/endpoints/{endpoint_id}/attempts"), "").await;
    let data = attempts.body["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(data.len(), 4, "the refetch and second send are part of one attempt: {}", attempts.body);
    assert!(data.iter().all(|a| a["status_code"] == 204 && a["number"] == 1), "{}", attempts.body);
    let shown = stack.send("GET", &format!("/v1/endpoints/{}", endpoint["id"].as_str().unwrap()), "").await;
    assert!(!shown.text.contains("cs-9f3a") && !shown.text.contains("at-"), "{}", shown.text);
}

#[tokio::test]
async fn a_token_endpoint_that_refuses_the_client_fails_the_attempt_with_e_oauth_token_and_posts_nothing() {
    let stack = Stack::new(&[]).await.unwrap();
    let (server, base) = auth_server().await;
    server.refuse_clients.store(true, Ordering::SeqCst);
    let endpoint = create(&stack, json!({ "url": format!("{base}/hooks"), "auth": grant(&base) })).await;
    stack.send_event("invoice.paid", json!({ "n": 1 })).await.unwrap();
    let path = format!("/v1/endpoints/{}/attempts", endpoint["id"].as_str().unwrap());
    let recorded = stack
        .poll_until(Duration::from_secs(15), async || {
            stack.send("GET", &path, "").await.body["data"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await
        .unwrap();
    assert!(recorded);
    let attempt = stack.send("GET", &path, "").await.body["data"][0].clone();
    assert_eq!(attempt["error_code"], "E_OAUTH_TOKEN", "{attempt}");
    assert_eq!(attempt["state"], "retrying");
    assert!(attempt["error_detail"].as_str().unwrap().contains("invalid_client"), "{attempt}");
    assert!(server.deliveries.lock().unwrap().is_empty(), "nothing is POSTed without a token");
}

#[tokio::test]
async fn a_token_url_on_a_private_address_is_refused_when_written() {
    let stack = Stack::new(&[]).await.unwrap();
    let mut auth = grant("http://10.20.30.40");
    let body = json!({ "url": "https://example.com/hooks", "auth": auth.clone() });
    let refused = stack.send("POST", "/v1/endpoints", &body.to_string()).await;
    assert_eq!((refused.status, refused.code()), (422, Some("url_not_allowed")), "{}", refused.text);
    auth["token_url"] = json!("not a url");
    let body = json!({ "url": "https://example.com/hooks", "auth": auth });
    let bad = stack.send("POST", "/v1/endpoints", &body.to_string()).await;
    assert_eq!((bad.status, bad.code()), (400, Some("invalid_request")), "{}", bad.text);
}

/// Verifies the delivery's `v1a` signatures with `cryptography`'s Ed25519, following the spec's signed
/// content; the exit code says whether any verified.
fn python_verifies_v1a(public_key: &str, headers: &BTreeMap<String, String>, body: &str) -> Option<i32> {
    let python =
        std::env::var("HOOKLINE_PYTHON").expect("HOOKLINE_PYTHON: run the tests with scripts/test.sh");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/verify_v1a.py");
    let mut child =
        Command::new(python).arg(script).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let headers: serde_json::Map<String, Value> =
        headers.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let request = json!({ "public_key": public_key, "headers": headers, "body": body });
    serde_json::to_writer(child.stdin.take().unwrap(), &request).unwrap();
    child.wait().unwrap().code()
}

#[tokio::test]
async fn v1a_signatures_verify_with_pythons_ed25519_beside_v1_and_through_a_rotation() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver(Behaviour::default()).await.unwrap();
    let endpoint = stack.subscribe(&receiver, json!({ "signature_versions": ["v1", "v1a"] })).await.unwrap();
    assert_eq!(endpoint["signature_versions"], json!(["v1", "v1a"]));
    let public_key = endpoint["public_key"].as_str().unwrap().to_owned();
    assert!(public_key.starts_with("whpk_"), "{endpoint}");
    let id = endpoint["id"].as_str().unwrap().to_owned();
    let secret = stack.send("GET", &format!("/v1/endpoints/{id}/secret"), "").await;
    assert_eq!(secret.body["public_keys"], json!([{ "public_key": public_key }]));
    assert!(!secret.text.contains("whsk_"), "the signing key never leaves: {}", secret.text);

    stack.send_event("invoice.paid", json!({ "amount": 4200 })).await.unwrap();
    let arrived = stack.poll_until(Duration::from_secs(15), async || !receiver.received().is_empty()).await;
    assert!(arrived.unwrap());
    let got = receiver.received();
    let (headers, body) = (got[0].headers.clone(), got[0].body.clone());
    assert_eq!(got[0].verified, Some(Ok(())), "v1 still verifies beside v1a");
    assert_eq!(python_verifies_v1a(&public_key, &headers, &body), Some(0));
    assert_eq!(python_verifies_v1a(&public_key, &headers, &body.replace("4200", "4201")), Some(1));

    // v1a only, after a rotation: the old and the new key both sign during the grace period.
    let path = format!("/v1/endpoints/{id}");
    let changed = stack.send("PATCH", &path, r#"{"signature_versions": ["v1a"]}"#).await;
    assert_eq!(changed.body["public_key"], json!(public_key), "the key is kept: {}", changed.text);
    let rotated =
        stack.send("POST", &format!("{path}/secret/rotate"), r#"{"grace_period_secs": 3600}"#).await;
    let keys = rotated.body["public_keys"].as_array().cloned().unwrap_or_default();
    assert_eq!(keys.len(), 2, "{}", rotated.text);
    assert_eq!(keys[1]["public_key"], json!(public_key));
    let new_key = keys[0]["public_key"].as_str().unwrap().to_owned();
    stack.send_event("invoice.paid", json!({ "amount": 1 })).await.unwrap();
    let arrived = stack.poll_until(Duration::from_secs(15), async || receiver.received().len() >= 2).await;
    assert!(arrived.unwrap());
    let got = receiver.received();
    let signature = got[1].header("webhook-signature").unwrap_or_default().to_owned();
    assert!(signature.split(' ').all(|s| s.starts_with("v1a,")), "no v1 any more: {signature}");
    assert_eq!(signature.split(' ').count(), 2);
    for key in [&new_key, &public_key] {
        assert_eq!(python_verifies_v1a(key, &got[1].headers, &got[1].body), Some(0), "{key}");
    }
    let none = stack.send("PATCH", &path, r#"{"signature_versions": []}"#).await;
    assert_eq!((none.status, none.code()), (400, Some("invalid_request")), "{}", none.text);
}
