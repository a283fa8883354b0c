//! Secret keys and the key ring: one current key that signs, fallbacks that only
//! verify.

use core::fmt;
use std::sync::OnceLock;

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::error::{ConfigError, Error, Result};
use crate::signer::Signer;
use crate::verified::Verified;

/// A secret key: text or bytes, as Django's `SECRET_KEY` may be either.
///
/// Text is used as its UTF-8 bytes, exactly as Django's `force_bytes` does. The
/// bytes are wiped when the key is dropped, never appear in `Debug` output, and
/// equality is constant-time.
///
/// # Example
///
/// ```
/// use signring::SecretKey;
///
/// let key = SecretKey::new("a-secret-key-of-at-least-fifty-characters-0123456789")?;
/// assert_eq!(format!("{key:?}"), "SecretKey(..)");
/// assert_eq!(key, SecretKey::new(b"a-secret-key-of-at-least-fifty-characters-0123456789")?);
/// # Ok::<(), signring::Error>(())
/// ```
#[derive(Clone)]
pub struct SecretKey {
    bytes: Box<[u8]>,
}

impl SecretKey {
    /// Copies `key` (text or bytes) into a new secret key.
    ///
    /// # Errors
    ///
    /// [`ConfigError::EmptyKey`] if `key` is empty: Django refuses an empty
    /// `SECRET_KEY`, and an empty key would make signatures guessable.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{ConfigError, Error, SecretKey};
    ///
    /// assert!(SecretKey::new([0xffu8, 0x00, 0x10]).is_ok(), "any bytes will do");
    /// assert_eq!(SecretKey::new("").unwrap_err(), Error::Config(ConfigError::EmptyKey));
    /// ```
    pub fn new(key: impl AsRef<[u8]>) -> Result<Self> {
        Self::from_vec(key.as_ref().to_vec())
    }

    /// Takes ownership of `key`, without copying it when it has no spare
    /// capacity (otherwise it is copied and the original wiped).
    ///
    /// # Errors
    ///
    /// [`ConfigError::EmptyKey`] if `key` is empty.
    ///
    /// # Example
    ///
    /// ```
    /// let key = signring::SecretKey::from_vec(b"a-secret-key-of-at-least-fifty-characters-0123456789".to_vec())?;
    /// assert_eq!(key.len(), 52);
    /// # Ok::<(), signring::Error>(())
    /// ```
    pub fn from_vec(mut key: Vec<u8>) -> Result<Self> {
        if key.is_empty() {
            return Err(Error::Config(ConfigError::EmptyKey));
        }
        if key.capacity() == key.len() {
            return Ok(Self {
                bytes: key.into_boxed_slice(),
            });
        }
        // Shrinking could move the bytes and free the old block unwiped: copy
        // instead, and wipe the original.
        let bytes = Box::from(key.as_slice());
        key.zeroize();
        Ok(Self { bytes })
    }

    /// The key's length in bytes (never zero).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::SecretKey::new("é")?.len(), 2);
    /// # Ok::<(), signring::Error>(())
    /// ```
    #[must_use]
    #[allow(clippy::len_without_is_empty)] // a key is never empty
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes.ct_eq(&other.bytes).into()
    }
}

impl Eq for SecretKey {}

/// A key ring: Django's `SECRET_KEY` plus `SECRET_KEY_FALLBACKS`.
///
/// The current key is required, so an empty ring cannot exist, and it is the only
/// key anything is ever signed with. Fallbacks only verify; a value they verify is
/// reported [stale](Verified::is_stale) so the caller can re-sign it.
///
/// `sign` and `unsign` on the ring use Django's default `Signer` (salt
/// `django.core.signing.Signer`, separator `:`, SHA-256); build a
/// [`Signer`] or [`TimestampSigner`](crate::TimestampSigner) for anything else.
///
/// # Example
///
/// ```
/// use signring::KeyRing;
///
/// let old = KeyRing::new("the-old-key-that-signed-last-months-values-0123456789")?;
/// let signed = old.sign("hello");
///
/// let ring = old.rotate("the-new-key-that-signs-from-now-on-0123456789abcdef")?;
/// let verified = ring.unsign(&signed)?;
/// assert_eq!(*verified.value(), "hello");
/// assert_eq!(verified.key_index(), 1);
/// assert!(verified.is_stale());
/// # Ok::<(), signring::Error>(())
/// ```
pub struct KeyRing {
    current: SecretKey,
    fallbacks: Vec<SecretKey>,
    default_signer: OnceLock<Signer>,
}

