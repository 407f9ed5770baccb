//! Who is calling (a bearer API key names its tenant), and the operations on tenants and their keys.

use tracing::info;

use crate::api::{ApiError, ApiKeyView, CreateApiKey, TenantView, UpdateTenant};
use crate::clock::Clock;
use crate::error::ServiceError;
use crate::ids::ApiKeyId;
use crate::ingest::IngestDeps;
use crate::store::{ApiKeyStore, StoreError, TenantStore};
use crate::tenancy::{ApiKey, ApiKeyToken, Tenant};

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

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        let message = error.to_string();
        match error {
            AuthError::Missing | AuthError::Invalid => ApiError::new(401, "unauthorized", message),
            AuthError::Store(_) => ApiError::new(503, "storage_unavailable", message),
        }
    }
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

pub async fn issue_api_key<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &Tenant,
    request: CreateApiKey,
) -> Result<ApiKeyView, ServiceError>
where
    S: ApiKeyStore,
    C: Clock,
{
    let name = checked_name(request.name.or_else(|| Some("unnamed".into())))?;
    let (key, token) = ApiKey::issue(tenant.id.clone(), name, deps.clock.now_ms());
    deps.store.put_api_key(&key).await?;
    info!(tenant_id = %tenant.id, key_id = %key.id, "api key issued");
    Ok(ApiKeyView { key: Some(token.expose().to_owned()), ..ApiKeyView::of(&key) })
}

pub async fn list_api_keys<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &Tenant,
) -> Result<Vec<ApiKeyView>, ServiceError>
where
    S: ApiKeyStore,
{
    Ok(deps.store.list_api_keys(&tenant.id).await?.iter().map(ApiKeyView::of).collect())
}

pub async fn revoke_api_key<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &Tenant,
    id: &str,
) -> Result<(), ServiceError>
where
    S: ApiKeyStore,
    C: Clock,
{
    let not_found = || ServiceError::not_found("api key", id);
    let key_id = ApiKeyId::parse(id).map_err(|_| not_found())?;
    if !deps.store.revoke_api_key(&tenant.id, &key_id, deps.clock.now_ms()).await? {
        return Err(not_found());
    }
    info!(tenant_id = %tenant.id, key_id = %key_id, "api key revoked");
    Ok(())
}

pub async fn update_tenant<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: Tenant,
    request: UpdateTenant,
) -> Result<TenantView, ServiceError>
where
    S: TenantStore,
{
    let mut tenant = tenant;
    if let Some(reject) = request.reject_unregistered_event_types {
        tenant.reject_unregistered_event_types = reject;
    }
    deps.store.update_tenant(&tenant).await?;
    Ok(TenantView::of(&tenant, deps.settings.default_rate_limit))
}

fn checked_name(name: Option<String>) -> Result<String, ServiceError> {
    match name {
        Some(name) if !name.trim().is_empty() && name.len() <= MAX_NAME_LEN => Ok(name),
        _ => Err(ServiceError::Invalid(format!("name must be 1 to {MAX_NAME_LEN} characters"))),
    }
}
