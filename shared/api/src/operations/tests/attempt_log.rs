//! The attempt log over the in-memory store, whose order and cursors match DynamoDB's.

use std::collections::HashSet;

use hookline::attempt_log::LogQuery;

use super::*;
use crate::operations::{get_message, list_endpoint_attempts, list_messages};
use crate::{ListPage, MessageSummary, encode_cursor};

fn query(limit: u32, cursor: Option<&str>) -> LogQuery<'_> {
    LogQuery { since: None, until: None, limit, cursor }
}

#[tokio::test]
async fn messages_are_listed_newest_first_in_pages_without_gaps_or_repeats() {
    let deps = deps();
    let (a, b) = (tenant("ten_a"), tenant("ten_b"));
    let mut made = Vec::new();
    for n in 0..5 {
        made.push(message(&deps, &a, "invoice.paid", NOW + n, &[]).await.id);
    }
    // Two in the same millisecond still page apart.
    made.push(message(&deps, &a, "invoice.paid", NOW + 4, &[]).await.id);
    message(&deps, &b, "invoice.paid", NOW + 9, &[]).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let page = list_messages(&deps, &a, &query(2, cursor.as_deref()), None).await.unwrap();
        sizes.push(page.data.len());
        seen.extend(page.data.into_iter().map(|m| m.id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(sizes, [2, 2, 2]);
    assert_eq!(seen.iter().collect::<HashSet<_>>(), made.iter().collect::<HashSet<_>>());
    assert_eq!(seen.len(), made.len());
    assert_eq!(&seen[2..], &made[..4].iter().rev().cloned().collect::<Vec<_>>()[..], "newest first");
}

#[tokio::test]
async fn messages_are_filtered_by_time_range_and_event_type() {
    let deps = deps();
    let a = tenant("ten_a");
    let early = message(&deps, &a, "invoice.paid", NOW - 60_000, &[]).await;
    let paid = message(&deps, &a, "invoice.paid", NOW, &[]).await;
    let voided = message(&deps, &a, "invoice.voided", NOW + 1, &[]).await;
    let late = message(&deps, &a, "invoice.paid", NOW + 60_000, &[]).await;

    let since = hookline_core::time::rfc3339(NOW);
    let until = hookline_core::time::rfc3339(NOW + 60_000);
    let range = LogQuery { since: Some(&since), until: Some(&until), limit: 10, cursor: None };
    let ids = |page: ListPage<MessageSummary>| page.data.into_iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(ids(list_messages(&deps, &a, &range, None).await.unwrap()), vec![voided.id, paid.id.clone()]);
    let typed = list_messages(&deps, &a, &range, Some("invoice.paid")).await.unwrap();
    assert_eq!(ids(typed), vec![paid.id.clone()]);
    let all_paid = list_messages(&deps, &a, &query(10, None), Some("invoice.paid")).await.unwrap();
    assert_eq!(ids(all_paid), vec![late.id, paid.id, early.id]);

    let bad_type = list_messages(&deps, &a, &query(10, None), Some("bad..type")).await.unwrap_err();
    assert_eq!(code(bad_type), (400, "invalid_request"));
    let bad_time = LogQuery { since: Some("yesterday"), ..query(10, None) };
    assert_eq!(code(list_messages(&deps, &a, &bad_time, None).await.unwrap_err()), (400, "invalid_request"));
}

#[tokio::test]
async fn a_cursor_of_another_listing_or_garbled_is_refused() {
    let deps = deps();
    let a = tenant("ten_a");
    let ep = endpoint(&deps, &a).await;
    for cursor in [
        encode_cursor(&format!("EP#{}", ep.id)),
        encode_cursor("1700000000000#atm_1"),
        encode_cursor("17000#msg_1"),
        "%%%".to_owned(),
    ] {
        let error = list_messages(&deps, &a, &query(10, Some(&cursor)), None).await.unwrap_err();
        assert_eq!(code(error), (400, "invalid_cursor"), "{cursor}");
    }
    let message_cursor = encode_cursor("1700000000000#msg_1");
    let error = list_endpoint_attempts(&deps, &a, ep.id.as_str(), &query(10, Some(&message_cursor)), None)
        .await
        .unwrap_err();
    assert_eq!(code(error), (400, "invalid_cursor"));
}

#[tokio::test]
async fn a_message_shows_its_payload_and_each_endpoints_state_and_attempts_oldest_first() {
    let deps = deps();
    let a = tenant("ten_a");
    let (one, two, three) = (endpoint(&deps, &a).await, endpoint(&deps, &a).await, endpoint(&deps, &a).await);
    let m = message(&deps, &a, "invoice.paid", NOW, &[&one, &two]).await;
    let first = attempt(&deps, &m, &one, 1, DeliveryState::Retrying, NOW + 10).await;
    let second = attempt(&deps, &m, &one, 2, DeliveryState::Succeeded, NOW + 5_010).await;
    // Resent to an endpoint the event did not fan out to.
    let resent = attempt(&deps, &m, &three, 1, DeliveryState::DeadLettered, NOW + 20).await;

    let detail = get_message(&deps, &a, m.id.as_str()).await.unwrap();
    assert_eq!(detail.payload, serde_json::json!({"at": NOW}));
    assert_eq!(detail.event_type.as_str(), "invoice.paid");
    let summary: Vec<_> = detail
        .deliveries
        .iter()
        .map(|d| {
            (d.endpoint_id.clone(), d.state, d.attempts.iter().map(|a| a.id.clone()).collect::<Vec<_>>())
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (one.id.clone(), DeliveryState::Succeeded, vec![first.id.clone(), second.id]),
            (two.id.clone(), DeliveryState::Pending, vec![]),
            (three.id.clone(), DeliveryState::DeadLettered, vec![resent.id]),
        ]
    );
    let view = &detail.deliveries[0].attempts[0];
    assert_eq!((view.status_code, view.error_code, view.number), (Some(500), Some(ErrorCode::HttpStatus), 1));
    assert_eq!(view.next_attempt_at.as_deref(), Some(hookline_core::time::rfc3339(NOW + 5_010).as_str()));
}

#[tokio::test]
async fn another_tenants_message_and_endpoint_are_not_found() {
    let deps = deps();
    let (a, b) = (tenant("ten_a"), tenant("ten_b"));
    let ep = endpoint(&deps, &a).await;
    let m = message(&deps, &a, "invoice.paid", NOW, &[&ep]).await;
    attempt(&deps, &m, &ep, 1, DeliveryState::Succeeded, NOW).await;

    assert_eq!(code(get_message(&deps, &b, m.id.as_str()).await.unwrap_err()), (404, "not_found"));
    assert_eq!(code(get_message(&deps, &a, "not-an-id").await.unwrap_err()), (404, "not_found"));
    let theirs = list_endpoint_attempts(&deps, &b, ep.id.as_str(), &query(10, None), None).await;
    assert_eq!(code(theirs.unwrap_err()), (404, "not_found"));
    assert!(list_messages(&deps, &b, &query(10, None), None).await.unwrap().data.is_empty());
    let mine = list_endpoint_attempts(&deps, &a, ep.id.as_str(), &query(10, None), None).await.unwrap();
    assert_eq!(mine.data.len(), 1);
}

#[tokio::test]
async fn attempts_are_filtered_by_status_and_failed_means_every_attempt_that_did_not_succeed() {
    let deps = deps();
    let a = tenant("ten_a");
    let ep = endpoint(&deps, &a).await;
    let m = message(&deps, &a, "invoice.paid", NOW, &[&ep]).await;
    for (n, state) in [
        DeliveryState::Retrying,
        DeliveryState::DeadLettered,
        DeliveryState::Succeeded,
        DeliveryState::Abandoned,
    ]
    .into_iter()
    .enumerate()
    {
        attempt(&deps, &m, &ep, 1, state, NOW + i64::try_from(n).unwrap()).await;
    }
    let states = async |status: Option<&str>| -> Vec<DeliveryState> {
        let page = list_endpoint_attempts(&deps, &a, ep.id.as_str(), &query(10, None), status).await.unwrap();
        page.data.into_iter().map(|a| a.state).collect()
    };
    use DeliveryState::{Abandoned, DeadLettered, Retrying, Succeeded};
    assert_eq!(states(None).await, vec![Abandoned, Succeeded, DeadLettered, Retrying]);
    assert_eq!(states(Some("failed")).await, vec![Abandoned, DeadLettered, Retrying]);
    assert_eq!(states(Some("succeeded")).await, vec![Succeeded]);
    assert_eq!(states(Some("dead_lettered")).await, vec![DeadLettered]);
    let bad = list_endpoint_attempts(&deps, &a, ep.id.as_str(), &query(10, None), Some("pending")).await;
    assert_eq!(code(bad.unwrap_err()), (400, "invalid_request"));
}
