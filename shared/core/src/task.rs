//! What travels on the delivery queue. Versioned by its `type` tag so the format can evolve while old
//! messages are still in flight (a new version is a new variant; old variants stay readable and are
//! upgraded on decode, so the delivery code only ever sees the current one, [`Deliver`]).

use serde::{Deserialize, Serialize};

use crate::event_types::EventType;
use crate::ids::{EndpointId, MessageId, TenantId};
use crate::model::Message;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum DeliveryTask {
    #[serde(rename = "deliver.v1")]
    DeliverV1(DeliverV1),
    #[serde(rename = "deliver.v2")]
    DeliverV2(Deliver),
}

/// Deliver one message to one endpoint (the first version: the attempt number was the receive count).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverV1 {
    pub tenant_id: TenantId,
    pub message_id: MessageId,
    pub endpoint_id: EndpointId,
    pub event_type: EventType,
    pub body: String,
}

/// Deliver one message to one endpoint. The body rides along (it never changes, and that saves a read
/// per attempt); the endpoint is read fresh on each attempt so URL changes, rotations and disables apply.
///
/// A throttled task, or one near its queue's `maxReceiveCount`, is sent again as a new SQS message. The
/// attempt number comes from the ledger (see `delivery::ledger`), not from the task or the receive count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deliver {
    pub tenant_id: TenantId,
    pub message_id: MessageId,
    pub endpoint_id: EndpointId,
    pub event_type: EventType,
    pub body: String,
    /// Attempts made before this SQS message was sent, for whoever reads the task (a DLQ body, a log).
    /// Not used to number attempts: the ledger does that.
    #[serde(default)]
    pub prior_attempts: u32,
    /// Times this delivery was put back by a rate limit or concurrency bound (drives their backoff).
    #[serde(default)]
    pub throttles: u32,
}

impl Deliver {
    /// A delivery that has not been tried yet.
    pub fn first(
        tenant_id: TenantId,
        message_id: MessageId,
        endpoint_id: EndpointId,
        event_type: EventType,
        body: String,
    ) -> Self {
        Self { tenant_id, message_id, endpoint_id, event_type, body, prior_attempts: 0, throttles: 0 }
    }

    /// The first delivery of a stored message to one of its endpoints.
    pub fn first_of(message: &Message, endpoint_id: &EndpointId) -> Self {
        Self::first(
            message.tenant_id.clone(),
            message.id.clone(),
            endpoint_id.clone(),
            message.event_type.clone(),
            message.body.clone(),
        )
    }
}

impl From<DeliverV1> for Deliver {
    fn from(v1: DeliverV1) -> Self {
        Self::first(v1.tenant_id, v1.message_id, v1.endpoint_id, v1.event_type, v1.body)
    }
}

impl From<Deliver> for DeliveryTask {
    fn from(task: Deliver) -> Self {
        Self::DeliverV2(task)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("not a delivery task: {0}")]
pub struct TaskDecodeError(#[from] serde_json::Error);

impl DeliveryTask {
    /// The SQS fair-queue key (`MessageGroupId` on the standard delivery queue): the endpoint, named with
    /// its tenant. A slow endpoint's backlog then makes only its own group "noisy", so SQS keeps serving
    /// every other endpoint's messages first, the same tenant's other endpoints included.
    pub fn fair_queue_key(&self) -> String {
        let (tenant, endpoint) = match self {
            Self::DeliverV1(task) => (&task.tenant_id, &task.endpoint_id),
            Self::DeliverV2(task) => (&task.tenant_id, &task.endpoint_id),
        };
        format!("{tenant}/{endpoint}")
    }

    /// Decodes any version and upgrades it to the current one.
    pub fn decode(text: &str) -> Result<Deliver, TaskDecodeError> {
        Ok(match serde_json::from_str(text)? {
            Self::DeliverV1(v1) => v1.into(),
            Self::DeliverV2(task) => task,
        })
    }

    pub fn encode(&self) -> String {
        // A struct of strings and numbers always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The task inside, whatever its version.
    pub fn deliver(&self) -> Deliver {
        match self {
            Self::DeliverV1(v1) => v1.clone().into(),
            Self::DeliverV2(task) => task.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> Deliver {
        Deliver::first(
            TenantId::parse("ten_a").unwrap(),
            MessageId::parse("msg_1").unwrap(),
            EndpointId::parse("ep_1").unwrap(),
            EventType::parse("invoice.paid").unwrap(),
            r#"{"amount":1}"#.into(),
        )
    }

    #[test]
    fn a_task_round_trips_and_carries_its_version_tag() {
        let original = Deliver { prior_attempts: 3, throttles: 2, ..task() };
        let encoded = DeliveryTask::from(original.clone()).encode();
        let json: serde_json::Value = serde_json::from_str(&encoded).unwrap();
        assert_eq!(json["type"], "deliver.v2");
        assert_eq!(json["message_id"], "msg_1");
        assert_eq!(json["prior_attempts"], 3);
        assert_eq!(DeliveryTask::decode(&encoded).unwrap(), original);
    }

    #[test]
    fn the_v1_wire_format_stays_readable_as_a_first_delivery() {
        let wire = r#"{"type":"deliver.v1","tenant_id":"ten_a","message_id":"msg_1",
            "endpoint_id":"ep_1","event_type":"invoice.paid","body":"{\"amount\":1}"}"#;
        assert_eq!(DeliveryTask::decode(wire).unwrap(), task());
    }

    #[test]
    fn unknown_versions_missing_fields_and_bad_ids_are_refused() {
        for wire in [
            r#"{"type":"deliver.v9","tenant_id":"ten_a"}"#,
            r#"{"tenant_id":"ten_a","message_id":"msg_1"}"#,
            r#"{"type":"deliver.v2","tenant_id":"ten_a","message_id":"msg_1"}"#,
            r#"{"type":"deliver.v1","tenant_id":"ten_a","message_id":"ep_1","endpoint_id":"ep_1","event_type":"a","body":""}"#,
            r#"{"type":"deliver.v2","tenant_id":"ten_a","message_id":"msg_1","endpoint_id":"ep_1","event_type":"a","body":"","prior_attempts":-1}"#,
            "not json",
        ] {
            assert!(DeliveryTask::decode(wire).is_err(), "{wire}");
        }
    }

    #[test]
    fn the_fair_queue_key_is_the_endpoint_with_its_tenant() {
        assert_eq!(
            DeliveryTask::from(task()).fair_queue_key(),
            format!("{}/{}", task().tenant_id, task().endpoint_id)
        );
    }
}
