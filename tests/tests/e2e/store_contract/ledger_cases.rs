//! A delivery's ledger in the store contract: entries are appended, never overwritten, so a racing
//! writer lands after the newest entry instead of replacing it, and a resend's mark is the delivery's
//! state without being an attempt.

use hookline::store::{Store, TimeQuery};
use hookline_core::delivery::ledger::next_entry;
use hookline_core::ids::{EndpointId, TenantId};
use hookline_core::model::DeliveryState;

use super::log_cases::{attempt, message};

pub async fn an_attempt_whose_place_was_taken_goes_after_the_newest_entry<S: Store>(store: &S) {
    let tenant = TenantId::generate();
    let endpoint = EndpointId::generate();
    let m = message(&tenant, "invoice.paid", 1_000, &[&endpoint]);
    store.insert_message(&m).await.unwrap();
    // Two receives of the same task read an empty ledger and both made attempt 1 (a duplicate receive).
    let (first, duplicate) = (
        attempt(&m, &endpoint, 1, DeliveryState::Retrying, 2_000),
        attempt(&m, &endpoint, 1, DeliveryState::Succeeded, 2_001),
    );
    let (a, b) = tokio::join!(store.record_attempt(&first), store.record_attempt(&duplicate));
    a.unwrap();
    b.unwrap();

    let log = store.message_log(&tenant, &m.id).await.unwrap().unwrap();
    let mut places: Vec<u32> = log.attempts.iter().map(|a| a.ledger_seq).collect();
    places.sort_unstable();
    assert_eq!(places, [1, 2], "both attempts are kept, one after the other");
    let newest = store.latest_delivery(&tenant, &m.id, &endpoint).await.unwrap().unwrap();
    assert_eq!(newest.ledger_seq, 2);
    let second = log.attempts.iter().find(|a| a.ledger_seq == 2).unwrap();
    assert_eq!(newest.id, second.id, "the newest entry is the one appended last");
    assert_eq!(log.deliveries.len(), 1);
    assert_eq!(log.deliveries[0].state, newest.state);
}

pub async fn a_resend_mark_sets_the_state_without_being_an_attempt<S: Store>(store: &S) {
    let tenant = TenantId::generate();
    let endpoint = EndpointId::generate();
    let m = message(&tenant, "invoice.paid", 1_000, &[&endpoint]);
    store.insert_message(&m).await.unwrap();
    let dead = attempt(&m, &endpoint, 8, DeliveryState::DeadLettered, 2_000);
    let dead = hookline_core::model::Attempt { ledger_seq: 1, ..dead };
    store.record_attempt(&dead).await.unwrap();
    let failed = [DeliveryState::DeadLettered, DeliveryState::Abandoned];
    let marked = store.set_delivery_state(&tenant, &m.id, &endpoint, DeliveryState::Pending, &failed).await;
    assert_eq!(marked.unwrap(), Some(DeliveryState::DeadLettered));

    let newest = store.latest_delivery(&tenant, &m.id, &endpoint).await.unwrap().unwrap();
    assert_eq!((newest.state, newest.ledger_seq, newest.number), (DeliveryState::Pending, 2, 8));
    assert_eq!(newest.response_body, None, "a mark keeps no response");
    let log = store.message_log(&tenant, &m.id).await.unwrap().unwrap();
    assert_eq!(log.attempts, std::slice::from_ref(&dead), "the mark is not an attempt");
    assert_eq!(log.deliveries.iter().map(|d| d.state).collect::<Vec<_>>(), [DeliveryState::Pending]);
    let listed = store
        .endpoint_attempts_page(&tenant, &endpoint, &[], &TimeQuery { limit: 10, ..TimeQuery::default() })
        .await
        .unwrap();
    assert_eq!(listed.items, [dead], "nor is it listed among the endpoint's attempts");

    // The resent task's first attempt goes after the mark and settles the delivery.
    let resent = attempt(&m, &endpoint, 1, DeliveryState::Succeeded, 3_000);
    let resent = hookline_core::model::Attempt { ledger_seq: next_entry(Some(&newest)), ..resent };
    store.record_attempt(&resent).await.unwrap();
    assert_eq!(store.latest_delivery(&tenant, &m.id, &endpoint).await.unwrap(), Some(resent));
    let log = store.message_log(&tenant, &m.id).await.unwrap().unwrap();
    assert_eq!(log.attempts.len(), 2);
    assert_eq!(log.deliveries.iter().map(|d| d.state).collect::<Vec<_>>(), [DeliveryState::Succeeded]);
}
