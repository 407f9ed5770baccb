use std::time::Duration;

use hookline::app::AppSettings;
use hookline::clock::Clock as _;
use hookline::endpoint_secrets::MAX_GRACE_SECS;
use hookline::testing::public_urls;
use hookline_core::address_policy::AddressPolicy;
use serde_json::{Value, json};

use super::*;
use crate::operations::{
    create_endpoint, delete_endpoint, get_endpoint, get_secret, list_endpoints, rotate_secret,
    update_endpoint,
};
use crate::{EndpointView, RotateSecret, UpdateEndpoint};

type Deps = App<MemoryPorts>;

fn deps(allow_http: bool, policy: AddressPolicy) -> Deps {
    // Every name resolves to a public address unless a test says otherwise.
    let settings = AppSettings { urls: public_urls(policy, allow_http), ..app_settings() };
    memory_app(NoSender, 1_649_367_553_000, settings)
}

fn public() -> Deps {
    deps(false, AddressPolicy::public_only())
}

fn tenant() -> TenantId {
    TenantId::parse("ten_a").unwrap()
}

async fn create(deps: &Deps, body: Value) -> Result<EndpointView, ApiError> {
    create_endpoint(deps, &tenant(), serde_json::from_value(body).unwrap()).await
}

#[tokio::test]
async fn a_new_endpoint_gets_a_whsec_secret_returned_once_and_readable_later() {
    let deps = public();
    let created = create(&deps, json!({"url": "https://a.example.com/hook"})).await.unwrap();
    let secret = created.secret.clone().unwrap();
    assert!(Secret::parse(&secret).is_ok());
    assert_eq!(created.event_types, vec!["*"]);
    let fetched = get_endpoint(&deps, &tenant(), created.id.as_str()).await.unwrap();
    assert_eq!(fetched, EndpointView { secret: None, ..created.clone() });
    let view = get_secret(&deps, &tenant(), created.id.as_str()).await.unwrap();
    assert_eq!((view.secret, view.previous), (secret, vec![]));
}

#[tokio::test]
async fn endpoint_urls_are_checked_with_specific_errors() {
    let deps = public();
    for (url, expected) in [
        ("nope", (400, "invalid_url")),
        ("http://a.example.com/", (400, "invalid_url")),
        ("https://10.0.0.8/", (422, "url_not_allowed")),
        ("https://[::1]/", (422, "url_not_allowed")),
    ] {
        assert_eq!(code(create(&deps, json!({"url": url})).await.unwrap_err()), expected, "{url}");
    }
    let bad_filter = create(&deps, json!({"url": "https://a.example.com/", "event_types": ["in*"]})).await;
    assert_eq!(code(bad_filter.unwrap_err()), (400, "invalid_request"));
}

#[tokio::test]
async fn local_development_may_opt_in_to_plain_http_on_loopback() {
    let deps = deps(true, AddressPolicy::allowing("127.0.0.0/8").unwrap());
    assert!(create(&deps, json!({"url": "http://127.0.0.1:8080/hook"})).await.is_ok());
    assert!(create(&deps, json!({"url": "http://10.0.0.1/hook"})).await.is_err());
}

#[tokio::test]
async fn every_field_is_stored_and_reserved_headers_are_refused() {
    let deps = public();
    let created = create(
        &deps,
        json!({
            "url": "https://a.example.com/hook", "description": "billing", "event_types": ["invoice.*"],
            "enabled": false, "headers": {"X-Team": "billing"}, "rate_limit": 20, "metadata": {"owner": "ops"}
        }),
    )
    .await
    .unwrap();
    assert_eq!(created.description.as_deref(), Some("billing"));
    assert_eq!((created.enabled, created.rate_limit), (false, Some(20)));
    assert_eq!(created.headers.get("x-team").map(String::as_str), Some("billing"));
    assert_eq!(created.metadata.get("owner").map(String::as_str), Some("ops"));

    let reserved = create(&deps, json!({"url": "https://a.example.com/", "headers": {"Webhook-Id": "x"}}));
    assert_eq!(code(reserved.await.unwrap_err()), (400, "invalid_request"));
    let hop = create(&deps, json!({"url": "https://a.example.com/", "headers": {"Connection": "close"}}));
    assert_eq!(code(hop.await.unwrap_err()), (400, "invalid_request"));
}

#[tokio::test]
async fn an_update_changes_only_the_fields_it_names_and_null_clears() {
    let deps = public();
    let created =
        create(&deps, json!({"url": "https://a.example.com/", "description": "d", "rate_limit": 5}))
            .await
            .unwrap();
    deps.clock().advance(Duration::from_secs(60));
    let id = created.id.as_str();
    let patch: UpdateEndpoint =
        serde_json::from_value(json!({"event_types": ["user.*"], "description": null})).unwrap();
    let updated = update_endpoint(&deps, &tenant(), id, patch).await.unwrap();
    assert_eq!(updated.event_types, vec!["user.*"]);
    assert_eq!((updated.description, updated.rate_limit), (None, Some(5)));
    assert_eq!(updated.url, created.url);
    assert_ne!(updated.updated_at, created.updated_at);
}

