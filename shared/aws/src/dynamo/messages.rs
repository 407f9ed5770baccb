//! Messages: one partition per message, which also holds its deliveries' ledgers (see `ledger`).

use super::codec::{from_item, to_item};
use super::keys::{self, EXPIRES_AT, GSI1PK, GSI1SK, PK, SK};
use super::{DynamoStore, applied, corrupt, n, s};
use hookline::store::{Inserted, MessageStore, StoreError};
use hookline_core::ids::{MessageId, TenantId};
use hookline_core::model::{Message, QueueState};

impl MessageStore for DynamoStore {
    async fn insert_message(&self, message: &Message) -> Result<Inserted, StoreError> {
        let pk = keys::message_pk(&message.tenant_id, &message.id);
        let mut item = Self::keyed(to_item(message, "message")?, pk.clone(), keys::MESSAGE_SK.into());
        item.insert(GSI1PK.into(), s(keys::messages_by_time_pk(&message.tenant_id)));
        item.insert(GSI1SK.into(), s(keys::time_sk(message.created_at_ms, message.id.as_str())));
        item.insert(EXPIRES_AT.into(), self.expires_at(message.created_at_ms));
        if self.create(item, "PutItem message").await? {
            return Ok(Inserted::New);
        }
        // Lost the race to an earlier copy of the same request: answer with what it stored.
        let existing = self.get(pk, keys::MESSAGE_SK.into(), "GetItem message").await?;
        let existing =
            existing.ok_or_else(|| corrupt("message", "conditional write failed but no item exists"))?;
        Ok(Inserted::Existing(Box::new(from_item(&existing, "message")?)))
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
            .map_err(|e| StoreError::unavailable("UpdateItem message", e))?;
        Ok(())
    }

    async fn claim_queueing(&self, seen: &Message, now_ms: i64) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(keys::message_pk(&seen.tenant_id, &seen.id)))
            .key(SK, s(keys::MESSAGE_SK))
            .update_expression("SET queue_state = :queueing, claimed_at_ms = :now")
            .condition_expression("queue_state = :seen_state AND claimed_at_ms = :seen_claimed")
            .expression_attribute_values(":queueing", s(QueueState::Queueing.as_str()))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":seen_state", s(seen.queue_state.as_str()))
            .expression_attribute_values(":seen_claimed", n(seen.claimed_at_ms))
            .send()
            .await;
        applied(result, "UpdateItem message")
    }

    async fn get_message(&self, tenant: &TenantId, id: &MessageId) -> Result<Option<Message>, StoreError> {
        let item = self.get(keys::message_pk(tenant, id), keys::MESSAGE_SK.into(), "GetItem message").await?;
        item.map(|item| from_item(&item, "message")).transpose()
    }
}
