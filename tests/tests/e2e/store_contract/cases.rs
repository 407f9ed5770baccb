//! The cases of the store contract: what every store must answer, whichever it is. Each case takes a fresh
//! store; `mod.rs` runs every case against the in-memory store and against DynamoDB on the emulator.

use std::time::Duration;

use hookline::store::order::{ENDPOINT_SK_PREFIX, endpoint_sk};
use hookline::store::{PageRequest, RateBucket, Store, StoreError};
use hookline_core::event_types::{EventFilter, EventType};
use hookline_core::ids::{ApiKeyId, EndpointId, MessageId, TenantId};
use hookline_core::model::{Endpoint, EventTypeInfo, Message, QueueState};
use hookline_core::signing::Secret;
use hookline_core::tenancy::{ApiKey, Tenant};

pub(super) fn endpoint(tenant: &TenantId) -> Endpoint {
    Endpoint::new(
        tenant.clone(),
        "https://example.com/hook".into(),
        EventFilter::everything(),
        Secret::generate(),
        0,
    )
}

fn event_type(tenant: &TenantId, name: &str) -> EventTypeInfo {
    EventTypeInfo {
        tenant_id: tenant.clone(),
        name: EventType::parse(name).unwrap(),
        description: Some(format!("{name} happened")),
        example: None,
        created_at_ms: 0,
    }
}

fn page(limit: u32, after: Option<String>) -> PageRequest {
    PageRequest { limit, after }
}

