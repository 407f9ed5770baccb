//! CloudWatch metrics in Embedded Metric Format (EMF): one JSON document per line on stdout, from which
//! CloudWatch Logs extracts the metrics. No API call and no added latency; Lambda ships stdout anyway.
//! Lambda does not re-encode lines that are already JSON, so this works with its JSON log format.

use std::fmt;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value, json};

use crate::ids::TenantId;

/// The namespace unless the deployment names its own (the template uses `Hookline/<stack name>`, so two
/// stacks in one account and region do not add up each other's metrics).
pub const NAMESPACE: &str = "Hookline";

/// How a deployment publishes its metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    pub namespace: String,
    /// Also per tenant: one more billed metric per tenant and name.
    pub by_tenant: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self { namespace: NAMESPACE.to_owned(), by_tenant: false }
    }
}
/// The dimension a tenant's metrics carry when per-tenant metrics are on.
pub const TENANT_DIMENSION: &str = "TenantId";

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

    fn unit(self) -> &'static str {
        match self {
            Self::AttemptLatency => "Milliseconds",
            _ => "Count",
        }
    }
}

/// Where metric documents go: stdout in Lambda, a buffer in tests.
trait Sink: Send + Sync {
    fn write_line(&self, line: &str);
}

struct Stdout;

impl Sink for Stdout {
    fn write_line(&self, line: &str) {
        // One write of the whole line, so it never interleaves with a log line. A metric that cannot be
        // written is not worth failing a delivery for.
        let _ignored = writeln!(std::io::stdout().lock(), "{line}");
    }
}

#[derive(Default)]
struct Buffer(Mutex<Vec<String>>);

impl Sink for Buffer {
    fn write_line(&self, line: &str) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(line.to_owned());
    }
}

/// Emits EMF documents. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    sink: Arc<dyn Sink>,
    recorded: Option<Arc<Buffer>>,
    namespace: Arc<str>,
    by_tenant: bool,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("namespace", &self.namespace)
            .field("by_tenant", &self.by_tenant)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// To stdout, where Lambda ships them to CloudWatch Logs.
    pub fn stdout(config: &MetricsConfig) -> Self {
        Self {
            sink: Arc::new(Stdout),
            recorded: None,
            namespace: config.namespace.as_str().into(),
            by_tenant: config.by_tenant,
        }
    }

    /// Keeps the documents in memory, for tests.
    pub fn recording(by_tenant: bool) -> Self {
        let buffer = Arc::new(Buffer::default());
        Self { sink: buffer.clone(), recorded: Some(buffer), namespace: NAMESPACE.into(), by_tenant }
    }

    /// The documents recorded so far (empty unless made by [`Metrics::recording`]).
    pub fn recorded(&self) -> Vec<Value> {
        let Some(buffer) = &self.recorded else { return vec![] };
        let lines = buffer.0.lock().unwrap_or_else(PoisonError::into_inner);
        lines.iter().filter_map(|line| serde_json::from_str(line).ok()).collect()
    }

    /// The sum of one metric over the recorded documents.
    pub fn recorded_total(&self, metric: Metric) -> f64 {
        self.recorded().iter().filter_map(|doc| doc[metric.name()].as_f64()).sum()
    }

    /// One document with these values for the tenant; values of zero are left out.
    pub fn emit(&self, tenant: &TenantId, values: &[(Metric, f64)], now_ms: i64) {
        let values: Vec<_> = values.iter().filter(|(_, value)| *value != 0.0).collect();
        if values.is_empty() {
            return;
        }
        let dimensions = if self.by_tenant { json!([[], [TENANT_DIMENSION]]) } else { json!([[]]) };
        let definitions: Vec<Value> = values
            .iter()
            .map(|(metric, _)| json!({ "Name": metric.name(), "Unit": metric.unit() }))
            .collect();
        let mut document = Map::new();
        document.insert(
            "_aws".into(),
            json!({
                "Timestamp": now_ms,
                "CloudWatchMetrics": [{ "Namespace": &*self.namespace, "Dimensions": dimensions, "Metrics": definitions }],
            }),
        );
        // The tenant is always there to search by in Logs Insights, a dimension only when asked for.
        document.insert(TENANT_DIMENSION.into(), json!(tenant.as_str()));
        for (metric, value) in values {
            document.insert(metric.name().into(), json!(value));
        }
        self.sink.write_line(&Value::Object(document).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::parse("ten_a").unwrap()
    }

    #[test]
    fn a_document_declares_each_metric_with_its_unit_and_carries_the_values() {
        let metrics = Metrics::recording(false);
        metrics.emit(&tenant(), &[(Metric::DeliveriesSucceeded, 1.0), (Metric::AttemptLatency, 42.0)], 7);
        let doc = &metrics.recorded()[0];
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(doc["_aws"]["Timestamp"], 7);
        assert_eq!(directive["Namespace"], "Hookline");
        assert_eq!(directive["Dimensions"], json!([[]]));
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "DeliveriesSucceeded", "Unit": "Count"}, {"Name": "AttemptLatency", "Unit": "Milliseconds"}])
        );
        assert_eq!(
            (doc["DeliveriesSucceeded"].as_f64(), doc["AttemptLatency"].as_f64()),
            (Some(1.0), Some(42.0))
        );
        assert_eq!(doc["TenantId"], "ten_a");
    }

    #[test]
    fn the_tenant_becomes_a_dimension_only_when_asked_for() {
        let metrics = Metrics::recording(true);
        metrics.emit(&tenant(), &[(Metric::EventsAccepted, 1.0)], 0);
        assert_eq!(
            metrics.recorded()[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[], ["TenantId"]])
        );
    }

    #[test]
    fn zero_values_are_left_out_and_an_empty_document_is_not_written() {
        let metrics = Metrics::recording(false);
        metrics.emit(&tenant(), &[(Metric::DeliveriesFailed, 0.0)], 0);
        assert!(metrics.recorded().is_empty());
        metrics.emit(&tenant(), &[(Metric::DeliveriesFailed, 1.0), (Metric::DeliveriesRetried, 0.0)], 0);
        let doc = &metrics.recorded()[0];
        assert!(doc.get("DeliveriesRetried").is_none());
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn a_deployment_can_name_its_own_namespace() {
        let config = MetricsConfig { namespace: "Hookline/prod".into(), by_tenant: false };
        let metrics = Metrics { sink: Arc::new(Buffer::default()), ..Metrics::stdout(&config) };
        assert_eq!(format!("{metrics:?}"), r#"Metrics { namespace: "Hookline/prod", by_tenant: false, .. }"#);
    }
}
