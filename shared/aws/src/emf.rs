//! CloudWatch metrics in Embedded Metric Format (EMF): one JSON document per line on stdout, from which
//! CloudWatch Logs extracts the metrics. No API call and no added latency; Lambda ships stdout anyway.
//! Lambda does not re-encode lines that are already JSON, so this works with its JSON log format.

use std::fmt;
use std::io::Write as _;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use hookline::metrics::{Metric, MetricsSink};
use hookline_core::ids::TenantId;

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

/// Where documents go: stdout in Lambda, a buffer in this module's tests.
trait Sink: Send + Sync {
    fn write_line(&self, line: &str);
}

struct Stdout;

impl<F: Fn(&str) + Send + Sync> Sink for F {
    fn write_line(&self, line: &str) {
        self(line);
    }
}

impl Sink for Stdout {
    fn write_line(&self, line: &str) {
        // One write of the whole line, so it never interleaves with a log line. A metric that cannot be
        // written is not worth failing a delivery for.
        let _ignored = writeln!(std::io::stdout().lock(), "{line}");
    }
}

/// Writes EMF documents. Cheap to clone.
#[derive(Clone)]
pub struct EmfMetrics {
    sink: Arc<dyn Sink>,
    namespace: Arc<str>,
    by_tenant: bool,
}

impl fmt::Debug for EmfMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmfMetrics")
            .field("namespace", &self.namespace)
            .field("by_tenant", &self.by_tenant)
            .finish_non_exhaustive()
    }
}

impl EmfMetrics {
    /// To stdout, where Lambda ships them to CloudWatch Logs.
    pub fn stdout(config: &MetricsConfig) -> Self {
        Self {
            sink: Arc::new(Stdout),
            namespace: config.namespace.as_str().into(),
            by_tenant: config.by_tenant,
        }
    }

    /// To a writer of the caller's (a benchmark builds the documents and drops them).
    pub fn with_writer(config: &MetricsConfig, write_line: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Self { sink: Arc::new(write_line), ..Self::stdout(config) }
    }

    /// The document for these values; `None` when every value is zero (zeros are left out).
    fn document(&self, tenant: &TenantId, values: &[(Metric, f64)], now_ms: i64) -> Option<String> {
        let values: Vec<_> = values.iter().filter(|(_, value)| *value != 0.0).collect();
        if values.is_empty() {
            return None;
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
        Some(Value::Object(document).to_string())
    }
}

impl MetricsSink for EmfMetrics {
    fn emit(&self, tenant: &TenantId, values: &[(Metric, f64)], now_ms: i64) {
        if let Some(line) = self.document(tenant, values, now_ms) {
            self.sink.write_line(&line);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Mutex, PoisonError};

    use super::*;

    #[derive(Default)]
    struct Buffer(Mutex<Vec<String>>);

    impl Sink for Buffer {
        fn write_line(&self, line: &str) {
            self.0.lock().unwrap_or_else(PoisonError::into_inner).push(line.to_owned());
        }
    }

    /// Metrics into a buffer, and a way to read the documents back.
    fn recording(by_tenant: bool) -> (EmfMetrics, Arc<Buffer>) {
        let buffer = Arc::new(Buffer::default());
        let config = MetricsConfig { by_tenant, ..MetricsConfig::default() };
        (EmfMetrics { sink: buffer.clone(), ..EmfMetrics::stdout(&config) }, buffer)
    }

    fn recorded(buffer: &Buffer) -> Vec<Value> {
        let lines = buffer.0.lock().unwrap_or_else(PoisonError::into_inner);
        lines.iter().filter_map(|line| serde_json::from_str(line).ok()).collect()
    }

    fn tenant() -> TenantId {
        TenantId::parse("ten_a").unwrap()
    }

    #[test]
    fn a_document_declares_each_metric_with_its_unit_and_carries_the_values() {
        let (metrics, buffer) = recording(false);
        metrics.emit(&tenant(), &[(Metric::DeliveriesSucceeded, 1.0), (Metric::AttemptLatency, 42.0)], 7);
        let doc = &recorded(&buffer)[0];
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
        let (metrics, buffer) = recording(true);
        metrics.emit(&tenant(), &[(Metric::EventsAccepted, 1.0)], 0);
        assert_eq!(
            recorded(&buffer)[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[], ["TenantId"]])
        );
    }

    #[test]
    fn zero_values_are_left_out_and_an_empty_document_is_not_written() {
        let (metrics, buffer) = recording(false);
        metrics.emit(&tenant(), &[(Metric::DeliveriesFailed, 0.0)], 0);
        assert!(recorded(&buffer).is_empty());
        metrics.emit(&tenant(), &[(Metric::DeliveriesFailed, 1.0), (Metric::DeliveriesRetried, 0.0)], 0);
        let doc = &recorded(&buffer)[0];
        assert!(doc.get("DeliveriesRetried").is_none());
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn a_deployment_can_name_its_own_namespace() {
        let config = MetricsConfig { namespace: "Hookline/prod".into(), by_tenant: false };
        let metrics = EmfMetrics::stdout(&config);
        assert_eq!(
            format!("{metrics:?}"),
            r#"EmfMetrics { namespace: "Hookline/prod", by_tenant: false, .. }"#
        );
    }
}
