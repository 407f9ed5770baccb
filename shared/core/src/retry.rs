//! When to try again. The delay rides on the SQS message's visibility timeout, so it is capped at
//! SQS's 12 h maximum, and the attempt number comes from the queue's receive count.

use std::time::Duration;

use rand::{Rng, RngExt as _};
use serde::{Deserialize, Serialize};

/// SQS refuses a visibility timeout above 12 hours.
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);

/// ±20 % spreads retries of many messages that failed together (an endpoint outage) over time.
const JITTER_FRACTION: f64 = 0.2;

/// After a timeout or a "slow down" answer (429, 502, 503, 504), wait at least this long.
pub const SLOW_DOWN_FLOOR: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("a retry schedule is a comma-separated list of durations such as `0s,5s,5m,2h`")]
    Unparsable,
    #[error("a retry schedule needs at least one attempt")]
    Empty,
    #[error("a retry delay cannot exceed SQS's 12 h visibility limit")]
    TooLong,
}

/// The delay before each attempt; the first is usually zero. Its length is the number of attempts.
/// Serialized as a list of durations such as `["0s", "5m", "2h"]` (an endpoint's own schedule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct RetrySchedule(Vec<Duration>);

impl TryFrom<Vec<String>> for RetrySchedule {
    type Error = ScheduleError;
    fn try_from(delays: Vec<String>) -> Result<Self, ScheduleError> {
        Self::new(delays.iter().map(|delay| parse_delay(delay)).collect::<Result<_, _>>()?)
    }
}

impl From<RetrySchedule> for Vec<String> {
    fn from(schedule: RetrySchedule) -> Self {
        schedule.0.iter().map(|delay| humantime::format_duration(*delay).to_string()).collect()
    }
}

fn parse_delay(text: &str) -> Result<Duration, ScheduleError> {
    match text.trim() {
        "0" => Ok(Duration::ZERO),
        text => humantime::parse_duration(text).map_err(|_| ScheduleError::Unparsable),
    }
}

impl RetrySchedule {
    /// Standard Webhooks / Svix: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (≈27.6 h in all).
    pub fn standard() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        Self(vec![
            Duration::ZERO,
            Duration::from_secs(5),
            minutes(5),
            minutes(30),
            minutes(120),
            minutes(300),
            minutes(600),
            minutes(600),
        ])
    }

    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        Self::new(text.split(',').map(parse_delay).collect::<Result<_, _>>()?)
    }

    pub fn new(delays: Vec<Duration>) -> Result<Self, ScheduleError> {
        if delays.is_empty() {
            return Err(ScheduleError::Empty);
        }
        if delays.iter().any(|delay| *delay > MAX_VISIBILITY) {
            return Err(ScheduleError::TooLong);
        }
        Ok(Self(delays))
    }

    /// The longest a message can take from its first attempt to its last (every delay jittered up).
    pub fn longest_span(&self) -> Duration {
        self.0.iter().map(|delay| delay.mul_f64(1.0 + JITTER_FRACTION).min(MAX_VISIBILITY)).sum()
    }

    pub fn attempts(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// The nominal delay before attempt `completed + 1`, or `None` once `completed` attempts used it up.
    pub fn base_delay_after(&self, completed: u32) -> Option<Duration> {
        self.0.get(usize::try_from(completed).ok()?).copied()
    }

    /// The delay before the next attempt with ±20 % jitter, or `None` when no attempt is left.
    pub fn delay_after(&self, completed: u32, rng: &mut impl Rng) -> Option<Duration> {
        let base = self.base_delay_after(completed)?;
        let factor = 1.0 + rng.random_range(-JITTER_FRACTION..=JITTER_FRACTION);
        Some(base.mul_f64(factor).min(MAX_VISIBILITY))
    }
}

