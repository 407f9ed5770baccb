//! The delivery function's handler: decodes each SQS record on its own, delivers the batch
//! concurrently (bounded), and reports the records to try again as partial batch failures.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt as _;
use lambda_runtime::LambdaEvent;
use tracing::warn;

use hookline::delivery::{Delivery, Disposition, ReceivedTask};
use hookline::ports::Ports;

pub async fn handle<P: Ports>(
    delivery: &Delivery<P>,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    // Records are moved into their futures: borrowed ones trip the compiler's Send inference.
    let outcomes: Vec<(SqsMessage, Disposition)> =
        futures::stream::iter(event.payload.records.into_iter().map(|record| process(delivery, record)))
            .buffer_unordered(delivery.settings().concurrency)
            .collect()
            .await;
    // One metrics document per tenant and invocation, written before Lambda may freeze the instance.
    delivery.settings().metrics.flush();
    let failed: Vec<BatchItemFailure> = outcomes
        .into_iter()
        .filter(|(_, disposition)| *disposition == Disposition::Again)
        .map(|(record, _)| failure(record.message_id.unwrap_or_default()))
        .collect();
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed;
    Ok(response)
}

async fn process<P: Ports>(delivery: &Delivery<P>, record: SqsMessage) -> (SqsMessage, Disposition) {
    let (Some(body), Some(receipt_handle), Some(queue_message_id)) =
        (record.body.as_deref(), record.receipt_handle.as_deref(), record.message_id.as_deref())
    else {
        warn!(message_id = ?record.message_id, "SQS record without a body, receipt handle or message id");
        return (record, Disposition::Again);
    };
    let receive_count =
        record.attributes.get("ApproximateReceiveCount").and_then(|count| count.parse().ok()).unwrap_or(1);
    let disposition =
        delivery.deliver(ReceivedTask { body, receipt_handle, queue_message_id, receive_count }).await;
    (record, disposition)
}

fn failure(message_id: String) -> BatchItemFailure {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = message_id;
    failure
}

#[cfg(test)]
mod tests;