impl KeyRing {
    /// A ring holding only `current`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::EmptyKey`] if `current` is empty.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("a-secret-key-of-at-least-fifty-characters-0123456789")?;
    /// assert!(ring.fallbacks().is_empty());
    /// # Ok::<(), signring::Error>(())
    /// ```
    pub fn new(current: impl AsRef<[u8]>) -> Result<Self> {
        Ok(Self::from_key(SecretKey::new(current)?))
    }

    /// A ring holding only `current`.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, SecretKey};
    ///
    /// let ring = KeyRing::from_key(SecretKey::new("a-secret-key-of-at-least-fifty-characters-0123456789")?);
    /// assert_eq!(ring.key_count(), 1);
    /// # Ok::<(), signring::Error>(())
    /// ```
    #[must_use]
    pub fn from_key(current: SecretKey) -> Self {
        Self {
            current,
            fallbacks: Vec::new(),
            default_signer: OnceLock::new(),
        }
    }

    /// Adds a fallback after the existing ones (Django tries them in list order).
    ///
    /// # Errors
    ///
    /// [`ConfigError::EmptyKey`] if `key` is empty.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?
    ///     .with_fallback("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.fallbacks().len(), 1);
    /// # Ok::<(), signring::Error>(())
    /// ```
    pub fn with_fallback(self, key: impl AsRef<[u8]>) -> Result<Self> {
        Ok(self.with_fallback_key(SecretKey::new(key)?))
    }

    /// Adds an already built fallback key after the existing ones.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, SecretKey};
    ///
    /// let old = SecretKey::new("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// let ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?.with_fallback_key(old);
    /// assert_eq!(ring.key_count(), 2);
    /// # Ok::<(), signring::Error>(())
    /// ```
    #[must_use]
    pub fn with_fallback_key(mut self, key: SecretKey) -> Self {
        self.fallbacks.push(key);
        self.default_signer = OnceLock::new();
        self
    }

    /// Starts a rotation: `new_current` signs from now on and the old current key
    /// becomes the first fallback, so everything it signed still verifies (stale).
    ///
    /// # Errors
    ///
    /// [`ConfigError::EmptyKey`] if `new_current` is empty.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let old_value = ring.sign("v");
    /// let ring = ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// assert_eq!(ring.unsign(&old_value)?.key_index(), 1);
    /// assert_eq!(ring.unsign(&ring.sign("v"))?.key_index(), 0);
    /// # Ok::<(), signring::Error>(())
    /// ```
    pub fn rotate(self, new_current: impl AsRef<[u8]>) -> Result<Self> {
        let new_current = SecretKey::new(new_current)?;
        let Self {
            current,
            mut fallbacks,
            ..
        } = self;
        fallbacks.insert(0, current);
        Ok(Self {
            current: new_current,
            fallbacks,
            default_signer: OnceLock::new(),
        })
    }

    /// Ends a rotation: drops every fallback once the grace period is over.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?
    ///     .with_fallback("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?
    ///     .without_fallbacks();
    /// assert_eq!(ring.key_count(), 1);
    /// # Ok::<(), signring::Error>(())
    /// ```
    #[must_use]
    pub fn without_fallbacks(self) -> Self {
        Self::from_key(self.current.clone())
    }

    /// The key that signs.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, SecretKey};
    ///
    /// let ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.current(), &SecretKey::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?);
    /// # Ok::<(), signring::Error>(())
    /// ```
    #[must_use]
    pub fn current(&self) -> &SecretKey {
        &self.current
    }

