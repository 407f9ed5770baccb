//! What a received delivery task should do, decided from the ledger (the latest attempt Hookline
//! recorded for that message and endpoint), never from SQS's receive count. A receive that was not an
//! attempt (a crash or timeout mid-batch, a duplicate, a poller restart) therefore costs no attempt, a
//! delivery that already succeeded is never sent again, and a dead-lettered one goes to the DLQ.

use std::time::Duration;

use crate::model::{Attempt, DeliveryState};

/// The step a receive takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Make attempt `number` (1 for the first of a round).
    Attempt { number: u32 },
    /// The delivery is settled (succeeded or abandoned): send nothing, delete the record.
    Settled(DeliveryState),
    /// The last attempt failed on this very SQS message: hand it to redrive, which moves it to the DLQ.
    ToDeadLetters,
    /// A resend or recovery took the delivery over (it is `pending` again) while this message, which made
    /// its last attempt, was still on the queue: the new task delivers it, so this one is deleted unsent.
    Superseded,
    /// Received before its retry is due (a duplicate, or a record back after a crash): wait out the rest.
    NotDue { wait: Duration },
}

/// The step for a task received as SQS message `queue_message_id` at `now_ms`, given the latest attempt
/// recorded for its delivery.
///
/// A resend or recovery marks the delivery `pending` and starts a new round at attempt 1. A task that
/// comes back from the DLQ arrives as a new SQS message, which is how a redrive is told apart from the
/// dead-lettered message itself still on its way to the DLQ; it starts a new round too.
pub fn next_step(latest: Option<&Attempt>, queue_message_id: &str, now_ms: i64) -> Step {
    let Some(latest) = latest else { return Step::Attempt { number: 1 } };
    match latest.state {
        DeliveryState::Pending if latest.queue_message_id.as_deref() == Some(queue_message_id) => {
            Step::Superseded
        }
        DeliveryState::Pending => Step::Attempt { number: 1 },
        DeliveryState::Succeeded | DeliveryState::Abandoned => Step::Settled(latest.state),
        DeliveryState::DeadLettered if latest.queue_message_id.as_deref() == Some(queue_message_id) => {
            Step::ToDeadLetters
        }
        DeliveryState::DeadLettered => Step::Attempt { number: 1 },
        DeliveryState::Retrying => match latest.next_attempt_at_ms {
            Some(due) if due > now_ms => {
                Step::NotDue { wait: Duration::from_millis(u64::try_from(due - now_ms).unwrap_or(0)) }
            }
            _ => Step::Attempt { number: latest.number.saturating_add(1) },
        },
    }
}

/// Where the next entry of a delivery's ledger (an attempt, or a resend's mark) goes: after the
/// latest. Entries are never overwritten, so the latest one is the delivery's state, and two writers
/// that read the same latest entry cannot both append in its place.
pub fn next_entry(latest: Option<&Attempt>) -> u32 {
    latest.map_or(1, |latest| latest.ledger_seq.saturating_add(1))
}

/// Receives kept in reserve below `maxReceiveCount`: that many receives in a row may end without this
/// code running (a crash, a timeout) before a record is sent on as a new message.
pub const RESERVED_RECEIVES: u32 = 4;

