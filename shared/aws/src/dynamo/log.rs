//! The attempt log: messages by time and attempts by endpoint through the listing index, a message's
//! whole partition in one Query, and its deliveries' ledgers (see `ledger`).

use aws_sdk_dynamodb::types::AttributeValue;

use super::codec::{Item, from_item};
use super::keys::{self, GSI1, GSI1PK, GSI1SK};
use super::{DynamoStore, corrupt, s};
use hookline::store::{LogStore, MessageLog, Page, StoreError, TimeQuery};
use hookline_core::event_types::EventType;
use hookline_core::ids::{EndpointId, MessageId, TenantId};
use hookline_core::model::{Attempt, DeliveryState, Message};

/// Index reads one page request may make. With a selective filter a page can come back short (or
/// empty) with a cursor, instead of one request reading the whole range.
const MAX_INDEX_READS: usize = 5;
/// Items evaluated per index read when a filter drops some of them.
const FILTERED_READ: i32 = 250;

/// The stored form of a delivery state (its serde form).
fn state_name(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Pending => "pending",
        DeliveryState::Succeeded => "succeeded",
        DeliveryState::Retrying => "retrying",
        DeliveryState::DeadLettered => "dead_lettered",
        DeliveryState::Abandoned => "abandoned",
    }
}

/// `#state IN (:state0, …)` with its values; `None` for no states.
fn states_condition(states: &[DeliveryState]) -> Option<(String, Vec<(String, AttributeValue)>)> {
    if states.is_empty() {
        return None;
    }
    let values: Vec<(String, AttributeValue)> =
        states.iter().enumerate().map(|(i, state)| (format!(":state{i}"), s(state_name(*state)))).collect();
    let names: Vec<&str> = values.iter().map(|(name, _)| name.as_str()).collect();
    Some((format!("#state IN ({})", names.join(", ")), values))
}

/// A filter applied to index items after they are read.
struct Filter {
    expression: String,
    names: Vec<(&'static str, &'static str)>,
    values: Vec<(String, AttributeValue)>,
}

fn index_key(item: &Item) -> Result<String, StoreError> {
    item.get(GSI1SK).and_then(|k| k.as_s().ok()).cloned().ok_or_else(|| corrupt("item", "no index sort key"))
}

impl DynamoStore {
    /// One page of `gsi1` under `gsi1pk`, newest first, within the query's time range and cursor.
    async fn time_page(
        &self,
        gsi1pk: String,
        filter: Option<Filter>,
        query: &TimeQuery,
        operation: &'static str,
    ) -> Result<Page<Item>, StoreError> {
        let limit = query.limit.max(1);
        let low = keys::time_floor(query.from_ms.unwrap_or(0));
        let mut high = query.to_ms.map_or_else(|| keys::TIME_CEILING.to_owned(), keys::time_floor);
        if let Some(before) = &query.before
            && *before < high
        {
            high.clone_from(before);
        }
        if low > high {
            return Ok(Page { items: Vec::new(), next: None });
        }
        let read = if filter.is_some() {
            FILTERED_READ
        } else {
            // One more than asked, and one for the cursor's own item (BETWEEN includes it).
            i32::try_from(limit).unwrap_or(i32::MAX - 2).saturating_add(2)
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut items = Vec::new();
        let mut start = None;
        let mut exhausted = false;
        for _ in 0..MAX_INDEX_READS {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("#gpk = :gpk AND #gsk BETWEEN :low AND :high")
                .expression_attribute_names("#gpk", GSI1PK)
                .expression_attribute_names("#gsk", GSI1SK)
                .expression_attribute_values(":gpk", s(gsi1pk.clone()))
                .expression_attribute_values(":low", s(low.clone()))
                .expression_attribute_values(":high", s(high.clone()))
                .scan_index_forward(false)
                .limit(read)
                .set_exclusive_start_key(start.take());
            if let Some(filter) = &filter {
                request = request.filter_expression(&filter.expression);
                for (name, attribute) in &filter.names {
                    request = request.expression_attribute_names(*name, *attribute);
                }
                for (name, value) in &filter.values {
                    request = request.expression_attribute_values(name, value.clone());
                }
            }
            let output = request.send().await.map_err(|e| StoreError::unavailable(operation, e))?;
            for item in output.items.unwrap_or_default() {
                // BETWEEN includes the cursor's own item: it ended the previous page.
                if query.before.is_none() || query.before.as_ref() > Some(&index_key(&item)?) {
                    items.push(item);
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                exhausted = true;
                break;
            }
            if items.len() > limit {
                break;
            }
        }
        if items.len() > limit {
            items.truncate(limit);
            let next = items.last().map(index_key).transpose()?;
            return Ok(Page { items, next });
        }
        if exhausted {
            return Ok(Page { items, next: None });
        }
        // The read budget ran out before the page filled: the next page resumes where reading stopped.
        let next = start.as_ref().map(index_key).transpose()?;
        Ok(Page { items, next })
    }
}

impl LogStore for DynamoStore {
    async fn messages_page(
        &self,
        tenant: &TenantId,
        event_type: Option<&EventType>,
        query: &TimeQuery,
    ) -> Result<Page<Message>, StoreError> {
        let filter = event_type.map(|event_type| Filter {
            expression: "#et = :et".into(),
            names: vec![("#et", "event_type")],
            values: vec![(":et".into(), s(event_type.as_str()))],
        });
        let found =
            self.time_page(keys::messages_by_time_pk(tenant), filter, query, "Query messages").await?;
        let items = self.items_behind(&found.items, "BatchGetItem messages").await?;
        let items = items.iter().map(super::message_item::message_of).collect::<Result<_, _>>()?;
        Ok(Page { items, next: found.next })
    }

    async fn endpoint_attempts_page(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        states: &[DeliveryState],
        query: &TimeQuery,
    ) -> Result<Page<Attempt>, StoreError> {
        let filter = states_condition(states).map(|(expression, values)| Filter {
            expression,
            names: vec![("#state", "state")],
            values,
        });
        let pk = keys::attempts_by_endpoint_pk(tenant, endpoint);
        let found = self.time_page(pk, filter, query, "Query attempts by endpoint").await?;
        let items = self.items_behind(&found.items, "BatchGetItem attempts").await?;
        let items = items.iter().map(|item| from_item(item, "attempt")).collect::<Result<_, _>>()?;
        Ok(Page { items, next: found.next })
    }

    async fn message_log(&self, tenant: &TenantId, id: &MessageId) -> Result<Option<MessageLog>, StoreError> {
        let partition = self.partition(tenant, id).await?;
        Ok(partition.message.map(|message| MessageLog {
            message,
            deliveries: partition.deliveries,
            attempts: partition.attempts,
        }))
    }

    async fn latest_delivery(
        &self,
        tenant: &TenantId,
        message: &MessageId,
        endpoint: &EndpointId,
    ) -> Result<Option<Attempt>, StoreError> {
        self.newest_entry(tenant, message, endpoint).await
    }

    async fn set_delivery_state(
        &self,
        tenant: &TenantId,
        message: &MessageId,
        endpoint: &EndpointId,
        state: DeliveryState,
        only_from: &[DeliveryState],
    ) -> Result<Option<DeliveryState>, StoreError> {
        self.mark(tenant, message, endpoint, state, only_from).await
    }
}