    /// The keys that only verify, in the order they are tried.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert!(ring.fallbacks().is_empty());
    /// # Ok::<(), signring::Error>(())
    /// ```
    #[must_use]
    pub fn fallbacks(&self) -> &[SecretKey] {
        &self.fallbacks
    }

    /// Every key in the order they are tried: current first, then the fallbacks.
    /// The position of a key here is the [`key_index`](Verified::key_index) it
    /// verifies with.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?
    ///     .with_fallback("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.keys().count(), 2);
    /// # Ok::<(), signring::Error>(())
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &SecretKey> {
        core::iter::once(&self.current).chain(&self.fallbacks)
    }

    /// How many keys the ring holds (at least one).
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.key_count(), 1);
    /// # Ok::<(), signring::Error>(())
    /// ```
    #[must_use]
    pub fn key_count(&self) -> usize {
        1 + self.fallbacks.len()
    }

    /// Signs `value` as Django's `Signer().sign(value)` does, with the current key.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// assert_eq!(ring.sign("hello"), "hello:esiZUAzOvXgS5j7ODtFQJLmMnwCZEmD2I0T5k40jYG8");
    /// # Ok::<(), signring::Error>(())
    /// ```
    #[must_use]
    pub fn sign(&self, value: &str) -> String {
        self.default_signer().sign(value)
    }

    /// Verifies `signed` as Django's `Signer().unsign(signed)` does, trying the
    /// current key and then each fallback.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] without a `:`, [`Error::BadSignature`] if no key
    /// verifies it.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let verified = ring.unsign("hello:esiZUAzOvXgS5j7ODtFQJLmMnwCZEmD2I0T5k40jYG8")?;
    /// assert_eq!(*verified.value(), "hello");
    /// assert!(!verified.is_stale());
    /// # Ok::<(), signring::Error>(())
    /// ```
    pub fn unsign<'a>(&self, signed: &'a str) -> Result<Verified<'a, &'a str>> {
        self.default_signer().unsign(signed)
    }

    fn default_signer(&self) -> &Signer {
        self.default_signer
            .get_or_init(|| Signer::with_defaults(self))
    }
}

impl Clone for KeyRing {
    fn clone(&self) -> Self {
        Self {
            current: self.current.clone(),
            fallbacks: self.fallbacks.clone(),
            default_signer: OnceLock::new(),
        }
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("current", &self.current)
            .field("fallbacks", &self.fallbacks)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-very-secret-key-value-that-must-never-be-printed-42";

    #[test]
    fn debug_does_not_leak_keys() {
        let ring = KeyRing::new(SECRET)
            .unwrap()
            .with_fallback("another-secret-value-0123456789")
            .unwrap();
        let debug = format!("{ring:?} {:?}", ring.current());
        assert!(!debug.contains("secret"), "{debug}");
        assert_eq!(
            debug,
            "KeyRing { current: SecretKey(..), fallbacks: [SecretKey(..)] } SecretKey(..)"
        );
    }

    #[test]
    fn keys_compare_by_content() {
        assert_eq!(
            SecretKey::new(SECRET).unwrap(),
            SecretKey::new(SECRET.as_bytes()).unwrap()
        );
        assert_ne!(
            SecretKey::new(SECRET).unwrap(),
            SecretKey::new("other").unwrap()
        );
        assert_ne!(
            SecretKey::new("ab").unwrap(),
            SecretKey::new("abc").unwrap()
        );
    }

    #[test]
    fn empty_keys_are_refused() {
        assert_eq!(
            KeyRing::new("").unwrap_err(),
            Error::Config(ConfigError::EmptyKey)
        );
        assert!(KeyRing::new(SECRET).unwrap().with_fallback(b"").is_err());
    }

    #[test]
    fn rotation_moves_the_current_key_to_the_front_of_the_fallbacks() {
        let ring = KeyRing::new("k1")
            .unwrap()
            .with_fallback("k0")
            .unwrap()
            .rotate("k2")
            .unwrap();
        let keys: Vec<_> = ring.keys().map(|k| k.as_bytes().to_vec()).collect();
        assert_eq!(keys, [b"k2".to_vec(), b"k1".to_vec(), b"k0".to_vec()]);
    }
}
