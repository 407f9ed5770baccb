//! One scenario of the pipeline bench: ingest N events, then deliver them, measuring each phase.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::SqsEvent;
use futures::StreamExt as _;
use hookline::metrics::Metrics;
use hookline_local::counting_proxy::{Counts, difference, fetch_counts};
use hookline_local::event_source::Invoke;
use hookline_local::receiver::{Behaviour, Receiver};
use hookline_tests::{Deliveries, Stack};
use serde_json::{Value, json};

use crate::meter::{LogMeter, named_processes, process_cpu_s, thread_cpu_s};

const PRODUCERS: usize = 16;
/// Concurrent pollers of the local event source, as the event source mapping starts several.
const POLLERS: usize = 4;

#[derive(Debug)]
pub struct Scenario {
    pub name: &'static str,
    events: usize,
    per_request: usize,
}

impl Scenario {
    pub fn single(events: usize) -> Self {
        Self { name: "one event per request", events, per_request: 1 }
    }

    pub fn batch(events: usize) -> Self {
        Self { name: "batches of 100", events, per_request: 100 }
    }

    /// Runs the scenario on a fresh stack; prints its figures and returns them for the cost script.
    pub async fn run(&self, proxy: &str, metrics: &Metrics, logs: &LogMeter) -> Value {
        // The endpoint cache as the template sets it (the test stack turns it off).
        let mut stack = Stack::with_metrics(
            // A limit the bench's producers stay under: this measures cost, not admission.
            &[
                ("HOOKLINE_ENDPOINT_CACHE_SECS", "5"),
                ("HOOKLINE_ACCESS_CACHE_SECS", "5"),
                ("IngestRateLimit", "100000"),
            ],
            Some(metrics.clone()),
        )
        .await
        .expect("a stack on the emulator");
        // Short long polls, as the event source mapping's, so idle pollers do not spin on the emulator.
        stack.source.wait_seconds = 1;
        let (receiver, receiver_thread) = receiver_on_its_own_thread();
        stack.subscribe(&receiver, json!({ "event_types": ["invoice.*"] })).await.unwrap();
        println!("\n{} ({} producers):", self.name, if self.per_request == 1 { PRODUCERS } else { 4 });

        let before = Reading::take(proxy, &receiver_thread, logs).await;
        let latencies = self.ingest(&stack).await;
        let ingested = Reading::take(proxy, &receiver_thread, logs).await;
        let invocations = deliver_all(&stack, &receiver, self.events).await;
        let delivered = Reading::take(proxy, &receiver_thread, logs).await;

        let received = receiver.received();
        let verified = received.iter().filter(|r| matches!(r.verified, Some(Ok(())))).count();
        let distinct: HashSet<&str> = received.iter().filter_map(|r| r.header("webhook-id")).collect();
        let ingest = ingested.since(&before);
        let delivery = delivered.since(&ingested);
        let records: usize = invocations.iter().map(|(n, _)| n).sum();
        let handler_ms: f64 = invocations.iter().map(|(_, d)| d.as_secs_f64() * 1000.0).sum();
        let deliveries = distinct.len();

        let per_1000 = |cpu: f64, n: usize| cpu * 1000.0 / n.max(1) as f64;
        println!(
            "  ingest    {} events in {} requests, {:.2} s: {:.1} events/s; accept p50 {:.0} ms, p99 {:.0} ms",
            self.events,
            latencies.len(),
            ingest.wall_s,
            self.events as f64 / ingest.wall_s,
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99),
        );
        println!(
            "  delivery  {deliveries} delivered ({verified} verified, {} POSTs), {:.2} s: {:.1} deliveries/s; {:.2} records per invocation, {:.1} ms per invocation",
            received.len(),
            delivery.wall_s,
            deliveries as f64 / delivery.wall_s,
            records as f64 / invocations.len().max(1) as f64,
            handler_ms / invocations.len().max(1) as f64,
        );
        println!(
            "  end to end {:.1} events/s (ingest, then delivery)",
            self.events as f64 / (ingest.wall_s + delivery.wall_s)
        );
        println!(
            "  CPU-s per 1,000: ingest {:.2} (handler), delivery {:.2} (handler and local event source), receiver {:.2}",
            per_1000(ingest.handlers_cpu_s, self.events),
            per_1000(delivery.handlers_cpu_s, deliveries),
            per_1000(ingest.receiver_cpu_s + delivery.receiver_cpu_s, deliveries),
        );
        for (name, _) in named_processes() {
            let cpu = |r: &Phase| r.processes.iter().find(|(n, _)| *n == name).map_or(0.0, |(_, c)| *c);
            println!(
                "                   {name}: {:.1} while ingesting, {:.1} while delivering",
                per_1000(cpu(&ingest), self.events),
                per_1000(cpu(&delivery), deliveries)
            );
        }
        print_requests(&ingest.counts, &delivery.counts, deliveries);
        println!(
            "  log bytes per delivery: {:.0} (ingest {:.0} in {:.1} lines, delivery {:.0} in {:.1} lines)",
            (ingest.log_bytes + delivery.log_bytes) as f64 / deliveries.max(1) as f64,
            ingest.log_bytes as f64 / deliveries.max(1) as f64,
            ingest.log_lines as f64 / deliveries.max(1) as f64,
            delivery.log_bytes as f64 / deliveries.max(1) as f64,
            delivery.log_lines as f64 / deliveries.max(1) as f64,
        );
        json!({
            "events": self.events,
            "events_per_request": self.per_request,
            "api_requests": latencies.len(),
            "deliveries": deliveries,
            "delivery_invocations": invocations.len(),
            "ingest": ingest.to_json(),
            "delivery": delivery.to_json(),
        })
    }

    /// Sends every event as a careful producer would; the accept latency of each request, in ms. Every
    /// event has an id, and a batch's events answered 503 (`batch_out_of_time`, `queue_unavailable`) are
    /// sent again, only they, until each is accepted. Every send is a request, and billed as one.
    async fn ingest(&self, stack: &Stack) -> Vec<f64> {
        let event = |n: usize| json!({ "id": format!("bench-{n}"), "event_type": "invoice.paid", "payload": invoice(n) });
        let chunks: Vec<Vec<Value>> = (0..self.events)
            .map(event)
            .collect::<Vec<_>>()
            .chunks(self.per_request)
            .map(<[Value]>::to_vec)
            .collect();
        let single = self.per_request == 1;
        let producers = if single { PRODUCERS } else { 4 };
        let sent: Vec<Vec<f64>> = futures::stream::iter(chunks)
            .map(|mut events| async move {
                let mut latencies = Vec::new();
                while !events.is_empty() {
                    let (path, body) = if single {
                        ("/v1/events", events[0].to_string())
                    } else {
                        ("/v1/events/batch", json!({ "events": events }).to_string())
                    };
                    let started = Instant::now();
                    let (status, answer) = stack.post(path, &body).await;
                    latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                    assert!(matches!(status, 200 | 202 | 207), "{path} answered {status}: {answer}");
                    let results = answer["results"].as_array().cloned().unwrap_or_default();
                    let refused: Vec<usize> = results
                        .iter()
                        .filter(|r| r["status"] == 503)
                        .filter_map(|r| r["index"].as_u64().and_then(|index| usize::try_from(index).ok()))
                        .collect();
                    events = refused.into_iter().filter_map(|index| events.get(index).cloned()).collect();
                    assert!(latencies.len() < 50, "{path} kept answering 503: {answer}");
                }
                latencies
            })
            .buffer_unordered(producers)
            .collect()
            .await;
        sent.into_iter().flatten().collect()
    }
}

