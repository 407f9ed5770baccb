//! The attempt log: which messages a tenant sent, where each stands with each endpoint, and every
//! attempt made. Read-only; every read is keyed by the tenant, so another tenant's ids are not found.
//! Items expire with DynamoDB's TTL after `AttemptRetentionDays`.

use serde_json::Value;

use crate::api::{
    self, AttemptView, DeliveryView, ListPage, LogQuery, MessageDetail, MessageSummary, parse_time,
};
use crate::endpoints::tenant_endpoint;
use crate::error::ServiceError;
use crate::event_type::EventType;
use crate::ids::{AttemptId, EndpointId, MessageId, TenantId};
use crate::ingest::IngestDeps;
use crate::model::{Attempt, DeliveryState};
use crate::store::{EndpointStore, LogStore, MessageLog, TimeQuery};

/// One page of the tenant's messages, newest first, optionally of one event type and a time range.
pub async fn list_messages<S, Q, C, H>(
    deps: &IngestDeps<S, Q, C, H>,
    tenant: &TenantId,
    query: &LogQuery<'_>,
    event_type: Option<&str>,
) -> Result<ListPage<MessageSummary>, ServiceError>
where
    S: LogStore,
{
    let event_type = event_type
        .map(|t| EventType::parse(t).map_err(|e| ServiceError::Invalid(format!("event_type: {e}"))))
        .transpose()?;
    let time = time_query(query, MessageId::PREFIX)?;
    let page = deps.store.messages_page(tenant, event_type.as_ref(), &time).await?;
    Ok(ListPage {
        data: page.items.iter().map(MessageSummary::of).collect(),
        next_cursor: page.next.as_deref().map(api::encode_cursor),
    })
}

/// The message with its payload and, per endpoint, its state and attempts.
pub async fn get_message<S, Q, C, H>(
    deps: &IngestDeps<S, Q, C, H>,
    tenant: &TenantId,
    id: &str,
) -> Result<MessageDetail, ServiceError>
where
    S: LogStore,
{
    let not_found = || ServiceError::not_found("message", id);
    let id = MessageId::parse(id).map_err(|_| not_found())?;
    let log = deps.store.message_log(tenant, &id).await?.ok_or_else(not_found)?;
    Ok(detail(&log))
}

/// One page of the attempts made to an endpoint, newest first, optionally of one status.
pub async fn list_endpoint_attempts<S, Q, C, H>(
    deps: &IngestDeps<S, Q, C, H>,
    tenant: &TenantId,
    endpoint_id: &str,
    query: &LogQuery<'_>,
    status: Option<&str>,
) -> Result<ListPage<AttemptView>, ServiceError>
where
    S: EndpointStore + LogStore,
{
    let states = status_states(status)?;
    let time = time_query(query, AttemptId::PREFIX)?;
    let endpoint = tenant_endpoint(&deps.store, tenant, endpoint_id).await?;
    let page = deps.store.endpoint_attempts_page(tenant, &endpoint.id, &states, &time).await?;
    Ok(ListPage {
        data: page.items.iter().map(AttemptView::of).collect(),
        next_cursor: page.next.as_deref().map(api::encode_cursor),
    })
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
    let is_time_key = |key: &String| {
        key.split_once('#').is_some_and(|(ms, id)| {
            ms.len() == 13
                && ms.bytes().all(|b| b.is_ascii_digit())
                && id.len() > id_prefix.len()
                && id.starts_with(id_prefix)
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
    };
    cursor
        .map(|c| api::decode_cursor(c, "").filter(is_time_key).ok_or(ServiceError::InvalidCursor))
        .transpose()
}

fn detail(log: &MessageLog) -> MessageDetail {
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
            DeliveryView {
                endpoint_id: endpoint.clone(),
                state,
                attempts: attempts.into_iter().map(AttemptView::of).collect(),
            }
        })
        .collect();
    MessageDetail {
        id: message.id.clone(),
        event_type: message.event_type.clone(),
        created_at: crate::clock::rfc3339(message.created_at_ms),
        payload,
        deliveries,
    }
}

/// Also the fixture of the recovery and probe tests.
#[cfg(test)]
#[path = "attempt_log_tests.rs"]
pub(crate) mod tests;
