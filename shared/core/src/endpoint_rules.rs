//! What an endpoint's customer-set fields may hold. Checked on every write, so delivery can trust them.

use std::collections::BTreeMap;

use crate::retry::RetrySchedule;

/// A customer-set field breaks a rule; the message says which, in the words the API answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FieldError(String);

impl FieldError {
    pub fn new(message: String) -> Self {
        Self(message)
    }
}

const MAX_HEADERS: usize = 20;
const MAX_HEADER_VALUE_LEN: usize = 1024;
const MAX_METADATA: usize = 20;
const MAX_METADATA_KEY_LEN: usize = 64;
const MAX_METADATA_VALUE_LEN: usize = 512;
const MAX_DESCRIPTION_LEN: usize = 1024;
pub const MAX_RATE_LIMIT: u32 = 10_000;

/// Headers Hookline sets itself (a customer value would break signing or framing), and hop-by-hop
/// headers, which belong to one connection and must not be forwarded (RFC 9110 §7.6.1).
const RESERVED_HEADERS: &[&str] = &[
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
    "content-length",
    "host",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Checks custom headers and returns them with lower-case names (HTTP names are case-insensitive,
/// and one spelling keeps duplicates out).
pub fn checked_headers(headers: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, FieldError> {
    if headers.len() > MAX_HEADERS {
        return Err(invalid(format!("at most {MAX_HEADERS} custom headers")));
    }
    let mut checked = BTreeMap::new();
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if http::HeaderName::from_bytes(lower.as_bytes()).is_err() {
            return Err(invalid(format!("`{name}` is not a valid header name")));
        }
        if RESERVED_HEADERS.contains(&lower.as_str()) {
            return Err(invalid(format!("header `{name}` is set by Hookline and cannot be overridden")));
        }
        if value.len() > MAX_HEADER_VALUE_LEN || http::HeaderValue::from_str(&value).is_err() {
            return Err(invalid(format!(
                "header `{name}` must be visible ASCII of at most {MAX_HEADER_VALUE_LEN} bytes"
            )));
        }
        if checked.insert(lower, value).is_some() {
            return Err(invalid(format!("header `{name}` is given twice")));
        }
    }
    Ok(checked)
}

pub fn checked_metadata(metadata: &BTreeMap<String, String>) -> Result<(), FieldError> {
    if metadata.len() > MAX_METADATA {
        return Err(invalid(format!("at most {MAX_METADATA} metadata entries")));
    }
    for (key, value) in metadata {
        if key.is_empty() || key.len() > MAX_METADATA_KEY_LEN || value.len() > MAX_METADATA_VALUE_LEN {
            return Err(invalid(format!(
                "metadata keys are 1 to {MAX_METADATA_KEY_LEN} bytes and values at most {MAX_METADATA_VALUE_LEN}"
            )));
        }
    }
    Ok(())
}

pub fn checked_description(description: Option<&str>) -> Result<(), FieldError> {
    match description {
        Some(text) if text.len() > MAX_DESCRIPTION_LEN => {
            Err(invalid(format!("description must be at most {MAX_DESCRIPTION_LEN} bytes")))
        }
        _ => Ok(()),
    }
}

pub fn checked_rate_limit(limit: Option<u32>) -> Result<(), FieldError> {
    match limit {
        Some(n) if n == 0 || n > MAX_RATE_LIMIT => {
            Err(invalid(format!("rate_limit must be from 1 to {MAX_RATE_LIMIT} deliveries per second")))
        }
        _ => Ok(()),
    }
}

fn invalid(message: String) -> FieldError {
    FieldError(message)
}

/// An endpoint's own retry schedule: valid delays, and no more attempts than the deployment's, whose
/// count sets how often SQS offers a message before redrive takes it to the dead-letter queue.
pub fn checked_retry_schedule(delays: Vec<String>, max_attempts: u32) -> Result<RetrySchedule, FieldError> {
    let schedule = RetrySchedule::try_from(delays).map_err(|e| invalid(format!("retry_schedule: {e}")))?;
    if schedule.attempts() > max_attempts {
        return Err(invalid(format!(
            "retry_schedule may have at most {max_attempts} attempts in this deployment"
        )));
    }
    Ok(schedule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn custom_headers_are_kept_with_lower_case_names() {
        let checked = checked_headers(headers(&[("X-Team", "billing"), ("Authorization", "Basic abc")]));
        assert_eq!(checked.unwrap(), headers(&[("authorization", "Basic abc"), ("x-team", "billing")]));
    }

    #[test]
    fn reserved_and_hop_by_hop_headers_are_refused_in_any_case() {
        for name in ["Webhook-Signature", "content-type", "HOST", "Connection", "Transfer-Encoding", "TE"] {
            let error = checked_headers(headers(&[(name, "x")])).unwrap_err();
            assert!(error.to_string().contains("set by Hookline"), "{name}: {error}");
        }
    }

    #[test]
    fn malformed_names_values_and_case_duplicates_are_refused() {
        assert!(checked_headers(headers(&[("bad name", "x")])).is_err());
        assert!(checked_headers(headers(&[("x-ok", "line\nbreak")])).is_err());
        assert!(checked_headers(headers(&[("X-A", "1"), ("x-a", "2")])).is_err());
        let many: BTreeMap<String, String> = (0..21).map(|i| (format!("x-{i}"), "v".to_owned())).collect();
        assert!(checked_headers(many).is_err());
    }

    #[test]
    fn rate_limits_and_metadata_are_bounded() {
        assert!(checked_rate_limit(Some(0)).is_err());
        assert!(checked_rate_limit(Some(MAX_RATE_LIMIT + 1)).is_err());
        assert!(checked_rate_limit(Some(50)).is_ok() && checked_rate_limit(None).is_ok());
        assert!(checked_metadata(&headers(&[("", "v")])).is_err());
        assert!(checked_metadata(&headers(&[("team", &"v".repeat(513))])).is_err());
        assert!(checked_metadata(&headers(&[("team", "billing")])).is_ok());
    }
}
