//! The HTTP sender port: POSTs one signed webhook and reports what came back. The reqwest adapter,
//! with timeouts, no redirects and the SSRF guard as its only resolver, is in `hookline-aws`.

use std::future::Future;

use hookline_core::delivery::{OutgoingWebhook, SendFailure, WebhookResponse};

pub trait WebhookSender: Send + Sync {
    fn send(
        &self,
        webhook: OutgoingWebhook,
    ) -> impl Future<Output = Result<WebhookResponse, SendFailure>> + Send;
}
