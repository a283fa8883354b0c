//! `--max-rate`: at most so many sessions a second, on average since the
//! start.

use std::time::{Duration, Instant};

/// Sleeps so that `done / elapsed` stays at or under the rate.
#[derive(Debug)]
pub(crate) struct RateLimit {
    per_second: f64,
    start: Instant,
    done: u64,
}

impl RateLimit {
    pub(crate) fn new(per_second: f64) -> Self {
        Self {
            per_second,
            start: Instant::now(),
            done: 0,
        }
    }

    /// Records `rows` more and waits as long as they need.
    pub(crate) fn after(&mut self, rows: u64) {
        self.done += rows;
        // Row counts stay far below 2^53, where u64 to f64 is exact.
        #[allow(clippy::cast_precision_loss)]
        let done = self.done as f64;
        let due = Duration::from_secs_f64(done / self.per_second);
        if let Some(wait) = due.checked_sub(self.start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_to_the_rate() {
        let mut rate = RateLimit::new(1000.0);
        let start = Instant::now();
        rate.after(50);
        rate.after(50);
        assert!(start.elapsed() >= Duration::from_millis(99));
    }
}
