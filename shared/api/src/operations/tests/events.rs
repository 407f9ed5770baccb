//! Accepting events, one or a batch: fan-out, idempotency, the tenant's policies and the batch answer.

use hookline::app::AppSettings;
use hookline::events::MAX_BATCH;
use hookline::metrics::Metric;
use hookline::store::EventTypeStore as _;
use hookline::testing::RecordedMetrics;
use hookline_core::model::EventTypeInfo;
use hookline_core::tenancy::Tenant;
use serde_json::json;

use super::*;
use crate::operations::{accept_batch, accept_event, create_endpoint};
use crate::{BatchRequest, CreateEndpoint, CreateEvent, EndpointView};

type Deps = App<MemoryPorts>;

fn deps() -> Deps {
    deps_recording(&RecordedMetrics::default())
}

fn deps_recording(metrics: &RecordedMetrics) -> Deps {
    let settings = AppSettings { default_rate_limit: 1_000, metrics: metrics.metrics(), ..app_settings() };
    memory_app(NoSender, 1_649_367_553_000, settings)
}

fn tenant() -> Tenant {
    Tenant { id: TenantId::parse("ten_a").unwrap(), ..Tenant::new("acme".into(), 0) }
}

fn event(event_type: &str, id: Option<&str>) -> CreateEvent {
    CreateEvent { event_type: event_type.into(), payload: json!({"amount": 42}), id: id.map(str::to_owned) }
}

async fn endpoint(deps: &Deps, url: &str, types: &[&str]) -> EndpointView {
    let request: CreateEndpoint =
        serde_json::from_value(json!({ "url": url, "event_types": types })).unwrap();
    create_endpoint(deps, &tenant().id, request).await.unwrap()
}

fn status(error: ApiError) -> (u16, &'static str) {
    (error.status, error.code)
}

#[tokio::test]
async fn an_event_fans_out_to_every_enabled_endpoint_whose_filter_matches() {
    let deps = deps();
    let invoices = endpoint(&deps, "https://a.example.com/", &["invoice.*"]).await;
    let everything = endpoint(&deps, "https://b.example.com/", &["*"]).await;
    endpoint(&deps, "https://c.example.com/", &["user.created"]).await;
    let disabled = endpoint(&deps, "https://d.example.com/", &["*"]).await;
    deps.store().disable_endpoint(&tenant().id, &disabled.id, "test").await.unwrap();

    let accepted = accept_event(&deps, &tenant(), event("invoice.paid", None), None).await.unwrap();

    assert_eq!(accepted.endpoints, 2);
    let mut targets: Vec<_> = deps.queue().enqueued().into_iter().map(|task| task.endpoint_id).collect();
    targets.sort();
    let mut expected = vec![invoices.id, everything.id];
    expected.sort();
    assert_eq!(targets, expected);
    let stored = deps.store().get_message(&tenant().id, &accepted.id).await.unwrap().unwrap();
    assert_eq!(stored.endpoint_ids.len(), 2);
}

#[tokio::test]
async fn an_event_with_an_id_is_marked_queued_for_its_repeats_and_one_without_is_not_written_again() {
    let deps = deps();
    endpoint(&deps, "https://a.example.com/", &["*"]).await;
    let keyed = accept_event(&deps, &tenant(), event("invoice.paid", Some("order-7")), None).await.unwrap();
    let keyless = accept_event(&deps, &tenant(), event("invoice.paid", None), None).await.unwrap();
    let keyed = deps.store().get_message(&tenant().id, &keyed.id).await.unwrap().unwrap();
    let keyless = deps.store().get_message(&tenant().id, &keyless.id).await.unwrap().unwrap();
    assert_eq!(keyed.queue_state, QueueState::Queued);
    // Nobody can repeat a request without an id, so nothing will ever wait on its state.
    assert_eq!(keyless.queue_state, QueueState::Queueing);
    assert_eq!(deps.queue().enqueued().len(), 2);
}

#[tokio::test]
async fn the_delivered_body_is_a_standard_webhooks_envelope() {
    let deps = deps();
    endpoint(&deps, "https://a.example.com/", &["*"]).await;
    accept_event(&deps, &tenant(), event("invoice.paid", None), None).await.unwrap();
    let task = &deps.queue().enqueued()[0];
    let body: serde_json::Value = serde_json::from_str(&task.body).unwrap();
    assert_eq!(
        body,
        json!({"type": "invoice.paid", "timestamp": "2022-04-07T21:39:13.000Z", "data": {"amount": 42}})
    );
}

