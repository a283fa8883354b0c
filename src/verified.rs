//! The result of a successful verification: the value and how it was
//! verified, one record for every signer and adapter.

use core::fmt;

use crate::algorithm::Algorithm;
use crate::ring::{KeyId, KeyRole};

/// How a value was verified: the one record every signer and Django adapter
/// reports.
///
/// A value is **stale** when a fallback key verified it, or the current key
/// through a legacy algorithm or format; it should then be re-signed. Values
/// a staged key verified are never stale: they come from a server that
/// already promoted that key.
///
/// # Example
///
/// ```
/// use signring::{KeyRing, KeyRole};
///
/// let mut ring = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
/// let signed = ring.sign("v");
/// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
/// let record = ring.unsign(&signed)?.record().clone();
/// assert_eq!((record.key_index, record.role, record.stale), (1, KeyRole::Fallback, true));
/// assert_eq!(&record.key_id, ring.id(1).unwrap());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verification {
    /// The key's position in the ring: 0 current, then fallbacks (Django's
    /// numbering), then staged keys.
    pub key_index: usize,
    /// The key's id (safe to log).
    pub key_id: KeyId,
    /// The key's role.
    pub role: KeyRole,
    /// The algorithm whose signature matched.
    pub algorithm: Algorithm,
    /// The Unix time (whole seconds) the value was signed at, for timestamped
    /// values.
    pub timestamp: Option<i64>,
    /// Whether the value should be re-signed with the current key.
    pub stale: bool,
}

/// Which signer verified a value: a digest of its kind, salt and separator,
/// so that a value is only re-signed for the purpose it was verified for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Purpose(pub(crate) u64);

impl Purpose {
    pub(crate) fn of(parts: &[&[u8]]) -> Self {
        use hmac::digest::Digest;
        let mut hasher = sha2::Sha256::new();
        hasher.update(b"signring purpose");
        for part in parts {
            // Length-prefixed, so that no two lists of parts collide.
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        let digest = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        Self(u64::from_le_bytes(first))
    }
}

/// A value whose signature checked out, with its [`Verification`] record.
///
/// A value is **stale** when anything other than the current key and the
/// signer's own algorithm verified it: a fallback key, or the SHA-1 signature
/// Django 3.1–3.2 still accept. A stale value should be re-signed with
/// [`Signer::resign`](crate::Signer::resign) (or
/// [`TimestampSigner::resign`](crate::TimestampSigner::resign)) of the signer
/// that verified it, which keeps the original timestamp.
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
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a verified value should be used, and re-signed when stale"]
#[derive(Clone, PartialEq)]
pub struct Verified<'a, T> {
    value: T,
    record: Verification,
    input: &'a str,
    signed_part: &'a str,
    purpose: Purpose,
}

impl<'a, T> Verified<'a, T> {
    pub(crate) fn new(
        value: T,
        record: Verification,
        input: &'a str,
        signed_part: &'a str,
        purpose: Purpose,
    ) -> Self {
        Self {
            value,
            record,
            input,
            signed_part,
            purpose,
        }
    }

    pub(crate) fn with_timestamp(mut self, timestamp: i64) -> Self {
        self.record.timestamp = Some(timestamp);
        self
    }

    /// The verified value.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(*ring.unsign(&ring.sign("v"))?.value(), "v");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
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
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_value(self) -> T {
        self.value
    }

    /// How the value was verified.
    ///
    /// # Example
    ///
    /// See [`Verification`].
    pub fn record(&self) -> &Verification {
        &self.record
    }

    /// Which key verified the value: 0 for the current key, `i ≥ 1` for the
    /// `i`-th fallback, in the ring's (Django's) order, then staged keys.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.unsign(&ring.sign("v"))?.key_index(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn key_index(&self) -> usize {
        self.record.key_index
    }

    /// The id of the key that verified the value (safe to log).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.unsign(&ring.sign("v"))?.key_id(), ring.id(0).unwrap());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn key_id(&self) -> &KeyId {
        &self.record.key_id
    }

    /// The role of the key that verified the value.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.unsign(&ring.sign("v"))?.role(), signring::KeyRole::Current);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn role(&self) -> KeyRole {
        self.record.role
    }

    /// The algorithm whose signature matched.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.unsign(&ring.sign("v"))?.algorithm(), signring::Algorithm::Sha256);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.record.algorithm
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
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn timestamp(&self) -> Option<i64> {
        self.record.timestamp
    }

    /// Whether the value was verified by a fallback key, or by the current
    /// key through a legacy algorithm, and so should be re-signed. Values a
    /// staged key verified are never stale.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::KeyRing;
    ///
    /// let mut ring = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let signed = ring.sign("v");
    /// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// assert!(ring.unsign(&signed)?.is_stale());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_stale(&self) -> bool {
        self.record.stale
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
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Verified<'a, U> {
        Verified {
            value: f(self.value),
            record: self.record,
            input: self.input,
            signed_part: self.signed_part,
            purpose: self.purpose,
        }
    }

    /// The text the signature covers (the value, its timestamp and any payload
    /// marker), which re-signing signs again unchanged.
    pub(crate) fn signed_part(&self) -> &'a str {
        self.signed_part
    }

    /// The whole signed input, as it was verified.
    pub(crate) fn input(&self) -> &'a str {
        self.input
    }

    /// The signer that verified the value.
    pub(crate) fn purpose(&self) -> Purpose {
        self.purpose
    }
}

impl<T: fmt::Debug> fmt::Debug for Verified<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("value", &self.value)
            .field("record", &self.record)
            .finish()
    }
}
