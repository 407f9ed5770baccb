//! The single-table key layout. Every partition key starts with the tenant, so an item of one tenant
//! cannot be addressed with another tenant's id: scoping lives here, not in handlers.
//!
//! | item      | pk                      | sk                          | gsi1pk                    | gsi1sk              |
//! |-----------|-------------------------|-----------------------------|---------------------------|---------------------|
//! | tenant    | `TEN#t`                 | `TENANT`                    |                           |                     |
//! | endpoint  | `TEN#t`                 | `EP#ep`                     |                           |                     |
//! | event type| `TEN#t`                 | `ET#name`                   |                           |                     |
//! | api key   | `KEY#key`               | `KEY`                       | `TEN#t#KEYS`              | `created_ms#key`    |
//! | rate      | `TEN#t#RATE`            | `S#epoch_second`            |                           |                     |
//! | ep rate   | `TEN#t#EP#ep#RATE`      | `S#epoch_second`            |                           |                     |
//! | message   | `TEN#t#MSG#m`           | `MSG`                       | `TEN#t#MSGS`              | `created_ms#m`      |
//! | delivery  | `TEN#t#MSG#m`           | `DLV#ep`                    |                           |                     |
//! | attempt   | `TEN#t#MSG#m`           | `ATT#ep#nnnn#atm`           | `TEN#t#EP#ep#ATT`         | `started_ms#atm`    |
//!
//! The api key item is the one exception to "the partition starts with the tenant": a request finds its
//! tenant through it. It is read by key id only, and every change to it is conditional on its tenant.

use super::RateBucket;
use crate::event_type::EventType;
use crate::ids::{ApiKeyId, AttemptId, EndpointId, MessageId, TenantId};

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1PK: &str = "gsi1pk";
pub const GSI1SK: &str = "gsi1sk";
/// DynamoDB's TTL attribute (epoch seconds); expired items are deleted for free.
pub const EXPIRES_AT: &str = "expires_at";

pub const TENANT_SK: &str = "TENANT";
pub const ENDPOINT_SK_PREFIX: &str = "EP#";
pub const EVENT_TYPE_SK_PREFIX: &str = "ET#";
pub const API_KEY_SK: &str = "KEY";
pub const MESSAGE_SK: &str = "MSG";
pub const ATTEMPT_SK_PREFIX: &str = "ATT#";
pub const DELIVERY_SK_PREFIX: &str = "DLV#";

pub fn tenant_pk(tenant: &TenantId) -> String {
    format!("TEN#{tenant}")
}

pub fn endpoint_sk(id: &EndpointId) -> String {
    format!("{ENDPOINT_SK_PREFIX}{id}")
}

pub fn event_type_sk(name: &EventType) -> String {
    format!("{EVENT_TYPE_SK_PREFIX}{name}")
}

pub fn api_key_pk(id: &ApiKeyId) -> String {
    format!("KEY#{id}")
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

pub fn messages_by_time_pk(tenant: &TenantId) -> String {
    format!("TEN#{tenant}#MSGS")
}

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

pub fn delivery_sk(endpoint: &EndpointId) -> String {
    format!("{DELIVERY_SK_PREFIX}{endpoint}")
}

pub fn attempt_sk(endpoint: &EndpointId, number: u32, id: &AttemptId) -> String {
    format!("{ATTEMPT_SK_PREFIX}{endpoint}#{number:04}#{id}")
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
    }

    #[test]
    fn attempt_sort_keys_order_by_endpoint_then_number() {
        let ep = EndpointId::parse("ep_1").unwrap();
        let atm = AttemptId::parse("atm_z").unwrap();
        assert!(attempt_sk(&ep, 2, &atm) < attempt_sk(&ep, 10, &atm));
        assert!(time_sk(999, "x") < time_sk(1_000, "x"));
    }

    #[test]
    fn a_time_floor_sorts_below_every_key_of_its_millisecond_and_above_earlier_ones() {
        assert!(time_sk(999, "msg_z") < time_floor(1_000));
        assert!(time_floor(1_000) < time_sk(1_000, "msg_0"));
        assert!(time_sk(9_999_999_999_999, "msg_z").as_str() < TIME_CEILING);
        assert_eq!(time_floor(-5), time_floor(0));
    }
}
