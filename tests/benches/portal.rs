//! How fast the portal's pages render with a large log: 1,000 messages, through the ingest handler and
//! the real SDK against the emulator (`scripts/bench.sh portal` starts it). The emulator's latency is not
//! DynamoDB's, and moto's Query slows as its table grows: read the figures as an upper bound.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, reason = "a benchmark's output")]

use std::time::{Duration, Instant};

use hookline_tests::Stack;
use serde_json::json;

const MESSAGES: usize = 1_000;
const ROUNDS: usize = 40;

fn quantile(sorted: &[Duration], q: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[at].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let stack = Stack::new(&[("IngestRateLimit", "100000")]).await.expect("run with scripts/bench.sh portal");
    let endpoint =
        stack.send("POST", "/v1/endpoints", &json!({ "url": "https://example.com/hook" }).to_string()).await;
    let endpoint_id = endpoint.body["id"].as_str().unwrap().to_owned();
    for batch in 0..MESSAGES / 100 {
        let events: Vec<_> = (0..100)
            .map(|n| json!({ "event_type": "invoice.paid", "payload": { "n": batch * 100 + n, "note": "x".repeat(200) } }))
            .collect();
        let answer = stack.send("POST", "/v1/events/batch", &json!({ "events": events }).to_string()).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let messages = stack.send("GET", "/v1/messages?limit=1", "").await;
    let message = messages.body["data"][0]["id"].as_str().unwrap().to_owned();
    let link = stack
        .send("POST", "/v1/portal-sessions", r#"{"capabilities":["manage_endpoints","secrets","replay"]}"#)
        .await;
    let token = link.body["url"].as_str().unwrap().split_once("token=").unwrap().1.to_owned();
    let login = stack.call("GET", &format!("/portal/login?token={token}"), None, &[], "").await;
    let cookie = login.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();

    println!("portal pages with {MESSAGES} messages in the log, {ROUNDS} renders each (emulator: moto)");
    for (label, path) in [
        ("endpoints (with health)", "/portal/".to_owned()),
        ("endpoint (chart, form)", format!("/portal/endpoints/{endpoint_id}")),
        ("message log, first page", "/portal/messages".to_owned()),
        ("message log, by type, 24 h", "/portal/messages?event_type=invoice.paid&since=24h".to_owned()),
        ("one message", format!("/portal/messages/{message}")),
    ] {
        let mut times = Vec::with_capacity(ROUNDS);
        let mut bytes = 0;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let page = stack.call("GET", &path, None, &[("cookie", &cookie)], "").await;
            times.push(started.elapsed());
            assert_eq!(page.status, 200, "{path}");
            bytes = page.text.len();
        }
        times.sort();
        println!(
            "  {label:<28} p50 {:>7.2} ms  p95 {:>7.2} ms  {:>6} bytes",
            quantile(&times, 0.5),
            quantile(&times, 0.95),
            bytes
        );
    }
}
