//! The delivery queue port: enqueue tasks at ingest, push a failed one's next offer out by its retry
//! delay, put a throttled one back as a new message. SQS (in `hookline-aws`) is the implementation the
//! design is built on, and its limits show here; [`crate::testing::MemoryQueue`] is the in-memory one.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hookline_core::task::{Deliver, DeliveryTask};

/// SQS delays a new message by at most 15 minutes.
pub const MAX_SEND_DELAY: Duration = Duration::from_secs(15 * 60);

/// Cloneable, so that each event of a batch whose tasks went in one failed request gets the failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum QueueError {
    #[error("SQS {operation} failed")]
    Sqs {
        operation: &'static str,
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
    #[error("SQS refused {failed} of {total} delivery tasks (first: {first_code}: {first_message})")]
    Rejected { failed: usize, total: usize, first_code: String, first_message: String },
}

pub trait DeliveryQueue: Send + Sync {
    /// Enqueues every task or fails: callers answer 202 only after this returns `Ok`.
    fn enqueue(&self, tasks: &[DeliveryTask]) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Makes a received message invisible for `delay`, so its next receive is the next attempt.
    fn retry_after(
        &self,
        receipt_handle: &str,
        delay: Duration,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Sends `task` again as a new message, offered after `delay` (at most [`MAX_SEND_DELAY`]). Used for
    /// throttled deliveries: a new message starts a new receive count, so waiting does not use up the
    /// receives that SQS redrive counts towards the dead-letter queue.
    fn requeue(&self, task: &Deliver, delay: Duration)
    -> impl Future<Output = Result<(), QueueError>> + Send;
}
