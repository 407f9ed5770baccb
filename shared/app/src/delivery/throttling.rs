//! Fairness throttling: a delivery gets a slot in its endpoint's in-flight bound and a place in its rate
//! limit, or goes back on the queue as a new message without spending an attempt.

use hookline_core::model::Endpoint;
use hookline_core::task::Deliver;
use hookline_core::throttle::{Throttle, throttle_delay};
use tracing::{info, warn};

use super::in_flight::{SLOT_WAIT, Slot};
use super::{Delivery, DeliveryError, Disposition, ReceivedTask};
use crate::clock::Clock as _;
use crate::metrics::Metric;
use crate::ports::Ports;
use crate::queue::DeliveryQueue as _;
use crate::store::{RateBucket, RateLimiter as _, StoreError};

impl<P: Ports> Delivery<P> {
    /// A slot among the endpoint's deliveries in flight here (waited for a moment, see [`SLOT_WAIT`]),
    /// then a place in its rate limit (checked second, so a delivery refused a slot spends no budget); with
    /// the time the attempt starts, which the rate limit counted in
    /// its second and the log shows.
    pub(super) async fn admit(
        &self,
        endpoint: &Endpoint,
    ) -> Result<Result<(Slot, i64), Throttle>, StoreError> {
        let Some(slot) = self.in_flight.acquire(&endpoint.id, SLOT_WAIT).await else {
            return Ok(Err(Throttle::Concurrency));
        };
        let now_ms = self.clock.now_ms();
        if let Some(per_second) = endpoint.rate_limit {
            let bucket = RateBucket::Endpoint(endpoint.tenant_id.clone(), endpoint.id.clone());
            if !self.store.admit(&bucket, 1, per_second, now_ms).await? {
                return Ok(Err(Throttle::RateLimit));
            }
        }
        Ok(Ok((slot, now_ms)))
    }

    /// Puts a throttled delivery back as a new message, so waiting neither counts as an attempt (the ledger
    /// has not moved) nor uses up the receives SQS redrive counts. If SQS refuses the send, the record
    /// itself comes back after the delay instead.
    pub(super) async fn put_back(
        &self,
        task: &Deliver,
        number: u32,
        throttle: Throttle,
        received: ReceivedTask<'_>,
    ) -> Result<Disposition, DeliveryError> {
        let delay = throttle_delay(task.throttles, &mut rand::rng());
        let again = Deliver {
            prior_attempts: number - 1,
            throttles: task.throttles.saturating_add(1),
            ..task.clone()
        };
        let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        match self.queue.requeue(&again, delay).await {
            Ok(()) => {
                info!(
                    throttle = throttle.as_str(),
                    delay_ms,
                    throttles = again.throttles,
                    "delivery throttled"
                );
                self.settings.metrics.emit(
                    &task.tenant_id,
                    &[(Metric::DeliveriesThrottled, 1.0)],
                    self.clock.now_ms(),
                );
                Ok(Disposition::Done)
            }
            Err(e) => {
                warn!(throttle = throttle.as_str(), error = %e, "could not put a throttled delivery back");
                self.queue.retry_after(received.receipt_handle, delay).await?;
                Ok(Disposition::Again)
            }
        }
    }
}
