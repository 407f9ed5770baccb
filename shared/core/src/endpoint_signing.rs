//! How an endpoint signs: with v1 (HMAC, `whsec_`), v1a (Ed25519, `whsk_`/`whpk_`), or both, each with
//! its own keys rotated the same way: the newest signs, and older ones keep signing until their grace
//! period ends.

use serde::{Deserialize, Serialize};

use crate::endpoint_rules::FieldError;
use crate::model::Endpoint;
use crate::signing::signature_header;
use crate::signing_v1a::{PublicKey, SigningKey};

/// The signature versions an endpoint's deliveries carry. Never neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct SignatureVersions {
    v1: bool,
    v1a: bool,
}

impl SignatureVersions {
    pub const V1: Self = Self { v1: true, v1a: false };

    pub fn parse(names: &[String]) -> Result<Self, FieldError> {
        let mut versions = Self { v1: false, v1a: false };
        for name in names {
            match name.as_str() {
                "v1" if !versions.v1 => versions.v1 = true,
                "v1a" if !versions.v1a => versions.v1a = true,
                "v1" | "v1a" => {
                    return Err(FieldError::new(format!("signature_versions: `{name}` is twice")));
                }
                _ => {
                    return Err(FieldError::new(format!(
                        "signature_versions: `{name}` is not a version; use `v1`, `v1a` or both"
                    )));
                }
            }
        }
        if !(versions.v1 || versions.v1a) {
            return Err(FieldError::new("signature_versions: name at least one of `v1` and `v1a`".into()));
        }
        Ok(versions)
    }

    pub fn v1(self) -> bool {
        self.v1
    }

    pub fn v1a(self) -> bool {
        self.v1a
    }

    pub fn names(self) -> Vec<String> {
        [(self.v1, "v1"), (self.v1a, "v1a")]
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| name.to_owned())
            .collect()
    }
}

impl Default for SignatureVersions {
    fn default() -> Self {
        Self::V1
    }
}

impl TryFrom<Vec<String>> for SignatureVersions {
    type Error = FieldError;
    fn try_from(names: Vec<String>) -> Result<Self, FieldError> {
        Self::parse(&names)
    }
}

impl From<SignatureVersions> for Vec<String> {
    fn from(versions: SignatureVersions) -> Self {
        versions.names()
    }
}

/// A v1a signing key and, while a rotation is in its grace period, when it stops signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSigningKey {
    pub key: SigningKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
}

impl EndpointSigningKey {
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.expires_at_ms.is_none_or(|expiry| expiry > now_ms)
    }
}

impl Endpoint {
    /// The v1a keys still signing at `now_ms`, newest first.
    pub fn live_signing_keys(&self, now_ms: i64) -> impl Iterator<Item = &EndpointSigningKey> {
        self.signing_keys.iter().filter(move |k| k.is_live(now_ms))
    }

    /// The newest v1a public key, when the endpoint signs with v1a.
    pub fn public_key(&self, now_ms: i64) -> Option<PublicKey> {
        self.signature_versions
            .v1a()
            .then(|| self.live_signing_keys(now_ms).next().map(|k| k.key.public_key()))
            .flatten()
    }

    /// The `webhook-signature` value: a `v1,…` per live secret and a `v1a,…` per live key, as the
    /// endpoint's versions say, space-separated.
    pub fn signature_header(&self, now_ms: i64, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut parts = Vec::with_capacity(2);
        if self.signature_versions.v1() {
            parts.push(signature_header(self.signing_secrets(now_ms), msg_id, timestamp, body));
        }
        if self.signature_versions.v1a() {
            parts.extend(self.live_signing_keys(now_ms).map(|k| k.key.sign(msg_id, timestamp, body)));
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_types::EventFilter;
    use crate::ids::TenantId;
    use crate::signing::{Secret, verify};
    use crate::signing_v1a;

    fn endpoint(versions: &[&str]) -> Endpoint {
        let mut endpoint = Endpoint::new(
            TenantId::parse("acme").unwrap(),
            "https://example.com/hook".into(),
            EventFilter::everything(),
            Secret::generate(),
            0,
        );
        endpoint.signature_versions =
            SignatureVersions::parse(&versions.iter().map(|v| v.to_string()).collect::<Vec<_>>()).unwrap();
        endpoint.signing_keys = vec![EndpointSigningKey { key: SigningKey::generate(), expires_at_ms: None }];
        endpoint
    }

    #[test]
    fn versions_are_read_from_their_names_and_refused_when_unknown_twice_or_none() {
        let names = |n: &[&str]| n.iter().map(|v| v.to_string()).collect::<Vec<_>>();
        assert_eq!(SignatureVersions::parse(&names(&["v1a", "v1"])).unwrap().names(), ["v1", "v1a"]);
        assert!(SignatureVersions::parse(&names(&[])).is_err());
        assert!(SignatureVersions::parse(&names(&["v2"])).is_err());
        assert!(SignatureVersions::parse(&names(&["v1", "v1"])).is_err());
        assert_eq!(serde_json::to_value(SignatureVersions::default()).unwrap(), serde_json::json!(["v1"]));
    }

    #[test]
    fn each_version_signs_only_when_the_endpoint_asks_for_it() {
        let body = br#"{"n":1}"#;
        for (versions, v1, v1a) in
            [(&["v1"][..], true, false), (&["v1a"][..], false, true), (&["v1", "v1a"][..], true, true)]
        {
            let endpoint = endpoint(versions);
            let header = endpoint.signature_header(0, "msg_1", 10, body);
            let secret = &endpoint.secrets[0].secret;
            let public = endpoint.signing_keys[0].key.public_key();
            assert_eq!(verify(secret, "msg_1", "10", &header, body, 10, 300).is_ok(), v1, "{versions:?}");
            assert_eq!(
                signing_v1a::verify(&public, "msg_1", "10", &header, body, 10, 300).is_ok(),
                v1a,
                "{versions:?}"
            );
            assert_eq!(endpoint.public_key(0).is_some(), v1a);
        }
    }

    #[test]
    fn a_rotated_out_key_signs_until_its_expiry() {
        let mut endpoint = endpoint(&["v1a"]);
        let old = endpoint.signing_keys[0].key.public_key();
        endpoint.signing_keys[0].expires_at_ms = Some(1_000);
        endpoint
            .signing_keys
            .insert(0, EndpointSigningKey { key: SigningKey::generate(), expires_at_ms: None });
        let during = endpoint.signature_header(999, "msg_1", 0, b"{}");
        assert_eq!(during.split(' ').count(), 2);
        assert!(signing_v1a::verify(&old, "msg_1", "0", &during, b"{}", 0, 300).is_ok());
        let after = endpoint.signature_header(1_000, "msg_1", 0, b"{}");
        assert!(signing_v1a::verify(&old, "msg_1", "0", &after, b"{}", 0, 300).is_err());
    }
}
