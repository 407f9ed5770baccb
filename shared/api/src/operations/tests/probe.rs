//! The probe against fake receivers: one that verifies like a Standard Webhooks library, one that
//! ignores signatures, one that checks signatures but not timestamps, and ones that cannot be reached.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use hookline_core::delivery::{OutgoingWebhook, SendFailure, WebhookResponse};
use hookline_core::signing::{DEFAULT_TOLERANCE_SECS, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, verify};

use super::*;
use hookline::probe::{PROBE_EVENT_TYPE, PROBE_TIMEOUT, STALE_BY_SECS};

use crate::operations::probe_endpoint;
use crate::{ProbeCaseView as ProbeCase, ProbeReportView as ProbeReport};

#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// Checks the signature and the timestamp (tolerance 5 minutes), answering 401 when they fail.
    Verifying,
    /// Answers 200 to everything.
    Ignoring,
    /// Checks the signature against any timestamp.
    SignatureOnly,
    /// Answers 401 to everything (say, it has another secret).
    Refusing,
    Unreachable,
    Silent,
}

#[derive(Debug, Clone)]
struct FakeReceiver {
    behaviour: Behaviour,
    /// Shared by clones: the test learns the endpoint's secret after the app holds the receiver.
    secret: Arc<Mutex<Option<Secret>>>,
    received: Arc<Mutex<Vec<OutgoingWebhook>>>,
}

impl FakeReceiver {
    fn new(behaviour: Behaviour) -> Self {
        Self { behaviour, secret: Arc::default(), received: Arc::default() }
    }

    fn received(&self) -> Vec<OutgoingWebhook> {
        self.received.lock().unwrap().clone()
    }
}

fn header<'a>(webhook: &'a OutgoingWebhook, name: &str) -> &'a str {
    webhook.headers.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
}

impl WebhookSender for FakeReceiver {
    async fn send(&self, webhook: OutgoingWebhook) -> Result<WebhookResponse, SendFailure> {
        self.received.lock().unwrap().push(webhook.clone());
        let check = |tolerance| {
            let secret = self.secret.lock().unwrap().clone().unwrap();
            let (id, ts, sig) = (
                header(&webhook, HEADER_ID),
                header(&webhook, HEADER_TIMESTAMP),
                header(&webhook, HEADER_SIGNATURE),
            );
            verify(&secret, id, ts, sig, webhook.body.as_bytes(), NOW / 1000, tolerance).is_ok()
        };
        let status = match self.behaviour {
            Behaviour::Verifying => {
                if check(DEFAULT_TOLERANCE_SECS) {
                    204
                } else {
                    401
                }
            }
            Behaviour::SignatureOnly => {
                if check(i64::MAX / 2) {
                    200
                } else {
                    401
                }
            }
            Behaviour::Ignoring => 200,
            Behaviour::Refusing => 401,
            Behaviour::Unreachable => {
                return Err(SendFailure {
                    code: ErrorCode::Connect,
                    detail: "refused".into(),
                    latency: Duration::ZERO,
                });
            }
            Behaviour::Silent => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                200
            }
        };
        Ok(WebhookResponse { status, body: String::new(), retry_after: None, latency: Duration::ZERO })
    }

    async fn fetch_token(
        &self,
        _request: hookline_core::oauth::TokenRequest,
    ) -> Result<WebhookResponse, SendFailure> {
        hookline::testing::no_token_endpoint()
    }
}

async fn probe(behaviour: Behaviour) -> (ProbeReport, FakeReceiver) {
    let receiver = FakeReceiver::new(behaviour);
    let deps = deps_with(receiver.clone());
    let a = tenant("ten_a");
    let mut ep = endpoint(&deps, &a).await;
    ep.headers.insert("x-team".into(), "billing".into());
    ep.revision = 1;
    deps.store().replace_endpoint(&ep).await.unwrap();
    *receiver.secret.lock().unwrap() = Some(ep.secrets[0].secret.clone());
    let report = probe_endpoint(&deps, &a, ep.id.as_str()).await.unwrap();
    (report, receiver)
}

fn outcomes(report: &ProbeReport) -> Vec<(ProbeCase, Option<u16>, bool)> {
    report.checks.iter().map(|c| (c.case, c.status, c.accepted)).collect()
}

