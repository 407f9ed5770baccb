//! Managing a tenant's endpoints: create, list, get, update, delete, and their signing secrets.

use tracing::info;

use crate::api::{
    self, CreateEndpoint, EndpointView, ListPage, PreviousSecret, RotateSecret, SecretView, UpdateEndpoint,
};
use crate::clock::{Clock, rfc3339};
use crate::endpoint_rules::{
    checked_description, checked_headers, checked_metadata, checked_rate_limit, checked_retry_schedule,
};
use crate::error::{ServiceError, page_after};
use crate::event_type::EventFilter;
use crate::ids::{EndpointId, TenantId};
use crate::ingest::IngestDeps;
use crate::model::{Endpoint, EndpointSecret};
use crate::signing::Secret;
use crate::store::{EndpointStore, PageRequest, StoreError, keys};

/// How long a rotated-out secret keeps signing unless the request says otherwise.
pub const DEFAULT_GRACE_SECS: u64 = 24 * 3600;
pub const MAX_GRACE_SECS: u64 = 7 * 24 * 3600;
/// Secrets kept per endpoint (the newest and those still in a grace period).
const MAX_SECRETS: usize = 5;
/// Read-modify-write rounds before giving up on an endpoint that keeps changing under us.
const MAX_WRITE_ROUNDS: usize = 5;

/// Registers an endpoint with a fresh signing secret, returned in the answer.
pub async fn create_endpoint<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    request: CreateEndpoint,
) -> Result<EndpointView, ServiceError>
where
    S: EndpointStore,
    C: Clock,
{
    let url = checked_url(deps, &request.url).await?;
    let filter =
        EventFilter::parse(&request.event_types).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    checked_description(request.description.as_deref())?;
    checked_rate_limit(request.rate_limit)?;
    checked_metadata(&request.metadata)?;
    let retry_schedule = request
        .retry_schedule
        .map(|delays| checked_retry_schedule(delays, deps.settings.max_attempts))
        .transpose()?;
    let secret = Secret::generate();
    let mut endpoint = Endpoint::new(tenant.clone(), url, filter, secret.clone(), deps.clock.now_ms());
    endpoint.description = request.description;
    endpoint.enabled = request.enabled;
    endpoint.headers = checked_headers(request.headers)?;
    endpoint.rate_limit = request.rate_limit;
    endpoint.retry_schedule = retry_schedule;
    endpoint.metadata = request.metadata;
    deps.store.put_endpoint(&endpoint).await?;
    info!(tenant_id = %tenant, endpoint_id = %endpoint.id, "endpoint created");
    Ok(EndpointView { secret: Some(secret.expose()), ..EndpointView::of(&endpoint) })
}

pub async fn list_endpoints<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    limit: u32,
    cursor: Option<&str>,
) -> Result<ListPage<EndpointView>, ServiceError>
where
    S: EndpointStore,
{
    let after = page_after(cursor, keys::ENDPOINT_SK_PREFIX)?;
    let page = deps.store.endpoints_page(tenant, &PageRequest { limit, after }).await?;
    Ok(ListPage {
        data: page.items.iter().map(EndpointView::of).collect(),
        next_cursor: page.next.as_deref().map(api::encode_cursor),
    })
}

pub async fn get_endpoint<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    id: &str,
) -> Result<EndpointView, ServiceError>
where
    S: EndpointStore,
{
    Ok(EndpointView::of(&find(deps, tenant, id).await?))
}

pub async fn update_endpoint<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    id: &str,
    request: UpdateEndpoint,
) -> Result<EndpointView, ServiceError>
where
    S: EndpointStore,
    C: Clock,
{
    // Validate once, up front: a bad field is the caller's mistake however often we re-read.
    let url = match request.url.as_deref() {
        Some(url) => Some(checked_url(deps, url).await?),
        None => None,
    };
    let filter = request
        .event_types
        .as_deref()
        .map(EventFilter::parse)
        .transpose()
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    if let Some(description) = &request.description {
        checked_description(description.as_deref())?;
    }
    if let Some(limit) = request.rate_limit {
        checked_rate_limit(limit)?;
    }
    if let Some(metadata) = &request.metadata {
        checked_metadata(metadata)?;
    }
    let headers = request.headers.clone().map(checked_headers).transpose()?;
    let retry_schedule = match request.retry_schedule.clone() {
        Some(Some(delays)) => Some(Some(checked_retry_schedule(delays, deps.settings.max_attempts)?)),
        Some(None) => Some(None),
        None => None,
    };

    let endpoint = modify(deps, tenant, id, |endpoint| {
        if let Some(url) = &url {
            endpoint.url.clone_from(url);
        }
        if let Some(filter) = &filter {
            endpoint.filter = filter.clone();
        }
        if let Some(description) = &request.description {
            endpoint.description.clone_from(description);
        }
        if let Some(enabled) = request.enabled {
            endpoint.enabled = enabled;
            if enabled {
                endpoint.disabled_reason = None;
            }
        }
        if let Some(headers) = &headers {
            endpoint.headers.clone_from(headers);
        }
        if let Some(limit) = request.rate_limit {
            endpoint.rate_limit = limit;
        }
        if let Some(schedule) = &retry_schedule {
            endpoint.retry_schedule.clone_from(schedule);
        }
        if let Some(metadata) = &request.metadata {
            endpoint.metadata.clone_from(metadata);
        }
    })
    .await?;
    info!(tenant_id = %tenant, endpoint_id = %endpoint.id, "endpoint updated");
    Ok(EndpointView::of(&endpoint))
}

