//! A keep-alive proxy in front of the emulator that counts AWS requests by operation, for the cost bench.
//!
//! Both AWS SDKs used here speak a JSON protocol whose `X-Amz-Target` header names the operation
//! (`DynamoDB_20120810.PutItem`, `AmazonSQS.SendMessageBatch`), so counting needs no body parsing. moto
//! answers every request with `connection: close`; the proxy keeps its clients' connections open, so a
//! process measured behind it pays for its own work and not for a TCP handshake per call. It can also
//! send each service to its own emulator process.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

mod capacity;

pub use capacity::ItemSizes;

/// Where counts are read and reset; no AWS operation lives under this path.
pub const COUNTS_PATH: &str = "/__hookline/counts";
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Requests of one operation: how many, their bytes, the emulator's time answering them, and what AWS
/// bills them by: DynamoDB capacity units (write or read), SQS requests per 64 KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OperationCount {
    pub requests: u64,
    pub request_bytes: u64,
    pub upstream_ms: f64,
    pub billed_units: f64,
}

const SQS_BILLING_CHUNK: f64 = 64.0 * 1024.0;

/// Counts by operation, `Service.Operation` (`DynamoDB.PutItem`, `SQS.ReceiveMessage`).
pub type Counts = BTreeMap<String, OperationCount>;

/// Where each service's requests go.
#[derive(Debug, Clone)]
pub struct Upstreams {
    pub default: String,
    pub dynamodb: Option<String>,
    pub sqs: Option<String>,
}

impl Upstreams {
    fn for_service(&self, service: &str) -> &str {
        let chosen = match service {
            "DynamoDB" => self.dynamodb.as_deref(),
            "SQS" => self.sqs.as_deref(),
            _ => None,
        };
        chosen.unwrap_or(&self.default).trim_end_matches('/')
    }
}

#[derive(Debug)]
struct Proxy {
    upstreams: Upstreams,
    client: reqwest::Client,
    counts: Mutex<Counts>,
    item_sizes: Mutex<ItemSizes>,
}

/// A running proxy; it stops when the process does.
#[derive(Debug)]
pub struct CountingProxy {
    pub addr: SocketAddr,
}

