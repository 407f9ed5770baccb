//! One delivery attempt, from a received queue record to a recorded attempt and a queue disposition.

mod attempt_metrics;
mod endpoint_cache;
mod in_flight;
mod throttling;

use std::time::Duration;

use tracing::{Instrument as _, Span, error, info, info_span, warn};

use hookline_core::delivery::ledger::{Step, needs_fresh_message, next_entry, next_step};
use hookline_core::delivery::{Verdict, attempt_record, judge, signed};
use hookline_core::model::{DeliveryState, Endpoint, ErrorCode};
use hookline_core::retry::RetrySchedule;
use hookline_core::task::{Deliver, DeliveryTask};
use hookline_core::time::rfc3339;

use self::attempt_metrics::counts;
use self::endpoint_cache::EndpointCache;
use self::in_flight::InFlight;
use crate::clock::Clock as _;
use crate::metrics::Metrics;
use crate::oauth_tokens::OAuthTokens;
use crate::ports::Ports;
use crate::queue::{DeliveryQueue as _, MAX_SEND_DELAY, QueueError};
use crate::store::{AttemptStore as _, EndpointStore as _, LogStore as _, StoreError};

#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// The deployment's schedule; an endpoint may set a shorter one of its own.
    pub schedule: RetrySchedule,
    /// How many deliveries of one batch run at once.
    pub concurrency: usize,
    /// How many deliveries to one endpoint this instance runs at once; more wait a moment for a slot
    /// ([`in_flight::SLOT_WAIT`]), then are put back.
    pub endpoint_concurrency: usize,
    /// An endpoint failing without a single success for this long is disabled.
    pub disable_after: Duration,
    /// Where the metrics go (CloudWatch EMF on stdout in Lambda).
    pub metrics: Metrics,
    /// The delivery queue's `maxReceiveCount`: past it SQS moves a message to the dead-letter queue, so a
    /// record that still has attempts left goes on as a new message before it gets there.
    pub max_receive_count: u32,
    /// How long an endpoint read by this instance is used before it is read again: the longest a change
    /// to an endpoint (secret, URL, disabled, deleted) takes to reach its deliveries. Zero reads it for
    /// every attempt.
    pub endpoint_cache: Duration,
}

/// Everything a delivery needs.
pub struct Delivery<P: Ports> {
    store: P::Store,
    queue: P::Queue,
    sender: P::Sender,
    clock: P::Clock,
    settings: DeliverySettings,
    in_flight: InFlight,
    /// OAuth2 tokens held for endpoints in this instance.
    tokens: OAuthTokens,
    endpoints: EndpointCache,
}

impl<P: Ports> Delivery<P> {
    pub fn new(
        store: P::Store,
        queue: P::Queue,
        sender: P::Sender,
        clock: P::Clock,
        settings: DeliverySettings,
    ) -> Self {
        let in_flight = InFlight::new(settings.endpoint_concurrency);
        let endpoints = EndpointCache::new(settings.endpoint_cache);
        Self { store, queue, sender, clock, settings, in_flight, tokens: OAuthTokens::default(), endpoints }
    }

    pub fn settings(&self) -> &DeliverySettings {
        &self.settings
    }

    /// The store, for tests that read what deliveries recorded.
    pub fn store(&self) -> &P::Store {
        &self.store
    }

    /// The queue, for tests that look at what was put back.
    pub fn queue(&self) -> &P::Queue {
        &self.queue
    }

    /// The sender, for tests that look at what was sent.
    pub fn tokens(&self) -> &OAuthTokens {
        &self.tokens
    }

    pub fn sender(&self) -> &P::Sender {
        &self.sender
    }
}

impl<P: Ports> std::fmt::Debug for Delivery<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("store", &self.store)
            .field("queue", &self.queue)
            .field("sender", &self.sender)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// One record as the queue handed it over.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedTask<'a> {
    pub body: &'a str,
    pub receipt_handle: &'a str,
    /// The SQS message id: tells a redriven copy from the dead-lettered message itself.
    pub queue_message_id: &'a str,
    /// SQS's ApproximateReceiveCount: not an attempt number (the ledger has those), only how close the
    /// message is to redrive.
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

