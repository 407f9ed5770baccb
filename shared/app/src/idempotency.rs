//! Storing and queueing a message exactly once, however many copies of the request arrive, and whenever.
//!
//! The message id derives from the producer's key, so one conditional write decides which copy stores
//! it. That copy holds a lease while it queues; others wait for its outcome. If it failed, or died
//! holding the lease, the next copy claims the message with a conditional update, so two retries
//! racing after a failure still queue the tasks once.

use std::time::Duration;

use tokio::time::Instant;
use tracing::{debug, warn};

use hookline_core::model::{Message, QueueState};
use hookline_core::task::{Deliver, DeliveryTask};

use crate::app::App;
use crate::clock::Clock as _;
use crate::error::ServiceError;
use crate::events::Accepted;
use crate::metrics::Metric;
use crate::ports::Ports;
use crate::queue::{DeliveryQueue as _, QueueError};
use crate::store::{Inserted, MessageStore as _};

/// How long a request may still be queueing a message: longer than the ingest function's 10 s timeout,
/// so a live request never loses its lease.
const QUEUEING_LEASE_MS: i64 = 15_000;
const POLL: Duration = Duration::from_millis(100);
/// How long a copy waits for the request holding the lease before answering 409 `request_in_progress`.
const MAX_WAIT_POLLS: u32 = 50;

/// What storing a message found: an earlier copy already queued it, or it is this request's to queue.
pub(crate) enum Stored {
    Replayed(Accepted),
    ToQueue(ToQueue),
}

/// A stored message whose tasks this request queues.
pub(crate) struct ToQueue {
    message: Message,
    /// A copy of the request can come (the event has a key), so the outcome is written down for it.
    keyed: bool,
}

impl ToQueue {
    fn tasks(&self) -> impl Iterator<Item = DeliveryTask> + '_ {
        let message = &self.message;
        message
            .endpoint_ids
            .iter()
            .map(|endpoint_id| DeliveryTask::from(Deliver::first_of(message, endpoint_id)))
    }

    pub(crate) fn task_count(&self) -> usize {
        self.message.endpoint_ids.len()
    }

    pub(crate) fn accepted(&self) -> Accepted {
        Accepted { id: self.message.id.clone(), endpoints: self.task_count(), replayed: false }
    }
}

impl<P: Ports> App<P> {
    /// Stores `fresh` (or finds the copy an earlier request stored) and queues one task per endpoint.
    pub(crate) async fn store_and_queue(
        &self,
        fresh: Message,
        key: Option<String>,
    ) -> Result<Accepted, ServiceError> {
        match self.store_once(fresh, key, None).await? {
            Stored::Replayed(accepted) => Ok(accepted),
            Stored::ToQueue(message) => {
                self.queue_together(std::slice::from_ref(&message)).await?;
                Ok(message.accepted())
            }
        }
    }

    /// Stores `fresh` unless an earlier copy of the request did; a copy still queueing is waited for
    /// (until `deadline`, if given, else [`MAX_WAIT_POLLS`]).
    pub(crate) async fn store_once(
        &self,
        fresh: Message,
        key: Option<String>,
        deadline: Option<Instant>,
    ) -> Result<Stored, ServiceError> {
        let keyed = key.is_some();
        let message = match self.store.insert_message(&fresh).await? {
            Inserted::New => fresh,
            Inserted::Existing(earlier) if earlier.request_hash != fresh.request_hash => {
                return Err(ServiceError::IdConflict(key.unwrap_or_default()));
            }
            Inserted::Existing(earlier) => {
                match self.settle(*earlier, key.as_deref().unwrap_or_default(), deadline).await? {
                    Settled::Accepted(earlier) => {
                        debug!("repeat of an accepted event");
                        return Ok(Stored::Replayed(Accepted {
                            id: earlier.id,
                            endpoints: earlier.endpoint_ids.len(),
                            replayed: true,
                        }));
                    }
                    // The earlier copy failed or died before queueing everything: finish its work, with its fan-out.
                    Settled::Claimed(earlier) => earlier,
                }
            }
        };
        Ok(Stored::ToQueue(ToQueue { message, keyed }))
    }

