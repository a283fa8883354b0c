//! A key with its metadata, before it goes into a ring.

use super::KeyId;
use crate::clock::UnixTime;
use crate::error::ConfigResult;
use crate::key::SecretKey;
#[cfg(doc)]
use crate::{ConfigError, KeyRing};

/// A key with its metadata, to put into a [`KeyRing`].
///
/// # Example
///
/// ```
/// use signring::{KeyRing, RingKey, UnixTime};
/// let old = RingKey::new("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?
///     .id("2026-05")
///     .not_after(UnixTime::from_secs_f64(1_800_000_000.0));
/// let ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?.with_ring_key(old)?;
/// assert_eq!(ring.id(1).unwrap().as_str(), "2026-05");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RingKey {
    pub(super) key: SecretKey,
    pub(super) id: Option<KeyId>,
    pub(super) not_after: Option<UnixTime>,
}

impl RingKey {
    /// A key (text or bytes) without an id or expiry yet.
    ///
    /// # Errors
    ///
    /// [`ConfigError::EmptyKey`] if `key` is empty.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(signring::RingKey::new("").is_err());
    /// ```
    pub fn new(key: impl AsRef<[u8]>) -> ConfigResult<Self> {
        Ok(Self::from_key(SecretKey::new(key)?))
    }

    /// Wraps an existing secret key.
    ///
    /// # Example
    ///
    /// ```
    /// let key = signring::SecretKey::new("k")?;
    /// let ring_key = signring::RingKey::from_key(key).id("k");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn from_key(key: SecretKey) -> Self {
        Self {
            key,
            id: None,
            not_after: None,
        }
    }

    /// Names the key (safe to log).
    ///
    /// # Example
    ///
    /// ```
    /// let key = signring::RingKey::new("k")?.id("primary");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(KeyId::new(id));
        self
    }

    /// The instant after which the key no longer verifies (for fallbacks; on a
    /// current key it makes the ring invalid once passed).
    ///
    /// # Example
    ///
    /// ```
    /// let key = signring::RingKey::new("k")?.not_after(signring::UnixTime::from_secs_f64(2e9));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn not_after(mut self, at: UnixTime) -> Self {
        self.not_after = Some(at);
        self
    }
}
