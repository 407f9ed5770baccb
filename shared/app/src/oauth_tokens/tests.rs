use std::collections::BTreeSet;
use std::time::Duration;

use super::*;
use hookline_core::event_types::EventFilter;
use hookline_core::ids::TenantId;
use hookline_core::signing::Secret;

/// A token endpoint that issues `at-1`, `at-2`, … (or refuses), and a receiver that refuses revoked ones.
#[derive(Debug, Default)]
struct TokenServer {
    issued: Mutex<u32>,
    refuse_with: Mutex<Option<u16>>,
    unreachable: Mutex<bool>,
    revoked: Mutex<BTreeSet<String>>,
    received: Mutex<Vec<Option<String>>>,
    expires_in: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap()
}

impl WebhookSender for TokenServer {
    async fn send(&self, webhook: OutgoingWebhook) -> Result<WebhookResponse, SendFailure> {
        let auth = webhook.headers.iter().find(|(n, _)| n == "authorization").map(|(_, v)| v.clone());
        lock(&self.received).push(auth.clone());
        let revoked = auth.is_some_and(|a| lock(&self.revoked).contains(a.trim_start_matches("Bearer ")));
        let status = if revoked { 401 } else { 204 };
        Ok(WebhookResponse {
            status,
            body: String::new(),
            retry_after: None,
            latency: Duration::from_millis(5),
        })
    }

