//! The verification probe: does an endpoint check signatures? It is sent, at once and concurrently, a
//! correctly signed request, one signed with a wrong secret and one correctly signed with a timestamp ten
//! minutes old. A receiver that answers 2xx to either forged one is not verifying, which is the most
//! common webhook security bug: anyone who knows its URL can make it act on forged events.
//!
//! Probe requests are `hookline.probe` events, each with its own `webhook-id`, sent through the same
//! SSRF-guarded sender as deliveries. They are not messages and are not recorded as attempts.

use std::time::{Duration, Instant};

use hookline_core::delivery::OutgoingWebhook;
use hookline_core::ids::{EndpointId, MessageId, TenantId};
use hookline_core::model::{Endpoint, ErrorCode};
use hookline_core::signing::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, Secret};
use hookline_core::time::rfc3339;

use crate::app::App;
use crate::clock::Clock as _;
use crate::endpoints::tenant_endpoint;
use crate::error::ServiceError;
use crate::oauth_tokens::OAuthTokens;
use crate::ports::Ports;
use crate::sender::WebhookSender;

pub const PROBE_EVENT_TYPE: &str = "hookline.probe";
/// How old the stale request's timestamp is: twice the 5 minutes receivers should tolerate.
pub const STALE_BY_SECS: i64 = 600;
/// Each request's limit; the three run at once, so a probe fits the ingest function's 10 s timeout.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(4);

/// The three requests of a verification probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeCase {
    /// Signed with the endpoint's secret, timestamped now: a verifying receiver accepts it.
    Valid,
    /// Signed with a random secret: a verifying receiver refuses it.
    BadSignature,
    /// Correctly signed, with a timestamp ten minutes old: a verifying receiver refuses it.
    StaleTimestamp,
}

impl ProbeCase {
    pub const ALL: [Self; 3] = [Self::Valid, Self::BadSignature, Self::StaleTimestamp];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::BadSignature => "bad_signature",
            Self::StaleTimestamp => "stale_timestamp",
        }
    }
}

/// What the endpoint did with one of the probe's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeCheck {
    pub case: ProbeCase,
    /// The status the endpoint answered; `None` when no answer came (see `error_code`).
    pub status: Option<u16>,
    /// Whether the endpoint answered 2xx.
    pub accepted: bool,
    pub error_code: Option<ErrorCode>,
    pub latency_ms: u64,
}

/// The probe's three checks and what they mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    pub endpoint_id: EndpointId,
    /// True only if the endpoint accepted the valid request and refused both forged ones.
    pub verifies_signatures: bool,
    pub checks: Vec<ProbeCheck>,
    /// What the checks mean, in a sentence.
    pub verdict: String,
}

impl<P: Ports> App<P> {
    /// Probes the tenant's endpoint (enabled or not: checking a receiver before re-enabling it is a use).
    pub async fn probe_endpoint(
        &self,
        tenant: &TenantId,
        endpoint_id: &str,
    ) -> Result<ProbeReport, ServiceError> {
        let endpoint = tenant_endpoint(&self.store, tenant, endpoint_id).await?;
        let now_ms = self.clock.now_ms();
        // The probe fetches its own OAuth2 token, if the endpoint has a grant, and keeps it for its cases.
        let tokens = OAuthTokens::default();
        let checks = futures::future::join_all(ProbeCase::ALL.map(|case| {
            check(&self.sender, &tokens, &endpoint, case, request(&endpoint, case, now_ms), now_ms)
        }))
        .await;
        tracing::info!(tenant_id = %tenant, endpoint_id = %endpoint.id, ?checks, "endpoint probed");
        Ok(report(endpoint, checks))
    }
}

