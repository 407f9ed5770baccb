//! The name lookup port, and the two checks built on it: [`GuardedLookup`], which keeps only the
//! addresses the [`AddressPolicy`] permits (the HTTP adapter connects through it), and [`UrlGuard`],
//! which checks endpoint URLs when they are written.

use std::net::IpAddr;
use std::sync::Arc;

use futures::future::BoxFuture;
use hookline_core::address_policy::{AddressPolicy, UrlError};
use url::{Host, Url};

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("{host} resolved only to addresses that are not public ({first})")]
    Blocked { host: String, first: IpAddr },
    #[error("{host} did not resolve")]
    NotFound {
        host: String,
        #[source]
        source: Option<std::io::Error>,
    },
}

/// Looks names up; a port so tests can play DNS (rebinding included) without a DNS server.
pub trait Lookup: Send + Sync + 'static {
    fn lookup(&self, host: String) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>>;
}

/// Looks a name up and keeps only the addresses the policy permits. The HTTP adapter resolves through
/// it, so a connection goes to exactly an address that was checked (no second lookup, so DNS rebinding
/// cannot slip a private address in between the check and the connect).
#[derive(Clone)]
pub struct GuardedLookup {
    policy: Arc<AddressPolicy>,
    lookup: Arc<dyn Lookup>,
}

impl std::fmt::Debug for GuardedLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedLookup").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl GuardedLookup {
    pub fn new(policy: AddressPolicy, lookup: Arc<dyn Lookup>) -> Self {
        Self { policy: Arc::new(policy), lookup }
    }

    pub async fn resolve_checked(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        let found = self
            .lookup
            .lookup(host.to_owned())
            .await
            .map_err(|source| ResolveError::NotFound { host: host.to_owned(), source: Some(source) })?;
        let Some(&first) = found.first() else {
            return Err(ResolveError::NotFound { host: host.to_owned(), source: None });
        };
        let permitted: Vec<IpAddr> = found.into_iter().filter(|ip| self.policy.permits(*ip)).collect();
        if permitted.is_empty() {
            return Err(ResolveError::Blocked { host: host.to_owned(), first });
        }
        Ok(permitted)
    }
}

/// Checks endpoint URLs when they are written: everything [`AddressPolicy::check_url`] checks, then
/// the host's current addresses, so a name that resolves only to non-public addresses gets a clear
/// 422 up front. Delivery checks again on every connection, since DNS answers change.
#[derive(Debug, Clone)]
pub struct UrlGuard {
    allow_http: bool,
    policy: AddressPolicy,
    lookup_guard: GuardedLookup,
}

impl UrlGuard {
    pub fn new(policy: AddressPolicy, allow_http: bool, lookup: Arc<dyn Lookup>) -> Self {
        Self { allow_http, lookup_guard: GuardedLookup::new(policy.clone(), lookup), policy }
    }

    pub async fn check(&self, text: &str) -> Result<Url, UrlError> {
        let url = self.policy.check_url(text, self.allow_http)?;
        if let Some(Host::Domain(host)) = url.host() {
            match self.lookup_guard.resolve_checked(host).await {
                Err(ResolveError::Blocked { host, first }) => {
                    return Err(UrlError::Resolves { host, ip: first });
                }
                // A name that does not resolve yet may by the first delivery (which records E_DNS if not).
                Ok(_) | Err(ResolveError::NotFound { .. }) => {}
            }
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests;
