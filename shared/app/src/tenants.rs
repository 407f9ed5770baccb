//! Tenants and their keys: the platform's onboarding (`PUT /v1/tenants/{id}`), the operator's
//! `hookline tenant create` and platform keys, and a tenant's own keys and settings.

use std::collections::BTreeMap;

use tracing::info;

use hookline_core::endpoint_rules::{checked_metadata, checked_rate_limit};
use hookline_core::ids::{ApiKeyId, PlatformKeyId, TenantId};
use hookline_core::tenancy::{ApiKey, PlatformKey, Tenant};
use hookline_core::tokens::BearerToken;

use crate::app::App;
use crate::clock::Clock as _;
use crate::error::ServiceError;
use crate::error::page_after;
use crate::ports::Ports;
use crate::store::order::TENANT_SK_PREFIX;
use crate::store::{ApiKeyStore, Page, PageRequest, PlatformKeyStore, StoreError, TenantStore};

const MAX_NAME_LEN: usize = 100;

/// What a tenant may change about itself.
#[derive(Debug, Clone, Default)]
pub struct TenantChanges {
    pub reject_unregistered_event_types: Option<bool>,
}

/// Everything `PUT /v1/tenants/{id}` sets: the whole of the tenant's settings, so a repeat is a no-op.
#[derive(Debug, Clone, Default)]
pub struct TenantSettings {
    /// The tenant id when absent.
    pub name: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub ingest_rate_limit: Option<u32>,
    pub reject_unregistered_event_types: bool,
}

/// A tenant after `PUT`, and whether this request created it.
#[derive(Debug, Clone)]
pub struct PutTenant {
    pub tenant: Tenant,
    pub created: bool,
}

/// A new key and the token to hand out, once.
#[derive(Debug)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub token: BearerToken,
}

/// A tenant and its first key, as an operator creates them after deploying.
#[derive(Debug)]
pub struct NewTenant {
    pub tenant: Tenant,
    pub key: ApiKey,
    pub token: BearerToken,
}

pub async fn create_tenant<S>(store: &S, name: &str, now_ms: i64) -> Result<NewTenant, ServiceError>
where
    S: ApiKeyStore + TenantStore,
{
    let name = checked_name(Some(name.to_owned()))?;
    let tenant = Tenant::new(name, now_ms);
    store.put_tenant(&tenant).await?;
    let (key, token) = ApiKey::issue(tenant.id.clone(), "initial".into(), now_ms);
    store.put_api_key(&key).await?;
    info!(tenant_id = %tenant.id, key_id = %key.id, "tenant created");
    Ok(NewTenant { tenant, key, token })
}

/// A new platform key (the operator's first-run step), and its token, shown once.
pub async fn issue_platform_key<S: PlatformKeyStore>(
    store: &S,
    name: &str,
    now_ms: i64,
) -> Result<(PlatformKey, BearerToken), ServiceError> {
    let (key, token) = PlatformKey::issue(checked_name(Some(name.to_owned()))?, now_ms);
    store.put_platform_key(&key).await?;
    info!(key_id = %key.id, "platform key issued");
    Ok((key, token))
}

/// Revokes a platform key: it stops working at once. False if there is no such key.
pub async fn revoke_platform_key<S: PlatformKeyStore>(
    store: &S,
    id: &str,
    now_ms: i64,
) -> Result<bool, ServiceError> {
    let Ok(id) = PlatformKeyId::parse(id) else { return Ok(false) };
    let revoked = store.revoke_platform_key(&id, now_ms).await?;
    if revoked {
        info!(key_id = %id, "platform key revoked");
    }
    Ok(revoked)
}

