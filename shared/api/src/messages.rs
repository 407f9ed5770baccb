//! Bodies of the attempt log, recovery and endpoint testing routes.

use hookline::attempt_log::MessageHistory;
use hookline::probe::{ProbeCase, ProbeReport};
use hookline::recovery;
use hookline_core::event_types::EventType;
use hookline_core::ids::{AttemptId, EndpointId, MessageId};
use hookline_core::model::{Attempt, DeliveryState, ErrorCode, Message};
use hookline_core::time::rfc3339;
use serde::{Deserialize, Serialize};

use crate::encode_cursor;

/// A message in a listing (the payload only in [`MessageDetail`], so a page stays small).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    pub id: MessageId,
    pub event_type: EventType,
    pub created_at: String,
    /// How many endpoints the event fanned out to when it was accepted.
    pub endpoints: usize,
}

impl MessageSummary {
    pub fn of(message: &Message) -> Self {
        Self {
            id: message.id.clone(),
            event_type: message.event_type.clone(),
            created_at: rfc3339(message.created_at_ms),
            endpoints: message.endpoint_ids.len(),
        }
    }
}

/// One message with where it stands with each endpoint and every attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageDetail {
    pub id: MessageId,
    pub event_type: EventType,
    pub created_at: String,
    /// The payload as the producer sent it (delivered as the envelope's `data`).
    pub payload: serde_json::Value,
    pub deliveries: Vec<DeliveryView>,
}

impl MessageDetail {
    pub fn of(history: &MessageHistory) -> Self {
        let message = &history.message;
        Self {
            id: message.id.clone(),
            event_type: message.event_type.clone(),
            created_at: rfc3339(message.created_at_ms),
            payload: history.payload.clone(),
            deliveries: history
                .deliveries
                .iter()
                .map(|delivery| DeliveryView {
                    endpoint_id: delivery.endpoint_id.clone(),
                    state: delivery.state,
                    attempts: delivery.attempts.iter().map(AttemptView::of).collect(),
                })
                .collect(),
        }
    }
}

/// Where a message stands with one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub endpoint_id: EndpointId,
    /// The latest attempt's state; `pending` before the first attempt and while a resend waits.
    pub state: DeliveryState,
    /// Oldest first.
    pub attempts: Vec<AttemptView>,
}

/// One attempt as the API shows it. Absent values are `null`, so every attempt has the same fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub id: AttemptId,
    pub message_id: MessageId,
    pub endpoint_id: EndpointId,
    pub number: u32,
    pub state: DeliveryState,
    pub status_code: Option<u16>,
    pub error_code: Option<ErrorCode>,
    pub error_detail: Option<String>,
    pub latency_ms: u64,
    pub started_at: String,
    pub response_body: Option<String>,
    pub next_attempt_at: Option<String>,
}

impl AttemptView {
    pub fn of(attempt: &Attempt) -> Self {
        Self {
            id: attempt.id.clone(),
            message_id: attempt.message_id.clone(),
            endpoint_id: attempt.endpoint_id.clone(),
            number: attempt.number,
            state: attempt.state,
            status_code: attempt.status_code,
            error_code: attempt.error_code,
            error_detail: attempt.error_detail.clone(),
            latency_ms: attempt.latency_ms,
            started_at: rfc3339(attempt.started_at_ms),
            response_body: attempt.response_body.clone(),
            next_attempt_at: attempt.next_attempt_at_ms.map(rfc3339),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResendMessage {
    pub endpoint_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resent {
    pub message_id: MessageId,
    pub endpoint_id: EndpointId,
}

impl Resent {
    pub fn of(resent: &recovery::Resent) -> Self {
        Self { message_id: resent.message_id.clone(), endpoint_id: resent.endpoint_id.clone() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoverEndpoint {
    /// RFC 3339: deliveries whose failure was recorded at or after this time are sent again.
    pub since: String,
    /// The previous answer's `next_cursor`, to continue a recovery larger than one call.
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovered {
    /// Deliveries queued again by this call.
    pub resent: usize,
    /// Set when this call stopped early: send the same request with this `cursor` to go on.
    pub next_cursor: Option<String>,
}

impl Recovered {
    pub fn of(recovered: &recovery::Recovered) -> Self {
        Self { resent: recovered.resent, next_cursor: recovered.next.as_deref().map(encode_cursor) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestEventSent {
    pub id: MessageId,
    pub endpoint_id: EndpointId,
    pub event_type: EventType,
}

impl TestEventSent {
    pub fn of(sent: &recovery::TestEventSent) -> Self {
        Self {
            id: sent.id.clone(),
            endpoint_id: sent.endpoint_id.clone(),
            event_type: sent.event_type.clone(),
        }
    }
}

/// The three requests of a verification probe, as the API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeCaseView {
    Valid,
    BadSignature,
    StaleTimestamp,
}

impl From<ProbeCase> for ProbeCaseView {
    fn from(case: ProbeCase) -> Self {
        match case {
            ProbeCase::Valid => Self::Valid,
            ProbeCase::BadSignature => Self::BadSignature,
            ProbeCase::StaleTimestamp => Self::StaleTimestamp,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeCheckView {
    pub case: ProbeCaseView,
    /// The status the endpoint answered; `null` when no answer came (see `error_code`).
    pub status: Option<u16>,
    /// Whether the endpoint answered 2xx.
    pub accepted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<ErrorCode>,
    pub latency_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReportView {
    pub endpoint_id: EndpointId,
    /// True only if the endpoint accepted the valid request and refused both forged ones.
    pub verifies_signatures: bool,
    pub checks: Vec<ProbeCheckView>,
    /// What the checks mean, in a sentence.
    pub verdict: String,
}

impl ProbeReportView {
    pub fn of(report: &ProbeReport) -> Self {
        Self {
            endpoint_id: report.endpoint_id.clone(),
            verifies_signatures: report.verifies_signatures,
            checks: report
                .checks
                .iter()
                .map(|check| ProbeCheckView {
                    case: check.case.into(),
                    status: check.status,
                    accepted: check.accepted,
                    error_code: check.error_code,
                    latency_ms: check.latency_ms,
                })
                .collect(),
            verdict: report.verdict.clone(),
        }
    }
}
