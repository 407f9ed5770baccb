use serde_json::json;

use super::*;
use crate::clock::ManualClock;
use crate::model::QueueState;
use crate::queue::memory::MemoryQueue;
use crate::store::memory::MemoryStore;

type Deps = IngestDeps<MemoryStore, MemoryQueue, ManualClock>;

fn deps(allow_http: bool, policy: AddressPolicy) -> Deps {
    IngestDeps {
        store: MemoryStore::default(),
        queue: MemoryQueue::default(),
        clock: ManualClock::at_ms(1_649_367_553_000),
        settings: IngestSettings { allow_http, policy },
    }
}

fn tenant() -> TenantId {
    TenantId::parse("ten_a").unwrap()
}

fn event(event_type: &str, id: Option<&str>) -> CreateEvent {
    CreateEvent { event_type: event_type.into(), payload: json!({"amount": 42}), id: id.map(str::to_owned) }
}

async fn endpoint(deps: &Deps, url: &str, types: &[&str]) -> Result<EndpointView, IngestError> {
    let request = CreateEndpoint {
        url: url.into(),
        event_types: types.iter().map(|t| (*t).to_owned()).collect(),
        description: None,
    };
    create_endpoint(deps, &tenant(), request).await
}

#[tokio::test]
async fn an_event_fans_out_to_every_enabled_endpoint_whose_filter_matches() {
    let deps = deps(false, AddressPolicy::public_only());
    let invoices = endpoint(&deps, "https://a.example.com/", &["invoice.*"]).await.unwrap();
    let everything = endpoint(&deps, "https://b.example.com/", &["*"]).await.unwrap();
    endpoint(&deps, "https://c.example.com/", &["user.created"]).await.unwrap();
    let disabled = endpoint(&deps, "https://d.example.com/", &["*"]).await.unwrap();
    deps.store.disable_endpoint(&tenant(), &disabled.id, "test").await.unwrap();

    let accepted = accept_event(&deps, &tenant(), event("invoice.paid", None)).await.unwrap();

    assert_eq!(accepted.endpoints, 2);
    let mut targets: Vec<_> =
        deps.queue.enqueued().into_iter().map(|DeliveryTask::DeliverV1(task)| task.endpoint_id).collect();
    targets.sort();
    let mut expected = vec![invoices.id, everything.id];
    expected.sort();
    assert_eq!(targets, expected);
    assert!(
        deps.store.get_message(&tenant(), &accepted.id).await.unwrap().unwrap().queue_state
            == QueueState::Queued
    );
}

#[tokio::test]
async fn the_delivered_body_is_a_standard_webhooks_envelope() {
    let deps = deps(false, AddressPolicy::public_only());
    endpoint(&deps, "https://a.example.com/", &["*"]).await.unwrap();
    accept_event(&deps, &tenant(), event("invoice.paid", None)).await.unwrap();
    let DeliveryTask::DeliverV1(task) = &deps.queue.enqueued()[0];
    let body: serde_json::Value = serde_json::from_str(&task.body).unwrap();
    assert_eq!(
        body,
        json!({"type": "invoice.paid", "timestamp": "2022-04-07T21:39:13.000Z", "data": {"amount": 42}})
    );
}

#[tokio::test]
async fn a_repeat_with_the_same_id_returns_the_first_answer_without_a_second_delivery() {
    let deps = deps(false, AddressPolicy::public_only());
    endpoint(&deps, "https://a.example.com/", &["*"]).await.unwrap();
    let first = accept_event(&deps, &tenant(), event("invoice.paid", Some("order-1"))).await.unwrap();
    let again = accept_event(&deps, &tenant(), event("invoice.paid", Some("order-1"))).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(deps.queue.enqueued().len(), 1);
}

