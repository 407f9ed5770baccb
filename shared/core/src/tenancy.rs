//! Tenants, their API keys, and the platform's keys. A key is shown once, at creation; only its hash is
//! stored (see [`crate::tokens`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{ApiKeyId, PlatformKeyId, TenantId};
use crate::tokens::{BearerToken, TokenKind};

/// A customer of the platform: owns endpoints, event types, messages and keys, and sees nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub created_at_ms: i64,
    /// Refuse events whose type is not in the tenant's event-type catalogue.
    #[serde(default)]
    pub reject_unregistered_event_types: bool,
    /// Events per second this tenant may send; `None` takes the deployment's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingest_rate_limit: Option<u32>,
    /// The platform's own labels, returned as given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// Portal sessions opened at or before this time no longer work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_revoked_at_ms: Option<i64>,
    /// Set by `DELETE /v1/tenants/{id}`: the tenant is gone from the API and its data waits for TTL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at_ms: Option<i64>,
}

impl Tenant {
    /// A tenant with a generated id (`hookline tenant create`).
    pub fn new(name: String, created_at_ms: i64) -> Self {
        Self::named(TenantId::generate(), name, created_at_ms)
    }

    /// A tenant with the platform's own id.
    pub fn named(id: TenantId, name: String, created_at_ms: i64) -> Self {
        Self {
            id,
            name,
            created_at_ms,
            reject_unregistered_event_types: false,
            ingest_rate_limit: None,
            metadata: BTreeMap::new(),
            sessions_revoked_at_ms: None,
            deleted_at_ms: None,
        }
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at_ms.is_some()
    }
}

/// Why the endpoints of a deleted tenant are disabled, as their `disabled_reason` says.
pub const TENANT_DELETED_REASON: &str = "its tenant was deleted";

/// A stored API key: everything but the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub tenant_id: TenantId,
    pub name: String,
    /// Hex SHA-256 of the whole token.
    pub hash: String,
    pub created_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at_ms: Option<i64>,
}

impl ApiKey {
    /// A new key for the tenant and the token to hand out (once).
    pub fn issue(tenant_id: TenantId, name: String, created_at_ms: i64) -> (Self, BearerToken) {
        let id = ApiKeyId::generate();
        let token =
            BearerToken::generate(TokenKind::ApiKey, id.as_str().trim_start_matches(ApiKeyId::PREFIX));
        let key = Self { id, tenant_id, name, hash: token.hash(), created_at_ms, revoked_at_ms: None };
        (key, token)
    }

    /// The key id a presented `hlk_` token names.
    pub fn id_of(token: &BearerToken) -> Option<ApiKeyId> {
        (token.kind() == TokenKind::ApiKey)
            .then(|| ApiKeyId::parse(&format!("{}{}", ApiKeyId::PREFIX, token.id_body())).ok())
            .flatten()
    }

    /// Whether `token` opens this key: it is this key's and the key is not revoked.
    pub fn opens(&self, token: &BearerToken) -> bool {
        token.matches(&self.hash) && self.revoked_at_ms.is_none()
    }
}

/// A platform key: manages tenants and acts for any of them. Made by the operator CLI after deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformKey {
    pub id: PlatformKeyId,
    pub name: String,
    /// Hex SHA-256 of the whole token.
    pub hash: String,
    pub created_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at_ms: Option<i64>,
}

impl PlatformKey {
    pub fn issue(name: String, created_at_ms: i64) -> (Self, BearerToken) {
        let id = PlatformKeyId::generate();
        let body = id.as_str().trim_start_matches(PlatformKeyId::PREFIX);
        let token = BearerToken::generate(TokenKind::PlatformKey, body);
        (Self { id, name, hash: token.hash(), created_at_ms, revoked_at_ms: None }, token)
    }

    /// The key id a presented `hlp_` token names.
    pub fn id_of(token: &BearerToken) -> Option<PlatformKeyId> {
        (token.kind() == TokenKind::PlatformKey)
            .then(|| PlatformKeyId::parse(&format!("{}{}", PlatformKeyId::PREFIX, token.id_body())).ok())
            .flatten()
    }

    pub fn opens(&self, token: &BearerToken) -> bool {
        token.matches(&self.hash) && self.revoked_at_ms.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    #[test]
    fn an_issued_api_key_is_opened_by_its_token_until_revoked() {
        let (mut key, token) = ApiKey::issue(tenant(), "ci".into(), 0);
        let presented = BearerToken::parse(token.expose()).unwrap();
        assert_eq!(ApiKey::id_of(&presented), Some(key.id.clone()));
        assert!(key.opens(&presented));
        let (_, other) = ApiKey::issue(tenant(), "ci".into(), 0);
        assert!(!key.opens(&other));
        key.revoked_at_ms = Some(1);
        assert!(!key.opens(&presented));
    }

    #[test]
    fn a_platform_token_names_no_api_key_and_an_api_key_token_no_platform_key() {
        let (platform, platform_token) = PlatformKey::issue("deploy".into(), 0);
        let (_, api_token) = ApiKey::issue(tenant(), "ci".into(), 0);
        assert_eq!(ApiKey::id_of(&platform_token), None);
        assert_eq!(PlatformKey::id_of(&api_token), None);
        assert_eq!(PlatformKey::id_of(&platform_token), Some(platform.id.clone()));
        assert!(platform_token.expose().starts_with("hlp_"));
        assert!(platform.opens(&platform_token));
    }

    #[test]
    fn only_the_hash_is_stored() {
        let (key, token) = ApiKey::issue(tenant(), "ci".into(), 0);
        assert!(!serde_json::to_string(&key).unwrap().contains(token.expose()));
        let (key, token) = PlatformKey::issue("deploy".into(), 0);
        assert!(!serde_json::to_string(&key).unwrap().contains(token.expose()));
    }
}