/// The request for one case: a `hookline.probe` event signed as a delivery would be, except as the case
/// says.
fn request(endpoint: &Endpoint, case: ProbeCase, now_ms: i64) -> OutgoingWebhook {
    let id = MessageId::generate();
    let now_secs = now_ms.div_euclid(1000);
    let timestamp = if case == ProbeCase::StaleTimestamp { now_secs - STALE_BY_SECS } else { now_secs };
    let body = serde_json::json!({
        "type": PROBE_EVENT_TYPE,
        "timestamp": rfc3339(timestamp * 1000),
        "data": {
            "probe": case.as_str(),
            "message": "A Hookline verification probe. Do not act on it; a verifying receiver rejects \
                        the bad_signature and stale_timestamp probes.",
        },
    })
    .to_string();
    let signature = if case == ProbeCase::BadSignature {
        Secret::generate().sign(id.as_str(), timestamp, body.as_bytes())
    } else {
        endpoint.signature_header(now_ms, id.as_str(), timestamp, body.as_bytes())
    };
    let mut headers = endpoint.own_headers();
    headers.extend([
        ("content-type".to_owned(), "application/json".to_owned()),
        (HEADER_ID.to_owned(), id.to_string()),
        (HEADER_TIMESTAMP.to_owned(), timestamp.to_string()),
        (HEADER_SIGNATURE.to_owned(), signature),
    ]);
    OutgoingWebhook { url: endpoint.url.clone(), headers, body }
}

async fn check<H: WebhookSender>(
    sender: &H,
    tokens: &OAuthTokens,
    endpoint: &Endpoint,
    case: ProbeCase,
    request: OutgoingWebhook,
    now_ms: i64,
) -> ProbeCheck {
    let started = Instant::now();
    let send = tokens.send(sender, endpoint, request, now_ms);
    let (status, error_code) = match tokio::time::timeout(PROBE_TIMEOUT, send).await {
        Ok(Ok(response)) => (Some(response.status), None),
        Ok(Err(failure)) => (None, Some(failure.code)),
        Err(_) => (None, Some(ErrorCode::Timeout)),
    };
    ProbeCheck {
        case,
        status,
        accepted: status.is_some_and(|s| (200..300).contains(&s)),
        error_code,
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

fn report(endpoint: Endpoint, checks: Vec<ProbeCheck>) -> ProbeReport {
    let outcome = |case: ProbeCase| checks.iter().find(|c| c.case == case);
    let accepted = |case: ProbeCase| outcome(case).is_some_and(|c| c.accepted);
    let valid = outcome(ProbeCase::Valid);
    let (forged, stale) = (accepted(ProbeCase::BadSignature), accepted(ProbeCase::StaleTimestamp));
    let verifies_signatures = accepted(ProbeCase::Valid) && !forged && !stale;
    let verdict = match (valid.and_then(|c| c.status), valid.and_then(|c| c.error_code)) {
        _ if verifies_signatures => "The endpoint accepted the correctly signed request and refused the one \
            with a wrong signature and the one with a stale timestamp: it verifies signatures."
            .to_owned(),
        (None, code) => format!(
            "The endpoint could not be reached ({}), so nothing could be checked.",
            code.map_or("no answer", ErrorCode::as_str)
        ),
        (Some(status), _) if !(200..300).contains(&status) => format!(
            "The endpoint refused even the correctly signed request (HTTP {status}), so the probe cannot \
             tell whether it verifies signatures: check that it verifies with this endpoint's current \
             secret and answers 2xx."
        ),
        _ if forged && stale => "The endpoint accepted a request signed with the wrong secret and one with \
            a timestamp 10 minutes old: it does not verify signatures, so anyone who knows its URL can \
            send it forged events."
            .to_owned(),
        _ if forged => "The endpoint accepted a request signed with the wrong secret: it does not verify \
            signatures, so anyone who knows its URL can send it forged events."
            .to_owned(),
        _ => "The endpoint verifies signatures but accepted a correctly signed request with a timestamp \
            10 minutes old: it does not check webhook-timestamp, so a captured webhook can be replayed."
            .to_owned(),
    };
    ProbeReport { endpoint_id: endpoint.id, verifies_signatures, checks, verdict }
}