impl<P: Ports> Delivery<P> {
    /// Handles one received record; never fails: problems become a disposition and a log line.
    pub async fn deliver(&self, received: ReceivedTask<'_>) -> Disposition {
        let task = match DeliveryTask::decode(received.body) {
            Ok(task) => task,
            Err(e) => {
                // Left to SQS: it comes back until redrive moves it to the DLQ, where an operator can see it.
                error!(error = %e, "undecodable delivery task");
                return Disposition::Again;
            }
        };
        let span = info_span!(
            "delivery",
            tenant_id = %task.tenant_id,
            message_id = %task.message_id,
            endpoint_id = %task.endpoint_id,
            attempt = tracing::field::Empty,
        );
        async {
            self.take_step(&task, received).await.unwrap_or_else(|e| {
                error!(error = %e, source = ?std::error::Error::source(&e), "delivery could not be completed");
                Disposition::Again
            })
        }
        .instrument(span)
        .await
    }

    /// Reads the ledger and does what it says: an attempt, nothing, the way to the DLQ, or a later offer.
    async fn take_step(
        &self,
        task: &Deliver,
        received: ReceivedTask<'_>,
    ) -> Result<Disposition, DeliveryError> {
        let latest = self.store.latest_delivery(&task.tenant_id, &task.message_id, &task.endpoint_id).await?;
        match next_step(latest.as_ref(), received.queue_message_id, self.clock.now_ms()) {
            Step::Attempt { number } => {
                Span::current().record("attempt", number);
                self.attempt(task, number, next_entry(latest.as_ref()), received).await
            }
            Step::Settled(state) => {
                info!(?state, "already settled; nothing sent");
                Ok(Disposition::Done)
            }
            Step::Superseded => {
                info!("taken over by a resend; nothing sent");
                Ok(Disposition::Done)
            }
            Step::ToDeadLetters => {
                // Visible again at once, so its receives pass maxReceiveCount and redrive moves it.
                self.queue.retry_after(received.receipt_handle, Duration::ZERO).await?;
                Ok(Disposition::Again)
            }
            Step::NotDue { wait } => {
                info!(
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "received before its retry is due"
                );
                self.offer_later(task, received, wait).await
            }
        }
    }

