//! The API's services, as one value: [`App`] holds the ports and the settings, and each service module
//! (events, endpoints, event types, tenants, the attempt log, recovery, the probe) adds its operations
//! in an `impl<P: Ports> App<P>` block.

use std::fmt;

use crate::access::cache::AccessCache;
use crate::lookup::UrlGuard;
use crate::metrics::Metrics;
use crate::ports::Ports;
use crate::rate_budget::RateBudget;

#[derive(Debug, Clone)]
pub struct AppSettings {
    /// Checks endpoint URLs on create and update (scheme, literal addresses, and what names resolve to).
    pub urls: UrlGuard,
    /// The deployment's number of attempts: an endpoint's own schedule may not have more.
    pub max_attempts: u32,
    /// Events per second for tenants without their own limit.
    pub default_rate_limit: u32,
    /// Largest request body, and largest event within a batch.
    pub max_body_bytes: usize,
    /// Where accepted events are counted (CloudWatch EMF on stdout in Lambda).
    pub metrics: Metrics,
    /// Where portal links point, if not at the API's own `/portal/` (ends in `/`).
    pub portal_url: Option<String>,
    /// The fixed addresses webhooks are sent from (the StaticSourceIps opt-in); empty when not fixed.
    pub source_ips: Vec<std::net::IpAddr>,
    /// How long this instance keeps a key or tenant it read to authenticate requests (zero: not at
    /// all): a revocation, deletion or settings change made through another instance applies here
    /// within this bound.
    pub access_cache: std::time::Duration,
}

/// Everything the API's operations need.
pub struct App<P: Ports> {
    pub(crate) store: P::Store,
    pub(crate) queue: P::Queue,
    /// Sends probe requests synchronously, through the SSRF guard like deliveries.
    pub(crate) sender: P::Sender,
    pub(crate) clock: P::Clock,
    pub(crate) settings: AppSettings,
    /// What this instance holds of tenants' ingest budgets.
    pub(crate) rate_budget: RateBudget,
    /// Keys and tenants read lately, to authenticate requests.
    pub(crate) access_cache: AccessCache,
}

impl<P: Ports> App<P> {
    pub fn new(
        store: P::Store,
        queue: P::Queue,
        sender: P::Sender,
        clock: P::Clock,
        settings: AppSettings,
    ) -> Self {
        let access_cache = AccessCache::new(settings.access_cache);
        Self { store, queue, sender, clock, settings, rate_budget: RateBudget::default(), access_cache }
    }

    pub fn settings(&self) -> &AppSettings {
        &self.settings
    }

    /// To change a setting after wiring (a test swaps in a scripted DNS, say).
    pub fn settings_mut(&mut self) -> &mut AppSettings {
        &mut self.settings
    }

    /// The store, for the handler's authentication and for tests that look behind the API.
    pub fn store(&self) -> &P::Store {
        &self.store
    }

    /// The queue, for tests that look at what was queued.
    pub fn queue(&self) -> &P::Queue {
        &self.queue
    }

    pub fn clock(&self) -> &P::Clock {
        &self.clock
    }
}

impl<P: Ports> fmt::Debug for App<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("store", &self.store)
            .field("queue", &self.queue)
            .field("sender", &self.sender)
            .field("clock", &self.clock)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}
