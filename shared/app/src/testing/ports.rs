//! The in-memory ports, with the sender a test picks.

use std::fmt::Debug;
use std::marker::PhantomData;
use std::time::Duration;

use hookline_core::delivery::{OutgoingWebhook, SendFailure, WebhookResponse};
use hookline_core::model::ErrorCode;
use hookline_core::oauth::TokenRequest;

use super::{ManualClock, MemoryQueue, MemoryStore};
use crate::ports::Ports;
use crate::sender::WebhookSender;

/// In-memory store and queue, a manual clock, and `H` as the sender.
#[derive(Debug)]
pub struct MemoryPorts<H = NoSender>(PhantomData<H>);

impl<H: WebhookSender + Debug + 'static> Ports for MemoryPorts<H> {
    type Store = MemoryStore;
    type Queue = MemoryQueue;
    type Sender = H;
    type Clock = ManualClock;
}

/// A sender for tests that send nothing: every send fails as a refused connection would.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSender;

impl WebhookSender for NoSender {
    async fn send(&self, _webhook: OutgoingWebhook) -> Result<WebhookResponse, SendFailure> {
        Err(SendFailure {
            code: ErrorCode::Connect,
            detail: "this test has no sender".into(),
            latency: Duration::ZERO,
        })
    }

    async fn fetch_token(&self, _request: TokenRequest) -> Result<WebhookResponse, SendFailure> {
        no_token_endpoint()
    }
}

/// What a test sender answers a token request with when its test has no OAuth2 endpoint.
pub fn no_token_endpoint() -> Result<WebhookResponse, SendFailure> {
    Err(SendFailure {
        code: ErrorCode::Connect,
        detail: "this test has no token endpoint".into(),
        latency: Duration::ZERO,
    })
}
