//! The attempt log: which messages a tenant sent, where each stands with each endpoint, and every
//! attempt made. Read-only; every read is keyed by the tenant, so another tenant's ids are not found.
//! Items expire with DynamoDB's TTL after `AttemptRetentionDays`.

use serde_json::Value;

use hookline_core::event_types::EventType;
use hookline_core::ids::{AttemptId, EndpointId, MessageId, TenantId};
use hookline_core::model::{Attempt, DeliveryState, Message};
use hookline_core::time::parse_time;

use crate::app::App;
use crate::endpoints::tenant_endpoint;
use crate::error::ServiceError;
use crate::ports::Ports;
use crate::store::order::is_time_cursor;
use crate::store::{LogStore as _, MessageLog, Page, TimeQuery};

/// The query of a time-ordered listing, as sent: `since` and `until` are RFC 3339 (`since` inclusive,
/// `until` exclusive), `cursor` the previous page's cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogQuery<'a> {
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub limit: u32,
    pub cursor: Option<&'a str>,
}

/// A message with its payload and, per endpoint, where it stands and every attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageHistory {
    pub message: Message,
    /// The payload as the producer sent it (delivered as the envelope's `data`).
    pub payload: Value,
    pub deliveries: Vec<DeliveryHistory>,
}

/// Where a message stands with one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryHistory {
    pub endpoint_id: EndpointId,
    /// The latest attempt's state; `pending` before the first attempt and while a resend waits.
    pub state: DeliveryState,
    /// Oldest first.
    pub attempts: Vec<Attempt>,
}

impl<P: Ports> App<P> {
    /// One page of the tenant's messages, newest first, optionally of one event type and a time range.
    pub async fn list_messages(
        &self,
        tenant: &TenantId,
        query: &LogQuery<'_>,
        event_type: Option<&str>,
    ) -> Result<Page<Message>, ServiceError> {
        let event_type = event_type
            .map(|t| EventType::parse(t).map_err(|e| ServiceError::Invalid(format!("event_type: {e}"))))
            .transpose()?;
        let time = time_query(query, MessageId::PREFIX)?;
        Ok(self.store.messages_page(tenant, event_type.as_ref(), &time).await?)
    }

    /// The message with its payload and, per endpoint, its state and attempts.
    pub async fn get_message(&self, tenant: &TenantId, id: &str) -> Result<MessageHistory, ServiceError> {
        let not_found = || ServiceError::not_found("message", id);
        let id = MessageId::parse(id).map_err(|_| not_found())?;
        let log = self.store.message_log(tenant, &id).await?.ok_or_else(not_found)?;
        Ok(history(&log))
    }

    /// One page of the attempts made to an endpoint, newest first, optionally of one status.
    pub async fn list_endpoint_attempts(
        &self,
        tenant: &TenantId,
        endpoint_id: &str,
        query: &LogQuery<'_>,
        status: Option<&str>,
    ) -> Result<Page<Attempt>, ServiceError> {
        let states = status_states(status)?;
        let time = time_query(query, AttemptId::PREFIX)?;
        let endpoint = tenant_endpoint(&self.store, tenant, endpoint_id).await?;
        Ok(self.store.endpoint_attempts_page(tenant, &endpoint.id, &states, &time).await?)
    }
}

/// The states an attempt `status` filter selects; `failed` is every attempt that did not succeed.
fn status_states(status: Option<&str>) -> Result<Vec<DeliveryState>, ServiceError> {
    use DeliveryState::{Abandoned, DeadLettered, Retrying, Succeeded};
    Ok(match status {
        None => Vec::new(),
        Some("succeeded") => vec![Succeeded],
        Some("failed") => vec![Retrying, DeadLettered, Abandoned],
        Some("retrying") => vec![Retrying],
        Some("dead_lettered") => vec![DeadLettered],
        Some("abandoned") => vec![Abandoned],
        Some(other) => {
            return Err(ServiceError::Invalid(format!(
                "status must be succeeded, failed, retrying, dead_lettered or abandoned, not `{other}`"
            )));
        }
    })
}

fn time_query(query: &LogQuery<'_>, id_prefix: &str) -> Result<TimeQuery, ServiceError> {
    Ok(TimeQuery {
        from_ms: query.since.map(|t| parse_time("since", t)).transpose()?,
        to_ms: query.until.map(|t| parse_time("until", t)).transpose()?,
        limit: query.limit,
        before: time_cursor(query.cursor, id_prefix)?,
    })
}

/// A time index cursor: `<13-digit ms>#<id>` with the listed kind's id prefix.
pub(crate) fn time_cursor(cursor: Option<&str>, id_prefix: &str) -> Result<Option<String>, ServiceError> {
    cursor
        .map(
            |c| {
                if is_time_cursor(c, id_prefix) { Ok(c.to_owned()) } else { Err(ServiceError::InvalidCursor) }
            },
        )
        .transpose()
}

fn history(log: &MessageLog) -> MessageHistory {
    let message = &log.message;
    let payload = serde_json::from_str::<Value>(&message.body)
        .ok()
        .and_then(|mut envelope| envelope.get_mut("data").map(Value::take))
        .unwrap_or(Value::Null);
    // The endpoints the event fanned out to, in that order, then any it was resent to since.
    let mut endpoints: Vec<&EndpointId> = message.endpoint_ids.iter().collect();
    let mut others: Vec<&EndpointId> = log
        .deliveries
        .iter()
        .chain(&log.attempts)
        .map(|a| &a.endpoint_id)
        .filter(|id| !message.endpoint_ids.contains(id))
        .collect();
    others.sort();
    others.dedup();
    endpoints.extend(others);
    let deliveries = endpoints
        .into_iter()
        .map(|endpoint| {
            let mut attempts: Vec<&Attempt> =
                log.attempts.iter().filter(|a| &a.endpoint_id == endpoint).collect();
            attempts.sort_by(|a, b| (a.started_at_ms, &a.id).cmp(&(b.started_at_ms, &b.id)));
            let state = log
                .deliveries
                .iter()
                .find(|d| &d.endpoint_id == endpoint)
                .map_or(DeliveryState::Pending, |d| d.state);
            DeliveryHistory {
                endpoint_id: endpoint.clone(),
                state,
                attempts: attempts.into_iter().cloned().collect(),
            }
        })
        .collect();
    MessageHistory { message: log.message.clone(), payload, deliveries }
}
