//! `cargo bench -p hookline-local --bench throughput`: prints, in one run,
//! - deliveries per second through the real delivery path (sign, POST through the guarded client,
//!   record the attempt in the in-memory store) against a local sink, next to a bare pooled reqwest
//!   client POSTing the same bodies to the same sink, and their ratio;
//! - signing throughput next to raw SHA-256 at 1 KiB and 64 KiB, and their ratio;
//!
//! Figures, not assertions: tests check behaviour, this measures it.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark prints and may panic"
)]

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use hmac::{KeyInit as _, Mac as _};
use hookline::clock::SystemClock;
use hookline::delivery::{Delivery, DeliverySettings, ReceivedTask};
use hookline::metrics::Metrics;
use hookline::ports::Ports;
use hookline::store::EndpointStore as _;
use hookline::testing::{MemoryQueue, MemoryStore};
use hookline_aws::emf::{EmfMetrics, MetricsConfig};
use hookline_aws::http_sender::{HttpSender, HttpSettings};
use hookline_core::address_policy::AddressPolicy;
use hookline_core::event_types::{EventFilter, EventType};
use hookline_core::ids::{MessageId, TenantId};
use hookline_core::model::Endpoint;
use hookline_core::retry::RetrySchedule;
use hookline_core::signing::Secret;
use hookline_core::task::{Deliver, DeliveryTask};
use hookline_local::receiver::{Behaviour, Receiver};
use sha2::{Digest, Sha256};

/// The real sender and clock over the in-memory store and queue.
#[derive(Debug)]
struct BenchPorts;

impl Ports for BenchPorts {
    type Store = MemoryStore;
    type Queue = MemoryQueue;
    type Sender = HttpSender;
    type Clock = SystemClock;
}

const DELIVERIES: usize = 5_000;
const IN_FLIGHT: usize = 32;
/// Rounds; each times both sides once, and the best of each side counts.
const ROUNDS: usize = 5;

#[tokio::main]
async fn main() {
    println!("Hookline throughput ({} cores)", std::thread::available_parallelism().map_or(1, |n| n.get()));
    delivery_path().await;
    signing();
}

async fn delivery_path() {
    let sink =
        Receiver::start("127.0.0.1:0".parse::<SocketAddr>().unwrap(), Behaviour::default()).await.unwrap();
    let url = sink.url("/sink");
    let body = format!(
        r#"{{"type":"invoice.paid","timestamp":"2026-11-25T00:00:00Z","data":{{"pad":"{}"}}}}"#,
        "x".repeat(900)
    );

    let tenant = TenantId::parse("ten_bench").unwrap();
    let endpoint =
        Endpoint::new(tenant.clone(), url.clone(), EventFilter::everything(), Secret::generate(), 0);
    let store = MemoryStore::default();
    store.put_endpoint(&endpoint).await.unwrap();
    let http = HttpSettings {
        allow_http: true,
        policy: AddressPolicy::allowing("127.0.0.0/8").unwrap(),
        ..HttpSettings::default()
    };
    let settings = DeliverySettings {
        schedule: RetrySchedule::standard(),
        concurrency: IN_FLIGHT,
        endpoint_concurrency: IN_FLIGHT,
        disable_after: Duration::from_secs(5 * 86_400),
        max_receive_count: RetrySchedule::standard().attempts() + 2,
        endpoint_cache: Duration::from_secs(5),
        // The EMF documents are built, not printed.
        metrics: Metrics::new(EmfMetrics::with_writer(&MetricsConfig::default(), |line| {
            black_box(line);
        })),
    };
    let deps = Delivery::<BenchPorts>::new(
        store,
        MemoryQueue::default(),
        HttpSender::new(http).unwrap(),
        SystemClock,
        settings,
    );
    // Fresh message ids for every run: the ledger settles a delivery once, so a repeat sends nothing.
    let tasks = |count: usize| -> Vec<String> {
        (0..count)
            .map(|_| {
                DeliveryTask::from(Deliver::first(
                    tenant.clone(),
                    MessageId::generate(),
                    endpoint.id.clone(),
                    EventType::parse("invoice.paid").unwrap(),
                    body.clone(),
                ))
                .encode()
            })
            .collect()
    };

    // Warm both paths' connection pools first.
    run_hookline(&deps, &tasks(200)).await;
    let bare = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    run_bare(&bare, &url, &body, 200).await;

    let (mut hookline, mut baseline) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        let round = tasks(DELIVERIES);
        hookline = hookline.min(run_hookline(&deps, &round).await);
        baseline = baseline.min(run_bare(&bare, &url, &body, DELIVERIES).await);
    }
    let rate = |elapsed: Duration| DELIVERIES as f64 / elapsed.as_secs_f64();
    println!(
        "\ndelivery path, {DELIVERIES} POSTs of {} B, {IN_FLIGHT} in flight, local sink, best of {ROUNDS} rounds:",
        body.len()
    );
    println!("  hookline (sign + guarded POST + attempt record) {:>9.0} deliveries/s", rate(hookline));
    println!("  bare pooled reqwest client                     {:>9.0} requests/s", rate(baseline));
    println!(
        "  ratio                                          {:>9.2} (target ≥ 0.8)",
        rate(hookline) / rate(baseline)
    );
    assert_eq!(deps.store().all_attempts().len(), ROUNDS * DELIVERIES + 200, "every delivery recorded");
}

