//! Standard Webhooks v1a signatures: Ed25519 over the same signed content as v1
//! (`{webhook-id}.{webhook-timestamp}.{raw body}`), sent as `v1a,<base64 of the 64-byte signature>`.
//!
//! The signing key is serialized `whsk_<base64 of the 32-byte seed>` and stays with Hookline; the public
//! key is `whpk_<base64 of the 32-byte key>`, which receivers may read and keep: they verify with no
//! shared secret.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey as Ed25519Key, VerifyingKey};
use rand::Rng as _;
use serde::{Deserialize, Serialize};

use crate::signing::VerifyError;

const SECRET_PREFIX: &str = "whsk_";
const PUBLIC_PREFIX: &str = "whpk_";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a v1a key must start with `{0}`")]
    MissingPrefix(&'static str),
    #[error("a v1a key must be base64 after its prefix")]
    NotBase64,
    #[error("a v1a key must hold 32 bytes")]
    BadLength,
    #[error("a `whsk_` key's public half does not match its seed")]
    Mismatch,
    #[error("not an Ed25519 public key")]
    NotAPoint,
}

/// A `whsk_…` Ed25519 signing key. Its `Debug` never shows the key.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SigningKey(Ed25519Key);

impl SigningKey {
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        Self(Ed25519Key::from_bytes(&seed))
    }

    /// `whsk_` and 32 bytes of seed; 64 bytes (seed, then public key, as libsodium keeps them) are taken too.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let encoded = text.strip_prefix(SECRET_PREFIX).ok_or(KeyError::MissingPrefix(SECRET_PREFIX))?;
        let bytes = BASE64.decode(encoded).map_err(|_| KeyError::NotBase64)?;
        let (seed, public) = match bytes.len() {
            32 => (&bytes[..], None),
            64 => (&bytes[..32], Some(&bytes[32..])),
            _ => return Err(KeyError::BadLength),
        };
        let seed: [u8; 32] = seed.try_into().map_err(|_| KeyError::BadLength)?;
        let key = Ed25519Key::from_bytes(&seed);
        if public.is_some_and(|public| public != key.verifying_key().as_bytes()) {
            return Err(KeyError::Mismatch);
        }
        Ok(Self(key))
    }

    /// The `whsk_…` form, for storage only: no answer ever carries it.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", BASE64.encode(self.0.to_bytes()))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// `v1a,<base64>` for one message.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let signature = self.0.sign(&signed_content(msg_id, timestamp, body));
        format!("v1a,{}", BASE64.encode(signature.to_bytes()))
    }
}

impl PartialEq for SigningKey {
    fn eq(&self, other: &Self) -> bool {
        self.public_key() == other.public_key()
    }
}

impl Eq for SigningKey {}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(whsk_[redacted])")
    }
}

impl TryFrom<String> for SigningKey {
    type Error = KeyError;
    fn try_from(text: String) -> Result<Self, KeyError> {
        Self::parse(&text)
    }
}

impl From<SigningKey> for String {
    fn from(key: SigningKey) -> String {
        key.expose()
    }
}

/// A `whpk_…` Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let encoded = text.strip_prefix(PUBLIC_PREFIX).ok_or(KeyError::MissingPrefix(PUBLIC_PREFIX))?;
        let bytes: [u8; 32] = BASE64
            .decode(encoded)
            .map_err(|_| KeyError::NotBase64)?
            .try_into()
            .map_err(|_| KeyError::BadLength)?;
        VerifyingKey::from_bytes(&bytes).map(Self).map_err(|_| KeyError::NotAPoint)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", BASE64.encode(self.0.as_bytes()))
    }
}

fn signed_content(msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let timestamp = timestamp.to_string();
    let mut content = Vec::with_capacity(msg_id.len() + timestamp.len() + body.len() + 2);
    content.extend_from_slice(msg_id.as_bytes());
    content.push(b'.');
    content.extend_from_slice(timestamp.as_bytes());
    content.push(b'.');
    content.extend_from_slice(body);
    content
}

