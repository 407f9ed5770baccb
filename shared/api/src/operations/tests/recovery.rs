//! Resend, recovery and test events over the in-memory store and queue.

use hookline::recovery::{MAX_RECOVER, TEST_EVENT_TYPE};
use hookline::store::LogStore as _;
use hookline_core::task::Deliver;
use hookline_core::time::rfc3339;
use serde_json::Value;

use super::*;
use crate::operations::{recover_endpoint, resend_message, send_test_event};
use crate::{RecoverEndpoint, Recovered, ResendMessage};

fn resend(endpoint: &Endpoint) -> ResendMessage {
    ResendMessage { endpoint_id: endpoint.id.to_string() }
}

fn recover(since_ms: i64, cursor: Option<String>) -> RecoverEndpoint {
    RecoverEndpoint { since: rfc3339(since_ms), cursor }
}

async fn state(deps: &Deps, message: &Message, endpoint: &Endpoint) -> Option<DeliveryState> {
    let latest = deps.store().latest_delivery(&message.tenant_id, &message.id, &endpoint.id).await.unwrap();
    latest.map(|d| d.state)
}

async fn disable(deps: &Deps, endpoint: &Endpoint) {
    deps.store().disable_endpoint(&endpoint.tenant_id, &endpoint.id, "by the test").await.unwrap();
}

#[tokio::test]
async fn a_resend_queues_a_first_delivery_of_the_same_message_and_marks_it_pending() {
    let deps = deps();
    let a = tenant("ten_a");
    let ep = endpoint(&deps, &a).await;
    let m = message(&deps, &a, "invoice.paid", NOW, &[&ep]).await;
    attempt(&deps, &m, &ep, 1, DeliveryState::Succeeded, NOW).await;

    let resent = resend_message(&deps, &a, m.id.as_str(), resend(&ep)).await.unwrap();
    assert_eq!((resent.message_id.clone(), resent.endpoint_id.clone()), (m.id.clone(), ep.id.clone()));
    let queued = deps.queue().enqueued();
    assert_eq!(
        queued,
        vec![Deliver::first(a.clone(), m.id.clone(), ep.id.clone(), m.event_type.clone(), m.body.clone())]
    );
    assert_eq!(state(&deps, &m, &ep).await, Some(DeliveryState::Pending));
}

#[tokio::test]
async fn a_resend_that_cannot_be_queued_leaves_the_delivery_as_it_was() {
    let deps = deps();
    let a = tenant("ten_a");
    let ep = endpoint(&deps, &a).await;
    let m = message(&deps, &a, "invoice.paid", NOW, &[&ep]).await;
    attempt(&deps, &m, &ep, 3, DeliveryState::DeadLettered, NOW).await;
    deps.queue().fail_next_enqueue();
    let error = resend_message(&deps, &a, m.id.as_str(), resend(&ep)).await.unwrap_err();
    assert_eq!(code(error), (503, "queue_unavailable"));
    assert_eq!(state(&deps, &m, &ep).await, Some(DeliveryState::DeadLettered));
}

#[tokio::test]
async fn resend_refuses_other_tenants_ids_unknown_endpoints_and_disabled_ones() {
    let deps = deps();
    let (a, b) = (tenant("ten_a"), tenant("ten_b"));
    let ep = endpoint(&deps, &a).await;
    let theirs = endpoint(&deps, &b).await;
    let m = message(&deps, &a, "invoice.paid", NOW, &[&ep]).await;

    let other_tenant = resend_message(&deps, &b, m.id.as_str(), resend(&theirs)).await.unwrap_err();
    assert_eq!(code(other_tenant), (404, "not_found"));
    let their_endpoint = resend_message(&deps, &a, m.id.as_str(), resend(&theirs)).await.unwrap_err();
    assert_eq!(code(their_endpoint), (404, "not_found"));
    let not_an_id = ResendMessage { endpoint_id: "msg_1".into() };
    assert_eq!(
        code(resend_message(&deps, &a, m.id.as_str(), not_an_id).await.unwrap_err()),
        (404, "not_found")
    );
    disable(&deps, &ep).await;
    let disabled = resend_message(&deps, &a, m.id.as_str(), resend(&ep)).await.unwrap_err();
    assert_eq!(code(disabled), (409, "endpoint_disabled"));
    assert!(deps.queue().enqueued().is_empty());
}

