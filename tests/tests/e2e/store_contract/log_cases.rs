//! The attempt log's cases of the store contract: time-ordered listings with their filters and cursors,
//! a message's whole log, and the conditional change of a delivery's state that recovery relies on.

use hookline::store::{Store, TimeQuery};
use hookline_core::event_types::EventType;
use hookline_core::ids::{AttemptId, EndpointId, MessageId, TenantId};
use hookline_core::model::{Attempt, DeliveryState, Message, QueueState};

pub fn message(tenant: &TenantId, event_type: &str, at_ms: i64, endpoints: &[&EndpointId]) -> Message {
    Message {
        id: MessageId::generate(),
        tenant_id: tenant.clone(),
        event_type: EventType::parse(event_type).unwrap(),
        body: "{}".into(),
        request_hash: String::new(),
        created_at_ms: at_ms,
        queue_state: QueueState::Queued,
        claimed_at_ms: at_ms,
        endpoint_ids: endpoints.iter().map(|e| (*e).clone()).collect(),
    }
}

pub fn attempt(
    message: &Message,
    endpoint: &EndpointId,
    number: u32,
    state: DeliveryState,
    at_ms: i64,
) -> Attempt {
    Attempt {
        id: AttemptId::generate(),
        tenant_id: message.tenant_id.clone(),
        message_id: message.id.clone(),
        endpoint_id: endpoint.clone(),
        number,
        started_at_ms: at_ms,
        latency_ms: 7,
        state,
        status_code: Some(if state == DeliveryState::Succeeded { 200 } else { 500 }),
        error_code: None,
        error_detail: None,
        response_body: Some("ok".into()),
        next_attempt_at_ms: None,
        queue_message_id: None,
        // Where the delivery function puts attempt `number` of a first round.
        ledger_seq: number,
    }
}

/// Every message of a listing, page by page, and the sizes of the pages.
async fn all_messages<S: Store>(
    store: &S,
    tenant: &TenantId,
    event_type: Option<&EventType>,
    limit: u32,
) -> (Vec<Message>, Vec<usize>) {
    let (mut items, mut sizes, mut before) = (Vec::new(), Vec::new(), None);
    loop {
        let query = TimeQuery { limit, before: before.take(), ..TimeQuery::default() };
        let found = store.messages_page(tenant, event_type, &query).await.unwrap();
        sizes.push(found.items.len());
        items.extend(found.items);
        match found.next {
            Some(next) => before = Some(next),
            None => return (items, sizes),
        }
        assert!(sizes.len() < 20, "paging does not end");
    }
}

/// Every attempt to an endpoint of the given states, page by page.
async fn all_attempts<S: Store>(
    store: &S,
    tenant: &TenantId,
    endpoint: &EndpointId,
    states: &[DeliveryState],
    limit: u32,
) -> Vec<Attempt> {
    let (mut items, mut before) = (Vec::new(), None);
    for _ in 0..20 {
        let query = TimeQuery { limit, before: before.take(), ..TimeQuery::default() };
        let found = store.endpoint_attempts_page(tenant, endpoint, states, &query).await.unwrap();
        assert!(found.items.len() <= usize::try_from(limit).unwrap());
        items.extend(found.items);
        match found.next {
            Some(next) => before = Some(next),
            None => return items,
        }
    }
    panic!("paging does not end");
}

pub async fn messages_list_newest_first_within_a_time_range_and_of_one_type<S: Store>(store: &S) {
    let (a, b) = (TenantId::generate(), TenantId::generate());
    let at = 1_700_000_000_000;
    let mut made = Vec::new();
    for (n, event_type) in
        ["invoice.paid", "invoice.voided", "invoice.paid", "invoice.paid"].iter().enumerate()
    {
        let m = message(&a, event_type, at + i64::try_from(n).unwrap() * 1_000, &[]);
        store.insert_message(&m).await.unwrap();
        made.push(m);
    }
    // Two in the same millisecond still page apart, and another tenant's never shows.
    let twin = message(&a, "invoice.paid", at + 3_000, &[]);
    store.insert_message(&twin).await.unwrap();
    store.insert_message(&message(&b, "invoice.paid", at + 500, &[])).await.unwrap();

    let (listed, sizes) = all_messages(store, &a, None, 2).await;
    assert!(sizes.iter().all(|size| *size <= 2), "{sizes:?}");
    let times: Vec<i64> = listed.iter().map(|m| m.created_at_ms).collect();
    assert_eq!(times, [at + 3_000, at + 3_000, at + 2_000, at + 1_000, at], "newest first");
    assert!(listed.contains(&twin));

    let range = TimeQuery { from_ms: Some(at + 1_000), to_ms: Some(at + 3_000), limit: 10, before: None };
    let in_range = store.messages_page(&a, None, &range).await.unwrap();
    let ids: Vec<_> = in_range.items.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids, [made[2].id.clone(), made[1].id.clone()], "since inclusive, until exclusive");

    let paid = EventType::parse("invoice.paid").unwrap();
    let (typed, _) = all_messages(store, &a, Some(&paid), 2).await;
    assert_eq!(typed.len(), 4);
    assert!(typed.iter().all(|m| m.event_type == paid));
}

