//! Event type names and the filters endpoints subscribe with (`invoice.paid`, `invoice.*`, `*`).

use std::fmt;

use serde::{Deserialize, Serialize};

const MAX_EVENT_TYPE_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventTypeError {
    #[error(
        "an event type must be 1 to {MAX_EVENT_TYPE_LEN} characters of letters, digits, `.`, `_` or `-`, with no empty segment"
    )]
    Invalid,
    #[error("a filter is an event type, an event type prefix ending in `.*`, or `*`")]
    InvalidPattern,
}

/// A dotted event name such as `invoice.paid`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventType(String);

impl EventType {
    pub fn parse(text: &str) -> Result<Self, EventTypeError> {
        let valid = !text.is_empty()
            && text.len() <= MAX_EVENT_TYPE_LEN
            && text.split('.').all(|segment| {
                !segment.is_empty()
                    && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            });
        if valid { Ok(Self(text.to_owned())) } else { Err(EventTypeError::Invalid) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventType({})", self.0)
    }
}

impl TryFrom<String> for EventType {
    type Error = EventTypeError;
    fn try_from(text: String) -> Result<Self, EventTypeError> {
        Self::parse(&text)
    }
}

impl From<EventType> for String {
    fn from(event_type: EventType) -> String {
        event_type.0
    }
}

/// What an endpoint subscribes to: a list of patterns, any of which may match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct EventFilter(Vec<String>);

impl EventFilter {
    pub fn everything() -> Self {
        Self(vec!["*".to_owned()])
    }

    pub fn parse<S: AsRef<str>>(patterns: &[S]) -> Result<Self, EventTypeError> {
        if patterns.is_empty() {
            return Err(EventTypeError::InvalidPattern);
        }
        let mut checked = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let pattern = pattern.as_ref();
            let valid =
                pattern == "*" || EventType::parse(pattern.strip_suffix(".*").unwrap_or(pattern)).is_ok();
            if !valid {
                return Err(EventTypeError::InvalidPattern);
            }
            checked.push(pattern.to_owned());
        }
        Ok(Self(checked))
    }

    /// `*` matches everything; `a.*` matches every type below `a` (`a.b`, `a.b.c`) but not `a` itself.
    pub fn matches(&self, event_type: &EventType) -> bool {
        let name = event_type.as_str();
        self.0.iter().any(|pattern| match pattern.strip_suffix('*') {
            Some("") => true,
            Some(prefix) => name.len() > prefix.len() && name.starts_with(prefix),
            None => pattern == name,
        })
    }

    pub fn patterns(&self) -> &[String] {
        &self.0
    }
}

impl TryFrom<Vec<String>> for EventFilter {
    type Error = EventTypeError;
    fn try_from(patterns: Vec<String>) -> Result<Self, EventTypeError> {
        Self::parse(&patterns)
    }
}

impl From<EventFilter> for Vec<String> {
    fn from(filter: EventFilter) -> Vec<String> {
        filter.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str) -> EventType {
        EventType::parse(name).unwrap()
    }

    #[test]
    fn event_types_are_dotted_names_without_empty_segments() {
        assert!(EventType::parse("invoice.paid").is_ok());
        assert!(EventType::parse("user_signed-up").is_ok());
        for bad in ["", ".", "invoice.", ".paid", "invoice..paid", "in voice", "invoice.*"] {
            assert_eq!(EventType::parse(bad), Err(EventTypeError::Invalid), "{bad}");
        }
        assert!(EventType::parse(&"a".repeat(129)).is_err());
    }

    #[test]
    fn an_exact_filter_matches_only_that_type() {
        let filter = EventFilter::parse(&["invoice.paid"]).unwrap();
        assert!(filter.matches(&event("invoice.paid")));
        assert!(!filter.matches(&event("invoice.paid.late")));
        assert!(!filter.matches(&event("invoice")));
    }

    #[test]
    fn a_wildcard_filter_matches_every_type_below_its_prefix() {
        let filter = EventFilter::parse(&["invoice.*"]).unwrap();
        assert!(filter.matches(&event("invoice.paid")));
        assert!(filter.matches(&event("invoice.paid.late")));
        assert!(!filter.matches(&event("invoice")));
        assert!(!filter.matches(&event("invoices.paid")));
    }

    #[test]
    fn the_star_filter_matches_everything_and_lists_match_any_pattern() {
        assert!(EventFilter::everything().matches(&event("anything.at.all")));
        let filter = EventFilter::parse(&["user.created", "invoice.*"]).unwrap();
        assert!(filter.matches(&event("user.created")));
        assert!(filter.matches(&event("invoice.voided")));
        assert!(!filter.matches(&event("user.deleted")));
    }

    #[test]
    fn malformed_filters_are_refused() {
        for bad in [vec![], vec!["in*"], vec!["*.paid"], vec!["invoice.**"], vec![""]] {
            assert_eq!(EventFilter::parse(&bad), Err(EventTypeError::InvalidPattern), "{bad:?}");
        }
    }
}
