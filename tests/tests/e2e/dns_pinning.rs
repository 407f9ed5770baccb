//! The SSRF guard's DNS pinning through real connections: the HTTP client connects only to addresses the
//! guard looked up and checked itself. DNS is played by a scripted lookup; every connection goes to
//! 127.0.0.1, and the refused cases never connect anywhere.

use std::net::SocketAddr;
use std::sync::Arc;

use hookline::lookup::UrlGuard;
use hookline::sender::WebhookSender as _;
use hookline::testing::ScriptedLookup;
use hookline_aws::http_sender::{HttpSender, HttpSettings};
use hookline_core::address_policy::AddressPolicy;
use hookline_core::delivery::OutgoingWebhook;
use hookline_core::model::ErrorCode;
use hookline_local::receiver::{Behaviour, Receiver};

async fn receiver() -> Receiver {
    Receiver::start("127.0.0.1:0".parse::<SocketAddr>().unwrap(), Behaviour::default()).await.unwrap()
}

fn webhook(url: String) -> OutgoingWebhook {
    OutgoingWebhook {
        url,
        headers: vec![("content-type".into(), "application/json".into())],
        body: "{}".into(),
    }
}

fn sender(policy: AddressPolicy, lookup: Arc<ScriptedLookup>) -> HttpSender {
    HttpSender::with_lookup(HttpSettings { allow_http: true, policy, ..HttpSettings::default() }, lookup)
        .unwrap()
}

#[tokio::test]
async fn a_name_that_was_public_when_written_and_private_when_delivered_is_not_reached() {
    let receiver = receiver().await;
    let port = receiver.url("").rsplit(':').next().unwrap().to_owned();
    let url = format!("http://rebind.example.com:{port}/hook");
    // The first answer (when the endpoint is written) is public, every later one is loopback.
    let lookup = Arc::new(ScriptedLookup::new(vec![
        vec!["93.184.216.34".parse().unwrap()],
        vec!["127.0.0.1".parse().unwrap()],
    ]));
    let guard = UrlGuard::new(AddressPolicy::public_only(), true, lookup.clone());
    assert!(guard.check(&url).await.is_ok(), "public when written");

    let failure = sender(AddressPolicy::public_only(), lookup.clone()).send(webhook(url)).await.unwrap_err();
    assert_eq!(failure.code, ErrorCode::Blocked, "{}", failure.detail);
    assert!(receiver.received().is_empty(), "the private address was never connected to");
    assert_eq!(lookup.lookups(), 2);
}

#[tokio::test]
async fn the_client_connects_to_the_address_the_guard_checked_and_keeps_that_connection() {
    let receiver = receiver().await;
    let port = receiver.url("").rsplit(':').next().unwrap().to_owned();
    let url = format!("http://pinned.example.com:{port}/hook");
    let lookup = Arc::new(ScriptedLookup::new(vec![vec!["127.0.0.1".parse().unwrap()]]));
    let sender = sender(AddressPolicy::allowing("127.0.0.0/8").unwrap(), lookup.clone());

    for _ in 0..3 {
        let answer = sender.send(webhook(url.clone())).await.unwrap();
        assert_eq!(answer.status, 200);
    }
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    assert!(received.iter().all(|r| r.header("host") == Some(format!("pinned.example.com:{port}").as_str())));
    assert_eq!(lookup.lookups(), 1, "one lookup for the pooled connection, none per request");
}

#[tokio::test]
async fn a_literal_private_address_is_refused_without_any_lookup() {
    let lookup = Arc::new(ScriptedLookup::new(vec![vec!["127.0.0.1".parse().unwrap()]]));
    let sender = sender(AddressPolicy::public_only(), lookup.clone());
    for url in ["http://127.0.0.1:9/hook", "http://[::1]:9/hook", "http://2130706433:9/", "http://0x7f.1:9/"]
    {
        let failure = sender.send(webhook(url.into())).await.unwrap_err();
        assert_eq!(failure.code, ErrorCode::Blocked, "{url}: {}", failure.detail);
    }
    assert_eq!(lookup.lookups(), 0);
}
