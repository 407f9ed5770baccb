//! The attempt log through the ingest handler and the real DynamoDB client against the emulator:
//! listing messages, one message with its attempts, an endpoint's attempts by status, and tenant scoping.

use std::collections::BTreeSet;
use std::time::Duration;

use hookline::clock::{Clock as _, SystemClock};
use hookline_core::time::rfc3339;
use hookline_local::receiver::{Behaviour, Receiver};
use hookline_tests::Stack;
use serde_json::{Value, json};

async fn receiver(behaviour: Behaviour) -> Receiver {
    hookline_tests::receiver(behaviour).await.unwrap()
}

async fn subscribe(stack: &Stack, receiver: &Receiver) -> String {
    stack.subscribe(receiver, json!({})).await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn send_event(stack: &Stack, event_type: &str, n: u32) -> String {
    stack.send_event(event_type, json!({ "n": n })).await.unwrap()
}

/// Every page of a listing, following `next_cursor`; the ids in order, and the page sizes.
async fn every_page(stack: &Stack, path: &str) -> (Vec<String>, Vec<usize>) {
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(cursor) => format!("{path}{separator}cursor={cursor}"),
            None => path.to_owned(),
        };
        let page = stack.send("GET", &url, "").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let data = page.body["data"].as_array().unwrap();
        sizes.push(data.len());
        ids.extend(data.iter().map(|item| item["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (ids, sizes),
        }
        assert!(sizes.len() < 20, "paging does not end");
    }
}

#[tokio::test]
async fn attempt_queries_are_tenant_scoped_and_paginate_without_gaps_or_repeats() {
    let stack = Stack::new(&[]).await.unwrap();
    let receiver = receiver(Behaviour::default()).await;
    let endpoint = subscribe(&stack, &receiver).await;
    let mut sent = Vec::new();
    for n in 0..5 {
        sent.push(send_event(&stack, "invoice.paid", n).await);
    }
    let all = stack.poll_until(Duration::from_secs(20), async || receiver.received().len() >= 5).await;
    assert!(all.unwrap(), "only {} of 5 delivered", receiver.received().len());

    let (messages, sizes) = every_page(&stack, "/v1/messages?limit=2").await;
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(messages.iter().collect::<BTreeSet<_>>(), sent.iter().collect::<BTreeSet<_>>());
    assert_eq!(messages.len(), 5, "no message twice");
    let attempts_path = format!("/v1/endpoints/{endpoint}/attempts?limit=2");
    let (attempts, _) = every_page(&stack, &attempts_path).await;
    assert_eq!(attempts.iter().collect::<BTreeSet<_>>().len(), 5, "one attempt per message, none twice");

    let detail = stack.send("GET", &format!("/v1/messages/{}", sent[0]), "").await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_eq!(
        (detail.body["event_type"].as_str(), &detail.body["payload"]),
        (Some("invoice.paid"), &json!({ "n": 0 }))
    );
    let delivery = &detail.body["deliveries"][0];
    assert_eq!(
        (delivery["endpoint_id"].as_str(), delivery["state"].as_str()),
        (Some(endpoint.as_str()), Some("succeeded"))
    );
    let attempt = &delivery["attempts"][0];
    assert_eq!((attempt["number"].as_u64(), attempt["status_code"].as_u64()), (Some(1), Some(200)));
    assert!(attempt["error_code"].is_null() && attempt["started_at"].is_string());

    let (_, other_key) = stack.other_tenant("other").await.unwrap();
    let as_other = async |method: &str, path: &str, body: &str| {
        stack.call(method, path, Some(&other_key), &[], body).await
    };
    let listed = as_other("GET", "/v1/messages", "").await;
    assert_eq!((listed.status, &listed.body["data"]), (200, &json!([])));
    assert_eq!(as_other("GET", &format!("/v1/messages/{}", sent[0]), "").await.status, 404);
    assert_eq!(as_other("GET", &format!("/v1/endpoints/{endpoint}/attempts"), "").await.status, 404);
    // A cursor from my listing reads nothing of mine for another tenant: it is only a position.
    let mine = stack.send("GET", "/v1/messages?limit=1", "").await;
    let cursor = mine.body["next_cursor"].as_str().unwrap();
    let theirs = as_other("GET", &format!("/v1/messages?cursor={cursor}"), "").await;
    assert_eq!((theirs.status, &theirs.body["data"]), (200, &json!([])));
    let resend = json!({ "endpoint_id": endpoint }).to_string();
    assert_eq!(as_other("POST", &format!("/v1/messages/{}/resend", sent[0]), &resend).await.status, 404);
    let recover = json!({ "since": rfc3339(0) }).to_string();
    assert_eq!(as_other("POST", &format!("/v1/endpoints/{endpoint}/recover"), &recover).await.status, 404);
    assert_eq!(as_other("POST", &format!("/v1/endpoints/{endpoint}/test"), "").await.status, 404);
    assert_eq!(as_other("POST", &format!("/v1/endpoints/{endpoint}/probe"), "").await.status, 404);
    assert_eq!(receiver.received().len(), 5, "nothing was sent for the other tenant");
}

#[tokio::test]
async fn messages_are_listed_by_time_range_and_event_type() {
    let stack = Stack::new(&[]).await.unwrap();
    let early = send_event(&stack, "invoice.paid", 0).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let from = SystemClock.now_ms();
    let paid = send_event(&stack, "invoice.paid", 1).await;
    let voided = send_event(&stack, "invoice.voided", 2).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let to = SystemClock.now_ms();
    let late = send_event(&stack, "invoice.paid", 3).await;

    let ids = async |query: &str| every_page(&stack, &format!("/v1/messages?{query}")).await.0;
    let (since, until) = (rfc3339(from), rfc3339(to));
    assert_eq!(ids(&format!("since={since}&until={until}")).await, vec![voided.clone(), paid.clone()]);
    assert_eq!(ids(&format!("since={since}")).await, vec![late.clone(), voided.clone(), paid.clone()]);
    assert_eq!(ids(&format!("until={since}")).await, vec![early.clone()]);
    assert_eq!(ids("event_type=invoice.paid&limit=1").await, vec![late, paid, early]);
    assert_eq!(ids("event_type=invoice.voided").await, vec![voided]);

    for bad in ["since=yesterday", "event_type=bad..type", "limit=0", "cursor=Zm9v"] {
        let answer = stack.send("GET", &format!("/v1/messages?{bad}"), "").await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
    }
}

#[tokio::test]
async fn an_endpoints_attempts_are_filtered_by_status() {
    let stack = Stack::new(&[("RetrySchedule", "0s,1s")]).await.unwrap();
    let receiver = receiver(Behaviour { fail_first: 1, failure_status: 500, ..Behaviour::default() }).await;
    let endpoint = subscribe(&stack, &receiver).await;
    let message = send_event(&stack, "invoice.paid", 1).await;
    let delivered = stack
        .poll_until(Duration::from_secs(20), async || receiver.received().iter().any(|r| r.answered == 200))
        .await;
    assert!(delivered.unwrap(), "never delivered");

    let states = async |status: &str| -> Vec<(String, Option<u64>)> {
        let answer = stack.send("GET", &format!("/v1/endpoints/{endpoint}/attempts?{status}"), "").await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let data = answer.body["data"].as_array().unwrap().clone();
        assert!(data.iter().all(|a| a["message_id"].as_str() == Some(message.as_str())));
        data.iter().map(|a| (a["state"].as_str().unwrap().to_owned(), a["status_code"].as_u64())).collect()
    };
    let succeeded = ("succeeded".to_owned(), Some(200));
    let retrying = ("retrying".to_owned(), Some(500));
    assert_eq!(states("").await, vec![succeeded.clone(), retrying.clone()], "newest first");
    assert_eq!(states("status=succeeded").await, vec![succeeded]);
    assert_eq!(states("status=failed").await, vec![retrying.clone()]);
    assert_eq!(states("status=retrying").await, vec![retrying]);
    assert_eq!(states("status=dead_lettered").await, vec![]);
    let failed = stack.send("GET", &format!("/v1/endpoints/{endpoint}/attempts?status=failed"), "").await;
    let attempt: &Value = &failed.body["data"][0];
    assert_eq!(
        (attempt["error_code"].as_str(), attempt["number"].as_u64()),
        (Some("E_HTTP_STATUS"), Some(1))
    );
    assert!(attempt["next_attempt_at"].is_string(), "a retrying attempt says when the next one is due");
    let bogus = stack.send("GET", &format!("/v1/endpoints/{endpoint}/attempts?status=lost"), "").await;
    assert_eq!((bogus.status, bogus.code()), (400, Some("invalid_request")));
}
