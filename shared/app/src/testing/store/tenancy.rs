//! Tenants (their deletion included), API keys, event types and rate windows, with the same conditions as the DynamoDB store.

use super::{MemoryStore, page_of};
use crate::store::order;
use crate::store::{
    ApiKeyStore, EventTypeStore, Page, PageRequest, RateBucket, RateLimiter, StoreError, TenantStore,
};
use hookline_core::event_types::EventType;
use hookline_core::ids::{ApiKeyId, TenantId};
use hookline_core::model::EventTypeInfo;
use hookline_core::tenancy::{ApiKey, TENANT_DELETED_REASON, Tenant};

impl TenantStore for MemoryStore {
    async fn put_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if tables.tenants.contains_key(&tenant.id) {
            return Err(StoreError::Conflict);
        }
        tables.tenants.insert(tenant.id.clone(), tenant.clone());
        Ok(())
    }

    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let stored = tables.tenants.get_mut(&tenant.id).filter(|stored| !stored.is_deleted());
        let stored = stored.ok_or(StoreError::Conflict)?;
        stored.name.clone_from(&tenant.name);
        stored.metadata.clone_from(&tenant.metadata);
        stored.ingest_rate_limit = tenant.ingest_rate_limit;
        stored.reject_unregistered_event_types = tenant.reject_unregistered_event_types;
        Ok(())
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        Ok(self.tables().tenants.get(id).cloned())
    }

    async fn tenants_page(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        let tables = self.tables();
        let limit = usize::try_from(page.limit.max(1)).unwrap_or(usize::MAX);
        let mut found: Vec<(String, Tenant)> = tables
            .tenants
            .values()
            .filter(|tenant| !tenant.is_deleted())
            .map(|tenant| (order::tenant_sk(&tenant.id), tenant.clone()))
            .filter(|(sk, _)| page.after.as_ref().is_none_or(|after| sk > after))
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let more = found.len() > limit;
        found.truncate(limit);
        let next = if more { found.last().map(|(sk, _)| sk.clone()) } else { None };
        Ok(Page { items: found.into_iter().map(|(_, tenant)| tenant).collect(), next })
    }

    async fn delete_tenant(&self, id: &TenantId, at_ms: i64) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        if tables.tenants.get(id).is_none_or(Tenant::is_deleted) {
            return Ok(false);
        }
        for ((owner, _), endpoint) in &mut tables.endpoints {
            if owner == id {
                endpoint.enabled = false;
                endpoint.disabled_reason = Some(TENANT_DELETED_REASON.to_owned());
                endpoint.tenant_deleted_at_ms.get_or_insert(at_ms);
                endpoint.revision += 1;
            }
        }
        for key in tables.api_keys.values_mut().filter(|key| &key.tenant_id == id) {
            key.revoked_at_ms.get_or_insert(at_ms);
        }
        if let Some(tenant) = tables.tenants.get_mut(id) {
            tenant.deleted_at_ms = Some(at_ms);
        }
        Ok(true)
    }

    async fn revoke_portal_sessions(&self, id: &TenantId, at_ms: i64) -> Result<bool, StoreError> {
        match self.tables().tenants.get_mut(id) {
            Some(tenant) if !tenant.is_deleted() => {
                tenant.sessions_revoked_at_ms = Some(at_ms);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

impl ApiKeyStore for MemoryStore {
    async fn put_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if tables.api_keys.contains_key(&key.id) {
            return Err(StoreError::Conflict);
        }
        tables.api_keys.insert(key.id.clone(), key.clone());
        Ok(())
    }

    async fn find_api_key(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        Ok(self.tables().api_keys.get(id).cloned())
    }

    async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKey>, StoreError> {
        let tables = self.tables();
        let mut found: Vec<ApiKey> =
            tables.api_keys.values().filter(|key| &key.tenant_id == tenant).cloned().collect();
        // The index's sort key, so the order is the table's.
        found.sort_by_cached_key(|key| order::time_sk(key.created_at_ms, key.id.as_str()));
        Ok(found)
    }

    async fn revoke_api_key(&self, tenant: &TenantId, id: &ApiKeyId, at_ms: i64) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        match tables.api_keys.get_mut(id) {
            Some(key) if &key.tenant_id == tenant => {
                key.revoked_at_ms.get_or_insert(at_ms);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

impl EventTypeStore for MemoryStore {
    async fn put_event_type(&self, info: &EventTypeInfo) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let key = (info.tenant_id.clone(), order::event_type_sk(&info.name));
        if tables.event_types.contains_key(&key) {
            return Ok(false);
        }
        tables.event_types.insert(key, info.clone());
        Ok(true)
    }

    async fn get_event_type(
        &self,
        tenant: &TenantId,
        name: &EventType,
    ) -> Result<Option<EventTypeInfo>, StoreError> {
        Ok(self.tables().event_types.get(&(tenant.clone(), order::event_type_sk(name))).cloned())
    }

    async fn event_types_page(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<EventTypeInfo>, StoreError> {
        Ok(page_of(&self.tables().event_types, tenant, page))
    }

    async fn delete_event_type(&self, tenant: &TenantId, name: &EventType) -> Result<bool, StoreError> {
        Ok(self.tables().event_types.remove(&(tenant.clone(), order::event_type_sk(name))).is_some())
    }
}

impl RateLimiter for MemoryStore {
    async fn admit(
        &self,
        bucket: &RateBucket,
        events: u32,
        per_second: u32,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.pause().await;
        let mut tables = self.tables();
        let window = (bucket.clone(), now_ms.div_euclid(1000));
        let admitted = match tables.rate_windows.get(&window) {
            None => true,
            Some(&used) => per_second.checked_sub(events).is_some_and(|room| used <= room),
        };
        if admitted {
            let used = tables.rate_windows.entry(window).or_insert(0);
            *used = used.saturating_add(events);
        }
        Ok(admitted)
    }
}
