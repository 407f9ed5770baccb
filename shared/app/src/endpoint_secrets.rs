//! An endpoint's signing secrets (v1, `whsec_`) and v1a keys (`whsk_`, shown only as `whpk_` public
//! keys): reading the live ones, and rotating them with a grace period in which old and new both sign.

use tracing::info;

use hookline_core::endpoint_signing::EndpointSigningKey;
use hookline_core::ids::TenantId;
use hookline_core::model::{Endpoint, EndpointSecret};
use hookline_core::signing::Secret;
use hookline_core::signing_v1a::{PublicKey, SigningKey};

use crate::app::App;
use crate::clock::Clock as _;
use crate::error::ServiceError;
use crate::ports::Ports;
use crate::store::StoreError;

/// How long a rotated-out secret keeps signing unless the request says otherwise.
pub const DEFAULT_GRACE_SECS: u64 = 24 * 3600;
pub const MAX_GRACE_SECS: u64 = 7 * 24 * 3600;
/// Secrets (and v1a keys) kept per endpoint: the newest and those still in a grace period.
const MAX_SECRETS: usize = 5;

/// The secrets an endpoint signs with now: the newest, and older ones until their grace period ends;
/// and, when it signs with v1a, the public keys of its live v1a keys.
#[derive(Debug, Clone)]
pub struct LiveSecrets {
    pub current: Secret,
    pub retiring: Vec<RetiringSecret>,
    /// Empty unless the endpoint signs with v1a.
    pub public_keys: Vec<LivePublicKey>,
}

#[derive(Debug, Clone)]
pub struct RetiringSecret {
    pub secret: Secret,
    pub expires_at_ms: i64,
}

/// A v1a public key; `expires_at_ms` is set while it is being rotated out.
#[derive(Debug, Clone, Copy)]
pub struct LivePublicKey {
    pub key: PublicKey,
    pub expires_at_ms: Option<i64>,
}

impl<P: Ports> App<P> {
    pub async fn get_secret(&self, tenant: &TenantId, id: &str) -> Result<LiveSecrets, ServiceError> {
        let endpoint = self.find(tenant, id).await?;
        live_secrets(&endpoint, self.clock.now_ms())
    }

    /// A new secret signs from now on, and a new v1a key if the endpoint signs with v1a; the old ones keep
    /// signing until the grace period ends, so receivers can switch over without rejecting a delivery.
    pub async fn rotate_secret(
        &self,
        tenant: &TenantId,
        id: &str,
        grace_period_secs: Option<u64>,
    ) -> Result<LiveSecrets, ServiceError> {
        let grace_secs = grace_period_secs.unwrap_or(DEFAULT_GRACE_SECS);
        if grace_secs > MAX_GRACE_SECS {
            return Err(ServiceError::Invalid(format!("grace_period_secs must be at most {MAX_GRACE_SECS}")));
        }
        let now_ms = self.clock.now_ms();
        let until_ms = now_ms.saturating_add(i64::try_from(grace_secs * 1000).unwrap_or(i64::MAX));
        let retire = |expiry: Option<i64>| Some(expiry.map_or(until_ms, |at| at.min(until_ms)));
        let (fresh, fresh_key) = (Secret::generate(), SigningKey::generate());
        let endpoint = self
            .modify(tenant, id, |endpoint| {
                let mut secrets = vec![EndpointSecret { secret: fresh.clone(), expires_at_ms: None }];
                secrets.extend(
                    endpoint.secrets.iter().filter(|s| s.expires_at_ms.is_none_or(|at| at > now_ms)).map(
                        |s| EndpointSecret {
                            secret: s.secret.clone(),
                            expires_at_ms: retire(s.expires_at_ms),
                        },
                    ),
                );
                secrets.truncate(MAX_SECRETS);
                endpoint.secrets = secrets;
                if endpoint.signature_versions.v1a() {
                    let mut keys = vec![EndpointSigningKey { key: fresh_key.clone(), expires_at_ms: None }];
                    keys.extend(endpoint.live_signing_keys(now_ms).map(|k| EndpointSigningKey {
                        key: k.key.clone(),
                        expires_at_ms: retire(k.expires_at_ms),
                    }));
                    keys.truncate(MAX_SECRETS);
                    endpoint.signing_keys = keys;
                }
            })
            .await?;
        info!(tenant_id = %tenant, endpoint_id = %endpoint.id, grace_secs, "secret rotated");
        live_secrets(&endpoint, now_ms)
    }
}

/// An endpoint that signs with v1a has a live key: its first one is made when v1a is switched on.
pub(crate) fn ensure_signing_key(endpoint: &mut Endpoint, now_ms: i64) {
    if endpoint.signature_versions.v1a() && endpoint.live_signing_keys(now_ms).next().is_none() {
        endpoint
            .signing_keys
            .insert(0, EndpointSigningKey { key: SigningKey::generate(), expires_at_ms: None });
        endpoint.signing_keys.truncate(MAX_SECRETS);
    }
}

fn live_secrets(endpoint: &Endpoint, now_ms: i64) -> Result<LiveSecrets, ServiceError> {
    let mut live = endpoint.secrets.iter().filter(|s| s.expires_at_ms.is_none_or(|at| at > now_ms));
    let newest = live.next().ok_or_else(|| {
        ServiceError::Store(StoreError::Corrupt {
            entity: "endpoint",
            source: serde::de::Error::custom("an endpoint without a live secret"),
        })
    })?;
    let public_keys = if endpoint.signature_versions.v1a() {
        endpoint
            .live_signing_keys(now_ms)
            .map(|k| LivePublicKey { key: k.key.public_key(), expires_at_ms: k.expires_at_ms })
            .collect()
    } else {
        Vec::new()
    };
    Ok(LiveSecrets {
        current: newest.secret.clone(),
        retiring: live
            .map(|s| RetiringSecret {
                secret: s.secret.clone(),
                expires_at_ms: s.expires_at_ms.unwrap_or(now_ms),
            })
            .collect(),
        public_keys,
    })
}
