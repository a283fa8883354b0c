//! Time as Django sees it: Unix seconds as a float, `max_age` limits, and the
//! one clock every signer and adapter reads.

use core::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where signers and adapters read the time: key expiry (`not_after`),
/// `max_age` and timestamps all come from the one clock set in
/// [`Options::clock`](crate::Options::clock), as rustls reads its
/// `TimeProvider`.
///
/// The `*_at(now)` methods take the time as an argument instead and read no
/// clock at all.
///
/// # Example
///
/// ```
/// use signring::{FixedClock, KeyRing, Options, RingKey, Signer, UnixTime};
///
/// let old = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
/// let signed = old.sign("v");
/// let mut ring = KeyRing::new("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
/// ring.add_fallback(RingKey::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?
///     .not_after(UnixTime::from_secs_f64(1000.0)))?;
/// let at = |t| Options::new().clock(FixedClock::new(UnixTime::from_secs_f64(t)));
/// assert!(Signer::builder(&ring).options(at(999.0)).build()?.unsign(&signed).is_ok());
/// assert!(Signer::builder(&ring).options(at(1001.0)).build()?.unsign(&signed).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// The system clock ([`UnixTime::now`]): the default.
///
/// # Example
///
/// ```
/// use signring::{Clock, SystemClock};
/// assert!(SystemClock.now().as_secs_f64() > 1_600_000_000.0);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        UnixTime::now()
    }
}

/// A clock that always reads the same instant: for tests, replays and batch
/// jobs that judge every value at one time.
///
/// # Example
///
/// ```
/// use signring::{Clock, FixedClock, UnixTime};
/// let clock = FixedClock::new(UnixTime::from_secs_f64(42.0));
/// assert_eq!(clock.now(), UnixTime::from_secs_f64(42.0));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(UnixTime);

impl FixedClock {
    /// A clock stopped at `at`.
    ///
    /// # Example
    ///
    /// See [`FixedClock`].
    #[must_use]
    pub const fn new(at: UnixTime) -> Self {
        Self(at)
    }
}

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        self.0
    }
}

/// A point in time as Unix seconds with a fraction, like Python's `time.time()`.
///
/// Django compares `time.time() - timestamp > max_age` in floating point, so the
/// fraction matters at the edges; keeping the float avoids rounding through
/// `SystemTime`. Pass one to the `*_at` methods to check values against a fixed
/// clock (tests never need to sleep).
///
/// # Example
///
/// ```
/// use signring::UnixTime;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let t = UnixTime::from_secs_f64(1_600_000_000.5);
/// assert_eq!(t.as_secs_f64(), 1_600_000_000.5);
/// assert_eq!(UnixTime::from(UNIX_EPOCH + Duration::from_secs(60)).as_secs_f64(), 60.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct UnixTime(f64);

impl UnixTime {
    /// The current time from the system clock.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(signring::UnixTime::now().as_secs_f64() > 1_600_000_000.0);
    /// ```
    #[must_use]
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// Seconds since the Unix epoch; negative before it.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::UnixTime::from_secs_f64(-1.5).as_secs_f64(), -1.5);
    /// ```
    #[must_use]
    pub const fn from_secs_f64(secs: f64) -> Self {
        Self(secs)
    }

    /// Seconds since the Unix epoch.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::UnixTime::from_secs_f64(2.0).as_secs_f64(), 2.0);
    /// ```
    #[must_use]
    pub const fn as_secs_f64(self) -> f64 {
        self.0
    }

    /// The whole seconds a timestamp records, truncated toward zero as Python's
    /// `int(time.time())` does.
    pub(crate) fn whole_secs(self) -> i64 {
        // std has no float-to-integer conversion but `as`, which is defined to
        // truncate toward zero, saturate beyond i64 (no clock gets there) and
        // map NaN to 0: exactly the whole seconds wanted here.
        #[allow(clippy::cast_possible_truncation)]
        let secs = self.0.trunc() as i64;
        secs
    }
}

impl core::ops::Add<MaxAge> for UnixTime {
    type Output = UnixTime;

    /// The instant `max_age` after this one (a grace period's end).
    fn add(self, max_age: MaxAge) -> UnixTime {
        UnixTime(self.0 + max_age.0)
    }
}

impl core::ops::Add<Duration> for UnixTime {
    type Output = UnixTime;

    /// The instant `duration` after this one.
    fn add(self, duration: Duration) -> UnixTime {
        UnixTime(self.0 + duration.as_secs_f64())
    }
}

impl From<SystemTime> for UnixTime {
    fn from(time: SystemTime) -> Self {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => Self(after.as_secs_f64()),
            Err(before) => Self(-before.duration().as_secs_f64()),
        }
    }
}

/// The oldest a timestamped value may be, in seconds.
///
/// Django takes an int, a float or a `timedelta`; a negative limit expires every
/// value not from the future, so it is kept rather than refused.
///
/// # Example
///
/// ```
/// use signring::MaxAge;
/// use std::time::Duration;
///
/// assert_eq!(MaxAge::from(Duration::from_secs(3600)).as_secs_f64(), 3600.0);
/// assert_eq!(MaxAge::from_secs(-1).as_secs_f64(), -1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct MaxAge(f64);

impl MaxAge {
    /// A limit in whole seconds.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::MaxAge::from_secs(60).as_secs_f64(), 60.0);
    /// ```
    #[must_use]
    pub const fn from_secs(secs: i64) -> Self {
        // Rounds to the nearest f64 as Python's `float(int)` does; it is exact
        // up to 2^53 seconds (285 million years), and i64 has no `From` for f64.
        #[allow(clippy::cast_precision_loss)]
        let secs = secs as f64;
        Self(secs)
    }

    /// A limit in seconds with a fraction.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::MaxAge::from_secs_f64(0.5).as_secs_f64(), 0.5);
    /// ```
    #[must_use]
    pub const fn from_secs_f64(secs: f64) -> Self {
        Self(secs)
    }

    /// The limit in seconds.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::MaxAge::from_secs(1).as_secs_f64(), 1.0);
    /// ```
    #[must_use]
    pub const fn as_secs_f64(self) -> f64 {
        self.0
    }
}

impl From<Duration> for MaxAge {
    fn from(duration: Duration) -> Self {
        Self(duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_seconds_truncate_toward_zero_like_python_int() {
        assert_eq!(UnixTime::from_secs_f64(1.9).whole_secs(), 1);
        assert_eq!(UnixTime::from_secs_f64(-1.9).whole_secs(), -1);
    }

    #[test]
    fn adding_a_period_gives_a_later_instant() {
        let t = UnixTime::from_secs_f64(100.0);
        assert_eq!((t + MaxAge::from_secs(20)).as_secs_f64(), 120.0);
        assert_eq!((t + Duration::from_millis(500)).as_secs_f64(), 100.5);
    }

    #[test]
    fn times_before_the_epoch_are_negative() {
        let t = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(UnixTime::from(t).as_secs_f64(), -1.5);
    }
}
