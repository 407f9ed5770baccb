//! A tenant's ingest budget is shared by every ingest instance and counted in the store, one
//! conditional write per take. An instance that is busy takes a little more than a request needs, and
//! spends what it holds without a write until the second ends.
//!
//! The bound: an instance takes ahead at most what it admitted in the previous second, and at most a
//! tenth of the limit. A tenant is never admitted over its limit; other instances may find the budget
//! short by what this one holds unused when the second ends. In the first second of traffic, and for
//! limits under 10, every request takes exactly what it needs, as before.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use hookline_core::ids::TenantId;

/// What one instance holds of one tenant's budget, in one second.
#[derive(Debug, Default, Clone, Copy)]
struct Held {
    second: i64,
    unspent: u32,
    admitted: u32,
    admitted_before: u32,
    /// A take ahead is on its way: requests meanwhile take only what they need, not ahead again.
    taking_ahead: bool,
}

impl Held {
    fn at(&mut self, second: i64) -> &mut Self {
        if self.second != second {
            let before = if self.second == second - 1 { self.admitted } else { 0 };
            *self = Self { second, admitted_before: before, ..Self::default() };
        }
        self
    }
}

/// What to do about a request for some events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// Admitted from what the instance held: no write.
    Held,
    /// Take this many (at least the events asked for) from the store.
    FromStore(u32),
}

#[derive(Debug, Default)]
pub(crate) struct RateBudget {
    held: Mutex<HashMap<TenantId, Held>>,
}

impl RateBudget {
    pub(crate) fn take(&self, tenant: &TenantId, events: u32, limit: u32, now_ms: i64) -> Take {
        let mut held = self.held();
        let entry = held.entry(tenant.clone()).or_default().at(now_ms.div_euclid(1000));
        if entry.unspent >= events {
            entry.unspent -= events;
            entry.admitted += events;
            return Take::Held;
        }
        let ask = if entry.taking_ahead { events } else { events.max(entry.admitted_before.min(limit / 10)) };
        entry.taking_ahead |= ask > events;
        Take::FromStore(ask)
    }

    /// The store gave `taken` for a request of `events`: the rest is held for this second.
    pub(crate) fn taken(&self, tenant: &TenantId, events: u32, taken: u32, now_ms: i64) {
        let mut held = self.held();
        let entry = held.entry(tenant.clone()).or_default().at(now_ms.div_euclid(1000));
        entry.admitted += events;
        entry.unspent += taken.saturating_sub(events);
        if taken > events {
            entry.taking_ahead = false;
        }
    }

    /// A take ahead was refused: the next request may try again.
    pub(crate) fn refused_ahead(&self, tenant: &TenantId, now_ms: i64) {
        let mut held = self.held();
        held.entry(tenant.clone()).or_default().at(now_ms.div_euclid(1000)).taking_ahead = false;
    }

    fn held(&self) -> MutexGuard<'_, HashMap<TenantId, Held>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    #[test]
    fn in_the_first_second_each_request_takes_exactly_what_it_needs() {
        let budget = RateBudget::default();
        for _ in 0..5 {
            assert_eq!(budget.take(&tenant(), 1, 1_000, 1_000), Take::FromStore(1));
            budget.taken(&tenant(), 1, 1, 1_000);
        }
    }

    #[test]
    fn a_busy_instance_takes_ahead_what_it_admitted_the_second_before_and_spends_it_without_writes() {
        let budget = RateBudget::default();
        for _ in 0..30 {
            let Take::FromStore(n) = budget.take(&tenant(), 1, 1_000, 1_500) else {
                panic!("nothing held yet")
            };
            budget.taken(&tenant(), 1, n, 1_500);
        }
        assert_eq!(budget.take(&tenant(), 1, 1_000, 2_000), Take::FromStore(30));
        budget.taken(&tenant(), 1, 30, 2_000);
        let from_store = (0..29).filter(|_| budget.take(&tenant(), 1, 1_000, 2_100) != Take::Held).count();
        assert_eq!(from_store, 0, "the 29 held are spent without a write");
        assert_eq!(budget.take(&tenant(), 1, 1_000, 2_200), Take::FromStore(30));
    }

    #[test]
    fn while_a_take_ahead_is_on_its_way_others_take_only_what_they_need() {
        let budget = RateBudget::default();
        budget.taken(&tenant(), 50, 50, 0);
        assert_eq!(budget.take(&tenant(), 1, 1_000, 1_000), Take::FromStore(50));
        assert_eq!(budget.take(&tenant(), 1, 1_000, 1_000), Take::FromStore(1));
        budget.refused_ahead(&tenant(), 1_000);
        assert_eq!(budget.take(&tenant(), 1, 1_000, 1_000), Take::FromStore(50));
    }

    #[test]
    fn what_is_taken_ahead_is_at_most_a_tenth_of_the_limit_and_held_only_for_its_second() {
        let budget = RateBudget::default();
        budget.taken(&tenant(), 500, 500, 0);
        assert_eq!(budget.take(&tenant(), 1, 1_000, 1_000), Take::FromStore(100));
        budget.taken(&tenant(), 1, 100, 1_000);
        assert_eq!(
            budget.take(&tenant(), 1, 1_000, 3_000),
            Take::FromStore(1),
            "two seconds on, nothing is held"
        );
        assert_eq!(
            budget.take(&tenant(), 1, 9, 3_000),
            Take::FromStore(1),
            "a limit under 10 never takes ahead"
        );
    }
}
