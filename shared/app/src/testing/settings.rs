//! Settings for services under test.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use hookline_core::address_policy::AddressPolicy;

use std::fmt::Debug;

use super::{ManualClock, MemoryPorts, MemoryQueue, MemoryStore, RecordedMetrics, ScriptedLookup};
use crate::app::{App, AppSettings};
use crate::lookup::UrlGuard;
use crate::sender::WebhookSender;

/// The address every name resolves to unless a test says otherwise.
pub const PUBLIC_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34));

/// A URL guard for `policy` under which every name resolves to [`PUBLIC_IP`].
pub fn public_urls(policy: AddressPolicy, allow_http: bool) -> UrlGuard {
    UrlGuard::new(policy, allow_http, Arc::new(ScriptedLookup::new(vec![vec![PUBLIC_IP]])))
}

/// 8 attempts, 100 events per second, 1 KiB bodies, metrics recorded, public https URLs only, every
/// key and tenant read for each request.
pub fn app_settings() -> AppSettings {
    AppSettings {
        urls: public_urls(AddressPolicy::public_only(), false),
        max_attempts: 8,
        default_rate_limit: 100,
        max_body_bytes: 1024,
        metrics: RecordedMetrics::default().metrics(),
        portal_url: None,
        source_ips: Vec::new(),
        access_cache: std::time::Duration::ZERO,
    }
}

/// The services over fresh in-memory ports, sending with `sender`, the clock at `now_ms`.
pub fn memory_app<H: WebhookSender + Debug + 'static>(
    sender: H,
    now_ms: i64,
    settings: AppSettings,
) -> App<MemoryPorts<H>> {
    App::new(MemoryStore::default(), MemoryQueue::default(), sender, ManualClock::at_ms(now_ms), settings)
}
