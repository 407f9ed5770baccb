//! Hookline's application layer: the ports in domain words (the store, the delivery queue, the webhook
//! sender, the clock and name lookup), the API's services on [`app::App`], and delivery on
//! [`delivery::Delivery`]. Both are generic over one [`ports::Ports`] type.
//!
//! The adapters are in `hookline-aws`; the pure rules are in `hookline-core`. The in-memory fakes are in
//! [`testing`], built only for tests (the `testing` feature for other crates').

pub mod access;
pub mod app;
pub mod attempt_log;
pub mod clock;
pub mod delivery;
pub mod endpoint_secrets;
pub mod endpoints;
pub mod error;
pub mod event_types;
pub mod events;
mod idempotency;
pub mod lookup;
pub mod metrics;
pub mod oauth_tokens;
pub mod portal;
pub mod ports;
pub mod probe;
pub mod queue;
mod rate_budget;
pub mod recovery;
pub mod sender;
pub mod store;
pub mod tenants;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