/// What the receiver asked for in `Retry-After`, clamped to `[base, 2 × base]` (at least the slow-down
/// floor) so a receiver can slow us down but neither stall a message forever nor make us hammer it.
pub fn honour_retry_after(base: Duration, asked: Duration) -> Duration {
    let floor = base.max(SLOW_DOWN_FLOOR);
    let ceiling = (floor * 2).min(MAX_VISIBILITY);
    asked.clamp(floor, ceiling)
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP date (relative to `now_ms`).
pub fn parse_retry_after(value: &str, now_ms: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at_ms = i64::try_from(at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis()).ok()?;
    Some(Duration::from_millis(u64::try_from(at_ms - now_ms).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn the_standard_schedule_has_eight_attempts_over_about_27_hours() {
        let schedule = RetrySchedule::standard();
        assert_eq!(schedule.attempts(), 8);
        let total: Duration = (0..8).filter_map(|n| schedule.base_delay_after(n)).sum();
        assert_eq!(total.as_secs(), 5 + 300 + 1800 + 7200 + 18000 + 36000 + 36000);
        assert_eq!(RetrySchedule::parse("0s,5s,5m,30m,2h,5h,10h,10h"), Ok(schedule));
    }

    #[test]
    fn no_delay_is_offered_once_every_attempt_is_used() {
        let schedule = RetrySchedule::parse("0,1s,2s").unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        assert!(schedule.delay_after(2, &mut rng).is_some());
        assert_eq!(schedule.delay_after(3, &mut rng), None);
    }

    #[test]
    fn jitter_stays_within_twenty_percent_and_actually_varies() {
        let schedule = RetrySchedule::parse("0,100s").unwrap();
        let mut rng = StdRng::seed_from_u64(42);
        let delays: Vec<Duration> = (0..500).filter_map(|_| schedule.delay_after(1, &mut rng)).collect();
        assert!(delays.iter().all(|d| (80.0..=120.0).contains(&d.as_secs_f64())));
        let min = delays.iter().min().unwrap().as_secs_f64();
        let max = delays.iter().max().unwrap().as_secs_f64();
        assert!(min < 85.0 && max > 115.0, "jitter spread {min}..{max}");
    }

    #[test]
    fn a_schedule_serializes_as_a_list_of_durations_and_reads_back() {
        let schedule = RetrySchedule::parse("0s,90s,5m,2h").unwrap();
        let json = serde_json::to_value(&schedule).unwrap();
        assert_eq!(json, serde_json::json!(["0s", "1m 30s", "5m", "2h"]));
        assert_eq!(serde_json::from_value::<RetrySchedule>(json).unwrap(), schedule);
        assert!(serde_json::from_value::<RetrySchedule>(serde_json::json!([])).is_err());
        assert!(serde_json::from_value::<RetrySchedule>(serde_json::json!(["soon"])).is_err());
    }

    #[test]
    fn the_longest_span_adds_every_delay_with_its_jitter() {
        let schedule = RetrySchedule::parse("0s,10s,100s").unwrap();
        assert_eq!(schedule.longest_span(), Duration::from_secs(132));
    }

    #[test]
    fn malformed_empty_and_over_long_schedules_are_refused() {
        assert_eq!(RetrySchedule::parse("soon"), Err(ScheduleError::Unparsable));
        assert_eq!(RetrySchedule::parse("5s,,5m"), Err(ScheduleError::Unparsable));
        assert_eq!(RetrySchedule::new(vec![]), Err(ScheduleError::Empty));
        assert_eq!(RetrySchedule::parse("0,13h"), Err(ScheduleError::TooLong));
    }

    #[test]
    fn retry_after_is_clamped_between_the_floor_and_twice_the_base() {
        let base = Duration::from_secs(300);
        assert_eq!(honour_retry_after(base, Duration::from_secs(1)), base);
        assert_eq!(honour_retry_after(base, Duration::from_secs(400)), Duration::from_secs(400));
        assert_eq!(honour_retry_after(base, Duration::from_secs(9_999)), base * 2);
        let tiny = Duration::from_secs(5);
        assert_eq!(honour_retry_after(tiny, Duration::ZERO), SLOW_DOWN_FLOOR);
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(parse_retry_after(" 120 ", 0), Some(Duration::from_secs(120)));
        let now_ms = 1_445_412_480_000; // Wed, 21 Oct 2015 07:28:00 GMT
        let parsed = parse_retry_after("Wed, 21 Oct 2015 07:29:00 GMT", now_ms);
        assert_eq!(parsed, Some(Duration::from_secs(60)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now_ms), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("later", now_ms), None);
    }
}
