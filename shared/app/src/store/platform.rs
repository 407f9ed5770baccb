//! The store ports of the platform's own items: platform keys and portal sessions, which are found by
//! their id, outside any tenant's partition.

use std::future::Future;

use hookline_core::ids::{PlatformKeyId, PortalSessionId};
use hookline_core::portal::PortalSession;
use hookline_core::tenancy::PlatformKey;

use super::StoreError;

pub trait PlatformKeyStore: Send + Sync {
    fn put_platform_key(&self, key: &PlatformKey) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn find_platform_key(
        &self,
        id: &PlatformKeyId,
    ) -> impl Future<Output = Result<Option<PlatformKey>, StoreError>> + Send;

    /// Every platform key, revoked ones included, oldest first.
    fn list_platform_keys(&self) -> impl Future<Output = Result<Vec<PlatformKey>, StoreError>> + Send;

    /// False if there is no such key.
    fn revoke_platform_key(
        &self,
        id: &PlatformKeyId,
        at_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

pub trait PortalSessionStore: Send + Sync {
    /// Writes a session offered by a magic link (fails with [`StoreError::Conflict`] if its id exists).
    fn put_portal_session(
        &self,
        session: &PortalSession,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn find_portal_session(
        &self,
        id: &PortalSessionId,
    ) -> impl Future<Output = Result<Option<PortalSession>, StoreError>> + Send;

    /// Spends the session's link: stores the session token's hash if no exchange stored one first. False
    /// when one did (the link was replayed) or the session is gone.
    fn exchange_portal_link(
        &self,
        id: &PortalSessionId,
        session_hash: &str,
        at_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
