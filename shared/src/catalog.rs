//! A tenant's event-type catalogue: names with a description and an example payload, which document
//! the events for subscribers and, if the tenant asks, are the only types ingest accepts.

use tracing::info;

use crate::api::{CreateEventType, EventTypeView, ListPage};
use crate::clock::Clock;
use crate::endpoint_rules::checked_description;
use crate::error::{ServiceError, page_after};
use crate::event_type::EventType;
use crate::ids::TenantId;
use crate::ingest::IngestDeps;
use crate::model::EventTypeInfo;
use crate::store::{EventTypeStore, PageRequest, keys};

pub async fn create_event_type<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    request: CreateEventType,
) -> Result<EventTypeView, ServiceError>
where
    S: EventTypeStore,
    C: Clock,
{
    let name = EventType::parse(&request.name).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    checked_description(request.description.as_deref())?;
    if request.example.as_ref().is_some_and(|example| !example.is_object()) {
        return Err(ServiceError::Invalid("example must be a JSON object, like an event's payload".into()));
    }
    let info = EventTypeInfo {
        tenant_id: tenant.clone(),
        name,
        description: request.description,
        example: request.example,
        created_at_ms: deps.clock.now_ms(),
    };
    if !deps.store.put_event_type(&info).await? {
        return Err(ServiceError::EventTypeExists(info.name.to_string()));
    }
    info!(tenant_id = %tenant, event_type = %info.name, "event type registered");
    Ok(EventTypeView::of(&info))
}

pub async fn list_event_types<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    limit: u32,
    cursor: Option<&str>,
) -> Result<ListPage<EventTypeView>, ServiceError>
where
    S: EventTypeStore,
{
    let after = page_after(cursor, keys::EVENT_TYPE_SK_PREFIX)?;
    let page = deps.store.event_types_page(tenant, &PageRequest { limit, after }).await?;
    Ok(ListPage {
        data: page.items.iter().map(EventTypeView::of).collect(),
        next_cursor: page.next.as_deref().map(crate::api::encode_cursor),
    })
}

pub async fn get_event_type<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    name: &str,
) -> Result<EventTypeView, ServiceError>
where
    S: EventTypeStore,
{
    let not_found = || ServiceError::not_found("event type", name);
    let name = EventType::parse(name).map_err(|_| not_found())?;
    let info = deps.store.get_event_type(tenant, &name).await?.ok_or_else(not_found)?;
    Ok(EventTypeView::of(&info))
}

pub async fn delete_event_type<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    tenant: &TenantId,
    name: &str,
) -> Result<(), ServiceError>
where
    S: EventTypeStore,
{
    let not_found = || ServiceError::not_found("event type", name);
    let event_type = EventType::parse(name).map_err(|_| not_found())?;
    if !deps.store.delete_event_type(tenant, &event_type).await? {
        return Err(not_found());
    }
    info!(tenant_id = %tenant, event_type = %event_type, "event type deleted");
    Ok(())
}
