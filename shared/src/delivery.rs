//! One delivery attempt, from a received queue record to a recorded attempt and a queue disposition.

use std::time::Duration;

use rand::Rng;
use tracing::{Instrument as _, error, info, info_span, warn};

use crate::clock::{Clock, rfc3339};
use crate::ids::AttemptId;
use crate::model::{Attempt, DeliveryState, Endpoint, ErrorCode};
use crate::queue::{DeliveryQueue, QueueError};
use crate::retry::{RetrySchedule, SLOW_DOWN_FLOOR, honour_retry_after, parse_retry_after};
use crate::sender::{OutgoingWebhook, SendFailure, WebhookResponse, WebhookSender};
use crate::signing::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, signature_header};
use crate::store::{AttemptStore, EndpointStore, StoreError};
use crate::task::{DeliverV1, DeliveryTask};

#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub schedule: RetrySchedule,
    /// How many deliveries of one batch run at once.
    pub concurrency: usize,
    /// An endpoint failing without a single success for this long is disabled.
    pub disable_after: Duration,
}

/// Everything a delivery needs, generic over the ports so unit tests run on in-memory fakes.
#[derive(Debug, Clone)]
pub struct DeliveryDeps<S, H, Q, C> {
    pub store: S,
    pub sender: H,
    pub queue: Q,
    pub clock: C,
    pub settings: DeliverySettings,
}

/// One record as the queue handed it over.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedTask<'a> {
    pub body: &'a str,
    pub receipt_handle: &'a str,
    /// SQS's ApproximateReceiveCount: the attempt number.
    pub receive_count: u32,
}

/// What the queue should do with the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Delivered, or given up on for good: delete it.
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

/// How an attempt ended and what follows from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub state: DeliveryState,
    pub error_code: Option<ErrorCode>,
    pub retry_in: Option<Duration>,
    pub disable_because: Option<&'static str>,
}

impl Verdict {
    fn settled(state: DeliveryState, error_code: Option<ErrorCode>) -> Self {
        Self { state, error_code, retry_in: None, disable_because: None }
    }
}

/// Applies the response rules: 2xx succeeds; 410 disables the endpoint; a refused target is not retried;
/// 429/502/503/504 and timeouts wait at least a minute; `Retry-After` is honoured within bounds.
pub fn judge(
    outcome: &Result<WebhookResponse, SendFailure>,
    attempt: u32,
    schedule: &RetrySchedule,
    now_ms: i64,
    rng: &mut impl Rng,
) -> Verdict {
    let (code, slow_down, asked) = match outcome {
        Ok(response) if (200..300).contains(&response.status) => {
            return Verdict::settled(DeliveryState::Succeeded, None);
        }
        Ok(response) if response.status == 410 => {
            return Verdict {
                disable_because: Some("the endpoint answered 410 Gone"),
                ..Verdict::settled(DeliveryState::Abandoned, Some(ErrorCode::HttpStatus))
            };
        }
        Ok(response) => {
            let slow_down = matches!(response.status, 429 | 502 | 503 | 504);
            let asked = response.retry_after.as_deref().and_then(|v| parse_retry_after(v, now_ms));
            (ErrorCode::HttpStatus, slow_down, asked)
        }
        Err(failure) if matches!(failure.code, ErrorCode::Blocked | ErrorCode::InvalidUrl) => {
            return Verdict::settled(DeliveryState::Abandoned, Some(failure.code));
        }
        Err(failure) => (failure.code, failure.code == ErrorCode::Timeout, None),
    };
    let Some(jittered) = schedule.delay_after(attempt, rng) else {
        return Verdict::settled(DeliveryState::DeadLettered, Some(code));
    };
    let base = schedule.base_delay_after(attempt).unwrap_or_default();
    let delay = match asked {
        Some(asked) => honour_retry_after(base, asked),
        None if slow_down => jittered.max(SLOW_DOWN_FLOOR),
        None => jittered,
    };
    Verdict { retry_in: Some(delay), ..Verdict::settled(DeliveryState::Retrying, Some(code)) }
}

