//! Portal sessions: a key holder offers one as a single-use magic link; exchanging the link opens the
//! session. The session's token, like the link's, is stored only as a hash, and both expire by TTL.

use tracing::info;

use hookline_core::portal::PortalSession;
use hookline_core::tenancy::Tenant;
use hookline_core::tokens::BearerToken;

use crate::access::AuthError;
use crate::app::App;
use crate::clock::Clock as _;
use crate::error::ServiceError;
use crate::ports::Ports;
use crate::store::{PortalSessionStore as _, TenantStore as _};

/// A session offered, and the link's token (shown once, in the link).
#[derive(Debug)]
pub struct OfferedSession {
    pub session: PortalSession,
    pub link: BearerToken,
}

/// A session opened by its link, and the session's token (shown once).
#[derive(Debug)]
pub struct OpenedSession {
    pub session: PortalSession,
    pub token: BearerToken,
}

impl<P: Ports> App<P> {
    pub async fn offer_portal_session(
        &self,
        tenant: &Tenant,
        capabilities: &[String],
        expires_in_secs: Option<u32>,
    ) -> Result<OfferedSession, ServiceError> {
        let (session, link) =
            PortalSession::offer(tenant.id.clone(), capabilities, expires_in_secs, self.clock.now_ms())?;
        self.store.put_portal_session(&session).await?;
        info!(tenant_id = %tenant.id, session_id = %session.id, capabilities = ?session.capabilities, "portal session offered");
        Ok(OfferedSession { session, link })
    }

    /// Spends a magic link. Unknown, expired, replayed and revoked links all get [`AuthError::Invalid`].
    pub async fn exchange_portal_link(&self, link: &str) -> Result<OpenedSession, AuthError> {
        let link = BearerToken::parse(link.trim()).ok_or(AuthError::Invalid)?;
        let id = PortalSession::id_of(&link).ok_or(AuthError::Invalid)?;
        let session = self.store.find_portal_session(&id).await?.ok_or(AuthError::Invalid)?;
        let now_ms = self.clock.now_ms();
        if !session.link_opens(&link, now_ms) {
            return Err(AuthError::Invalid);
        }
        let tenant = self.store.get_tenant(&session.tenant_id).await?.ok_or(AuthError::Invalid)?;
        let token = session.session_token();
        // Checked before the exchange, so a link of a revoked batch is not spent for nothing.
        let mut opened = session;
        opened.session_hash = Some(token.hash());
        opened.exchanged_at_ms = Some(now_ms);
        if !opened.session_opens(&token, &tenant, now_ms) {
            return Err(AuthError::Invalid);
        }
        if !self.store.exchange_portal_link(&opened.id, &token.hash(), now_ms).await? {
            return Err(AuthError::Invalid);
        }
        info!(tenant_id = %opened.tenant_id, session_id = %opened.id, "portal session opened");
        Ok(OpenedSession { session: opened, token })
    }

    /// Ends every portal session of the tenant opened until now.
    pub async fn revoke_portal_sessions(&self, tenant: &Tenant) -> Result<(), ServiceError> {
        if !self.store.revoke_portal_sessions(&tenant.id, self.clock.now_ms()).await? {
            return Err(ServiceError::not_found("tenant", tenant.id.as_str()));
        }
        info!(tenant_id = %tenant.id, "portal sessions revoked");
        Ok(())
    }
}

#[cfg(test)]
mod tests;
