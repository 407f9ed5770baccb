//! Items in the tenant's own partition: endpoints and event types.

use aws_sdk_dynamodb::types::AttributeValue;

use super::codec::{from_item, to_item};
use super::keys::{self, PK, SK};
use super::{DynamoStore, applied, n, s};
use hookline::store::{EndpointStore, EventTypeStore, Page, PageRequest, StoreError};
use hookline_core::event_types::EventType;
use hookline_core::ids::{EndpointId, TenantId};
use hookline_core::model::{Endpoint, EventTypeInfo};

impl EndpointStore for DynamoStore {
    async fn put_endpoint(&self, endpoint: &Endpoint) -> Result<(), StoreError> {
        let item = Self::keyed(
            to_item(endpoint, "endpoint")?,
            keys::tenant_pk(&endpoint.tenant_id),
            keys::endpoint_sk(&endpoint.id),
        );
        if self.create(item, "PutItem endpoint").await? { Ok(()) } else { Err(StoreError::Conflict) }
    }

    async fn replace_endpoint(&self, endpoint: &Endpoint) -> Result<(), StoreError> {
        // Revision 0 is only ever created, never a replacement.
        let Some(previous) = endpoint.revision.checked_sub(1) else {
            return Err(StoreError::Conflict);
        };
        let pk = keys::tenant_pk(&endpoint.tenant_id);
        let sk = keys::endpoint_sk(&endpoint.id);
        let item = Self::keyed(to_item(endpoint, "endpoint")?, pk.clone(), sk.clone());
        // Endpoints stored before revisions existed have none, which reads as revision 0.
        let condition = if previous == 0 {
            "attribute_exists(#pk) AND (attribute_not_exists(#rev) OR #rev = :previous)"
        } else {
            "attribute_exists(#pk) AND #rev = :previous"
        };
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#rev", "revision")
            .expression_attribute_values(":previous", n(previous))
            .send()
            .await;
        if applied(result, "PutItem endpoint")? {
            return Ok(());
        }
        // The condition does not say which half failed: a read tells a lost race from a deletion.
        match self.get(pk, sk, "GetItem endpoint").await? {
            None => Err(StoreError::NoSuchEndpoint(endpoint.id.clone())),
            Some(_) => Err(StoreError::Conflict),
        }
    }

    async fn delete_endpoint(&self, tenant: &TenantId, id: &EndpointId) -> Result<bool, StoreError> {
        self.delete(keys::tenant_pk(tenant), keys::endpoint_sk(id), "DeleteItem endpoint").await
    }

    async fn endpoints_page(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Endpoint>, StoreError> {
        let found = self
            .query_page(keys::tenant_pk(tenant), keys::ENDPOINT_SK_PREFIX, page, "Query endpoints")
            .await?;
        let items = found.items.iter().map(|item| from_item(item, "endpoint")).collect::<Result<_, _>>()?;
        Ok(Page { items, next: found.next })
    }

    async fn get_endpoint(&self, tenant: &TenantId, id: &EndpointId) -> Result<Option<Endpoint>, StoreError> {
        let item = self.get(keys::tenant_pk(tenant), keys::endpoint_sk(id), "GetItem endpoint").await?;
        item.map(|item| from_item(&item, "endpoint")).transpose()
    }

    async fn list_endpoints(&self, tenant: &TenantId) -> Result<Vec<Endpoint>, StoreError> {
        let items =
            self.query_prefix(keys::tenant_pk(tenant), keys::ENDPOINT_SK_PREFIX, "Query endpoints").await?;
        items.iter().map(|item| from_item(item, "endpoint")).collect()
    }

    async fn record_endpoint_failure(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        at_ms: i64,
    ) -> Result<i64, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(keys::tenant_pk(tenant)))
            .key(SK, s(keys::endpoint_sk(id)))
            // One atomic write: concurrent failures agree on when the run began. ALL_NEW, because
            // UPDATED_NEW may leave out an attribute that `if_not_exists` kept unchanged.
            .update_expression(
                "SET failing_since_ms = if_not_exists(failing_since_ms, :at) ADD consecutive_failures :one, #rev :one",
            )
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#rev", "revision")
            .expression_attribute_values(":at", n(at_ms))
            .expression_attribute_values(":one", n(1))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => output
                .attributes
                .as_ref()
                .and_then(|fields| fields.get("failing_since_ms"))
                .and_then(|since| since.as_n().ok())
                .and_then(|since| since.parse().ok())
                .ok_or_else(|| super::corrupt("endpoint", "failing_since_ms missing after the update")),
            Err(e) if e.as_service_error().is_some_and(super::ConditionFailed::condition_failed) => {
                Err(StoreError::NoSuchEndpoint(id.clone()))
            }
            Err(e) => Err(StoreError::unavailable("UpdateItem endpoint health", e)),
        }
    }

    async fn record_endpoint_success(&self, tenant: &TenantId, id: &EndpointId) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(keys::tenant_pk(tenant)))
            .key(SK, s(keys::endpoint_sk(id)))
            .update_expression("REMOVE failing_since_ms SET consecutive_failures = :zero ADD #rev :one")
            .condition_expression("attribute_exists(failing_since_ms)")
            .expression_attribute_names("#rev", "revision")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        // Not failing (or deleted meanwhile): nothing to reset.
        applied(result, "UpdateItem endpoint health").map(|_| ())
    }

    async fn disable_endpoint(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        reason: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(keys::tenant_pk(tenant)))
            .key(SK, s(keys::endpoint_sk(id)))
            // A revision bump, so an API write based on the enabled endpoint cannot undo this.
            .update_expression("SET enabled = :false, disabled_reason = :reason ADD #rev :one")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#rev", "revision")
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":reason", s(reason))
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        if applied(result, "UpdateItem endpoint")? {
            Ok(())
        } else {
            Err(StoreError::NoSuchEndpoint(id.clone()))
        }
    }
}

impl EventTypeStore for DynamoStore {
    async fn put_event_type(&self, info: &EventTypeInfo) -> Result<bool, StoreError> {
        let item = Self::keyed(
            to_item(info, "event type")?,
            keys::tenant_pk(&info.tenant_id),
            keys::event_type_sk(&info.name),
        );
        self.create(item, "PutItem event type").await
    }

    async fn get_event_type(
        &self,
        tenant: &TenantId,
        name: &EventType,
    ) -> Result<Option<EventTypeInfo>, StoreError> {
        let item = self.get(keys::tenant_pk(tenant), keys::event_type_sk(name), "GetItem event type").await?;
        item.map(|item| from_item(&item, "event type")).transpose()
    }

    async fn event_types_page(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<EventTypeInfo>, StoreError> {
        let found = self
            .query_page(keys::tenant_pk(tenant), keys::EVENT_TYPE_SK_PREFIX, page, "Query event types")
            .await?;
        let items = found.items.iter().map(|item| from_item(item, "event type")).collect::<Result<_, _>>()?;
        Ok(Page { items, next: found.next })
    }

    async fn delete_event_type(&self, tenant: &TenantId, name: &EventType) -> Result<bool, StoreError> {
        self.delete(keys::tenant_pk(tenant), keys::event_type_sk(name), "DeleteItem event type").await
    }
}
