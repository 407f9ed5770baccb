//! The attempt log, recovery and probe commands end to end: the binary against the API over HTTP, the
//! delivery function driven through the emulator's queue, receivers on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hookline::clock::{Clock as _, SystemClock};
use hookline_core::model::DeliveryState;
use hookline_core::signing::Secret;
use hookline_local::receiver::{Behaviour, Receiver};
use hookline_tests::Stack;
use serde_json::{Value, json};

use super::harness::{Cli, id, receiver, serve_api};

/// A stack, the API over HTTP, and a user of the CLI with its key.
async fn setup(name: &str, parameters: &[(&str, &str)]) -> (Arc<Stack>, Cli) {
    let stack = Arc::new(Stack::new(parameters).await.unwrap());
    let api = serve_api(stack.clone()).await;
    let cli = Cli::with_env(name, &api, &stack.token);
    (stack, cli)
}

async fn create_endpoint(cli: &Cli, receiver: &Receiver) -> Value {
    cli.json(&["endpoint", "create", "--url", &receiver.url("/hook")]).await
}

async fn send(cli: &Cli, n: u32) -> String {
    let payload = json!({ "n": n }).to_string();
    id(&cli.json(&["send", "--type", "invoice.paid", "--payload", &payload]).await)
}

/// Drives the queue until the message's latest recorded attempt is in `state`.
async fn settled(stack: &Stack, message: &str, state: DeliveryState) {
    let reached = stack
        .poll_until(Duration::from_secs(20), async || {
            stack.attempts(message).await.unwrap().last().is_some_and(|a| a.state == state)
        })
        .await;
    assert!(reached.unwrap(), "{message} never became {state:?}: {:?}", stack.attempts(message).await);
}

