//! Why a saved webhook request does or does not verify: the diagnosis behind `hookline verify`.
//!
//! Pure: given the secret as typed, the headers and the raw body, it decides with
//! [`hookline_core::signing::verify`] (so "valid" means exactly what a Standard Webhooks receiver accepts), and
//! when that fails it finds every reason it can: missing headers, a malformed secret or one used without
//! decoding, a stale, future or millisecond timestamp, no `v1` signature, a body changed after signing.
//! Given a `whpk_` public key instead, it checks the `v1a` (Ed25519) signatures the same way (`v1a`).

pub mod input;
mod v1a;
mod variants;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit as _, Mac as _};
use hookline_core::signing::{self, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, Secret, SecretError};
use sha2::Sha256;

pub use variants::Change;

const SECRET_PREFIX: &str = "whsec_";
/// A v1a public key: the request's `v1a` signatures are checked with it instead.
const PUBLIC_KEY_PREFIX: &str = "whpk_";
/// Svix sends the same scheme under its own header names.
const ALIASES: [(&str, &str); 3] =
    [(HEADER_ID, "svix-id"), (HEADER_TIMESTAMP, "svix-timestamp"), (HEADER_SIGNATURE, "svix-signature")];
/// A timestamp this large is milliseconds: as seconds it would be past the year 5000.
const MILLISECONDS_FROM: i64 = 100_000_000_000;

/// Why the request does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// `similar` is a header that looks meant to be it (`X-Webhook-Id`, `HTTP_WEBHOOK_ID`).
    MissingHeader {
        name: &'static str,
        similar: Option<String>,
    },
    /// `matches_with_prefix`: the part given does sign the request once read as a `whsec_` secret.
    SecretMissingPrefix {
        matches_with_prefix: bool,
    },
    SecretNotBase64,
    SecretWrongLength {
        bytes: usize,
    },
    /// The request was signed with the secret's text as the HMAC key instead of its decoded bytes.
    SecretUsedUndecoded,
    TimestampNotInteger {
        value: String,
    },
    TimestampInMilliseconds {
        value: i64,
        seconds_from_now: i64,
    },
    TooOld {
        age: i64,
        tolerance: i64,
    },
    TooNew {
        ahead: i64,
        tolerance: i64,
    },
    /// The signature header has no `v1,<base64>` entry; `found` are the entries it has.
    NoV1Signature {
        found: Vec<String>,
    },
    /// Checking with a `whpk_` public key, the header has no `v1a,<base64>` entry.
    NoV1aSignature {
        found: Vec<String>,
    },
    /// The `whpk_` key given is not a v1a public key.
    PublicKeyMalformed(String),
    BodyChanged(Vec<Change>),
    /// Nothing matches; `signatures` is how many `v1` signatures the header carries.
    NoMatch {
        signatures: usize,
    },
}

/// Worth knowing, but not a reason to fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    Alias { alias: &'static str, standard: &'static str },
    ContentLength { declared: usize, actual: usize },
    Chunked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub causes: Vec<Cause>,
    pub notes: Vec<Note>,
}

impl Diagnosis {
    pub fn is_valid(&self) -> bool {
        self.causes.is_empty()
    }
}

/// When the check happens and how far the timestamp may be from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub now: i64,
    pub tolerance: i64,
}

/// Which bytes were tried as the HMAC key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// The base64-decoded part after `whsec_`: the right one.
    Decoded,
    /// The secret's text, whole or after `whsec_`, used as it is.
    Text,
}

pub fn diagnose(secret: &str, headers: &[(String, String)], body: &[u8], window: Window) -> Diagnosis {
    let mut notes = Vec::new();
    let mut causes = Vec::new();
    let [id, timestamp, signature] = ALIASES.map(|(standard, alias)| {
        let found = find(headers, standard, alias, &mut notes);
        if found.is_none() {
            causes.push(Cause::MissingHeader { name: standard, similar: similar(headers, standard, alias) });
        }
        found
    });
    notes.extend(body_notes(headers, body));
    let (Some(id), Some(timestamp), Some(signature)) = (id, timestamp, signature) else {
        return Diagnosis { causes, notes };
    };

    if secret.starts_with(PUBLIC_KEY_PREFIX) {
        causes.extend(v1a::causes(secret, id, timestamp, signature, body, window));
        return Diagnosis { causes, notes };
    }
    let parsed = Secret::parse(secret);
    if let Ok(key) = &parsed
        && signing::verify(key, id, timestamp, signature, body, window.now, window.tolerance).is_ok()
    {
        return Diagnosis { causes, notes };
    }

    let timestamp = timestamp.trim();
    let entries: Vec<&str> = signature.split_whitespace().collect();
    let v1: Vec<Vec<u8>> = entries
        .iter()
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .map(|encoded| BASE64.decode(encoded).unwrap_or_default())
        .collect();
    let found = if v1.is_empty() { None } else { search(secret, id, timestamp, body, &v1) };

    causes.extend(match parsed {
        Ok(_) => None,
        Err(SecretError::MissingPrefix) => Some(Cause::SecretMissingPrefix {
            matches_with_prefix: found.as_ref().is_some_and(|(kind, _)| *kind == KeyKind::Decoded),
        }),
        Err(SecretError::NotBase64) => Some(Cause::SecretNotBase64),
        Err(SecretError::BadLength) => Some(Cause::SecretWrongLength { bytes: decoded(secret).len() }),
    });
    causes.extend(timestamp_cause(timestamp, window));
    if v1.is_empty() {
        let found = entries.iter().map(|entry| shorten(entry, 16)).collect();
        causes.push(Cause::NoV1Signature { found });
    } else {
        match found {
            Some((kind, changes)) => {
                if kind == KeyKind::Text {
                    causes.push(Cause::SecretUsedUndecoded);
                }
                if !changes.is_empty() {
                    causes.push(Cause::BodyChanged(changes));
                }
            }
            None => causes.push(Cause::NoMatch { signatures: v1.len() }),
        }
    }
    if causes.is_empty() {
        // `signing::verify` refused what the diagnosis could not explain: say no more than it did.
        causes.push(Cause::NoMatch { signatures: v1.len() });
    }
    Diagnosis { causes, notes }
}

