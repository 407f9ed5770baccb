//! The sizes that bound an event, derived in one place from the limits of what carries it. An event is
//! stored once, as the message item in DynamoDB, and carried once per endpoint, as a delivery task on SQS
//! whose body is the envelope escaped as a JSON string.

/// The delivery queue's `MaximumMessageSize`, which `infra/template.yaml` sets (SQS's maximum; its
/// default is 256 KiB).
pub const SQS_MESSAGE_BYTES: usize = 1024 * 1024;
/// DynamoDB's item limit, names and values together.
pub const DYNAMODB_ITEM_BYTES: usize = 400 * 1024;
/// What a message item holds besides its body: keys, ids, the event type, timestamps, and one endpoint
/// id (about 30 bytes) per endpoint the event fans out to, so room for about 1,400 endpoints.
pub const MESSAGE_ITEM_OVERHEAD: usize = 48 * 1024;
/// What a task holds besides its escaped body: ids, the event type, counters and the JSON around them.
pub const TASK_OVERHEAD: usize = 4 * 1024;
/// The envelope around the payload (`{"type", "timestamp", "data"}`), with an event type of 256 bytes.
pub const ENVELOPE_OVERHEAD: usize = 512;

/// The largest request body (and event in a batch) a deployment may accept: 350 KiB, the most for which
/// both the message item and the task fit. `MaxBodyBytes` in the template has the same ceiling.
pub const MAX_EVENT_BYTES: usize = 350 * 1024;

/// Whether an envelope of `body_bytes`, escaped as badly as JSON allows (every byte a `"` or `\`, which
/// escaping doubles), fits in a delivery task.
pub const fn task_fits(body_bytes: usize) -> bool {
    2 * body_bytes + TASK_OVERHEAD <= SQS_MESSAGE_BYTES
}

/// Whether a message item with an envelope of `body_bytes` fits in DynamoDB.
pub const fn message_item_fits(body_bytes: usize) -> bool {
    body_bytes + MESSAGE_ITEM_OVERHEAD <= DYNAMODB_ITEM_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_event_fits_both_the_message_item_and_the_task() {
        let envelope = MAX_EVENT_BYTES + ENVELOPE_OVERHEAD;
        assert!(message_item_fits(envelope), "the message item");
        assert!(task_fits(envelope), "the delivery task");
    }

    #[test]
    fn the_bound_is_set_by_dynamodb_not_by_sqs() {
        // A few more KiB and the item no longer fits, while the task still would.
        let over = MAX_EVENT_BYTES + 8 * 1024;
        assert!(!message_item_fits(over + ENVELOPE_OVERHEAD));
        assert!(task_fits(over + ENVELOPE_OVERHEAD));
    }
}
