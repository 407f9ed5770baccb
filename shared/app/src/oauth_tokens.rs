//! OAuth2 access tokens for endpoints whose auth is a client-credentials grant: fetched through the
//! sender port (so through the SSRF guard), kept per endpoint in this instance until shortly before
//! they expire, and fetched once more when the endpoint answers 401 to a kept one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tracing::info;

use hookline_core::delivery::{OutgoingWebhook, SendFailure, WebhookResponse};
use hookline_core::endpoint_auth::{ClientCredentials, Credential, EndpointAuth, bearer};
use hookline_core::ids::EndpointId;
use hookline_core::model::{Endpoint, ErrorCode};
use hookline_core::oauth::{TokenRequest, read_token_answer};

use crate::sender::WebhookSender;

/// The tokens this instance holds, one per endpoint. A delivery waits for another's fetch for the same
/// endpoint instead of fetching too, so a cold batch asks the token endpoint once.
#[derive(Debug, Default)]
pub struct OAuthTokens {
    slots: Mutex<HashMap<EndpointId, Arc<tokio::sync::Mutex<Option<Held>>>>>,
    fetched: AtomicU64,
    reused: AtomicU64,
}

#[derive(Debug)]
struct Held {
    /// The grant the token was issued for: a changed client, secret, scope or URL fetches anew.
    grant: ClientCredentials,
    token: Credential,
    fresh_until_ms: i64,
}

/// How often a token was fetched, and how often a held one was used instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCounts {
    pub fetched: u64,
    pub reused: u64,
}

impl OAuthTokens {
    pub fn counts(&self) -> TokenCounts {
        TokenCounts {
            fetched: self.fetched.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
        }
    }

    /// Sends `webhook` with the endpoint's `Authorization`: as it is for Basic and bearer (already in its
    /// headers), with an access token for an OAuth2 grant. A token endpoint that gives no token is a
    /// failure with `E_OAUTH_TOKEN`, and nothing is POSTed.
    pub async fn send<S: WebhookSender>(
        &self,
        sender: &S,
        endpoint: &Endpoint,
        webhook: OutgoingWebhook,
        now_ms: i64,
    ) -> Result<WebhookResponse, SendFailure> {
        let Some(EndpointAuth::OAuth2ClientCredentials(grant)) = &endpoint.auth else {
            return sender.send(webhook).await;
        };
        let (token, reused) = self.token(sender, &endpoint.id, grant, now_ms).await?;
        let first = sender.send(with_token(webhook.clone(), &token)).await;
        match first {
            // A held token the receiver no longer takes (revoked, or its keys rotated): one fresh try.
            Ok(refused) if refused.status == 401 && reused => {
                self.forget(&endpoint.id, &token).await;
                let (fresh, _) = self.token(sender, &endpoint.id, grant, now_ms).await?;
                info!(endpoint_id = %endpoint.id, "a held OAuth2 token was refused; sent again with a new one");
                let mut second = sender.send(with_token(webhook, &fresh)).await;
                match &mut second {
                    Ok(response) => response.latency += refused.latency,
                    Err(failure) => failure.latency += refused.latency,
                }
                second
            }
            other => other,
        }
    }

    /// The endpoint's token, and whether it was held rather than fetched now.
    async fn token<S: WebhookSender>(
        &self,
        sender: &S,
        endpoint: &EndpointId,
        grant: &ClientCredentials,
        now_ms: i64,
    ) -> Result<(Credential, bool), SendFailure> {
        let slot = self.slot(endpoint);
        let mut held = slot.lock().await;
        if let Some(held) = held.as_ref().filter(|h| h.grant == *grant && h.fresh_until_ms > now_ms) {
            self.reused.fetch_add(1, Ordering::Relaxed);
            return Ok((held.token.clone(), true));
        }
        *held = None;
        let answer = sender.fetch_token(TokenRequest::of(grant)).await.map_err(|failure| SendFailure {
            code: ErrorCode::OAuthToken,
            detail: format!(
                "the token endpoint could not be reached ({}): {}",
                failure.code.as_str(),
                failure.detail
            ),
            latency: failure.latency,
        })?;
        let token = read_token_answer(answer.status, &answer.body).map_err(|e| SendFailure {
            code: ErrorCode::OAuthToken,
            detail: e.to_string(),
            latency: answer.latency,
        })?;
        self.fetched.fetch_add(1, Ordering::Relaxed);
        info!(endpoint_id = %endpoint, lifetime_s = token.lifetime.as_secs(), "OAuth2 token fetched");
        *held = Some(Held {
            grant: grant.clone(),
            token: token.token.clone(),
            fresh_until_ms: token.fresh_until_ms(now_ms),
        });
        Ok((token.token, false))
    }

    /// Drops the held token if it is still `token` (another delivery may have replaced it already).
    async fn forget(&self, endpoint: &EndpointId, token: &Credential) {
        let slot = self.slot(endpoint);
        let mut held = slot.lock().await;
        if held.as_ref().is_some_and(|h| h.token == *token) {
            *held = None;
        }
    }

    fn slot(&self, endpoint: &EndpointId) -> Arc<tokio::sync::Mutex<Option<Held>>> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slots.entry(endpoint.clone()).or_default())
    }
}

fn with_token(mut webhook: OutgoingWebhook, token: &Credential) -> OutgoingWebhook {
    webhook.headers.retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
    webhook.headers.push(("authorization".to_owned(), bearer(token.expose())));
    webhook
}

#[cfg(test)]
mod tests;