    async fn attempt(
        &self,
        task: &Deliver,
        number: u32,
        ledger_seq: u32,
        received: ReceivedTask<'_>,
    ) -> Result<Disposition, DeliveryError> {
        let endpoint = self.endpoint(task).await?;
        let schedule =
            endpoint.as_ref().and_then(|e| e.retry_schedule.as_ref()).unwrap_or(&self.settings.schedule);
        let exhausted = number > schedule.attempts();
        let was_failing = endpoint.as_ref().is_some_and(|e| e.failing_since_ms.is_some());
        // A settled attempt starts now; one that is sent starts once admitted (after any wait for a slot).
        let mut started_at_ms = self.clock.now_ms();
        let (outcome, verdict) = match &endpoint {
            // The endpoint's schedule was shortened below the attempts already made: that was the last.
            _ if exhausted => (None, Verdict::settled(DeliveryState::DeadLettered, None)),
            None => (None, Verdict::settled(DeliveryState::Abandoned, Some(ErrorCode::EndpointDeleted))),
            Some(endpoint) if endpoint.tenant_deleted_at_ms.is_some() => {
                (None, Verdict::settled(DeliveryState::Abandoned, Some(ErrorCode::TenantDeleted)))
            }
            Some(endpoint) if !endpoint.enabled => {
                (None, Verdict::settled(DeliveryState::Abandoned, Some(ErrorCode::EndpointDisabled)))
            }
            Some(endpoint) => {
                let _slot = match self.admit(endpoint).await? {
                    Ok((slot, admitted_at_ms)) => {
                        started_at_ms = admitted_at_ms;
                        slot
                    }
                    Err(throttle) => return self.put_back(task, number, throttle, received).await,
                };
                let now_ms = self.clock.now_ms();
                let outcome =
                    self.tokens.send(&self.sender, endpoint, signed(task, endpoint, now_ms), now_ms).await;
                let verdict = judge(&outcome, number, schedule, self.clock.now_ms(), &mut rand::rng());
                (Some(outcome), verdict)
            }
        };

        let attempt = attempt_record(
            task,
            number,
            ledger_seq,
            started_at_ms,
            outcome.as_ref(),
            &verdict,
            received.queue_message_id,
        );
        self.store.record_attempt(&attempt).await?;
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
                self.store.record_endpoint_success(&task.tenant_id, &task.endpoint_id).await?;
                self.endpoints.forget(&task.tenant_id, &task.endpoint_id);
                None
            }
            (Some(_), DeliveryState::Retrying | DeliveryState::DeadLettered | DeliveryState::Abandoned) => {
                self.failing_too_long(task, started_at_ms).await?
            }
            _ => None,
        };
        let disabled = verdict.disable_because.map(str::to_owned).or(unhealthy);
        if let Some(reason) = &disabled {
            self.endpoints.forget(&task.tenant_id, &task.endpoint_id);
            match self.store.disable_endpoint(&task.tenant_id, &task.endpoint_id, reason).await {
                Ok(()) | Err(StoreError::NoSuchEndpoint(_)) => warn!(reason, "endpoint disabled"),
                Err(e) => return Err(e.into()),
            }
        }
        let latency_ms = outcome.as_ref().map(|_| attempt.latency_ms as f64);
        self.settings.metrics.emit(
            &task.tenant_id,
            &counts(verdict.state, latency_ms, disabled.is_some()),
            started_at_ms,
        );
        match (verdict.state, verdict.retry_in) {
            (DeliveryState::Retrying, Some(delay)) => self.offer_later(task, received, delay).await,
            (DeliveryState::DeadLettered, _) => {
                // Visible again at once, so the next receives exceed maxReceiveCount and redrive moves it.
                self.queue.retry_after(received.receipt_handle, Duration::ZERO).await?;
                Ok(Disposition::Again)
            }
            _ => Ok(Disposition::Done),
        }
    }

    /// The task's endpoint, from this instance's cache while it is fresh.
    async fn endpoint(&self, task: &Deliver) -> Result<Option<Endpoint>, StoreError> {
        let read = || self.store.get_endpoint(&task.tenant_id, &task.endpoint_id);
        self.endpoints.get_or_read(&task.tenant_id, &task.endpoint_id, || self.clock.now_ms(), read).await
    }

    /// Offers the record again after `delay`: by its visibility timeout while it has receives to spare, else
    /// as a new SQS message (whose receive count starts over), so that running out of receives never
    /// dead-letters a delivery that has attempts left. SQS delays a new message by 15 minutes at most; a
    /// longer wait is finished by the ledger's due time when it arrives early.
    async fn offer_later(
        &self,
        task: &Deliver,
        received: ReceivedTask<'_>,
        delay: Duration,
    ) -> Result<Disposition, DeliveryError> {
        if needs_fresh_message(received.receive_count, self.settings.max_receive_count) {
            match self.queue.requeue(task, delay.min(MAX_SEND_DELAY)).await {
                Ok(()) => {
                    info!(receive_count = received.receive_count, "offered again as a new message");
                    return Ok(Disposition::Done);
                }
                Err(e) => {
                    warn!(error = %e, "could not send the record as a new message; using its visibility")
                }
            }
        }
        self.queue.retry_after(received.receipt_handle, delay).await?;
        Ok(Disposition::Again)
    }

    /// Counts this failure against the endpoint; the reason to disable it if it has now been failing, without
    /// one success, for longer than the configured window.
    async fn failing_too_long(&self, task: &Deliver, at_ms: i64) -> Result<Option<String>, StoreError> {
        let recorded = self.store.record_endpoint_failure(&task.tenant_id, &task.endpoint_id, at_ms).await;
        // The endpoint is failing now: the next success must see it so, to clear it.
        self.endpoints.forget(&task.tenant_id, &task.endpoint_id);
        let since = match recorded {
            Ok(since) => since,
            Err(StoreError::NoSuchEndpoint(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let window_ms = i64::try_from(self.settings.disable_after.as_millis()).unwrap_or(i64::MAX);
        Ok((at_ms - since >= window_ms).then(|| {
            let window = humantime::format_duration(self.settings.disable_after);
            format!("every delivery failed since {} (longer than {window})", rfc3339(since))
        }))
    }
}

#[cfg(test)]
mod tests;
