//! SQS implementation of [`DeliveryQueue`].

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use hookline::queue::{DeliveryQueue, MAX_SEND_DELAY, QueueError};
use hookline_core::retry::MAX_VISIBILITY;
use hookline_core::task::{Deliver, DeliveryTask};

/// SQS accepts at most ten entries per SendMessageBatch...
const BATCH_LIMIT: usize = 10;
/// ...and at most 1 MiB in all (as for one message).
const BATCH_BYTES: usize = hookline_core::limits::SQS_MESSAGE_BYTES;

/// One message to send: the encoded task, and its fair-queue key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outgoing {
    body: String,
    group: String,
}

impl Outgoing {
    fn of(task: &DeliveryTask) -> Self {
        Self { body: task.encode(), group: task.fair_queue_key() }
    }
}

/// Splits encoded tasks into batches SQS accepts: at most ten, and at most 1 MiB together.
fn batches(encoded: Vec<Outgoing>) -> Vec<Vec<Outgoing>> {
    let mut batches: Vec<Vec<Outgoing>> = vec![];
    let mut bytes = 0;
    for message in encoded {
        let size = message.body.len();
        let fits =
            batches.last().is_some_and(|batch| batch.len() < BATCH_LIMIT && bytes + size <= BATCH_BYTES);
        if !fits {
            batches.push(vec![]);
            bytes = 0;
        }
        bytes += size;
        if let Some(batch) = batches.last_mut() {
            batch.push(message);
        }
    }
    batches
}

#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self { client, queue_url: queue_url.into() }
    }

    pub fn from_sdk(aws: &aws_config::SdkConfig, queue_url: impl Into<String>) -> Self {
        Self::new(Client::new(aws), queue_url)
    }

    pub fn url(&self) -> &str {
        &self.queue_url
    }

    /// Sends one chunk; entries SQS refuses are sent once more (they are often throttling), then reported.
    async fn send_chunk(&self, chunk: Vec<Outgoing>) -> Result<(), QueueError> {
        let total = chunk.len();
        let mut pending: Vec<(String, Outgoing)> =
            chunk.into_iter().enumerate().map(|(i, message)| (i.to_string(), message)).collect();
        let mut last_failure = None;
        for _ in 0..2 {
            let entries = pending
                .iter()
                .map(|(id, message)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(id)
                        .message_body(&message.body)
                        .message_group_id(&message.group)
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| QueueError::Sqs { operation: "SendMessageBatch", source: Arc::new(e) })?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError::Sqs { operation: "SendMessageBatch", source: Arc::new(e) })?;
            let failed = output.failed();
            if failed.is_empty() {
                return Ok(());
            }
            last_failure =
                failed.first().map(|f| (f.code().to_owned(), f.message().unwrap_or_default().to_owned()));
            pending.retain(|(id, _)| failed.iter().any(|f| f.id() == id));
        }
        let (first_code, first_message) = last_failure.unwrap_or_default();
        Err(QueueError::Rejected { failed: pending.len(), total, first_code, first_message })
    }
}

impl DeliveryQueue for SqsQueue {
    async fn enqueue(&self, tasks: &[DeliveryTask]) -> Result<(), QueueError> {
        let encoded = tasks.iter().map(Outgoing::of).collect();
        let sends = batches(encoded).into_iter().map(|chunk| self.send_chunk(chunk));
        futures::future::try_join_all(sends).await?;
        Ok(())
    }

    async fn retry_after(&self, receipt_handle: &str, delay: Duration) -> Result<(), QueueError> {
        // Rounded up, like every delay: a part of a second must not become "visible now".
        let seconds = delay.min(MAX_VISIBILITY).as_millis().div_ceil(1000);
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(i32::try_from(seconds).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| QueueError::Sqs { operation: "ChangeMessageVisibility", source: Arc::new(e) })?;
        Ok(())
    }

    async fn requeue(&self, task: &Deliver, delay: Duration) -> Result<(), QueueError> {
        // Rounded up: SQS counts whole seconds, and a throttled delivery must not come back early.
        let seconds = delay.min(MAX_SEND_DELAY).as_millis().div_ceil(1000);
        let message = Outgoing::of(&DeliveryTask::from(task.clone()));
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(message.body)
            .message_group_id(message.group)
            .delay_seconds(i32::try_from(seconds).unwrap_or(0))
            .send()
            .await
            .map_err(|e| QueueError::Sqs { operation: "SendMessage", source: Arc::new(e) })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_at_most_ten_tasks_and_one_mebibyte() {
        let message = |size: usize| Outgoing { body: "x".repeat(size), group: "t/ep_1".into() };
        let small = |n: usize| vec![message(100); n];
        assert_eq!(batches(small(25)).iter().map(Vec::len).collect::<Vec<_>>(), vec![10, 10, 5]);
        let large = vec![message(400 * 1024); 5];
        assert_eq!(batches(large).iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2, 1]);
        assert!(batches(vec![]).is_empty());
    }
}
