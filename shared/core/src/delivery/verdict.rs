//! The response rules: what an attempt's outcome means for the delivery and for the endpoint.

use std::time::Duration;

use rand::Rng;

use super::outcome::{SendFailure, WebhookResponse};
use crate::model::{DeliveryState, ErrorCode};
use crate::retry::{RetrySchedule, SLOW_DOWN_FLOOR, honour_retry_after, parse_retry_after};

/// How an attempt ended and what follows from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub state: DeliveryState,
    pub error_code: Option<ErrorCode>,
    pub retry_in: Option<Duration>,
    pub disable_because: Option<&'static str>,
}

impl Verdict {
    pub fn settled(state: DeliveryState, error_code: Option<ErrorCode>) -> Self {
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