/// A 1 KiB `invoice.paid` payload, like the JSON platforms send: nested objects, repeated keys, ids and
/// amounts that differ from event to event (a padding of one repeated character would deflate to nothing).
pub fn invoice(n: usize) -> Value {
    // SplitMix64: a different, repeatable number for every field of every event.
    let mut state = n as u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let products =
        ["Team plan, annual seats", "API calls over quota", "Priority support", "Data retention, 90 days"];
    let lines: Vec<Value> = products
        .iter()
        .map(|description| {
            json!({
                "id": format!("il_{:016x}", next()),
                "description": description,
                "quantity": next() % 40 + 1,
                "unit_amount": next() % 99_900 + 100,
                "currency": "usd",
            })
        })
        .collect();
    json!({
        "id": format!("in_{:016x}", next()),
        "object": "invoice",
        "number": format!("INV-{n:06}"),
        "customer": {
            "id": format!("cus_{:012x}", next() >> 16),
            "email": format!("billing+{n}@example.com"),
            "name": "Acme Corporation",
            "address": { "line1": format!("{} Market Street", next() % 999 + 1), "city": "San Francisco", "postal_code": "94105", "country": "US" },
        },
        "lines": lines,
        "subtotal": next() % 1_000_000,
        "tax": next() % 10_000,
        "status": "paid",
        "paid_at": "2026-12-08T01:23:45Z",
        "hosted_invoice_url": format!("https://billing.example.com/invoices/in_{:016x}", next()),
        "metadata": { "order_ref": format!("ORD-{:06}", next() % 1_000_000), "region": "us-east-1" },
    })
}

