//! Bearer tokens: `<kind prefix><id>_<secret>`. The id finds the stored hash with one read; the secret is
//! 32 random bytes, base64url. Only the SHA-256 of the whole token is stored. Tokens carry 256 random
//! bits, so a fast hash is enough: there is nothing to guess, only a leaked table to survive.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

/// What a token opens. The prefix tells them apart in a leaked log line and in secret scanners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `hlk_`: acts for one tenant.
    ApiKey,
    /// `hlp_`: manages tenants and acts for any of them.
    PlatformKey,
    /// `hll_`: a portal magic link, exchanged once for a session.
    PortalLink,
    /// `hls_`: a portal session, scoped to one tenant and its capabilities.
    PortalSession,
}

impl TokenKind {
    pub const ALL: [Self; 4] = [Self::ApiKey, Self::PlatformKey, Self::PortalLink, Self::PortalSession];

    pub fn prefix(self) -> &'static str {
        match self {
            Self::ApiKey => "hlk_",
            Self::PlatformKey => "hlp_",
            Self::PortalLink => "hll_",
            Self::PortalSession => "hls_",
        }
    }
}

/// Length of the id part: a lowercase ULID.
const ID_BODY_LEN: usize = 26;
const SECRET_BYTES: usize = 32;

/// A presented or newly issued token. Never logged: `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken {
    kind: TokenKind,
    text: String,
}

impl BearerToken {
    /// A new token of `kind` for the item whose id ends in `id_body` (26 characters).
    pub fn generate(kind: TokenKind, id_body: &str) -> Self {
        let mut secret = [0u8; SECRET_BYTES];
        rand::rng().fill_bytes(&mut secret);
        Self { kind, text: format!("{}{id_body}_{}", kind.prefix(), URL_SAFE_NO_PAD.encode(secret)) }
    }

    /// Reads a presented token: `None` for anything not shaped like one of ours.
    pub fn parse(text: &str) -> Option<Self> {
        let kind = TokenKind::ALL.into_iter().find(|kind| text.starts_with(kind.prefix()))?;
        let rest = &text[kind.prefix().len()..];
        let body = rest.get(..ID_BODY_LEN)?;
        let secret = rest.get(ID_BODY_LEN..)?.strip_prefix('_')?;
        let body_ok = body.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        let secret_ok = URL_SAFE_NO_PAD.decode(secret).is_ok_and(|bytes| bytes.len() == SECRET_BYTES);
        (body_ok && secret_ok).then(|| Self { kind, text: text.to_owned() })
    }

    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The id part, which names the stored item (without the item id's own prefix).
    pub fn id_body(&self) -> &str {
        &self.text[self.kind.prefix().len()..self.kind.prefix().len() + ID_BODY_LEN]
    }

    /// Hex SHA-256 of the whole token: what is stored.
    pub fn hash(&self) -> String {
        Sha256::digest(self.text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether this token is the one `stored_hash` was made from, compared in constant time so timing
    /// tells an attacker nothing.
    pub fn matches(&self, stored_hash: &str) -> bool {
        bool::from(self.hash().as_bytes().ct_eq(stored_hash.as_bytes()))
    }

    /// The token itself, for the one answer that shows it.
    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BearerToken({}<redacted>)", self.kind.prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "01jf00000000000000000000ab";

    #[test]
    fn an_issued_token_parses_back_with_its_kind_and_id_and_matches_only_its_hash() {
        for kind in TokenKind::ALL {
            let token = BearerToken::generate(kind, BODY);
            let parsed = BearerToken::parse(token.expose()).unwrap();
            assert_eq!((parsed.kind(), parsed.id_body()), (kind, BODY));
            assert!(parsed.matches(&token.hash()));
            assert!(!BearerToken::generate(kind, BODY).matches(&token.hash()));
        }
    }

    #[test]
    fn a_token_with_a_changed_secret_does_not_match() {
        let token = BearerToken::generate(TokenKind::ApiKey, BODY);
        // The second-to-last character: the last carries only 4 bits, so changing it could make the
        // base64 non-canonical and the token unparsable rather than wrong.
        let mut chars: Vec<char> = token.expose().chars().collect();
        let at = chars.len() - 2;
        chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
        let forged = BearerToken::parse(&chars.into_iter().collect::<String>()).unwrap();
        assert!(!forged.matches(&token.hash()));
    }

    #[test]
    fn the_token_is_never_printed_and_its_hash_is_hex() {
        let token = BearerToken::generate(TokenKind::PlatformKey, BODY);
        assert!(!format!("{token:?}").contains(token.expose()));
        assert_eq!(token.hash().len(), 64);
    }

    #[test]
    fn malformed_tokens_are_not_tokens() {
        let token = BearerToken::generate(TokenKind::ApiKey, BODY);
        let good = token.expose();
        for bad in [
            "",
            "hlk_",
            "Bearer x",
            &good[..good.len() - 1],
            &good.replace("hlk_", "hlx_"),
            &format!("{good}A"),
            &good.replacen('_', "-", 2),
            &good.replace(BODY, &BODY.to_ascii_uppercase()),
        ] {
            assert!(BearerToken::parse(bad).is_none(), "{bad}");
        }
    }
}
