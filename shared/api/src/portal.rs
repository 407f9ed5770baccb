//! Bodies of the portal session routes.

use serde::{Deserialize, Serialize};

use hookline::portal::{OfferedSession, OpenedSession};
use hookline_core::ids::{PortalSessionId, TenantId};
use hookline_core::portal::Capability;
use hookline_core::time::rfc3339;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePortalSession {
    /// Besides `view`, which every session has: `manage_endpoints`, `secrets`, `replay`.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// The session's life in seconds (60 to 86,400; 3,600 when absent).
    #[serde(default)]
    pub expires_in: Option<u32>,
}

/// The magic link: open it (once) to start the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalLinkView {
    pub id: PortalSessionId,
    pub url: String,
    pub capabilities: Vec<Capability>,
    /// When the session ends.
    pub expires_at: String,
    /// The link must be opened before this (at most ten minutes).
    pub link_expires_at: String,
}

impl PortalLinkView {
    /// `portal_url` is where the portal is served (`https://…/portal/`).
    pub fn of(offered: &OfferedSession, portal_url: &str) -> Self {
        let session = &offered.session;
        Self {
            id: session.id.clone(),
            url: format!("{portal_url}login?token={}", offered.link.expose()),
            capabilities: session.capabilities.clone(),
            expires_at: rfc3339(session.expires_at_ms),
            link_expires_at: rfc3339(session.link_expires_at_ms),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangePortalLink {
    /// The `token` of the link's URL (`hll_…`).
    pub token: String,
}

/// An open session: its token (shown once) authenticates as `Authorization: Bearer hls_…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalSessionView {
    pub id: PortalSessionId,
    pub session_token: String,
    pub tenant_id: TenantId,
    pub capabilities: Vec<Capability>,
    pub expires_at: String,
}

impl PortalSessionView {
    pub fn of(opened: &OpenedSession) -> Self {
        let session = &opened.session;
        Self {
            id: session.id.clone(),
            session_token: opened.token.expose().to_owned(),
            tenant_id: session.tenant_id.clone(),
            capabilities: session.capabilities.clone(),
            expires_at: rfc3339(session.expires_at_ms),
        }
    }
}
