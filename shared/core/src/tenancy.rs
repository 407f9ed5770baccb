//! Tenants and their API keys. A key is shown once, at creation; only its SHA-256 is stored. Keys carry
//! 256 random bits, so a fast hash is enough: there is nothing to guess, only a leaked table to survive.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use crate::ids::{ApiKeyId, TenantId};

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
}

impl Tenant {
    pub fn new(name: String, created_at_ms: i64) -> Self {
        Self {
            id: TenantId::generate(),
            name,
            created_at_ms,
            reject_unregistered_event_types: false,
            ingest_rate_limit: None,
        }
    }
}

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
    pub fn issue(tenant_id: TenantId, name: String, created_at_ms: i64) -> (Self, ApiKeyToken) {
        let id = ApiKeyId::generate();
        let token = ApiKeyToken::generate(&id);
        let key = Self { id, tenant_id, name, hash: token.hash(), created_at_ms, revoked_at_ms: None };
        (key, token)
    }

    /// Whether `token` is this key, compared in constant time so timing tells an attacker nothing.
    pub fn is_token(&self, token: &ApiKeyToken) -> bool {
        bool::from(self.hash.as_bytes().ct_eq(token.hash().as_bytes()))
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked_at_ms.is_some()
    }
}

const TOKEN_PREFIX: &str = "hlk_";
const ID_BODY_LEN: usize = 26;
const SECRET_BYTES: usize = 32;

/// The bearer token: `hlk_<key id>_<secret>`. The key id finds the stored hash with one read; the secret
/// is 32 random bytes, base64url. Never logged: `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyToken(String);

impl ApiKeyToken {
    fn generate(id: &ApiKeyId) -> Self {
        let mut secret = [0u8; SECRET_BYTES];
        rand::rng().fill_bytes(&mut secret);
        let body = id.as_str().trim_start_matches(ApiKeyId::PREFIX);
        Self(format!("{TOKEN_PREFIX}{body}_{}", URL_SAFE_NO_PAD.encode(secret)))
    }

    /// Reads a presented token and the key id it names; `None` for anything not shaped like one.
    pub fn parse(text: &str) -> Option<(ApiKeyId, Self)> {
        let rest = text.strip_prefix(TOKEN_PREFIX)?;
        let body = rest.get(..ID_BODY_LEN)?;
        let secret = rest.get(ID_BODY_LEN..)?.strip_prefix('_')?;
        let secret_ok = URL_SAFE_NO_PAD.decode(secret).is_ok_and(|bytes| bytes.len() == SECRET_BYTES);
        let id = ApiKeyId::parse(&format!("{}{body}", ApiKeyId::PREFIX)).ok()?;
        secret_ok.then(|| (id, Self(text.to_owned())))
    }

    pub fn hash(&self) -> String {
        Sha256::digest(self.0.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The token itself, for the one answer that shows it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKeyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeyToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::parse("ten_a").unwrap()
    }

    #[test]
    fn an_issued_token_parses_back_to_its_key_and_matches_only_it() {
        let (key, token) = ApiKey::issue(tenant(), "ci".into(), 0);
        let (id, parsed) = ApiKeyToken::parse(token.expose()).unwrap();
        assert_eq!(id, key.id);
        assert!(key.is_token(&parsed));
        let (_, other) = ApiKey::issue(tenant(), "ci".into(), 0);
        assert!(!key.is_token(&other));
    }

    #[test]
    fn a_token_with_a_changed_secret_does_not_match() {
        let (key, token) = ApiKey::issue(tenant(), "ci".into(), 0);
        // Change the secret's second-to-last character: the last one carries only 4 bits, so changing
        // it could make the base64 non-canonical and the token unparsable rather than wrong.
        let mut chars: Vec<char> = token.expose().chars().collect();
        let at = chars.len() - 2;
        chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
        let text: String = chars.into_iter().collect();
        let (id, forged) = ApiKeyToken::parse(&text).unwrap();
        assert_eq!(id, key.id);
        assert!(!key.is_token(&forged));
    }

    #[test]
    fn only_the_hash_is_stored_and_the_token_is_never_printed() {
        let (key, token) = ApiKey::issue(tenant(), "ci".into(), 0);
        let stored = serde_json::to_string(&key).unwrap();
        assert!(!stored.contains(token.expose()));
        assert_eq!(key.hash.len(), 64);
        assert!(!format!("{token:?}").contains(token.expose()));
    }

    #[test]
    fn malformed_tokens_are_not_tokens() {
        let (_, token) = ApiKey::issue(tenant(), "ci".into(), 0);
        let good = token.expose();
        for bad in [
            "",
            "hlk_",
            "Bearer x",
            &good[..good.len() - 1],
            &good.replace("hlk_", "hlx_"),
            &format!("{good}A"),
            &good.replacen('_', "-", 2),
        ] {
            assert!(ApiKeyToken::parse(bad).is_none(), "{bad}");
        }
    }
}
