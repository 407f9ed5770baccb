//! Platform keys and portal sessions: items found by their id, outside any tenant's partition.

use super::codec::{from_item, to_item};
use super::keys::{self, EXPIRES_AT, GSI1, GSI1PK, GSI1SK};
use super::{DynamoStore, applied, n, s};
use hookline::store::{PlatformKeyStore, PortalSessionStore, StoreError};
use hookline_core::ids::{PlatformKeyId, PortalSessionId};
use hookline_core::portal::PortalSession;
use hookline_core::tenancy::PlatformKey;

impl PlatformKeyStore for DynamoStore {
    async fn put_platform_key(&self, key: &PlatformKey) -> Result<(), StoreError> {
        let mut item = Self::keyed(
            to_item(key, "platform key")?,
            keys::platform_key_pk(&key.id),
            keys::PLATFORM_KEY_SK.into(),
        );
        item.insert(GSI1PK.into(), s(keys::PLATFORM_KEYS_PK));
        item.insert(GSI1SK.into(), s(keys::time_sk(key.created_at_ms, key.id.as_str())));
        if self.create(item, "PutItem platform key").await? { Ok(()) } else { Err(StoreError::Conflict) }
    }

    async fn find_platform_key(&self, id: &PlatformKeyId) -> Result<Option<PlatformKey>, StoreError> {
        let item =
            self.get(keys::platform_key_pk(id), keys::PLATFORM_KEY_SK.into(), "GetItem platform key").await?;
        item.map(|item| from_item(&item, "platform key")).transpose()
    }

    async fn list_platform_keys(&self) -> Result<Vec<PlatformKey>, StoreError> {
        let items = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#gpk = :gpk")
            .expression_attribute_names("#gpk", GSI1PK)
            .expression_attribute_values(":gpk", s(keys::PLATFORM_KEYS_PK))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| StoreError::unavailable("Query platform keys", e))?;
        let items = self.items_behind(&items, "BatchGetItem platform keys").await?;
        items.iter().map(|item| from_item(item, "platform key")).collect()
    }

    async fn revoke_platform_key(&self, id: &PlatformKeyId, at_ms: i64) -> Result<bool, StoreError> {
        let result = self
            .update_at(keys::platform_key_pk(id), keys::PLATFORM_KEY_SK)
            // Revoking twice keeps the first time: that is when the key stopped working.
            .update_expression("SET revoked_at_ms = if_not_exists(revoked_at_ms, :at)")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_values(":at", n(at_ms))
            .send()
            .await;
        applied(result, "UpdateItem platform key")
    }
}

impl PortalSessionStore for DynamoStore {
    async fn put_portal_session(&self, session: &PortalSession) -> Result<(), StoreError> {
        let mut item = Self::keyed(
            to_item(session, "portal session")?,
            keys::portal_session_pk(&session.id),
            keys::PORTAL_SESSION_SK.into(),
        );
        // TTL deletes the item once the session is over (the check on read does not wait for it).
        item.insert(EXPIRES_AT.into(), n(session.expires_at_ms.div_euclid(1000) + 1));
        if self.create(item, "PutItem portal session").await? { Ok(()) } else { Err(StoreError::Conflict) }
    }

    async fn find_portal_session(&self, id: &PortalSessionId) -> Result<Option<PortalSession>, StoreError> {
        let item = self
            .get(keys::portal_session_pk(id), keys::PORTAL_SESSION_SK.into(), "GetItem portal session")
            .await?;
        item.map(|item| from_item(&item, "portal session")).transpose()
    }

    async fn exchange_portal_link(
        &self,
        id: &PortalSessionId,
        session_hash: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let result = self
            .update_at(keys::portal_session_pk(id), keys::PORTAL_SESSION_SK)
            .update_expression("SET session_hash = :hash, exchanged_at_ms = :at")
            // The one condition that makes a link single-use, however many requests race with it.
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(session_hash)")
            .expression_attribute_values(":hash", s(session_hash))
            .expression_attribute_values(":at", n(at_ms))
            .send()
            .await;
        applied(result, "UpdateItem portal session")
    }
}
