//! Name resolution for deliveries: the system resolver, and the reqwest resolver that hands the client
//! only the addresses the address policy permits, so every connection goes to a checked address.

use std::net::{IpAddr, SocketAddr};

use futures::future::BoxFuture;
use hookline::lookup::{GuardedLookup, Lookup};

/// The system resolver, through tokio.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: String) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>> {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|addr| addr.ip()).collect())
        })
    }
}

/// The sender's only resolver: a name resolves to the permitted addresses or not at all.
#[derive(Debug, Clone)]
pub struct GuardedResolver(pub GuardedLookup);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let ips = guard.resolve_checked(name.as_str()).await?;
            let addrs: reqwest::dns::Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}
