//! A tenant's event-type catalogue: names with a description and an example payload, which document
//! the events for subscribers and, if the tenant asks, are the only types ingest accepts.

use tracing::info;

use hookline_core::endpoint_rules::checked_description;
use hookline_core::event_types::EventType;
use hookline_core::ids::TenantId;
use hookline_core::model::EventTypeInfo;

use crate::app::App;
use crate::clock::Clock as _;
use crate::error::{ServiceError, page_after};
use crate::ports::Ports;
use crate::store::order::EVENT_TYPE_SK_PREFIX;
use crate::store::{EventTypeStore as _, Page, PageRequest};

/// An event type to register.
#[derive(Debug, Clone)]
pub struct NewEventType {
    pub name: String,
    pub description: Option<String>,
    /// An example payload, for subscribers' documentation.
    pub example: Option<serde_json::Value>,
}

impl<P: Ports> App<P> {
    pub async fn create_event_type(
        &self,
        tenant: &TenantId,
        request: NewEventType,
    ) -> Result<EventTypeInfo, ServiceError> {
        let name = EventType::parse(&request.name).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        checked_description(request.description.as_deref())?;
        if request.example.as_ref().is_some_and(|example| !example.is_object()) {
            return Err(ServiceError::Invalid(
                "example must be a JSON object, like an event's payload".into(),
            ));
        }
        let info = EventTypeInfo {
            tenant_id: tenant.clone(),
            name,
            description: request.description,
            example: request.example,
            created_at_ms: self.clock.now_ms(),
        };
        if !self.store.put_event_type(&info).await? {
            return Err(ServiceError::EventTypeExists(info.name.to_string()));
        }
        info!(tenant_id = %tenant, event_type = %info.name, "event type registered");
        Ok(info)
    }

    pub async fn list_event_types(
        &self,
        tenant: &TenantId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<EventTypeInfo>, ServiceError> {
        let after = page_after(cursor, EVENT_TYPE_SK_PREFIX)?;
        Ok(self.store.event_types_page(tenant, &PageRequest { limit, after }).await?)
    }

    pub async fn get_event_type(&self, tenant: &TenantId, name: &str) -> Result<EventTypeInfo, ServiceError> {
        let not_found = || ServiceError::not_found("event type", name);
        let name = EventType::parse(name).map_err(|_| not_found())?;
        self.store.get_event_type(tenant, &name).await?.ok_or_else(not_found)
    }

    pub async fn delete_event_type(&self, tenant: &TenantId, name: &str) -> Result<(), ServiceError> {
        let not_found = || ServiceError::not_found("event type", name);
        let event_type = EventType::parse(name).map_err(|_| not_found())?;
        if !self.store.delete_event_type(tenant, &event_type).await? {
            return Err(not_found());
        }
        info!(tenant_id = %tenant, event_type = %event_type, "event type deleted");
        Ok(())
    }
}
