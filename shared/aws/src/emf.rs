//! CloudWatch metrics in Embedded Metric Format (EMF): one JSON document per line on stdout, from which
//! CloudWatch Logs extracts the metrics. No API call and no added latency; Lambda ships stdout anyway.
//! Lambda does not re-encode lines that are already JSON, so this works with its JSON log format.
//!
//! Values are gathered per tenant and written when the handler flushes at the end of an invocation: one
//! document per tenant and invocation instead of one per attempt, since log bytes are billed. Counts are
//! summed; latencies stay an array of samples, so percentiles are still right.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

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

/// EMF allows at most 100 values in one metric's array.
const MAX_SAMPLES: usize = 100;

/// What one tenant's metrics gathered since the last flush.
#[derive(Default)]
struct Gathered {
    /// Summed counts, or the samples of a latency, by metric, in [`Metric`] order.
    values: Vec<(Metric, Vec<f64>)>,
    last_ms: i64,
}

impl Gathered {
    fn add(&mut self, metric: Metric, value: f64, now_ms: i64) {
        self.last_ms = self.last_ms.max(now_ms);
        let samples = match self.values.iter_mut().find(|(m, _)| *m == metric) {
            Some((_, samples)) => samples,
            None => {
                self.values.push((metric, Vec::new()));
                &mut self.values.last_mut().unwrap_or_else(|| unreachable!("just pushed")).1
            }
        };
        match (metric.unit(), samples.first_mut()) {
            ("Count", Some(sum)) => *sum += value,
            _ => samples.push(value),
        }
    }

    fn is_full(&self) -> bool {
        self.values.iter().any(|(_, samples)| samples.len() >= MAX_SAMPLES)
    }
}

/// Writes EMF documents. Cheap to clone; clones share what is gathered.
#[derive(Clone)]
pub struct EmfMetrics {
    sink: Arc<dyn Sink>,
    namespace: Arc<str>,
    by_tenant: bool,
    gathered: Arc<Mutex<BTreeMap<TenantId, Gathered>>>,
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
            gathered: Arc::default(),
        }
    }

    /// To a writer of the caller's (a benchmark builds the documents and drops them).
    pub fn with_writer(config: &MetricsConfig, write_line: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Self { sink: Arc::new(write_line), ..Self::stdout(config) }
    }

    /// The document for a tenant's gathered values.
    fn document(&self, tenant: &TenantId, gathered: &Gathered) -> String {
        let values = &gathered.values;
        let now_ms = gathered.last_ms;
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
        for (metric, samples) in values {
            let value = match samples.as_slice() {
                [one] => json!(one),
                many => json!(many),
            };
            document.insert(metric.name().into(), value);
        }
        Value::Object(document).to_string()
    }

    fn gathered(&self) -> std::sync::MutexGuard<'_, BTreeMap<TenantId, Gathered>> {
        self.gathered.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl MetricsSink for EmfMetrics {
    /// Gathers the values (zeros are left out); a tenant's are written early if an array fills up.
    fn emit(&self, tenant: &TenantId, values: &[(Metric, f64)], now_ms: i64) {
        let full = {
            let mut gathered = self.gathered();
            for (metric, value) in values.iter().filter(|(_, value)| *value != 0.0) {
                gathered.entry(tenant.clone()).or_default().add(*metric, *value, now_ms);
            }
            let full = gathered.get(tenant).is_some_and(Gathered::is_full);
            full.then(|| gathered.remove(tenant)).flatten()
        };
        if let Some(full) = full {
            self.sink.write_line(&self.document(tenant, &full));
        }
    }

    /// Writes one document per tenant with everything gathered since the last flush.
    fn flush(&self) {
        let gathered = std::mem::take(&mut *self.gathered());
        for (tenant, values) in gathered.iter().filter(|(_, g)| !g.values.is_empty()) {
            self.sink.write_line(&self.document(tenant, values));
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
        metrics.flush();
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
        metrics.flush();
        assert_eq!(
            recorded(&buffer)[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[], ["TenantId"]])
        );
    }

    #[test]
    fn zero_values_are_left_out_and_an_empty_document_is_not_written() {
        let (metrics, buffer) = recording(false);
        metrics.emit(&tenant(), &[(Metric::DeliveriesFailed, 0.0)], 0);
        metrics.flush();
        assert!(recorded(&buffer).is_empty());
        metrics.emit(&tenant(), &[(Metric::DeliveriesFailed, 1.0), (Metric::DeliveriesRetried, 0.0)], 0);
        metrics.flush();
        let doc = &recorded(&buffer)[0];
        assert!(doc.get("DeliveriesRetried").is_none());
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn one_invocation_writes_one_document_per_tenant_with_counts_summed_and_latencies_kept() {
        let (metrics, buffer) = recording(false);
        let other = TenantId::parse("ten_b").unwrap();
        for latency in [10.0, 30.0, 20.0] {
            metrics.emit(
                &tenant(),
                &[(Metric::DeliveriesSucceeded, 1.0), (Metric::AttemptLatency, latency)],
                5,
            );
        }
        metrics.emit(&other, &[(Metric::DeliveriesFailed, 1.0)], 9);
        assert!(recorded(&buffer).is_empty(), "nothing is written before the flush");
        metrics.flush();
        let docs = recorded(&buffer);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["TenantId"], "ten_a");
        assert_eq!(docs[0]["DeliveriesSucceeded"], json!(3.0));
        assert_eq!(docs[0]["AttemptLatency"], json!([10.0, 30.0, 20.0]));
        assert_eq!(
            (docs[1]["TenantId"].as_str(), docs[1]["DeliveriesFailed"].as_f64()),
            (Some("ten_b"), Some(1.0))
        );
        metrics.flush();
        assert_eq!(recorded(&buffer).len(), 2, "a flush writes only what came since the last");
    }

    #[test]
    fn a_full_array_of_samples_is_written_without_waiting_for_the_flush() {
        let (metrics, buffer) = recording(false);
        for _ in 0..MAX_SAMPLES {
            metrics.emit(&tenant(), &[(Metric::AttemptLatency, 1.0)], 0);
        }
        let docs = recorded(&buffer);
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0]["AttemptLatency"].as_array().map(Vec::len), Some(MAX_SAMPLES));
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
