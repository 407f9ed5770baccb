//! In-process store for unit tests of pure logic. Integration tests use [`super::dynamo::DynamoStore`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{AttemptStore, EndpointStore, Inserted, MessageStore, StoreError};
use crate::ids::{EndpointId, MessageId, TenantId};
use crate::model::{Attempt, Endpoint, Message, QueueState};

#[derive(Debug, Default)]
struct Tables {
    endpoints: BTreeMap<(TenantId, EndpointId), Endpoint>,
    messages: BTreeMap<(TenantId, MessageId), Message>,
    attempts: Vec<Attempt>,
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
}

impl EndpointStore for MemoryStore {
    async fn put_endpoint(&self, endpoint: &Endpoint) -> Result<(), StoreError> {
        let key = (endpoint.tenant_id.clone(), endpoint.id.clone());
        self.tables().endpoints.insert(key, endpoint.clone());
        Ok(())
    }

    async fn get_endpoint(&self, tenant: &TenantId, id: &EndpointId) -> Result<Option<Endpoint>, StoreError> {
        Ok(self.tables().endpoints.get(&(tenant.clone(), id.clone())).cloned())
    }

    async fn list_endpoints(&self, tenant: &TenantId) -> Result<Vec<Endpoint>, StoreError> {
        let tables = self.tables();
        Ok(tables.endpoints.values().filter(|e| &e.tenant_id == tenant).cloned().collect())
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
            .get_mut(&(tenant.clone(), id.clone()))
            .ok_or_else(|| StoreError::NoSuchEndpoint(id.clone()))?;
        endpoint.enabled = false;
        endpoint.disabled_reason = Some(reason.to_owned());
        Ok(())
    }
}

impl MessageStore for MemoryStore {
    async fn insert_message(&self, message: &Message) -> Result<Inserted, StoreError> {
        let mut tables = self.tables();
        let key = (message.tenant_id.clone(), message.id.clone());
        if let Some(existing) = tables.messages.get(&key) {
            return Ok(Inserted::Existing(Box::new(existing.clone())));
        }
        tables.messages.insert(key, message.clone());
        Ok(Inserted::New)
    }

    async fn set_queue_state(
        &self,
        tenant: &TenantId,
        id: &MessageId,
        state: QueueState,
    ) -> Result<(), StoreError> {
        if let Some(message) = self.tables().messages.get_mut(&(tenant.clone(), id.clone())) {
            message.queue_state = state;
        }
        Ok(())
    }

    async fn get_message(&self, tenant: &TenantId, id: &MessageId) -> Result<Option<Message>, StoreError> {
        Ok(self.tables().messages.get(&(tenant.clone(), id.clone())).cloned())
    }
}

impl AttemptStore for MemoryStore {
    async fn record_attempt(&self, attempt: &Attempt) -> Result<(), StoreError> {
        self.tables().attempts.push(attempt.clone());
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
        found.sort_by(|a, b| (&a.endpoint_id, a.number).cmp(&(&b.endpoint_id, b.number)));
        Ok(found)
    }
}
