//! Each delivery's ledger: its attempts and the marks resends leave, appended in order under the
//! message's partition (`DLV#ep#seq`). An entry is written once, with a condition that its place is
//! free, so the newest entry is where the delivery stands: one write records an attempt and the state,
//! and a reverse Query of one item reads it back.

use aws_sdk_dynamodb::types::AttributeValue;

use super::codec::{Item, from_item, to_item};
use super::keys::{self, EXPIRES_AT, GSI1PK, GSI1SK, LEDGER_MARK, PK, SK};
use super::{DynamoStore, s};
use hookline::store::{AttemptStore, StoreError};
use hookline_core::delivery::ledger::next_entry;
use hookline_core::ids::{EndpointId, MessageId, TenantId};
use hookline_core::model::{Attempt, DeliveryState, Message};

/// Appends tried before giving up: each lost race means another entry landed first, and at most a few
/// writers (a duplicate receive, a resend) ever touch one delivery at once.
const MAX_APPENDS: usize = 5;

/// What one message's partition holds.
pub(super) struct Partition {
    pub message: Option<Message>,
    /// The newest entry per endpoint (or the legacy latest-state item), by the endpoints' order.
    pub deliveries: Vec<Attempt>,
    /// Every attempt (legacy ones first), oldest first per endpoint.
    pub attempts: Vec<Attempt>,
}

impl Partition {
    /// Sorts a partition's items, read in sort key order, into the message, deliveries and attempts.
    pub fn of(items: &[Item]) -> Result<Self, StoreError> {
        let mut message = None;
        let mut outcome = None;
        let mut deliveries: Vec<Attempt> = Vec::new();
        let mut legacy_attempts = Vec::new();
        let mut ledger_attempts = Vec::new();
        for item in items {
            let sk = super::sort_key(item)?;
            if sk == keys::MESSAGE_SK {
                message = Some(item);
            } else if sk == keys::QUEUE_OUTCOME_SK {
                outcome = Some(item);
            } else if sk.starts_with(keys::LEGACY_ATTEMPT_SK_PREFIX) {
                legacy_attempts.push(from_item(item, "attempt")?);
            } else if let Some((_, in_ledger)) = keys::delivery_of(&sk) {
                let entry: Attempt = from_item(item, "delivery")?;
                // In sort key order, a later item of the same endpoint is newer.
                match deliveries.last_mut() {
                    Some(newest) if newest.endpoint_id == entry.endpoint_id => *newest = entry.clone(),
                    _ => deliveries.push(entry.clone()),
                }
                if in_ledger && !item.contains_key(LEDGER_MARK) {
                    ledger_attempts.push(entry);
                }
            }
        }
        let mut attempts = legacy_attempts;
        attempts.extend(ledger_attempts);
        // Stable: per endpoint, legacy attempts (by number) stay before the ledger's (by place).
        attempts.sort_by(|a, b| a.endpoint_id.cmp(&b.endpoint_id));
        let message = message.map(|message| super::messages::with_outcome(message, outcome)).transpose()?;
        Ok(Self { message, deliveries, attempts })
    }
}

impl DynamoStore {
    /// Every item of the message's partition, in sort key order (consistent: the ledger is read back).
    pub(super) async fn partition(&self, tenant: &TenantId, id: &MessageId) -> Result<Partition, StoreError> {
        let items = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(keys::message_pk(tenant, id)))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| StoreError::unavailable("Query message", e))?;
        Partition::of(&items)
    }

    /// The delivery's newest ledger entry (or, for a delivery with none, the legacy latest-state item).
    pub(super) async fn newest_entry(
        &self,
        tenant: &TenantId,
        message: &MessageId,
        endpoint: &EndpointId,
    ) -> Result<Option<Attempt>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(keys::message_pk(tenant, message)))
            .expression_attribute_values(":low", s(keys::delivery_sk(endpoint)))
            .expression_attribute_values(":high", s(keys::ledger_ceiling(endpoint)))
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::unavailable("Query delivery", e))?;
        output.items.unwrap_or_default().first().map(|item| from_item(item, "delivery")).transpose()
    }

    /// Writes `entry` at its `ledger_seq` if that place is free; false if another entry holds it.
    async fn append(&self, entry: &Attempt, mark: bool) -> Result<bool, StoreError> {
        let pk = keys::message_pk(&entry.tenant_id, &entry.message_id);
        let sk = keys::ledger_sk(&entry.endpoint_id, entry.ledger_seq);
        let mut item = Self::keyed(to_item(entry, "attempt")?, pk, sk);
        item.insert(EXPIRES_AT.into(), self.expires_at(entry.started_at_ms));
        if mark {
            item.insert(LEDGER_MARK.into(), AttributeValue::Bool(true));
        } else {
            // Attempts are listed by endpoint; marks are states, not attempts, and are not.
            item.insert(
                GSI1PK.into(),
                s(keys::attempts_by_endpoint_pk(&entry.tenant_id, &entry.endpoint_id)),
            );
            item.insert(GSI1SK.into(), s(keys::time_sk(entry.started_at_ms, entry.id.as_str())));
        }
        self.create(item, if mark { "PutItem delivery mark" } else { "PutItem attempt" }).await
    }

    /// Appends a mark setting the delivery's state to `state`, right after its newest entry, if that
    /// entry's state is one of `only_from`; returns the state it replaced.
    pub(super) async fn mark(
        &self,
        tenant: &TenantId,
        message: &MessageId,
        endpoint: &EndpointId,
        state: DeliveryState,
        only_from: &[DeliveryState],
    ) -> Result<Option<DeliveryState>, StoreError> {
        for _ in 0..MAX_APPENDS {
            let Some(newest) = self.newest_entry(tenant, message, endpoint).await? else { return Ok(None) };
            if !only_from.contains(&newest.state) {
                return Ok(None);
            }
            // What the ledger reads of a state; the response and error are the attempt's, not the mark's.
            let mark = Attempt {
                state,
                ledger_seq: next_entry(Some(&newest)),
                response_body: None,
                error_detail: None,
                ..newest.clone()
            };
            if self.append(&mark, true).await? {
                return Ok(Some(newest.state));
            }
        }
        Err(StoreError::Conflict)
    }
}

impl AttemptStore for DynamoStore {
    async fn record_attempt(&self, attempt: &Attempt) -> Result<(), StoreError> {
        let mut entry = Attempt { ledger_seq: attempt.ledger_seq.max(1), ..attempt.clone() };
        for _ in 0..MAX_APPENDS {
            if self.append(&entry, false).await? {
                return Ok(());
            }
            // Another entry took the place (a duplicate receive's attempt, a resend's mark): the attempt
            // was made all the same, so it goes after whatever is newest now.
            let newest = self.newest_entry(&entry.tenant_id, &entry.message_id, &entry.endpoint_id).await?;
            entry.ledger_seq = next_entry(newest.as_ref());
        }
        Err(StoreError::Conflict)
    }

    async fn attempts_for_message(
        &self,
        tenant: &TenantId,
        id: &MessageId,
    ) -> Result<Vec<Attempt>, StoreError> {
        Ok(self.partition(tenant, id).await?.attempts)
    }
}