pub async fn an_endpoints_attempts_list_newest_first_and_filter_by_state<S: Store>(store: &S) {
    let tenant = TenantId::generate();
    let (endpoint, other) = (EndpointId::generate(), EndpointId::generate());
    let m = message(&tenant, "invoice.paid", 1_000, &[&endpoint, &other]);
    store.insert_message(&m).await.unwrap();
    let states = [DeliveryState::Retrying, DeliveryState::Retrying, DeliveryState::Succeeded];
    for (n, state) in states.into_iter().enumerate() {
        let number = u32::try_from(n).unwrap() + 1;
        store
            .record_attempt(&attempt(&m, &endpoint, number, state, 2_000 + i64::from(number)))
            .await
            .unwrap();
    }
    store.record_attempt(&attempt(&m, &other, 1, DeliveryState::DeadLettered, 2_000)).await.unwrap();

    let listed = all_attempts(store, &tenant, &endpoint, &[], 2).await;
    let numbers: Vec<u32> = listed.iter().map(|a| a.number).collect();
    assert_eq!(numbers, [3, 2, 1], "newest first, and only this endpoint's");

    let retrying = [DeliveryState::Retrying];
    let failed = all_attempts(store, &tenant, &endpoint, &retrying, 1).await;
    assert_eq!(failed.iter().map(|a| a.number).collect::<Vec<_>>(), [2, 1]);
}

pub async fn a_message_log_holds_the_latest_delivery_per_endpoint_and_every_attempt<S: Store>(store: &S) {
    let tenant = TenantId::generate();
    let (one, two) = (EndpointId::generate(), EndpointId::generate());
    let m = message(&tenant, "invoice.paid", 1_000, &[&one, &two]);
    store.insert_message(&m).await.unwrap();
    let first = attempt(&m, &one, 1, DeliveryState::Retrying, 2_000);
    let second = attempt(&m, &one, 2, DeliveryState::Succeeded, 3_000);
    for a in [&first, &second] {
        store.record_attempt(a).await.unwrap();
    }

    let log = store.message_log(&tenant, &m.id).await.unwrap().unwrap();
    assert_eq!(log.message, m);
    assert_eq!(
        log.deliveries.iter().map(|d| (&d.endpoint_id, d.state)).collect::<Vec<_>>(),
        [(&one, DeliveryState::Succeeded)]
    );
    let mut attempts: Vec<_> = log.attempts.iter().map(|a| a.id.clone()).collect();
    attempts.sort();
    let mut expected = vec![first.id.clone(), second.id.clone()];
    expected.sort();
    assert_eq!(attempts, expected);
    assert_eq!(store.latest_delivery(&tenant, &m.id, &one).await.unwrap(), Some(second.clone()));
    assert_eq!(store.latest_delivery(&tenant, &m.id, &two).await.unwrap(), None);
    assert_eq!(store.message_log(&TenantId::generate(), &m.id).await.unwrap(), None, "another tenant's");
}

pub async fn a_delivery_state_changes_only_from_the_states_named<S: Store>(store: &S) {
    let tenant = TenantId::generate();
    let endpoint = EndpointId::generate();
    let m = message(&tenant, "invoice.paid", 1_000, &[&endpoint]);
    store.insert_message(&m).await.unwrap();
    let pending = DeliveryState::Pending;
    let failed = [DeliveryState::DeadLettered, DeliveryState::Abandoned];
    assert_eq!(
        store.set_delivery_state(&tenant, &m.id, &endpoint, pending, &failed).await.unwrap(),
        None,
        "no delivery yet"
    );
    store.record_attempt(&attempt(&m, &endpoint, 1, DeliveryState::DeadLettered, 2_000)).await.unwrap();

    let (once, twice) = tokio::join!(
        store.set_delivery_state(&tenant, &m.id, &endpoint, pending, &failed),
        store.set_delivery_state(&tenant, &m.id, &endpoint, pending, &failed),
    );
    let changed: Vec<_> = [once.unwrap(), twice.unwrap()].into_iter().flatten().collect();
    assert_eq!(changed, [DeliveryState::DeadLettered], "exactly one caller moves it, and learns from what");
    let latest = store.latest_delivery(&tenant, &m.id, &endpoint).await.unwrap().unwrap();
    assert_eq!(latest.state, DeliveryState::Pending);
}
