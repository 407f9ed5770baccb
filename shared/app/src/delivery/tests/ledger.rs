//! Attempts counted from the ledger: receives that were not attempts, duplicates, the last attempt and
//! the receive-count ceiling.

use super::*;

#[tokio::test]
async fn receives_used_up_by_crashes_are_not_counted_as_attempts() {
    // Four receives ended without a recorded attempt (crashes, timeouts): the fifth is still attempt 1.
    let f = fixture("0s,1s,1s", vec![status(200)]).await;
    assert_eq!(f.receive(5).await, Disposition::Done);
    assert_eq!(
        f.attempts().iter().map(|a| (a.number, a.state)).collect::<Vec<_>>(),
        [(1, DeliveryState::Succeeded)]
    );
}

#[tokio::test]
async fn an_attempt_whose_outcome_was_never_recorded_is_made_again_under_the_same_number() {
    let f = fixture("0s,1s,1s", vec![status(500), status(200)]).await;
    f.receive(1).await;
    f.wait_for_retry(Duration::from_secs(1));
    // Receive 2 crashed mid-POST; receive 3 is attempt 2, not 3.
    f.receive(3).await;
    assert_eq!(f.attempts().iter().map(|a| a.number).collect::<Vec<_>>(), [1, 2]);
}

#[tokio::test]
async fn a_duplicate_receive_after_a_recorded_2xx_sends_nothing_and_deletes_the_record() {
    let f = fixture("0s,1s", vec![status(204)]).await;
    assert_eq!(f.receive(1).await, Disposition::Done);
    assert_eq!(f.receive(2).await, Disposition::Done);
    assert_eq!(f.receive_as("sqs-copy", 1).await, Disposition::Done, "nor a copy of the message");
    assert_eq!(f.deps.sender.sent().len(), 1);
    assert_eq!(f.attempts().len(), 1);
}

#[tokio::test]
async fn a_receive_before_the_retry_is_due_waits_out_the_rest_without_an_attempt() {
    let f = fixture("0s,60s", vec![status(500)]).await;
    f.receive(1).await;
    f.deps.clock.advance(Duration::from_secs(10));
    assert_eq!(f.receive(2).await, Disposition::Again);
    assert_eq!(f.deps.sender.sent().len(), 1);
    let (_, wait) = f.deps.queue.delays()[1].clone();
    assert!((Duration::from_secs(38)..=Duration::from_secs(62)).contains(&wait), "{wait:?}");
}

#[tokio::test]
async fn near_its_receive_ceiling_a_record_with_attempts_left_goes_on_as_a_new_message() {
    // Three attempts: maxReceiveCount 8. From the fourth receive, four are kept in reserve for crashes.
    let f = fixture("0s,1s,1s", vec![status(500)]).await;
    assert_eq!(f.receive(4).await, Disposition::Done, "deleted: a new message carries it on");
    let requeued = f.deps.queue.requeued();
    assert_eq!(requeued.len(), 1);
    let (again, delay) = &requeued[0];
    assert_eq!(again.message_id, DeliveryTask::decode(&f.task).unwrap().message_id);
    assert!((Duration::from_secs(1)..=Duration::from_secs(2)).contains(delay), "{delay:?}");
    assert!(f.deps.queue.delays().is_empty(), "not offered again under the old message");
}

#[tokio::test]
async fn a_redriven_copy_of_a_dead_lettered_delivery_starts_its_schedule_again() {
    let f = fixture("0s,1s", vec![status(500), status(500), status(200)]).await;
    f.receive(1).await;
    f.wait_for_retry(Duration::from_secs(1));
    f.receive(2).await;
    assert_eq!(f.attempts()[1].state, DeliveryState::DeadLettered);
    // Redrive puts the task back as another SQS message.
    assert_eq!(f.receive_as("sqs-redriven", 1).await, Disposition::Done);
    let last = f.attempts().last().cloned().unwrap();
    assert_eq!((last.number, last.state), (1, DeliveryState::Succeeded));
}

#[tokio::test]
async fn the_attempt_records_which_sqs_message_made_it() {
    let f = fixture("0s,1s", vec![status(200)]).await;
    f.receive_as("sqs-42", 1).await;
    assert_eq!(f.attempts()[0].queue_message_id.as_deref(), Some("sqs-42"));
}
