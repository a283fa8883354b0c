//! Secret keys: bytes that never show themselves.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::error::{ConfigError, ConfigResult};

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
/// # Ok::<(), Box<dyn std::error::Error>>(())
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
    /// assert_eq!(SecretKey::new("").unwrap_err(), ConfigError::EmptyKey);
    /// ```
    pub fn new(key: impl AsRef<[u8]>) -> ConfigResult<Self> {
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
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_vec(mut key: Vec<u8>) -> ConfigResult<Self> {
        if key.is_empty() {
            return Err(ConfigError::EmptyKey);
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

    /// A new key in the shape Django's `get_random_secret_key` makes: 50
    /// characters drawn uniformly from `a-z0-9!@#$%^&*(-_=+)` by the operating
    /// system's random generator, regenerated in the (vanishingly rare) case it
    /// would fail Django's key checks.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Source`] if the operating system's random generator
    /// fails.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{DjangoVersion, KeyRing, SecretKey};
    /// let key = SecretKey::generate()?;
    /// assert_eq!(key.len(), 50);
    /// assert!(KeyRing::from_key(key).require_strong_keys(DjangoVersion::default()).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn generate() -> ConfigResult<Self> {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";
        const LENGTH: usize = 50;
        // The largest multiple of the alphabet size below 256: rejecting bytes
        // above it keeps every character equally likely.
        const LIMIT: usize = 256 / ALPHABET.len() * ALPHABET.len();
        loop {
            let mut key = Vec::with_capacity(LENGTH);
            let mut random = [0u8; 64];
            while key.len() < LENGTH {
                getrandom::fill(&mut random)
                    .map_err(|_| ConfigError::Source("the OS random generator failed".into()))?;
                key.extend(
                    random
                        .iter()
                        .filter(|&&b| usize::from(b) < LIMIT)
                        .map(|&b| ALPHABET[usize::from(b) % ALPHABET.len()])
                        .take(LENGTH - key.len()),
                );
            }
            random.zeroize();
            let mut unique = key.clone();
            unique.sort_unstable();
            unique.dedup();
            let strong = unique.len() >= 5;
            unique.zeroize();
            if strong {
                return Self::from_vec(key);
            }
            key.zeroize();
        }
    }

    /// The key's length in bytes (never zero).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::SecretKey::new("é")?.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
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

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-very-secret-key-value-that-must-never-be-printed-42";

    #[test]
    fn debug_does_not_leak_keys() {
        let debug = format!("{:?}", SecretKey::new(SECRET).unwrap());
        assert_eq!(debug, "SecretKey(..)");
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
        assert_eq!(SecretKey::new("").unwrap_err(), ConfigError::EmptyKey);
        assert!(SecretKey::from_vec(Vec::new()).is_err());
    }
}
