//! The in-memory store. Its answers match the DynamoDB store's: same conditions, same page order and
//! cursors (the store contract suite in `tests/tests/e2e/store_contract` runs the same cases against both).

mod log;
mod platform;
mod tenancy;

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::store::order;
use crate::store::{
    AttemptStore, EndpointStore, Inserted, MessageStore, Page, PageRequest, RateBucket, StoreError,
};
use hookline_core::ids::{ApiKeyId, EndpointId, MessageId, PlatformKeyId, PortalSessionId, TenantId};
use hookline_core::model::{Attempt, Endpoint, EventTypeInfo, Message, QueueState};
use hookline_core::portal::PortalSession;
use hookline_core::tenancy::{ApiKey, PlatformKey, Tenant};

#[derive(Debug, Default)]
struct Tables {
    /// Keyed by tenant and DynamoDB sort key, so pages come in the table's order.
    endpoints: BTreeMap<(TenantId, String), Endpoint>,
    event_types: BTreeMap<(TenantId, String), EventTypeInfo>,
    tenants: BTreeMap<TenantId, Tenant>,
    api_keys: BTreeMap<ApiKeyId, ApiKey>,
    platform_keys: BTreeMap<PlatformKeyId, PlatformKey>,
    portal_sessions: BTreeMap<PortalSessionId, PortalSession>,
    /// Events admitted per tenant and epoch second.
    rate_windows: HashMap<(RateBucket, i64), u32>,
    messages: BTreeMap<(TenantId, MessageId), Message>,
    attempts: Vec<Attempt>,
    /// The newest ledger entry per message and endpoint (an attempt, or a resend's mark).
    deliveries: BTreeMap<(TenantId, MessageId, EndpointId), Attempt>,
    /// How long each call on the path that accepts an event takes.
    latency: std::time::Duration,
}

/// Clones share the same data.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore(Arc<Mutex<Tables>>);

impl MemoryStore {
    fn tables(&self) -> MutexGuard<'_, Tables> {
        // A panic while holding the lock only happens in a failing test; keep the data readable.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn all_attempts(&self) -> Vec<Attempt> {
        self.tables().attempts.clone()
    }

    /// Makes every call on the path that accepts an event (rate limit, endpoints, messages) take this
    /// long, as a slow store would.
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.tables().latency = latency;
    }

    async fn pause(&self) {
        let latency = self.tables().latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }
}

/// One page of the tenant's rows after the cursor, with `next` set only when another row exists.
fn page_of<T: Clone>(
    rows: &BTreeMap<(TenantId, String), T>,
    tenant: &TenantId,
    request: &PageRequest,
) -> Page<T> {
    let start = match &request.after {
        Some(after) => Bound::Excluded((tenant.clone(), after.clone())),
        None => Bound::Included((tenant.clone(), String::new())),
    };
    let limit = usize::try_from(request.limit.max(1)).unwrap_or(usize::MAX);
    let mut found: Vec<(&String, &T)> = rows
        .range((start, Bound::Unbounded))
        .take_while(|((owner, _), _)| owner == tenant)
        .take(limit.saturating_add(1))
        .map(|((_, sk), row)| (sk, row))
        .collect();
    let more = found.len() > limit;
    found.truncate(limit);
    let next = if more { found.last().map(|(sk, _)| (*sk).clone()) } else { None };
    Page { items: found.into_iter().map(|(_, row)| row.clone()).collect(), next }
}

fn endpoint_key(tenant: &TenantId, id: &EndpointId) -> (TenantId, String) {
    (tenant.clone(), order::endpoint_sk(id))
}