#[tokio::test]
async fn a_repeat_with_the_same_id_returns_the_first_answer_without_a_second_delivery() {
    let metrics = RecordedMetrics::default();
    let deps = deps_recording(&metrics);
    endpoint(&deps, "https://a.example.com/", &["*"]).await;
    let first = accept_event(&deps, &tenant(), event("invoice.paid", Some("order-1")), None).await.unwrap();
    let again = accept_event(&deps, &tenant(), event("invoice.paid", Some("order-1")), None).await.unwrap();
    assert_eq!((again.id, again.endpoints, first.replayed, again.replayed), (first.id, 1, false, true));
    assert_eq!(deps.queue().enqueued().len(), 1);
    let accepted = metrics.recorded_total(Metric::EventsAccepted);
    assert_eq!(accepted, 1.0, "a replay is not counted again");
}

#[tokio::test]
async fn the_idempotency_key_header_works_like_an_event_id_and_must_agree_with_it() {
    let deps = deps();
    endpoint(&deps, "https://a.example.com/", &["*"]).await;
    let by_header = accept_event(&deps, &tenant(), event("a.b", None), Some("k-1")).await.unwrap();
    let by_id = accept_event(&deps, &tenant(), event("a.b", Some("k-1")), None).await.unwrap();
    assert_eq!((by_id.id, by_id.replayed), (by_header.id, true));
    assert_eq!(deps.queue().enqueued().len(), 1);
    let disagree = accept_event(&deps, &tenant(), event("a.b", Some("k-2")), Some("k-3")).await.unwrap_err();
    assert_eq!(status(disagree), (400, "invalid_request"));
}

#[tokio::test]
async fn concurrent_copies_of_one_event_queue_it_once_and_get_the_same_answer() {
    let deps = deps();
    endpoint(&deps, "https://a.example.com/", &["*"]).await;
    // A slow queue keeps the first copy queueing while the others arrive.
    deps.queue().set_latency(std::time::Duration::from_millis(300));
    let tenant = tenant();
    let copies = (0..5).map(|_| accept_event(&deps, &tenant, event("invoice.paid", Some("order-9")), None));
    let answers = futures::future::join_all(copies).await;
    let ids: Vec<_> = answers.into_iter().map(|answer| answer.unwrap().id).collect();
    assert!(ids.iter().all(|id| *id == ids[0]));
    assert_eq!(deps.queue().enqueued().len(), 1);
}

#[tokio::test]
async fn two_retries_racing_after_a_failed_enqueue_queue_the_tasks_once() {
    let deps = deps();
    endpoint(&deps, "https://a.example.com/", &["*"]).await;
    deps.queue().fail_next_enqueue();
    let failed = accept_event(&deps, &tenant(), event("a.b", Some("order-3")), None).await.unwrap_err();
    assert_eq!(status(failed), (503, "queue_unavailable"));

    deps.queue().set_latency(std::time::Duration::from_millis(300));
    let tenant = tenant();
    let (one, two) = tokio::join!(
        accept_event(&deps, &tenant, event("a.b", Some("order-3")), None),
        accept_event(&deps, &tenant, event("a.b", Some("order-3")), None),
    );
    assert_eq!(one.unwrap().id, two.unwrap().id);
    assert_eq!(deps.queue().enqueued().len(), 1, "only the retry that claimed the message queues it");
}

#[tokio::test]
async fn the_same_id_with_a_different_event_is_a_conflict() {
    let deps = deps();
    accept_event(&deps, &tenant(), event("invoice.paid", Some("order-1")), None).await.unwrap();
    let err =
        accept_event(&deps, &tenant(), event("invoice.voided", Some("order-1")), None).await.unwrap_err();
    assert_eq!(status(err), (409, "id_conflict"));
}

#[tokio::test]
async fn when_the_enqueue_fails_the_producer_gets_a_503_and_its_retry_delivers() {
    let deps = deps();
    endpoint(&deps, "https://a.example.com/", &["*"]).await;
    deps.queue().fail_next_enqueue();
    let err = accept_event(&deps, &tenant(), event("invoice.paid", Some("order-1")), None).await.unwrap_err();
    assert_eq!(status(err), (503, "queue_unavailable"));
    assert!(deps.queue().enqueued().is_empty());

    let retried = accept_event(&deps, &tenant(), event("invoice.paid", Some("order-1")), None).await.unwrap();
    assert_eq!(retried.endpoints, 1);
    assert_eq!(deps.queue().enqueued().len(), 1);
}

