//! Keys and tenants this instance read lately, kept for a few seconds so that a producer publishing
//! one event per request does not pay two reads per request to be recognised. The bound is the
//! setting's (`HOOKLINE_ACCESS_CACHE_SECS`): a key revoked, a tenant deleted or its settings changed
//! through another instance take effect here at most that long after they were written; what this
//! instance itself writes to a key or tenant drops it at once. Only what was found is kept: an unknown
//! key is read every time, so a key just issued works at once. The token is checked against the kept
//! key's hash on every request.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hookline_core::ids::{ApiKeyId, PlatformKeyId, TenantId};
use hookline_core::tenancy::{ApiKey, PlatformKey, Tenant};

/// Past this many entries a map starts over, so a long-lived instance stays small.
const MAX_ENTRIES: usize = 10_000;

/// Values read less than `fresh_for_ms` ago.
#[derive(Debug)]
struct Recent<K, V> {
    fresh_for_ms: i64,
    entries: Mutex<HashMap<K, (i64, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Recent<K, V> {
    fn new(fresh_for_ms: i64) -> Self {
        Self { fresh_for_ms, entries: Mutex::default() }
    }

    fn get(&self, key: &K, now_ms: i64) -> Option<V> {
        let entries = self.entries();
        let (read_at_ms, value) = entries.get(key)?;
        (now_ms - read_at_ms < self.fresh_for_ms).then(|| value.clone())
    }

    fn put(&self, key: &K, value: &V, read_at_ms: i64) {
        if self.fresh_for_ms <= 0 {
            return;
        }
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key.clone(), (read_at_ms, value.clone()));
    }

    fn forget(&self, key: &K) {
        self.entries().remove(key);
    }

    fn retain(&self, keep: impl Fn(&V) -> bool) {
        self.entries().retain(|_, (_, value)| keep(value));
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, (i64, V)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug)]
pub(crate) struct AccessCache {
    api_keys: Recent<ApiKeyId, ApiKey>,
    platform_keys: Recent<PlatformKeyId, PlatformKey>,
    tenants: Recent<TenantId, Tenant>,
}

impl AccessCache {
    pub(crate) fn new(fresh_for: Duration) -> Self {
        let ms = i64::try_from(fresh_for.as_millis()).unwrap_or(i64::MAX);
        Self { api_keys: Recent::new(ms), platform_keys: Recent::new(ms), tenants: Recent::new(ms) }
    }

    pub(crate) fn api_key(&self, id: &ApiKeyId, now_ms: i64) -> Option<ApiKey> {
        self.api_keys.get(id, now_ms)
    }

    pub(crate) fn keep_api_key(&self, key: &ApiKey, read_at_ms: i64) {
        self.api_keys.put(&key.id, key, read_at_ms);
    }

    pub(crate) fn platform_key(&self, id: &PlatformKeyId, now_ms: i64) -> Option<PlatformKey> {
        self.platform_keys.get(id, now_ms)
    }

    pub(crate) fn keep_platform_key(&self, key: &PlatformKey, read_at_ms: i64) {
        self.platform_keys.put(&key.id, key, read_at_ms);
    }

    pub(crate) fn tenant(&self, id: &TenantId, now_ms: i64) -> Option<Tenant> {
        self.tenants.get(id, now_ms)
    }

    pub(crate) fn keep_tenant(&self, tenant: &Tenant, read_at_ms: i64) {
        self.tenants.put(&tenant.id, tenant, read_at_ms);
    }

    /// After this instance changed or deleted the tenant: its settings and its keys are read again.
    pub(crate) fn forget_tenant(&self, id: &TenantId) {
        self.tenants.forget(id);
        self.api_keys.retain(|key| &key.tenant_id != id);
    }

    pub(crate) fn forget_api_key(&self, id: &ApiKeyId) {
        self.api_keys.forget(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_value_is_fresh_for_the_bound_and_then_read_again() {
        let recent = Recent::new(5_000);
        recent.put(&"k", &1, 1_000);
        assert_eq!(recent.get(&"k", 5_999), Some(1));
        assert_eq!(recent.get(&"k", 6_000), None);
        recent.forget(&"k");
        assert_eq!(recent.get(&"k", 1_000), None);
    }

    #[test]
    fn with_a_zero_bound_nothing_is_kept() {
        let recent = Recent::new(0);
        recent.put(&"k", &1, 1_000);
        assert_eq!(recent.get(&"k", 1_000), None);
    }

    #[test]
    fn forgetting_a_tenant_drops_its_keys_and_no_one_elses() {
        let cache = AccessCache::new(Duration::from_secs(5));
        let (a, b) = (TenantId::generate(), TenantId::generate());
        let (key_a, _) = ApiKey::issue(a.clone(), "a".into(), 0);
        let (key_b, _) = ApiKey::issue(b.clone(), "b".into(), 0);
        cache.keep_api_key(&key_a, 0);
        cache.keep_api_key(&key_b, 0);
        cache.keep_tenant(&Tenant::named(a.clone(), "A".into(), 0), 0);
        cache.forget_tenant(&a);
        assert!(cache.api_key(&key_a.id, 1).is_none());
        assert!(cache.tenant(&a, 1).is_none());
        assert_eq!(cache.api_key(&key_b.id, 1), Some(key_b));
    }
}
