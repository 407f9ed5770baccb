//! Bodies of the endpoint routes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use hookline::endpoint_secrets::LiveSecrets;
use hookline::endpoints::{EndpointChanges, NewEndpoint};

use super::nullable;
use hookline_core::endpoint_auth::EndpointAuth;
use hookline_core::ids::EndpointId;
use hookline_core::model::Endpoint;
use hookline_core::time::rfc3339;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpoint {
    pub url: String,
    #[serde(default = "everything")]
    pub event_types: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub rate_limit: Option<u32>,
    /// The endpoint's own retry schedule, e.g. `["0s", "1m", "1h"]`; the deployment's when absent.
    #[serde(default)]
    pub retry_schedule: Option<Vec<String>>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Only events whose payload matches are delivered, e.g. `{"amount": {"$gte": 100}}`.
    #[serde(default)]
    pub payload_filter: Option<serde_json::Value>,
    /// `{"type": "basic", "username", "password"}`, `{"type": "bearer", "token"}` or
    /// `{"type": "oauth2_client_credentials", "token_url", "client_id", "client_secret", "scope"?}`.
    #[serde(default)]
    pub auth: Option<EndpointAuth>,
    /// `["v1"]` (HMAC, the default), `["v1a"]` (Ed25519) or `["v1", "v1a"]`.
    #[serde(default)]
    pub signature_versions: Option<Vec<String>>,
}

fn everything() -> Vec<String> {
    vec!["*".to_owned()]
}

fn enabled() -> bool {
    true
}

/// Every field optional; `description`, `rate_limit` and `retry_schedule` may be `null` to clear them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpoint {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub rate_limit: Option<Option<u32>>,
    #[serde(default, deserialize_with = "nullable")]
    pub retry_schedule: Option<Option<Vec<String>>>,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
    /// `null` (or `{}`) removes the filter.
    #[serde(default, deserialize_with = "nullable")]
    pub payload_filter: Option<Option<serde_json::Value>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    pub auth: Option<Option<EndpointAuth>>,
    #[serde(default)]
    pub signature_versions: Option<Vec<String>>,
}

impl From<CreateEndpoint> for NewEndpoint {
    fn from(request: CreateEndpoint) -> Self {
        Self {
            url: request.url,
            event_types: request.event_types,
            description: request.description,
            enabled: request.enabled,
            headers: request.headers,
            rate_limit: request.rate_limit,
            retry_schedule: request.retry_schedule,
            metadata: request.metadata,
            payload_filter: request.payload_filter,
            auth: request.auth,
            signature_versions: request.signature_versions,
        }
    }
}

impl From<UpdateEndpoint> for EndpointChanges {
    fn from(request: UpdateEndpoint) -> Self {
        Self {
            url: request.url,
            event_types: request.event_types,
            description: request.description,
            enabled: request.enabled,
            headers: request.headers,
            rate_limit: request.rate_limit,
            retry_schedule: request.retry_schedule,
            metadata: request.metadata,
            payload_filter: request.payload_filter,
            auth: request.auth,
            signature_versions: request.signature_versions,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointView {
    pub id: EndpointId,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub event_types: Vec<String>,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Since when every delivery has failed (absent while the endpoint is healthy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// The endpoint's own retry schedule (absent: the deployment's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_schedule: Option<Vec<String>>,
    pub metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_filter: Option<serde_json::Value>,
    /// The endpoint's authentication, its credential shown only by its last characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthView>,
    /// The signatures deliveries carry: `v1`, `v1a`, or both.
    pub signature_versions: Vec<String>,
    /// With v1a: the `whpk_` public key receivers verify with (no shared secret needed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Only in the answer to create: the signing secret (also readable at `…/secret`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl EndpointView {
    pub fn of(endpoint: &Endpoint) -> Self {
        Self {
            id: endpoint.id.clone(),
            url: endpoint.url.clone(),
            description: endpoint.description.clone(),
            event_types: endpoint.filter.patterns().to_vec(),
            enabled: endpoint.enabled,
            disabled_reason: endpoint.disabled_reason.clone(),
            failing_since: endpoint.failing_since_ms.map(rfc3339),
            headers: endpoint.headers.clone(),
            rate_limit: endpoint.rate_limit,
            retry_schedule: endpoint.retry_schedule.clone().map(Vec::from),
            metadata: endpoint.metadata.clone(),
            payload_filter: endpoint.payload_filter.as_ref().map(|f| f.source().clone()),
            auth: endpoint.auth.as_ref().map(AuthView::of),
            signature_versions: endpoint.signature_versions.names(),
            // The newest key never has an expiry: rotation sets one only on the keys it retires.
            public_key: endpoint
                .signature_versions
                .v1a()
                .then(|| endpoint.signing_keys.first().map(|k| k.key.public_key().to_string()))
                .flatten(),
            created_at: rfc3339(endpoint.created_at_ms),
            updated_at: rfc3339(endpoint.updated_at_ms),
            secret: None,
        }
    }

    /// The answer to create, which alone shows the signing secret.
    pub fn created(endpoint: &Endpoint) -> Self {
        Self { secret: endpoint.secrets.first().map(|s| s.secret.expose()), ..Self::of(endpoint) }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    /// How long the old secret keeps signing; 24 h when absent.
    #[serde(default)]
    pub grace_period_secs: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretView {
    /// The newest secret: verify with it.
    pub secret: String,
    /// Older secrets still signing until their expiry (a rotation's grace period).
    pub previous: Vec<PreviousSecret>,
    /// With v1a: the newest `whpk_` public key, then those still signing until their expiry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_keys: Vec<PublicKeyView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyView {
    pub public_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl SecretView {
    pub fn of(secrets: &LiveSecrets) -> Self {
        Self {
            secret: secrets.current.expose(),
            previous: secrets
                .retiring
                .iter()
                .map(|s| PreviousSecret { secret: s.secret.expose(), expires_at: rfc3339(s.expires_at_ms) })
                .collect(),
            public_keys: secrets
                .public_keys
                .iter()
                .map(|k| PublicKeyView {
                    public_key: k.key.to_string(),
                    expires_at: k.expires_at_ms.map(rfc3339),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousSecret {
    pub secret: String,
    pub expires_at: String,
}

/// An endpoint's authentication as answers show it: the kind, the username or OAuth2 client, and only a
/// hint of the secret.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuthView {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The password's, token's or client secret's last four characters: `…ab12`.
    pub hint: String,
}

impl AuthView {
    pub fn of(auth: &EndpointAuth) -> Self {
        match auth {
            EndpointAuth::Basic { username, password } => Self {
                kind: auth.kind().into(),
                username: Some(username.clone()),
                hint: password.hint(),
                ..Self::default()
            },
            EndpointAuth::Bearer { token } => {
                Self { kind: auth.kind().into(), hint: token.hint(), ..Self::default() }
            }
            EndpointAuth::OAuth2ClientCredentials(grant) => Self {
                kind: auth.kind().into(),
                token_url: Some(grant.token_url.clone()),
                client_id: Some(grant.client_id.clone()),
                scope: grant.scope.clone(),
                hint: grant.client_secret.hint(),
                ..Self::default()
            },
        }
    }
}
