//! Local stand-ins for what AWS runs in production, so the whole pipeline runs on a laptop and in the
//! tests against the emulator: provisioning from the SAM template, the SQS event source mapping, and a
//! webhook receiver that verifies signatures and records what it gets.

pub mod counting_proxy;
pub mod event_source;
pub mod provision;
pub mod receiver;