#[tokio::test]
async fn a_receiver_that_verifies_passes_with_every_check_as_expected() {
    let (report, receiver) = probe(Behaviour::Verifying).await;
    assert!(report.verifies_signatures, "{}", report.verdict);
    assert_eq!(
        outcomes(&report),
        vec![
            (ProbeCase::Valid, Some(204), true),
            (ProbeCase::BadSignature, Some(401), false),
            (ProbeCase::StaleTimestamp, Some(401), false),
        ]
    );
    assert!(report.verdict.contains("it verifies signatures"));

    let sent = receiver.received();
    assert_eq!(sent.len(), 3);
    let mut ids: Vec<&str> = sent.iter().map(|w| header(w, HEADER_ID)).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each probe has its own webhook-id, so deduplication cannot hide one");
    for webhook in &sent {
        let body: Value = serde_json::from_str(&webhook.body).unwrap();
        assert_eq!(body["type"].as_str(), Some(PROBE_EVENT_TYPE));
        assert_eq!(header(webhook, "x-team"), "billing", "the endpoint's own headers are sent too");
    }
    let stale = sent.iter().find(|w| w.body.contains(r#""probe":"stale_timestamp""#)).unwrap();
    assert_eq!(header(stale, HEADER_TIMESTAMP), (NOW / 1000 - STALE_BY_SECS).to_string());
}

#[tokio::test]
async fn a_receiver_that_ignores_signatures_is_flagged() {
    let (report, _) = probe(Behaviour::Ignoring).await;
    assert!(!report.verifies_signatures);
    assert!(outcomes(&report).iter().all(|(_, status, accepted)| *status == Some(200) && *accepted));
    assert!(report.verdict.contains("does not verify signatures"), "{}", report.verdict);
}

#[tokio::test]
async fn a_receiver_that_checks_signatures_but_not_timestamps_is_flagged_for_replays() {
    let (report, _) = probe(Behaviour::SignatureOnly).await;
    assert!(!report.verifies_signatures);
    assert_eq!(
        outcomes(&report)[1..],
        [(ProbeCase::BadSignature, Some(401), false), (ProbeCase::StaleTimestamp, Some(200), true)]
    );
    assert!(report.verdict.contains("replayed"), "{}", report.verdict);
}

#[tokio::test]
async fn a_receiver_refusing_even_the_valid_request_is_inconclusive_not_passed() {
    let (report, _) = probe(Behaviour::Refusing).await;
    assert!(!report.verifies_signatures);
    assert!(
        report.verdict.contains("refused even the correctly signed request (HTTP 401)"),
        "{}",
        report.verdict
    );
}

#[tokio::test]
async fn an_unreachable_or_silent_receiver_is_reported_with_its_error_code() {
    let (report, _) = probe(Behaviour::Unreachable).await;
    assert!(!report.verifies_signatures);
    assert!(report.checks.iter().all(|c| c.status.is_none() && c.error_code == Some(ErrorCode::Connect)));
    assert!(report.verdict.contains("could not be reached (E_CONNECT)"), "{}", report.verdict);
}

#[tokio::test]
async fn a_receiver_that_does_not_answer_times_out_within_the_probe_timeout() {
    let started = std::time::Instant::now();
    let (report, _) = probe(Behaviour::Silent).await;
    assert!(report.checks.iter().all(|c| c.error_code == Some(ErrorCode::Timeout)));
    assert!(started.elapsed() < PROBE_TIMEOUT + Duration::from_secs(1), "the three requests run at once");
}

#[tokio::test]
async fn probing_records_nothing_and_another_tenants_endpoint_is_not_found() {
    let receiver = FakeReceiver::new(Behaviour::Ignoring);
    let deps = deps_with(receiver.clone());
    let ep = endpoint(&deps, &tenant("ten_a")).await;
    probe_endpoint(&deps, &tenant("ten_a"), ep.id.as_str()).await.unwrap();
    assert!(deps.store().all_attempts().is_empty() && deps.queue().enqueued().is_empty());
    let theirs = probe_endpoint(&deps, &tenant("ten_b"), ep.id.as_str()).await.unwrap_err();
    assert_eq!(code(theirs), (404, "not_found"));
    assert_eq!(receiver.received().len(), 3);
}