fn field<'a>(items: &'a Value, name: &str) -> Vec<&'a str> {
    items["data"].as_array().unwrap().iter().map(|item| item[name].as_str().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_shows_a_delivered_attempt_once_and_the_log_commands_list_it() {
    let (stack, cli) = setup("tail", &[]).await;
    let receiver = receiver().await;
    let endpoint = id(&create_endpoint(&cli, &receiver).await);
    let earlier = send(&cli, 1).await;
    settled(&stack, &earlier, DeliveryState::Succeeded).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let start = hookline_core::time::rfc3339(SystemClock.now_ms());

    // Polls every 200 ms, so the attempt is in many polls' answers: it must be printed once.
    let follow = ["tail", &endpoint, "--since", &start, "--interval", "200ms", "--for", "5s"];
    let tail = cli.start(&follow);
    let failures = cli.start(&[&follow[..], &["--status", "failed"]].concat());
    let message = send(&cli, 2).await;
    settled(&stack, &message, DeliveryState::Succeeded).await;

    let tail = tail.await.unwrap();
    assert!(tail.success, "{}", tail.stderr);
    let lines: Vec<&str> = tail.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one attempt since the start, shown once: {}", tail.stdout);
    let fields: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(fields[1..5], [message.as_str(), "#1", "succeeded", "200"], "{}", lines[0]);
    assert_eq!(fields.last(), Some(&"ms"));
    let started = hookline_core::time::parse_time("started_at", fields[0]).unwrap();
    assert!(started >= hookline_core::time::parse_time("start", &start).unwrap(), "{}", lines[0]);
    assert!(tail.stderr.contains(": 1 attempt shown"), "{}", tail.stderr);
    let failures = failures.await.unwrap();
    assert_eq!((failures.success, failures.stdout.as_str()), (true, ""), "{}", failures.stderr);

    let listed = cli.json(&["message", "list", "--since", "1h", "--event-type", "invoice.paid"]).await;
    assert_eq!(field(&listed, "id"), [message.as_str(), earlier.as_str()], "newest first");
    let before = cli.json(&["message", "list", "--until", &start]).await;
    assert_eq!(field(&before, "id"), [earlier.as_str()]);
    let detail = cli.json(&["message", "get", &message]).await;
    assert_eq!(
        (&detail["payload"], &detail["deliveries"][0]["state"]),
        (&json!({ "n": 2 }), &json!("succeeded"))
    );
    let attempts = cli.run(&["attempts", &endpoint, "--status", "succeeded", "--limit", "1", "--all"]).await;
    assert_eq!(field(&attempts.json(), "message_id"), [message.as_str(), earlier.as_str()]);
    assert!(attempts.stderr.contains("fetched page 2"), "{}", attempts.stderr);
    assert_eq!(cli.json(&["attempts", &endpoint, "--status", "failed"]).await["data"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_delivers_a_message_again_with_the_same_webhook_id_and_test_sends_a_test_event() {
    let (stack, cli) = setup("resend", &[]).await;
    let receiver = receiver().await;
    let endpoint = id(&create_endpoint(&cli, &receiver).await);
    let message = send(&cli, 1).await;
    settled(&stack, &message, DeliveryState::Succeeded).await;

    let resent = cli.json(&["resend", &message, "--endpoint", &endpoint]).await;
    assert_eq!(resent, json!({ "message_id": message, "endpoint_id": endpoint }));
    let again = stack.poll_until(Duration::from_secs(10), async || receiver.received().len() >= 2).await;
    assert!(again.unwrap(), "the resent message never arrived");
    let got = receiver.received();
    let ids: Vec<Option<&str>> = got.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids, [Some(message.as_str()); 2]);
    assert_eq!(got[0].body, got[1].body, "the same bytes");

    let test = cli.json(&["endpoint", "test", &endpoint]).await;
    assert_eq!((&test["event_type"], &test["endpoint_id"]), (&json!("hookline.test"), &json!(endpoint)));
    let arrived = stack.poll_until(Duration::from_secs(10), async || receiver.received().len() >= 3).await;
    assert!(arrived.unwrap(), "the test event never arrived");
    assert_eq!(receiver.received()[2].header("webhook-id"), test["id"].as_str());

    let missing = cli.run(&["resend", "msg_nope", "--endpoint", &endpoint]).await;
    assert_eq!(missing.code, Some(1));
    assert!(missing.stderr.starts_with("error: not_found: "), "{}", missing.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_resends_a_dead_lettered_message_and_reports_its_progress_and_total() {
    // One attempt per delivery, so the first failure dead-letters; the receiver fails once, then succeeds.
    let (stack, cli) = setup("recover", &[("RetrySchedule", "0s")]).await;
    let receiver = Receiver::start(
        "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
        Behaviour { fail_first: 1, ..Behaviour::default() },
    )
    .await
    .unwrap();
    let endpoint = id(&create_endpoint(&cli, &receiver).await);
    let message = send(&cli, 1).await;
    settled(&stack, &message, DeliveryState::DeadLettered).await;

    let dead = cli.json(&["attempts", &endpoint, "--status", "dead_lettered", "--since", "10m"]).await;
    assert_eq!(field(&dead, "message_id"), [message.as_str()]);
    assert_eq!(dead["data"][0]["status_code"], json!(500));

    let run = cli.run(&["recover", &endpoint, "--since", "10m"]).await;
    let recovered = run.json();
    assert_eq!(
        (&recovered["resent"], &recovered["endpoint_id"]),
        (&json!(1), &json!(endpoint)),
        "{recovered}"
    );
    assert!(run.stderr.contains("resent 1 so far"), "progress is reported: {}", run.stderr);
    settled(&stack, &message, DeliveryState::Succeeded).await;
    let got = receiver.received();
    assert_eq!(got.iter().map(|r| r.answered).collect::<Vec<_>>(), [500, 200]);
    assert_eq!(got[1].header("webhook-id"), Some(message.as_str()));

    let again = cli.json(&["recover", &endpoint, "--since", "10m"]).await;
    assert_eq!(again["resent"], json!(0), "what was recovered has not failed since");
    let bad = cli.run(&["recover", &endpoint, "--since", "last tuesday"]).await;
    assert!(!bad.success && bad.stderr.contains("RFC 3339"), "{}", bad.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_exits_2_for_a_receiver_that_ignores_signatures_and_0_for_one_that_checks_them() {
    let (_stack, cli) = setup("probe", &[]).await;
    // No secret: this receiver answers 200 to anything.
    let careless = receiver().await;
    let careless_endpoint = id(&create_endpoint(&cli, &careless).await);
    let careful = receiver().await;
    let created = create_endpoint(&cli, &careful).await;
    careful.set_secret(Secret::parse(created["secret"].as_str().unwrap()).unwrap());

    let flagged = cli.run(&["probe", &careless_endpoint]).await;
    assert_eq!(flagged.code, Some(2), "{}", flagged.stderr);
    assert_eq!(flagged.printed()["verifies_signatures"], json!(false));
    assert!(flagged.stderr.contains("probe failed: "), "{}", flagged.stderr);

    let passed = cli.run(&["probe", &id(&created)]).await;
    assert_eq!(passed.code, Some(0), "{}", passed.stderr);
    let report = passed.json();
    assert_eq!(report["verifies_signatures"], json!(true), "{report}");
    let accepted: Vec<bool> =
        report["checks"].as_array().unwrap().iter().map(|c| c["accepted"].as_bool().unwrap()).collect();
    assert_eq!(accepted, [true, false, false]);

    let missing = cli.run(&["probe", "ep_nope"]).await;
    assert_eq!(missing.code, Some(1), "an error is not a failed probe: {}", missing.stderr);
}
