//! Observing verifications: which key verified each value, so an operator sees
//! when a fallback stops being used and can be retired.

use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::ring::{KeyId, KeyRing, KeyRole};

/// How a verification ended.
///
/// # Example
///
/// ```
/// assert_eq!(signring::Outcome::Fallback.as_str(), "fallback");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// The current key verified it.
    Current,
    /// A fallback key verified it (the value is stale).
    Fallback,
    /// A staged key verified it.
    Staged,
    /// Django 3.x's legacy SHA-1 signature verified it (stale).
    Legacy,
    /// Nothing verified it (bad signature, malformed input, expired key).
    Failed,
}

impl Outcome {
    /// `"current"`, `"fallback"`, `"staged"`, `"legacy"` or `"failed"`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::Outcome::Failed.as_str(), "failed");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Fallback => "fallback",
            Self::Staged => "staged",
            Self::Legacy => "legacy",
            Self::Failed => "failed",
        }
    }

    pub(crate) fn of_role(role: KeyRole) -> Self {
        match role {
            KeyRole::Current => Self::Current,
            KeyRole::Fallback => Self::Fallback,
            KeyRole::Staged => Self::Staged,
        }
    }
}

/// Receives one call per verification: the outcome and the index of the key
/// that verified (in [`KeyRing::keys`] order). It carries no value, signature
/// or key, so implementations may log it freely; keep it cheap, it runs on
/// every request.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use signring::{KeyRing, Outcome, Signer, VerifyObserver};
///
/// #[derive(Debug, Default)]
/// struct Stale(std::sync::atomic::AtomicU64);
/// impl VerifyObserver for Stale {
///     fn observe(&self, outcome: Outcome, _key_index: Option<usize>) {
///         if outcome == Outcome::Fallback {
///             self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         }
///     }
/// }
///
/// let old = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
/// let value = old.sign("v");
/// let mut ring = old.clone();
/// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
/// let stale = Arc::new(Stale::default());
/// let signer = Signer::builder(&ring).observer(stale.clone()).build()?;
/// let _ = signer.unsign(&value)?;
/// assert_eq!(stale.0.load(std::sync::atomic::Ordering::Relaxed), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait VerifyObserver: Send + Sync + fmt::Debug {
    /// Called after each verification.
    fn observe(&self, outcome: Outcome, key_index: Option<usize>);
}

/// Counters per key and outcome, cheap enough to leave on (one relaxed atomic
/// increment per verification). Share one between signers built from the
/// same ring.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use signring::{KeyRing, Signer, VerifyCounters};
///
/// let old = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
/// let value = old.sign("v");
/// let mut ring = old.clone();
/// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
/// let counters = Arc::new(VerifyCounters::new(&ring));
/// let signer = Signer::builder(&ring).observer(counters.clone()).build()?;
/// let _ = signer.unsign(&value)?;
/// let _ = signer.unsign("forged:AAAA");
/// let report = counters.report();
/// assert_eq!(report.keys[1].verified, 1);
/// assert_eq!(report.failed, 1);
/// // Safe to log: ids and counts only.
/// println!("{report}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct VerifyCounters {
    keys: Box<[(KeyId, KeyRole, AtomicU64)]>,
    legacy: AtomicU64,
    failed: AtomicU64,
}

/// A snapshot of [`VerifyCounters`].
///
/// # Example
///
/// See [`VerifyCounters`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CountReport {
    /// One entry per key, in ring order.
    pub keys: Vec<KeyCount>,
    /// Values verified by the legacy SHA-1 path.
    pub legacy: u64,
    /// Values nothing verified.
    pub failed: u64,
}

/// How many values one key verified.
///
/// # Example
///
/// See [`VerifyCounters`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyCount {
    /// The key's id.
    pub id: KeyId,
    /// The key's role when the counters were made.
    pub role: KeyRole,
    /// Values it verified.
    pub verified: u64,
}

impl VerifyCounters {
    /// Zeroed counters for every key of `ring`.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// let counters = signring::VerifyCounters::new(&ring);
    /// assert_eq!(counters.report().keys.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(ring: &KeyRing) -> Self {
        let keys = (0..ring.key_count())
            .filter_map(|i| Some((ring.id(i)?.clone(), ring.role(i)?, AtomicU64::new(0))))
            .collect();
        Self {
            keys,
            legacy: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    /// The counts so far.
    ///
    /// # Example
    ///
    /// See [`VerifyCounters`].
    #[must_use]
    pub fn report(&self) -> CountReport {
        CountReport {
            keys: self
                .keys
                .iter()
                .map(|(id, role, n)| KeyCount {
                    id: id.clone(),
                    role: *role,
                    verified: n.load(Ordering::Relaxed),
                })
                .collect(),
            legacy: self.legacy.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

impl VerifyObserver for VerifyCounters {
    fn observe(&self, outcome: Outcome, key_index: Option<usize>) {
        let counter = match (outcome, key_index) {
            (Outcome::Legacy, _) => &self.legacy,
            (Outcome::Failed, _) | (_, None) => &self.failed,
            (_, Some(index)) => match self.keys.get(index) {
                Some((_, _, n)) => n,
                None => &self.failed,
            },
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl fmt::Display for CountReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for key in &self.keys {
            write!(f, "{}({})={} ", key.id, key.role.as_str(), key.verified)?;
        }
        write!(f, "legacy={} failed={}", self.legacy, self.failed)
    }
}
