//! The result of a successful verification: the value and how it was verified.

use core::fmt;

use crate::algorithm::Algorithm;

/// A value whose signature checked out, with which key and algorithm verified
/// it and, for timestamped values, when it was signed.
///
/// A value is **stale** when anything other than the current key and the
/// signer's own algorithm verified it: a fallback key, or the SHA-1 signature
/// Django 3.1–3.2 still accept. A stale value should be re-signed with
/// [`Signer::resign`](crate::Signer::resign) (or
/// [`TimestampSigner::resign`](crate::TimestampSigner::resign)), which keeps
/// the original timestamp.
///
/// It borrows the signed input (`'a`) so that re-signing needs neither a copy nor
/// a second verification.
///
/// # Example
///
/// ```
/// use signring::{Algorithm, KeyRing};
///
/// let ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
/// let signed = ring.sign("hi");
/// let verified = ring.unsign(&signed)?;
/// assert_eq!(*verified.value(), "hi");
/// assert_eq!(verified.key_index(), 0);
/// assert_eq!(verified.algorithm(), Algorithm::Sha256);
/// assert_eq!(verified.timestamp(), None);
/// assert!(!verified.is_stale());
/// # Ok::<(), signring::Error>(())
/// ```
#[must_use = "a verified value should be used, and re-signed when stale"]
#[derive(Clone, PartialEq)]
pub struct Verified<'a, T> {
    value: T,
    key_index: usize,
    algorithm: Algorithm,
    timestamp: Option<i64>,
    stale: bool,
    signed_part: &'a str,
}

impl<'a, T> Verified<'a, T> {
    pub(crate) fn new(
        value: T,
        signed_part: &'a str,
        key_index: usize,
        algorithm: Algorithm,
        stale: bool,
    ) -> Self {
        Self {
            value,
            key_index,
            algorithm,
            timestamp: None,
            stale,
            signed_part,
        }
    }

    pub(crate) fn with_timestamp(mut self, timestamp: i64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// The verified value.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(*ring.unsign(&ring.sign("v"))?.value(), "v");
    /// # Ok::<(), signring::Error>(())
    /// ```
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Takes the verified value.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// let signed = ring.sign("v");
    /// let value: &str = ring.unsign(&signed)?.into_value();
    /// assert_eq!(value, "v");
    /// # Ok::<(), signring::Error>(())
    /// ```
    pub fn into_value(self) -> T {
        self.value
    }

    /// Which key verified the value: 0 for the current key, `i ≥ 1` for the
    /// `i`-th fallback, in the ring's (Django's) order.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.unsign(&ring.sign("v"))?.key_index(), 0);
    /// # Ok::<(), signring::Error>(())
    /// ```
    #[must_use]
    pub fn key_index(&self) -> usize {
        self.key_index
    }

    /// The algorithm whose signature matched.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.unsign(&ring.sign("v"))?.algorithm(), signring::Algorithm::Sha256);
    /// # Ok::<(), signring::Error>(())
    /// ```
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The Unix time (whole seconds) the value was signed at, for timestamped
    /// values.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, TimestampSigner, UnixTime};
    ///
    /// let ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// let signer = TimestampSigner::builder(&ring).build()?;
    /// let signed = signer.sign_at("v", UnixTime::from_secs_f64(1_600_000_000.7));
    /// assert_eq!(signer.unsign(&signed)?.timestamp(), Some(1_600_000_000));
    /// # Ok::<(), signring::Error>(())
    /// ```
    #[must_use]
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }

    /// Whether the value was verified by anything but the current key with the
    /// signer's algorithm, and so should be re-signed.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::KeyRing;
    ///
    /// let old = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let signed = old.sign("v");
    /// let ring = old.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// assert!(ring.unsign(&signed)?.is_stale());
    /// # Ok::<(), signring::Error>(())
    /// ```
    #[must_use]
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// Applies `f` to the value, keeping how it was verified.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// let signed = ring.sign("42");
    /// let verified = ring.unsign(&signed)?.map(|v| v.len());
    /// assert_eq!(*verified.value(), 2);
    /// # Ok::<(), signring::Error>(())
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Verified<'a, U> {
        Verified {
            value: f(self.value),
            key_index: self.key_index,
            algorithm: self.algorithm,
            timestamp: self.timestamp,
            stale: self.stale,
            signed_part: self.signed_part,
        }
    }

    /// The text the signature covers (the value, its timestamp and any payload
    /// marker), which re-signing signs again unchanged.
    pub(crate) fn signed_part(&self) -> &'a str {
        self.signed_part
    }
}

impl<T: fmt::Debug> fmt::Debug for Verified<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("value", &self.value)
            .field("key_index", &self.key_index)
            .field("algorithm", &self.algorithm)
            .field("timestamp", &self.timestamp)
            .field("stale", &self.stale)
            .finish()
    }
}