pub async fn endpoints_page_through_in_creation_order_without_gaps_or_repeats<S: Store>(store: &S) {
    let tenant = TenantId::generate();
    let mut created = Vec::new();
    for _ in 0..5 {
        let e = endpoint(&tenant);
        store.put_endpoint(&e).await.unwrap();
        created.push(e.id);
        // Ids are time-ordered to the millisecond.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    store.put_endpoint(&endpoint(&TenantId::generate())).await.unwrap();

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut after = None;
    loop {
        let found = store.endpoints_page(&tenant, &page(2, after)).await.unwrap();
        sizes.push(found.items.len());
        seen.extend(found.items.into_iter().map(|e| e.id));
        after = found.next;
        if after.is_none() {
            break;
        }
        assert!(sizes.len() < 10, "paging does not end");
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen, created);

    // A page that holds the rest says there is nothing after it, instead of leading to an empty page.
    let whole = store.endpoints_page(&tenant, &page(5, None)).await.unwrap();
    assert_eq!((whole.items.len(), whole.next), (5, None));
    assert_eq!(store.list_endpoints(&tenant).await.unwrap().len(), 5);
}

pub async fn a_stale_revision_is_refused_and_a_deleted_endpoint_reports_gone<S: Store>(store: &S) {
    let mut e = endpoint(&TenantId::generate());
    store.put_endpoint(&e).await.unwrap();
    assert!(matches!(store.put_endpoint(&e).await, Err(StoreError::Conflict)), "create is create only");

    e.revision = 1;
    e.description = Some("first edit".into());
    store.replace_endpoint(&e).await.unwrap();
    assert_eq!(store.get_endpoint(&e.tenant_id, &e.id).await.unwrap(), Some(e.clone()));
    assert!(matches!(store.replace_endpoint(&e).await, Err(StoreError::Conflict)), "same revision twice");

    // Disabling bumps the revision, so an edit based on the enabled endpoint cannot re-enable it.
    store.disable_endpoint(&e.tenant_id, &e.id, "too many failures").await.unwrap();
    let disabled = store.get_endpoint(&e.tenant_id, &e.id).await.unwrap().unwrap();
    assert_eq!((disabled.enabled, disabled.revision), (false, 2));
    e.revision = 2;
    assert!(matches!(store.replace_endpoint(&e).await, Err(StoreError::Conflict)));

    assert!(store.delete_endpoint(&e.tenant_id, &e.id).await.unwrap());
    assert!(!store.delete_endpoint(&e.tenant_id, &e.id).await.unwrap());
    e.revision = 3;
    assert!(matches!(store.replace_endpoint(&e).await, Err(StoreError::NoSuchEndpoint(id)) if id == e.id));
    assert!(matches!(
        store.disable_endpoint(&e.tenant_id, &e.id, "x").await,
        Err(StoreError::NoSuchEndpoint(_))
    ));
}

pub async fn only_one_of_two_concurrent_claims_wins<S: Store>(store: &S) {
    let seen = Message {
        id: MessageId::generate(),
        tenant_id: TenantId::generate(),
        event_type: EventType::parse("invoice.paid").unwrap(),
        body: "{}".into(),
        request_hash: "h".into(),
        created_at_ms: 1_000,
        queue_state: QueueState::Failed,
        claimed_at_ms: 1_000,
        endpoint_ids: vec![],
    };
    assert!(!store.claim_queueing(&seen, 2_000).await.unwrap(), "nothing to claim yet");
    store.insert_message(&seen).await.unwrap();

    let (first, second) =
        tokio::join!(store.claim_queueing(&seen, 2_000), store.claim_queueing(&seen, 2_001));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(first ^ second, "exactly one claim wins: {first} {second}");
    let now = store.get_message(&seen.tenant_id, &seen.id).await.unwrap().unwrap();
    assert_eq!(now.queue_state, QueueState::Queueing);
    assert_eq!(now.claimed_at_ms, if first { 2_000 } else { 2_001 });

    // A lease can be taken over, but only by someone who saw the current one.
    assert!(!store.claim_queueing(&seen, 3_000).await.unwrap());
    assert!(store.claim_queueing(&now, 3_000).await.unwrap());
}

pub async fn a_queue_outcome_counts_only_for_the_claim_it_ends<S: Store>(store: &S) {
    let first = Message {
        id: MessageId::generate(),
        tenant_id: TenantId::generate(),
        event_type: EventType::parse("invoice.paid").unwrap(),
        body: "{}".into(),
        request_hash: "h".into(),
        created_at_ms: 1_000,
        queue_state: QueueState::Queueing,
        claimed_at_ms: 1_000,
        endpoint_ids: vec![],
    };
    store.insert_message(&first).await.unwrap();
    let read = async || store.get_message(&first.tenant_id, &first.id).await.unwrap().unwrap();
    assert_eq!(read().await.queue_state, QueueState::Queueing);
    store.set_queue_state(&first, QueueState::Failed).await.unwrap();
    let failed = read().await;
    assert_eq!((failed.queue_state, failed.claimed_at_ms), (QueueState::Failed, 1_000));

    // A retry claims it; then the first claim's holder, late, writes an outcome: it no longer counts.
    assert!(store.claim_queueing(&failed, 2_000).await.unwrap());
    let claimed = read().await;
    assert_eq!((claimed.queue_state, claimed.claimed_at_ms), (QueueState::Queueing, 2_000));
    store.set_queue_state(&first, QueueState::Queued).await.unwrap();
    assert_eq!(read().await.queue_state, QueueState::Queueing, "an earlier claim's outcome");
    store.set_queue_state(&claimed, QueueState::Queued).await.unwrap();
    assert_eq!(read().await.queue_state, QueueState::Queued);
    // A copy that lost the race to store it learns the same.
    match store.insert_message(&first).await.unwrap() {
        hookline::store::Inserted::Existing(existing) => assert_eq!(existing.queue_state, QueueState::Queued),
        hookline::store::Inserted::New => panic!("the message exists"),
    }
    let log = store.message_log(&first.tenant_id, &first.id).await.unwrap().unwrap();
    assert_eq!(log.message.queue_state, QueueState::Queued);
}

pub async fn api_keys_are_found_by_id_listed_by_tenant_and_revoked_only_by_their_tenant<S: Store>(store: &S) {
    let (a, b) = (TenantId::generate(), TenantId::generate());
    let (newer, _) = ApiKey::issue(a.clone(), "ci".into(), 2_000);
    let (older, _) = ApiKey::issue(a.clone(), "deploy".into(), 1_000);
    let (theirs, _) = ApiKey::issue(b.clone(), "ci".into(), 1_500);
    for key in [&newer, &older, &theirs] {
        store.put_api_key(key).await.unwrap();
    }
    assert!(matches!(store.put_api_key(&newer).await, Err(StoreError::Conflict)));

    assert_eq!(store.find_api_key(&older.id).await.unwrap(), Some(older.clone()));
    assert_eq!(store.find_api_key(&ApiKeyId::generate()).await.unwrap(), None);
    assert_eq!(store.list_api_keys(&a).await.unwrap(), [older.clone(), newer.clone()], "oldest first");
    assert_eq!(store.list_api_keys(&b).await.unwrap(), [theirs]);

    assert!(!store.revoke_api_key(&b, &older.id, 3_000).await.unwrap(), "not B's key");
    assert!(store.find_api_key(&older.id).await.unwrap().unwrap().revoked_at_ms.is_none());
    assert!(store.revoke_api_key(&a, &older.id, 3_000).await.unwrap());
    assert!(store.revoke_api_key(&a, &older.id, 4_000).await.unwrap(), "revoking again is fine");
    assert_eq!(store.find_api_key(&older.id).await.unwrap().unwrap().revoked_at_ms, Some(3_000));
    assert!(!store.revoke_api_key(&a, &ApiKeyId::generate(), 3_000).await.unwrap());
    assert_eq!(store.list_api_keys(&a).await.unwrap().len(), 2, "revoked keys are still listed");
}

pub async fn another_tenants_ids_find_nothing<S: Store>(store: &S) {
    let (a, b) = (TenantId::generate(), TenantId::generate());
    let e = endpoint(&a);
    store.put_endpoint(&e).await.unwrap();
    let kind = event_type(&a, "invoice.paid");
    assert!(store.put_event_type(&kind).await.unwrap());
    let (key, _) = ApiKey::issue(a.clone(), "ci".into(), 0);
    store.put_api_key(&key).await.unwrap();

    assert_eq!(store.get_endpoint(&b, &e.id).await.unwrap(), None);
    assert!(!store.delete_endpoint(&b, &e.id).await.unwrap());
    assert!(matches!(store.disable_endpoint(&b, &e.id, "x").await, Err(StoreError::NoSuchEndpoint(_))));
    let hijack = Endpoint { tenant_id: b.clone(), revision: 1, ..e.clone() };
    assert!(matches!(store.replace_endpoint(&hijack).await, Err(StoreError::NoSuchEndpoint(_))));
    assert!(store.list_endpoints(&b).await.unwrap().is_empty());
    assert!(store.endpoints_page(&b, &page(10, None)).await.unwrap().items.is_empty());
    assert_eq!(store.get_event_type(&b, &kind.name).await.unwrap(), None);
    assert!(!store.delete_event_type(&b, &kind.name).await.unwrap());
    assert!(store.event_types_page(&b, &page(10, None)).await.unwrap().items.is_empty());
    assert!(!store.revoke_api_key(&b, &key.id, 1).await.unwrap());
    assert!(store.list_api_keys(&b).await.unwrap().is_empty());

    // And A's items are untouched.
    assert_eq!(store.get_endpoint(&a, &e.id).await.unwrap(), Some(e));
    assert_eq!(store.get_event_type(&a, &kind.name).await.unwrap(), Some(kind));
    assert_eq!(store.find_api_key(&key.id).await.unwrap(), Some(key));
}

pub async fn event_types_are_created_once_listed_by_name_and_deleted<S: Store>(store: &S) {
    let tenant = TenantId::generate();
    for name in ["order.created", "invoice.paid", "invoice.failed"] {
        assert!(store.put_event_type(&event_type(&tenant, name)).await.unwrap());
    }
    let again =
        EventTypeInfo { description: Some("replaced?".into()), ..event_type(&tenant, "invoice.paid") };
    assert!(!store.put_event_type(&again).await.unwrap());
    let name = EventType::parse("invoice.paid").unwrap();
    assert_eq!(
        store.get_event_type(&tenant, &name).await.unwrap(),
        Some(event_type(&tenant, "invoice.paid"))
    );

    let first = store.event_types_page(&tenant, &page(2, None)).await.unwrap();
    let names: Vec<_> = first.items.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["invoice.failed", "invoice.paid"]);
    let second = store.event_types_page(&tenant, &page(2, first.next)).await.unwrap();
    let names: Vec<_> = second.items.iter().map(|t| t.name.as_str()).collect();
    assert_eq!((names.as_slice(), second.next), (["order.created"].as_slice(), None));

    assert!(store.delete_event_type(&tenant, &name).await.unwrap());
    assert!(!store.delete_event_type(&tenant, &name).await.unwrap());
    assert_eq!(store.get_event_type(&tenant, &name).await.unwrap(), None);
}

