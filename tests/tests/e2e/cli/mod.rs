//! The `hookline` CLI end to end: the built binary, run as a user runs it, against the real ingest handler
//! served over HTTP on 127.0.0.1 (wired to the emulator like every test here), and `verify` against a
//! request a receiver really got from the delivery function. The attempt log, recovery and probe commands
//! are in `log_and_recovery.rs`; the harness is in `harness.rs`.

pub(crate) mod harness;
mod log_and_recovery;
mod platform;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use harness::{Cli, id, receiver, serve_api};
use hookline_local::receiver::{Behaviour, Received, Receiver};
use hookline_tests::Stack;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configure_writes_an_owner_only_file_and_the_api_commands_use_it() {
    let stack = Arc::new(Stack::new(&[]).await.unwrap());
    let api = serve_api(stack.clone()).await;
    let cli = Cli::new("configure");

    let run = cli.run(&["configure", "--api-url", &api, "--api-key", &stack.token]).await;
    let shown = run.json();
    assert!(!run.stdout.contains(&stack.token) && !run.stderr.contains(&stack.token), "the key was printed");
    let path = PathBuf::from(shown["config"].as_str().unwrap());
    assert_eq!(path, cli.dir.join("cfg/config.json"));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved["api_key"].as_str(), Some(stack.token.as_str()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let receiver = receiver().await;
    let url = receiver.url("/hook");
    let created = cli.json(&["endpoint", "create", "--url", &url, "--event-type", "invoice.*"]).await;
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"), "{created}");
    let endpoint = id(&created);
    for n in 0..2 {
        let other = format!("https://{n}.example.com/hook");
        cli.json(&["endpoint", "create", "--url", &other, "--event-type", "other.thing"]).await;
    }

    let fetched = cli.json(&["endpoint", "get", &endpoint]).await;
    assert_eq!((id(&fetched), fetched["event_types"].clone()), (endpoint.clone(), json!(["invoice.*"])));
    let update = ["endpoint", "update", &endpoint, "--description", "billing", "--retry-schedule", "0s,5s"];
    let updated = cli.json(&update).await;
    assert_eq!(
        (&updated["description"], &updated["retry_schedule"]),
        (&json!("billing"), &json!(["0s", "5s"]))
    );
    let cleared = cli.json(&["endpoint", "update", &endpoint, "--clear-description"]).await;
    assert!(cleared["description"].is_null(), "{cleared}");
    assert_eq!(cleared["retry_schedule"], json!(["0s", "5s"]), "update changed a field it was not given");
    let page = cli.json(&["endpoint", "list", "--limit", "2"]).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert!(page["next_cursor"].is_string(), "{page}");
    let all = cli.run(&["endpoint", "list", "--limit", "1", "--all"]).await;
    let listed: Vec<String> = all.json()["data"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(listed.len(), 3);
    assert!(listed.contains(&endpoint));
    assert!(all.stderr.contains("fetched page 3 (3 items so far)"), "{}", all.stderr);

    let disabled = cli.json(&["endpoint", "disable", &endpoint]).await;
    assert_eq!(disabled["enabled"], json!(false));
    let skipped = cli.json(&["send", "--type", "invoice.paid", "--payload", "{}"]).await;
    assert_eq!(skipped["endpoints"], json!(0), "a disabled endpoint still gets events");
    assert_eq!(cli.json(&["endpoint", "enable", &endpoint]).await["enabled"], json!(true));

    let payload = cli.file("payload.json", br#"{"invoice_id": "in_1", "amount": 4200}"#);
    let payload_arg = format!("@{payload}");
    let sent =
        cli.json(&["send", "--type", "invoice.paid", "--payload", &payload_arg, "--id", "order-1"]).await;
    assert!(id(&sent).starts_with("msg_"), "{sent}");
    assert_eq!(sent["endpoints"], json!(1));
    let again =
        cli.run(&["send", "--type", "invoice.paid", "--payload", &payload_arg, "--id", "order-1"]).await;
    assert_eq!(id(&again.json()), id(&sent));
    assert!(again.stderr.contains("already accepted"), "{}", again.stderr);

    let secret = cli.json(&["secret", "show", &endpoint]).await;
    assert_eq!(secret["secret"], created["secret"]);
    let rotated = cli.json(&["secret", "rotate", &endpoint, "--grace", "1h"]).await;
    assert_eq!(rotated["previous"][0]["secret"], created["secret"]);

    let deleted = cli.json(&["endpoint", "delete", &endpoint]).await;
    assert_eq!(deleted, json!({ "id": endpoint, "deleted": true }));
    let gone = cli.run(&["endpoint", "get", &endpoint]).await;
    assert!(!gone.success);
    assert!(gone.stderr.starts_with("error: not_found: "), "{}", gone.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_key_or_a_bad_request_is_a_clear_error_and_a_failed_exit() {
    let stack = Arc::new(Stack::new(&[]).await.unwrap());
    let api = serve_api(stack.clone()).await;

    let (_, revoked_key) = stack.other_tenant("revoked").await.unwrap();
    let key_id = revoked_key.split('_').nth(1).unwrap();
    let (_, other_key) = stack.other_tenant("other").await.unwrap();
    let keys = Cli::with_env("keys", &api, &other_key);
    let revoke =
        stack.call("DELETE", &format!("/v1/api-keys/key_{key_id}"), Some(&revoked_key), &[], "").await;
    assert_eq!(revoke.status, 204, "{}", revoke.body);

    for key in [revoked_key.as_str(), "hlk_not_a_key"] {
        let cli = Cli::with_env("bad-key", &api, key);
        let run = cli.run(&["endpoint", "list"]).await;
        assert!(!run.success, "{run:?}");
        assert_eq!(run.stdout, "");
        assert!(run.stderr.starts_with("error: unauthorized: "), "{}", run.stderr);
    }
    let run = keys.run(&["send", "--type", "invoice.paid", "--payload", "[1]"]).await;
    assert!(!run.success);
    assert!(run.stderr.starts_with("error: invalid_request: "), "{}", run.stderr);
    let run = keys.run(&["send", "--type", "invoice.paid", "--payload", "{not json"]).await;
    assert!(!run.success);
    assert!(run.stderr.starts_with("error: --payload is not JSON"), "{}", run.stderr);

    let unconfigured = Cli::new("unconfigured");
    let run = unconfigured.run(&["endpoint", "list"]).await;
    assert!(!run.success);
    assert!(run.stderr.contains("hookline configure"), "{}", run.stderr);
}

/// A received request as a raw HTTP dump, the way one saves it from a proxy or a log.
fn raw_request(got: &Received, body: &str) -> Vec<u8> {
    let mut raw = format!("POST {} HTTP/1.1\r\n", got.path);
    for (name, value) in &got.headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    format!("{raw}\r\n{body}").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_says_valid_for_a_delivered_request_and_names_what_was_tampered_with() {
    let stack = Arc::new(Stack::new(&[]).await.unwrap());
    let api = serve_api(stack.clone()).await;
    let cli = Cli::with_env("verify", &api, &stack.token);
    let receiver = receiver().await;
    let endpoint = cli.json(&["endpoint", "create", "--url", &receiver.url("/hook")]).await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    cli.json(&["send", "--type", "invoice.paid", "--payload", r#"{"amount": 4200}"#]).await;
    let arrived = stack.poll_until(Duration::from_secs(10), async || !receiver.received().is_empty()).await;
    assert!(arrived.unwrap(), "nothing was delivered");
    let got = receiver.received().remove(0);

    let request = cli.file("request.http", &raw_request(&got, &got.body));
    let run = cli.run(&["verify", "--secret", &secret, "--request", &request]).await;
    assert_eq!((run.success, run.stdout.as_str()), (true, "valid\n"), "{}", run.stderr);

    let headers = cli.file("headers.txt", &raw_request(&got, ""));
    let body = cli.file("body.json", got.body.as_bytes());
    let secret_file = cli.file("secret.txt", format!("{secret}\n").as_bytes());
    let run =
        cli.run(&["verify", "--secret-file", &secret_file, "--headers", &headers, "--body", &body]).await;
    assert_eq!(run.stdout, "valid\n", "{}", run.stderr);

    let with_newline = cli.file("newline.http", &raw_request(&got, &format!("{}\n", got.body)));
    let run = cli.run(&["verify", "--secret", &secret, "--request", &with_newline]).await;
    assert!(!run.success);
    assert!(run.stdout.contains("the body was changed: a trailing newline was added"), "{}", run.stdout);

    let tampered = cli.file("tampered.http", &raw_request(&got, &got.body.replace("4200", "1")));
    let run = cli.run(&["verify", "--secret", &secret, "--request", &tampered]).await;
    assert!(!run.success);
    assert!(run.stdout.contains("no signature matches"), "{}", run.stdout);

    let sent_at: i64 = got.header("webhook-timestamp").unwrap().parse().unwrap();
    let later = (sent_at + 3600).to_string();
    let run = cli.run(&["verify", "--secret", &secret, "--request", &request, "--now", &later]).await;
    assert!(!run.success);
    assert!(run.stdout.contains("the webhook-timestamp is 3600 s old"), "{}", run.stdout);

    let other = cli.json(&["secret", "rotate", &id(&endpoint), "--grace", "0s"]).await;
    let run =
        cli.run(&["verify", "--secret", other["secret"].as_str().unwrap(), "--request", &request]).await;
    assert!(!run.success);
    assert!(run.stdout.contains("no signature matches: wrong secret"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_counts_and_redrives_dead_letters_with_the_cli_and_they_are_delivered() {
    let stack = Stack::new(&[("RetrySchedule", "0s")]).await.unwrap();
    let receiver = Receiver::start(
        "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
        Behaviour { fail_first: 1, ..Behaviour::default() },
    )
    .await
    .unwrap();
    let (status, _) =
        stack.post("/v1/endpoints", &json!({ "url": receiver.url("/hooks") }).to_string()).await;
    assert_eq!(status, 201);
    let (status, accepted) =
        stack.post("/v1/events", &json!({ "event_type": "a.b", "payload": {} }).to_string()).await;
    assert_eq!(status, 202);
    let dead =
        stack.poll_until(Duration::from_secs(30), async || !stack.dead_letters().await.unwrap().is_empty());
    assert!(dead.await.unwrap(), "the failed delivery never reached the dead-letter queue");

    let mut cli = Cli::new("dlq");
    cli.env.push((
        "HOOKLINE_DEAD_LETTER_QUEUE_URL".into(),
        stack.made.queue_url("DeadLetterQueue").unwrap().into(),
    ));
    cli.env.push(("HOOKLINE_DELIVERY_QUEUE_URL".into(), stack.config.delivery_queue_url.clone()));
    assert_eq!(cli.json(&["dlq", "count"]).await, json!({ "waiting": 1 }));
    let redriven = cli.run(&["dlq", "redrive", "--copy"]).await;
    assert_eq!(redriven.json(), json!({ "moved": 1, "skipped": 0 }));
    assert!(redriven.stderr.contains("moved 1"), "progress is reported: {}", redriven.stderr);

    let delivered = stack
        .poll_until(Duration::from_secs(20), async || receiver.received().iter().any(|r| r.answered == 200))
        .await;
    assert!(delivered.unwrap(), "the redriven message was not delivered");
    assert_eq!(receiver.received().last().unwrap().header("webhook-id"), accepted["id"].as_str());
    assert_eq!(cli.json(&["dlq", "count"]).await, json!({ "waiting": 0 }));
}