#[tokio::test]
async fn concurrent_copies_of_one_event_queue_it_once_and_get_the_same_answer() {
    let deps = deps(false, AddressPolicy::public_only());
    endpoint(&deps, "https://a.example.com/", &["*"]).await.unwrap();
    // A slow queue keeps the first copy queueing while the others arrive.
    deps.queue.set_latency(std::time::Duration::from_millis(300));
    let tenant = tenant();
    let copies = (0..5).map(|_| accept_event(&deps, &tenant, event("invoice.paid", Some("order-9"))));
    let answers = futures::future::join_all(copies).await;
    let first = answers[0].as_ref().unwrap();
    assert!(answers.iter().all(|answer| answer.as_ref().unwrap() == first));
    assert_eq!(deps.queue.enqueued().len(), 1);
}

#[tokio::test]
async fn the_same_id_with_a_different_event_is_a_conflict() {
    let deps = deps(false, AddressPolicy::public_only());
    accept_event(&deps, &tenant(), event("invoice.paid", Some("order-1"))).await.unwrap();
    let err = accept_event(&deps, &tenant(), event("invoice.voided", Some("order-1"))).await.unwrap_err();
    assert_eq!(ApiError::from(err).status, 409);
}

#[tokio::test]
async fn when_the_enqueue_fails_the_producer_gets_a_503_and_its_retry_delivers() {
    let deps = deps(false, AddressPolicy::public_only());
    endpoint(&deps, "https://a.example.com/", &["*"]).await.unwrap();
    deps.queue.fail_next_enqueue();
    let err = accept_event(&deps, &tenant(), event("invoice.paid", Some("order-1"))).await.unwrap_err();
    assert_eq!(ApiError::from(err).status, 503);
    assert!(deps.queue.enqueued().is_empty());

    let retried = accept_event(&deps, &tenant(), event("invoice.paid", Some("order-1"))).await.unwrap();
    assert_eq!(retried.endpoints, 1);
    assert_eq!(deps.queue.enqueued().len(), 1);
}

#[tokio::test]
async fn events_need_a_valid_type_and_an_object_payload() {
    let deps = deps(false, AddressPolicy::public_only());
    let bad_type = accept_event(&deps, &tenant(), event("invoice..paid", None)).await.unwrap_err();
    assert_eq!(ApiError::from(bad_type).code, "invalid_request");
    let mut not_object = event("invoice.paid", None);
    not_object.payload = json!([1, 2]);
    let err = ApiError::from(accept_event(&deps, &tenant(), not_object).await.unwrap_err());
    assert_eq!((err.status, err.code), (400, "invalid_request"));
}

#[tokio::test]
async fn a_new_endpoint_gets_a_whsec_secret_shown_once() {
    let deps = deps(false, AddressPolicy::public_only());
    let created = endpoint(&deps, "https://a.example.com/hook", &["invoice.*"]).await.unwrap();
    let secret = created.secret.unwrap();
    assert!(Secret::parse(&secret).is_ok());
    let stored = deps.store.get_endpoint(&tenant(), &created.id).await.unwrap().unwrap();
    assert_eq!(stored.secrets[0].secret.expose(), secret);
    assert_eq!(EndpointView::of(&stored).secret, None);
}

#[tokio::test]
async fn endpoint_urls_are_checked_with_specific_errors() {
    let deps = deps(false, AddressPolicy::public_only());
    let code = |e: IngestError| {
        let api = ApiError::from(e);
        (api.status, api.code)
    };
    assert_eq!(code(endpoint(&deps, "nope", &["*"]).await.unwrap_err()), (400, "invalid_url"));
    assert_eq!(
        code(endpoint(&deps, "http://a.example.com/", &["*"]).await.unwrap_err()),
        (400, "invalid_url")
    );
    assert_eq!(
        code(endpoint(&deps, "https://10.0.0.8/", &["*"]).await.unwrap_err()),
        (422, "url_not_allowed")
    );
    assert_eq!(
        code(endpoint(&deps, "https://a.example.com/", &["in*"]).await.unwrap_err()),
        (400, "invalid_request")
    );
}

#[tokio::test]
async fn local_development_may_opt_in_to_plain_http_on_loopback() {
    let deps = deps(true, AddressPolicy::allowing("127.0.0.0/8").unwrap());
    assert!(endpoint(&deps, "http://127.0.0.1:8080/hook", &["*"]).await.is_ok());
    assert!(endpoint(&deps, "http://10.0.0.1/hook", &["*"]).await.is_err());
}
