//! `cargo bench -p hookline-local --bench oauth_tokens`: the OAuth2 token cache's hit rate over 1,000
//! deliveries through the real delivery path (guarded reqwest client, in-memory store) to one endpoint
//! with a client-credentials grant, against a local token endpoint and sink. Two runs: tokens that live
//! an hour, delivered 32 at a time; and tokens that live 2 s, delivered at 200/s for 5 s, so the cache
//! has to refresh. Counts fetches at the token endpoint, which is what a receiver's auth server sees.
//!
//! Figures, not assertions: tests check behaviour, this measures it.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark prints and may panic"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use hookline::clock::SystemClock;
use hookline::delivery::{Delivery, DeliverySettings, ReceivedTask};
use hookline::metrics::Metrics;
use hookline::ports::Ports;
use hookline::store::EndpointStore as _;
use hookline::testing::{MemoryQueue, MemoryStore};
use hookline_aws::emf::{EmfMetrics, MetricsConfig};
use hookline_aws::http_sender::{HttpSender, HttpSettings};
use hookline_core::address_policy::AddressPolicy;
use hookline_core::endpoint_auth::{ClientCredentials, Credential, EndpointAuth};
use hookline_core::event_types::{EventFilter, EventType};
use hookline_core::ids::{MessageId, TenantId};
use hookline_core::model::Endpoint;
use hookline_core::retry::RetrySchedule;
use hookline_core::signing::Secret;
use hookline_core::task::{Deliver, DeliveryTask};
use hookline_local::receiver::{Behaviour, Receiver};

#[derive(Debug)]
struct BenchPorts;

impl Ports for BenchPorts {
    type Store = MemoryStore;
    type Queue = MemoryQueue;
    type Sender = HttpSender;
    type Clock = SystemClock;
}

const DELIVERIES: usize = 1_000;

#[tokio::main]
async fn main() {
    println!("OAuth2 token cache, {DELIVERIES} deliveries per run");
    run("1 h tokens, 32 in flight", 3600, None).await;
    run("2 s tokens, 200 deliveries/s", 2, Some(Duration::from_millis(5))).await;
}

async fn run(label: &str, expires_in: u64, pace: Option<Duration>) {
    let fetches = Arc::new(AtomicU64::new(0));
    let token_url = token_endpoint(Arc::clone(&fetches), expires_in).await;
    let sink =
        Receiver::start("127.0.0.1:0".parse::<SocketAddr>().unwrap(), Behaviour::default()).await.unwrap();
    let tenant = TenantId::parse("ten_bench").unwrap();
    let mut endpoint =
        Endpoint::new(tenant.clone(), sink.url("/sink"), EventFilter::everything(), Secret::generate(), 0);
    endpoint.auth = Some(EndpointAuth::OAuth2ClientCredentials(ClientCredentials {
        token_url,
        client_id: "hookline".into(),
        client_secret: Credential::new("bench-secret"),
        scope: None,
    }));
    let store = MemoryStore::default();
    store.put_endpoint(&endpoint).await.unwrap();
    let http = HttpSettings {
        allow_http: true,
        policy: AddressPolicy::allowing("127.0.0.0/8").unwrap(),
        ..HttpSettings::default()
    };
    let settings = DeliverySettings {
        schedule: RetrySchedule::standard(),
        concurrency: 32,
        endpoint_concurrency: 32,
        disable_after: Duration::from_secs(5 * 86_400),
        max_receive_count: RetrySchedule::standard().attempts() + 2,
        endpoint_cache: Duration::from_secs(5),
        metrics: Metrics::new(EmfMetrics::with_writer(&MetricsConfig::default(), |_| {})),
    };
    let deps = Delivery::<BenchPorts>::new(
        store,
        MemoryQueue::default(),
        HttpSender::new(http).unwrap(),
        SystemClock,
        settings,
    );
    let tasks: Vec<String> = (0..DELIVERIES)
        .map(|n| {
            DeliveryTask::from(Deliver::first(
                tenant.clone(),
                MessageId::generate(),
                endpoint.id.clone(),
                EventType::parse("invoice.paid").unwrap(),
                format!(r#"{{"type":"invoice.paid","data":{{"n":{n}}}}}"#),
            ))
            .encode()
        })
        .collect();
    let started = Instant::now();
    let deliver = |task: &String| {
        let task = task.clone();
        let deps = &deps;
        async move {
            deps.deliver(ReceivedTask {
                body: &task,
                receipt_handle: "rh",
                queue_message_id: "sqs",
                receive_count: 1,
            })
            .await
        }
    };
    match pace {
        None => {
            futures::stream::iter(&tasks).map(deliver).buffer_unordered(32).collect::<Vec<_>>().await;
        }
        Some(pace) => {
            for task in &tasks {
                deliver(task).await;
                tokio::time::sleep(pace).await;
            }
        }
    }
    let elapsed = started.elapsed();
    let delivered = sink.received().iter().filter(|r| r.answered == 204 || r.answered == 200).count();
    let fetched = fetches.load(Ordering::SeqCst);
    let counts = deps.tokens().counts();
    println!(
        "  {label}: {delivered} delivered in {:.2} s; {fetched} token fetches at the token endpoint, \
         {} tokens reused; hit rate {:.1} %",
        elapsed.as_secs_f64(),
        counts.reused,
        100.0 * counts.reused as f64 / (counts.reused + counts.fetched).max(1) as f64
    );
}

/// A token endpoint on loopback that counts the tokens it issues.
async fn token_endpoint(fetches: Arc<AtomicU64>, expires_in: u64) -> String {
    let app = axum::Router::new().route(
        "/token",
        axum::routing::post(move || {
            let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                serde_json::json!({ "access_token": format!("at-{n}"), "token_type": "Bearer", "expires_in": expires_in })
                    .to_string()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}
