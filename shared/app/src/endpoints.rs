//! Managing a tenant's endpoints: create, list, get, update, delete. Their secrets are in
//! `endpoint_secrets`.

use tracing::info;

use std::collections::BTreeMap;

use hookline_core::endpoint_auth::EndpointAuth;
use hookline_core::endpoint_rules::{
    checked_description, checked_headers, checked_metadata, checked_rate_limit, checked_retry_schedule,
};
use hookline_core::endpoint_signing::SignatureVersions;
use hookline_core::event_types::EventFilter;
use hookline_core::ids::{EndpointId, TenantId};
use hookline_core::model::Endpoint;
use hookline_core::payload_filter::{PayloadFilter, is_everything};
use hookline_core::signing::Secret;

use crate::app::App;
use crate::clock::Clock as _;
use crate::endpoint_secrets::ensure_signing_key;
use crate::error::{ServiceError, page_after};
use crate::ports::Ports;
use crate::store::order::ENDPOINT_SK_PREFIX;
use crate::store::{EndpointStore, Page, PageRequest, StoreError};

/// Read-modify-write rounds before giving up on an endpoint that keeps changing under us.
const MAX_WRITE_ROUNDS: usize = 5;

/// An endpoint to register.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub headers: BTreeMap<String, String>,
    pub rate_limit: Option<u32>,
    /// The endpoint's own retry schedule, e.g. `["0s", "1m", "1h"]`; the deployment's when absent.
    pub retry_schedule: Option<Vec<String>>,
    pub metadata: BTreeMap<String, String>,
    /// A payload filter (see `hookline_core::payload_filter`); `{}` or `None` for every payload.
    pub payload_filter: Option<serde_json::Value>,
    pub auth: Option<EndpointAuth>,
    /// `["v1"]` (the default), `["v1a"]` or both.
    pub signature_versions: Option<Vec<String>>,
}

/// What to change about an endpoint: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
    pub headers: Option<BTreeMap<String, String>>,
    pub rate_limit: Option<Option<u32>>,
    pub retry_schedule: Option<Option<Vec<String>>>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub payload_filter: Option<Option<serde_json::Value>>,
    pub auth: Option<Option<EndpointAuth>>,
    pub signature_versions: Option<Vec<String>>,
}

impl<P: Ports> App<P> {
    /// Registers an endpoint with a fresh signing secret (its only secret, which the answer shows).
    pub async fn create_endpoint(
        &self,
        tenant: &TenantId,
        request: NewEndpoint,
    ) -> Result<Endpoint, ServiceError> {
        let url = self.checked_url(&request.url).await?;
        let filter =
            EventFilter::parse(&request.event_types).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        checked_description(request.description.as_deref())?;
        checked_rate_limit(request.rate_limit)?;
        checked_metadata(&request.metadata)?;
        let retry_schedule = request
            .retry_schedule
            .map(|delays| checked_retry_schedule(delays, self.settings.max_attempts))
            .transpose()?;
        let secret = Secret::generate();
        let mut endpoint = Endpoint::new(tenant.clone(), url, filter, secret.clone(), self.clock.now_ms());
        endpoint.description = request.description;
        endpoint.enabled = request.enabled;
        endpoint.headers = checked_headers(request.headers)?;
        endpoint.rate_limit = request.rate_limit;
        endpoint.retry_schedule = retry_schedule;
        endpoint.metadata = request.metadata;
        endpoint.payload_filter = checked_payload_filter(request.payload_filter)?;
        endpoint.auth = match request.auth {
            Some(auth) => Some(self.checked_auth(auth).await?),
            None => None,
        };
        if let Some(versions) = &request.signature_versions {
            endpoint.signature_versions = SignatureVersions::parse(versions)?;
        }
        let created_at_ms = endpoint.created_at_ms;
        ensure_signing_key(&mut endpoint, created_at_ms);
        self.store.put_endpoint(&endpoint).await?;
        info!(tenant_id = %tenant, endpoint_id = %endpoint.id, "endpoint created");
        Ok(endpoint)
    }