/// The header by its standard name or its Svix alias, either in any letter case.
fn find<'h>(
    headers: &'h [(String, String)],
    standard: &'static str,
    alias: &'static str,
    notes: &mut Vec<Note>,
) -> Option<&'h str> {
    let get =
        |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    get(standard).or_else(|| {
        let value = get(alias)?;
        notes.push(Note::Alias { alias, standard });
        Some(value)
    })
}

/// A header that looks meant to be `standard`: the same name with `_` for `-`, an `X-` or `HTTP_` prefix.
fn similar(headers: &[(String, String)], standard: &str, alias: &str) -> Option<String> {
    let normal = |name: &str| {
        let name = name.to_ascii_lowercase().replace('_', "-");
        let name = name.strip_prefix("http-").unwrap_or(&name).to_owned();
        name.strip_prefix("x-").unwrap_or(&name).to_owned()
    };
    headers
        .iter()
        .map(|(name, _)| name)
        .find(|name| [standard, alias].contains(&normal(name).as_str()))
        .cloned()
}

fn body_notes(headers: &[(String, String)], body: &[u8]) -> Vec<Note> {
    let get = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim());
    let mut notes = Vec::new();
    if let Some(declared) = get("content-length").and_then(|v| v.parse().ok())
        && declared != body.len()
    {
        notes.push(Note::ContentLength { declared, actual: body.len() });
    }
    if get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        notes.push(Note::Chunked);
    }
    notes
}

fn timestamp_cause(text: &str, window: Window) -> Option<Cause> {
    let Ok(sent) = text.parse::<i64>() else {
        return Some(Cause::TimestampNotInteger { value: shorten(text, 40) });
    };
    if sent.checked_abs().is_none_or(|abs| abs >= MILLISECONDS_FROM) {
        return Some(Cause::TimestampInMilliseconds {
            value: sent,
            seconds_from_now: sent / 1000 - window.now,
        });
    }
    let age = window.now.saturating_sub(sent);
    if age > window.tolerance {
        Some(Cause::TooOld { age, tolerance: window.tolerance })
    } else if age.saturating_neg() > window.tolerance {
        Some(Cause::TooNew { ahead: age.saturating_neg(), tolerance: window.tolerance })
    } else {
        None
    }
}

/// The key and the changes to the body with which one of the `v1` signatures matches: the decoded key
/// first, then the secret's text as a key; the body as saved first, then with common changes undone.
fn search(
    secret: &str,
    id: &str,
    timestamp: &str,
    body: &[u8],
    v1: &[Vec<u8>],
) -> Option<(KeyKind, Vec<Change>)> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let mut keys = vec![(KeyKind::Decoded, decoded(secret)), (KeyKind::Text, secret.as_bytes().to_vec())];
    if encoded.len() != secret.len() {
        keys.push((KeyKind::Text, encoded.as_bytes().to_vec()));
    }
    keys.retain(|(_, key)| !key.is_empty());
    let signs = |key: &[u8], body: &[u8]| {
        let mac = hmac(key, id, timestamp, body);
        v1.contains(&mac)
    };
    if let Some((kind, _)) = keys.iter().find(|(_, key)| signs(key, body)) {
        return Some((*kind, Vec::new()));
    }
    let candidates = variants::variants(body);
    keys.iter().find_map(|(kind, key)| {
        candidates
            .iter()
            .find(|(_, candidate)| signs(key, candidate))
            .map(|(changes, _)| (*kind, changes.clone()))
    })
}

/// The bytes after `whsec_` (or the whole text), base64-decoded; empty when they are not base64.
fn decoded(secret: &str) -> Vec<u8> {
    BASE64.decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret)).unwrap_or_default()
}

/// HMAC-SHA256 of `{id}.{timestamp}.{body}` with any key: [`Secret`] only takes well-formed secrets, and
/// a diagnosis must also try the malformed ones.
fn hmac(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        unreachable!("HMAC accepts keys of every length")
    };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        text.chars().take(max).chain(['…']).collect()
    }
}

mod explain;

#[cfg(test)]
mod tests;
