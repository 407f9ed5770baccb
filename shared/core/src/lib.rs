//! Hookline's domain, with no I/O: typed ids, event types and their filters, Standard Webhooks signing,
//! retry schedules, the versioned queue task, the model (messages, endpoints, attempts, tenants,
//! keys, bearer tokens and portal sessions), and the pure rules that decide what happens (delivery verdicts, endpoint field rules, the
//! address policy of the SSRF guard, throttle delays).
//!
//! Nothing here waits on a network, a disk or a clock: callers pass the time in. Cargo keeps it so,
//! since this crate depends on no async runtime, AWS SDK or HTTP client.

pub mod address_policy;
pub mod delivery;
pub mod endpoint_auth;
pub mod endpoint_rules;
pub mod endpoint_signing;
pub mod event_types;
pub mod ids;
pub mod limits;
pub mod model;
pub mod oauth;
pub mod payload_filter;
pub mod portal;
pub mod retry;
pub mod signing;
pub mod signing_v1a;
pub mod task;
pub mod tenancy;
pub mod throttle;
pub mod time;
pub mod tokens;