#[tokio::test]
async fn events_need_a_valid_type_and_an_object_payload() {
    let deps = deps();
    let bad_type = accept_event(&deps, &tenant(), event("invoice..paid", None), None).await.unwrap_err();
    assert_eq!(status(bad_type), (400, "invalid_request"));
    let mut not_object = event("invoice.paid", None);
    not_object.payload = json!([1, 2]);
    let err = accept_event(&deps, &tenant(), not_object, None).await.unwrap_err();
    assert_eq!(status(err), (400, "invalid_request"));
}

#[tokio::test]
async fn a_tenant_that_refuses_unregistered_types_gets_422_for_them_only() {
    let deps = deps();
    let strict = Tenant { reject_unregistered_event_types: true, ..tenant() };
    let info = EventTypeInfo {
        tenant_id: strict.id.clone(),
        name: EventType::parse("invoice.paid").unwrap(),
        description: None,
        example: None,
        created_at_ms: 0,
    };
    deps.store().put_event_type(&info).await.unwrap();
    assert!(accept_event(&deps, &strict, event("invoice.paid", None), None).await.is_ok());
    let refused = accept_event(&deps, &strict, event("invoice.voided", None), None).await.unwrap_err();
    assert_eq!(status(refused), (422, "unregistered_event_type"));
    assert!(accept_event(&deps, &tenant(), event("invoice.voided", None), None).await.is_ok());
}

#[tokio::test]
async fn over_the_tenants_rate_limit_the_producer_gets_429_until_the_next_second() {
    let deps = deps();
    let limited = Tenant { ingest_rate_limit: Some(2), ..tenant() };
    for _ in 0..2 {
        accept_event(&deps, &limited, event("a.b", None), None).await.unwrap();
    }
    let refused = accept_event(&deps, &limited, event("a.b", None), None).await.unwrap_err();
    assert_eq!((refused.status, refused.code, refused.retry_after), (429, "rate_limited", Some(1)));
    deps.clock().advance(std::time::Duration::from_secs(1));
    assert!(accept_event(&deps, &limited, event("a.b", None), None).await.is_ok());
}

#[tokio::test]
async fn a_batch_reports_each_item_in_order_and_accepts_the_valid_ones() {
    let deps = deps();
    endpoint(&deps, "https://a.example.com/", &["*"]).await;
    let batch = BatchRequest {
        events: vec![
            json!({"event_type": "a.b", "payload": {"n": 1}}),
            json!({"event_type": "a.b", "payload": "not an object"}),
            json!({"payload": {}}),
            json!({"event_type": "a.c", "payload": {"pad": "x".repeat(2000)}}),
            json!({"event_type": "a.d", "payload": {"n": 4}, "id": "own-id"}),
        ],
    };
    let result = accept_batch(&deps, &tenant(), batch, None).await.unwrap();
    let statuses: Vec<_> = result.results.iter().map(|r| (r.index, r.status)).collect();
    assert_eq!(statuses, vec![(0, 202), (1, 400), (2, 400), (3, 413), (4, 202)]);
    assert_eq!((result.accepted, result.rejected), (2, 3));
    assert_eq!(result.results[2].error.as_ref().unwrap().code, "invalid_request");
    assert_eq!(deps.queue().enqueued().len(), 2);
}

#[tokio::test]
async fn a_retried_batch_with_the_same_idempotency_key_delivers_nothing_twice() {
    let deps = deps();
    endpoint(&deps, "https://a.example.com/", &["*"]).await;
    let batch = || BatchRequest {
        events: vec![
            json!({"event_type": "a.b", "payload": {}}),
            json!({"event_type": "a.c", "payload": {}}),
        ],
    };
    let first = accept_batch(&deps, &tenant(), batch(), Some("batch-1")).await.unwrap();
    let again = accept_batch(&deps, &tenant(), batch(), Some("batch-1")).await.unwrap();
    assert_eq!(first.results, again.results);
    assert_eq!(deps.queue().enqueued().len(), 2);
}

#[tokio::test]
async fn an_empty_or_oversized_batch_is_refused_whole() {
    let deps = deps();
    let empty = accept_batch(&deps, &tenant(), BatchRequest { events: vec![] }, None).await.unwrap_err();
    assert_eq!(status(empty), (400, "invalid_request"));
    let events = vec![json!({"event_type": "a.b", "payload": {}}); MAX_BATCH + 1];
    let over = accept_batch(&deps, &tenant(), BatchRequest { events }, None).await.unwrap_err();
    assert_eq!(status(over), (400, "invalid_request"));
}
