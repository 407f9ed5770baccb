//! A local stand-in for Lambda's SQS event source mapping: long-polls the queue, invokes the delivery
//! function with the same event JSON Lambda sends, deletes the records that succeeded and leaves the
//! reported failures to their visibility timeout (and, past maxReceiveCount, to redrive).

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName, QueueAttributeName,
};
use serde_json::{Value, json};
use tracing::{info, warn};

/// Runs the delivery function on an event and returns its answer.
pub trait Invoke: Send + Sync {
    fn invoke(&self, event: Value) -> impl Future<Output = anyhow::Result<Value>> + Send;
}

/// Invokes a function through the Lambda Invoke API that `cargo lambda watch` serves.
#[derive(Debug, Clone)]
pub struct HttpInvoke {
    client: reqwest::Client,
    url: String,
}

impl HttpInvoke {
    /// `base` is the emulator's address, e.g. `http://127.0.0.1:9000`.
    pub fn new(base: &str, function: &str) -> Self {
        let url = format!("{}/2015-03-31/functions/{function}/invocations", base.trim_end_matches('/'));
        Self { client: reqwest::Client::new(), url }
    }
}

impl Invoke for HttpInvoke {
    async fn invoke(&self, event: Value) -> anyhow::Result<Value> {
        let response = self
            .client
            .post(&self.url)
            .body(event.to_string())
            .send()
            .await
            .context("invoking the function")?;
        let status = response.status();
        let text = response.text().await.context("reading the function's answer")?;
        let body: Value =
            serde_json::from_str(&text).with_context(|| format!("the function answered {text}"))?;
        if !status.is_success() || body.get("errorType").is_some() {
            return Err(anyhow!("the function failed ({status}): {body}"));
        }
        Ok(body)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollOutcome {
    pub received: usize,
    pub deleted: usize,
    pub failed: usize,
}

#[derive(Debug, Clone)]
pub struct EventSource {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    region: String,
    pub batch_size: i32,
    pub wait_seconds: i32,
    /// How long an invocation may run before it is given up, as Lambda gives up at the function's
    /// timeout (the template's 60 s): its batch is then left to the queue's visibility timeout.
    pub invoke_timeout: Duration,
    /// A source file of the function to touch when an invocation is given up. `cargo lambda watch` does
    /// not start a function again after its process died, but it does when a watched file changes, so
    /// this is how the local run recovers by itself, as Lambda starts a fresh instance.
    pub restart_by_touching: Option<PathBuf>,
}

impl EventSource {
    pub async fn new(aws: &aws_config::SdkConfig, queue_url: &str) -> anyhow::Result<Self> {
        let sqs = aws_sdk_sqs::Client::new(aws);
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .context("reading the queue's ARN")?;
        let queue_arn = attributes
            .attributes
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .unwrap_or_default();
        let region = aws.region().map(ToString::to_string).unwrap_or_else(|| "us-east-1".into());
        Ok(Self {
            sqs,
            queue_url: queue_url.to_owned(),
            queue_arn,
            region,
            batch_size: 10,
            wait_seconds: 1,
            invoke_timeout: Duration::from_secs(60),
            restart_by_touching: None,
        })
    }

    /// One receive → invoke → delete round. Records the function reported (or all, if it failed)
    /// are left alone, exactly as Lambda leaves them.
    pub async fn poll_once(&self, function: &impl Invoke) -> anyhow::Result<PollOutcome> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(self.batch_size)
            .wait_time_seconds(self.wait_seconds)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .context("receiving from the delivery queue")?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(PollOutcome::default());
        }
        let event = json!({ "Records": messages.iter().map(|m| self.record(m)).collect::<Vec<_>>() });
        let answer = match tokio::time::timeout(self.invoke_timeout, function.invoke(event)).await {
            Ok(answer) => answer,
            Err(_) => {
                self.restart_function();
                Err(anyhow::anyhow!("the invocation ran past {:?}", self.invoke_timeout))
            }
        };
        let failed_ids: Vec<String> = match answer {
            Ok(answer) => answer["batchItemFailures"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                .collect(),
            Err(e) => {
                warn!(error = %e, "invocation failed; the whole batch will be received again");
                messages.iter().filter_map(|m| m.message_id.clone()).collect()
            }
        };
        let done: Vec<&Message> = messages
            .iter()
            .filter(|m| m.message_id.as_ref().is_some_and(|id| !failed_ids.contains(id)))
            .collect();
        self.delete(&done).await?;
        let outcome = PollOutcome {
            received: messages.len(),
            deleted: done.len(),
            failed: messages.len() - done.len(),
        };
        info!(
            received = outcome.received,
            deleted = outcome.deleted,
            failed = outcome.failed,
            "batch processed"
        );
        Ok(outcome)
    }

    /// Gives the function's source file a new modification time, which makes `cargo lambda watch` stop
    /// the function if it still runs, and start it again.
    fn restart_function(&self) {
        let Some(path) = &self.restart_by_touching else { return };
        let touched = std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|file| file.set_modified(std::time::SystemTime::now()));
        match touched {
            Ok(()) => warn!(path = %path.display(), "invocation given up; starting the function again"),
            Err(e) => warn!(path = %path.display(), error = %e, "could not touch the function's source"),
        }
    }

    /// Polls until `stop` completes.
    pub async fn run(&self, function: &impl Invoke, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                result = self.poll_once(function) => if let Err(e) = result {
                    warn!(error = %format!("{e:#}"), "poll failed; retrying shortly");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// The record as Lambda's event source mapping shapes it.
    fn record(&self, message: &Message) -> Value {
        let attributes: serde_json::Map<String, Value> = message
            .attributes
            .iter()
            .flatten()
            .map(|(name, value)| (name.as_str().to_owned(), Value::String(value.clone())))
            .collect();
        json!({
            "messageId": message.message_id,
            "receiptHandle": message.receipt_handle,
            "body": message.body,
            "attributes": attributes,
            "messageAttributes": {},
            "md5OfBody": message.md5_of_body,
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        })
    }

    async fn delete(&self, messages: &[&Message]) -> anyhow::Result<()> {
        for chunk in messages.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .sqs
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .context("deleting delivered messages")?;
            if !output.failed().is_empty() {
                warn!(
                    failed = output.failed().len(),
                    "some deletes failed; those messages will be received again"
                );
            }
        }
        Ok(())
    }
}
