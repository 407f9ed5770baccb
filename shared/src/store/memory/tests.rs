use super::*;
use crate::event_type::{EventFilter, EventType};
use crate::signing::Secret;
use crate::store::RateLimiter;

fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

fn endpoint(tenant: &TenantId) -> Endpoint {
    Endpoint::new(
        tenant.clone(),
        "https://example.com/hook".into(),
        EventFilter::everything(),
        Secret::generate(),
        0,
    )
}

fn page(limit: u32, after: Option<String>) -> PageRequest {
    PageRequest { limit, after }
}

#[tokio::test]
async fn pages_hold_the_tenants_endpoints_in_key_order_and_end_without_an_empty_page() {
    let store = MemoryStore::default();
    let (a, b) = (tenant("ten_a"), tenant("ten_b"));
    let mut made: Vec<Endpoint> = (0..4).map(|_| endpoint(&a)).collect();
    for e in made.iter().chain([&endpoint(&b)]) {
        store.put_endpoint(e).await.unwrap();
    }
    made.sort_by(|x, y| x.id.cmp(&y.id));

    let first = store.endpoints_page(&a, &page(2, None)).await.unwrap();
    assert_eq!(first.items, made[..2]);
    assert_eq!(first.next, Some(keys::endpoint_sk(&made[1].id)));
    let second = store.endpoints_page(&a, &page(2, first.next)).await.unwrap();
    assert_eq!((second.items.as_slice(), second.next), (&made[2..], None));
    // A cursor past the tenant's endpoints reads nothing, never another tenant's.
    let past = store.endpoints_page(&a, &page(2, Some("EP$".into()))).await.unwrap();
    assert_eq!((past.items.len(), past.next), (0, None));
}

#[tokio::test]
async fn a_replacement_must_follow_the_stored_revision() {
    let store = MemoryStore::default();
    let mut e = endpoint(&tenant("ten_a"));
    store.put_endpoint(&e).await.unwrap();
    assert!(matches!(store.put_endpoint(&e).await, Err(StoreError::Conflict)));
    e.revision = 1;
    store.replace_endpoint(&e).await.unwrap();
    assert!(matches!(store.replace_endpoint(&e).await, Err(StoreError::Conflict)));
    store.disable_endpoint(&e.tenant_id, &e.id, "gone").await.unwrap();
    e.revision = 2;
    assert!(matches!(store.replace_endpoint(&e).await, Err(StoreError::Conflict)));
    assert!(store.delete_endpoint(&e.tenant_id, &e.id).await.unwrap());
    e.revision = 3;
    assert!(matches!(store.replace_endpoint(&e).await, Err(StoreError::NoSuchEndpoint(_))));
}

#[tokio::test]
async fn a_claim_holds_only_against_the_message_as_seen() {
    let store = MemoryStore::default();
    let seen = Message {
        id: MessageId::parse("msg_1").unwrap(),
        tenant_id: tenant("ten_a"),
        event_type: EventType::parse("invoice.paid").unwrap(),
        body: "{}".into(),
        request_hash: String::new(),
        created_at_ms: 0,
        queue_state: QueueState::Failed,
        claimed_at_ms: 0,
        endpoint_ids: vec![],
    };
    assert!(!store.claim_queueing(&seen, 5).await.unwrap(), "no such message yet");
    store.insert_message(&seen).await.unwrap();
    assert!(store.claim_queueing(&seen, 5).await.unwrap());
    assert!(!store.claim_queueing(&seen, 6).await.unwrap());
    let now = store.get_message(&seen.tenant_id, &seen.id).await.unwrap().unwrap();
    assert_eq!((now.queue_state, now.claimed_at_ms), (QueueState::Queueing, 5));
}

#[tokio::test]
async fn the_rate_limiter_fills_each_second_and_lets_an_oversized_batch_into_an_empty_one() {
    let store = MemoryStore::default();
    let a = RateBucket::Ingest(tenant("ten_a"));
    let at = 1_700_000_000_500;
    assert!(store.admit(&a, 3, 5, at).await.unwrap());
    assert!(store.admit(&a, 2, 5, at).await.unwrap());
    assert!(!store.admit(&a, 1, 5, at + 499).await.unwrap());
    assert!(
        store.admit(&RateBucket::Ingest(tenant("ten_b")), 5, 5, at).await.unwrap(),
        "budgets are per tenant"
    );
    assert!(!store.admit(&a, 10, 5, at).await.unwrap());
    assert!(store.admit(&a, 10, 5, at + 500).await.unwrap(), "an untouched second takes a big batch");
    assert!(!store.admit(&a, 1, 5, at + 600).await.unwrap());
}
