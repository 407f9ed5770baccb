//! Platform keys and portal sessions, with the same conditions as the DynamoDB store.

use super::MemoryStore;
use crate::store::order;
use crate::store::{PlatformKeyStore, PortalSessionStore, StoreError};
use hookline_core::ids::{PlatformKeyId, PortalSessionId};
use hookline_core::portal::PortalSession;
use hookline_core::tenancy::PlatformKey;

impl PlatformKeyStore for MemoryStore {
    async fn put_platform_key(&self, key: &PlatformKey) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if tables.platform_keys.contains_key(&key.id) {
            return Err(StoreError::Conflict);
        }
        tables.platform_keys.insert(key.id.clone(), key.clone());
        Ok(())
    }

    async fn find_platform_key(&self, id: &PlatformKeyId) -> Result<Option<PlatformKey>, StoreError> {
        Ok(self.tables().platform_keys.get(id).cloned())
    }

    async fn list_platform_keys(&self) -> Result<Vec<PlatformKey>, StoreError> {
        let mut found: Vec<PlatformKey> = self.tables().platform_keys.values().cloned().collect();
        found.sort_by_cached_key(|key| order::time_sk(key.created_at_ms, key.id.as_str()));
        Ok(found)
    }

    async fn revoke_platform_key(&self, id: &PlatformKeyId, at_ms: i64) -> Result<bool, StoreError> {
        Ok(self
            .tables()
            .platform_keys
            .get_mut(id)
            .map(|key| key.revoked_at_ms.get_or_insert(at_ms))
            .is_some())
    }
}

impl PortalSessionStore for MemoryStore {
    async fn put_portal_session(&self, session: &PortalSession) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if tables.portal_sessions.contains_key(&session.id) {
            return Err(StoreError::Conflict);
        }
        tables.portal_sessions.insert(session.id.clone(), session.clone());
        Ok(())
    }

    async fn find_portal_session(&self, id: &PortalSessionId) -> Result<Option<PortalSession>, StoreError> {
        Ok(self.tables().portal_sessions.get(id).cloned())
    }

    async fn exchange_portal_link(
        &self,
        id: &PortalSessionId,
        session_hash: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        match self.tables().portal_sessions.get_mut(id) {
            Some(session) if session.session_hash.is_none() => {
                session.session_hash = Some(session_hash.to_owned());
                session.exchanged_at_ms = Some(at_ms);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
