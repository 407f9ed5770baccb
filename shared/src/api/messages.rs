//! Bodies of the attempt log, recovery and endpoint testing routes.

use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::clock::rfc3339;
use crate::error::ServiceError;
use crate::event_type::EventType;
use crate::ids::{AttemptId, EndpointId, MessageId};
use crate::model::{Attempt, DeliveryState, ErrorCode, Message};

/// The query of a time-ordered listing, as sent: `since` and `until` are RFC 3339 (`since` inclusive,
/// `until` exclusive), `cursor` the previous page's `next_cursor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogQuery<'a> {
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub limit: u32,
    pub cursor: Option<&'a str>,
}

/// Milliseconds since the epoch of an RFC 3339 timestamp (`Z` or a `±hh:mm` offset; any fraction).
pub fn parse_time(field: &str, text: &str) -> Result<i64, ServiceError> {
    let invalid =
        || ServiceError::Invalid(format!("{field} must be an RFC 3339 time such as 2025-01-31T12:00:00Z"));
    let text = text.trim();
    let (utc, offset_secs) = match text.len().checked_sub(6).and_then(|at| text.get(at..).map(|o| (at, o))) {
        Some((at, offset)) if offset.starts_with(['+', '-']) && offset.as_bytes().get(3) == Some(&b':') => {
            let hours: i64 = offset.get(1..3).and_then(|h| h.parse().ok()).ok_or_else(invalid)?;
            let minutes: i64 = offset.get(4..6).and_then(|m| m.parse().ok()).ok_or_else(invalid)?;
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            (format!("{}Z", &text[..at]), sign * (hours * 3600 + minutes * 60))
        }
        _ => (text.replace('z', "Z"), 0),
    };
    let at = humantime::parse_rfc3339(&utc.replacen('t', "T", 1)).map_err(|_| invalid())?;
    let ms = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_millis();
    let ms = i64::try_from(ms).map_err(|_| invalid())?;
    Ok(ms - offset_secs * 1000)
}

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestEventSent {
    pub id: MessageId,
    pub endpoint_id: EndpointId,
    pub event_type: EventType,
}

/// The three requests of a verification probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeCase {
    /// Signed with the endpoint's secret, timestamped now: a verifying receiver accepts it.
    Valid,
    /// Signed with a random secret: a verifying receiver refuses it.
    BadSignature,
    /// Correctly signed, with a timestamp ten minutes old: a verifying receiver refuses it.
    StaleTimestamp,
}

impl ProbeCase {
    pub const ALL: [Self; 3] = [Self::Valid, Self::BadSignature, Self::StaleTimestamp];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::BadSignature => "bad_signature",
            Self::StaleTimestamp => "stale_timestamp",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeCheck {
    pub case: ProbeCase,
    /// The status the endpoint answered; `null` when no answer came (see `error_code`).
    pub status: Option<u16>,
    /// Whether the endpoint answered 2xx.
    pub accepted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<ErrorCode>,
    pub latency_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub endpoint_id: EndpointId,
    /// True only if the endpoint accepted the valid request and refused both forged ones.
    pub verifies_signatures: bool,
    pub checks: Vec<ProbeCheck>,
    /// What the checks mean, in a sentence.
    pub verdict: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_parse_with_z_offsets_and_fractions() {
        let at = 1_738_324_800_000; // 2025-01-31T12:00:00Z
        assert_eq!(parse_time("since", "2025-01-31T12:00:00Z").unwrap(), at);
        assert_eq!(parse_time("since", "2025-01-31T12:00:00.250Z").unwrap(), at + 250);
        assert_eq!(parse_time("since", "2025-01-31T14:00:00+02:00").unwrap(), at);
        assert_eq!(parse_time("since", "2025-01-31T11:30:00-00:30").unwrap(), at);
        assert_eq!(parse_time("since", "2025-01-31t12:00:00z").unwrap(), at);
        for bad in ["yesterday", "2025-01-31", "2025-01-31T12:00:00", "2025-01-31T12:00:00+2:00", ""] {
            let error = parse_time("since", bad).unwrap_err();
            assert!(error.to_string().contains("since must be an RFC 3339 time"), "{bad}");
        }
    }
}
