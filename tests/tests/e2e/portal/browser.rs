//! The portal in headless Chromium (Debian's package, driven by Playwright for Python from the project's
//! venv): open a link, create an endpoint, send an event, see it delivered, open the attempt, resend,
//! rotate, probe; markup shown as text; a view-only session refused. Screenshots go to
//! `target/portal-screenshots/`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use hookline_local::receiver::Behaviour;
use hookline_tests::{Stack, receiver};
use serde_json::json;

use super::{HOSTILE, link};
use crate::cli::harness::serve_api;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_does_everything_in_the_portal_in_a_real_browser() {
    let python = repo().join(".venv/bin/python");
    assert!(python.exists(), "no {}: run the tests with scripts/test.sh", python.display());
    let stack = Arc::new(Stack::new(&[]).await.unwrap());
    let api = serve_api(stack.clone()).await;
    let event_type = json!({ "name": "invoice.paid", "description": "An invoice was paid", "example": { "amount": 4200 } });
    assert_eq!(stack.send("POST", "/v1/event-types", &event_type.to_string()).await.status, 201);
    let good = receiver(Behaviour::default()).await.unwrap();
    let hostile =
        receiver(Behaviour { answer_body: Some(HOSTILE.into()), ..Behaviour::default() }).await.unwrap();
    let hostile_endpoint =
        stack.subscribe(&hostile, json!({ "description": "answers with markup" })).await.unwrap();
    stack.send_event("invoice.paid", json!({ "note": HOSTILE })).await.unwrap();
    let full = link(&api, &stack, &["manage_endpoints", "secrets", "replay"]).await;
    let view = link(&api, &stack, &[]).await;

    // The pipeline runs beside the browser, as the local run's event source would.
    let pipeline = {
        let stack = stack.clone();
        tokio::spawn(async move {
            loop {
                let _ = stack.poll().await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let shots = repo().join("target/portal-screenshots");
    let mut command = Command::new(&python);
    command
        .arg(repo().join("tests/python/portal_flow.py"))
        .env("PORTAL_LINK", &full)
        .env("VIEW_LINK", &view)
        .env("RECEIVER_URL", good.url("/hooks"))
        .env("HOSTILE_ENDPOINT", hostile_endpoint["id"].as_str().unwrap())
        .env("SCREENSHOTS", &shots)
        .env("CHROMIUM", std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
    pipeline.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser flow failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The flow's timings, for whoever reads the test output.
    #[allow(clippy::print_stdout, reason = "the browser flow reports what it measured")]
    {
        println!("{stdout}");
    }

    assert!(good.received().len() >= 3, "the test event, its resend and the probe reach the receiver");
    assert!(shots.join("endpoints.png").exists() && shots.join("view-only.png").exists());
}