async fn run_hookline(deps: &Delivery<BenchPorts>, tasks: &[String]) -> Duration {
    let started = Instant::now();
    futures::stream::iter(tasks)
        .map(|task| {
            deps.deliver(ReceivedTask {
                body: task,
                receipt_handle: "rh",
                queue_message_id: "sqs",
                receive_count: 1,
            })
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await;
    started.elapsed()
}

async fn run_bare(client: &reqwest::Client, url: &str, body: &str, count: usize) -> Duration {
    let started = Instant::now();
    futures::stream::iter(0..count)
        .map(|_| async {
            let response = client
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_owned())
                .send()
                .await;
            response.unwrap().bytes().await.unwrap()
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await;
    started.elapsed()
}

fn signing() {
    let secret = Secret::generate();
    let keyed = hmac::Hmac::<Sha256>::new_from_slice(&[7u8; 32]).unwrap();
    let (msg_id, timestamp) = ("msg_01jbenchmarkid", "1764000000");
    println!("\nsigning (HMAC-SHA256 + base64 header) vs raw SHA-256, one core, best of {ROUNDS} rounds:");
    for size in [1024usize, 64 * 1024] {
        let body = vec![b'x'; size];
        let iterations = (64 * 1024 * 1024 / size).max(1000);
        // Interleaved rounds, best of each: other work on the machine slows a round, never speeds it up.
        // Four sides: Hookline's `sign`; the bare `hmac` crate over the same signed bytes (no header);
        // SHA-256 of those signed bytes (what HMAC's inner hash compresses); SHA-256 of the body alone.
        let mut best = [Duration::MAX; 4];
        for _ in 0..ROUNDS {
            let started = Instant::now();
            for i in 0..iterations {
                black_box(secret.sign(msg_id, 1_764_000_000 + i as i64, black_box(&body)));
            }
            best[0] = best[0].min(started.elapsed());
            let started = Instant::now();
            for _ in 0..iterations {
                let mut mac = keyed.clone();
                for part in [msg_id.as_bytes(), b".", timestamp.as_bytes(), b".", black_box(&body)] {
                    mac.update(part);
                }
                black_box(mac.finalize().into_bytes());
            }
            best[1] = best[1].min(started.elapsed());
            let started = Instant::now();
            for _ in 0..iterations {
                let mut hash = Sha256::new();
                for part in [msg_id.as_bytes(), b".", timestamp.as_bytes(), b".", black_box(&body)] {
                    hash.update(part);
                }
                black_box(hash.finalize());
            }
            best[2] = best[2].min(started.elapsed());
            let started = Instant::now();
            for _ in 0..iterations {
                black_box(Sha256::digest(black_box(&body)));
            }
            best[3] = best[3].min(started.elapsed());
        }
        let [sign, hmac, signed_bytes, raw] = best.map(|d| d.as_secs_f64());
        let mib_s = |elapsed: f64| (size * iterations) as f64 / elapsed / (1024.0 * 1024.0);
        println!(
            "  {:>5} KiB: sign {:>8.0} MiB/s ({:>9.0} signatures/s), sha256 {:>8.0} MiB/s, ratio {:.2} (target ≥ 0.9)",
            size / 1024,
            mib_s(sign),
            iterations as f64 / sign,
            mib_s(raw),
            raw / sign
        );
        println!(
            "             where it goes: sha256(signed bytes)/sha256(body) {:.2}, hmac/sha256(signed bytes) {:.2}, sign/hmac {:.2}",
            signed_bytes / raw,
            hmac / signed_bytes,
            sign / hmac
        );
    }
}
