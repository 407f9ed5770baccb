//! Endpoints this instance read lately, kept for a few seconds so that a batch of deliveries to one
//! endpoint reads it once, not once per attempt. The bound is the setting's: a change made through the
//! API (a rotated secret, a disabled or deleted endpoint, a new URL) reaches every attempt at most that
//! long after it was written. What this instance itself writes to an endpoint drops it from the cache.
//! Deliveries of one batch that find an endpoint stale wait for one read of it, not one read each.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hookline_core::ids::{EndpointId, TenantId};
use hookline_core::model::Endpoint;

/// Past this many entries the cache starts over, so a long-lived instance stays small.
const MAX_ENTRIES: usize = 10_000;

type Key = (TenantId, EndpointId);

#[derive(Debug, Default)]
pub(super) struct EndpointCache {
    fresh_for_ms: i64,
    entries: Mutex<HashMap<Key, (i64, Option<Endpoint>)>>,
    /// One lock per endpoint being read, held by the delivery reading it.
    reading: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

impl EndpointCache {
    pub(super) fn new(fresh_for: Duration) -> Self {
        Self {
            fresh_for_ms: i64::try_from(fresh_for.as_millis()).unwrap_or(i64::MAX),
            entries: Mutex::default(),
            reading: Mutex::default(),
        }
    }

    /// The endpoint from the cache, or else by `read` (at `now_ms()`), once for deliveries that ask at
    /// the same time.
    pub(super) async fn get_or_read<E, R>(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        now_ms: impl Fn() -> i64,
        read: impl FnOnce() -> R,
    ) -> Result<Option<Endpoint>, E>
    where
        R: Future<Output = Result<Option<Endpoint>, E>>,
    {
        if let Some(cached) = self.get(tenant, id, now_ms()) {
            return Ok(cached);
        }
        if self.fresh_for_ms <= 0 {
            return read().await;
        }
        let lock = {
            let mut reading = self.reading.lock().unwrap_or_else(PoisonError::into_inner);
            if reading.len() >= MAX_ENTRIES {
                reading.clear();
            }
            Arc::clone(reading.entry((tenant.clone(), id.clone())).or_default())
        };
        let _reading = lock.lock().await;
        // Whoever held the lock before may have just read it.
        let read_at_ms = now_ms();
        if let Some(cached) = self.get(tenant, id, read_at_ms) {
            return Ok(cached);
        }
        let endpoint = read().await?;
        self.put(tenant, id, read_at_ms, endpoint.clone());
        Ok(endpoint)
    }

    /// The endpoint as read less than the bound ago (`Some(None)`: it did not exist then).
    fn get(&self, tenant: &TenantId, id: &EndpointId, now_ms: i64) -> Option<Option<Endpoint>> {
        let entries = self.entries();
        let (read_at_ms, endpoint) = entries.get(&(tenant.clone(), id.clone()))?;
        (now_ms - read_at_ms < self.fresh_for_ms).then(|| endpoint.clone())
    }

    fn put(&self, tenant: &TenantId, id: &EndpointId, read_at_ms: i64, endpoint: Option<Endpoint>) {
        if self.fresh_for_ms <= 0 {
            return;
        }
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert((tenant.clone(), id.clone()), (read_at_ms, endpoint));
    }

    pub(super) fn forget(&self, tenant: &TenantId, id: &EndpointId) {
        self.entries().remove(&(tenant.clone(), id.clone()));
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<Key, (i64, Option<Endpoint>)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use hookline_core::event_types::EventFilter;
    use hookline_core::signing::Secret;

    use super::*;

    #[tokio::test]
    async fn deliveries_that_find_an_endpoint_stale_at_once_read_it_once() {
        let cache = EndpointCache::new(Duration::from_secs(5));
        let tenant = TenantId::generate();
        let endpoint = Endpoint::new(
            tenant.clone(),
            "https://a.example/in".into(),
            EventFilter::everything(),
            Secret::generate(),
            0,
        );
        let reads = AtomicUsize::new(0);
        let read = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok::<_, ()>(Some(endpoint.clone()))
        };
        let ten = (0..10).map(|_| cache.get_or_read(&tenant, &endpoint.id, || 1_000, read));
        let found = futures::future::join_all(ten).await;
        assert!(found.iter().all(|f| f.as_ref().is_ok_and(|e| e.as_ref() == Some(&endpoint))));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn without_a_cache_every_delivery_reads_the_endpoint() {
        let cache = EndpointCache::new(Duration::ZERO);
        let tenant = TenantId::generate();
        let id = EndpointId::generate();
        let reads = AtomicUsize::new(0);
        for _ in 0..3 {
            let read = || async {
                reads.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(None)
            };
            assert_eq!(cache.get_or_read(&tenant, &id, || 1_000, read).await, Ok(None));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }
}
