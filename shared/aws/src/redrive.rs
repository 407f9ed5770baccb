//! Getting dead letters back to work. Two ways:
//! - SQS's own message move task (StartMessageMoveTask): server-side, rate-limited, the way to redrive a
//!   whole dead-letter queue in a deployment;
//! - a copy, done here: receive from the dead-letter queue, send each message to the delivery queue as it
//!   is, then delete it. It can take only one tenant's messages or a given number, and it works against
//!   any SQS-compatible endpoint (the local emulator has no move tasks).
//!
//! Either way a message is sent before it is deleted, so a crash part-way can duplicate one but never
//! lose one (and a repeated delivery carries the same `webhook-id`, which receivers deduplicate on).

use std::sync::Arc;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;

use hookline::queue::QueueError;
use hookline_core::ids::TenantId;
use hookline_core::task::DeliveryTask;

/// How long a received dead letter stays hidden while it is moved (or, another tenant's, while the copy
/// runs; it is given back at the end).
const COPY_VISIBILITY_SECS: i32 = 60;

#[derive(Debug, Clone)]
pub struct Redrive {
    client: Client,
    dead_letter_url: String,
    queue_url: String,
}

/// What a copy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyOutcome {
    /// Sent to the delivery queue and deleted from the dead-letter queue.
    pub moved: usize,
    /// Left in the dead-letter queue: another tenant's, or not a delivery task at all.
    pub skipped: usize,
}

/// A move task as SQS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveTask {
    pub handle: Option<String>,
    pub status: String,
    pub moved: i64,
    pub to_move: Option<i64>,
}

fn sqs_error<E>(operation: &'static str) -> impl FnOnce(E) -> QueueError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| QueueError::Sqs { operation, source: Arc::new(e) }
}

impl Redrive {
    pub fn new(client: Client, dead_letter_url: impl Into<String>, queue_url: impl Into<String>) -> Self {
        Self { client, dead_letter_url: dead_letter_url.into(), queue_url: queue_url.into() }
    }

    pub fn from_sdk(
        aws: &aws_config::SdkConfig,
        dead_letter_url: impl Into<String>,
        queue_url: impl Into<String>,
    ) -> Self {
        Self::new(Client::new(aws), dead_letter_url, queue_url)
    }

    /// Messages in the dead-letter queue (approximate, as SQS counts them).
    pub async fn waiting(&self) -> Result<i64, QueueError> {
        let count =
            self.attribute(&self.dead_letter_url, QueueAttributeName::ApproximateNumberOfMessages).await?;
        Ok(count.parse().unwrap_or(0))
    }

    async fn attribute(&self, url: &str, name: QueueAttributeName) -> Result<String, QueueError> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(name.clone())
            .send()
            .await
            .map_err(sqs_error("GetQueueAttributes"))?;
        Ok(output.attributes().and_then(|attributes| attributes.get(&name)).cloned().unwrap_or_default())
    }

    /// Starts SQS's move task from the dead-letter queue back to the delivery queue.
    pub async fn start_move_task(&self, max_per_second: Option<i32>) -> Result<String, QueueError> {
        let source = self.attribute(&self.dead_letter_url, QueueAttributeName::QueueArn).await?;
        let destination = self.attribute(&self.queue_url, QueueAttributeName::QueueArn).await?;
        let output = self
            .client
            .start_message_move_task()
            .source_arn(source)
            .destination_arn(destination)
            .set_max_number_of_messages_per_second(max_per_second)
            .send()
            .await
            .map_err(sqs_error("StartMessageMoveTask"))?;
        Ok(output.task_handle().unwrap_or_default().to_owned())
    }

    /// The newest move task out of the dead-letter queue, if any.
    pub async fn move_task(&self) -> Result<Option<MoveTask>, QueueError> {
        let source = self.attribute(&self.dead_letter_url, QueueAttributeName::QueueArn).await?;
        let output = self
            .client
            .list_message_move_tasks()
            .source_arn(source)
            .max_results(1)
            .send()
            .await
            .map_err(sqs_error("ListMessageMoveTasks"))?;
        Ok(output.results().first().map(|task| MoveTask {
            handle: task.task_handle().map(str::to_owned),
            status: task.status().unwrap_or("UNKNOWN").to_owned(),
            moved: task.approximate_number_of_messages_moved(),
            to_move: task.approximate_number_of_messages_to_move(),
        }))
    }

    /// Moves up to `limit` dead letters (of `tenant` only, if given) back to the delivery queue, calling
    /// `progress` after each batch. Stops when the dead-letter queue has nothing more to offer.
    pub async fn copy(
        &self,
        tenant: Option<&TenantId>,
        limit: usize,
        mut progress: impl FnMut(CopyOutcome),
    ) -> Result<CopyOutcome, QueueError> {
        let mut outcome = CopyOutcome::default();
        let mut passed_over = vec![];
        while outcome.moved < limit {
            let wanted = i32::try_from((limit - outcome.moved).min(10)).unwrap_or(10);
            let received = self
                .client
                .receive_message()
                .queue_url(&self.dead_letter_url)
                .max_number_of_messages(wanted)
                .visibility_timeout(COPY_VISIBILITY_SECS)
                .wait_time_seconds(1)
                .send()
                .await
                .map_err(sqs_error("ReceiveMessage"))?;
            let messages = received.messages();
            if messages.is_empty() {
                break;
            }
            for message in messages {
                let (Some(body), Some(receipt)) = (message.body(), message.receipt_handle()) else {
                    continue;
                };
                let task = DeliveryTask::decode(body).ok();
                let belongs = task.as_ref().is_some_and(|task| tenant.is_none_or(|t| *t == task.tenant_id));
                let (Some(task), true) = (task, belongs) else {
                    // Hidden while this copy runs, so it is not received again; given back at the end.
                    outcome.skipped += 1;
                    passed_over.push(receipt.to_owned());
                    continue;
                };
                self.client
                    .send_message()
                    .queue_url(&self.queue_url)
                    .message_body(body)
                    .message_group_id(DeliveryTask::from(task.clone()).fair_queue_key())
                    .send()
                    .await
                    .map_err(sqs_error("SendMessage"))?;
                self.client
                    .delete_message()
                    .queue_url(&self.dead_letter_url)
                    .receipt_handle(receipt)
                    .send()
                    .await
                    .map_err(sqs_error("DeleteMessage"))?;
                outcome.moved += 1;
            }
            progress(outcome);
        }
        for receipt in passed_over {
            self.client
                .change_message_visibility()
                .queue_url(&self.dead_letter_url)
                .receipt_handle(receipt)
                .visibility_timeout(0)
                .send()
                .await
                .map_err(sqs_error("ChangeMessageVisibility"))?;
        }
        Ok(outcome)
    }
}
