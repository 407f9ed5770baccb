//! What acting for a tenant costs: DynamoDB calls per request and publish latency, with the tenant's own
//! API key against a platform key under `/v1/tenants/{id}`, through the ingest handler and the real SDK
//! against the emulator (`scripts/bench.sh authentication` starts it). The emulator's latency is not
//! DynamoDB's: compare the two keys with each other, not with AWS. Figures, not pass/fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, reason = "a benchmark's output")]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use hookline::app::App;
use hookline::clock::SystemClock;
use hookline_aws::AwsPorts;
use hookline_aws::dynamo::DynamoStore;
use hookline_aws::http_sender::HttpSender;
use hookline_aws::sqs::SqsQueue;
use hookline_tests::Stack;
use lambda_http::RequestExt as _;

const ROUNDS: usize = 200;

/// Counts DynamoDB calls by operation, as the SDK sends them.
#[derive(Debug, Clone, Default)]
struct Counter(Arc<Mutex<BTreeMap<String, u64>>>);

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "Counter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let target = context.request().headers().get("x-amz-target").unwrap_or("?");
        let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
        *self.0.lock().unwrap().entry(operation).or_default() += 1;
        Ok(())
    }
}

impl Counter {
    fn take(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

async fn call(app: &App<AwsPorts>, method: &str, path: &str, key: &str, body: &str) -> u16 {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(lambda_http::Body::from(body))
        .unwrap()
        .with_query_string_parameters(std::collections::HashMap::<String, Vec<String>>::new());
    hookline_ingest::handle(app, request).await.unwrap().status().as_u16()
}

/// Per request: DynamoDB calls by operation, and latency quantiles.
async fn measure(
    app: &App<AwsPorts>,
    counter: &Counter,
    path: &str,
    key: &str,
    expect: u16,
) -> (String, Vec<Duration>) {
    counter.take();
    let mut latencies = Vec::with_capacity(ROUNDS);
    for n in 0..ROUNDS {
        let body = format!(r#"{{"event_type":"invoice.paid","payload":{{"n":{n}}}}}"#);
        let started = Instant::now();
        let status = call(app, "POST", path, key, &body).await;
        latencies.push(started.elapsed());
        assert_eq!(status, expect, "{path}");
    }
    let counts = counter.take();
    let per: Vec<String> =
        counts.iter().map(|(op, n)| format!("{op} {:.2}", *n as f64 / ROUNDS as f64)).collect();
    latencies.sort();
    (per.join(", "), latencies)
}

fn quantile(sorted: &[Duration], q: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[at].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let stack = Stack::new(&[]).await.expect("run with scripts/bench.sh authentication");
    let counter = Counter::default();
    let dynamo = aws_sdk_dynamodb::config::Builder::from(&stack.aws).interceptor(counter.clone()).build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(dynamo), &stack.config.table_name, 30);
    let queue = SqsQueue::from_sdk(&stack.aws, &stack.config.delivery_queue_url);
    let sender = HttpSender::new(stack.config.http_settings()).unwrap();
    // Metrics recorded, not printed: the figures below are the output.
    let metrics = hookline::testing::RecordedMetrics::default().metrics();
    let settings =
        hookline::app::AppSettings { default_rate_limit: 100_000, metrics, ..stack.config.app_settings() };
    let app = App::<AwsPorts>::new(store, queue, sender, SystemClock, settings);
    let platform = stack.platform_key().await.unwrap();
    let endpoint = r#"{"url":"https://example.com/hook"}"#;
    assert_eq!(call(&app, "POST", "/v1/endpoints", &stack.token, endpoint).await, 201);

    println!("{ROUNDS} publishes each, one endpoint, one after another (emulator: moto)");
    let prefixed = format!("/v1/tenants/{}/events", stack.tenant.id);
    // Interleaved twice, so a warming emulator does not favour either key.
    let mut results: BTreeMap<&str, (String, Vec<Duration>)> = BTreeMap::new();
    for _ in 0..2 {
        for (label, path, key) in
            [("tenant key", "/v1/events", &stack.token), ("platform key", &prefixed, &platform)]
        {
            let (counts, mut latencies) = measure(&app, &counter, path, key, 202).await;
            let entry = results.entry(label).or_insert_with(|| (counts.clone(), Vec::new()));
            entry.1.append(&mut latencies);
        }
    }
    for (label, (counts, mut latencies)) in results {
        latencies.sort();
        println!(
            "  {label:<13} p50 {:>6.2} ms  p99 {:>6.2} ms   DynamoDB per publish: {counts}",
            quantile(&latencies, 0.5),
            quantile(&latencies, 0.99)
        );
    }
    let refused = call(
        &app,
        "GET",
        "/v1/endpoints",
        "hlk_00000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "",
    )
    .await;
    println!("  an unknown key: {refused}, after DynamoDB {:?}", counter.take());
}
