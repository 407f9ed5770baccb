//! Portal sessions: what a platform's customer may do in the portal, for how long, and the single-use
//! magic link that opens one. The link and the session are one stored item, so the exchange is one
//! conditional write: there is no state in which a link was spent but no session exists.

use std::collections::BTreeSet;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::{PortalSessionId, TenantId};
use crate::tenancy::Tenant;
use crate::tokens::{BearerToken, TokenKind};

/// What a portal session may do. Every session may view; the others are granted one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// See endpoints, the event-type catalogue and the attempt log.
    View,
    /// Create, change and delete endpoints; send test events and run the probe.
    ManageEndpoints,
    /// Reveal and rotate signing secrets.
    Secrets,
    /// Resend a message and recover what an endpoint missed.
    Replay,
}

impl Capability {
    pub const ALL: [Self; 4] = [Self::View, Self::ManageEndpoints, Self::Secrets, Self::Replay];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::ManageEndpoints => "manage_endpoints",
            Self::Secrets => "secrets",
            Self::Replay => "replay",
        }
    }
}

impl FromStr for Capability {
    type Err = PortalError;
    fn from_str(text: &str) -> Result<Self, PortalError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == text)
            .ok_or_else(|| PortalError::UnknownCapability(text.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortalError {
    #[error("`{0}` is not a capability; use view, manage_endpoints, secrets or replay")]
    UnknownCapability(String),
    #[error("expires_in must be {MIN_SESSION_SECS} to {MAX_SESSION_SECS} seconds")]
    ExpiresIn,
}

/// Shortest and longest session a link may open, and the default.
pub const MIN_SESSION_SECS: u32 = 60;
pub const MAX_SESSION_SECS: u32 = 24 * 3600;
pub const DEFAULT_SESSION_SECS: u32 = 3600;
/// A link not exchanged within this long (or the session's life, if shorter) no longer opens anything:
/// it is meant to be followed at once, by a redirect from the platform's own signed-in page.
pub const LINK_LIFETIME_SECS: u32 = 600;

/// A portal session, from the link that opens it to its expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalSession {
    pub id: PortalSessionId,
    pub tenant_id: TenantId,
    /// Sorted, without repeats, always with `view`.
    pub capabilities: Vec<Capability>,
    pub created_at_ms: i64,
    pub link_hash: String,
    pub link_expires_at_ms: i64,
    pub expires_at_ms: i64,
    /// Set once, by the exchange of the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchanged_at_ms: Option<i64>,
}

impl PortalSession {
    /// A session not yet opened, and the magic link's token (shown once).
    pub fn offer(
        tenant_id: TenantId,
        capabilities: &[String],
        expires_in_secs: Option<u32>,
        now_ms: i64,
    ) -> Result<(Self, BearerToken), PortalError> {
        let secs = expires_in_secs.unwrap_or(DEFAULT_SESSION_SECS);
        if !(MIN_SESSION_SECS..=MAX_SESSION_SECS).contains(&secs) {
            return Err(PortalError::ExpiresIn);
        }
        let mut granted = BTreeSet::from([Capability::View]);
        for name in capabilities {
            granted.insert(name.parse()?);
        }
        let id = PortalSessionId::generate();
        let link = BearerToken::generate(TokenKind::PortalLink, Self::body(&id));
        let session = Self {
            tenant_id,
            capabilities: granted.into_iter().collect(),
            created_at_ms: now_ms,
            link_hash: link.hash(),
            link_expires_at_ms: now_ms + i64::from(secs.min(LINK_LIFETIME_SECS)) * 1000,
            expires_at_ms: now_ms + i64::from(secs) * 1000,
            session_hash: None,
            exchanged_at_ms: None,
            id,
        };
        Ok((session, link))
    }

    /// The session an `hll_` link or an `hls_` session token names.
    pub fn id_of(token: &BearerToken) -> Option<PortalSessionId> {
        matches!(token.kind(), TokenKind::PortalLink | TokenKind::PortalSession)
            .then(|| PortalSessionId::parse(&format!("{}{}", PortalSessionId::PREFIX, token.id_body())).ok())
            .flatten()
    }

    /// Whether `link` may be exchanged now: it is this session's, unspent and unexpired.
    pub fn link_opens(&self, link: &BearerToken, now_ms: i64) -> bool {
        link.kind() == TokenKind::PortalLink
            && link.matches(&self.link_hash)
            && self.session_hash.is_none()
            && now_ms < self.link_expires_at_ms
    }

    /// The session token the exchange hands out: its hash is what the exchange stores.
    pub fn session_token(&self) -> BearerToken {
        BearerToken::generate(TokenKind::PortalSession, Self::body(&self.id))
    }

    /// Whether `token` is this session's and the session still holds for `tenant`: unexpired, not
    /// revoked with the tenant's other sessions, and the tenant not deleted.
    pub fn session_opens(&self, token: &BearerToken, tenant: &Tenant, now_ms: i64) -> bool {
        let revoked = tenant.sessions_revoked_at_ms.is_some_and(|at| self.created_at_ms <= at);
        token.kind() == TokenKind::PortalSession
            && self.session_hash.as_deref().is_some_and(|hash| token.matches(hash))
            && now_ms < self.expires_at_ms
            && tenant.id == self.tenant_id
            && !revoked
            && !tenant.is_deleted()
    }

    pub fn may(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }

    fn body(id: &PortalSessionId) -> &str {
        id.as_str().trim_start_matches(PortalSessionId::PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> Tenant {
        Tenant::named(TenantId::parse("acme").unwrap(), "Acme".into(), 0)
    }

    fn offered(
        capabilities: &[&str],
        secs: Option<u32>,
    ) -> Result<(PortalSession, BearerToken), PortalError> {
        let names: Vec<String> = capabilities.iter().map(|c| (*c).to_owned()).collect();
        PortalSession::offer(tenant().id, &names, secs, 1_000)
    }

    fn exchanged(session: &mut PortalSession, at_ms: i64) -> BearerToken {
        let token = session.session_token();
        session.session_hash = Some(token.hash());
        session.exchanged_at_ms = Some(at_ms);
        token
    }

    #[test]
    fn every_session_may_view_and_only_the_granted_capabilities_besides() {
        let (session, _) = offered(&["replay", "replay"], None).unwrap();
        assert_eq!(session.capabilities, vec![Capability::View, Capability::Replay]);
        assert!(!session.may(Capability::Secrets));
        assert_eq!(offered(&["admin"], None).unwrap_err(), PortalError::UnknownCapability("admin".into()));
    }

    #[test]
    fn the_session_lasts_expires_in_and_the_link_at_most_ten_minutes() {
        let (session, _) = offered(&[], Some(7200)).unwrap();
        assert_eq!(session.expires_at_ms, 1_000 + 7_200_000);
        assert_eq!(session.link_expires_at_ms, 1_000 + 600_000);
        let (short, _) = offered(&[], Some(120)).unwrap();
        assert_eq!(short.link_expires_at_ms, short.expires_at_ms);
        assert_eq!(offered(&[], Some(59)).unwrap_err(), PortalError::ExpiresIn);
        assert_eq!(offered(&[], Some(86_401)).unwrap_err(), PortalError::ExpiresIn);
    }

    #[test]
    fn a_link_opens_once_and_only_before_it_expires() {
        let (mut session, link) = offered(&[], None).unwrap();
        assert_eq!(PortalSession::id_of(&link), Some(session.id.clone()));
        assert!(session.link_opens(&link, 2_000));
        assert!(!session.link_opens(&link, session.link_expires_at_ms));
        exchanged(&mut session, 2_000);
        assert!(!session.link_opens(&link, 2_000));
    }

    #[test]
    fn a_session_holds_until_it_expires_is_revoked_or_its_tenant_is_deleted() {
        let (mut session, link) = offered(&[], None).unwrap();
        let token = exchanged(&mut session, 2_000);
        let mut tenant = tenant();
        assert!(session.session_opens(&token, &tenant, 3_000));
        assert!(!session.session_opens(&link, &tenant, 3_000), "the link is not the session");
        assert!(!session.session_opens(&token, &tenant, session.expires_at_ms));
        tenant.sessions_revoked_at_ms = Some(1_000);
        assert!(!session.session_opens(&token, &tenant, 3_000));
        tenant.sessions_revoked_at_ms = Some(999);
        assert!(session.session_opens(&token, &tenant, 3_000), "revoked before it was offered");
        tenant.deleted_at_ms = Some(2_500);
        assert!(!session.session_opens(&token, &tenant, 3_000));
    }
}
