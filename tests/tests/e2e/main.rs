//! Hookline end to end: the real handlers wired to the real AWS SDK clients against the local emulator
//! at `AWS_ENDPOINT_URL`, receivers on 127.0.0.1, and the `hookline` binary. One test binary, so the SDK
//! is linked once; a module per area. Run with `scripts/test.sh`, which starts the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test that cannot set up should fail loudly")]

mod api;
mod attempt_log;
mod cli;
mod dns_pinning;
mod endpoint_auth;
mod fairness;
mod faults;
mod filters;
mod limits;
mod pipeline;
mod platform;
mod portal;
mod probe;
mod recovery;
mod redrive;
mod store_contract;