impl EndpointStore for MemoryStore {
    async fn put_endpoint(&self, endpoint: &Endpoint) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let key = endpoint_key(&endpoint.tenant_id, &endpoint.id);
        if tables.endpoints.contains_key(&key) {
            return Err(StoreError::Conflict);
        }
        tables.endpoints.insert(key, endpoint.clone());
        Ok(())
    }

    async fn replace_endpoint(&self, endpoint: &Endpoint) -> Result<(), StoreError> {
        let previous = endpoint.revision.checked_sub(1).ok_or(StoreError::Conflict)?;
        let mut tables = self.tables();
        match tables.endpoints.get_mut(&endpoint_key(&endpoint.tenant_id, &endpoint.id)) {
            None => Err(StoreError::NoSuchEndpoint(endpoint.id.clone())),
            Some(stored) if stored.revision != previous => Err(StoreError::Conflict),
            Some(stored) => {
                *stored = endpoint.clone();
                Ok(())
            }
        }
    }

    async fn delete_endpoint(&self, tenant: &TenantId, id: &EndpointId) -> Result<bool, StoreError> {
        Ok(self.tables().endpoints.remove(&endpoint_key(tenant, id)).is_some())
    }

    async fn endpoints_page(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Endpoint>, StoreError> {
        Ok(page_of(&self.tables().endpoints, tenant, page))
    }

    async fn get_endpoint(&self, tenant: &TenantId, id: &EndpointId) -> Result<Option<Endpoint>, StoreError> {
        Ok(self.tables().endpoints.get(&endpoint_key(tenant, id)).cloned())
    }

    async fn list_endpoints(&self, tenant: &TenantId) -> Result<Vec<Endpoint>, StoreError> {
        self.pause().await;
        let tables = self.tables();
        Ok(tables.endpoints.values().filter(|e| &e.tenant_id == tenant).cloned().collect())
    }

    async fn record_endpoint_failure(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        at_ms: i64,
    ) -> Result<i64, StoreError> {
        let mut tables = self.tables();
        let endpoint = tables
            .endpoints
            .get_mut(&endpoint_key(tenant, id))
            .ok_or_else(|| StoreError::NoSuchEndpoint(id.clone()))?;
        let since = *endpoint.failing_since_ms.get_or_insert(at_ms);
        endpoint.consecutive_failures += 1;
        endpoint.revision += 1;
        Ok(since)
    }

    async fn record_endpoint_success(&self, tenant: &TenantId, id: &EndpointId) -> Result<(), StoreError> {
        if let Some(endpoint) = self.tables().endpoints.get_mut(&endpoint_key(tenant, id))
            && endpoint.failing_since_ms.is_some()
        {
            endpoint.failing_since_ms = None;
            endpoint.consecutive_failures = 0;
            endpoint.revision += 1;
        }
        Ok(())
    }

    async fn disable_endpoint(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let endpoint = tables
            .endpoints
            .get_mut(&endpoint_key(tenant, id))
            .ok_or_else(|| StoreError::NoSuchEndpoint(id.clone()))?;
        endpoint.enabled = false;
        endpoint.disabled_reason = Some(reason.to_owned());
        endpoint.revision += 1;
        Ok(())
    }
}

impl MessageStore for MemoryStore {
    async fn insert_message(&self, message: &Message) -> Result<Inserted, StoreError> {
        self.pause().await;
        let mut tables = self.tables();
        let key = (message.tenant_id.clone(), message.id.clone());
        if let Some(existing) = tables.messages.get(&key) {
            return Ok(Inserted::Existing(Box::new(existing.clone())));
        }
        tables.messages.insert(key, message.clone());
        Ok(Inserted::New)
    }

    async fn set_queue_state(&self, message: &Message, state: QueueState) -> Result<(), StoreError> {
        self.pause().await;
        let mut tables = self.tables();
        if let Some(stored) = tables.messages.get_mut(&(message.tenant_id.clone(), message.id.clone()))
            && stored.claimed_at_ms == message.claimed_at_ms
        {
            stored.queue_state = state;
        }
        Ok(())
    }

    async fn claim_queueing(&self, seen: &Message, now_ms: i64) -> Result<bool, StoreError> {
        self.pause().await;
        let mut tables = self.tables();
        let Some(stored) = tables.messages.get_mut(&(seen.tenant_id.clone(), seen.id.clone())) else {
            return Ok(false);
        };
        if stored.queue_state != seen.queue_state || stored.claimed_at_ms != seen.claimed_at_ms {
            return Ok(false);
        }
        stored.queue_state = QueueState::Queueing;
        stored.claimed_at_ms = now_ms;
        Ok(true)
    }

    async fn get_message(&self, tenant: &TenantId, id: &MessageId) -> Result<Option<Message>, StoreError> {
        self.pause().await;
        Ok(self.tables().messages.get(&(tenant.clone(), id.clone())).cloned())
    }
}

impl AttemptStore for MemoryStore {
    async fn record_attempt(&self, attempt: &Attempt) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let key = (attempt.tenant_id.clone(), attempt.message_id.clone(), attempt.endpoint_id.clone());
        // Entries are contiguous, so a place at or below the newest is taken: append after it.
        let after_newest = tables.deliveries.get(&key).map_or(1, |newest| newest.ledger_seq + 1);
        let appended = Attempt { ledger_seq: attempt.ledger_seq.max(after_newest), ..attempt.clone() };
        tables.attempts.push(appended.clone());
        tables.deliveries.insert(key, appended);
        Ok(())
    }

    async fn attempts_for_message(
        &self,
        tenant: &TenantId,
        id: &MessageId,
    ) -> Result<Vec<Attempt>, StoreError> {
        let tables = self.tables();
        let mut found: Vec<Attempt> = tables
            .attempts
            .iter()
            .filter(|a| &a.tenant_id == tenant && &a.message_id == id)
            .cloned()
            .collect();
        found.sort_by(|a, b| (&a.endpoint_id, a.ledger_seq).cmp(&(&b.endpoint_id, b.ledger_seq)));
        Ok(found)
    }
}
