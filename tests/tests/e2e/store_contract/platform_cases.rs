//! The contract of the platform's store ports: tenants listed and deleted, platform keys, and portal
//! sessions whose link is spent once. Stores may be shared with other tests' items (the DynamoDB table
//! holds the stack's own tenant), so each case looks only at what it wrote.

use hookline::store::{PageRequest, Store, StoreError};
use hookline_core::ids::TenantId;
use hookline_core::portal::PortalSession;
use hookline_core::tenancy::{ApiKey, PlatformKey, TENANT_DELETED_REASON, Tenant};

use super::cases::endpoint;

fn unique(name: &str) -> TenantId {
    TenantId::parse(&format!("{name}-{}", TenantId::generate())).unwrap()
}

/// Every live tenant id, read page by page.
async fn listed<S: Store>(store: &S, limit: u32) -> Vec<TenantId> {
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let page = store.tenants_page(&PageRequest { limit, after }).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        ids.extend(page.items.into_iter().map(|t| t.id));
        match page.next {
            Some(next) => after = Some(next),
            None => return ids,
        }
    }
}

pub async fn tenants_list_by_id_and_a_deleted_one_leaves_the_list<S: Store>(store: &S) {
    let ours: Vec<TenantId> = ["c", "a", "b"].iter().map(|n| unique(n)).collect();
    for id in &ours {
        store.put_tenant(&Tenant::named(id.clone(), "x".into(), 0)).await.unwrap();
    }
    let mine = |ids: Vec<TenantId>| ids.into_iter().filter(|id| ours.contains(id)).collect::<Vec<_>>();
    let mut sorted = ours.clone();
    sorted.sort();
    assert_eq!(mine(listed(store, 2).await), sorted, "by id, no gaps or repeats across pages");

    assert!(store.delete_tenant(&ours[0], 5_000).await.unwrap());
    assert!(!store.delete_tenant(&ours[0], 6_000).await.unwrap(), "deleted once");
    let left: Vec<TenantId> = sorted.iter().filter(|id| **id != ours[0]).cloned().collect();
    assert_eq!(mine(listed(store, 1).await), left);
    let deleted = store.get_tenant(&ours[0]).await.unwrap().unwrap();
    assert_eq!(deleted.deleted_at_ms, Some(5_000), "kept, marked, until TTL");
    assert!(matches!(store.update_tenant(&deleted).await, Err(StoreError::Conflict)));
    assert!(!store.revoke_portal_sessions(&ours[0], 7_000).await.unwrap());
    assert!(!store.delete_tenant(&unique("never"), 0).await.unwrap());
}

pub async fn deleting_a_tenant_closes_its_endpoints_and_revokes_its_keys_and_nothing_of_others<S: Store>(
    store: &S,
) {
    let (gone, kept) = (unique("gone"), unique("kept"));
    let mut endpoints = Vec::new();
    for tenant in [&gone, &kept] {
        store.put_tenant(&Tenant::named(tenant.clone(), "x".into(), 0)).await.unwrap();
        let endpoint = endpoint(tenant);
        store.put_endpoint(&endpoint).await.unwrap();
        let (key, _) = ApiKey::issue(tenant.clone(), "k".into(), 0);
        store.put_api_key(&key).await.unwrap();
        endpoints.push((endpoint, key));
    }
    assert!(store.delete_tenant(&gone, 9_000).await.unwrap());

    let (endpoint, key) = &endpoints[0];
    let closed = store.get_endpoint(&gone, &endpoint.id).await.unwrap().unwrap();
    assert!(!closed.enabled);
    assert_eq!(closed.tenant_deleted_at_ms, Some(9_000));
    assert_eq!(closed.disabled_reason.as_deref(), Some(TENANT_DELETED_REASON));
    assert_eq!(closed.revision, endpoint.revision + 1, "a write based on the open endpoint now conflicts");
    assert_eq!(store.find_api_key(&key.id).await.unwrap().unwrap().revoked_at_ms, Some(9_000));

    let (endpoint, key) = &endpoints[1];
    assert_eq!(store.get_endpoint(&kept, &endpoint.id).await.unwrap().as_ref(), Some(endpoint));
    assert_eq!(store.find_api_key(&key.id).await.unwrap().as_ref(), Some(key));
}

pub async fn a_settings_update_keeps_the_session_revocation<S: Store>(store: &S) {
    let mut tenant = Tenant::named(unique("t"), "Acme".into(), 0);
    store.put_tenant(&tenant).await.unwrap();
    assert!(store.revoke_portal_sessions(&tenant.id, 4_000).await.unwrap());
    tenant.name = "Acme Inc".into();
    tenant.metadata.insert("plan".into(), "pro".into());
    store.update_tenant(&tenant).await.unwrap();
    let stored = store.get_tenant(&tenant.id).await.unwrap().unwrap();
    assert_eq!((stored.name.as_str(), stored.sessions_revoked_at_ms), ("Acme Inc", Some(4_000)));
    assert_eq!(stored.metadata, tenant.metadata);
    tenant.metadata.clear();
    store.update_tenant(&tenant).await.unwrap();
    assert!(store.get_tenant(&tenant.id).await.unwrap().unwrap().metadata.is_empty(), "a removed field goes");
}

pub async fn platform_keys_are_found_listed_oldest_first_and_revoked<S: Store>(store: &S) {
    let (older, _) = PlatformKey::issue("first".into(), 1_000);
    let (newer, _) = PlatformKey::issue("second".into(), 2_000);
    store.put_platform_key(&newer).await.unwrap();
    store.put_platform_key(&older).await.unwrap();
    assert!(matches!(store.put_platform_key(&older).await, Err(StoreError::Conflict)));
    assert_eq!(store.find_platform_key(&older.id).await.unwrap().as_ref(), Some(&older));
    let ids: Vec<_> = store.list_platform_keys().await.unwrap().into_iter().map(|k| k.id).collect();
    let ours: Vec<_> = ids.into_iter().filter(|id| *id == older.id || *id == newer.id).collect();
    assert_eq!(ours, vec![older.id.clone(), newer.id.clone()]);
    assert!(store.revoke_platform_key(&older.id, 3_000).await.unwrap());
    assert!(store.revoke_platform_key(&older.id, 4_000).await.unwrap());
    assert_eq!(store.find_platform_key(&older.id).await.unwrap().unwrap().revoked_at_ms, Some(3_000));
    let (never, _) = PlatformKey::issue("never".into(), 0);
    assert!(!store.revoke_platform_key(&never.id, 0).await.unwrap());
}

pub async fn a_portal_link_is_exchanged_once<S: Store>(store: &S) {
    let (session, _) = PortalSession::offer(unique("t"), &[], None, 1_000).unwrap();
    store.put_portal_session(&session).await.unwrap();
    assert!(matches!(store.put_portal_session(&session).await, Err(StoreError::Conflict)));
    assert_eq!(store.find_portal_session(&session.id).await.unwrap().as_ref(), Some(&session));
    assert!(store.exchange_portal_link(&session.id, "first", 2_000).await.unwrap());
    assert!(!store.exchange_portal_link(&session.id, "second", 2_001).await.unwrap(), "spent");
    let stored = store.find_portal_session(&session.id).await.unwrap().unwrap();
    assert_eq!((stored.session_hash.as_deref(), stored.exchanged_at_ms), (Some("first"), Some(2_000)));
    let (never, _) = PortalSession::offer(unique("t"), &[], None, 0).unwrap();
    assert!(!store.exchange_portal_link(&never.id, "x", 0).await.unwrap());
}