#[tokio::test]
async fn recovery_resends_only_deliveries_that_failed_for_good_since_the_time_and_only_once() {
    let deps = deps();
    let a = tenant("ten_a");
    let ep = endpoint(&deps, &a).await;
    let other = endpoint(&deps, &a).await;
    let since = NOW;
    let mut expected = Vec::new();
    // Failed for good after `since`: dead-lettered, abandoned, and dead-lettered twice (resent between).
    for (state, at) in [(DeliveryState::DeadLettered, since), (DeliveryState::Abandoned, since + 5)] {
        let m = message(&deps, &a, "invoice.paid", at - 100, &[&ep]).await;
        attempt(&deps, &m, &ep, 1, state, at).await;
        expected.push(m.id);
    }
    let twice = message(&deps, &a, "invoice.paid", since, &[&ep]).await;
    attempt(&deps, &twice, &ep, 2, DeliveryState::DeadLettered, since + 1).await;
    attempt(&deps, &twice, &ep, 2, DeliveryState::DeadLettered, since + 2).await;
    expected.push(twice.id.clone());
    // Left alone: failed before `since`, failed then succeeded, still retrying, another endpoint's.
    let before = message(&deps, &a, "invoice.paid", since - 1_000, &[&ep]).await;
    attempt(&deps, &before, &ep, 1, DeliveryState::DeadLettered, since - 1).await;
    let healed = message(&deps, &a, "invoice.paid", since, &[&ep]).await;
    attempt(&deps, &healed, &ep, 1, DeliveryState::DeadLettered, since + 3).await;
    attempt(&deps, &healed, &ep, 1, DeliveryState::Succeeded, since + 4).await;
    let retrying = message(&deps, &a, "invoice.paid", since, &[&ep]).await;
    attempt(&deps, &retrying, &ep, 1, DeliveryState::Retrying, since + 6).await;
    let elsewhere = message(&deps, &a, "invoice.paid", since, &[&other]).await;
    attempt(&deps, &elsewhere, &other, 1, DeliveryState::DeadLettered, since + 7).await;

    let recovered = recover_endpoint(&deps, &a, ep.id.as_str(), recover(since, None)).await.unwrap();
    assert_eq!(recovered, Recovered { resent: 3, next_cursor: None });
    let mut queued: Vec<MessageId> = deps.queue().enqueued().into_iter().map(|t| t.message_id).collect();
    queued.sort();
    expected.sort();
    assert_eq!(queued, expected);
    assert!(deps.queue().enqueued().iter().all(|t| t.endpoint_id == ep.id && t.prior_attempts == 0));
    assert_eq!(state(&deps, &twice, &ep).await, Some(DeliveryState::Pending));
    assert_eq!(state(&deps, &before, &ep).await, Some(DeliveryState::DeadLettered));

    let again = recover_endpoint(&deps, &a, ep.id.as_str(), recover(since, None)).await.unwrap();
    assert_eq!(again.resent, 0, "a repeated recovery sends nothing twice");
    assert_eq!(deps.queue().enqueued().len(), 3);
}

#[tokio::test]
async fn a_large_recovery_stops_at_its_bound_and_goes_on_from_its_cursor() {
    let deps = deps();
    let a = tenant("ten_a");
    let ep = endpoint(&deps, &a).await;
    for n in 0..=i64::try_from(MAX_RECOVER).unwrap() {
        let m = message(&deps, &a, "invoice.paid", NOW + n, &[&ep]).await;
        attempt(&deps, &m, &ep, 1, DeliveryState::DeadLettered, NOW + n).await;
    }
    let first = recover_endpoint(&deps, &a, ep.id.as_str(), recover(NOW, None)).await.unwrap();
    assert_eq!(first.resent, MAX_RECOVER);
    let cursor = first.next_cursor.expect("a cursor to go on with");
    let rest = recover_endpoint(&deps, &a, ep.id.as_str(), recover(NOW, Some(cursor))).await.unwrap();
    assert_eq!(rest, Recovered { resent: 1, next_cursor: None });
    let mut queued: Vec<MessageId> = deps.queue().enqueued().into_iter().map(|t| t.message_id).collect();
    queued.sort();
    queued.dedup();
    assert_eq!(queued.len(), MAX_RECOVER + 1, "every failed delivery once");
}

