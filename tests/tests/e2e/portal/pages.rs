//! Each portal page and refusal over plain HTTP, through the ingest handler against the emulator: faster
//! than the browser, and exact about statuses and headers.

use hookline_tests::{Answer, Stack};
use serde_json::json;

use super::HOSTILE;

/// The session cookie `login?token=` sets, after checking how it is set.
async fn sign_in(stack: &Stack, capabilities: &[&str], https: bool) -> String {
    let answer =
        stack.send("POST", "/v1/portal-sessions", &json!({ "capabilities": capabilities }).to_string()).await;
    let url = answer.body["url"].as_str().unwrap().to_owned();
    let token = url.split_once("token=").unwrap().1;
    let proto = if https { "https" } else { "http" };
    let headers = [("host", "portal.example"), ("x-forwarded-proto", proto)];
    let login = stack.call("GET", &format!("/portal/login?token={token}"), None, &headers, "").await;
    assert_eq!(login.status, 303, "{}", login.text);
    assert_eq!(login.header("location"), Some("/portal/"), "to a URL without the token");
    let cookie = login.header("set-cookie").unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/portal/"),
        "{cookie}"
    );
    assert_eq!(cookie.contains("; Secure"), https, "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

async fn get(stack: &Stack, path: &str, cookie: &str) -> Answer {
    stack.call("GET", &format!("/portal/{path}"), None, &[("cookie", cookie)], "").await
}

async fn post(stack: &Stack, path: &str, cookie: &str, form: &str) -> Answer {
    stack.call("POST", &format!("/portal/{path}"), None, &[("cookie", cookie)], form).await
}

/// The CSRF token in a page's forms.
fn csrf(page: &Answer) -> String {
    let at = page.text.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    page.text[at..at + 64].to_owned()
}

fn assert_secured(answer: &Answer) {
    let csp = answer.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("frame-ancestors 'none'")
            && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(answer.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn every_page_answers_with_the_security_headers_and_shows_markup_as_text() {
    let stack = Stack::new(&[]).await.unwrap();
    let endpoint = stack
        .send(
            "POST",
            "/v1/endpoints",
            &json!({ "url": "https://a.example.com/h", "description": HOSTILE }).to_string(),
        )
        .await;
    let endpoint_id = endpoint.body["id"].as_str().unwrap().to_owned();
    let message = stack.send_event("invoice.paid", json!({ "note": HOSTILE })).await.unwrap();
    let cookie = sign_in(&stack, &["manage_endpoints", "secrets", "replay"], false).await;
    for path in [
        String::new(),
        "endpoints/new".into(),
        format!("endpoints/{endpoint_id}"),
        format!("endpoints/{endpoint_id}/delete"),
        "messages".into(),
        format!("messages?endpoint={endpoint_id}&status=failed&since=24h"),
        format!("messages/{message}"),
        "event-types".into(),
    ] {
        let page = get(&stack, &path, &cookie).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text);
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
        assert_secured(&page);
        assert!(!page.text.contains(HOSTILE) && !page.text.contains("<script"), "{path} carries raw markup");
        assert!(!page.text.contains("whsec_"), "{path} shows a secret before it was asked for");
    }
    let shown = get(&stack, &format!("messages/{message}"), &cookie).await;
    assert!(shown.text.contains("&lt;script&gt;window.hooklinePwned"), "the payload is shown escaped");
    let css = get(&stack, "assets/portal.css", &cookie).await;
    assert_eq!((css.status, css.header("content-type")), (200, Some("text/css; charset=utf-8")));
}

#[tokio::test]
async fn the_login_cookie_is_secure_over_https_and_a_used_link_gets_401() {
    let stack = Stack::new(&[]).await.unwrap();
    sign_in(&stack, &[], true).await;
    let answer = stack.send("POST", "/v1/portal-sessions", "{}").await;
    let token = answer.body["url"].as_str().unwrap().split_once("token=").unwrap().1.to_owned();
    let first = stack.call("GET", &format!("/portal/login?token={token}"), None, &[], "").await;
    assert_eq!(first.status, 303);
    let again = stack.call("GET", &format!("/portal/login?token={token}"), None, &[], "").await;
    assert_eq!(again.status, 401);
    assert_secured(&again);
    let no_cookie = stack.call("GET", "/portal/", None, &[], "").await;
    assert_eq!(no_cookie.status, 401);
    let forged = get(
        &stack,
        "",
        "hookline_portal=hls_00000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .await;
    assert_eq!(forged.status, 401);
}

#[tokio::test]
async fn a_change_without_the_sessions_csrf_token_is_refused_and_with_it_is_done() {
    let stack = Stack::new(&[]).await.unwrap();
    let endpoint =
        stack.send("POST", "/v1/endpoints", &json!({ "url": "https://a.example.com/h" }).to_string()).await;
    let id = endpoint.body["id"].as_str().unwrap().to_owned();
    let before = stack.send("GET", &format!("/v1/endpoints/{id}/secret"), "").await.body["secret"].clone();
    let cookie = sign_in(&stack, &["secrets", "manage_endpoints"], false).await;
    let page = get(&stack, &format!("endpoints/{id}"), &cookie).await;
    let token = csrf(&page);

    for form in [String::new(), "csrf=".into(), format!("csrf={}", "0".repeat(64))] {
        let refused = post(&stack, &format!("endpoints/{id}/rotate"), &cookie, &form).await;
        assert_eq!(refused.status, 403, "{form}");
    }
    assert_eq!(stack.send("GET", &format!("/v1/endpoints/{id}/secret"), "").await.body["secret"], before);
    let rotated =
        post(&stack, &format!("endpoints/{id}/rotate"), &cookie, &format!("csrf={token}&grace=3600")).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert!(rotated.text.contains("whsec_"), "the new secret is shown once, after the rotation");
    assert_ne!(stack.send("GET", &format!("/v1/endpoints/{id}/secret"), "").await.body["secret"], before);

    let bad_url = post(&stack, "endpoints", &cookie, &format!("csrf={token}&url=ftp%3A%2F%2Fx")).await;
    assert_eq!(bad_url.status, 400, "{}", bad_url.text);
    assert!(bad_url.text.contains("aria-invalid=\"true\""), "the error is shown at its field");
}

#[tokio::test]
async fn a_view_only_session_is_refused_every_change_even_with_its_csrf_token() {
    let stack = Stack::new(&[]).await.unwrap();
    let endpoint =
        stack.send("POST", "/v1/endpoints", &json!({ "url": "https://a.example.com/h" }).to_string()).await;
    let id = endpoint.body["id"].as_str().unwrap().to_owned();
    let message = stack.send_event("a.b", json!({})).await.unwrap();
    let cookie = sign_in(&stack, &[], false).await;
    let page = get(&stack, &format!("endpoints/{id}"), &cookie).await;
    for absent in [
        "Rotate secret",
        "Reveal secret",
        "Save changes",
        "Send a test event",
        "Delete this endpoint",
        "Recover",
    ] {
        assert!(!page.text.contains(absent), "a view-only page offers {absent}");
    }
    let token = csrf(&page);
    for (path, form) in [
        (format!("endpoints/{id}/rotate"), String::new()),
        (format!("endpoints/{id}/secret"), String::new()),
        (format!("endpoints/{id}"), "url=https%3A%2F%2Fb.example.com%2Fh".into()),
        (format!("endpoints/{id}/delete"), String::new()),
        (format!("endpoints/{id}/test"), String::new()),
        (format!("endpoints/{id}/probe"), String::new()),
        (format!("endpoints/{id}/recover"), "since=3600".into()),
        (format!("messages/{message}/resend"), format!("endpoint_id={id}")),
        ("endpoints".into(), "url=https%3A%2F%2Fc.example.com%2Fh".into()),
    ] {
        let refused = post(&stack, &path, &cookie, &format!("csrf={token}&{form}")).await;
        assert_eq!(refused.status, 403, "{path}");
    }
    let unchanged = stack.send("GET", &format!("/v1/endpoints/{id}"), "").await;
    assert_eq!(unchanged.body["url"], json!("https://a.example.com/h"));
    assert_eq!(get(&stack, "endpoints/new", &cookie).await.status, 403);
}

#[tokio::test]
async fn one_tenants_session_never_shows_another_tenants_data() {
    let stack = Stack::new(&[]).await.unwrap();
    let (_, other_key) = stack.other_tenant("other").await.unwrap();
    let body = json!({ "url": "https://secret-customer.example.com/h" }).to_string();
    let theirs = stack.call("POST", "/v1/endpoints", Some(&other_key), &[], &body).await;
    let their_id = theirs.body["id"].as_str().unwrap().to_owned();
    let cookie = sign_in(&stack, &["manage_endpoints", "secrets"], false).await;
    assert_eq!(get(&stack, &format!("endpoints/{their_id}"), &cookie).await.status, 404);
    let list = get(&stack, "", &cookie).await;
    assert!(!list.text.contains("secret-customer"), "another tenant's endpoint is listed");
    let token = csrf(&list);
    let deleted =
        post(&stack, &format!("endpoints/{their_id}/delete"), &cookie, &format!("csrf={token}")).await;
    assert_eq!(deleted.status, 404);
    let still = stack.call("GET", &format!("/v1/endpoints/{their_id}"), Some(&other_key), &[], "").await;
    assert_eq!(still.status, 200);
}

#[tokio::test]
async fn a_portal_session_that_expired_gets_the_ended_page() {
    use hookline::clock::{Clock as _, SystemClock};
    use hookline::store::PortalSessionStore as _;
    let stack = Stack::new(&[]).await.unwrap();
    // The API's shortest session is a minute; this one is written through the store to end in 1.5 s.
    let now = SystemClock.now_ms();
    let (mut offered, link) =
        hookline_core::portal::PortalSession::offer(stack.tenant.id.clone(), &[], None, now).unwrap();
    offered.expires_at_ms = now + 1_500;
    stack.ingest.store().put_portal_session(&offered).await.unwrap();
    let login = stack.call("GET", &format!("/portal/login?token={}", link.expose()), None, &[], "").await;
    let cookie = login.header("set-cookie").unwrap().to_owned();
    let max_age: i64 =
        cookie.split("Max-Age=").nth(1).and_then(|rest| rest.split(';').next()).unwrap().parse().unwrap();
    assert!(max_age <= 1, "the cookie ends with the session: {cookie}");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    assert_eq!(get(&stack, "", &cookie).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1_600)).await;
    let ended = get(&stack, "", &cookie).await;
    assert_eq!(ended.status, 401);
    assert!(ended.text.contains("Your session has ended"));
}

#[tokio::test]
async fn the_portal_sets_an_endpoints_authorization_and_never_shows_the_stored_secret() {
    let stack = Stack::new(&[]).await.unwrap();
    let cookie = sign_in(&stack, &["manage_endpoints"], false).await;
    let token = csrf(&get(&stack, "endpoints/new", &cookie).await);
    let form = format!(
        "csrf={token}&url=https%3A%2F%2Fa.example.com%2Fh&signature_versions=v1&auth_type=basic&auth_username=hooks&auth_secret=pa55-word-ab12"
    );
    let created = post(&stack, "endpoints", &cookie, &form).await;
    assert_eq!(created.status, 303, "{}", created.text);
    let location = created.header("location").unwrap().split('?').next().unwrap().to_owned();
    let id = location.rsplit('/').next().unwrap().to_owned();
    let stored = stack.send("GET", &format!("/v1/endpoints/{id}"), "").await;
    assert_eq!(stored.body["auth"], json!({ "type": "basic", "username": "hooks", "hint": "…ab12" }));
    let page = get(&stack, &format!("endpoints/{id}"), &cookie).await;
    assert!(!page.text.contains("pa55-word"), "the stored password is in the page");
    assert!(page.text.contains("ending in …ab12"));
    // Saved again with the secret left empty: the stored one stays.
    let keep = format!(
        "csrf={token}&url=https%3A%2F%2Fa.example.com%2Fh&signature_versions=v1&auth_type=basic&auth_username=hooks&enabled=on"
    );
    assert_eq!(post(&stack, &format!("endpoints/{id}"), &cookie, &keep).await.status, 200);
    let kept = stack.send("GET", &format!("/v1/endpoints/{id}"), "").await;
    assert_eq!(kept.body["auth"]["hint"], json!("…ab12"));
    let missing =
        format!("csrf={token}&url=https%3A%2F%2Fb.example.com%2Fh&signature_versions=v1&auth_type=bearer");
    let refused = post(&stack, "endpoints", &cookie, &missing).await;
    assert_eq!(refused.status, 400);
    assert!(refused.text.contains("enter the token"));
}
