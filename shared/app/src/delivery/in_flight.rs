//! Fairness between endpoints within one instance: a bound on deliveries in flight per endpoint keeps
//! one slow endpoint from holding a whole batch. (An endpoint's `rate_limit` is counted in the store, so
//! it holds across every delivery instance.)
//!
//! A delivery over the bound waits a moment for a slot before it is put back as a new message: a batch
//! of ten to one fast endpoint then goes out in one invocation, instead of six of them paying a
//! SendMessage, a receive and a ledger read again. Only an endpoint slower than the wait has its rest
//! put back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use hookline_core::ids::EndpointId;

/// How long a delivery waits for a slot of its endpoint before it is put back.
pub const SLOT_WAIT: Duration = Duration::from_secs(1);

type Slots = Arc<Mutex<HashMap<EndpointId, Arc<Semaphore>>>>;

/// Deliveries in flight per endpoint in this instance, bounded.
#[derive(Debug, Clone)]
pub struct InFlight {
    per_endpoint: usize,
    slots: Slots,
}

/// A place in an endpoint's bound; given back when dropped (also when the delivery panics or is cancelled).
#[derive(Debug)]
pub struct Slot {
    endpoint: EndpointId,
    permit: Option<OwnedSemaphorePermit>,
    slots: Slots,
}

impl InFlight {
    pub fn new(per_endpoint: usize) -> Self {
        Self { per_endpoint: per_endpoint.max(1), slots: Arc::default() }
    }

    /// A slot for one delivery to `endpoint`, waiting at most `wait` for one to be given back; `None`
    /// when none was.
    pub async fn acquire(&self, endpoint: &EndpointId, wait: Duration) -> Option<Slot> {
        let semaphore = {
            let mut slots = lock(&self.slots);
            Arc::clone(
                slots.entry(endpoint.clone()).or_insert_with(|| Arc::new(Semaphore::new(self.per_endpoint))),
            )
        };
        let permit = match Arc::clone(&semaphore).try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => tokio::time::timeout(wait, semaphore.acquire_owned()).await.ok().and_then(Result::ok),
        };
        let slot = Slot { endpoint: endpoint.clone(), permit, slots: Arc::clone(&self.slots) };
        if slot.permit.is_some() { Some(slot) } else { None }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.permit.take();
        // The last one out removes the endpoint's entry, so a long-lived instance stays small. Every
        // holder or waiter took its clone of the semaphore under this lock, so none is left behind.
        let mut slots = lock(&self.slots);
        if slots.get(&self.endpoint).is_some_and(|semaphore| Arc::strong_count(semaphore) == 1) {
            slots.remove(&self.endpoint);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_WAIT: Duration = Duration::ZERO;

    #[tokio::test]
    async fn an_endpoint_gets_at_most_its_bound_of_slots_and_others_are_unaffected() {
        let in_flight = InFlight::new(2);
        let (slow, other) = (EndpointId::generate(), EndpointId::generate());
        let first = in_flight.acquire(&slow, NO_WAIT).await.unwrap();
        let _second = in_flight.acquire(&slow, NO_WAIT).await.unwrap();
        assert!(in_flight.acquire(&slow, NO_WAIT).await.is_none());
        assert!(in_flight.acquire(&other, NO_WAIT).await.is_some(), "another endpoint has its own bound");
        drop(first);
        assert!(in_flight.acquire(&slow, NO_WAIT).await.is_some(), "a finished delivery gives its slot back");
    }

    #[tokio::test(start_paused = true)]
    async fn a_delivery_over_the_bound_gets_the_slot_given_back_within_its_wait() {
        let in_flight = InFlight::new(1);
        let endpoint = EndpointId::generate();
        let held = in_flight.acquire(&endpoint, NO_WAIT).await.unwrap();
        let release = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(held);
        };
        let (waited, ()) = tokio::join!(in_flight.acquire(&endpoint, Duration::from_secs(1)), release);
        assert!(waited.is_some(), "the slot given back after 300 ms goes to the one waiting");
    }

    #[tokio::test(start_paused = true)]
    async fn a_delivery_over_the_bound_gives_up_after_its_wait() {
        let in_flight = InFlight::new(1);
        let endpoint = EndpointId::generate();
        let _held = in_flight.acquire(&endpoint, NO_WAIT).await.unwrap();
        let started = tokio::time::Instant::now();
        assert!(in_flight.acquire(&endpoint, Duration::from_secs(1)).await.is_none());
        assert_eq!(started.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn an_endpoint_with_nothing_in_flight_leaves_no_entry_behind() {
        let in_flight = InFlight::new(2);
        let endpoint = EndpointId::generate();
        let slot = in_flight.acquire(&endpoint, NO_WAIT).await.unwrap();
        assert!(in_flight.acquire(&EndpointId::generate(), NO_WAIT).await.is_some());
        drop(slot);
        assert!(lock(&in_flight.slots).is_empty());
    }
}
