//! One delivery attempt, from a received queue record to a recorded attempt and a queue disposition.

mod record;
mod rules;

use std::time::Duration;

use tracing::{Instrument as _, error, info, info_span, warn};

pub use self::rules::{Verdict, judge};
use crate::clock::{Clock, rfc3339};
use crate::metrics::{Metric, Metrics, MetricsConfig};
use crate::model::{DeliveryState, Endpoint, ErrorCode};
use crate::queue::{DeliveryQueue, QueueError};
use crate::retry::RetrySchedule;
use crate::sender::WebhookSender;
use crate::store::{AttemptStore, EndpointStore, RateBucket, RateLimiter, StoreError};
use crate::task::{Deliver, DeliveryTask};
use crate::throttle::{InFlight, Slot, Throttle, throttle_delay};

#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// The deployment's schedule; an endpoint may set a shorter one of its own.
    pub schedule: RetrySchedule,
    /// How many deliveries of one batch run at once.
    pub concurrency: usize,
    /// How many deliveries to one endpoint this instance runs at once; more are put back.
    pub endpoint_concurrency: usize,
    /// An endpoint failing without a single success for this long is disabled.
    pub disable_after: Duration,
    /// Where the metrics go, and whether per tenant too.
    pub metrics: MetricsConfig,
}

/// Everything a delivery needs, generic over the ports so unit tests run on in-memory fakes.
#[derive(Debug, Clone)]
pub struct DeliveryDeps<S, H, Q, C> {
    pub store: S,
    pub sender: H,
    pub queue: Q,
    pub clock: C,
    pub settings: DeliverySettings,
    in_flight: InFlight,
    metrics: Metrics,
}

impl<S, H, Q, C> DeliveryDeps<S, H, Q, C> {
    /// Deps that write their metrics to stdout, where Lambda ships them to CloudWatch.
    pub fn new(store: S, sender: H, queue: Q, clock: C, settings: DeliverySettings) -> Self {
        let in_flight = InFlight::new(settings.endpoint_concurrency);
        let metrics = Metrics::stdout(&settings.metrics);
        Self { store, sender, queue, clock, settings, in_flight, metrics }
    }

    /// The same deps with metrics going elsewhere (tests record them).
    #[must_use]
    pub fn with_metrics(self, metrics: Metrics) -> Self {
        Self { metrics, ..self }
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// One record as the queue handed it over.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedTask<'a> {
    pub body: &'a str,
    pub receipt_handle: &'a str,
    /// SQS's ApproximateReceiveCount: with the task's prior attempts, the attempt number.
    pub receive_count: u32,
}

/// What the queue should do with the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Delivered, given up on for good, or put back as a new message: delete it.
    Done,
    /// Report it as a batch item failure: it comes back after its visibility timeout, or goes to the DLQ.
    Again,
}