    pub async fn list_endpoints(
        &self,
        tenant: &TenantId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Endpoint>, ServiceError> {
        let after = page_after(cursor, ENDPOINT_SK_PREFIX)?;
        Ok(self.store.endpoints_page(tenant, &PageRequest { limit, after }).await?)
    }

    pub async fn get_endpoint(&self, tenant: &TenantId, id: &str) -> Result<Endpoint, ServiceError> {
        self.find(tenant, id).await
    }

    pub async fn update_endpoint(
        &self,
        tenant: &TenantId,
        id: &str,
        request: EndpointChanges,
    ) -> Result<Endpoint, ServiceError> {
        // Validate once, up front: a bad field is the caller's mistake however often we re-read.
        let url = match request.url.as_deref() {
            Some(url) => Some(self.checked_url(url).await?),
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
        let payload_filter = request.payload_filter.clone().map(checked_payload_filter).transpose()?;
        let auth = match request.auth.clone() {
            Some(Some(auth)) => Some(Some(self.checked_auth(auth).await?)),
            other => other,
        };
        let versions = request.signature_versions.as_deref().map(SignatureVersions::parse).transpose()?;
        let now_ms = self.clock.now_ms();
        let retry_schedule = match request.retry_schedule.clone() {
            Some(Some(delays)) => Some(Some(checked_retry_schedule(delays, self.settings.max_attempts)?)),
            Some(None) => Some(None),
            None => None,
        };

        let endpoint = self
            .modify(tenant, id, |endpoint| {
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
                if let Some(payload_filter) = &payload_filter {
                    endpoint.payload_filter.clone_from(payload_filter);
                }
                if let Some(auth) = &auth {
                    endpoint.auth.clone_from(auth);
                }
                if let Some(versions) = versions {
                    endpoint.signature_versions = versions;
                    ensure_signing_key(endpoint, now_ms);
                }
            })
            .await?;
        info!(tenant_id = %tenant, endpoint_id = %endpoint.id, "endpoint updated");
        Ok(endpoint)
    }

    pub async fn delete_endpoint(&self, tenant: &TenantId, id: &str) -> Result<(), ServiceError> {
        let endpoint_id = EndpointId::parse(id).map_err(|_| ServiceError::not_found("endpoint", id))?;
        if !self.store.delete_endpoint(tenant, &endpoint_id).await? {
            return Err(ServiceError::not_found("endpoint", id));
        }
        info!(tenant_id = %tenant, endpoint_id = %endpoint_id, "endpoint deleted");
        Ok(())
    }

    async fn checked_url(&self, url: &str) -> Result<String, ServiceError> {
        self.settings.urls.check(url).await.map(|u| u.to_string()).map_err(ServiceError::BadUrl)
    }

    /// The credential's shape, and an OAuth2 token URL held to the same rules as an endpoint's URL.
    async fn checked_auth(&self, auth: EndpointAuth) -> Result<EndpointAuth, ServiceError> {
        let auth = auth.checked()?;
        if let EndpointAuth::OAuth2ClientCredentials(grant) = &auth {
            self.settings.urls.check(&grant.token_url).await.map_err(ServiceError::BadTokenUrl)?;
        }
        Ok(auth)
    }

    pub(crate) async fn find(&self, tenant: &TenantId, id: &str) -> Result<Endpoint, ServiceError> {
        tenant_endpoint(&self.store, tenant, id).await
    }

    /// Read, change, write back conditionally on the revision read; on a concurrent write, start over.
    pub(crate) async fn modify(
        &self,
        tenant: &TenantId,
        id: &str,
        change: impl Fn(&mut Endpoint),
    ) -> Result<Endpoint, ServiceError> {
        for _ in 0..MAX_WRITE_ROUNDS {
            let mut endpoint = self.find(tenant, id).await?;
            change(&mut endpoint);
            endpoint.revision += 1;
            endpoint.updated_at_ms = self.clock.now_ms();
            match self.store.replace_endpoint(&endpoint).await {
                Ok(()) => return Ok(endpoint),
                Err(StoreError::Conflict) => continue,
                Err(StoreError::NoSuchEndpoint(_)) => return Err(ServiceError::not_found("endpoint", id)),
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }
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

/// A filter as written, checked; `{}` is no filter (every payload passes).
fn checked_payload_filter(filter: Option<serde_json::Value>) -> Result<Option<PayloadFilter>, ServiceError> {
    match filter {
        None => Ok(None),
        Some(value) if is_everything(&value) => Ok(None),
        Some(value) => Ok(Some(PayloadFilter::parse(value)?)),
    }
}
