//! The attempt log, in the DynamoDB store's order: newest first by the index sort key, with the same
//! cursors.

use super::MemoryStore;
use crate::store::order;
use crate::store::{LogStore, MessageLog, Page, StoreError, TimeQuery};
use hookline_core::event_types::EventType;
use hookline_core::ids::{EndpointId, MessageId, TenantId};
use hookline_core::model::{Attempt, DeliveryState, Message};

/// The rows of `query`'s page, given each row's index sort key and creation time.
fn time_page<T>(mut rows: Vec<(String, i64, T)>, query: &TimeQuery) -> Page<T> {
    let limit = usize::try_from(query.limit.max(1)).unwrap_or(usize::MAX);
    rows.retain(|(key, at_ms, _)| {
        query.from_ms.is_none_or(|from| *at_ms >= from)
            && query.to_ms.is_none_or(|to| *at_ms < to)
            && query.before.as_ref().is_none_or(|before| key < before)
    });
    rows.sort_by(|a, b| b.0.cmp(&a.0));
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more { rows.last().map(|(key, _, _)| key.clone()) } else { None };
    Page { items: rows.into_iter().map(|(_, _, row)| row).collect(), next }
}

impl LogStore for MemoryStore {
    async fn messages_page(
        &self,
        tenant: &TenantId,
        event_type: Option<&EventType>,
        query: &TimeQuery,
    ) -> Result<Page<Message>, StoreError> {
        let tables = self.tables();
        let rows = tables
            .messages
            .values()
            .filter(|m| &m.tenant_id == tenant && event_type.is_none_or(|t| &m.event_type == t))
            .map(|m| (order::time_sk(m.created_at_ms, m.id.as_str()), m.created_at_ms, m.clone()))
            .collect();
        Ok(time_page(rows, query))
    }

    async fn endpoint_attempts_page(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        states: &[DeliveryState],
        query: &TimeQuery,
    ) -> Result<Page<Attempt>, StoreError> {
        let tables = self.tables();
        let rows = tables
            .attempts
            .iter()
            .filter(|a| &a.tenant_id == tenant && &a.endpoint_id == endpoint)
            .filter(|a| states.is_empty() || states.contains(&a.state))
            .map(|a| (order::time_sk(a.started_at_ms, a.id.as_str()), a.started_at_ms, a.clone()))
            .collect();
        Ok(time_page(rows, query))
    }

    async fn message_log(&self, tenant: &TenantId, id: &MessageId) -> Result<Option<MessageLog>, StoreError> {
        let tables = self.tables();
        let Some(message) = tables.messages.get(&(tenant.clone(), id.clone())).cloned() else {
            return Ok(None);
        };
        let deliveries = tables
            .deliveries
            .iter()
            .filter(|((t, m, _), _)| t == tenant && m == id)
            .map(|(_, delivery)| delivery.clone())
            .collect();
        let mut attempts: Vec<Attempt> = tables
            .attempts
            .iter()
            .filter(|a| &a.tenant_id == tenant && &a.message_id == id)
            .cloned()
            .collect();
        attempts.sort_by(|a, b| (&a.endpoint_id, a.ledger_seq).cmp(&(&b.endpoint_id, b.ledger_seq)));
        Ok(Some(MessageLog { message, deliveries, attempts }))
    }

    async fn latest_delivery(
        &self,
        tenant: &TenantId,
        message: &MessageId,
        endpoint: &EndpointId,
    ) -> Result<Option<Attempt>, StoreError> {
        let key = (tenant.clone(), message.clone(), endpoint.clone());
        Ok(self.tables().deliveries.get(&key).cloned())
    }

    async fn set_delivery_state(
        &self,
        tenant: &TenantId,
        message: &MessageId,
        endpoint: &EndpointId,
        state: DeliveryState,
        only_from: &[DeliveryState],
    ) -> Result<Option<DeliveryState>, StoreError> {
        let mut tables = self.tables();
        let key = (tenant.clone(), message.clone(), endpoint.clone());
        match tables.deliveries.get_mut(&key) {
            Some(newest) if only_from.contains(&newest.state) => {
                // The mark the DynamoDB store appends: the newest entry's fields, in the next place.
                newest.ledger_seq += 1;
                newest.response_body = None;
                newest.error_detail = None;
                Ok(Some(std::mem::replace(&mut newest.state, state)))
            }
            _ => Ok(None),
        }
    }
}
