//! Standard Webhooks v1 signatures.
//!
//! Signed content is `{webhook-id}.{webhook-timestamp}.{raw body}`, HMAC-SHA256 keyed with the
//! base64-decoded part of a `whsec_` secret, sent as `v1,<base64>`; several space-separated signatures
//! are sent while a secret rotation is in its grace period.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// Receivers accept timestamps this far either side of their clock (the spec's recommendation).
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

const SECRET_PREFIX: &str = "whsec_";
const GENERATED_SECRET_BYTES: usize = 32;
const MIN_SECRET_BYTES: usize = 24;
const MAX_SECRET_BYTES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a signing secret must start with `whsec_`")]
    MissingPrefix,
    #[error("a signing secret must be base64 after `whsec_`")]
    NotBase64,
    #[error("a signing secret must hold {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes")]
    BadLength,
}

/// A `whsec_…` signing secret. Its `Debug` and `Display` never show the key.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Secret {
    key: Vec<u8>,
    /// HMAC with the key already absorbed: cloning it saves hashing the key pads on every signature,
    /// which is a fifth of the work for a 1 KiB body.
    keyed: Hmac<Sha256>,
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.key.ct_eq(&other.key))
    }
}

impl Eq for Secret {}

impl Secret {
    /// A fresh secret with 32 bytes from the thread-local CSPRNG.
    pub fn generate() -> Self {
        let mut key = vec![0u8; GENERATED_SECRET_BYTES];
        rand::rng().fill_bytes(&mut key);
        Self::from_key(key)
    }

    fn from_key(key: Vec<u8>) -> Self {
        // new_from_slice only fails for fixed-size-key MACs; HMAC takes keys of any length.
        let Ok(keyed) = Hmac::<Sha256>::new_from_slice(&key) else {
            unreachable!("HMAC accepts keys of every length")
        };
        Self { key, keyed }
    }

    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text.strip_prefix(SECRET_PREFIX).ok_or(SecretError::MissingPrefix)?;
        let key = BASE64.decode(encoded).map_err(|_| SecretError::NotBase64)?;
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&key.len()) {
            return Err(SecretError::BadLength);
        }
        Ok(Self::from_key(key))
    }

    /// The `whsec_…` form, for showing to the subscriber once and for storage. Deliberately not `Display`.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", BASE64.encode(&self.key))
    }

    /// `v1,<base64>` for one message.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut signature = String::with_capacity(SIGNATURE_LEN);
        signature.push_str("v1,");
        BASE64.encode_string(self.mac(msg_id, timestamp, body), &mut signature);
        signature
    }

    fn mac(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        let mut digits = [0u8; 20];
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(decimal(timestamp, &mut digits));
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

/// `v1,` and 32 bytes in base64.
const SIGNATURE_LEN: usize = 3 + 44;

/// The decimal digits of a timestamp, without allocating (signing runs once per secret per attempt).
fn decimal(value: i64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut rest = value.unsigned_abs();
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        start -= 1;
        buffer[start] = b'-';
    }
    &buffer[start..]
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(whsec_[redacted])")
    }
}

impl TryFrom<String> for Secret {
    type Error = SecretError;
    fn try_from(text: String) -> Result<Self, SecretError> {
        Self::parse(&text)
    }
}

impl From<Secret> for String {
    fn from(secret: Secret) -> String {
        secret.expose()
    }
}

