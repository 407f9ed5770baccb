//! The domain: messages, endpoints, attempts and the customer-visible error codes of deliveries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::endpoint_auth::EndpointAuth;
use crate::endpoint_signing::{EndpointSigningKey, SignatureVersions};
use crate::event_types::{EventFilter, EventType};
use crate::ids::{AttemptId, EndpointId, MessageId, TenantId};
use crate::payload_filter::PayloadFilter;
use crate::retry::RetrySchedule;
use crate::signing::Secret;

/// One accepted event. `body` is the exact JSON sent to endpoints, fixed at ingest so that every
/// attempt, and every endpoint, receives the same bytes under the same `webhook-id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub tenant_id: TenantId,
    pub event_type: EventType,
    pub body: String,
    /// SHA-256 of the producer's request, to tell an idempotent retry from a conflicting reuse of an id.
    pub request_hash: String,
    pub created_at_ms: i64,
    /// How far ingest got with queueing the message's delivery tasks.
    pub queue_state: QueueState,
    /// When the request now queueing (or last to queue) the tasks claimed the message: its lease start.
    pub claimed_at_ms: i64,
    pub endpoint_ids: Vec<EndpointId>,
}

/// Ingest's progress with a message, for copies of its request: the item is written first, then its
/// tasks are queued. A message without a producer key can have no copies, so it stays `Queueing` once
/// queued (what happened to it is its deliveries' log, not this).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    /// A request is queueing the tasks now; a copy of it waits for the outcome instead of queueing too.
    Queueing,
    /// Every delivery task is on the queue: the message is accepted.
    Queued,
    /// Queueing failed and the producer was told so; its retry queues again.
    Failed,
}

impl QueueState {
    /// The stored form, the same as its serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queueing => "queueing",
            Self::Queued => "queued",
            Self::Failed => "failed",
        }
    }
}

/// A signing secret and, while a rotation is in its grace period, when it stops signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSecret {
    pub secret: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: EndpointId,
    pub tenant_id: TenantId,
    pub url: String,
    pub filter: EventFilter,
    /// Newest first. Every unexpired secret signs, so receivers can switch without downtime.
    pub secrets: Vec<EndpointSecret>,
    /// Which signatures deliveries carry: v1 (HMAC, the default), v1a (Ed25519), or both.
    #[serde(default, skip_serializing_if = "is_v1_only")]
    pub signature_versions: SignatureVersions,
    /// v1a keys, newest first, rotated like `secrets`; empty until the endpoint first signs with v1a.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signing_keys: Vec<EndpointSigningKey>,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Sent as `Authorization` with every delivery (Basic or bearer); never returned in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<EndpointAuth>,
    /// Only events whose payload matches are delivered (beside the event-type filter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_filter: Option<PayloadFilter>,
    /// Extra headers sent with every delivery (reserved and hop-by-hop names are refused on write).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Deliveries per second this endpoint accepts; enforced by the delivery function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// The endpoint's own retry schedule, no longer than the deployment's (which bounds SQS receives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_schedule: Option<RetrySchedule>,
    /// The customer's own labels, returned as given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// When the current run of failed deliveries began (cleared by a success): drives auto-disable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since_ms: Option<i64>,
    /// Failed deliveries since the last success.
    #[serde(default)]
    pub consecutive_failures: u32,
    /// Bumped by every write: updates are conditional on it, so concurrent writers never lose a change.
    #[serde(default)]
    pub revision: u64,
    /// Set when its tenant was deleted: the endpoint is disabled for good, and deliveries still queued
    /// are abandoned with `E_TENANT_DELETED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_deleted_at_ms: Option<i64>,
}

fn is_v1_only(versions: &SignatureVersions) -> bool {
    *versions == SignatureVersions::V1
}

/// A registered event type: documentation for subscribers, and a gate for tenants that refuse others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTypeInfo {
    pub tenant_id: TenantId,
    pub name: EventType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<serde_json::Value>,
    pub created_at_ms: i64,
}

impl Endpoint {
    /// A new, enabled endpoint with a fresh id, signing with one secret.
    pub fn new(
        tenant_id: TenantId,
        url: String,
        filter: EventFilter,
        secret: Secret,
        created_at_ms: i64,
    ) -> Self {
        Self {
            id: EndpointId::generate(),
            tenant_id,
            url,
            filter,
            secrets: vec![EndpointSecret { secret, expires_at_ms: None }],
            signature_versions: SignatureVersions::V1,
            signing_keys: Vec::new(),
            enabled: true,
            disabled_reason: None,
            payload_filter: None,
            auth: None,
            description: None,
            headers: BTreeMap::new(),
            rate_limit: None,
            retry_schedule: None,
            metadata: BTreeMap::new(),
            created_at_ms,
            updated_at_ms: created_at_ms,
            failing_since_ms: None,
            consecutive_failures: 0,
            revision: 0,
            tenant_deleted_at_ms: None,
        }
    }

    /// The endpoint's own headers for a request: its custom headers, then `Authorization` if its auth has
    /// a fixed value (an OAuth2 token is added at delivery).
    pub fn own_headers(&self) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> =
            self.headers.iter().map(|(name, value)| (name.clone(), value.clone())).collect();
        if let Some(value) = self.auth.as_ref().and_then(EndpointAuth::header_value) {
            headers.push(("authorization".to_owned(), value));
        }
        headers
    }

    pub fn signing_secrets(&self, now_ms: i64) -> impl Iterator<Item = &Secret> {
        self.secrets
            .iter()
            .filter(move |s| s.expires_at_ms.is_none_or(|expiry| expiry > now_ms))
            .map(|s| &s.secret)
    }
}

