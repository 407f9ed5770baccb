//! In-process queue for unit tests: records what was enqueued, every visibility change and every
//! task put back.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hookline_core::task::{Deliver, DeliveryTask};

use crate::queue::{DeliveryQueue, QueueError};

#[derive(Debug, Default)]
struct State {
    enqueued: Vec<Deliver>,
    enqueue_calls: usize,
    delays: Vec<(String, Duration)>,
    requeued: Vec<(Deliver, Duration)>,
    fail_next_enqueue: bool,
    fail_next_requeue: bool,
    latency: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryQueue(Arc<Mutex<State>>);

impl MemoryQueue {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn enqueued(&self) -> Vec<Deliver> {
        self.state().enqueued.clone()
    }

    /// How many enqueue calls were made (each is one or more SendMessageBatch requests in SQS).
    pub fn enqueue_calls(&self) -> usize {
        self.state().enqueue_calls
    }

    pub fn delays(&self) -> Vec<(String, Duration)> {
        self.state().delays.clone()
    }

    /// Tasks sent again as new messages, with their delay.
    pub fn requeued(&self) -> Vec<(Deliver, Duration)> {
        self.state().requeued.clone()
    }

    /// Makes every enqueue take this long, as a slow network would.
    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = latency;
    }

    /// Makes the next requeue fail, as an SQS outage would.
    pub fn fail_next_requeue(&self) {
        self.state().fail_next_requeue = true;
    }

    /// Makes the next enqueue fail, as an SQS outage would.
    pub fn fail_next_enqueue(&self) {
        self.state().fail_next_enqueue = true;
    }
}

impl DeliveryQueue for MemoryQueue {
    async fn enqueue(&self, tasks: &[DeliveryTask]) -> Result<(), QueueError> {
        let latency = self.state().latency;
        tokio::time::sleep(latency).await;
        let mut state = self.state();
        state.enqueue_calls += 1;
        if std::mem::take(&mut state.fail_next_enqueue) {
            return Err(QueueError::Rejected {
                failed: tasks.len(),
                total: tasks.len(),
                first_code: "ServiceUnavailable".into(),
                first_message: "injected by the test".into(),
            });
        }
        state.enqueued.extend(tasks.iter().map(DeliveryTask::deliver));
        Ok(())
    }

    async fn retry_after(&self, receipt_handle: &str, delay: Duration) -> Result<(), QueueError> {
        self.state().delays.push((receipt_handle.to_owned(), delay));
        Ok(())
    }

    async fn requeue(&self, task: &Deliver, delay: Duration) -> Result<(), QueueError> {
        let mut state = self.state();
        if std::mem::take(&mut state.fail_next_requeue) {
            return Err(QueueError::Sqs {
                operation: "SendMessage",
                source: Arc::from(Box::<dyn std::error::Error + Send + Sync>::from("injected by the test")),
            });
        }
        state.requeued.push((task.clone(), delay));
        Ok(())
    }
}
