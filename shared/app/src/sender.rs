//! The HTTP sender port: POSTs one signed webhook and reports what came back, and asks an OAuth2 token
//! endpoint for a token. The reqwest adapter, with timeouts, no redirects and the SSRF guard as its
//! only resolver for both, is in `hookline-aws`.

use std::future::Future;

use hookline_core::delivery::{OutgoingWebhook, SendFailure, WebhookResponse};
use hookline_core::oauth::TokenRequest;

pub trait WebhookSender: Send + Sync {
    fn send(
        &self,
        webhook: OutgoingWebhook,
    ) -> impl Future<Output = Result<WebhookResponse, SendFailure>> + Send;

    /// POSTs a token request and reports the token endpoint's answer, whatever its status.
    fn fetch_token(
        &self,
        request: TokenRequest,
    ) -> impl Future<Output = Result<WebhookResponse, SendFailure>> + Send;
}
