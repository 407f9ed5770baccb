//! The platform's path through the CLI: configure a platform key, onboard a tenant by its own id, publish
//! for it, and hand its customer a portal link.

use std::sync::Arc;
use std::time::Duration;

use hookline_tests::Stack;
use serde_json::json;

use super::harness::{Cli, receiver, serve_api};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_key_onboards_a_tenant_publishes_for_it_and_gets_a_portal_link() {
    let stack = Arc::new(Stack::new(&[]).await.unwrap());
    let api = serve_api(stack.clone()).await;
    let key = stack.platform_key().await.unwrap();
    let cli = Cli::new("platform");
    let configured = cli.json(&["configure", "--api-url", &api, "--api-key", &key]).await;
    assert!(configured["api_key_id"].as_str().unwrap().starts_with("plk_"), "{configured}");

    let tenant =
        format!("cus_{}", hookline_core::ids::EndpointId::generate().as_str().trim_start_matches("ep_"));
    let put = ["tenant", "put", &tenant, "--name", "Acme", "--metadata", "plan=pro"];
    let onboarded = cli.json(&put).await;
    assert_eq!(
        (onboarded["id"].clone(), onboarded["metadata"].clone()),
        (json!(tenant), json!({ "plan": "pro" }))
    );
    assert_eq!(cli.json(&put).await, onboarded, "putting it again changes nothing");
    assert_eq!(cli.json(&["tenant", "get", &tenant]).await["name"], json!("Acme"));

    let without = cli.run(&["endpoint", "list"]).await;
    assert!(!without.success && without.stderr.contains("tenant_required"), "{}", without.stderr);

    let receiver = receiver().await;
    let url = receiver.url("/hook");
    let endpoint = cli.json(&["--tenant", &tenant, "endpoint", "create", "--url", &url]).await;
    receiver.set_secret(hookline_core::signing::Secret::parse(endpoint["secret"].as_str().unwrap()).unwrap());
    let sent =
        cli.json(&["send", "--tenant", &tenant, "--type", "invoice.paid", "--payload", r#"{"n":1}"#]).await;
    assert!(sent["id"].as_str().unwrap().starts_with("msg_"), "{sent}");
    let delivered =
        stack.poll_until(Duration::from_secs(10), async || !receiver.received().is_empty()).await.unwrap();
    assert!(delivered, "the event published for the tenant was not delivered");
    let body: serde_json::Value = serde_json::from_str(&receiver.received()[0].body).unwrap();
    assert_eq!(body["data"], json!({ "n": 1 }));

    let link = cli
        .json(&["portal-link", "--tenant", &tenant, "--capability", "replay", "--expires-in", "30m"])
        .await;
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{api}/portal/login?token=hll_")), "{url}");
    assert_eq!(link["capabilities"], json!(["view", "replay"]));
    let token = url.split_once("token=").unwrap().1;
    let exchange = json!({ "token": token }).to_string();
    let opened = stack.call("POST", "/v1/portal-sessions/exchange", None, &[], &exchange).await;
    assert_eq!((opened.status, opened.body["tenant_id"].clone()), (200, json!(tenant)));

    let listed = cli.json(&["tenant", "list", "--all"]).await;
    assert!(listed["data"].as_array().unwrap().iter().any(|t| t["id"] == json!(tenant)), "{listed}");
    assert_eq!(cli.json(&["tenant", "delete", &tenant]).await["deleted"], json!(true));
}