#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Handles one received record; never fails: problems become a disposition and a log line.
pub async fn deliver<S, H, Q, C>(deps: &DeliveryDeps<S, H, Q, C>, received: ReceivedTask<'_>) -> Disposition
where
    S: EndpointStore + AttemptStore + RateLimiter,
    H: WebhookSender,
    Q: DeliveryQueue,
    C: Clock,
{
    let task = match DeliveryTask::decode(received.body) {
        Ok(task) => task,
        Err(e) => {
            // Left to SQS: it comes back until redrive moves it to the DLQ, where an operator can see it.
            error!(error = %e, "undecodable delivery task");
            return Disposition::Again;
        }
    };
    let number = task.prior_attempts.saturating_add(received.receive_count.max(1));
    let span = info_span!(
        "delivery",
        tenant_id = %task.tenant_id,
        message_id = %task.message_id,
        endpoint_id = %task.endpoint_id,
        attempt = number,
    );
    async {
        attempt(deps, &task, number, received).await.unwrap_or_else(|e| {
            error!(error = %e, source = ?std::error::Error::source(&e), "delivery could not be completed");
            Disposition::Again
        })
    }
    .instrument(span)
    .await
}

async fn attempt<S, H, Q, C>(
    deps: &DeliveryDeps<S, H, Q, C>,
    task: &Deliver,
    number: u32,
    received: ReceivedTask<'_>,
) -> Result<Disposition, DeliveryError>
where
    S: EndpointStore + AttemptStore + RateLimiter,
    H: WebhookSender,
    Q: DeliveryQueue,
    C: Clock,
{
    let endpoint = deps.store.get_endpoint(&task.tenant_id, &task.endpoint_id).await?;
    let schedule =
        endpoint.as_ref().and_then(|e| e.retry_schedule.as_ref()).unwrap_or(&deps.settings.schedule);
    if number > schedule.attempts() {
        // Received again after its last attempt (its final failure was recorded then): hand it to redrive.
        warn!("attempts exhausted; leaving the message to SQS redrive");
        deps.queue.retry_after(received.receipt_handle, Duration::ZERO).await?;
        return Ok(Disposition::Again);
    }
    let was_failing = endpoint.as_ref().is_some_and(|e| e.failing_since_ms.is_some());
    // The attempt starts now: the rate limit counts it in this second, and the log shows the same time.
    let started_at_ms = deps.clock.now_ms();
    let (outcome, verdict) = match &endpoint {
        None => (None, Verdict::settled(DeliveryState::Abandoned, Some(ErrorCode::EndpointDeleted))),
        Some(endpoint) if !endpoint.enabled => {
            (None, Verdict::settled(DeliveryState::Abandoned, Some(ErrorCode::EndpointDisabled)))
        }
        Some(endpoint) => {
            let _slot = match admit(deps, endpoint, started_at_ms).await? {
                Ok(slot) => slot,
                Err(throttle) => return put_back(deps, task, number, throttle, received).await,
            };
            let outcome = deps.sender.send(record::signed(task, endpoint, deps.clock.now_ms())).await;
            let verdict = judge(&outcome, number, schedule, deps.clock.now_ms(), &mut rand::rng());
            (Some(outcome), verdict)
        }
    };

    let attempt = record::attempt_record(task, number, started_at_ms, outcome.as_ref(), &verdict);
    deps.store.record_attempt(&attempt).await?;
    info!(
        state = ?verdict.state,
        error_code = verdict.error_code.map(ErrorCode::as_str),
        status = attempt.status_code,
        latency_ms = attempt.latency_ms,
        retry_in_s = verdict.retry_in.map(|d| d.as_secs()),
        "attempt recorded"
    );
    let unhealthy = match (&outcome, verdict.state) {
        (Some(_), DeliveryState::Succeeded) if was_failing => {
            deps.store.record_endpoint_success(&task.tenant_id, &task.endpoint_id).await?;
            None
        }
        (Some(_), DeliveryState::Retrying | DeliveryState::DeadLettered | DeliveryState::Abandoned) => {
            failing_too_long(deps, task, started_at_ms).await?
        }
        _ => None,
    };
    let disabled = verdict.disable_because.map(str::to_owned).or(unhealthy);
    if let Some(reason) = &disabled {
        match deps.store.disable_endpoint(&task.tenant_id, &task.endpoint_id, reason).await {
            Ok(()) | Err(StoreError::NoSuchEndpoint(_)) => warn!(reason, "endpoint disabled"),
            Err(e) => return Err(e.into()),
        }
    }
    let latency_ms = outcome.as_ref().map(|_| attempt.latency_ms as f64);
    deps.metrics.emit(&task.tenant_id, &counts(verdict.state, latency_ms, disabled.is_some()), started_at_ms);
    match (verdict.state, verdict.retry_in) {
        (DeliveryState::Retrying, Some(delay)) => {
            deps.queue.retry_after(received.receipt_handle, delay).await?;
            Ok(Disposition::Again)
        }
        (DeliveryState::DeadLettered, _) => {
            // Visible again at once, so the next receives exceed maxReceiveCount and redrive moves it.
            deps.queue.retry_after(received.receipt_handle, Duration::ZERO).await?;
            Ok(Disposition::Again)
        }
        _ => Ok(Disposition::Done),
    }
}

/// A place in the endpoint's in-flight bound and, if it has a rate limit, one delivery of this second's
/// budget; or why not. The local bound is checked first, so a refused delivery spends no budget.
async fn admit<S, H, Q, C>(
    deps: &DeliveryDeps<S, H, Q, C>,
    endpoint: &Endpoint,
    now_ms: i64,
) -> Result<Result<Slot, Throttle>, StoreError>
where
    S: RateLimiter,
{
    let Some(slot) = deps.in_flight.try_acquire(&endpoint.id) else {
        return Ok(Err(Throttle::Concurrency));
    };
    if let Some(per_second) = endpoint.rate_limit {
        let bucket = RateBucket::Endpoint(endpoint.tenant_id.clone(), endpoint.id.clone());
        if !deps.store.admit(&bucket, 1, per_second, now_ms).await? {
            return Ok(Err(Throttle::RateLimit));
        }
    }
    Ok(Ok(slot))
}

/// Puts a throttled delivery back as a new message that carries the attempts made so far, so waiting
/// neither counts as an attempt nor uses up the receives SQS redrive counts. If SQS refuses the send,
/// the record itself comes back after the delay instead (then that receive counts as an attempt).
async fn put_back<S, H, Q, C>(
    deps: &DeliveryDeps<S, H, Q, C>,
    task: &Deliver,
    number: u32,
    throttle: Throttle,
    received: ReceivedTask<'_>,
) -> Result<Disposition, DeliveryError>
where
    Q: DeliveryQueue,
    C: Clock,
{
    let delay = throttle_delay(task.throttles, &mut rand::rng());
    let again =
        Deliver { prior_attempts: number - 1, throttles: task.throttles.saturating_add(1), ..task.clone() };
    let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
    match deps.queue.requeue(&again, delay).await {
        Ok(()) => {
            info!(throttle = throttle.as_str(), delay_ms, throttles = again.throttles, "delivery throttled");
            deps.metrics.emit(&task.tenant_id, &[(Metric::DeliveriesThrottled, 1.0)], deps.clock.now_ms());
            Ok(Disposition::Done)
        }
        Err(e) => {
            warn!(throttle = throttle.as_str(), error = %e, "could not put a throttled delivery back");
            deps.queue.retry_after(received.receipt_handle, delay).await?;
            Ok(Disposition::Again)
        }
    }
}

/// What one attempt adds to the metrics.
fn counts(state: DeliveryState, latency_ms: Option<f64>, disabled: bool) -> Vec<(Metric, f64)> {
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

/// Counts this failure against the endpoint; the reason to disable it if it has now been failing, without
/// one success, for longer than the configured window.
async fn failing_too_long<S, H, Q, C>(
    deps: &DeliveryDeps<S, H, Q, C>,
    task: &Deliver,
    at_ms: i64,
) -> Result<Option<String>, StoreError>
where
    S: EndpointStore,
{
    let since = match deps.store.record_endpoint_failure(&task.tenant_id, &task.endpoint_id, at_ms).await {
        Ok(since) => since,
        Err(StoreError::NoSuchEndpoint(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let window_ms = i64::try_from(deps.settings.disable_after.as_millis()).unwrap_or(i64::MAX);
    Ok((at_ms - since >= window_ms).then(|| {
        let window = humantime::format_duration(deps.settings.disable_after);
        format!("every delivery failed since {} (longer than {window})", rfc3339(since))
    }))
}

#[cfg(test)]
mod tests;
