//! Hookline: webhook delivery on AWS Lambda. This library holds everything the two functions share;
//! the functions themselves only wire it to their Lambda event types.

pub mod api;
pub mod attempt_log;
pub mod auth;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod endpoint_rules;
pub mod endpoints;
pub mod error;
pub mod event_type;
pub mod idempotency;
pub mod ids;
pub mod ingest;
pub mod metrics;
pub mod model;
pub mod probe;
pub mod queue;
pub mod recovery;
pub mod retry;
pub mod sender;
pub mod signing;
pub mod ssrf;
pub mod store;
pub mod task;
pub mod telemetry;
pub mod tenancy;
pub mod throttle;

/// AWS SDK configuration from the standard environment (`AWS_REGION`, credentials and, locally,
/// `AWS_ENDPOINT_URL` pointing at the emulator): no code path knows whether it runs locally.
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
