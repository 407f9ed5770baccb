//! The DynamoDB implementation of the store ports (single table; see [`keys`]).

mod codec;
mod endpoints;
mod index;
pub mod keys;
mod ledger;
mod log;
mod message_item;
mod messages;
mod platform;
mod tenants;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;

use codec::Item;
use hookline::store::{Page, PageRequest, StoreError};
use keys::{PK, SK};

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

fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// The write errors that can say "your condition did not hold".
trait ConditionFailed {
    fn condition_failed(&self) -> bool;
}

impl ConditionFailed for PutItemError {
    fn condition_failed(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionFailed for UpdateItemError {
    fn condition_failed(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionFailed for DeleteItemError {
    fn condition_failed(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

/// Whether a conditional write happened: `Ok(false)` when its condition did not hold.
fn applied<O, E>(result: Result<O, SdkError<E>>, operation: &'static str) -> Result<bool, StoreError>
where
    E: ConditionFailed + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(ConditionFailed::condition_failed) => Ok(false),
        Err(e) => Err(StoreError::unavailable(operation, e)),
    }
}

fn corrupt(entity: &'static str, why: &'static str) -> StoreError {
    StoreError::Corrupt { entity, source: serde::de::Error::custom(why) }
}

fn sort_key(item: &Item) -> Result<String, StoreError> {
    item.get(SK).and_then(|sk| sk.as_s().ok()).cloned().ok_or_else(|| corrupt("item", "no sort key"))
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>, retention_days: u32) -> Self {
        Self { client, table: table.into(), retention_secs: i64::from(retention_days) * 86_400 }
    }

    pub fn from_sdk(aws: &aws_config::SdkConfig, table: impl Into<String>, retention_days: u32) -> Self {
        Self::new(Client::new(aws), table, retention_days)
    }

    fn expires_at(&self, from_ms: i64) -> AttributeValue {
        n(from_ms.div_euclid(1000) + self.retention_secs)
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
            .map_err(|e| StoreError::unavailable(operation, e))?;
        Ok(found.item)
    }

    /// Writes `item` only if no item has its key; false if one does.
    async fn create(&self, item: Item, operation: &'static str) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        applied(result, operation)
    }

    /// An UpdateItem of the item at the key, with `#pk` named for conditions on the item's existence.
    fn update_at(&self, pk: String, sk: impl Into<String>) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .expression_attribute_names("#pk", PK)
    }

    /// Deletes the item at the key; false if there was none.
    async fn delete(&self, pk: String, sk: String, operation: &'static str) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        applied(result, operation)
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
            .map_err(|e| StoreError::unavailable(operation, e))
    }

    /// One page of the items under `pk` whose sort key starts with `sk_prefix`, in sort key order.
    ///
    /// Reads one item more than asked, so `next` is set only when another item exists: the last page
    /// is never followed by an empty one. A cursor outside the prefix is clamped (before it: from the
    /// start; after it: nothing), since DynamoDB refuses a start key outside the key condition.
    async fn query_page(
        &self,
        pk: String,
        sk_prefix: &str,
        request: &PageRequest,
        operation: &'static str,
    ) -> Result<Page<Item>, StoreError> {
        let limit = request.limit.max(1);
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(pk.clone()))
            .expression_attribute_values(":prefix", s(sk_prefix))
            .consistent_read(true)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX - 1).saturating_add(1));
        match request.after.as_deref() {
            Some(after) if after.starts_with(sk_prefix) => {
                query = query.exclusive_start_key(PK, s(pk)).exclusive_start_key(SK, s(after));
            }
            Some(after) if after > sk_prefix => return Ok(Page { items: Vec::new(), next: None }),
            _ => {}
        }
        let output = query.send().await.map_err(|e| StoreError::unavailable(operation, e))?;
        let mut items = output.items.unwrap_or_default();
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        // More items than asked, or a read cut short by DynamoDB's 1 MB page size: there may be more.
        let more = items.len() > limit || output.last_evaluated_key.is_some();
        items.truncate(limit);
        let next = match (more, items.last()) {
            (false, _) => None,
            (true, Some(last)) => Some(sort_key(last)?),
            (true, None) => output.last_evaluated_key.as_ref().map(sort_key).transpose()?,
        };
        Ok(Page { items, next })
    }
}
