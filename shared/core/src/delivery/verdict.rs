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
    Verdict { retry_in: Some(whole_seconds(delay)), ..Verdict::settled(DeliveryState::Retrying, Some(code)) }
}

/// Rounded up to whole seconds, the unit of SQS's visibility timeout: a jittered `1s` step may come out at
/// 0.9 s, which SQS would otherwise take as "now".
fn whole_seconds(delay: Duration) -> Duration {
    let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
    Duration::from_secs(millis.div_ceil(1000))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn failed() -> Result<WebhookResponse, SendFailure> {
        Ok(WebhookResponse { status: 500, body: String::new(), retry_after: None, latency: Duration::ZERO })
    }

    #[test]
    fn a_jittered_one_second_step_is_never_rounded_down_to_zero() {
        let schedule = RetrySchedule::parse("0s,1s").unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let verdict = judge(&failed(), 1, &schedule, 0, &mut rng);
            let delay = verdict.retry_in.unwrap();
            assert!(delay == Duration::from_secs(1) || delay == Duration::from_secs(2), "{delay:?}");
        }
    }

    #[test]
    fn every_retry_delay_is_whole_seconds() {
        let schedule = RetrySchedule::parse("0s,7s,5m").unwrap();
        let mut rng = StdRng::seed_from_u64(11);
        for attempt in [1, 2] {
            let delay = judge(&failed(), attempt, &schedule, 0, &mut rng).retry_in.unwrap();
            assert_eq!(delay.subsec_nanos(), 0, "{delay:?}");
        }
    }
}