/// Handles one received record; never fails: problems become a disposition and a log line.
pub async fn deliver<S, H, Q, C>(deps: &DeliveryDeps<S, H, Q, C>, received: ReceivedTask<'_>) -> Disposition
where
    S: EndpointStore + AttemptStore,
    H: WebhookSender,
    Q: DeliveryQueue,
    C: Clock,
{
    let task = match DeliveryTask::decode(received.body) {
        Ok(DeliveryTask::DeliverV1(task)) => task,
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
        attempt = received.receive_count,
    );
    async {
        attempt(deps, &task, received).await.unwrap_or_else(|e| {
            error!(error = %e, source = ?std::error::Error::source(&e), "delivery could not be completed");
            Disposition::Again
        })
    }
    .instrument(span)
    .await
}

async fn attempt<S, H, Q, C>(
    deps: &DeliveryDeps<S, H, Q, C>,
    task: &DeliverV1,
    received: ReceivedTask<'_>,
) -> Result<Disposition, DeliveryError>
where
    S: EndpointStore + AttemptStore,
    H: WebhookSender,
    Q: DeliveryQueue,
    C: Clock,
{
    let number = received.receive_count.max(1);
    if number > deps.settings.schedule.attempts() {
        // Received again after its last attempt (its final failure was recorded then): hand it to redrive.
        warn!("attempts exhausted; leaving the message to SQS redrive");
        deps.queue.retry_after(received.receipt_handle, Duration::ZERO).await?;
        return Ok(Disposition::Again);
    }
    let started_at_ms = deps.clock.now_ms();
    let endpoint = deps.store.get_endpoint(&task.tenant_id, &task.endpoint_id).await?;
    let was_failing = endpoint.as_ref().is_some_and(|e| e.failing_since_ms.is_some());
    let (outcome, verdict) = match endpoint {
        None => (None, Verdict::settled(DeliveryState::Abandoned, Some(ErrorCode::EndpointDeleted))),
        Some(endpoint) if !endpoint.enabled => {
            (None, Verdict::settled(DeliveryState::Abandoned, Some(ErrorCode::EndpointDisabled)))
        }
        Some(endpoint) => {
            let outcome = deps.sender.send(signed(task, &endpoint, deps.clock.now_ms())).await;
            let verdict =
                judge(&outcome, number, &deps.settings.schedule, deps.clock.now_ms(), &mut rand::rng());
            (Some(outcome), verdict)
        }
    };

    let record = attempt_record(task, number, started_at_ms, outcome.as_ref(), &verdict);
    deps.store.record_attempt(&record).await?;
    info!(
        state = ?verdict.state,
        error_code = verdict.error_code.map(ErrorCode::as_str),
        status = record.status_code,
        latency_ms = record.latency_ms,
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
    if let Some(reason) = verdict.disable_because.map(str::to_owned).or(unhealthy) {
        match deps.store.disable_endpoint(&task.tenant_id, &task.endpoint_id, &reason).await {
            Ok(()) | Err(StoreError::NoSuchEndpoint(_)) => warn!(reason, "endpoint disabled"),
            Err(e) => return Err(e.into()),
        }
    }
    match (verdict.state, verdict.retry_in) {
        (DeliveryState::Retrying, Some(delay)) => {
            deps.queue.retry_after(received.receipt_handle, delay).await?;
            Ok(Disposition::Again)
        }
        (DeliveryState::DeadLettered, _) => {
            // Visible again at once, so the next receive exceeds maxReceiveCount and redrive moves it.
            deps.queue.retry_after(received.receipt_handle, Duration::ZERO).await?;
            Ok(Disposition::Again)
        }
        _ => Ok(Disposition::Done),
    }
}

/// Counts this failure against the endpoint; the reason to disable it if it has now been failing, without
/// one success, for longer than the configured window.
async fn failing_too_long<S, H, Q, C>(
    deps: &DeliveryDeps<S, H, Q, C>,
    task: &DeliverV1,
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

fn signed(task: &DeliverV1, endpoint: &Endpoint, now_ms: i64) -> OutgoingWebhook {
    let id = task.message_id.as_str();
    let now_secs = now_ms.div_euclid(1000);
    // Expiry is in milliseconds: a secret rotated out mid-second must not sign for the rest of it.
    let signature = signature_header(endpoint.signing_secrets(now_ms), id, now_secs, task.body.as_bytes());
    // The endpoint's own headers go first; their names were checked against the reserved ones on write.
    let mut headers: Vec<(String, String)> =
        endpoint.headers.iter().map(|(name, value)| (name.clone(), value.clone())).collect();
    headers.extend([
        ("content-type".to_owned(), "application/json".to_owned()),
        (HEADER_ID.to_owned(), id.to_owned()),
        (HEADER_TIMESTAMP.to_owned(), now_secs.to_string()),
        (HEADER_SIGNATURE.to_owned(), signature),
    ]);
    OutgoingWebhook { url: endpoint.url.clone(), headers, body: task.body.clone() }
}

fn attempt_record(
    task: &DeliverV1,
    number: u32,
    started_at_ms: i64,
    outcome: Option<&Result<WebhookResponse, SendFailure>>,
    verdict: &Verdict,
) -> Attempt {
    let (status_code, response_body, error_detail, latency) = match outcome {
        Some(Ok(response)) => (Some(response.status), Some(response.body.clone()), None, response.latency),
        Some(Err(failure)) => (None, None, Some(failure.detail.clone()), failure.latency),
        None => (None, None, None, Duration::ZERO),
    };
    let retry_ms = verdict.retry_in.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Attempt {
        id: AttemptId::generate(),
        tenant_id: task.tenant_id.clone(),
        message_id: task.message_id.clone(),
        endpoint_id: task.endpoint_id.clone(),
        number,
        started_at_ms,
        latency_ms: u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
        state: verdict.state,
        status_code,
        error_code: verdict.error_code,
        error_detail,
        response_body,
        next_attempt_at_ms: retry_ms.map(|ms| started_at_ms.saturating_add(ms)),
    }
}

#[cfg(test)]
#[path = "delivery_tests.rs"]
mod tests;
