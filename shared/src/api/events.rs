//! Bodies of `POST /v1/events` and `POST /v1/events/batch`.

use serde::{Deserialize, Serialize};

use crate::ids::MessageId;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEvent {
    pub event_type: String,
    pub payload: serde_json::Value,
    /// The producer's own id for the event: sending it again returns the first answer.
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAccepted {
    pub id: MessageId,
    /// How many endpoints the event fans out to.
    pub endpoints: usize,
    /// This answer repeats an earlier request's (sent as the `Idempotent-Replayed` header, not the body).
    #[serde(skip)]
    pub replayed: bool,
}

/// Items stay raw JSON here so that one malformed item is reported in its place, not for the batch.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    pub events: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItemResult {
    pub index: usize,
    /// 202 when accepted, else the status this item alone would have been answered with.
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ItemError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResult {
    pub accepted: usize,
    pub rejected: usize,
    /// One per item, in the order sent.
    pub results: Vec<BatchItemResult>,
}

/// Why an item of a batch was refused: the same code and message it would have got alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemError {
    pub code: String,
    pub message: String,
}