    /// Queues the tasks of these messages in one enqueue (a batch's events share SendMessageBatch
    /// requests), then writes each keyed message's outcome. If SQS fails, every message here is
    /// marked failed and the failure returned: a copy of the request queues it again (a duplicate
    /// with the same webhook-id at worst, never a loss).
    pub(crate) async fn queue_together(&self, messages: &[ToQueue]) -> Result<(), QueueError> {
        let tasks: Vec<DeliveryTask> = messages.iter().flat_map(ToQueue::tasks).collect();
        if let Err(e) = self.queue.enqueue(&tasks).await {
            // Tell copies of these requests not to wait for us: the producer's retry claims and queues again.
            let marks = messages.iter().map(|queued| self.mark(queued, QueueState::Failed));
            futures::future::join_all(marks).await;
            return Err(e);
        }
        // Only a copy of a request with the same key ever reads the state: without a key there is none
        // to tell, and the write (a whole message item's units) is saved.
        let marks =
            messages.iter().filter(|queued| queued.keyed).map(|queued| self.mark(queued, QueueState::Queued));
        futures::future::join_all(marks).await;
        // Each event's span holds its ids; the request logs the acceptance at info (one line per request).
        debug!(events = messages.len(), tasks = tasks.len(), "events queued");
        if let Some(first) = messages.first() {
            let count = messages.len() as f64;
            self.settings.metrics.emit(
                &first.message.tenant_id,
                &[(Metric::EventsAccepted, count)],
                self.clock.now_ms(),
            );
        }
        Ok(())
    }

    /// Writes where queueing a message ended. A failure is logged, not returned: once queued, the event
    /// is safe, and a repeat after the lease would queue it again (a duplicate, never a loss).
    async fn mark(&self, queued: &ToQueue, state: QueueState) {
        let message = &queued.message;
        if let Err(e) = self.store.set_queue_state(message, state).await {
            warn!(message_id = %message.id, state = state.as_str(), error = %e, "could not write the message's queue state");
        }
    }

    /// Waits for the copy holding the lease, or claims the message when that copy failed or died.
    async fn settle(
        &self,
        mut earlier: Message,
        key: &str,
        deadline: Option<Instant>,
    ) -> Result<Settled, ServiceError> {
        let mut waited = 0;
        let out_of_time = |waited: u32| match deadline {
            Some(deadline) => Instant::now() + POLL >= deadline,
            None => waited >= MAX_WAIT_POLLS,
        };
        loop {
            let now_ms = self.clock.now_ms();
            let lease_over = now_ms - earlier.claimed_at_ms > QUEUEING_LEASE_MS;
            match earlier.queue_state {
                QueueState::Queued => return Ok(Settled::Accepted(earlier)),
                QueueState::Failed => {}
                QueueState::Queueing if lease_over => {}
                QueueState::Queueing if out_of_time(waited) => {
                    return Err(ServiceError::InProgress(key.to_owned()));
                }
                QueueState::Queueing => {
                    tokio::time::sleep(POLL).await;
                    waited += 1;
                    earlier = self.reload(&earlier, key).await?;
                    continue;
                }
            }
            if self.store.claim_queueing(&earlier, now_ms).await? {
                earlier.queue_state = QueueState::Queueing;
                earlier.claimed_at_ms = now_ms;
                return Ok(Settled::Claimed(earlier));
            }
            // Another copy claimed it first: wait for that one instead.
            waited += 1;
            if out_of_time(waited) {
                return Err(ServiceError::InProgress(key.to_owned()));
            }
            earlier = self.reload(&earlier, key).await?;
        }
    }

    async fn reload(&self, seen: &Message, key: &str) -> Result<Message, ServiceError> {
        self.store
            .get_message(&seen.tenant_id, &seen.id)
            .await?
            .ok_or_else(|| ServiceError::InProgress(key.to_owned()))
    }
}

enum Settled {
    Accepted(Message),
    Claimed(Message),
}
