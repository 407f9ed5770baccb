//! Tenants, their API keys and their ingest rate windows.

use super::codec::{from_item, to_item};
use super::keys::{self, EXPIRES_AT, GSI1, GSI1PK, GSI1SK, PK, SK};
use super::{DynamoStore, applied, n, s};
use hookline::store::{ApiKeyStore, RateBucket, RateLimiter, StoreError, TenantStore};
use hookline_core::ids::{ApiKeyId, TenantId};
use hookline_core::tenancy::{ApiKey, Tenant};

/// How long a rate window outlives its second before TTL deletes it (TTL is lazy; the slack is free).
const RATE_WINDOW_TTL_SECS: i64 = 120;

impl TenantStore for DynamoStore {
    async fn put_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let item =
            Self::keyed(to_item(tenant, "tenant")?, keys::tenant_pk(&tenant.id), keys::TENANT_SK.into());
        if self.create(item, "PutItem tenant").await? { Ok(()) } else { Err(StoreError::Conflict) }
    }

    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let item =
            Self::keyed(to_item(tenant, "tenant")?, keys::tenant_pk(&tenant.id), keys::TENANT_SK.into());
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        if applied(result, "PutItem tenant")? { Ok(()) } else { Err(StoreError::Conflict) }
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        let item = self.get(keys::tenant_pk(id), keys::TENANT_SK.into(), "GetItem tenant").await?;
        item.map(|item| from_item(&item, "tenant")).transpose()
    }
}

impl ApiKeyStore for DynamoStore {
    async fn put_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let mut item =
            Self::keyed(to_item(key, "api key")?, keys::api_key_pk(&key.id), keys::API_KEY_SK.into());
        item.insert(GSI1PK.into(), s(keys::api_keys_by_tenant_pk(&key.tenant_id)));
        item.insert(GSI1SK.into(), s(keys::time_sk(key.created_at_ms, key.id.as_str())));
        // Never over another key: its partition is not the tenant's, so nothing else would stop it.
        if self.create(item, "PutItem api key").await? { Ok(()) } else { Err(StoreError::Conflict) }
    }

    async fn find_api_key(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        let item = self.get(keys::api_key_pk(id), keys::API_KEY_SK.into(), "GetItem api key").await?;
        item.map(|item| from_item(&item, "api key")).transpose()
    }

    async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKey>, StoreError> {
        // A GSI cannot be read consistently: a key created a moment ago may be missing from the list.
        let items = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#gpk = :gpk")
            .expression_attribute_names("#gpk", GSI1PK)
            .expression_attribute_values(":gpk", s(keys::api_keys_by_tenant_pk(tenant)))
            .scan_index_forward(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| StoreError::unavailable("Query api keys", e))?;
        items.iter().map(|item| from_item(item, "api key")).collect()
    }

    async fn revoke_api_key(&self, tenant: &TenantId, id: &ApiKeyId, at_ms: i64) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(keys::api_key_pk(id)))
            .key(SK, s(keys::API_KEY_SK))
            // Revoking twice keeps the first time: that is when the key stopped working.
            .update_expression("SET revoked_at_ms = if_not_exists(revoked_at_ms, :at)")
            .condition_expression("attribute_exists(#pk) AND tenant_id = :tenant")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":at", n(at_ms))
            .expression_attribute_values(":tenant", s(tenant.as_str()))
            .send()
            .await;
        applied(result, "UpdateItem api key")
    }
}

impl RateLimiter for DynamoStore {
    async fn admit(
        &self,
        bucket: &RateBucket,
        events: u32,
        per_second: u32,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let second = now_ms.div_euclid(1000);
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(keys::rate_pk(bucket)))
            .key(SK, s(keys::rate_sk(second)))
            .update_expression("ADD #used :events SET #expires = :expires")
            .expression_attribute_names("#used", "used")
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_values(":events", n(events))
            .expression_attribute_values(":expires", n(second + RATE_WINDOW_TTL_SECS));
        // Check and add in one conditional write, so concurrent ingest instances never overshoot.
        let update = match per_second.checked_sub(events) {
            Some(room) => update
                .condition_expression("attribute_not_exists(#used) OR #used <= :room")
                .expression_attribute_values(":room", n(room)),
            // More than the whole budget: only a second nobody has used yet takes it.
            None => update.condition_expression("attribute_not_exists(#used)"),
        };
        applied(update.send().await, "UpdateItem rate")
    }
}
