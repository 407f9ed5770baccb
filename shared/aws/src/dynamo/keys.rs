//! The single-table key layout. Every partition key starts with the tenant, so an item of one tenant
//! cannot be addressed with another tenant's id: scoping lives here, not in handlers.
//!
//! | item      | pk                      | sk                          | gsi1pk                    | gsi1sk              |
//! |-----------|-------------------------|-----------------------------|---------------------------|---------------------|
//! | tenant    | `TEN#t`                 | `TENANT`                    | `TENANTS` (while live)    | `TEN#t`             |
//! | endpoint  | `TEN#t`                 | `EP#ep`                     |                           |                     |
//! | event type| `TEN#t`                 | `ET#name`                   |                           |                     |
//! | api key   | `KEY#key`               | `KEY`                       | `TEN#t#KEYS`              | `created_ms#key`    |
//! | platform key | `PLK#plk`            | `PLK`                       | `PLATFORM_KEYS`           | `created_ms#plk`    |
//! | portal session | `PS#ps`            | `PS`                        |                           |                     |
//! | rate      | `TEN#t#RATE`            | `S#epoch_second`            |                           |                     |
//! | ep rate   | `TEN#t#EP#ep#RATE`      | `S#epoch_second`            |                           |                     |
//! | message   | `TEN#t#MSG#m`           | `MSG`                       | `TEN#t#MSGS`              | `created_ms#m`      |
//! | queue outcome | `TEN#t#MSG#m`       | `QSTATE`                    |                           |                     |
//! | attempt   | `TEN#t#MSG#m`           | `DLV#ep#seq`                | `TEN#t#EP#ep#ATT`         | `started_ms#atm`    |
//! | resend mark | `TEN#t#MSG#m`         | `DLV#ep#seq`                |                           |                     |
//!
//! A delivery's ledger is its run of `DLV#ep#seq` items (attempts, and the marks resends leave), in the
//! order they were appended; the newest is where the delivery stands, read with one reverse Query.
//! Tables written before the ledger was ordered also hold a latest-state item `DLV#ep` (which sorts
//! below the run, so it answers only for a delivery with no ordered entry yet) and attempts under
//! `ATT#ep#nnnn#atm`; both are still read, and expire with their TTL.
//!
//! The api key and portal session items are the exceptions to "the partition starts with the tenant": a
//! request finds its tenant through them. They are read by id only, and what they name is checked against
//! the presented token. Platform keys belong to no tenant. The `TENANTS` index partition lists tenants;
//! tenants are written rarely, so one index partition holds them all without getting hot.

use hookline::store::RateBucket;
pub use hookline::store::order::{
    ENDPOINT_SK_PREFIX, EVENT_TYPE_SK_PREFIX, TENANT_SK_PREFIX, TIME_CEILING, endpoint_sk, event_type_sk,
    tenant_sk, time_floor, time_sk,
};
use hookline_core::ids::{ApiKeyId, EndpointId, MessageId, PlatformKeyId, PortalSessionId, TenantId};

pub const PK: &str = "pk";
pub const SK: &str = "sk";
/// The listing index over `gsi1pk`/`gsi1sk`: keys and the filtered attributes only (see `index`).
pub const GSI1: &str = "gsi1k";
pub const GSI1PK: &str = "gsi1pk";
pub const GSI1SK: &str = "gsi1sk";
/// DynamoDB's TTL attribute (epoch seconds); expired items are deleted for free.
pub const EXPIRES_AT: &str = "expires_at";

pub const TENANT_SK: &str = "TENANT";
pub const API_KEY_SK: &str = "KEY";
pub const PLATFORM_KEY_SK: &str = "PLK";
pub const PORTAL_SESSION_SK: &str = "PS";
pub const TENANTS_PK: &str = "TENANTS";
pub const PLATFORM_KEYS_PK: &str = "PLATFORM_KEYS";
pub const MESSAGE_SK: &str = "MSG";
/// Where queueing the message ended, for its latest claim; sorts right after the message.
pub const QUEUE_OUTCOME_SK: &str = "QSTATE";
pub const DELIVERY_SK_PREFIX: &str = "DLV#";
/// Attempts written before the ledger was ordered (`ATT#ep#nnnn#atm`): read, no longer written.
pub const LEGACY_ATTEMPT_SK_PREFIX: &str = "ATT#";
/// Set on a ledger entry that a resend (or its undoing) appended: a state, not an attempt.
pub const LEDGER_MARK: &str = "ledger_mark";

pub fn tenant_pk(tenant: &TenantId) -> String {
    format!("TEN#{tenant}")
}

