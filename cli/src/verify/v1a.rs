//! The diagnosis for a `whpk_` public key: the request's `v1a` (Ed25519) signatures checked with
//! [`hookline_core::signing_v1a::verify`], and when none verifies, why: a malformed key, the timestamp,
//! no `v1a` signature, or a body changed after signing.

use hookline_core::signing_v1a::{self, PublicKey};

use super::{Cause, Window, shorten, timestamp_cause, variants};

/// The causes for a request whose headers are all present, checked with a public key.
pub(super) fn causes(
    key: &str,
    id: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    window: Window,
) -> Vec<Cause> {
    let public = match PublicKey::parse(key) {
        Ok(public) => public,
        Err(e) => return vec![Cause::PublicKeyMalformed(e.to_string())],
    };
    let check = |timestamp: &str, body: &[u8], now: i64, tolerance: i64| {
        signing_v1a::verify(&public, id, timestamp, signature, body, now, tolerance).is_ok()
    };
    if check(timestamp, body, window.now, window.tolerance) {
        return Vec::new();
    }
    let mut causes: Vec<Cause> = timestamp_cause(timestamp.trim(), window).into_iter().collect();
    let entries: Vec<&str> = signature.split_whitespace().collect();
    let signatures = entries.iter().filter(|entry| entry.starts_with("v1a,")).count();
    if signatures == 0 {
        causes.push(Cause::NoV1aSignature { found: entries.iter().map(|e| shorten(e, 16)).collect() });
        return causes;
    }
    // The signature itself, whatever the clock says: does it sign this body, or a changed one?
    let timestamp = timestamp.trim();
    let Ok(sent) = timestamp.parse::<i64>() else { return causes };
    if check(timestamp, body, sent, 0) {
        return causes;
    }
    match variants::variants(body).into_iter().find(|(_, candidate)| check(timestamp, candidate, sent, 0)) {
        Some((changes, _)) => causes.push(Cause::BodyChanged(changes)),
        None => causes.push(Cause::NoMatch { signatures }),
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::super::{Window, diagnose};
    use super::*;
    use hookline_core::signing_v1a::SigningKey;

    const ID: &str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    const TS: i64 = 1_674_087_231;
    const BODY: &[u8] = br#"{"type":"invoice.paid","data":{"amount":100}}"#;

    fn headers(signature: &str) -> Vec<(String, String)> {
        vec![
            ("webhook-id".into(), ID.into()),
            ("webhook-timestamp".into(), TS.to_string()),
            ("webhook-signature".into(), signature.into()),
        ]
    }

    fn window(now: i64) -> Window {
        Window { now, tolerance: 300 }
    }

    #[test]
    fn a_v1a_request_verifies_with_its_public_key() {
        let key = SigningKey::generate();
        let header = format!("v1,bm90IGl0 {}", key.sign(ID, TS, BODY));
        let diagnosis = diagnose(&key.public_key().to_string(), &headers(&header), BODY, window(TS));
        assert!(diagnosis.is_valid(), "{:?}", diagnosis.causes);
    }

    #[test]
    fn a_changed_body_another_key_or_a_missing_v1a_signature_is_named() {
        let key = SigningKey::generate();
        let header = key.sign(ID, TS, BODY);
        let public = key.public_key().to_string();
        let with_newline = [BODY, b"\n"].concat();
        let changed = diagnose(&public, &headers(&header), &with_newline, window(TS)).causes;
        assert_eq!(changed, [Cause::BodyChanged(vec![super::super::Change::TrailingNewlineAdded])]);
        let other = SigningKey::generate().public_key().to_string();
        assert_eq!(
            diagnose(&other, &headers(&header), BODY, window(TS)).causes,
            [Cause::NoMatch { signatures: 1 }]
        );
        assert_eq!(
            diagnose(&public, &headers("v1,bm90IGl0"), BODY, window(TS)).causes,
            [Cause::NoV1aSignature { found: vec!["v1,bm90IGl0".into()] }]
        );
        let stale = diagnose(&public, &headers(&header), BODY, window(TS + 400)).causes;
        assert_eq!(stale, [Cause::TooOld { age: 400, tolerance: 300 }], "the signature itself is good");
        let malformed = diagnose("whpk_AAAA", &headers(&header), BODY, window(TS)).causes;
        assert!(matches!(malformed.as_slice(), [Cause::PublicKeyMalformed(_)]), "{malformed:?}");
    }
}
