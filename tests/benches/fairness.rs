//! Fair queueing, shown as far as the emulator allows: a slow endpoint (300 ms per answer) with a deep
//! backlog, and a fast one whose deliveries are queued behind it. Its deliveries' latency (queued to
//! answered) is measured twice through the real delivery handler and SQS client against moto: with the
//! tasks' `MessageGroupId` set to the endpoint, as Hookline sends them, and without one. SQS fair queues
//! serve the quiet group first; moto stores the group but does not reorder by it, so here both runs show
//! the emulator's order (`scripts/bench.sh fairness` starts it). Figures, not assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, reason = "a benchmark's output")]

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use hookline_core::event_types::EventType;
use hookline_core::ids::{EndpointId, MessageId};
use hookline_core::task::{Deliver, DeliveryTask};
use hookline_local::receiver::Behaviour;
use hookline_tests::Stack;
use serde_json::json;

const BACKLOG: usize = 100;
const FAST: usize = 10;
const SLOW_ANSWER: Duration = Duration::from_millis(300);

#[tokio::main]
async fn main() {
    println!(
        "fair queueing: {BACKLOG} deliveries to a slow endpoint ({} ms each) queued before {FAST} to a fast one",
        SLOW_ANSWER.as_millis()
    );
    for grouped in [true, false] {
        let latencies = run(grouped).await;
        let label = if grouped { "with MessageGroupId = endpoint" } else { "without MessageGroupId" };
        let mean = latencies.iter().sum::<f64>() / latencies.len() as f64;
        let max = latencies.iter().copied().fold(0.0, f64::max);
        println!("  {label:<32} fast endpoint: mean {mean:>6.2} s, last {max:>6.2} s after queueing");
    }
}

/// Seconds from queueing to the fast receiver's answer, per fast delivery.
async fn run(grouped: bool) -> Vec<f64> {
    let stack = Stack::new(&[]).await.expect("run with scripts/bench.sh fairness");
    let slow_url = slow_receiver().await;
    let slow = stack.send("POST", "/v1/endpoints", &json!({ "url": slow_url }).to_string()).await;
    let fast_receiver = hookline_tests::receiver(Behaviour::default()).await.unwrap();
    let fast = stack.subscribe(&fast_receiver, json!({})).await.unwrap();
    let id = |v: &serde_json::Value| EndpointId::parse(v["id"].as_str().unwrap()).unwrap();
    let (slow_id, fast_id) = (id(&slow.body), id(&fast));

    let tasks: Vec<DeliveryTask> = (0..BACKLOG)
        .map(|_| slow_id.clone())
        .chain((0..FAST).map(|_| fast_id.clone()))
        .map(|endpoint| {
            DeliveryTask::from(Deliver::first(
                stack.tenant.id.clone(),
                MessageId::generate(),
                endpoint,
                EventType::parse("invoice.paid").unwrap(),
                r#"{"type":"invoice.paid","data":{}}"#.to_owned(),
            ))
        })
        .collect();
    let sqs = stack.sqs();
    let mut queued_fast_at = None;
    for chunk in tasks.chunks(10) {
        let entries = chunk.iter().enumerate().map(|(n, task)| {
            let entry = SendMessageBatchRequestEntry::builder().id(n.to_string()).message_body(task.encode());
            let entry = if grouped { entry.message_group_id(task.fair_queue_key()) } else { entry };
            entry.build().unwrap()
        });
        if queued_fast_at.is_none() && chunk.iter().any(|t| t.fair_queue_key().ends_with(fast_id.as_str())) {
            queued_fast_at = Some(Instant::now());
        }
        sqs.send_message_batch()
            .queue_url(&stack.config.delivery_queue_url)
            .set_entries(Some(entries.collect()))
            .send()
            .await
            .unwrap();
    }
    let queued = queued_fast_at.unwrap();
    let mut answered = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    while answered.len() < FAST && Instant::now() < deadline {
        stack.poll().await.unwrap();
        let now = queued.elapsed().as_secs_f64();
        let got = fast_receiver.received().len();
        answered.resize(got.min(FAST).max(answered.len()), now);
    }
    answered
}

/// A receiver that answers 204 after `SLOW_ANSWER`.
async fn slow_receiver() -> String {
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(|| async {
            tokio::time::sleep(SLOW_ANSWER).await;
            axum::http::StatusCode::NO_CONTENT
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}
