//! What one attempt adds to the metrics: every count, zeros included (the sink leaves zeros out).

use hookline_core::model::DeliveryState;

use crate::metrics::Metric;

pub(super) fn counts(state: DeliveryState, latency_ms: Option<f64>, disabled: bool) -> Vec<(Metric, f64)> {
    let one = |yes: bool| if yes { 1.0 } else { 0.0 };
    let failed =
        matches!(state, DeliveryState::Retrying | DeliveryState::DeadLettered | DeliveryState::Abandoned);
    vec![
        (Metric::DeliveriesSucceeded, one(state == DeliveryState::Succeeded)),
        (Metric::DeliveriesFailed, one(failed)),
        (Metric::DeliveriesRetried, one(state == DeliveryState::Retrying)),
        (Metric::DeliveriesDeadLettered, one(state == DeliveryState::DeadLettered)),
        (Metric::EndpointsDisabled, one(disabled)),
        (Metric::AttemptLatency, latency_ms.unwrap_or(0.0)),
    ]
}