pub async fn the_rate_limiter_admits_up_to_the_budget_per_second_then_refuses<S: Store>(store: &S) {
    let tenant_id = TenantId::generate();
    let (tenant, other) = (RateBucket::Ingest(tenant_id.clone()), RateBucket::Ingest(TenantId::generate()));
    let endpoint = RateBucket::Endpoint(tenant_id, EndpointId::generate());
    let second = 1_700_000_000;
    let at = second * 1_000 + 100;

    assert!(store.admit(&tenant, 3, 5, at).await.unwrap());
    assert!(store.admit(&tenant, 2, 5, at + 500).await.unwrap());
    assert!(!store.admit(&tenant, 1, 5, at + 899).await.unwrap(), "the second's budget is spent");
    assert!(store.admit(&other, 5, 5, at).await.unwrap(), "budgets are per tenant");
    assert!(store.admit(&endpoint, 5, 5, at).await.unwrap(), "an endpoint's deliveries have their own");
    assert!(!store.admit(&endpoint, 1, 5, at).await.unwrap());
    assert!(store.admit(&tenant, 1, 5, at + 1_000).await.unwrap(), "the next second starts afresh");

    // A batch larger than the budget gets into an untouched second only, and fills it.
    assert!(!store.admit(&tenant, 10, 5, at + 1_000).await.unwrap());
    assert!(store.admit(&tenant, 10, 5, at + 2_000).await.unwrap());
    assert!(!store.admit(&tenant, 1, 5, at + 2_000).await.unwrap());
}

