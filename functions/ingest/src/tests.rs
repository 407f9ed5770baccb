//! The handler driven by API Gateway HTTP API (payload 2.0) events, over in-memory ports.

use serde_json::{Value, json};

use hookline::tenants::{NewTenant, create_tenant};
use hookline::testing::{MemoryPorts, NoSender, app_settings, memory_app};

use super::*;

const FIXTURE: &str = include_str!("../fixtures/apigw-http-post-event.json");

type Deps = App<MemoryPorts>;

/// In-memory deps and the key of a tenant that exists in them.
async fn deps() -> (Deps, String) {
    let deps = memory_app(NoSender, 1_795_644_000_000, app_settings());
    let NewTenant { token, .. } = create_tenant(deps.store(), "acme", 0).await.unwrap();
    (deps, token.expose().to_owned())
}

/// The fixture event with another method, path, key and body, as API Gateway would send it.
fn api_gateway_event(method: &str, path: &str, key: Option<&str>, body: &str) -> Request {
    let mut event: Value = serde_json::from_str(FIXTURE).unwrap();
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["http"]["method"] = json!(method);
    event["body"] = json!(body);
    match key {
        Some(key) => event["headers"]["authorization"] = json!(format!("Bearer {key}")),
        None => {
            event["headers"].as_object_mut().unwrap().remove("authorization");
        }
    }
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

struct Answer {
    status: u16,
    body: Value,
    headers: http::HeaderMap,
}

impl Answer {
    fn code(&self) -> Option<&str> {
        self.body["error"]["code"].as_str()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn call(deps: &Deps, request: Request) -> Answer {
    let response = handle(deps, request).await.unwrap();
    let body = match response.body() {
        Body::Text(text) if response.headers()[header::CONTENT_TYPE] == "application/json" => {
            serde_json::from_str(text).unwrap()
        }
        _ => Value::Null,
    };
    Answer { status: response.status().as_u16(), body, headers: response.headers().clone() }
}

async fn post(deps: &Deps, key: &str, path: &str, body: &str) -> Answer {
    call(deps, api_gateway_event("POST", path, Some(key), body)).await
}

#[tokio::test]
async fn the_recorded_api_gateway_event_with_a_valid_key_is_accepted_with_202() {
    let (deps, key) = deps().await;
    let mut event: Value = serde_json::from_str(FIXTURE).unwrap();
    event["headers"]["authorization"] = json!(format!("Bearer {key}"));
    let answer = call(&deps, lambda_http::request::from_str(&event.to_string()).unwrap()).await;
    assert_eq!(answer.status, 202);
    assert!(answer.body["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(answer.body["endpoints"], 0);
}

#[tokio::test]
async fn the_recorded_event_with_its_placeholder_key_is_refused_with_401() {
    let (deps, _) = deps().await;
    let answer = call(&deps, lambda_http::request::from_str(FIXTURE).unwrap()).await;
    assert_eq!((answer.status, answer.code()), (401, Some("unauthorized")));
    assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
}

#[tokio::test]
async fn a_missing_or_malformed_authorization_header_is_a_401() {
    let (deps, key) = deps().await;
    for request in [
        api_gateway_event("GET", "/v1/endpoints", None, ""),
        api_gateway_event("GET", "/v1/endpoints", Some("not-a-key"), ""),
        api_gateway_event("GET", "/v1/endpoints", Some(&format!("{key}x")), ""),
    ] {
        let answer = call(&deps, request).await;
        assert_eq!((answer.status, answer.code()), (401, Some("unauthorized")));
    }
}

#[tokio::test]
async fn a_revoked_key_stops_working_at_once() {
    let (deps, key) = deps().await;
    let created = post(&deps, &key, "/v1/api-keys", r#"{"name":"ci"}"#).await;
    assert_eq!(created.status, 201);
    let second = created.body["key"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap();
    let listed = call(&deps, api_gateway_event("GET", "/v1/api-keys", Some(&second), "")).await;
    assert_eq!((listed.status, listed.body["data"].as_array().unwrap().len()), (200, 2));
    assert!(!listed.body.to_string().contains(&second), "a listing never shows a key");

    let path = format!("/v1/api-keys/{id}");
    let revoked = call(&deps, api_gateway_event("DELETE", &path, Some(&key), "")).await;
    assert_eq!(revoked.status, 204);
    let refused = call(&deps, api_gateway_event("GET", "/v1/tenant", Some(&second), "")).await;
    assert_eq!(refused.status, 401);
    let still = call(&deps, api_gateway_event("GET", "/v1/tenant", Some(&key), "")).await;
    assert_eq!((still.status, still.body["name"].as_str()), (200, Some("acme")));
}

#[tokio::test]
async fn the_openapi_document_is_served_without_a_key() {
    let (deps, _) = deps().await;
    let response = handle(&deps, api_gateway_event("GET", "/v1/openapi.yaml", None, "")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/yaml");
    let Body::Text(text) = response.body() else { panic!("expected text") };
    assert!(text.starts_with("openapi: 3.1"));
}

#[tokio::test]
async fn behind_a_named_stage_the_routes_are_the_same() {
    let (deps, key) = deps().await;
    let staged = |path: &str, key: Option<&str>| {
        let mut event: Value = serde_json::from_str(FIXTURE).unwrap();
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        event["requestContext"]["http"]["method"] = json!("GET");
        event["requestContext"]["stage"] = json!("prod");
        match key {
            Some(key) => event["headers"]["authorization"] = json!(format!("Bearer {key}")),
            None => drop(event["headers"].as_object_mut().unwrap().remove("authorization")),
        }
        lambda_http::request::from_str(&event.to_string()).unwrap()
    };
    let document = handle(&deps, staged("/prod/v1/openapi.yaml", None)).await.unwrap();
    assert_eq!(document.status(), 200);
    let endpoints = call(&deps, staged("/prod/v1/endpoints", Some(&key))).await;
    assert_eq!(endpoints.status, 200, "{}", endpoints.body);
    let production = call(&deps, staged("/production/v1/endpoints", Some(&key))).await;
    assert_eq!(production.status, 404, "only the whole stage segment is taken off");
}

#[tokio::test]
async fn an_event_for_a_subscribed_endpoint_is_queued_before_the_202() {
    let (deps, key) = deps().await;
    let created = post(&deps, &key, "/v1/endpoints", r#"{"url":"https://example.com/hook"}"#).await;
    assert_eq!(created.status, 201);
    let answer = post(&deps, &key, "/v1/events", r#"{"event_type":"a.b","payload":{}}"#).await;
    assert_eq!((answer.status, answer.body["endpoints"].as_u64()), (202, Some(1)));
    assert_eq!(deps.queue().enqueued().len(), 1);
}

#[tokio::test]
async fn a_replayed_event_says_so_in_a_header() {
    let (deps, key) = deps().await;
    let body = r#"{"event_type":"a.b","payload":{},"id":"evt-1"}"#;
    let first = post(&deps, &key, "/v1/events", body).await;
    let again = post(&deps, &key, "/v1/events", body).await;
    assert_eq!((first.status, first.header("idempotent-replayed")), (202, None));
    assert_eq!((again.status, again.header("idempotent-replayed")), (202, Some("true")));
    assert_eq!(first.body, again.body);
}

#[tokio::test]
async fn when_the_queue_is_down_the_producer_gets_a_503_not_a_202() {
    let (deps, key) = deps().await;
    post(&deps, &key, "/v1/endpoints", r#"{"url":"https://example.com/hook"}"#).await;
    deps.queue().fail_next_enqueue();
    let answer = post(&deps, &key, "/v1/events", r#"{"event_type":"a.b","payload":{}}"#).await;
    assert_eq!((answer.status, answer.code()), (503, Some("queue_unavailable")));
}

#[tokio::test]
async fn malformed_json_is_a_400_with_a_json_error() {
    let (deps, key) = deps().await;
    let answer = post(&deps, &key, "/v1/events", "{\"event_type\":").await;
    assert_eq!((answer.status, answer.code()), (400, Some("invalid_json")));
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("JSON"));
}

#[tokio::test]
async fn missing_or_mistyped_fields_are_a_400_naming_the_field() {
    let (deps, key) = deps().await;
    let answer = post(&deps, &key, "/v1/events", r#"{"payload":{}}"#).await;
    assert_eq!((answer.status, answer.code()), (400, Some("invalid_request")));
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("event_type"));
    let answer = post(&deps, &key, "/v1/events", r#"{"event_type":"a","payload":"text"}"#).await;
    assert_eq!(answer.status, 400);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let (deps, key) = deps().await;
    let big = format!(r#"{{"event_type":"a","payload":{{"pad":"{}"}}}}"#, "x".repeat(2048));
    let answer = post(&deps, &key, "/v1/events", &big).await;
    assert_eq!((answer.status, answer.code()), (413, Some("body_too_large")));
}

#[tokio::test]
async fn an_unknown_route_is_a_404_even_without_a_key() {
    let (deps, _) = deps().await;
    let answer = call(&deps, api_gateway_event("POST", "/v1/nothing", None, "{}")).await;
    assert_eq!((answer.status, answer.code()), (404, Some("not_found")));
}

#[tokio::test]
async fn a_wrong_method_is_a_405_that_says_which_methods_work() {
    let (deps, key) = deps().await;
    let answer = call(&deps, api_gateway_event("GET", "/v1/events", Some(&key), "")).await;
    assert_eq!((answer.status, answer.code()), (405, Some("method_not_allowed")));
    assert_eq!(answer.header("allow"), Some("POST"));
}

#[tokio::test]
async fn endpoint_urls_that_do_not_parse_or_are_not_https_are_a_400() {
    let (deps, key) = deps().await;
    for url in ["not a url", "ftp://example.com/x", "http://example.com/x"] {
        let answer = post(&deps, &key, "/v1/endpoints", &json!({ "url": url }).to_string()).await;
        assert_eq!((answer.status, answer.code()), (400, Some("invalid_url")), "{url}");
    }
}

#[tokio::test]
async fn endpoints_on_private_networks_are_refused_with_422() {
    let (deps, key) = deps().await;
    let body = json!({ "url": "https://169.254.169.254/latest" }).to_string();
    let answer = post(&deps, &key, "/v1/endpoints", &body).await;
    assert_eq!((answer.status, answer.code()), (422, Some("url_not_allowed")));
}

#[tokio::test]
async fn over_the_rate_limit_the_answer_is_429_with_retry_after() {
    let (deps, key) = deps().await;
    let body = r#"{"event_type":"a.b","payload":{}}"#;
    let mut statuses = Vec::new();
    for _ in 0..101 {
        statuses.push(post(&deps, &key, "/v1/events", body).await.status);
    }
    assert!(statuses[..100].iter().all(|s| *s == 202));
    let refused = post(&deps, &key, "/v1/events", body).await;
    assert_eq!((refused.status, refused.code()), (429, Some("rate_limited")));
    assert_eq!(refused.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn a_delete_answers_204_with_no_body() {
    let (deps, key) = deps().await;
    let created = post(&deps, &key, "/v1/endpoints", r#"{"url":"https://example.com/hook"}"#).await;
    let path = format!("/v1/endpoints/{}", created.body["id"].as_str().unwrap());
    let response = handle(&deps, api_gateway_event("DELETE", &path, Some(&key), "")).await.unwrap();
    assert_eq!(response.status(), 204);
    assert!(matches!(response.body(), Body::Empty));
    assert!(response.headers().get(header::CONTENT_TYPE).is_none());
}
