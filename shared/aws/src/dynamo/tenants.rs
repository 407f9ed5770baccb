//! Tenants (listing and deletion included), their API keys and their ingest rate windows.

use super::codec::{from_item, to_item};
use super::keys::{self, EXPIRES_AT, GSI1, GSI1PK, GSI1SK, PK, SK};
use aws_sdk_dynamodb::types::AttributeValue;

use super::{DynamoStore, applied, n, s};
use hookline::store::{ApiKeyStore, Page, PageRequest, RateBucket, RateLimiter, StoreError, TenantStore};
use hookline_core::ids::{ApiKeyId, TenantId};
use hookline_core::tenancy::{ApiKey, TENANT_DELETED_REASON, Tenant};

/// How long a rate window outlives its second before TTL deletes it (TTL is lazy; the slack is free).
const RATE_WINDOW_TTL_SECS: i64 = 120;

impl TenantStore for DynamoStore {
    async fn put_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let mut item =
            Self::keyed(to_item(tenant, "tenant")?, keys::tenant_pk(&tenant.id), keys::TENANT_SK.into());
        item.insert(GSI1PK.into(), s(keys::TENANTS_PK));
        item.insert(GSI1SK.into(), s(keys::tenant_sk(&tenant.id)));
        if self.create(item, "PutItem tenant").await? { Ok(()) } else { Err(StoreError::Conflict) }
    }

    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        // Only the settings: the revocation time of portal sessions and the deletion mark are written by
        // their own calls, which a settings write must not undo.
        let item = to_item(tenant, "tenant")?;
        let mut sets = Vec::new();
        let mut removes = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(keys::tenant_pk(&tenant.id)))
            .key(SK, s(keys::TENANT_SK));
        // Placeholders for every name: `name` is one of DynamoDB's reserved words.
        for (n, field) in
            ["name", "metadata", "ingest_rate_limit", "reject_unregistered_event_types"].iter().enumerate()
        {
            update = update.expression_attribute_names(format!("#f{n}"), *field);
            match item.get(*field) {
                Some(value) => {
                    sets.push(format!("#f{n} = :f{n}"));
                    update = update.expression_attribute_values(format!(":f{n}"), value.clone());
                }
                None => removes.push(format!("#f{n}")),
            }
        }
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let result = update
            .update_expression(expression)
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(deleted_at_ms)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        if applied(result, "UpdateItem tenant")? { Ok(()) } else { Err(StoreError::Conflict) }
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        let item = self.get(keys::tenant_pk(id), keys::TENANT_SK.into(), "GetItem tenant").await?;
        item.map(|item| from_item(&item, "tenant")).transpose()
    }

    async fn tenants_page(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        // The index holds live tenants only: deleting one removes its index keys.
        let limit = page.limit.max(1);
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#gpk = :gpk AND #gsk > :after")
            .expression_attribute_names("#gpk", GSI1PK)
            .expression_attribute_names("#gsk", GSI1SK)
            .expression_attribute_values(":gpk", s(keys::TENANTS_PK))
            .expression_attribute_values(
                ":after",
                s(page.after.clone().unwrap_or_else(|| keys::TENANT_SK_PREFIX.into())),
            )
            .limit(i32::try_from(limit).unwrap_or(i32::MAX - 1).saturating_add(1))
            .send()
            .await
            .map_err(|e| StoreError::unavailable("Query tenants", e))?;
        let items = self.items_behind(output.items(), "BatchGetItem tenants").await?;
        let mut tenants: Vec<Tenant> =
            items.iter().map(|item| from_item(item, "tenant")).collect::<Result<_, _>>()?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = tenants.len() > limit;
        tenants.truncate(limit);
        let next = if more { tenants.last().map(|t| keys::tenant_sk(&t.id)) } else { None };
        Ok(Page { items: tenants, next })
    }

    async fn delete_tenant(&self, id: &TenantId, at_ms: i64) -> Result<bool, StoreError> {
        if self.get_tenant(id).await?.is_none_or(|tenant| tenant.is_deleted()) {
            return Ok(false);
        }
        let expires = n(at_ms.div_euclid(1000) + self.retention_secs);
        let mut items =
            self.query_prefix(keys::tenant_pk(id), keys::ENDPOINT_SK_PREFIX, "Query endpoints").await?;
        items.extend(
            self.query_prefix(keys::tenant_pk(id), keys::EVENT_TYPE_SK_PREFIX, "Query event types").await?,
        );
        for item in items {
            let Some(AttributeValue::S(sk)) = item.get(SK) else { continue };
            let update = self
                .update_at(keys::tenant_pk(id), sk)
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#expires", EXPIRES_AT)
                .expression_attribute_values(":expires", expires.clone());
            let update = if sk.starts_with(keys::ENDPOINT_SK_PREFIX) {
                // A revision bump, so an API write based on the enabled endpoint cannot undo this.
                update
                    .update_expression(
                        "SET enabled = :false, disabled_reason = :reason, \
                         tenant_deleted_at_ms = if_not_exists(tenant_deleted_at_ms, :at), \
                         #expires = :expires ADD #rev :one",
                    )
                    .expression_attribute_names("#rev", "revision")
                    .expression_attribute_values(":false", AttributeValue::Bool(false))
                    .expression_attribute_values(":reason", s(TENANT_DELETED_REASON))
                    .expression_attribute_values(":at", n(at_ms))
                    .expression_attribute_values(":one", n(1))
            } else {
                update.update_expression("SET #expires = :expires")
            };
            applied(update.send().await, "UpdateItem tenant item")?;
        }
        for key in self.list_api_keys(id).await? {
            let result = self
                .update_at(keys::api_key_pk(&key.id), keys::API_KEY_SK)
                .update_expression(
                    "SET revoked_at_ms = if_not_exists(revoked_at_ms, :at), #expires = :expires",
                )
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#expires", EXPIRES_AT)
                .expression_attribute_values(":at", n(at_ms))
                .expression_attribute_values(":expires", expires.clone())
                .send()
                .await;
            applied(result, "UpdateItem api key")?;
        }
        // Last: until this write, a repeated delete finds the tenant live and finishes the job.
        let result = self
            .update_at(keys::tenant_pk(id), keys::TENANT_SK)
            .update_expression("SET deleted_at_ms = :at, #expires = :expires REMOVE #gpk, #gsk")
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(deleted_at_ms)")
            .expression_attribute_names("#gpk", GSI1PK)
            .expression_attribute_names("#gsk", GSI1SK)
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_values(":at", n(at_ms))
            .expression_attribute_values(":expires", expires)
            .send()
            .await;
        applied(result, "UpdateItem tenant")
    }

    async fn revoke_portal_sessions(&self, id: &TenantId, at_ms: i64) -> Result<bool, StoreError> {
        let result = self
            .update_at(keys::tenant_pk(id), keys::TENANT_SK)
            .update_expression("SET sessions_revoked_at_ms = :at")
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(deleted_at_ms)")
            .expression_attribute_values(":at", n(at_ms))
            .send()
            .await;
        applied(result, "UpdateItem tenant")
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
        let items = self.items_behind(&items, "BatchGetItem api keys").await?;
        items.iter().map(|item| from_item(item, "api key")).collect()
    }

    async fn revoke_api_key(&self, tenant: &TenantId, id: &ApiKeyId, at_ms: i64) -> Result<bool, StoreError> {
        let result = self
            .update_at(keys::api_key_pk(id), keys::API_KEY_SK)
            // Revoking twice keeps the first time: that is when the key stopped working.
            .update_expression("SET revoked_at_ms = if_not_exists(revoked_at_ms, :at)")
            .condition_expression("attribute_exists(#pk) AND tenant_id = :tenant")
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
