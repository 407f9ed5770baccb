//! Storing and queueing a message exactly once, however many copies of the request arrive, and whenever.
//!
//! The message id derives from the producer's key, so one conditional write decides which copy stores
//! it. That copy holds a lease while it queues; others wait for its outcome. If it failed, or died
//! holding the lease, the next copy claims the message with a conditional update, so two retries
//! racing after a failure still queue the tasks once.

use std::time::Duration;

use tracing::{debug, warn};

use hookline_core::model::{Message, QueueState};
use hookline_core::task::{Deliver, DeliveryTask};

use crate::app::App;
use crate::clock::Clock as _;
use crate::error::ServiceError;
use crate::events::Accepted;
use crate::metrics::Metric;
use crate::ports::Ports;
use crate::queue::DeliveryQueue as _;
use crate::store::{Inserted, MessageStore as _};

/// How long a request may still be queueing a message: longer than the ingest function's 10 s timeout,
/// so a live request never loses its lease.
const QUEUEING_LEASE_MS: i64 = 15_000;
const POLL: Duration = Duration::from_millis(100);
/// How long a copy waits for the request holding the lease before answering 409 `request_in_progress`.
const MAX_WAIT_POLLS: u32 = 50;

impl<P: Ports> App<P> {
    /// Stores `fresh` (or finds the copy an earlier request stored) and queues one task per endpoint.
    pub(crate) async fn store_and_queue(
        &self,
        fresh: Message,
        key: Option<String>,
    ) -> Result<Accepted, ServiceError> {
        let message = match self.store.insert_message(&fresh).await? {
            Inserted::New => fresh,
            Inserted::Existing(earlier) if earlier.request_hash != fresh.request_hash => {
                return Err(ServiceError::IdConflict(key.unwrap_or_default()));
            }
            Inserted::Existing(earlier) => {
                match self.settle(*earlier, key.as_deref().unwrap_or_default()).await? {
                    Settled::Accepted(earlier) => {
                        debug!("repeat of an accepted event");
                        return Ok(Accepted {
                            id: earlier.id,
                            endpoints: earlier.endpoint_ids.len(),
                            replayed: true,
                        });
                    }
                    // The earlier copy failed or died before queueing everything: finish its work, with its fan-out.
                    Settled::Claimed(earlier) => earlier,
                }
            }
        };

        let tasks: Vec<DeliveryTask> = message
            .endpoint_ids
            .iter()
            .map(|endpoint_id| {
                DeliveryTask::from(Deliver::first(
                    message.tenant_id.clone(),
                    message.id.clone(),
                    endpoint_id.clone(),
                    message.event_type.clone(),
                    message.body.clone(),
                ))
            })
            .collect();
        let tenant = &message.tenant_id;
        if let Err(e) = self.queue.enqueue(&tasks).await {
            // Tell copies of this request not to wait for us: the producer's retry claims and queues again.
            if let Err(mark) = self.store.set_queue_state(tenant, &message.id, QueueState::Failed).await {
                warn!(message_id = %message.id, error = %mark, "could not mark the message as failed to queue");
            }
            return Err(e.into());
        }
        // Only a copy of a request with the same key ever reads the state: without a key there is none
        // to tell, and the write (a whole message item's units) is saved.
        let repeatable = key.is_some();
        if repeatable
            && let Err(e) = self.store.set_queue_state(tenant, &message.id, QueueState::Queued).await
        {
            // Everything is queued, so the event is safe; a repeat of this request after the lease would
            // queue it again (a duplicate with the same webhook-id, never a loss).
            warn!(message_id = %message.id, error = %e, "could not mark the message as queued");
        }
        // The event's span holds its ids; the request logs the acceptance at info (one line per request).
        debug!(endpoints = tasks.len(), "event queued");
        self.settings.metrics.emit(tenant, &[(Metric::EventsAccepted, 1.0)], self.clock.now_ms());
        Ok(Accepted { id: message.id, endpoints: tasks.len(), replayed: false })
    }

    /// Waits for the copy holding the lease, or claims the message when that copy failed or died.
    async fn settle(&self, mut earlier: Message, key: &str) -> Result<Settled, ServiceError> {
        let mut waited = 0;
        loop {
            let now_ms = self.clock.now_ms();
            let lease_over = now_ms - earlier.claimed_at_ms > QUEUEING_LEASE_MS;
            match earlier.queue_state {
                QueueState::Queued => return Ok(Settled::Accepted(earlier)),
                QueueState::Failed => {}
                QueueState::Queueing if lease_over => {}
                QueueState::Queueing if waited >= MAX_WAIT_POLLS => {
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
            if waited >= MAX_WAIT_POLLS {
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