#[tokio::test]
async fn deliveries_a_recovery_could_not_queue_stay_failed_for_the_next_one() {
    let deps = deps();
    let a = tenant("ten_a");
    let ep = endpoint(&deps, &a).await;
    let m = message(&deps, &a, "invoice.paid", NOW, &[&ep]).await;
    attempt(&deps, &m, &ep, 1, DeliveryState::Abandoned, NOW).await;
    deps.queue().fail_next_enqueue();
    let error = recover_endpoint(&deps, &a, ep.id.as_str(), recover(NOW, None)).await.unwrap_err();
    assert_eq!(code(error), (503, "queue_unavailable"));
    assert_eq!(state(&deps, &m, &ep).await, Some(DeliveryState::Abandoned));
    let retried = recover_endpoint(&deps, &a, ep.id.as_str(), recover(NOW, None)).await.unwrap();
    assert_eq!(retried.resent, 1);
}

#[tokio::test]
async fn recovery_refuses_a_bad_time_a_foreign_endpoint_and_a_disabled_one() {
    let deps = deps();
    let (a, b) = (tenant("ten_a"), tenant("ten_b"));
    let ep = endpoint(&deps, &a).await;
    let bad_time = RecoverEndpoint { since: "last week".into(), cursor: None };
    assert_eq!(
        code(recover_endpoint(&deps, &a, ep.id.as_str(), bad_time).await.unwrap_err()),
        (400, "invalid_request")
    );
    let bad_cursor = recover(NOW, Some("Zm9v".into()));
    assert_eq!(
        code(recover_endpoint(&deps, &a, ep.id.as_str(), bad_cursor).await.unwrap_err()),
        (400, "invalid_cursor")
    );
    assert_eq!(
        code(recover_endpoint(&deps, &b, ep.id.as_str(), recover(NOW, None)).await.unwrap_err()),
        (404, "not_found")
    );
    disable(&deps, &ep).await;
    let disabled = recover_endpoint(&deps, &a, ep.id.as_str(), recover(NOW, None)).await.unwrap_err();
    assert_eq!(code(disabled), (409, "endpoint_disabled"));
}

#[tokio::test]
async fn a_test_event_is_stored_as_a_message_for_that_endpoint_alone_and_queued() {
    let deps = deps();
    let a = tenant("ten_a");
    let ep = endpoint(&deps, &a).await;
    endpoint(&deps, &a).await;
    let sent = send_test_event(&deps, &a, ep.id.as_str()).await.unwrap();
    assert_eq!((sent.endpoint_id.clone(), sent.event_type.as_str()), (ep.id.clone(), TEST_EVENT_TYPE));

    let queued = deps.queue().enqueued();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (queued[0].message_id.clone(), queued[0].endpoint_id.clone()),
        (sent.id.clone(), ep.id.clone())
    );
    let body: Value = serde_json::from_str(&queued[0].body).unwrap();
    assert_eq!((body["type"].as_str(), body["data"]["test"].as_bool()), (Some(TEST_EVENT_TYPE), Some(true)));
    let stored = deps.store().get_message(&a, &sent.id).await.unwrap().unwrap();
    assert_eq!((stored.queue_state, stored.endpoint_ids), (QueueState::Queued, vec![ep.id.clone()]));

    disable(&deps, &ep).await;
    assert_eq!(
        code(send_test_event(&deps, &a, ep.id.as_str()).await.unwrap_err()),
        (409, "endpoint_disabled")
    );
    assert_eq!(
        code(send_test_event(&deps, &tenant("ten_b"), ep.id.as_str()).await.unwrap_err()),
        (404, "not_found")
    );
}
