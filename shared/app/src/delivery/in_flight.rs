//! Fairness between endpoints within one instance: a bound on deliveries in flight per endpoint keeps
//! one slow endpoint from holding a whole batch. (An endpoint's `rate_limit` is counted in the store, so
//! it holds across every delivery instance.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hookline_core::ids::EndpointId;

/// Deliveries in flight per endpoint in this instance, bounded.
#[derive(Debug, Clone)]
pub struct InFlight {
    per_endpoint: usize,
    counts: Arc<Mutex<HashMap<EndpointId, usize>>>,
}

/// A place in an endpoint's bound; given back when dropped (also when the delivery panics or is cancelled).
#[derive(Debug)]
pub struct Slot {
    endpoint: EndpointId,
    counts: Arc<Mutex<HashMap<EndpointId, usize>>>,
}

impl InFlight {
    pub fn new(per_endpoint: usize) -> Self {
        Self { per_endpoint: per_endpoint.max(1), counts: Arc::default() }
    }

    /// A slot for one delivery to `endpoint`, or `None` when its bound is reached.
    pub fn try_acquire(&self, endpoint: &EndpointId) -> Option<Slot> {
        let mut counts = lock(&self.counts);
        let count = counts.entry(endpoint.clone()).or_insert(0);
        if *count >= self.per_endpoint {
            return None;
        }
        *count += 1;
        Some(Slot { endpoint: endpoint.clone(), counts: Arc::clone(&self.counts) })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        if let Some(count) = counts.get_mut(&self.endpoint) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.endpoint);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_gets_at_most_its_bound_of_slots_and_others_are_unaffected() {
        let in_flight = InFlight::new(2);
        let (slow, other) = (EndpointId::generate(), EndpointId::generate());
        let first = in_flight.try_acquire(&slow).unwrap();
        let _second = in_flight.try_acquire(&slow).unwrap();
        assert!(in_flight.try_acquire(&slow).is_none());
        assert!(in_flight.try_acquire(&other).is_some(), "another endpoint has its own bound");
        drop(first);
        assert!(in_flight.try_acquire(&slow).is_some(), "a finished delivery gives its slot back");
    }
}
