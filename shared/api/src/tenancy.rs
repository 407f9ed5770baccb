//! Bodies of the tenant and API key routes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use hookline::tenants::{IssuedKey, TenantChanges, TenantSettings};
use hookline_core::ids::{ApiKeyId, TenantId};
use hookline_core::tenancy::{ApiKey, Tenant};
use hookline_core::time::rfc3339;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantView {
    pub id: TenantId,
    pub name: String,
    pub reject_unregistered_event_types: bool,
    /// The events per second this tenant may send (its own limit, or the deployment's default).
    pub ingest_rate_limit: u32,
    pub metadata: BTreeMap<String, String>,
    pub created_at: String,
}

impl TenantView {
    pub fn of(tenant: &Tenant, default_rate_limit: u32) -> Self {
        Self {
            id: tenant.id.clone(),
            name: tenant.name.clone(),
            reject_unregistered_event_types: tenant.reject_unregistered_event_types,
            ingest_rate_limit: tenant.ingest_rate_limit.unwrap_or(default_rate_limit),
            metadata: tenant.metadata.clone(),
            created_at: rfc3339(tenant.created_at_ms),
        }
    }
}

/// `PUT /v1/tenants/{tenant_id}`: the tenant's whole settings. An absent field takes its default, so
/// the same body twice leaves the same tenant.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutTenantRequest {
    /// The tenant id when absent.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Events per second; absent or null for the deployment's default.
    #[serde(default)]
    pub ingest_rate_limit: Option<u32>,
    #[serde(default)]
    pub reject_unregistered_event_types: bool,
}

impl From<PutTenantRequest> for TenantSettings {
    fn from(request: PutTenantRequest) -> Self {
        Self {
            name: request.name,
            metadata: request.metadata,
            ingest_rate_limit: request.ingest_rate_limit,
            reject_unregistered_event_types: request.reject_unregistered_event_types,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    #[serde(default)]
    pub reject_unregistered_event_types: Option<bool>,
}

impl From<UpdateTenant> for TenantChanges {
    fn from(request: UpdateTenant) -> Self {
        Self { reject_unregistered_event_types: request.reject_unregistered_event_types }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub name: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Only in the answer to create: the key itself, shown once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl ApiKeyView {
    pub fn of(key: &ApiKey) -> Self {
        Self {
            id: key.id.clone(),
            name: key.name.clone(),
            created_at: rfc3339(key.created_at_ms),
            revoked_at: key.revoked_at_ms.map(rfc3339),
            key: None,
        }
    }

    /// The answer to create, which alone shows the key.
    pub fn issued(issued: &IssuedKey) -> Self {
        Self { key: Some(issued.token.expose().to_owned()), ..Self::of(&issued.key) }
    }
}

/// `GET /v1/source-ips`: the addresses webhooks are sent from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceIpsView {
    /// Whether deliveries leave from fixed addresses (the deployment's StaticSourceIps opt-in).
    pub fixed: bool,
    /// Those addresses; empty when not fixed (then any AWS address of the region may send).
    pub source_ips: Vec<String>,
}
