//! Endpoints this instance read lately, kept for a few seconds so that a batch of deliveries to one
//! endpoint reads it once, not once per attempt. The bound is the setting's: a change made through the
//! API (a rotated secret, a disabled or deleted endpoint, a new URL) reaches every attempt at most that
//! long after it was written. What this instance itself writes to an endpoint drops it from the cache.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
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
}

impl EndpointCache {
    pub(super) fn new(fresh_for: Duration) -> Self {
        Self {
            fresh_for_ms: i64::try_from(fresh_for.as_millis()).unwrap_or(i64::MAX),
            entries: Mutex::default(),
        }
    }

    /// The endpoint as read less than the bound ago (`Some(None)`: it did not exist then).
    pub(super) fn get(&self, tenant: &TenantId, id: &EndpointId, now_ms: i64) -> Option<Option<Endpoint>> {
        let entries = self.entries();
        let (read_at_ms, endpoint) = entries.get(&(tenant.clone(), id.clone()))?;
        (now_ms - read_at_ms < self.fresh_for_ms).then(|| endpoint.clone())
    }

    pub(super) fn put(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        read_at_ms: i64,
        endpoint: Option<Endpoint>,
    ) {
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