pub async fn tenants_are_created_once_and_updated_in_place<S: Store>(store: &S) {
    let mut tenant = Tenant::new("Acme".into(), 1_000);
    assert_eq!(store.get_tenant(&tenant.id).await.unwrap(), None);
    store.put_tenant(&tenant).await.unwrap();
    assert!(matches!(store.put_tenant(&tenant).await, Err(StoreError::Conflict)));

    tenant.ingest_rate_limit = Some(50);
    tenant.reject_unregistered_event_types = true;
    store.update_tenant(&tenant).await.unwrap();
    assert_eq!(store.get_tenant(&tenant.id).await.unwrap(), Some(tenant));

    let never_created = Tenant::new("Ghost".into(), 0);
    assert!(matches!(store.update_tenant(&never_created).await, Err(StoreError::Conflict)));
    assert_eq!(store.get_tenant(&never_created.id).await.unwrap(), None);
}

pub async fn an_endpoints_failing_run_starts_at_its_first_failure_and_a_success_ends_it<S: Store>(store: &S) {
    let tenant = TenantId::generate();
    let endpoint = Endpoint::new(
        tenant.clone(),
        "https://example.com/hook".into(),
        EventFilter::everything(),
        Secret::generate(),
        0,
    );
    store.put_endpoint(&endpoint).await.unwrap();
    let (tenant, id) = (&tenant, &endpoint.id);

    assert_eq!(store.record_endpoint_failure(tenant, id, 1_000).await.unwrap(), 1_000);
    assert_eq!(store.record_endpoint_failure(tenant, id, 5_000).await.unwrap(), 1_000);
    let failing = store.get_endpoint(tenant, id).await.unwrap().unwrap();
    assert_eq!((failing.failing_since_ms, failing.consecutive_failures), (Some(1_000), 2));
    assert_eq!(failing.revision, 2, "health writes bump the revision so API updates cannot undo them");

    store.record_endpoint_success(tenant, id).await.unwrap();
    let healthy = store.get_endpoint(tenant, id).await.unwrap().unwrap();
    assert_eq!((healthy.failing_since_ms, healthy.consecutive_failures), (None, 0));
    store.record_endpoint_success(tenant, id).await.unwrap();
    assert_eq!(store.record_endpoint_failure(tenant, id, 9_000).await.unwrap(), 9_000);

    store.delete_endpoint(tenant, id).await.unwrap();
    assert!(matches!(
        store.record_endpoint_failure(tenant, id, 10_000).await,
        Err(StoreError::NoSuchEndpoint(_))
    ));
    store.record_endpoint_success(tenant, id).await.unwrap();
    assert!(store.get_endpoint(tenant, id).await.unwrap().is_none(), "a late success must not recreate it");
}

/// From the in-memory store's own tests: a page's cursor is the sort key of its last item, and a cursor
/// past the tenant's items reads nothing, never another tenant's.
pub async fn a_cursor_is_the_last_sort_key_and_one_past_the_tenant_reads_nothing<S: Store>(store: &S) {
    let (a, b) = (TenantId::generate(), TenantId::generate());
    let mut made: Vec<Endpoint> = (0..4).map(|_| endpoint(&a)).collect();
    for e in made.iter().chain([&endpoint(&b)]) {
        store.put_endpoint(e).await.unwrap();
    }
    made.sort_by(|x, y| x.id.cmp(&y.id));

    let first = store.endpoints_page(&a, &page(2, None)).await.unwrap();
    assert_eq!(first.items, made[..2]);
    assert_eq!(first.next, Some(endpoint_sk(&made[1].id)));
    let second = store.endpoints_page(&a, &page(2, first.next)).await.unwrap();
    assert_eq!((second.items.as_slice(), second.next), (&made[2..], None));
    let past = format!("{ENDPOINT_SK_PREFIX}~");
    let past = store.endpoints_page(&a, &page(2, Some(past))).await.unwrap();
    assert_eq!((past.items.len(), past.next), (0, None));
}