/// Polls with [`POLLERS`] concurrent pollers until the receiver has every event's webhook; each invocation's
/// record count and the handler's time.
async fn deliver_all(stack: &Stack, receiver: &Receiver, expected: usize) -> Vec<(usize, Duration)> {
    let timed = Timed { delivery: &stack.delivery, invocations: Mutex::default() };
    let deadline = Instant::now() + Duration::from_secs(600);
    // Delivery is at least once: a repeat POST (same webhook-id) is not a delivery of one more event.
    let delivered = || {
        receiver.count() >= expected
            && receiver.received().iter().filter_map(|r| r.header("webhook-id")).collect::<HashSet<_>>().len()
                >= expected
    };
    let poller = || async {
        while !delivered() && Instant::now() < deadline {
            if let Err(e) = stack.source.poll_once(&timed).await {
                eprintln!("poll failed: {e:#}");
            }
        }
    };
    futures::future::join_all((0..POLLERS).map(|_| poller())).await;
    timed.invocations.into_inner().unwrap()
}

/// Invokes the delivery handler in this process, timing each invocation.
struct Timed<'a> {
    delivery: &'a Deliveries,
    invocations: Mutex<Vec<(usize, Duration)>>,
}

impl Invoke for Timed<'_> {
    async fn invoke(&self, event: Value) -> anyhow::Result<Value> {
        let event: SqsEvent = serde_json::from_value(event)?;
        let records = event.records.len();
        let started = Instant::now();
        let event = lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default());
        let answer =
            hookline_delivery::handle(self.delivery, event).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        self.invocations.lock().unwrap().push((records, started.elapsed()));
        Ok(serde_json::to_value(answer)?)
    }
}

/// A receiver answering 204 on its own thread and runtime, so its CPU is not the handlers'.
fn receiver_on_its_own_thread() -> (Receiver, String) {
    let (sender, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let thread = std::fs::read_link("/proc/thread-self").unwrap().display().to_string();
            let receiver = hookline_tests::receiver(Behaviour::default()).await.unwrap();
            sender.send((receiver, thread)).unwrap();
            std::future::pending::<()>().await;
        });
    });
    received.recv().unwrap()
}

/// Everything measured at one moment.
struct Reading {
    at: Instant,
    counts: Counts,
    handlers_cpu_s: f64,
    receiver_cpu_s: f64,
    processes: Vec<(String, f64)>,
    log: (u64, u64),
}

/// What happened between two readings.
struct Phase {
    wall_s: f64,
    counts: Counts,
    handlers_cpu_s: f64,
    receiver_cpu_s: f64,
    processes: Vec<(String, f64)>,
    log_bytes: u64,
    log_lines: u64,
}

impl Reading {
    async fn take(proxy: &str, receiver_thread: &str, logs: &LogMeter) -> Self {
        Self {
            at: Instant::now(),
            counts: fetch_counts(proxy).await.expect("the counting proxy's counts"),
            handlers_cpu_s: crate::meter::thread_cpu_s("thread-self"),
            receiver_cpu_s: thread_cpu_s(receiver_thread),
            processes: named_processes()
                .into_iter()
                .map(|(name, pid)| (name, process_cpu_s(pid).unwrap_or(0.0)))
                .collect(),
            log: logs.read(),
        }
    }

    fn since(&self, earlier: &Self) -> Phase {
        Phase {
            wall_s: self.at.duration_since(earlier.at).as_secs_f64(),
            counts: difference(&self.counts, &earlier.counts),
            handlers_cpu_s: self.handlers_cpu_s - earlier.handlers_cpu_s,
            receiver_cpu_s: self.receiver_cpu_s - earlier.receiver_cpu_s,
            processes: self
                .processes
                .iter()
                .zip(&earlier.processes)
                .map(|((name, now), (_, then))| (name.clone(), now - then))
                .collect(),
            log_bytes: self.log.0 - earlier.log.0,
            log_lines: self.log.1 - earlier.log.1,
        }
    }
}

impl Phase {
    fn to_json(&self) -> Value {
        json!({
            "wall_s": self.wall_s,
            "cpu_s": self.handlers_cpu_s,
            "log_bytes": self.log_bytes,
            "log_lines": self.log_lines,
            "requests": self.counts,
        })
    }
}

fn print_requests(ingest: &Counts, delivery: &Counts, deliveries: usize) {
    println!("  AWS requests per delivery          ingest  delivery   (billed units per delivery)");
    let mut operations: Vec<&String> = ingest.keys().chain(delivery.keys()).collect();
    operations.sort();
    operations.dedup();
    let per = |counts: &Counts, op: &str| {
        let c = counts.get(op).copied().unwrap_or_default();
        (c.requests as f64 / deliveries.max(1) as f64, c.billed_units / deliveries.max(1) as f64)
    };
    for op in operations {
        let ((i, iu), (d, du)) = (per(ingest, op), per(delivery, op));
        println!("    {op:<32} {i:>6.2} {d:>9.2}   ({:.2})", iu + du);
    }
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0)
}
