//! The DynamoDB implementation of the store ports (single table; see [`super::keys`]).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use super::codec::{Item, from_item, to_item};
use super::keys::{self, EXPIRES_AT, GSI1PK, GSI1SK, PK, SK};
use super::{AttemptStore, EndpointStore, Inserted, MessageStore, StoreError};
use crate::ids::{EndpointId, MessageId, TenantId};
use crate::model::{Attempt, Endpoint, Message, QueueState};

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// How long messages and attempts are kept before DynamoDB's TTL deletes them.
    retention_secs: i64,
}

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>, retention_days: u32) -> Self {
        Self { client, table: table.into(), retention_secs: i64::from(retention_days) * 86_400 }
    }

    pub fn from_sdk(aws: &aws_config::SdkConfig, table: impl Into<String>, retention_days: u32) -> Self {
        Self::new(Client::new(aws), table, retention_days)
    }

    fn expires_at(&self, from_ms: i64) -> AttributeValue {
        AttributeValue::N((from_ms.div_euclid(1000) + self.retention_secs).to_string())
    }

    fn keyed(mut item: Item, pk: String, sk: String) -> Item {
        item.insert(PK.into(), s(pk));
        item.insert(SK.into(), s(sk));
        item
    }

    async fn get(&self, pk: String, sk: String, operation: &'static str) -> Result<Option<Item>, StoreError> {
        let found = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::dynamo(operation, e))?;
        Ok(found.item)
    }

    async fn query_prefix(
        &self,
        pk: String,
        sk_prefix: &str,
        operation: &'static str,
    ) -> Result<Vec<Item>, StoreError> {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(sk_prefix))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| StoreError::dynamo(operation, e))
    }
}

impl EndpointStore for DynamoStore {
    async fn put_endpoint(&self, endpoint: &Endpoint) -> Result<(), StoreError> {
        let item = Self::keyed(
            to_item(endpoint, "endpoint")?,
            keys::tenant_pk(&endpoint.tenant_id),
            keys::endpoint_sk(&endpoint.id),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem endpoint", e))?;
        Ok(())
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
            .update_expression("SET enabled = :false, disabled_reason = :reason")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":reason", s(reason))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                Err(StoreError::NoSuchEndpoint(id.clone()))
            }
            Err(e) => Err(StoreError::dynamo("UpdateItem endpoint", e)),
        }
    }
}

impl MessageStore for DynamoStore {
    async fn insert_message(&self, message: &Message) -> Result<Inserted, StoreError> {
        let pk = keys::message_pk(&message.tenant_id, &message.id);
        let mut item = Self::keyed(to_item(message, "message")?, pk.clone(), keys::MESSAGE_SK.into());
        item.insert(GSI1PK.into(), s(keys::messages_by_time_pk(&message.tenant_id)));
        item.insert(GSI1SK.into(), s(keys::time_sk(message.created_at_ms, message.id.as_str())));
        item.insert(EXPIRES_AT.into(), self.expires_at(message.created_at_ms));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Inserted::New),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                // Lost the race to an earlier copy of the same request: answer with what it stored.
                let existing = self.get(pk, keys::MESSAGE_SK.into(), "GetItem message").await?;
                let existing = existing.ok_or_else(|| StoreError::Corrupt {
                    entity: "message",
                    source: serde::de::Error::custom("conditional write failed but no item exists"),
                })?;
                Ok(Inserted::Existing(Box::new(from_item(&existing, "message")?)))
            }
            Err(e) => Err(StoreError::dynamo("PutItem message", e)),
        }
    }

    async fn set_queue_state(
        &self,
        tenant: &TenantId,
        id: &MessageId,
        state: QueueState,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(keys::message_pk(tenant, id)))
            .key(SK, s(keys::MESSAGE_SK))
            .update_expression("SET queue_state = :state")
            .expression_attribute_values(":state", s(state.as_str()))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("UpdateItem message", e))?;
        Ok(())
    }

    async fn get_message(&self, tenant: &TenantId, id: &MessageId) -> Result<Option<Message>, StoreError> {
        let item = self.get(keys::message_pk(tenant, id), keys::MESSAGE_SK.into(), "GetItem message").await?;
        item.map(|item| from_item(&item, "message")).transpose()
    }
}

impl AttemptStore for DynamoStore {
    async fn record_attempt(&self, attempt: &Attempt) -> Result<(), StoreError> {
        let pk = keys::message_pk(&attempt.tenant_id, &attempt.message_id);
        let fields = to_item(attempt, "attempt")?;
        let expires_at = self.expires_at(attempt.started_at_ms);

        let mut log_item = Self::keyed(
            fields.clone(),
            pk.clone(),
            keys::attempt_sk(&attempt.endpoint_id, attempt.number, &attempt.id),
        );
        log_item.insert(
            GSI1PK.into(),
            s(keys::attempts_by_endpoint_pk(&attempt.tenant_id, &attempt.endpoint_id)),
        );
        log_item.insert(GSI1SK.into(), s(keys::time_sk(attempt.started_at_ms, attempt.id.as_str())));
        log_item.insert(EXPIRES_AT.into(), expires_at.clone());
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(log_item))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem attempt", e))?;

        // The latest attempt doubles as where the message stands with this endpoint.
        let mut latest = Self::keyed(fields, pk, keys::delivery_sk(&attempt.endpoint_id));
        latest.insert(EXPIRES_AT.into(), expires_at);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(latest))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem delivery", e))?;
        Ok(())
    }

    async fn attempts_for_message(
        &self,
        tenant: &TenantId,
        id: &MessageId,
    ) -> Result<Vec<Attempt>, StoreError> {
        let items = self
            .query_prefix(keys::message_pk(tenant, id), keys::ATTEMPT_SK_PREFIX, "Query attempts")
            .await?;
        items.iter().map(|item| from_item(item, "attempt")).collect()
    }
}
