//! The verification probe end to end: the ingest handler sends real requests through the SSRF-guarded
//! HTTP sender to receivers on 127.0.0.1, and nothing of it lands in the attempt log.

use hookline_core::signing::Secret;
use hookline_local::receiver::{Behaviour, Receiver};
use hookline_tests::Stack;
use serde_json::{Value, json};

async fn receiver() -> Receiver {
    hookline_tests::receiver(Behaviour::default()).await.unwrap()
}

/// Registers `url` and returns the endpoint's id and secret.
async fn endpoint(stack: &Stack, url: &str) -> (String, Secret) {
    let (status, endpoint) = stack.post("/v1/endpoints", &json!({ "url": url }).to_string()).await;
    assert_eq!(status, 201, "{endpoint}");
    let secret = Secret::parse(endpoint["secret"].as_str().unwrap()).unwrap();
    (endpoint["id"].as_str().unwrap().to_owned(), secret)
}

async fn probe(stack: &Stack, endpoint: &str) -> Value {
    let answer = stack.send("POST", &format!("/v1/endpoints/{endpoint}/probe"), "").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

fn checks(report: &Value) -> Vec<(String, Option<u64>, bool)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (c["case"].as_str().unwrap().to_owned(), c["status"].as_u64(), c["accepted"].as_bool().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn the_probe_flags_a_receiver_that_ignores_signatures() {
    let stack = Stack::new(&[]).await.unwrap();
    // No secret: this receiver answers 200 to everything.
    let careless = receiver().await;
    let (endpoint, _) = endpoint(&stack, &careless.url("/hooks")).await;

    let report = probe(&stack, &endpoint).await;
    assert_eq!(report["verifies_signatures"].as_bool(), Some(false));
    assert_eq!(
        checks(&report),
        vec![
            ("valid".to_owned(), Some(200), true),
            ("bad_signature".to_owned(), Some(200), true),
            ("stale_timestamp".to_owned(), Some(200), true),
        ]
    );
    assert!(report["verdict"].as_str().unwrap().contains("does not verify signatures"), "{report}");

    let got = careless.received();
    assert_eq!(got.len(), 3);
    for request in &got {
        let body: Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(body["type"].as_str(), Some("hookline.probe"));
    }
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id").unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each probe request has its own webhook-id");
    let log = stack.send("GET", &format!("/v1/endpoints/{endpoint}/attempts"), "").await;
    assert_eq!(log.body["data"], json!([]), "probes are not attempts");
    assert_eq!(stack.send("GET", "/v1/messages", "").await.body["data"], json!([]), "nor messages");
}

#[tokio::test]
async fn the_probe_passes_a_receiver_that_checks_signatures_and_timestamps() {
    let stack = Stack::new(&[]).await.unwrap();
    let careful = receiver().await;
    let (endpoint, secret) = endpoint(&stack, &careful.url("/hooks")).await;
    careful.set_secret(secret);

    let report = probe(&stack, &endpoint).await;
    assert_eq!(report["verifies_signatures"].as_bool(), Some(true), "{report}");
    assert_eq!(
        checks(&report),
        vec![
            ("valid".to_owned(), Some(200), true),
            ("bad_signature".to_owned(), Some(401), false),
            ("stale_timestamp".to_owned(), Some(401), false),
        ]
    );
    let verdicts: Vec<String> = careful
        .received()
        .iter()
        .map(|r| r.verified.clone().unwrap().map_or_else(|e| e.to_string(), |()| "ok".to_owned()))
        .collect();
    assert!(verdicts.contains(&"ok".to_owned()), "{verdicts:?}");
    assert!(verdicts.iter().any(|v| v.contains("older than the tolerance")), "{verdicts:?}");
    assert!(verdicts.iter().any(|v| v.contains("no v1 signature matches")), "{verdicts:?}");
}

#[tokio::test]
async fn probing_an_endpoint_nobody_listens_on_says_it_could_not_be_reached() {
    let stack = Stack::new(&[]).await.unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (endpoint, _) = endpoint(&stack, &format!("http://{closed}/hooks")).await;
    let report = probe(&stack, &endpoint).await;
    assert_eq!(report["verifies_signatures"].as_bool(), Some(false));
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"].is_null() && c["error_code"] == "E_CONNECT")
    );
    assert!(report["verdict"].as_str().unwrap().contains("could not be reached"), "{report}");
}
