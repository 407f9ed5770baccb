//! Messages: one partition per message, which also holds its deliveries' ledgers (see `ledger`).
//!
//! Where queueing a message ended (queued, failed) is a small item of its own (`QSTATE`), written once
//! per claim, not an update of the message: an update is billed by the whole item, payload included, so
//! marking a message queued cost as much as storing it. The outcome names the claim it ends
//! (`claimed_at_ms`) and counts only while that claim is the message's latest.

use super::codec::{Item, from_item, to_item};
use super::keys::{self, EXPIRES_AT, GSI1PK, GSI1SK, PK, SK};
use super::{DynamoStore, applied, corrupt, n, s};
use hookline::store::{Inserted, MessageStore, StoreError};
use hookline_core::ids::{MessageId, TenantId};
use hookline_core::model::{Message, QueueState};

/// The stored outcome of queueing a message under one claim.
#[derive(serde::Serialize, serde::Deserialize)]
struct QueueOutcome {
    queue_state: QueueState,
    claimed_at_ms: i64,
}

/// The message with the outcome of its latest claim applied, from the items of its partition between
/// the message and its outcome.
pub(super) fn with_outcome(message: &Item, outcome: Option<&Item>) -> Result<Message, StoreError> {
    let mut message = super::message_item::message_of(message)?;
    if let Some(outcome) = outcome {
        let outcome: QueueOutcome = from_item(outcome, "queue outcome")?;
        if outcome.claimed_at_ms == message.claimed_at_ms {
            message.queue_state = outcome.queue_state;
        }
    }
    Ok(message)
}

impl DynamoStore {
    /// The message and the outcome of queueing it, in one consistent read.
    async fn read_message(&self, tenant: &TenantId, id: &MessageId) -> Result<Option<Message>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :message AND :outcome")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(keys::message_pk(tenant, id)))
            .expression_attribute_values(":message", s(keys::MESSAGE_SK))
            .expression_attribute_values(":outcome", s(keys::QUEUE_OUTCOME_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::unavailable("Query message", e))?;
        let items = output.items.unwrap_or_default();
        let sk_is =
            |item: &&Item, sk: &str| item.get(SK).and_then(|v| v.as_s().ok()).is_some_and(|v| v == sk);
        let Some(message) = items.iter().find(|item| sk_is(item, keys::MESSAGE_SK)) else { return Ok(None) };
        let outcome = items.iter().find(|item| sk_is(item, keys::QUEUE_OUTCOME_SK));
        with_outcome(message, outcome).map(Some)
    }
}

impl MessageStore for DynamoStore {
    async fn insert_message(&self, message: &Message) -> Result<Inserted, StoreError> {
        let pk = keys::message_pk(&message.tenant_id, &message.id);
        let mut item = Self::keyed(to_item(message, "message")?, pk, keys::MESSAGE_SK.into());
        item.insert(GSI1PK.into(), s(keys::messages_by_time_pk(&message.tenant_id)));
        item.insert(GSI1SK.into(), s(keys::time_sk(message.created_at_ms, message.id.as_str())));
        item.insert(EXPIRES_AT.into(), self.expires_at(message.created_at_ms));
        super::message_item::compact(&mut item);
        if self.create(item, "PutItem message").await? {
            return Ok(Inserted::New);
        }
        // Lost the race to an earlier copy of the same request: answer with what it stored.
        let existing = self.read_message(&message.tenant_id, &message.id).await?;
        let existing =
            existing.ok_or_else(|| corrupt("message", "conditional write failed but no item exists"))?;
        Ok(Inserted::Existing(Box::new(existing)))
    }

    async fn set_queue_state(&self, message: &Message, state: QueueState) -> Result<(), StoreError> {
        let outcome = QueueOutcome { queue_state: state, claimed_at_ms: message.claimed_at_ms };
        let pk = keys::message_pk(&message.tenant_id, &message.id);
        let mut item = Self::keyed(to_item(&outcome, "queue outcome")?, pk, keys::QUEUE_OUTCOME_SK.into());
        item.insert(EXPIRES_AT.into(), self.expires_at(message.created_at_ms));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| StoreError::unavailable("PutItem queue outcome", e))?;
        Ok(())
    }

    async fn claim_queueing(&self, seen: &Message, now_ms: i64) -> Result<bool, StoreError> {
        // The claim is the lease start: whoever moves it first from what `seen` shows holds the message.
        // An outcome written for the earlier claim no longer applies once it moves.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(keys::message_pk(&seen.tenant_id, &seen.id)))
            .key(SK, s(keys::MESSAGE_SK))
            .update_expression("SET queue_state = :queueing, claimed_at_ms = :now")
            .condition_expression("claimed_at_ms = :seen_claimed")
            .expression_attribute_values(":queueing", s(QueueState::Queueing.as_str()))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":seen_claimed", n(seen.claimed_at_ms))
            .send()
            .await;
        applied(result, "UpdateItem message")
    }

    async fn get_message(&self, tenant: &TenantId, id: &MessageId) -> Result<Option<Message>, StoreError> {
        self.read_message(tenant, id).await
    }
}