impl<P: Ports> App<P> {
    /// Creates the tenant with the platform's own id, or sets its settings if it exists.
    pub async fn put_tenant(&self, id: &str, settings: TenantSettings) -> Result<PutTenant, ServiceError> {
        let id = TenantId::parse(id).map_err(ServiceError::InvalidTenantId)?;
        let name = checked_name(Some(settings.name.clone().unwrap_or_else(|| id.to_string())))?;
        checked_metadata(&settings.metadata)?;
        checked_rate_limit(settings.ingest_rate_limit)?;
        let apply = |tenant: &mut Tenant| {
            tenant.name.clone_from(&name);
            tenant.metadata.clone_from(&settings.metadata);
            tenant.ingest_rate_limit = settings.ingest_rate_limit;
            tenant.reject_unregistered_event_types = settings.reject_unregistered_event_types;
        };
        // Two tries: a concurrent PUT of the same new id can win the create; then this one updates.
        for _ in 0..2 {
            match self.store.get_tenant(&id).await? {
                Some(tenant) if tenant.is_deleted() => {
                    return Err(ServiceError::TenantDeleted(id.to_string()));
                }
                Some(mut tenant) => {
                    apply(&mut tenant);
                    match self.store.update_tenant(&tenant).await {
                        Ok(()) => {
                            self.access_cache.forget_tenant(&tenant.id);
                            return Ok(PutTenant { tenant, created: false });
                        }
                        Err(StoreError::Conflict) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                None => {
                    let mut tenant = Tenant::named(id.clone(), name.clone(), self.clock.now_ms());
                    apply(&mut tenant);
                    match self.store.put_tenant(&tenant).await {
                        Ok(()) => {
                            info!(tenant_id = %tenant.id, "tenant created");
                            return Ok(PutTenant { tenant, created: true });
                        }
                        Err(StoreError::Conflict) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Err(ServiceError::Store(StoreError::Conflict))
    }

    /// A live tenant by id, as the platform sees it.
    pub async fn get_tenant(&self, id: &str) -> Result<Tenant, ServiceError> {
        let not_found = || ServiceError::not_found("tenant", id);
        let id = TenantId::parse(id).map_err(|_| not_found())?;
        self.live_tenant(&id).await?.ok_or_else(not_found)
    }

    pub async fn list_tenants(&self, limit: u32, cursor: Option<&str>) -> Result<Page<Tenant>, ServiceError> {
        let after = page_after(cursor, TENANT_SK_PREFIX)?;
        Ok(self.store.tenants_page(&PageRequest { limit, after }).await?)
    }

    /// Deletes a tenant: its endpoints are disabled, its keys and sessions stop working, deliveries still
    /// queued are abandoned with `E_TENANT_DELETED`, and its data expires by TTL.
    pub async fn delete_tenant(&self, id: &str) -> Result<(), ServiceError> {
        let not_found = || ServiceError::not_found("tenant", id);
        let tenant_id = TenantId::parse(id).map_err(|_| not_found())?;
        if !self.store.delete_tenant(&tenant_id, self.clock.now_ms()).await? {
            return Err(not_found());
        }
        self.access_cache.forget_tenant(&tenant_id);
        info!(tenant_id = %tenant_id, "tenant deleted");
        Ok(())
    }

    pub async fn issue_api_key(
        &self,
        tenant: &Tenant,
        name: Option<String>,
    ) -> Result<IssuedKey, ServiceError> {
        let name = checked_name(name.or_else(|| Some("unnamed".into())))?;
        let (key, token) = ApiKey::issue(tenant.id.clone(), name, self.clock.now_ms());
        self.store.put_api_key(&key).await?;
        info!(tenant_id = %tenant.id, key_id = %key.id, "api key issued");
        Ok(IssuedKey { key, token })
    }

    pub async fn list_api_keys(&self, tenant: &Tenant) -> Result<Vec<ApiKey>, ServiceError> {
        Ok(self.store.list_api_keys(&tenant.id).await?)
    }

    pub async fn revoke_api_key(&self, tenant: &Tenant, id: &str) -> Result<(), ServiceError> {
        let not_found = || ServiceError::not_found("api key", id);
        let key_id = ApiKeyId::parse(id).map_err(|_| not_found())?;
        if !self.store.revoke_api_key(&tenant.id, &key_id, self.clock.now_ms()).await? {
            return Err(not_found());
        }
        self.access_cache.forget_api_key(&key_id);
        info!(tenant_id = %tenant.id, key_id = %key_id, "api key revoked");
        Ok(())
    }

    pub async fn update_tenant(
        &self,
        tenant: Tenant,
        request: TenantChanges,
    ) -> Result<Tenant, ServiceError> {
        // The caller's copy may be the access cache's, seconds old: change the stored one, so that a
        // change made meanwhile through another instance is not written back over.
        let not_found = || ServiceError::not_found("tenant", tenant.id.as_str());
        let mut tenant = self.live_tenant(&tenant.id).await?.ok_or_else(not_found)?;
        if let Some(reject) = request.reject_unregistered_event_types {
            tenant.reject_unregistered_event_types = reject;
        }
        self.store.update_tenant(&tenant).await?;
        self.access_cache.forget_tenant(&tenant.id);
        Ok(tenant)
    }
}

fn checked_name(name: Option<String>) -> Result<String, ServiceError> {
    match name {
        Some(name) if !name.trim().is_empty() && name.len() <= MAX_NAME_LEN => Ok(name),
        _ => Err(ServiceError::Invalid(format!("name must be 1 to {MAX_NAME_LEN} characters"))),
    }
}