/// The `webhook-signature` header value: one `v1,…` per secret, space-separated.
pub fn signature_header<'a>(
    secrets: impl IntoIterator<Item = &'a Secret>,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets.into_iter().map(|secret| secret.sign(msg_id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the webhook-timestamp header is not an integer number of seconds")]
    BadTimestamp,
    #[error("the webhook-timestamp is {0} s older than the tolerance allows")]
    TooOld(i64),
    #[error("the webhook-timestamp is {0} s further in the future than the tolerance allows")]
    TooNew(i64),
    /// The header has no signature of this version (`v1` or `v1a`).
    #[error("the webhook-signature header has no {0} signature")]
    NoSignature(&'static str),
    /// The header has signatures of this version, and none verifies.
    #[error("no {0} signature matches: wrong key, or the id, timestamp or body changed")]
    NoMatch(&'static str),
}

/// Checks a received webhook the way a Standard Webhooks receiver must: timestamp within
/// `tolerance_secs` of `now`, then any `v1` signature equal (in constant time) to the expected one.
pub fn verify(
    secret: &Secret,
    msg_id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let sent = checked_timestamp(timestamp, now, tolerance_secs)?;
    let expected = secret.mac(msg_id, sent, body);
    let mut saw_v1 = false;
    for candidate in signature_header.split(' ') {
        let Some(("v1", encoded)) = candidate.split_once(',') else {
            continue;
        };
        saw_v1 = true;
        if let Ok(given) = BASE64.decode(encoded)
            && bool::from(given.as_slice().ct_eq(&expected[..]))
        {
            return Ok(());
        }
    }
    Err(if saw_v1 { VerifyError::NoMatch("v1") } else { VerifyError::NoSignature("v1") })
}

/// The `webhook-timestamp` as seconds, if it is within `tolerance_secs` of `now`.
pub(crate) fn checked_timestamp(timestamp: &str, now: i64, tolerance_secs: i64) -> Result<i64, VerifyError> {
    let sent: i64 = timestamp.trim().parse().map_err(|_| VerifyError::BadTimestamp)?;
    if now - sent > tolerance_secs {
        return Err(VerifyError::TooOld(now - sent - tolerance_secs));
    }
    if sent - now > tolerance_secs {
        return Err(VerifyError::TooNew(sent - now - tolerance_secs));
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The published Standard Webhooks test vector.
    const VECTOR_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const VECTOR_ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const VECTOR_TS: i64 = 1_649_367_553;
    const VECTOR_BODY: &str = r#"{"email":"test@example.com","username":"test_user"}"#;
    const VECTOR_SIG: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    fn vector_secret() -> Secret {
        Secret::parse(VECTOR_SECRET).unwrap()
    }

    fn check(header: &str, body: &str, now: i64) -> Result<(), VerifyError> {
        verify(
            &vector_secret(),
            VECTOR_ID,
            &VECTOR_TS.to_string(),
            header,
            body.as_bytes(),
            now,
            DEFAULT_TOLERANCE_SECS,
        )
    }

    #[test]
    fn timestamps_are_written_as_plain_decimal() {
        let mut buffer = [0u8; 20];
        for value in [0, 7, 1_649_367_553, -42, i64::MAX, i64::MIN] {
            assert_eq!(decimal(value, &mut buffer), value.to_string().as_bytes());
        }
    }

    #[test]
    fn signing_the_published_vector_gives_the_published_signature() {
        let signature = vector_secret().sign(VECTOR_ID, VECTOR_TS, VECTOR_BODY.as_bytes());
        assert_eq!(signature, VECTOR_SIG);
    }

    #[test]
    fn the_published_vector_verifies() {
        assert_eq!(check(VECTOR_SIG, VECTOR_BODY, VECTOR_TS), Ok(()));
    }

    #[test]
    fn a_changed_body_does_not_verify() {
        let tampered = VECTOR_BODY.replace("test_user", "admin");
        assert_eq!(check(VECTOR_SIG, &tampered, VECTOR_TS), Err(VerifyError::NoMatch("v1")));
    }

    #[test]
    fn another_secret_does_not_verify() {
        let other = Secret::generate();
        let result = verify(
            &other,
            VECTOR_ID,
            &VECTOR_TS.to_string(),
            VECTOR_SIG,
            VECTOR_BODY.as_bytes(),
            VECTOR_TS,
            DEFAULT_TOLERANCE_SECS,
        );
        assert_eq!(result, Err(VerifyError::NoMatch("v1")));
    }

    #[test]
    fn a_changed_id_does_not_verify() {
        let result = verify(
            &vector_secret(),
            "msg_other",
            &VECTOR_TS.to_string(),
            VECTOR_SIG,
            VECTOR_BODY.as_bytes(),
            VECTOR_TS,
            DEFAULT_TOLERANCE_SECS,
        );
        assert_eq!(result, Err(VerifyError::NoMatch("v1")));
    }

    #[test]
    fn timestamps_outside_the_tolerance_are_refused_on_both_sides() {
        assert_eq!(check(VECTOR_SIG, VECTOR_BODY, VECTOR_TS + 300), Ok(()));
        assert_eq!(check(VECTOR_SIG, VECTOR_BODY, VECTOR_TS - 300), Ok(()));
        assert_eq!(check(VECTOR_SIG, VECTOR_BODY, VECTOR_TS + 301), Err(VerifyError::TooOld(1)));
        assert_eq!(check(VECTOR_SIG, VECTOR_BODY, VECTOR_TS - 301), Err(VerifyError::TooNew(1)));
    }

    #[test]
    fn a_non_numeric_timestamp_is_refused() {
        let result = verify(
            &vector_secret(),
            VECTOR_ID,
            "2022-04-07T21:39:13Z",
            VECTOR_SIG,
            VECTOR_BODY.as_bytes(),
            VECTOR_TS,
            DEFAULT_TOLERANCE_SECS,
        );
        assert_eq!(result, Err(VerifyError::BadTimestamp));
    }

    #[test]
    fn any_matching_signature_in_a_rotation_header_verifies() {
        let header = format!("v1,bm90IGl0 {VECTOR_SIG}");
        assert_eq!(check(&header, VECTOR_BODY, VECTOR_TS), Ok(()));
    }

    #[test]
    fn signatures_of_other_versions_or_garbage_are_ignored() {
        let wrong_version = VECTOR_SIG.replace("v1,", "v2,");
        assert_eq!(check(&wrong_version, VECTOR_BODY, VECTOR_TS), Err(VerifyError::NoSignature("v1")));
        assert_eq!(check("", VECTOR_BODY, VECTOR_TS), Err(VerifyError::NoSignature("v1")));
        assert_eq!(check("v1,not base64!", VECTOR_BODY, VECTOR_TS), Err(VerifyError::NoMatch("v1")));
        let truncated = &VECTOR_SIG[..VECTOR_SIG.len() - 4];
        assert_eq!(check(truncated, VECTOR_BODY, VECTOR_TS), Err(VerifyError::NoMatch("v1")));
    }

    #[test]
    fn the_header_carries_one_signature_per_secret() {
        let old = vector_secret();
        let new = Secret::generate();
        let header = signature_header([&new, &old], VECTOR_ID, VECTOR_TS, VECTOR_BODY.as_bytes());
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1], VECTOR_SIG);
        let body = VECTOR_BODY.as_bytes();
        assert_eq!(verify(&new, VECTOR_ID, &VECTOR_TS.to_string(), &header, body, VECTOR_TS, 300), Ok(()));
    }

    #[test]
    fn secrets_round_trip_through_their_whsec_form() {
        let secret = Secret::generate();
        let text = secret.expose();
        assert!(text.starts_with("whsec_"));
        assert_eq!(Secret::parse(&text), Ok(secret));
    }

    #[test]
    fn malformed_secrets_are_refused() {
        assert_eq!(Secret::parse("C2FVsBQIhrscChlQIMV+b5sSYspob7oD"), Err(SecretError::MissingPrefix));
        assert_eq!(Secret::parse("whsec_%%%"), Err(SecretError::NotBase64));
        assert_eq!(Secret::parse("whsec_c2hvcnQ="), Err(SecretError::BadLength));
    }

    #[test]
    fn secrets_never_show_their_key_in_debug_output() {
        let secret = vector_secret();
        let shown = format!("{secret:?} {:?}", Some(&secret));
        assert!(!shown.contains("C2FVsBQI"));
        assert!(shown.contains("redacted"));
    }
}