pub fn api_key_pk(id: &ApiKeyId) -> String {
    format!("KEY#{id}")
}

pub fn platform_key_pk(id: &PlatformKeyId) -> String {
    format!("PLK#{id}")
}

pub fn portal_session_pk(id: &PortalSessionId) -> String {
    format!("PS#{id}")
}

pub fn api_keys_by_tenant_pk(tenant: &TenantId) -> String {
    format!("TEN#{tenant}#KEYS")
}

pub fn rate_pk(bucket: &RateBucket) -> String {
    match bucket {
        RateBucket::Ingest(tenant) => format!("TEN#{tenant}#RATE"),
        RateBucket::Endpoint(tenant, endpoint) => format!("TEN#{tenant}#EP#{endpoint}#RATE"),
    }
}

pub fn rate_sk(epoch_second: i64) -> String {
    format!("S#{epoch_second}")
}

pub fn message_pk(tenant: &TenantId, id: &MessageId) -> String {
    format!("TEN#{tenant}#MSG#{id}")
}

/// The tenant and message ids a message's partition key names (`TEN#t#MSG#m`).
pub fn ids_of_message_pk(pk: &str) -> Option<(&str, &str)> {
    pk.strip_prefix("TEN#")?.split_once("#MSG#")
}

pub fn messages_by_time_pk(tenant: &TenantId) -> String {
    format!("TEN#{tenant}#MSGS")
}

/// The legacy latest-state item, and the low end of the delivery's ledger (it sorts below every entry).
pub fn delivery_sk(endpoint: &EndpointId) -> String {
    format!("{DELIVERY_SK_PREFIX}{endpoint}")
}

/// Entry `seq` of the delivery's ledger; entries sort in the order they were appended.
pub fn ledger_sk(endpoint: &EndpointId, seq: u32) -> String {
    format!("{DELIVERY_SK_PREFIX}{endpoint}#{seq:010}")
}

/// Above every entry of the delivery's ledger.
pub fn ledger_ceiling(endpoint: &EndpointId) -> String {
    format!("{DELIVERY_SK_PREFIX}{endpoint}#~")
}

/// The endpoint of a `DLV#` sort key, and whether it is a ledger entry (else the legacy latest-state item).
pub fn delivery_of(sk: &str) -> Option<(&str, bool)> {
    let rest = sk.strip_prefix(DELIVERY_SK_PREFIX)?;
    Some(match rest.split_once('#') {
        Some((endpoint, _)) => (endpoint, true),
        None => (rest, false),
    })
}

pub fn attempts_by_endpoint_pk(tenant: &TenantId, endpoint: &EndpointId) -> String {
    format!("TEN#{tenant}#EP#{endpoint}#ATT")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_partition_key_starts_with_the_tenant() {
        let tenant = TenantId::parse("ten_a").unwrap();
        let message = MessageId::parse("msg_1").unwrap();
        let endpoint = EndpointId::parse("ep_1").unwrap();
        for pk in [
            tenant_pk(&tenant),
            message_pk(&tenant, &message),
            messages_by_time_pk(&tenant),
            attempts_by_endpoint_pk(&tenant, &endpoint),
            api_keys_by_tenant_pk(&tenant),
            rate_pk(&RateBucket::Ingest(tenant.clone())),
            rate_pk(&RateBucket::Endpoint(tenant.clone(), endpoint.clone())),
        ] {
            assert!(pk.starts_with("TEN#ten_a"), "{pk}");
        }
        assert_eq!(ids_of_message_pk(&message_pk(&tenant, &message)), Some(("ten_a", "msg_1")));
        assert_eq!(ids_of_message_pk(&tenant_pk(&tenant)), None);
    }

    #[test]
    fn a_ledger_sorts_in_append_order_above_the_legacy_item_and_below_its_ceiling() {
        let endpoint = EndpointId::parse("ep_1").unwrap();
        let (second, tenth) = (ledger_sk(&endpoint, 2), ledger_sk(&endpoint, 10));
        assert!(delivery_sk(&endpoint) < ledger_sk(&endpoint, 0));
        assert!(second < tenth);
        assert!(ledger_sk(&endpoint, u32::MAX) < ledger_ceiling(&endpoint));
        assert_eq!(delivery_of(&tenth), Some(("ep_1", true)));
        assert_eq!(delivery_of(&delivery_sk(&endpoint)), Some(("ep_1", false)));
        assert_eq!(delivery_of("ATT#ep_1#0001#atm_1"), None);
    }
}
