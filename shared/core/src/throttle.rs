//! Throttling maths. A delivery over its endpoint's `rate_limit` or in-flight bound is put back on the
//! queue with a short, growing, jittered delay: it is not an attempt and never counts towards the
//! dead-letter queue.

use std::time::Duration;

use rand::{Rng, RngExt as _};

/// The first throttled retry comes after about this long; each further one doubles it.
const FIRST_THROTTLE_DELAY: Duration = Duration::from_secs(1);
/// Throttled deliveries come back at least this often, so a drained backlog resumes promptly.
const MAX_THROTTLE_DELAY: Duration = Duration::from_secs(60);

/// Why a delivery was put back instead of attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// The endpoint's deliveries per second are used up.
    RateLimit,
    /// This instance already has as many deliveries to the endpoint in flight as it allows.
    Concurrency,
}

impl Throttle {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimit => "rate_limit",
            Self::Concurrency => "concurrency",
        }
    }
}

/// How long to wait before offering a delivery that has been throttled `throttles` times before:
/// exponential from 1 s up to 60 s, with "equal jitter" (half fixed, half random) so that a backlog
/// throttled together does not come back together.
pub fn throttle_delay(throttles: u32, rng: &mut impl Rng) -> Duration {
    let ceiling = FIRST_THROTTLE_DELAY.saturating_mul(2u32.saturating_pow(throttles)).min(MAX_THROTTLE_DELAY);
    let half = ceiling / 2;
    half + half.mul_f64(rng.random_range(0.0..=1.0))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn throttle_delays_double_from_a_second_to_a_minute_with_jitter() {
        let mut rng = StdRng::seed_from_u64(3);
        for (throttles, ceiling) in [(0, 1.0), (1, 2.0), (3, 8.0), (6, 60.0), (40, 60.0)] {
            let delays: Vec<f64> =
                (0..200).map(|_| throttle_delay(throttles, &mut rng).as_secs_f64()).collect();
            assert!(delays.iter().all(|d| (ceiling / 2.0..=ceiling).contains(d)), "{throttles}: {delays:?}");
            let spread = delays.iter().copied().fold(f64::MIN, f64::max)
                - delays.iter().copied().fold(f64::MAX, f64::min);
            assert!(spread > ceiling / 4.0, "jitter spreads them: {spread}");
        }
    }
}