/// Whether a record received for the `receive_count`-th time should go on as a new SQS message rather
/// than be offered again: SQS moves a message to the DLQ once its receives pass `max_receive_count`, and
/// [`RESERVED_RECEIVES`] are kept for crashes, so that only a delivery whose last attempt failed ever
/// gets there. The template sets `maxReceiveCount` to the schedule's attempts + 5, so a delivery that
/// crashes nowhere never needs a new message.
pub fn needs_fresh_message(receive_count: u32, max_receive_count: u32) -> bool {
    receive_count.saturating_add(RESERVED_RECEIVES + 1) > max_receive_count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AttemptId, EndpointId, MessageId, TenantId};

    fn latest(number: u32, state: DeliveryState, next_attempt_at_ms: Option<i64>) -> Attempt {
        Attempt {
            id: AttemptId::generate(),
            tenant_id: TenantId::generate(),
            message_id: MessageId::generate(),
            endpoint_id: EndpointId::generate(),
            number,
            started_at_ms: 1_000,
            latency_ms: 5,
            state,
            status_code: None,
            error_code: None,
            error_detail: None,
            response_body: None,
            next_attempt_at_ms,
            queue_message_id: Some("sqs-1".into()),
            ledger_seq: number,
        }
    }

    #[test]
    fn a_delivery_with_nothing_recorded_makes_its_first_attempt() {
        assert_eq!(next_step(None, "sqs-1", 0), Step::Attempt { number: 1 });
    }

    #[test]
    fn a_receive_after_a_crash_that_recorded_nothing_repeats_the_same_attempt_number() {
        // Attempt 2 was due; the receive that made it crashed before recording: the next is attempt 2 again.
        let retrying = latest(1, DeliveryState::Retrying, Some(5_000));
        assert_eq!(next_step(Some(&retrying), "sqs-1", 5_000), Step::Attempt { number: 2 });
        assert_eq!(next_step(Some(&retrying), "sqs-1", 9_000), Step::Attempt { number: 2 });
    }

    #[test]
    fn a_duplicate_receive_before_the_retry_is_due_waits_and_is_not_an_attempt() {
        let retrying = latest(3, DeliveryState::Retrying, Some(65_000));
        assert_eq!(
            next_step(Some(&retrying), "sqs-1", 5_000),
            Step::NotDue { wait: Duration::from_secs(60) }
        );
    }

    #[test]
    fn a_delivery_that_succeeded_or_was_abandoned_is_never_sent_again() {
        for state in [DeliveryState::Succeeded, DeliveryState::Abandoned] {
            assert_eq!(next_step(Some(&latest(2, state, None)), "sqs-1", 0), Step::Settled(state));
            assert_eq!(next_step(Some(&latest(2, state, None)), "sqs-other", 0), Step::Settled(state));
        }
    }

    #[test]
    fn the_dead_lettered_message_goes_on_to_the_dlq_and_a_redriven_copy_starts_a_new_round() {
        let dead = latest(8, DeliveryState::DeadLettered, None);
        assert_eq!(next_step(Some(&dead), "sqs-1", 0), Step::ToDeadLetters);
        assert_eq!(next_step(Some(&dead), "sqs-redriven", 0), Step::Attempt { number: 1 });
    }

    #[test]
    fn the_message_a_resend_took_over_is_dropped_unsent() {
        let pending = latest(1, DeliveryState::Pending, None);
        assert_eq!(next_step(Some(&pending), "sqs-1", 0), Step::Superseded);
    }

    #[test]
    fn a_resent_delivery_starts_a_new_round() {
        assert_eq!(
            next_step(Some(&latest(5, DeliveryState::Pending, None)), "sqs-9", 0),
            Step::Attempt { number: 1 }
        );
    }

    #[test]
    fn the_next_ledger_entry_goes_after_the_latest_and_the_first_at_one() {
        assert_eq!(next_entry(None), 1);
        assert_eq!(next_entry(Some(&latest(3, DeliveryState::Retrying, None))), 4);
        // An entry from before the ledger was ordered (0) is followed by the first ordered one.
        let mut legacy = latest(3, DeliveryState::Retrying, None);
        legacy.ledger_seq = 0;
        assert_eq!(next_entry(Some(&legacy)), 1);
    }

    #[test]
    fn a_record_goes_on_as_a_new_message_before_its_receives_run_out() {
        // maxReceiveCount 10: receives 1..=5 may be offered again; from the 6th, receives 7 to 10 are
        // the reserve.
        assert!(!needs_fresh_message(1, 10));
        assert!(!needs_fresh_message(5, 10));
        assert!(needs_fresh_message(6, 10));
        assert!(needs_fresh_message(10, 10));
        assert!(needs_fresh_message(u32::MAX, 10));
    }
}
