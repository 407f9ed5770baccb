//! Bodies of the event-type catalogue routes.

use serde::{Deserialize, Serialize};

use hookline::event_types::NewEventType;
use hookline_core::model::EventTypeInfo;
use hookline_core::time::rfc3339;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEventType {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// An example payload, for subscribers' documentation.
    #[serde(default)]
    pub example: Option<serde_json::Value>,
}

impl From<CreateEventType> for NewEventType {
    fn from(request: CreateEventType) -> Self {
        Self { name: request.name, description: request.description, example: request.example }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTypeView {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<serde_json::Value>,
    pub created_at: String,
}

impl EventTypeView {
    pub fn of(info: &EventTypeInfo) -> Self {
        Self {
            name: info.name.to_string(),
            description: info.description.clone(),
            example: info.example.clone(),
            created_at: rfc3339(info.created_at_ms),
        }
    }
}
