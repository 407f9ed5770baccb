//! What payload filters cost at fan-out: one event against a tenant's 100 endpoints, each with a filter
//! of four conditions (the shapes the docs show), so the figure is per event, all endpoints included.
//! Figures, not pass/fail. `cargo bench -p hookline-core --bench payload_filter`
#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "a benchmark's output")]

use std::hint::black_box;
use std::time::Instant;

use hookline_core::payload_filter::PayloadFilter;
use serde_json::json;

const ENDPOINTS: usize = 100;
const EVENTS: usize = 20_000;

fn main() {
    let filters: Vec<PayloadFilter> = (0..ENDPOINTS)
        .map(|i| {
            PayloadFilter::parse(json!({
                "amount": { "$gte": i * 10 },
                "currency": { "$in": ["eur", "usd", "gbp"] },
                "customer.tier": { "$neq": "test" },
                "$or": [{ "region": { "$startsWith": "eu-" } }, { "vip": true }],
            }))
            .unwrap()
        })
        .collect();
    let events: Vec<_> = (0..64)
        .map(|i| {
            json!({
                "invoice_id": format!("in_{i}"), "amount": i * 17, "currency": if i % 2 == 0 { "eur" } else { "chf" },
                "customer": { "id": format!("cus_{i}"), "tier": "gold" },
                "region": if i % 3 == 0 { "eu-west" } else { "us-east" }, "vip": i % 5 == 0,
                "lines": [{ "sku": "a", "qty": 1 }, { "sku": "b", "qty": 2 }],
            })
        })
        .collect();
    for round in 0..3 {
        let started = Instant::now();
        let mut matched = 0usize;
        for n in 0..EVENTS {
            let payload = &events[n % events.len()];
            matched += filters.iter().filter(|f| f.matches(black_box(payload))).count();
        }
        let per_event = started.elapsed().as_secs_f64() / EVENTS as f64;
        println!(
            "round {round}: {ENDPOINTS} filtered endpoints per event: {:.2} µs per event ({:.1} ns per filter), {:.1} matches per event",
            per_event * 1e6,
            per_event * 1e9 / ENDPOINTS as f64,
            matched as f64 / EVENTS as f64
        );
    }
}
