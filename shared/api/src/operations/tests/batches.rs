//! A batch's queueing (ten tasks to a request) and its time budget against a slow store.

use std::time::Duration;

use hookline::app::AppSettings;
use hookline::events::BATCH_START_BUDGET;
use hookline::store::MessageStore as _;
use hookline_core::tenancy::Tenant;
use serde_json::json;
use tokio::time::Instant;

use super::*;
use crate::operations::{accept_batch, create_endpoint};
use crate::{BatchRequest, BatchResult, CreateEndpoint};

fn acme() -> Tenant {
    Tenant { id: tenant("ten_a"), ..Tenant::new("acme".into(), 0) }
}

async fn subscribed_deps() -> Deps {
    let settings = AppSettings { default_rate_limit: 10_000, ..app_settings() };
    let deps = memory_app(NoSender, NOW, settings);
    let request: CreateEndpoint =
        serde_json::from_value(json!({ "url": "https://a.example.com/", "event_types": ["*"] })).unwrap();
    create_endpoint(&deps, &acme().id, request).await.unwrap();
    deps
}

fn batch(count: usize) -> BatchRequest {
    BatchRequest { events: (0..count).map(|n| json!({"event_type": "a.b", "payload": {"n": n}})).collect() }
}

fn codes(result: &BatchResult) -> Vec<&str> {
    result.results.iter().map(|r| r.error.as_ref().map_or("accepted", |e| e.code.as_str())).collect()
}

#[tokio::test]
async fn a_batch_queues_its_events_tasks_ten_to_a_request() {
    let deps = subscribed_deps().await;
    let result = accept_batch(&deps, &acme(), batch(25), None).await.unwrap();
    assert_eq!(result.accepted, 25);
    assert_eq!(deps.queue().enqueued().len(), 25);
    assert_eq!(deps.queue().enqueue_calls(), 3, "10 + 10 + 5 tasks");
}

#[tokio::test]
async fn when_one_request_of_a_batch_fails_its_events_are_refused_and_a_retry_queues_them_once() {
    let deps = subscribed_deps().await;
    deps.queue().fail_next_enqueue();
    let first = accept_batch(&deps, &acme(), batch(25), Some("b-1")).await.unwrap();
    let refused = codes(&first).iter().filter(|&&code| code == "queue_unavailable").count();
    assert!(refused == 10 || refused == 5, "one group of tasks failed: {:?}", codes(&first));
    assert_eq!(first.accepted, 25 - refused);
    assert!(first.results.iter().all(|r| r.status == 202 || r.status == 503));

    let again = accept_batch(&deps, &acme(), batch(25), Some("b-1")).await.unwrap();
    assert_eq!(again.accepted, 25);
    assert_eq!(deps.queue().enqueued().len(), 25, "every event queued once");
}

#[tokio::test(start_paused = true)]
async fn a_batch_against_a_slow_store_answers_within_its_budget_and_keeps_nothing_of_what_it_refused() {
    let deps = subscribed_deps().await;
    // Every store call and every enqueue takes a second: the whole batch would take 14 s, past the
    // ingest function's 10 s timeout.
    let latency = Duration::from_secs(1);
    deps.store().set_latency(latency);
    deps.queue().set_latency(latency);

    let started = Instant::now();
    let first = accept_batch(&deps, &acme(), batch(100), Some("slow")).await.unwrap();
    let took = started.elapsed();

    // Three calls per event at most (store, queue, mark) after the last one starts.
    assert!(took <= BATCH_START_BUDGET + 3 * latency, "answered after {took:?}");
    assert!(first.accepted > 0 && first.rejected > 0, "{:?}", codes(&first));
    for (index, item) in first.results.iter().enumerate() {
        let id = MessageId::for_idempotency_key(&acme().id, &format!("slow:{index}"));
        let stored = deps.store().get_message(&acme().id, &id).await.unwrap();
        match item.error.as_ref().map(|e| (item.status, e.code.as_str())) {
            None => assert_eq!(stored.map(|m| m.queue_state), Some(QueueState::Queued)),
            Some((503, "batch_out_of_time")) => assert!(stored.is_none(), "item {index} was kept"),
            other => panic!("item {index}: {other:?}"),
        }
    }
    assert_eq!(deps.queue().enqueued().len(), first.accepted);

    deps.store().set_latency(Duration::ZERO);
    deps.queue().set_latency(Duration::ZERO);
    let again = accept_batch(&deps, &acme(), batch(100), Some("slow")).await.unwrap();
    assert_eq!(again.accepted, 100);
    assert_eq!(deps.queue().enqueued().len(), 100, "the rest queued, nothing twice");
}
