//! What Hookline counts, and the port it reports counts through. In Lambda the sink is CloudWatch EMF
//! on stdout (`hookline-aws`); tests record the values.

use std::fmt;
use std::sync::Arc;

use hookline_core::ids::TenantId;

/// What Hookline counts. The names are what operators chart and alarm on: never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// An event accepted by ingest (every task on the queue).
    EventsAccepted,
    DeliveriesSucceeded,
    /// Attempts that did not succeed (including the last one and abandoned deliveries).
    DeliveriesFailed,
    /// Failed attempts that will be tried again.
    DeliveriesRetried,
    /// Last attempts that failed: the message goes to the dead-letter queue.
    DeliveriesDeadLettered,
    /// Deliveries put back by an endpoint's rate limit or in-flight bound (not attempts).
    DeliveriesThrottled,
    EndpointsDisabled,
    /// How long an attempt's HTTP exchange took.
    AttemptLatency,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Self::EventsAccepted => "EventsAccepted",
            Self::DeliveriesSucceeded => "DeliveriesSucceeded",
            Self::DeliveriesFailed => "DeliveriesFailed",
            Self::DeliveriesRetried => "DeliveriesRetried",
            Self::DeliveriesDeadLettered => "DeliveriesDeadLettered",
            Self::DeliveriesThrottled => "DeliveriesThrottled",
            Self::EndpointsDisabled => "EndpointsDisabled",
            Self::AttemptLatency => "AttemptLatency",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Self::AttemptLatency => "Milliseconds",
            _ => "Count",
        }
    }
}

/// Where metric values go. Emitting never fails: a metric is not worth failing a delivery for.
pub trait MetricsSink: Send + Sync {
    /// One set of values for the tenant at `now_ms`.
    fn emit(&self, tenant: &TenantId, values: &[(Metric, f64)], now_ms: i64);

    /// Writes out what was gathered; handlers call it at the end of each invocation.
    fn flush(&self) {}
}

/// The metrics sink the services hold. Cheap to clone.
#[derive(Clone)]
pub struct Metrics(Arc<dyn MetricsSink>);

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub fn new(sink: impl MetricsSink + 'static) -> Self {
        Self(Arc::new(sink))
    }

    pub fn emit(&self, tenant: &TenantId, values: &[(Metric, f64)], now_ms: i64) {
        self.0.emit(tenant, values, now_ms);
    }

    pub fn flush(&self) {
        self.0.flush();
    }
}