/// Stable, customer-visible reasons an attempt did not succeed. The strings are an API: never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// No answer within the request timeout.
    #[serde(rename = "E_TIMEOUT")]
    Timeout,
    /// The TCP connection could not be made.
    #[serde(rename = "E_CONNECT")]
    Connect,
    /// The host name did not resolve.
    #[serde(rename = "E_DNS")]
    Dns,
    /// TLS handshake or certificate failure.
    #[serde(rename = "E_TLS")]
    Tls,
    /// The endpoint resolved to an address the SSRF guard refuses.
    #[serde(rename = "E_BLOCKED")]
    Blocked,
    /// The endpoint answered with a non-2xx status (3xx included: redirects are not followed).
    #[serde(rename = "E_HTTP_STATUS")]
    HttpStatus,
    /// The connection broke while sending or reading the response.
    #[serde(rename = "E_IO")]
    Io,
    /// The endpoint is disabled; the delivery was recorded and not attempted.
    #[serde(rename = "E_ENDPOINT_DISABLED")]
    EndpointDisabled,
    /// The endpoint was deleted after the message was accepted.
    #[serde(rename = "E_ENDPOINT_DELETED")]
    EndpointDeleted,
    /// The endpoint's URL cannot be requested.
    #[serde(rename = "E_INVALID_URL")]
    InvalidUrl,
    /// The endpoint's tenant was deleted after the message was accepted.
    #[serde(rename = "E_TENANT_DELETED")]
    TenantDeleted,
    /// The endpoint's OAuth2 token endpoint gave no token (refused, unreachable, or a bad answer), so
    /// nothing was POSTed.
    #[serde(rename = "E_OAUTH_TOKEN")]
    OAuthToken,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "E_TIMEOUT",
            Self::Connect => "E_CONNECT",
            Self::Dns => "E_DNS",
            Self::Tls => "E_TLS",
            Self::Blocked => "E_BLOCKED",
            Self::HttpStatus => "E_HTTP_STATUS",
            Self::Io => "E_IO",
            Self::EndpointDisabled => "E_ENDPOINT_DISABLED",
            Self::EndpointDeleted => "E_ENDPOINT_DELETED",
            Self::InvalidUrl => "E_INVALID_URL",
            Self::TenantDeleted => "E_TENANT_DELETED",
            Self::OAuthToken => "E_OAUTH_TOKEN",
        }
    }
}

/// Where one message stands with one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Succeeded,
    /// Failed; the queue will offer it again after the retry delay.
    Retrying,
    /// Failed for the last time; SQS redrive moves it to the dead-letter queue.
    DeadLettered,
    /// Not attempted (endpoint disabled or deleted, or the target is refused), and not retried.
    Abandoned,
}

/// One HTTP attempt, as recorded in the attempt log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub id: AttemptId,
    pub tenant_id: TenantId,
    pub message_id: MessageId,
    pub endpoint_id: EndpointId,
    /// 1 for the first attempt of a round, counted from the ledger (the delivery's latest recorded
    /// attempt), never from SQS's receive count.
    pub number: u32,
    pub started_at_ms: i64,
    pub latency_ms: u64,
    pub state: DeliveryState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_detail: Option<String>,
    /// The response body, truncated to the configured limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at_ms: Option<i64>,
    /// The SQS message the attempt was made from: a dead-lettered delivery received as the same message
    /// is on its way to the DLQ, while a new message is a redrive (see `delivery::ledger`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_message_id: Option<String>,
    /// Where the entry sits in its delivery's ledger: one after the entry before it (see
    /// `delivery::ledger::next_entry`). The store appends it there, or after a newer entry it finds.
    /// 0 for entries written before the ledger was kept in order.
    #[serde(default)]
    pub ledger_seq: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_serialize_to_their_stable_strings() {
        for code in [
            ErrorCode::Timeout,
            ErrorCode::Connect,
            ErrorCode::Dns,
            ErrorCode::Tls,
            ErrorCode::Blocked,
            ErrorCode::HttpStatus,
            ErrorCode::Io,
            ErrorCode::EndpointDisabled,
            ErrorCode::EndpointDeleted,
            ErrorCode::InvalidUrl,
            ErrorCode::TenantDeleted,
            ErrorCode::OAuthToken,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn queue_states_are_stored_as_their_serde_form() {
        for state in [QueueState::Queueing, QueueState::Queued, QueueState::Failed] {
            assert_eq!(serde_json::to_string(&state).unwrap(), format!("\"{}\"", state.as_str()));
        }
    }

    #[test]
    fn expired_secrets_stop_signing_and_the_rest_keep_their_order() {
        let new = Secret::generate();
        let old = Secret::generate();
        let tenant = TenantId::parse("ten_a").unwrap();
        let mut endpoint = Endpoint::new(
            tenant,
            "https://example.com/hook".into(),
            EventFilter::everything(),
            new.clone(),
            0,
        );
        endpoint.secrets.push(EndpointSecret { secret: old.clone(), expires_at_ms: Some(1_000) });
        let during: Vec<_> = endpoint.signing_secrets(999).cloned().collect();
        assert_eq!(during, vec![new.clone(), old]);
        let after: Vec<_> = endpoint.signing_secrets(1_000).cloned().collect();
        assert_eq!(after, vec![new]);
    }
}
