//! Who is calling, and whether they may do what they ask for whom. A request carries one bearer token:
//! a tenant's API key, a platform key, or a portal session. Every request is checked here, server-side,
//! so a hand-made request gets exactly what the portal's buttons would.

use hookline_core::ids::{ApiKeyId, PlatformKeyId, TenantId};
use hookline_core::portal::{Capability, PortalSession};
use hookline_core::tenancy::{ApiKey, PlatformKey, Tenant};
use hookline_core::tokens::{BearerToken, TokenKind};

use crate::app::App;
use crate::clock::Clock as _;
use crate::ports::Ports;
use crate::store::{
    ApiKeyStore as _, PlatformKeyStore as _, PortalSessionStore as _, StoreError, TenantStore as _,
};

/// The holder of a valid token.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A tenant's API key: acts for that tenant only.
    Tenant(Tenant),
    /// A platform key: manages tenants and acts for any of them.
    Platform(PlatformKey),
    /// A portal session: acts for its tenant, within its capabilities.
    Portal(Box<(PortalSession, Tenant)>),
}

/// What an operation asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Managing tenants themselves: a platform key.
    Platform,
    /// Acting as the tenant's own producer (publishing, keys, the catalogue, settings, portal links): a
    /// key, never a portal session.
    Key,
    /// A key, or a portal session granted this capability.
    Capability(Capability),
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("send a key as `Authorization: Bearer <key>`")]
    Missing,
    /// Unknown, wrong, revoked and expired tokens get the same answer: it tells a prober nothing.
    #[error("the key or session is not valid")]
    Invalid,
    #[error("the key could not be checked")]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("this route manages tenants and needs a platform key (hlp_…)")]
    PlatformKeyRequired,
    #[error("a platform key acts for a tenant: send this request to /v1/tenants/{{tenant_id}}{0}")]
    TenantPathRequired(String),
    #[error("a portal session cannot do this; it needs an API key or a platform key")]
    KeyRequired,
    #[error("this portal session was not granted the `{}` capability", .0.as_str())]
    CapabilityMissing(Capability),
    /// Also the answer for another tenant's id: it must look exactly like an unknown one.
    #[error("tenant `{0}` does not exist")]
    NoSuchTenant(String),
    #[error("the tenant could not be read")]
    Store(#[from] StoreError),
}

impl<P: Ports> App<P> {
    /// The caller whose token is in the `Authorization` header.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Caller, AuthError> {
        let (scheme, presented) =
            authorization.and_then(|h| h.trim().split_once(' ')).ok_or(AuthError::Missing)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Missing);
        }
        let token = BearerToken::parse(presented.trim()).ok_or(AuthError::Invalid)?;
        match token.kind() {
            TokenKind::ApiKey => {
                let id = ApiKey::id_of(&token).ok_or(AuthError::Invalid)?;
                let key = self.api_key(&id).await?.filter(|key| key.opens(&token));
                let key = key.ok_or(AuthError::Invalid)?;
                Ok(Caller::Tenant(self.caller_tenant(&key.tenant_id).await?.ok_or(AuthError::Invalid)?))
            }
            TokenKind::PlatformKey => {
                let id = PlatformKey::id_of(&token).ok_or(AuthError::Invalid)?;
                let key = self.platform_key(&id).await?.filter(|key| key.opens(&token));
                Ok(Caller::Platform(key.ok_or(AuthError::Invalid)?))
            }
            TokenKind::PortalSession => {
                let id = PortalSession::id_of(&token).ok_or(AuthError::Invalid)?;
                let session = self.store.find_portal_session(&id).await?.ok_or(AuthError::Invalid)?;
                let tenant = self.store.get_tenant(&session.tenant_id).await?.ok_or(AuthError::Invalid)?;
                if !session.session_opens(&token, &tenant, self.clock.now_ms()) {
                    return Err(AuthError::Invalid);
                }
                Ok(Caller::Portal(Box::new((session, tenant))))
            }
            // A link is not a credential: it is exchanged, once, for a session.
            TokenKind::PortalLink => Err(AuthError::Invalid),
        }
    }

    /// The tenant the caller acts for: the one named in the path (`/v1/tenants/{id}/…`), or the caller's
    /// own when the path names none. `route` is the route without the tenant prefix, for the error that
    /// tells a platform key where to send the request.
    pub async fn act_for(
        &self,
        caller: &Caller,
        path_tenant: Option<&str>,
        need: Need,
        route: &str,
    ) -> Result<Tenant, AccessError> {
        let own = |tenant: &Tenant| match path_tenant {
            Some(named) if named != tenant.id.as_str() => Err(AccessError::NoSuchTenant(named.to_owned())),
            _ => Ok(tenant.clone()),
        };
        match caller {
            Caller::Tenant(_) | Caller::Portal(_) if need == Need::Platform => {
                Err(AccessError::PlatformKeyRequired)
            }
            Caller::Tenant(tenant) => own(tenant),
            Caller::Portal(portal) => {
                let (session, tenant) = portal.as_ref();
                let tenant = own(tenant)?;
                match need {
                    Need::Capability(capability) if !session.may(capability) => {
                        Err(AccessError::CapabilityMissing(capability))
                    }
                    Need::Key | Need::Platform => Err(AccessError::KeyRequired),
                    Need::Capability(_) => Ok(tenant),
                }
            }
            Caller::Platform(_) => {
                let named = path_tenant.ok_or_else(|| AccessError::TenantPathRequired(route.to_owned()))?;
                let missing = || AccessError::NoSuchTenant(named.to_owned());
                let id = TenantId::parse(named).map_err(|_| missing())?;
                self.caller_tenant(&id).await?.ok_or_else(missing)
            }
        }
    }

    /// The platform key behind a tenant-management request.
    pub fn require_platform<'c>(&self, caller: &'c Caller) -> Result<&'c PlatformKey, AccessError> {
        match caller {
            Caller::Platform(key) => Ok(key),
            _ => Err(AccessError::PlatformKeyRequired),
        }
    }

    pub(crate) async fn live_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        Ok(self.store.get_tenant(id).await?.filter(|tenant| !tenant.is_deleted()))
    }

    /// The live tenant a request acts for, from the access cache if read within its bound.
    async fn caller_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        let now_ms = self.clock.now_ms();
        let tenant = match self.access_cache.tenant(id, now_ms) {
            Some(tenant) => Some(tenant),
            None => {
                let read = self.store.get_tenant(id).await?;
                if let Some(tenant) = &read {
                    self.access_cache.keep_tenant(tenant, now_ms);
                }
                read
            }
        };
        Ok(tenant.filter(|tenant| !tenant.is_deleted()))
    }

    async fn api_key(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        let now_ms = self.clock.now_ms();
        if let Some(key) = self.access_cache.api_key(id, now_ms) {
            return Ok(Some(key));
        }
        let read = self.store.find_api_key(id).await?;
        if let Some(key) = &read {
            self.access_cache.keep_api_key(key, now_ms);
        }
        Ok(read)
    }

    async fn platform_key(&self, id: &PlatformKeyId) -> Result<Option<PlatformKey>, StoreError> {
        let now_ms = self.clock.now_ms();
        if let Some(key) = self.access_cache.platform_key(id, now_ms) {
            return Ok(Some(key));
        }
        let read = self.store.find_platform_key(id).await?;
        if let Some(key) = &read {
            self.access_cache.keep_platform_key(key, now_ms);
        }
        Ok(read)
    }
}

pub(crate) mod cache;
#[cfg(test)]
mod tests;
