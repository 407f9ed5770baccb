//! SQS implementation of [`DeliveryQueue`].

use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use super::{DeliveryQueue, MAX_SEND_DELAY, QueueError};
use crate::retry::MAX_VISIBILITY;
use crate::task::{Deliver, DeliveryTask};

/// SQS accepts at most ten entries per SendMessageBatch.
const BATCH_LIMIT: usize = 10;

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
    async fn send_chunk(&self, chunk: &[DeliveryTask]) -> Result<(), QueueError> {
        let mut pending: Vec<(String, String)> =
            chunk.iter().enumerate().map(|(i, task)| (i.to_string(), task.encode())).collect();
        let mut last_failure = None;
        for _ in 0..2 {
            let entries = pending
                .iter()
                .map(|(id, body)| SendMessageBatchRequestEntry::builder().id(id).message_body(body).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| QueueError::Sqs { operation: "SendMessageBatch", source: Box::new(e) })?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError::Sqs { operation: "SendMessageBatch", source: Box::new(e) })?;
            let failed = output.failed();
            if failed.is_empty() {
                return Ok(());
            }
            last_failure =
                failed.first().map(|f| (f.code().to_owned(), f.message().unwrap_or_default().to_owned()));
            pending.retain(|(id, _)| failed.iter().any(|f| f.id() == id));
        }
        let (first_code, first_message) = last_failure.unwrap_or_default();
        Err(QueueError::Rejected { failed: pending.len(), total: chunk.len(), first_code, first_message })
    }
}

impl DeliveryQueue for SqsQueue {
    async fn enqueue(&self, tasks: &[DeliveryTask]) -> Result<(), QueueError> {
        let sends = tasks.chunks(BATCH_LIMIT).map(|chunk| self.send_chunk(chunk));
        futures::future::try_join_all(sends).await?;
        Ok(())
    }

    async fn retry_after(&self, receipt_handle: &str, delay: Duration) -> Result<(), QueueError> {
        let seconds = delay.min(MAX_VISIBILITY).as_secs();
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(i32::try_from(seconds).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| QueueError::Sqs { operation: "ChangeMessageVisibility", source: Box::new(e) })?;
        Ok(())
    }

    async fn requeue(&self, task: &Deliver, delay: Duration) -> Result<(), QueueError> {
        // Rounded up: SQS counts whole seconds, and a throttled delivery must not come back early.
        let seconds = delay.min(MAX_SEND_DELAY).as_millis().div_ceil(1000);
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(DeliveryTask::from(task.clone()).encode())
            .delay_seconds(i32::try_from(seconds).unwrap_or(0))
            .send()
            .await
            .map_err(|e| QueueError::Sqs { operation: "SendMessage", source: Box::new(e) })?;
        Ok(())
    }
}