/// Checks a received webhook's `v1a` signatures against `public`: timestamp within `tolerance_secs` of
/// `now`, then any `v1a` signature that verifies (strictly: no malleable signatures).
pub fn verify(
    public: &PublicKey,
    msg_id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let sent = crate::signing::checked_timestamp(timestamp, now, tolerance_secs)?;
    let content = signed_content(msg_id, sent, body);
    let mut saw_v1a = false;
    for candidate in signature_header.split(' ') {
        let Some(("v1a", encoded)) = candidate.split_once(',') else {
            continue;
        };
        saw_v1a = true;
        let Ok(bytes) = BASE64.decode(encoded) else { continue };
        let Ok(signature) = Signature::from_slice(&bytes) else { continue };
        if public.0.verify_strict(&content, &signature).is_ok() {
            return Ok(());
        }
    }
    Err(if saw_v1a { VerifyError::NoMatch("v1a") } else { VerifyError::NoSignature("v1a") })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const TS: i64 = 1_649_367_553;
    const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;

    // RFC 8032 §7.1, test 1: the seed and public key, so the key encodings are checked against a
    // published pair rather than against themselves.
    const RFC_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn keys_are_serialized_with_their_prefixes_as_rfc_8032_gives_them() {
        let key = SigningKey::parse(&format!("whsk_{}", BASE64.encode(hex(RFC_SEED)))).unwrap();
        assert_eq!(key.public_key().to_string(), format!("whpk_{}", BASE64.encode(hex(RFC_PUBLIC))));
        assert_eq!(PublicKey::parse(&key.public_key().to_string()), Ok(key.public_key()));
        let pair = [hex(RFC_SEED), hex(RFC_PUBLIC)].concat();
        assert_eq!(SigningKey::parse(&format!("whsk_{}", BASE64.encode(pair))), Ok(key.clone()));
        assert_eq!(SigningKey::parse(&key.expose()), Ok(key));
    }

    #[test]
    fn a_signature_verifies_with_the_public_key_and_not_after_a_change() {
        let key = SigningKey::generate();
        let header = key.sign(ID, TS, BODY);
        assert!(header.starts_with("v1a,"));
        let public = key.public_key();
        assert_eq!(verify(&public, ID, &TS.to_string(), &header, BODY, TS, 300), Ok(()));
        let other = SigningKey::generate().public_key();
        assert_eq!(
            verify(&other, ID, &TS.to_string(), &header, BODY, TS, 300),
            Err(VerifyError::NoMatch("v1a"))
        );
        let changed = br#"{"email":"test@example.com","username":"admin"}"#;
        assert_eq!(
            verify(&public, ID, &TS.to_string(), &header, changed, TS, 300),
            Err(VerifyError::NoMatch("v1a"))
        );
        assert_eq!(
            verify(&public, ID, &TS.to_string(), &header, BODY, TS + 301, 300),
            Err(VerifyError::TooOld(1))
        );
    }

    #[test]
    fn v1a_is_found_among_v1_signatures_and_garbage_is_ignored() {
        let key = SigningKey::generate();
        let header = format!("v1,bm90IGl0 v1a,!!! {}", key.sign(ID, TS, BODY));
        assert_eq!(verify(&key.public_key(), ID, &TS.to_string(), &header, BODY, TS, 300), Ok(()));
        assert_eq!(
            verify(&key.public_key(), ID, &TS.to_string(), "v1,bm90IGl0", BODY, TS, 300),
            Err(VerifyError::NoSignature("v1a"))
        );
    }

    #[test]
    fn malformed_keys_are_refused_and_the_signing_key_is_never_printed() {
        assert_eq!(SigningKey::parse("whsec_AAAA").unwrap_err(), KeyError::MissingPrefix("whsk_"));
        assert_eq!(SigningKey::parse("whsk_%%").unwrap_err(), KeyError::NotBase64);
        assert_eq!(SigningKey::parse("whsk_c2hvcnQ=").unwrap_err(), KeyError::BadLength);
        let wrong_half = [hex(RFC_SEED), vec![0u8; 32]].concat();
        assert_eq!(
            SigningKey::parse(&format!("whsk_{}", BASE64.encode(wrong_half))).unwrap_err(),
            KeyError::Mismatch
        );
        assert_eq!(PublicKey::parse("whsk_AAAA"), Err(KeyError::MissingPrefix("whpk_")));
        let key = SigningKey::generate();
        assert!(!format!("{key:?}").contains(&key.expose()[5..15]));
    }
}
