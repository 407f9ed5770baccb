//! Who is calling (a bearer API key names its tenant), and the operations on tenants and their keys.

use tracing::info;

use hookline_core::ids::ApiKeyId;
use hookline_core::tenancy::{ApiKey, ApiKeyToken, Tenant};

use crate::app::App;
use crate::clock::Clock as _;
use crate::error::ServiceError;
use crate::ports::Ports;
use crate::store::{ApiKeyStore, StoreError, TenantStore};

const MAX_NAME_LEN: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("send an API key as `Authorization: Bearer <key>`")]
    Missing,
    /// Unknown, wrong and revoked keys get the same answer: it tells a prober nothing.
    #[error("the API key is not valid")]
    Invalid,
    #[error("the API key could not be checked")]
    Store(#[from] StoreError),
}

/// The tenant whose live key is in the `Authorization` header.
pub async fn authenticate<S>(store: &S, authorization: Option<&str>) -> Result<Tenant, AuthError>
where
    S: ApiKeyStore + TenantStore,
{
    let (scheme, presented) =
        authorization.and_then(|h| h.trim().split_once(' ')).ok_or(AuthError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Missing);
    }
    let (id, token) = ApiKeyToken::parse(presented.trim()).ok_or(AuthError::Invalid)?;
    let key = store.find_api_key(&id).await?.ok_or(AuthError::Invalid)?;
    if !key.is_token(&token) || key.is_revoked() {
        return Err(AuthError::Invalid);
    }
    store.get_tenant(&key.tenant_id).await?.ok_or(AuthError::Invalid)
}

/// What a tenant may change about itself.
#[derive(Debug, Clone, Default)]
pub struct TenantChanges {
    pub reject_unregistered_event_types: Option<bool>,
}

/// A new key and the token to hand out, once.
#[derive(Debug)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub token: ApiKeyToken,
}

/// A tenant and its first key, as an operator creates them after deploying.
#[derive(Debug)]
pub struct NewTenant {
    pub tenant: Tenant,
    pub key: ApiKey,
    pub token: ApiKeyToken,
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

impl<P: Ports> App<P> {
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
        info!(tenant_id = %tenant.id, key_id = %key_id, "api key revoked");
        Ok(())
    }

    pub async fn update_tenant(
        &self,
        tenant: Tenant,
        request: TenantChanges,
    ) -> Result<Tenant, ServiceError> {
        let mut tenant = tenant;
        if let Some(reject) = request.reject_unregistered_event_types {
            tenant.reject_unregistered_event_types = reject;
        }
        self.store.update_tenant(&tenant).await?;
        Ok(tenant)
    }
}

fn checked_name(name: Option<String>) -> Result<String, ServiceError> {
    match name {
        Some(name) if !name.trim().is_empty() && name.len() <= MAX_NAME_LEN => Ok(name),
        _ => Err(ServiceError::Invalid(format!("name must be 1 to {MAX_NAME_LEN} characters"))),
    }
}
