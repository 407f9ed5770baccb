//! `cargo bench -p hookline-local --bench init -- <ingest binary> <delivery binary>` (`scripts/bench.sh
//! pipeline` builds them): each function's cold start against a one-invocation Lambda Runtime API on
//! 127.0.0.1, from process start to its first `/next` (init) and to its first answer, and its peak RSS.
//! The invocations need no AWS call (the API's OpenAPI document; an SQS event with no records), so this
//! is the functions' own start: config, SDK clients, TLS, the runtime. Median of 7 starts. Then the
//! release Lambda binaries' sizes, and the architecture read from each one, when
//! `cargo lambda build --release --arm64` has made them.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark prints and may panic"
)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};

const STARTS: usize = 7;

/// When the runtime API saw what, since the process started.
#[derive(Debug, Default)]
struct Seen {
    event: String,
    served: bool,
    next_at: Option<Instant>,
    answered_at: Option<Instant>,
}

type Shared = Arc<Mutex<Seen>>;

async fn next(State(seen): State<Shared>) -> (HeaderMap, String) {
    let event = {
        let mut seen = seen.lock().unwrap();
        seen.next_at.get_or_insert_with(Instant::now);
        (!std::mem::replace(&mut seen.served, true)).then(|| seen.event.clone())
    };
    let Some(event) = event else { std::future::pending().await };
    let mut headers = HeaderMap::new();
    let deadline = (std::time::SystemTime::now() + Duration::from_secs(60))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    headers.insert("lambda-runtime-aws-request-id", "req-1".parse().unwrap());
    headers.insert("lambda-runtime-deadline-ms", deadline.to_string().parse().unwrap());
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:bench".parse().unwrap(),
    );
    headers.insert("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000".parse().unwrap());
    (headers, event)
}

async fn answered(State(seen): State<Shared>) -> &'static str {
    seen.lock().unwrap().answered_at.get_or_insert_with(Instant::now);
    ""
}

/// (ms to the first `/next`, ms to the first answer, peak RSS in MB) of one cold start.
async fn start(binary: &str, event: &str) -> (f64, f64, f64) {
    let seen: Shared = Arc::new(Mutex::new(Seen { event: event.to_owned(), ..Seen::default() }));
    let app = axum::Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(answered))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(answered))
        .route("/2018-06-01/runtime/init/error", post(answered))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("HOOKLINE_TABLE_NAME", "bench")
        .env("HOOKLINE_DELIVERY_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/bench")
        .env("HOOKLINE_MAX_RECEIVE_COUNT", "13")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the function's binary");
    let deadline = started + Duration::from_secs(10);
    while seen.lock().unwrap().answered_at.is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let rss_kb = child
        .id()
        .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .unwrap_or(0.0);
    child.kill().await.ok();
    server.abort();
    let seen = seen.lock().unwrap();
    let ms =
        |at: Option<Instant>| at.map_or(f64::NAN, |at| at.duration_since(started).as_secs_f64() * 1000.0);
    (ms(seen.next_at), ms(seen.answered_at), rss_kb / 1000.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let binaries: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let [ingest, delivery] = binaries.as_slice() else {
        eprintln!("usage: cargo bench -p hookline-local --bench init -- <ingest binary> <delivery binary>");
        std::process::exit(2);
    };
    let fixture = include_str!("../../functions/ingest/fixtures/apigw-http-post-event.json");
    let mut event: serde_json::Value = serde_json::from_str(fixture).unwrap();
    event["rawPath"] = "/v1/openapi.yaml".into();
    event["requestContext"]["http"]["method"] = "GET".into();
    event["requestContext"]["http"]["path"] = "/v1/openapi.yaml".into();
    event["body"] = serde_json::Value::Null;
    let ingest_event = event.to_string();
    println!("\ncold start against a local Runtime API (median of {STARTS}):");
    for (name, binary, event) in
        [("ingest", ingest, ingest_event.as_str()), ("delivery", delivery, r#"{"Records":[]}"#)]
    {
        let mut runs = Vec::new();
        for _ in 0..STARTS {
            runs.push(start(binary, event).await);
        }
        let size = std::fs::metadata(binary).map_or(0, |m| m.len());
        println!(
            "  {name:<9} init {:>5.1} ms to its first /next, {:>5.1} ms to its first answer; peak RSS {:.1} MB; binary {:.2} MiB",
            median(runs.iter().map(|r| r.0).collect()),
            median(runs.iter().map(|r| r.1).collect()),
            median(runs.iter().map(|r| r.2).collect()),
            size as f64 / 1_048_576.0,
        );
    }
    binary_sizes();
}

fn binary_sizes() {
    println!(
        "\nrelease Lambda binaries in target/lambda (cargo lambda build --release --arm64 makes arm64 ones):"
    );
    for function in ["ingest", "delivery"] {
        let path = format!("{}/../target/lambda/{function}/bootstrap", env!("CARGO_MANIFEST_DIR"));
        match std::fs::read(&path) {
            Ok(bytes) => println!(
                "  {function:<9} {:>10} bytes = {:>5.2} MiB  {}",
                bytes.len(),
                bytes.len() as f64 / (1024.0 * 1024.0),
                architecture(&bytes)
            ),
            Err(_) => println!("  {function:<9} not built (run: cargo lambda build --release --arm64)"),
        }
    }
}

/// The architecture an ELF binary was built for, from its header's `e_machine` (little-endian, at 18),
/// so the figure says what was measured rather than what was meant to be built.
fn architecture(elf: &[u8]) -> String {
    if elf.get(..4) != Some(b"\x7fELF".as_slice()) {
        return "not an ELF binary".to_owned();
    }
    match elf.get(18..20).map(|m| u16::from_le_bytes([m[0], m[1]])) {
        Some(0xB7) => "arm64".to_owned(),
        Some(0x3E) => "x86_64".to_owned(),
        Some(other) => format!("ELF machine {other:#x}"),
        None => "a truncated ELF header".to_owned(),
    }
}