    async fn fetch_token(&self, request: TokenRequest) -> Result<WebhookResponse, SendFailure> {
        assert_eq!(request.form, "grant_type=client_credentials&scope=hooks");
        if *lock(&self.unreachable) {
            return Err(SendFailure {
                code: ErrorCode::Connect,
                detail: "refused".into(),
                latency: Duration::ZERO,
            });
        }
        let answer = |status, body: String| WebhookResponse {
            status,
            body,
            retry_after: None,
            latency: Duration::ZERO,
        };
        if let Some(status) = *lock(&self.refuse_with) {
            return Ok(answer(status, r#"{"error":"invalid_client"}"#.into()));
        }
        let mut issued = lock(&self.issued);
        *issued += 1;
        Ok(answer(
            200,
            format!(
                r#"{{"access_token":"at-{issued}","token_type":"Bearer","expires_in":{}}}"#,
                self.expires_in
            ),
        ))
    }
}

fn endpoint() -> Endpoint {
    let mut endpoint = Endpoint::new(
        TenantId::parse("acme").unwrap(),
        "https://example.com/hook".into(),
        EventFilter::everything(),
        Secret::generate(),
        0,
    );
    endpoint.auth = Some(EndpointAuth::OAuth2ClientCredentials(ClientCredentials {
        token_url: "https://auth.example.com/token".into(),
        client_id: "hookline".into(),
        client_secret: Credential::new("cs"),
        scope: Some("hooks".into()),
    }));
    endpoint
}

fn webhook() -> OutgoingWebhook {
    OutgoingWebhook { url: "https://example.com/hook".into(), headers: vec![], body: "{}".into() }
}

fn server(expires_in: u64) -> TokenServer {
    TokenServer { expires_in, ..TokenServer::default() }
}

#[tokio::test]
async fn a_token_is_fetched_once_and_used_until_shortly_before_it_expires() {
    let (server, tokens, endpoint) = (server(3600), OAuthTokens::default(), endpoint());
    for second in 0..10 {
        let answer = tokens.send(&server, &endpoint, webhook(), second * 1000).await.unwrap();
        assert_eq!(answer.status, 204);
    }
    assert_eq!(tokens.counts(), TokenCounts { fetched: 1, reused: 9 });
    // 3,600 s less the 30 s margin: at 3,570 s a new one is fetched.
    tokens.send(&server, &endpoint, webhook(), 3_569_999).await.unwrap();
    assert_eq!(tokens.counts().fetched, 1);
    tokens.send(&server, &endpoint, webhook(), 3_570_000).await.unwrap();
    assert_eq!(tokens.counts().fetched, 2);
    let received = lock(&server.received).clone();
    assert_eq!(received.first().cloned().flatten().as_deref(), Some("Bearer at-1"));
    assert_eq!(received.last().cloned().flatten().as_deref(), Some("Bearer at-2"));
}

#[tokio::test]
async fn concurrent_deliveries_to_a_cold_endpoint_fetch_one_token() {
    let (server, tokens, endpoint) = (server(3600), OAuthTokens::default(), endpoint());
    let sends = (0..8).map(|_| tokens.send(&server, &endpoint, webhook(), 0));
    for answer in futures::future::join_all(sends).await {
        assert_eq!(answer.unwrap().status, 204);
    }
    assert_eq!(tokens.counts(), TokenCounts { fetched: 1, reused: 7 });
}

#[tokio::test]
async fn when_the_endpoint_answers_401_to_a_held_token_a_new_one_is_fetched_and_sent_once() {
    let (server, tokens, endpoint) = (server(3600), OAuthTokens::default(), endpoint());
    tokens.send(&server, &endpoint, webhook(), 0).await.unwrap();
    lock(&server.revoked).insert("at-1".into());
    let answer = tokens.send(&server, &endpoint, webhook(), 1000).await.unwrap();
    assert_eq!(answer.status, 204, "sent again with the new token");
    assert_eq!(answer.latency, Duration::from_millis(10), "both sends count in the attempt's latency");
    let received = lock(&server.received).clone();
    assert_eq!(
        received.iter().flatten().map(String::as_str).collect::<Vec<_>>(),
        ["Bearer at-1", "Bearer at-1", "Bearer at-2"]
    );
    // A fresh token that is refused too is the endpoint's answer: no third fetch, no loop.
    lock(&server.revoked).insert("at-2".into());
    lock(&server.revoked).insert("at-3".into());
    let answer = tokens.send(&server, &endpoint, webhook(), 2000).await.unwrap();
    assert_eq!(answer.status, 401);
    assert_eq!(tokens.counts().fetched, 3);
    assert_eq!(lock(&server.received).len(), 5);
}

#[tokio::test]
async fn a_token_endpoint_that_refuses_or_cannot_be_reached_fails_with_its_own_code_and_posts_nothing() {
    let (server, tokens, endpoint) = (server(3600), OAuthTokens::default(), endpoint());
    *lock(&server.refuse_with) = Some(401);
    let failure = tokens.send(&server, &endpoint, webhook(), 0).await.unwrap_err();
    assert_eq!(failure.code, ErrorCode::OAuthToken);
    assert_eq!(failure.detail, "the token endpoint answered 401 (invalid_client)");
    *lock(&server.refuse_with) = None;
    *lock(&server.unreachable) = true;
    let failure = tokens.send(&server, &endpoint, webhook(), 0).await.unwrap_err();
    assert_eq!(failure.code, ErrorCode::OAuthToken);
    assert!(failure.detail.contains("E_CONNECT"), "{}", failure.detail);
    assert!(lock(&server.received).is_empty());
}

#[tokio::test]
async fn a_changed_grant_fetches_a_new_token_and_other_auth_is_sent_as_it_is() {
    let (server, tokens, mut endpoint) = (server(3600), OAuthTokens::default(), endpoint());
    tokens.send(&server, &endpoint, webhook(), 0).await.unwrap();
    if let Some(EndpointAuth::OAuth2ClientCredentials(grant)) = &mut endpoint.auth {
        grant.client_secret = Credential::new("rotated");
    }
    tokens.send(&server, &endpoint, webhook(), 1).await.unwrap();
    assert_eq!(tokens.counts(), TokenCounts { fetched: 2, reused: 0 });
    endpoint.auth = Some(EndpointAuth::Bearer { token: Credential::new("fixed") });
    let mut fixed = webhook();
    fixed.headers = endpoint.own_headers();
    tokens.send(&server, &endpoint, fixed, 2).await.unwrap();
    assert_eq!(lock(&server.received).last().cloned().flatten().as_deref(), Some("Bearer fixed"));
    assert_eq!(tokens.counts().fetched, 2);
}
