//! The cost of a delivered webhook, measured end to end: `scripts/bench.sh pipeline` starts the emulator
//! behind the counting proxy (`hookline-local counting-proxy`) and runs this.
//!
//! Two scenarios, each on a fresh stack: 1 KiB events sent one per request by 16 producers, and the same
//! in batches of 100. The real ingest and delivery handlers run in this process with the real SDK clients;
//! the local event source feeds the delivery handler in batches of up to 10, like the event source
//! mapping. Each scenario ingests everything, then delivers everything, so each function's CPU, AWS
//! requests and log bytes are measured on their own.
//!
//! The handlers run on one thread (a current-thread runtime), whose CPU is theirs and the local event
//! source's; the receiver runs on a thread of its own and is reported apart, as are moto and the proxy.
//! The figures go to `target/bench-pipeline.json`, which `scripts/cost.py` turns into $ per million.
//! Figures, not assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, reason = "a benchmark's output")]

mod meter;
mod scenario;

use hookline::metrics::Metrics;
use hookline_aws::emf::{EmfMetrics, MetricsConfig};
use meter::LogMeter;
use scenario::Scenario;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let Ok(proxy) = std::env::var("HOOKLINE_COUNTS_URL") else {
        eprintln!("run with scripts/bench.sh pipeline (it starts the emulator behind the counting proxy)");
        std::process::exit(2);
    };
    let events: usize =
        std::env::var("HOOKLINE_BENCH_EVENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let logs = LogMeter::default();
    hookline_aws::telemetry::init_with_writer(logs.clone());
    let emf = {
        let logs = logs.clone();
        EmfMetrics::with_writer(&MetricsConfig::default(), move |line| logs.count_line(line))
    };
    let metrics = Metrics::new(emf);
    println!(
        "Hookline pipeline: {events} events per scenario, {}-byte invoice payloads, one endpoint answering 204, {} cores",
        scenario::invoice(0).to_string().len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut report = serde_json::Map::new();
    for scenario in [Scenario::single(events), Scenario::batch(events)] {
        let measured = scenario.run(&proxy, &metrics, &logs).await;
        report.insert(scenario.name.to_owned(), measured);
    }
    println!("\nlog lines, the first of each kind, as the functions wrote them:");
    for line in logs.samples() {
        println!("  ({} bytes) {line}", line.len() + 1);
    }
    let out = std::env::var("HOOKLINE_BENCH_OUT")
        .unwrap_or_else(|_| format!("{}/../target/bench-pipeline.json", env!("CARGO_MANIFEST_DIR")));
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("\nfigures written to {out}");
}