pub async fn delete_endpoint<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    id: &str,
) -> Result<(), ServiceError>
where
    S: EndpointStore,
{
    let endpoint_id = EndpointId::parse(id).map_err(|_| ServiceError::not_found("endpoint", id))?;
    if !deps.store.delete_endpoint(tenant, &endpoint_id).await? {
        return Err(ServiceError::not_found("endpoint", id));
    }
    info!(tenant_id = %tenant, endpoint_id = %endpoint_id, "endpoint deleted");
    Ok(())
}

pub async fn get_secret<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    id: &str,
) -> Result<SecretView, ServiceError>
where
    S: EndpointStore,
    C: Clock,
{
    let endpoint = find(deps, tenant, id).await?;
    secret_view(&endpoint, deps.clock.now_ms())
}

/// A new secret signs from now on; the old ones keep signing until the grace period ends, so receivers
/// can switch over without rejecting a single delivery.
pub async fn rotate_secret<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    id: &str,
    request: RotateSecret,
) -> Result<SecretView, ServiceError>
where
    S: EndpointStore,
    C: Clock,
{
    let grace_secs = request.grace_period_secs.unwrap_or(DEFAULT_GRACE_SECS);
    if grace_secs > MAX_GRACE_SECS {
        return Err(ServiceError::Invalid(format!("grace_period_secs must be at most {MAX_GRACE_SECS}")));
    }
    let now_ms = deps.clock.now_ms();
    let until_ms = now_ms.saturating_add(i64::try_from(grace_secs * 1000).unwrap_or(i64::MAX));
    let fresh = Secret::generate();
    let endpoint = modify(deps, tenant, id, |endpoint| {
        let mut secrets = vec![EndpointSecret { secret: fresh.clone(), expires_at_ms: None }];
        secrets.extend(endpoint.secrets.iter().filter(|s| s.expires_at_ms.is_none_or(|at| at > now_ms)).map(
            |s| EndpointSecret {
                secret: s.secret.clone(),
                expires_at_ms: Some(s.expires_at_ms.map_or(until_ms, |at| at.min(until_ms))),
            },
        ));
        secrets.truncate(MAX_SECRETS);
        endpoint.secrets = secrets;
    })
    .await?;
    info!(tenant_id = %tenant, endpoint_id = %endpoint.id, grace_secs, "secret rotated");
    secret_view(&endpoint, now_ms)
}

fn secret_view(endpoint: &Endpoint, now_ms: i64) -> Result<SecretView, ServiceError> {
    let mut live = endpoint.secrets.iter().filter(|s| s.expires_at_ms.is_none_or(|at| at > now_ms));
    let newest = live.next().ok_or_else(|| {
        ServiceError::Store(StoreError::Corrupt {
            entity: "endpoint",
            source: serde::de::Error::custom("an endpoint without a live secret"),
        })
    })?;
    Ok(SecretView {
        secret: newest.secret.expose(),
        previous: live
            .map(|s| PreviousSecret {
                secret: s.secret.expose(),
                expires_at: rfc3339(s.expires_at_ms.unwrap_or(now_ms)),
            })
            .collect(),
    })
}

async fn checked_url<S, Q, C>(deps: &IngestDeps<S, Q, C>, url: &str) -> Result<String, ServiceError> {
    deps.settings.urls.check(url).await.map(|u| u.to_string()).map_err(ServiceError::BadUrl)
}

async fn find<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    id: &str,
) -> Result<Endpoint, ServiceError>
where
    S: EndpointStore,
{
    tenant_endpoint(&deps.store, tenant, id).await
}

/// The tenant's endpoint, or 404 (also for another tenant's id: the store is keyed by tenant).
pub(crate) async fn tenant_endpoint<S>(
    store: &S,
    tenant: &TenantId,
    id: &str,
) -> Result<Endpoint, ServiceError>
where
    S: EndpointStore,
{
    let not_found = || ServiceError::not_found("endpoint", id);
    let endpoint_id = EndpointId::parse(id).map_err(|_| not_found())?;
    store.get_endpoint(tenant, &endpoint_id).await?.ok_or_else(not_found)
}

/// Read, change, write back conditionally on the revision read; on a concurrent write, start over.
async fn modify<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    id: &str,
    change: impl Fn(&mut Endpoint),
) -> Result<Endpoint, ServiceError>
where
    S: EndpointStore,
    C: Clock,
{
    for _ in 0..MAX_WRITE_ROUNDS {
        let mut endpoint = find(deps, tenant, id).await?;
        change(&mut endpoint);
        endpoint.revision += 1;
        endpoint.updated_at_ms = deps.clock.now_ms();
        match deps.store.replace_endpoint(&endpoint).await {
            Ok(()) => return Ok(endpoint),
            Err(StoreError::Conflict) => continue,
            Err(StoreError::NoSuchEndpoint(_)) => return Err(ServiceError::not_found("endpoint", id)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

#[cfg(test)]
#[path = "endpoints_tests.rs"]
mod tests;
