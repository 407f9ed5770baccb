//! Typed, prefixed identifiers (`msg_…`, `ep_…`, `atm_…`, `key_…`, `plk_…`, `ps_…`), and tenant ids, which the
//! platform chooses.
//!
//! The prefix makes an id self-describing in logs and support tickets, and the newtype keeps an endpoint
//! id from being passed where a message id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ulid::Ulid;

/// Longest id we accept from outside, prefix included: keeps DynamoDB keys and headers small.
const MAX_ID_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("expected an id starting with `{expected}`")]
    WrongPrefix { expected: &'static str },
    #[error("an id must be 1 to {MAX_ID_LEN} characters of letters, digits, `_` or `-` after its prefix")]
    BadBody,
    #[error(
        "a tenant id must be 1 to {MAX_ID_LEN} characters of ASCII letters, digits, `_`, `-` or `.`, \
         starting with a letter or digit"
    )]
    BadTenantId,
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new, time-ordered id.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, Ulid::generate().to_string().to_ascii_lowercase()))
            }

            pub fn parse(text: &str) -> Result<Self, IdError> {
                let body = text
                    .strip_prefix($prefix)
                    .ok_or(IdError::WrongPrefix { expected: $prefix })?;
                let valid = !body.is_empty()
                    && text.len() <= MAX_ID_LEN
                    && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if valid { Ok(Self(text.to_owned())) } else { Err(IdError::BadBody) }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                Self::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(text: String) -> Result<Self, IdError> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

prefixed_id!(
    /// A message: one accepted event, delivered to every matching endpoint under the same `webhook-id`.
    MessageId,
    "msg_"
);
prefixed_id!(
    /// A subscriber's endpoint.
    EndpointId,
    "ep_"
);
prefixed_id!(
    /// A platform key's public part, as for [`ApiKeyId`].
    PlatformKeyId,
    "plk_"
);
prefixed_id!(
    /// A portal session, from the magic link that opens it to its expiry.
    PortalSessionId,
    "ps_"
);
prefixed_id!(
    /// One HTTP attempt to deliver a message to an endpoint.
    AttemptId,
    "atm_"
);
prefixed_id!(
    /// An API key's public part: names the key in lists and revocations, never authenticates alone.
    ApiKeyId,
    "key_"
);

/// A tenant: every stored item belongs to exactly one. The platform names it with its own customer id
/// (`acme`, `cus_123`); tenants made by `hookline tenant create` get a generated `ten_…` id, which is one
/// such id too. Case matters: `Acme` and `acme` are two tenants.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    /// A new, time-ordered id, for tenants the platform does not name.
    pub fn generate() -> Self {
        Self(format!("ten_{}", Ulid::generate().to_string().to_ascii_lowercase()))
    }

    /// The platform's own id, if it is one Hookline can key by: 1 to 64 characters of ASCII letters,
    /// digits, `_`, `-` and `.`, the first a letter or digit (so it never looks like a path or a flag).
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
        let valid = text.len() <= MAX_ID_LEN
            && text.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && text.bytes().all(allowed);
        if valid { Ok(Self(text.to_owned())) } else { Err(IdError::BadTenantId) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TenantId {
    type Err = IdError;
    fn from_str(text: &str) -> Result<Self, IdError> {
        Self::parse(text)
    }
}

impl TryFrom<String> for TenantId {
    type Error = IdError;
    fn try_from(text: String) -> Result<Self, IdError> {
        Self::parse(&text)
    }
}

impl From<TenantId> for String {
    fn from(id: TenantId) -> String {
        id.0
    }
}

impl MessageId {
    /// The message id for a producer-supplied event id or idempotency key.
    ///
    /// Deriving it (instead of storing a key → id mapping) lets one conditional write on the message item
    /// be the whole idempotency check: the same key from the same tenant always lands on the same item.
    pub fn for_idempotency_key(tenant: &TenantId, key: &str) -> Self {
        let digest =
            Sha256::new().chain_update(tenant.as_str()).chain_update([0u8]).chain_update(key).finalize();
        let mut first16 = [0u8; 16];
        first16.copy_from_slice(&digest[..16]);
        let encoded = Ulid::from_bytes(first16).to_string().to_ascii_lowercase();
        Self(format!("{}{encoded}", Self::PREFIX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_id_is_the_platforms_own_id_within_its_characters_and_length() {
        for good in ["acme", "cus_123", "Org-7.eu", "ten_01jf", "9", &"a".repeat(64)] {
            assert_eq!(TenantId::parse(good).map(|t| t.to_string()), Ok(good.to_owned()), "{good}");
        }
        for bad in ["", "-acme", ".x", "_x", "a b", "a#b", "a/b", "ü", &"a".repeat(65)] {
            assert_eq!(TenantId::parse(bad), Err(IdError::BadTenantId), "{bad}");
        }
        assert!(TenantId::parse(TenantId::generate().as_str()).is_ok());
    }

    #[test]
    fn generated_ids_carry_their_prefix_and_parse_back() {
        let id = EndpointId::generate();
        assert!(id.as_str().starts_with("ep_"));
        assert_eq!(EndpointId::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn an_id_with_another_types_prefix_is_refused() {
        let message = MessageId::generate();
        assert_eq!(EndpointId::parse(message.as_str()), Err(IdError::WrongPrefix { expected: "ep_" }));
    }

    #[test]
    fn empty_overlong_and_odd_character_ids_are_refused() {
        assert_eq!(MessageId::parse("msg_"), Err(IdError::BadBody));
        assert_eq!(MessageId::parse("msg_a b"), Err(IdError::BadBody));
        assert_eq!(MessageId::parse("msg_a#b"), Err(IdError::BadBody));
        let long = format!("msg_{}", "a".repeat(MAX_ID_LEN));
        assert_eq!(MessageId::parse(&long), Err(IdError::BadBody));
    }

    #[test]
    fn ids_serialize_as_plain_strings_and_validate_on_the_way_in() {
        let id = MessageId::parse("msg_abc").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"msg_abc\"");
        assert!(serde_json::from_str::<MessageId>("\"ep_abc\"").is_err());
    }

    #[test]
    fn idempotency_keys_map_to_stable_ids_scoped_by_tenant() {
        let a = TenantId::parse("ten_a").unwrap();
        let b = TenantId::parse("ten_b").unwrap();
        let first = MessageId::for_idempotency_key(&a, "order-42");
        assert_eq!(first, MessageId::for_idempotency_key(&a, "order-42"));
        assert_ne!(first, MessageId::for_idempotency_key(&a, "order-43"));
        assert_ne!(first, MessageId::for_idempotency_key(&b, "order-42"));
        assert!(MessageId::parse(first.as_str()).is_ok());
    }
}