impl CountingProxy {
    /// `table` names the table's key and index attributes, by which capacity units are worked out.
    pub async fn start(listen: SocketAddr, upstreams: Upstreams, table: ItemSizes) -> anyhow::Result<Self> {
        let proxy = Arc::new(Proxy {
            upstreams,
            client: reqwest::Client::new(),
            counts: Mutex::default(),
            item_sizes: Mutex::new(table),
        });
        let app = axum::Router::new()
            .route(COUNTS_PATH, get(read_counts))
            .route(&format!("{COUNTS_PATH}/reset"), post(reset_counts))
            .fallback(forward)
            .with_state(proxy);
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { addr })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// `DynamoDB_20120810.PutItem` → (`DynamoDB`, `PutItem`); `AmazonSQS.ReceiveMessage` → (`SQS`, …).
fn operation(headers: &HeaderMap) -> (String, String) {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
    let (service, op) = target.split_once('.').unwrap_or(("other", "request"));
    let service = if service.starts_with("DynamoDB") {
        "DynamoDB"
    } else if service == "AmazonSQS" {
        "SQS"
    } else {
        service
    };
    (service.to_owned(), op.to_owned())
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (service, op) = operation(request.headers());
    let upstream = proxy.upstreams.for_service(&service);
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut headers = parts.headers.clone();
    headers.remove(axum::http::header::HOST);
    headers.remove(axum::http::header::CONNECTION);
    let bytes = body.len() as u64;
    let started = Instant::now();
    let answer = proxy
        .client
        .request(parts.method, format!("{upstream}{path}"))
        .headers(headers)
        .body(body.clone())
        .send()
        .await;
    let (result, answer_body) = match answer {
        Ok(answer) => {
            let status = answer.status();
            let mut headers = answer.headers().clone();
            headers.remove(axum::http::header::CONNECTION);
            headers.remove(axum::http::header::CONTENT_LENGTH);
            match answer.bytes().await {
                Ok(answer_body) => {
                    let ok = status.is_success();
                    (
                        (status, headers, Body::from(answer_body.clone())).into_response(),
                        ok.then_some(answer_body),
                    )
                }
                Err(e) => ((StatusCode::BAD_GATEWAY, e.to_string()).into_response(), None),
            }
        }
        Err(e) => ((StatusCode::BAD_GATEWAY, e.to_string()).into_response(), None),
    };
    let upstream_ms = started.elapsed().as_secs_f64() * 1000.0;
    let received_messages = (service == "SQS" && op == "ReceiveMessage")
        .then(|| answer_body.as_ref().is_some_and(|body| holds_messages(body)));
    let billed_units = match service.as_str() {
        "DynamoDB" => answer_body.map_or(0.0, |answer| {
            let parse = |bytes: &[u8]| serde_json::from_slice(bytes).unwrap_or(serde_json::Value::Null);
            proxy.item_sizes.lock().unwrap_or_else(PoisonError::into_inner).units(
                &op,
                &parse(&body),
                &parse(&answer),
            )
        }),
        "SQS" => (bytes as f64 / SQS_BILLING_CHUNK).ceil().max(1.0),
        _ => 0.0,
    };
    // In AWS the event source mapping's empty long polls are few and not the pipeline's cost; they are
    // counted apart so that an idle poller does not read as cost per delivery.
    let op = if op == "ReceiveMessage" && !received_messages.unwrap_or(true) {
        "ReceiveMessage.empty".into()
    } else {
        op
    };
    let mut counts = proxy.counts.lock().unwrap_or_else(PoisonError::into_inner);
    let count = counts.entry(format!("{service}.{op}")).or_default();
    count.requests += 1;
    count.request_bytes += bytes;
    count.upstream_ms += upstream_ms;
    count.billed_units += billed_units;
    result
}

/// Whether a ReceiveMessage answer holds any message (`"Messages": [` with something in it).
fn holds_messages(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|answer| answer.get("Messages").and_then(|m| m.as_array()).map(|m| !m.is_empty()))
        .unwrap_or(false)
}

async fn read_counts(State(proxy): State<Arc<Proxy>>) -> Response {
    let counts = proxy.counts.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let json = serde_json::to_string(&counts).unwrap_or_default();
    ([(axum::http::header::CONTENT_TYPE, "application/json")], json).into_response()
}

async fn reset_counts(State(proxy): State<Arc<Proxy>>) -> StatusCode {
    proxy.counts.lock().unwrap_or_else(PoisonError::into_inner).clear();
    StatusCode::NO_CONTENT
}

/// Reads a running proxy's counts.
pub async fn fetch_counts(proxy_url: &str) -> anyhow::Result<Counts> {
    let body = reqwest::get(format!("{proxy_url}{COUNTS_PATH}")).await?.error_for_status()?.bytes().await?;
    Ok(serde_json::from_slice(&body)?)
}

/// What happened between two readings of the counts.
pub fn difference(after: &Counts, before: &Counts) -> Counts {
    after
        .iter()
        .map(|(op, a)| {
            let b = before.get(op).copied().unwrap_or_default();
            let d = OperationCount {
                requests: a.requests - b.requests,
                request_bytes: a.request_bytes - b.request_bytes,
                upstream_ms: a.upstream_ms - b.upstream_ms,
                billed_units: a.billed_units - b.billed_units,
            };
            (op.clone(), d)
        })
        .filter(|(_, d)| d.requests > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_named_by_service_and_operation() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-target", "DynamoDB_20120810.PutItem".parse().unwrap());
        assert_eq!(operation(&headers), ("DynamoDB".to_owned(), "PutItem".to_owned()));
        headers.insert("x-amz-target", "AmazonSQS.SendMessageBatch".parse().unwrap());
        assert_eq!(operation(&headers), ("SQS".to_owned(), "SendMessageBatch".to_owned()));
        assert_eq!(operation(&HeaderMap::new()), ("other".to_owned(), "request".to_owned()));
    }
}
