//! In-memory stand-ins for the ports, for unit tests of the services and for the store contract suite.
//! Built only for this crate's tests and with the `testing` feature: never part of a deployed function.
//!
//! [`MemoryStore`] answers as the DynamoDB store does (same conditions, page order and cursors), which the
//! contract suite (`tests/tests/e2e/store_contract`) checks by running the same cases against both.

mod clock;
mod lookup;
mod metrics;
mod ports;
mod queue;
mod settings;
mod store;

pub use clock::ManualClock;
pub use lookup::ScriptedLookup;
pub use metrics::RecordedMetrics;
pub use ports::{MemoryPorts, NoSender, no_token_endpoint};
pub use queue::MemoryQueue;
pub use settings::{PUBLIC_IP, app_settings, memory_app, public_urls};
pub use store::MemoryStore;
