//! What an attempt sends (the signed request) and what it leaves in the attempt log.

use std::time::Duration;

use super::outcome::{OutgoingWebhook, SendFailure, WebhookResponse};
use super::verdict::Verdict;
use crate::ids::AttemptId;
use crate::model::{Attempt, Endpoint};
use crate::signing::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use crate::task::Deliver;

/// The request for this attempt: the endpoint's own headers, then the Standard Webhooks headers, signed
/// with every secret still live at `now_ms`.
pub fn signed(task: &Deliver, endpoint: &Endpoint, now_ms: i64) -> OutgoingWebhook {
    let id = task.message_id.as_str();
    let now_secs = now_ms.div_euclid(1000);
    // Expiry is in milliseconds: a secret rotated out mid-second must not sign for the rest of it.
    let signature = endpoint.signature_header(now_ms, id, now_secs, task.body.as_bytes());
    // The endpoint's own headers go first; their names were checked against the reserved ones on write.
    let mut headers = endpoint.own_headers();
    headers.extend([
        ("content-type".to_owned(), "application/json".to_owned()),
        (HEADER_ID.to_owned(), id.to_owned()),
        (HEADER_TIMESTAMP.to_owned(), now_secs.to_string()),
        (HEADER_SIGNATURE.to_owned(), signature),
    ]);
    OutgoingWebhook { url: endpoint.url.clone(), headers, body: task.body.clone() }
}

/// What the attempt log keeps of this attempt, as entry `ledger_seq` of its delivery's ledger.
pub fn attempt_record(
    task: &Deliver,
    number: u32,
    ledger_seq: u32,
    started_at_ms: i64,
    outcome: Option<&Result<WebhookResponse, SendFailure>>,
    verdict: &Verdict,
    queue_message_id: &str,
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
        queue_message_id: Some(queue_message_id.to_owned()),
        ledger_seq,
    }
}