#[tokio::test]
async fn re_enabling_an_endpoint_clears_why_it_was_disabled() {
    let deps = public();
    let created = create(&deps, json!({"url": "https://a.example.com/"})).await.unwrap();
    deps.store().disable_endpoint(&tenant(), &created.id, "the endpoint answered 410 Gone").await.unwrap();
    let disabled = get_endpoint(&deps, &tenant(), created.id.as_str()).await.unwrap();
    assert_eq!(disabled.disabled_reason.as_deref(), Some("the endpoint answered 410 Gone"));
    let patch: UpdateEndpoint = serde_json::from_value(json!({"enabled": true})).unwrap();
    let enabled = update_endpoint(&deps, &tenant(), created.id.as_str(), patch).await.unwrap();
    assert_eq!((enabled.enabled, enabled.disabled_reason), (true, None));
}

#[tokio::test]
async fn a_deleted_endpoint_is_gone_for_every_operation() {
    let deps = public();
    let created = create(&deps, json!({"url": "https://a.example.com/"})).await.unwrap();
    let id = created.id.as_str();
    delete_endpoint(&deps, &tenant(), id).await.unwrap();
    assert_eq!(code(get_endpoint(&deps, &tenant(), id).await.unwrap_err()), (404, "not_found"));
    assert_eq!(code(delete_endpoint(&deps, &tenant(), id).await.unwrap_err()), (404, "not_found"));
    let patch = UpdateEndpoint::default();
    assert_eq!(code(update_endpoint(&deps, &tenant(), id, patch).await.unwrap_err()), (404, "not_found"));
    assert_eq!(code(get_endpoint(&deps, &tenant(), "not-an-id").await.unwrap_err()), (404, "not_found"));
}

#[tokio::test]
async fn another_tenants_endpoint_answers_404_like_a_missing_one() {
    let deps = public();
    let created = create(&deps, json!({"url": "https://a.example.com/"})).await.unwrap();
    let other = TenantId::parse("ten_b").unwrap();
    let id = created.id.as_str();
    assert_eq!(code(get_endpoint(&deps, &other, id).await.unwrap_err()), (404, "not_found"));
    assert_eq!(code(get_secret(&deps, &other, id).await.unwrap_err()), (404, "not_found"));
    assert_eq!(code(delete_endpoint(&deps, &other, id).await.unwrap_err()), (404, "not_found"));
    assert!(list_endpoints(&deps, &other, 50, None).await.unwrap().data.is_empty());
    assert!(get_endpoint(&deps, &tenant(), id).await.is_ok());
}

#[tokio::test]
async fn rotation_keeps_the_old_secret_signing_for_the_grace_period_only() {
    let deps = public();
    let created = create(&deps, json!({"url": "https://a.example.com/"})).await.unwrap();
    let old = created.secret.unwrap();
    let id = created.id.as_str();
    let rotated =
        rotate_secret(&deps, &tenant(), id, RotateSecret { grace_period_secs: Some(3600) }).await.unwrap();
    assert_ne!(rotated.secret, old);
    assert_eq!(rotated.previous.len(), 1);
    assert_eq!(rotated.previous[0].secret, old);

    let stored = deps.store().get_endpoint(&tenant(), &created.id).await.unwrap().unwrap();
    let now = deps.clock().now_ms();
    let signing: Vec<String> = stored.signing_secrets(now).map(Secret::expose).collect();
    assert_eq!(signing, vec![rotated.secret.clone(), old]);
    let after: Vec<String> = stored.signing_secrets(now + 3_600_000).map(Secret::expose).collect();
    assert_eq!(after, vec![rotated.secret]);
}

#[tokio::test]
async fn rotation_defaults_to_a_day_of_grace_and_refuses_more_than_a_week() {
    let deps = public();
    let created = create(&deps, json!({"url": "https://a.example.com/"})).await.unwrap();
    let id = created.id.as_str();
    let rotated = rotate_secret(&deps, &tenant(), id, RotateSecret::default()).await.unwrap();
    let expected = hookline_core::time::rfc3339(deps.clock().now_ms() + 86_400_000);
    assert_eq!(rotated.previous[0].expires_at, expected);
    let too_long = RotateSecret { grace_period_secs: Some(MAX_GRACE_SECS + 1) };
    assert_eq!(
        code(rotate_secret(&deps, &tenant(), id, too_long).await.unwrap_err()),
        (400, "invalid_request")
    );
}

#[tokio::test]
async fn listing_pages_through_every_endpoint_once() {
    let deps = public();
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(create(&deps, json!({"url": format!("https://{n}.example.com/")})).await.unwrap().id);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = list_endpoints(&deps, &tenant(), 2, cursor.as_deref()).await.unwrap();
        assert!(page.data.len() <= 2);
        seen.extend(page.data.into_iter().map(|e| e.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    created.sort();
    seen.sort();
    assert_eq!(seen, created);
    let bad = list_endpoints(&deps, &tenant(), 2, Some("bm90IGEgY3Vyc29y")).await.unwrap_err();
    assert_eq!(code(bad), (400, "invalid_cursor"));
}
