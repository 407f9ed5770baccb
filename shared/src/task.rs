//! What travels on the delivery queue. Versioned by its `type` tag so the format can evolve while old
//! messages are still in flight (a new version is a new variant; old variants stay readable).

use serde::{Deserialize, Serialize};

use crate::event_type::EventType;
use crate::ids::{EndpointId, MessageId, TenantId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum DeliveryTask {
    #[serde(rename = "deliver.v1")]
    DeliverV1(DeliverV1),
}

/// Deliver one message to one endpoint. The body rides along (it never changes, and that saves a read
/// per attempt); the endpoint is read fresh on each attempt so URL changes, rotations and disables apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverV1 {
    pub tenant_id: TenantId,
    pub message_id: MessageId,
    pub endpoint_id: EndpointId,
    pub event_type: EventType,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
#[error("not a delivery task: {0}")]
pub struct TaskDecodeError(#[from] serde_json::Error);

impl DeliveryTask {
    pub fn decode(text: &str) -> Result<Self, TaskDecodeError> {
        Ok(serde_json::from_str(text)?)
    }

    pub fn encode(&self) -> String {
        // A struct of strings always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> DeliveryTask {
        DeliveryTask::DeliverV1(DeliverV1 {
            tenant_id: TenantId::parse("ten_a").unwrap(),
            message_id: MessageId::parse("msg_1").unwrap(),
            endpoint_id: EndpointId::parse("ep_1").unwrap(),
            event_type: EventType::parse("invoice.paid").unwrap(),
            body: r#"{"amount":1}"#.into(),
        })
    }

    #[test]
    fn a_task_round_trips_and_carries_its_version_tag() {
        let encoded = task().encode();
        let json: serde_json::Value = serde_json::from_str(&encoded).unwrap();
        assert_eq!(json["type"], "deliver.v1");
        assert_eq!(json["message_id"], "msg_1");
        assert_eq!(DeliveryTask::decode(&encoded).unwrap(), task());
    }

    #[test]
    fn the_v1_wire_format_stays_readable() {
        let wire = r#"{"type":"deliver.v1","tenant_id":"ten_a","message_id":"msg_1",
            "endpoint_id":"ep_1","event_type":"invoice.paid","body":"{\"amount\":1}"}"#;
        assert_eq!(DeliveryTask::decode(wire).unwrap(), task());
    }

    #[test]
    fn unknown_versions_missing_fields_and_bad_ids_are_refused() {
        for wire in [
            r#"{"type":"deliver.v9","tenant_id":"ten_a"}"#,
            r#"{"tenant_id":"ten_a","message_id":"msg_1"}"#,
            r#"{"type":"deliver.v1","tenant_id":"ten_a","message_id":"msg_1"}"#,
            r#"{"type":"deliver.v1","tenant_id":"ten_a","message_id":"ep_1","endpoint_id":"ep_1","event_type":"a","body":""}"#,
            "not json",
        ] {
            assert!(DeliveryTask::decode(wire).is_err(), "{wire}");
        }
    }
}
