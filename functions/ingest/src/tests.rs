//! The handler driven by API Gateway HTTP API (payload 2.0) events, over in-memory ports.

use serde_json::{Value, json};

use super::*;
use hookline::clock::ManualClock;
use hookline::ingest::IngestSettings;
use hookline::queue::memory::MemoryQueue;
use hookline::ssrf::AddressPolicy;
use hookline::store::memory::MemoryStore;

const FIXTURE: &str = include_str!("../fixtures/apigw-http-post-event.json");

type Deps = IngestDeps<MemoryStore, MemoryQueue, ManualClock>;

fn deps() -> Deps {
    IngestDeps {
        store: MemoryStore::default(),
        queue: MemoryQueue::default(),
        clock: ManualClock::at_ms(1_795_644_000_000),
        settings: IngestSettings { allow_http: false, policy: AddressPolicy::public_only() },
    }
}

const LIMITS: Limits = Limits { max_body_bytes: 1024 };

/// The fixture event with another method, path and body, as API Gateway would send it.
fn api_gateway_event(method: &str, path: &str, body: &str) -> Request {
    let mut event: Value = serde_json::from_str(FIXTURE).unwrap();
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["http"]["method"] = json!(method);
    event["body"] = json!(body);
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

async fn call(deps: &Deps, request: Request) -> (u16, Value, Option<String>) {
    let response = handle(deps, &LIMITS, request).await.unwrap();
    let allow = response.headers().get(header::ALLOW).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let body: Value = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("expected a text body, got {other:?}"),
    };
    (response.status().as_u16(), body, allow)
}

#[tokio::test]
async fn the_recorded_api_gateway_event_is_accepted_with_202_and_a_message_id() {
    let deps = deps();
    let (status, body, _) = call(&deps, lambda_http::request::from_str(FIXTURE).unwrap()).await;
    assert_eq!(status, 202);
    assert!(body["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(body["endpoints"], 0);
}

#[tokio::test]
async fn an_event_for_a_subscribed_endpoint_is_queued_before_the_202() {
    let deps = deps();
    let (status, _, _) =
        call(&deps, api_gateway_event("POST", "/v1/endpoints", r#"{"url":"https://example.com/hook"}"#))
            .await;
    assert_eq!(status, 201);
    let (status, body, _) =
        call(&deps, api_gateway_event("POST", "/v1/events", r#"{"event_type":"a.b","payload":{}}"#)).await;
    assert_eq!((status, body["endpoints"].as_u64()), (202, Some(1)));
    assert_eq!(deps.queue.enqueued().len(), 1);
}

#[tokio::test]
async fn when_the_queue_is_down_the_producer_gets_a_503_not_a_202() {
    let deps = deps();
    call(&deps, api_gateway_event("POST", "/v1/endpoints", r#"{"url":"https://example.com/hook"}"#)).await;
    deps.queue.fail_next_enqueue();
    let (status, body, _) =
        call(&deps, api_gateway_event("POST", "/v1/events", r#"{"event_type":"a.b","payload":{}}"#)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("queue_unavailable")));
}

#[tokio::test]
async fn malformed_json_is_a_400_with_a_json_error() {
    let (status, body, _) = call(&deps(), api_gateway_event("POST", "/v1/events", "{\"event_type\":")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_json")));
    assert!(body["error"]["message"].as_str().unwrap().contains("JSON"));
}

#[tokio::test]
async fn missing_or_mistyped_fields_are_a_400_naming_the_field() {
    let (status, body, _) = call(&deps(), api_gateway_event("POST", "/v1/events", r#"{"payload":{}}"#)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")));
    assert!(body["error"]["message"].as_str().unwrap().contains("event_type"));
    let (status, _, _) =
        call(&deps(), api_gateway_event("POST", "/v1/events", r#"{"event_type":"a","payload":"text"}"#))
            .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let big = format!(r#"{{"event_type":"a","payload":{{"pad":"{}"}}}}"#, "x".repeat(2048));
    let (status, body, _) = call(&deps(), api_gateway_event("POST", "/v1/events", &big)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (413, Some("body_too_large")));
}

#[tokio::test]
async fn an_unknown_route_is_a_404() {
    let (status, body, _) = call(&deps(), api_gateway_event("POST", "/v1/nothing", "{}")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn a_wrong_method_is_a_405_that_says_which_methods_work() {
    let (status, body, allow) = call(&deps(), api_gateway_event("GET", "/v1/events", "")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (405, Some("method_not_allowed")));
    assert_eq!(allow.as_deref(), Some("POST"));
}

#[tokio::test]
async fn endpoint_urls_that_do_not_parse_or_are_not_https_are_a_400() {
    for url in ["not a url", "ftp://example.com/x", "http://example.com/x"] {
        let body = json!({ "url": url }).to_string();
        let (status, answer, _) = call(&deps(), api_gateway_event("POST", "/v1/endpoints", &body)).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (400, Some("invalid_url")), "{url}");
    }
}

#[tokio::test]
async fn endpoints_on_private_networks_are_refused_with_422() {
    let body = json!({ "url": "https://169.254.169.254/latest" }).to_string();
    let (status, answer, _) = call(&deps(), api_gateway_event("POST", "/v1/endpoints", &body)).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (422, Some("url_not_allowed")));
}
