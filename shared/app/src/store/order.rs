//! The order listings come in, and what their cursors are: the sort key of a page's last item. This is
//! part of every store's contract (the DynamoDB table sorts by these keys, and the in-memory store sorts
//! the same way), so pages and cursors behave alike whichever store answers.

use hookline_core::event_types::EventType;
use hookline_core::ids::{EndpointId, TenantId};

pub const ENDPOINT_SK_PREFIX: &str = "EP#";
pub const EVENT_TYPE_SK_PREFIX: &str = "ET#";
pub const TENANT_SK_PREFIX: &str = "TEN#";

/// Endpoints list oldest first: ids are ULIDs, which sort by creation time.
pub fn endpoint_sk(id: &EndpointId) -> String {
    format!("{ENDPOINT_SK_PREFIX}{id}")
}

/// Tenants list by id.
pub fn tenant_sk(id: &TenantId) -> String {
    format!("{TENANT_SK_PREFIX}{id}")
}

/// Event types list by name.
pub fn event_type_sk(name: &EventType) -> String {
    format!("{EVENT_TYPE_SK_PREFIX}{name}")
}

/// Time-ordered listings (messages by creation, an endpoint's attempts by start) sort by this.
pub fn time_sk(at_ms: i64, id: &str) -> String {
    format!("{at_ms:013}#{id}")
}

/// Where a time range starts in a time-ordered index: below every sort key of `at_ms` and later.
/// Also the exclusive end of a range, since no sort key equals it.
pub fn time_floor(at_ms: i64) -> String {
    format!("{:013}#", at_ms.max(0))
}

/// Above every time sort key.
pub const TIME_CEILING: &str = "~";

/// Whether `cursor` can be a cursor of a listing whose sort keys start with `prefix`.
pub fn is_cursor_of(cursor: &str, prefix: &str) -> bool {
    cursor.starts_with(prefix) && cursor.len() <= 300
}

/// Whether `cursor` is a time sort key (`<13-digit ms>#<id>`) of an item whose id has `id_prefix`.
pub fn is_time_cursor(cursor: &str, id_prefix: &str) -> bool {
    cursor.split_once('#').is_some_and(|(ms, id)| {
        ms.len() == 13
            && ms.bytes().all(|b| b.is_ascii_digit())
            && id.len() > id_prefix.len()
            && id.starts_with(id_prefix)
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_floor_sorts_below_every_key_of_its_millisecond_and_above_earlier_ones() {
        assert!(time_sk(999, "msg_z") < time_floor(1_000));
        assert!(time_floor(1_000) < time_sk(1_000, "msg_0"));
        assert!(time_sk(9_999_999_999_999, "msg_z").as_str() < TIME_CEILING);
        assert_eq!(time_floor(-5), time_floor(0));
        assert!(time_sk(999, "x") < time_sk(1_000, "x"));
    }

    #[test]
    fn time_cursors_must_name_an_item_of_the_listed_kind() {
        assert!(is_time_cursor(&time_sk(5, "msg_1"), "msg_"));
        assert!(!is_time_cursor(&time_sk(5, "atm_1"), "msg_"));
        assert!(!is_time_cursor("5#msg_1", "msg_"));
        assert!(!is_time_cursor(&time_sk(5, "msg_"), "msg_"));
    }
}
