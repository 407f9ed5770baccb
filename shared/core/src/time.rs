//! Time as the API and the payloads show it: RFC 3339, UTC, with milliseconds.

use std::time::{Duration, UNIX_EPOCH};

/// RFC 3339 with milliseconds, UTC: the form timestamps take in webhook payloads and API answers.
pub fn rfc3339(unix_ms: i64) -> String {
    let ms = u64::try_from(unix_ms).unwrap_or(0);
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// A time field that is not RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be an RFC 3339 time such as 2025-01-31T12:00:00Z")]
pub struct TimeError {
    pub field: String,
}

/// Milliseconds since the epoch of an RFC 3339 timestamp (`Z` or a `±hh:mm` offset; any fraction).
pub fn parse_time(field: &str, text: &str) -> Result<i64, TimeError> {
    let invalid = || TimeError { field: field.to_owned() };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_as_rfc3339_utc() {
        assert_eq!(rfc3339(1_649_367_553_123), "2022-04-07T21:39:13.123Z");
    }

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
