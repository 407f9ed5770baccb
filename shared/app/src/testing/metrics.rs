//! A metrics sink that keeps what it is given, for tests to read back.

use std::sync::{Arc, Mutex, PoisonError};

use hookline_core::ids::TenantId;

use crate::metrics::{Metric, Metrics, MetricsSink};

/// Records every value emitted. Clones share the record.
#[derive(Debug, Clone, Default)]
pub struct RecordedMetrics(Arc<Mutex<Vec<(Metric, f64)>>>);

impl RecordedMetrics {
    /// A [`Metrics`] that records into this.
    pub fn metrics(&self) -> Metrics {
        Metrics::new(self.clone())
    }

    /// The sum of one metric over everything emitted so far.
    pub fn recorded_total(&self, metric: Metric) -> f64 {
        let values = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        values.iter().filter(|(m, _)| *m == metric).map(|(_, value)| value).sum()
    }
}

impl MetricsSink for RecordedMetrics {
    fn emit(&self, _tenant: &TenantId, values: &[(Metric, f64)], _now_ms: i64) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(values);
    }
}
