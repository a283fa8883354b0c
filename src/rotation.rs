//! The rotation plan: how to replace the current key on a fleet without
//! refusing a single value.
//!
//! 1. **Stage** the new key on every server ([`KeyRing::stage`]). It verifies
//!    but does not sign, so nothing changes for clients yet.
//! 2. **Promote** it once every server has it ([`KeyRing::promote`]): it signs
//!    from now on, and the old key becomes a fallback until the end of the
//!    grace period. A server still on the old ring accepts the new values,
//!    because it has the key staged.
//! 3. **Retire** the old key after the grace period ([`KeyRing::retire_expired`]).
//!    The grace period must be at least the longest `max_age` in use (for
//!    sessions, `SESSION_COOKIE_AGE`): by then every value signed with the old
//!    key has expired or been re-signed.
//!
//! Promoting on one server before the others have staged the key is the
//! failure Django users meet (ticket #35400): the servers without the new key
//! refuse what the promoted one signs, and users are logged out.

use core::fmt;

use crate::clock::{MaxAge, UnixTime};
use crate::error::ConfigResult;
use crate::ring::{KeyRing, KeyRole, RingKey};

/// Where a ring stands in a rotation.
///
/// # Example
///
/// ```
/// use signring::{KeyRing, RingKey, RotationPhase, UnixTime};
/// let now = UnixTime::from_secs_f64(1_700_000_000.0);
/// let mut ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
/// assert_eq!(ring.phase(now), RotationPhase::Steady);
/// ring.stage(RingKey::new("the-next-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?)?;
/// assert_eq!(ring.phase(now), RotationPhase::Staged);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum RotationPhase {
    /// One current key, nothing staged, no fallbacks.
    Steady,
    /// A key is staged: promote it once every server has it.
    Staged,
    /// Fallbacks still verify; the last of them stops after `until` (`None`
    /// when a fallback has no `not_after`).
    Grace {
        /// When the last fallback stops verifying.
        until: Option<UnixTime>,
    },
    /// Every fallback is past its `not_after`: retire them.
    Retirable,
}

impl fmt::Display for RotationPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Steady => f.write_str("steady"),
            Self::Staged => f.write_str("staged"),
            Self::Grace { until: Some(t) } => write!(f, "grace until {}", t.as_secs_f64()),
            Self::Grace { until: None } => f.write_str("grace (no end set)"),
            Self::Retirable => f.write_str("retirable"),
        }
    }
}

impl KeyRing {
    /// Where this ring stands in a rotation at `now`.
    ///
    /// # Example
    ///
    /// See [`RotationPhase`].
    #[must_use]
    pub fn phase(&self, now: UnixTime) -> RotationPhase {
        let roles =
            || (0..self.key_count()).filter_map(|i| Some((self.role(i)?, self.not_after(i))));
        if roles().any(|(role, _)| role == KeyRole::Staged) {
            return RotationPhase::Staged;
        }
        let fallbacks: Vec<_> = roles()
            .filter(|(role, _)| *role == KeyRole::Fallback)
            .map(|(_, t)| t)
            .collect();
        if fallbacks.is_empty() {
            return RotationPhase::Steady;
        }
        if fallbacks.iter().all(|t| t.is_some_and(|t| t < now)) {
            return RotationPhase::Retirable;
        }
        let until = fallbacks.iter().try_fold(None::<UnixTime>, |latest, t| {
            let t = (*t)?;
            Some(Some(latest.map_or(t, |l| if t > l { t } else { l })))
        });
        RotationPhase::Grace {
            until: until.flatten(),
        }
    }
}

/// A rotation plan: the grace period, and the step from one phase to the next.
///
/// # Example
///
/// ```
/// use signring::{KeyRing, MaxAge, RingKey, RotationPhase, RotationPlan, UnixTime};
///
/// // Sessions live two weeks, password-reset links three days.
/// let plan = RotationPlan::for_max_ages([MaxAge::from_secs(1_209_600), MaxAge::from_secs(259_200)]);
/// assert_eq!(plan.grace().as_secs_f64(), 1_209_600.0);
///
/// let t0 = UnixTime::from_secs_f64(1_700_000_000.0);
/// let mut ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
/// plan.stage(&mut ring, RingKey::new("the-next-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?)?;
/// plan.promote(&mut ring, t0)?;
/// assert!(matches!(ring.phase(t0), RotationPhase::Grace { .. }));
/// let later = UnixTime::from_secs_f64(1_700_000_000.0 + 1_209_601.0);
/// assert_eq!(plan.retire(&mut ring, later), 1);
/// assert_eq!(ring.phase(later), RotationPhase::Steady);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RotationPlan {
    grace: MaxAge,
}

impl RotationPlan {
    /// A plan whose grace period is `grace`.
    ///
    /// # Example
    ///
    /// ```
    /// let plan = signring::RotationPlan::new(signring::MaxAge::from_secs(3600));
    /// assert_eq!(plan.grace().as_secs_f64(), 3600.0);
    /// ```
    #[must_use]
    pub fn new(grace: MaxAge) -> Self {
        Self { grace }
    }

    /// A plan whose grace period is the longest of `max_ages`: every value
    /// signed before the promotion has expired (or been re-signed) by the end.
    ///
    /// # Example
    ///
    /// See [`RotationPlan`].
    #[must_use]
    pub fn for_max_ages(max_ages: impl IntoIterator<Item = MaxAge>) -> Self {
        let longest = max_ages
            .into_iter()
            .map(MaxAge::as_secs_f64)
            .fold(0.0, f64::max);
        Self {
            grace: MaxAge::from_secs_f64(longest),
        }
    }

    /// The grace period.
    ///
    /// # Example
    ///
    /// See [`RotationPlan`].
    #[must_use]
    pub fn grace(&self) -> MaxAge {
        self.grace
    }

    /// Phase 1: stage `next` (on every server, before any promotes it).
    ///
    /// # Errors
    ///
    /// As [`KeyRing::stage`].
    ///
    /// # Example
    ///
    /// See [`RotationPlan`].
    pub fn stage(&self, ring: &mut KeyRing, next: RingKey) -> ConfigResult<()> {
        ring.stage(next)
    }

    /// Phase 2: promote the staged key; the old key verifies until
    /// `last_promotion + grace`. Pass the instant the *last* server of the
    /// fleet promotes (until then some server still signs with the old key),
    /// the same on every server.
    ///
    /// # Errors
    ///
    /// As [`KeyRing::promote`].
    ///
    /// # Example
    ///
    /// See [`RotationPlan`].
    pub fn promote(&self, ring: &mut KeyRing, now: UnixTime) -> ConfigResult<()> {
        ring.promote(UnixTime::from_secs_f64(
            now.as_secs_f64() + self.grace.as_secs_f64(),
        ))
    }

    /// Phase 3: drop the fallbacks whose grace period is over at `now`;
    /// returns how many were dropped.
    ///
    /// # Example
    ///
    /// See [`RotationPlan`].
    pub fn retire(&self, ring: &mut KeyRing, now: UnixTime) -> usize {
        ring.retire_expired(now)
    }
}
