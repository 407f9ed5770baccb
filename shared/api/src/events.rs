//! Bodies of `POST /v1/events` and `POST /v1/events/batch`.

use serde::{Deserialize, Serialize};

use hookline::error::ServiceError;
use hookline::events::{Accepted, NewEvent};
use hookline_core::ids::MessageId;

use crate::ApiError;

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

impl From<CreateEvent> for NewEvent {
    fn from(event: CreateEvent) -> Self {
        Self { event_type: event.event_type, payload: event.payload, id: event.id }
    }
}

impl EventAccepted {
    pub fn of(accepted: &Accepted) -> Self {
        Self { id: accepted.id.clone(), endpoints: accepted.endpoints, replayed: accepted.replayed }
    }
}

/// Items stay raw JSON here so that one malformed item is reported in its place, not for the batch.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    pub events: Vec<serde_json::Value>,
}

impl BatchRequest {
    /// Each item as an event, or why it is not one: larger than `max_event_bytes`, or not decodable.
    pub fn items(self, max_event_bytes: usize) -> Vec<Result<NewEvent, ServiceError>> {
        self.events
            .into_iter()
            .map(|raw| {
                let size = serde_json::to_vec(&raw).map_or(usize::MAX, |bytes| bytes.len());
                if size > max_event_bytes {
                    return Err(ServiceError::EventTooLarge { size, limit: max_event_bytes });
                }
                serde_json::from_value::<CreateEvent>(raw)
                    .map(NewEvent::from)
                    .map_err(ServiceError::Undecodable)
            })
            .collect()
    }
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

impl BatchResult {
    /// The answer to a batch: one result per item, in the order sent.
    pub fn of(outcomes: Vec<Result<Accepted, ServiceError>>) -> Self {
        let results: Vec<BatchItemResult> = outcomes
            .into_iter()
            .enumerate()
            .map(|(index, outcome)| match outcome {
                Ok(accepted) => BatchItemResult {
                    index,
                    status: 202,
                    id: Some(accepted.id),
                    endpoints: Some(accepted.endpoints),
                    error: None,
                },
                Err(error) => {
                    let error = ApiError::from(error);
                    BatchItemResult {
                        index,
                        status: error.status,
                        id: None,
                        endpoints: None,
                        error: Some(ItemError { code: error.code.to_owned(), message: error.message }),
                    }
                }
            })
            .collect();
        let accepted = results.iter().filter(|r| r.status == 202).count();
        Self { accepted, rejected: results.len() - accepted, results }
    }
}

/// Why an item of a batch was refused: the same code and message it would have got alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemError {
    pub code: String,
    pub message: String,
}
