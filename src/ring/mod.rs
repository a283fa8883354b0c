//! The key ring: one current key that signs, fallbacks that only verify, and
//! staged keys that verify before they sign; each with an id safe to log.

mod id;
mod key;
mod role;
mod rotate;
#[cfg(test)]
mod tests;

use core::fmt;

use subtle::ConstantTimeEq;

use crate::clock::UnixTime;
#[cfg(doc)]
use crate::error::Error;
use crate::error::{ConfigError, ConfigResult, Result};
use crate::key::SecretKey;
use crate::signer::Signer;
use crate::verified::Verified;

pub use id::KeyId;
pub use key::RingKey;
pub use role::KeyRole;

/// The metadata of one key of a ring.
#[derive(Debug, Clone, PartialEq)]
struct Meta {
    id: KeyId,
    role: KeyRole,
    not_after: Option<UnixTime>,
}

/// A key ring: Django's `SECRET_KEY` plus `SECRET_KEY_FALLBACKS`, plus staged
/// keys for rotations across a fleet.
///
/// The current key is required, so an empty ring cannot exist, and it is the only
/// key anything is ever signed with. Keys are tried in the order current,
/// fallbacks, staged; a key's position in that order is the
/// [`key_index`](Verified::key_index) it verifies with (so fallbacks keep
/// Django's numbering). Values verified by a fallback are
/// [stale](Verified::is_stale); a fallback past its `not_after` no longer
/// verifies. Rings with the same key twice are refused.
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
/// let mut ring = old.clone();
/// ring.rotate("the-new-key-that-signs-from-now-on-0123456789abcdef")?;
/// let verified = ring.unsign(&signed)?;
/// assert_eq!(*verified.value(), "hello");
/// assert_eq!(verified.key_index(), 1);
/// assert!(verified.is_stale());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct KeyRing {
    /// Current first, then the fallbacks, then the staged keys.
    keys: Vec<SecretKey>,
    /// The metadata of `keys[i]`, in the same order.
    meta: Vec<Meta>,
    fallback_count: usize,
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
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(current: impl AsRef<[u8]>) -> ConfigResult<Self> {
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
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn from_key(current: SecretKey) -> Self {
        Self::from_ring_key(RingKey::from_key(current))
    }

    /// A ring whose current key carries an id (and possibly an expiry).
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, RingKey};
    /// let ring = KeyRing::from_ring_key(RingKey::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?.id("2026-11"));
    /// assert_eq!(ring.id(0).unwrap().as_str(), "2026-11");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn from_ring_key(current: RingKey) -> Self {
        let mut ring = Self {
            keys: Vec::new(),
            meta: Vec::new(),
            fallback_count: 0,
        };
        ring.push(current, KeyRole::Current);
        ring
    }

    fn push(&mut self, key: RingKey, role: KeyRole) -> usize {
        let id = key.id.unwrap_or_else(|| KeyId::fingerprint(&key.key));
        let at = match role {
            KeyRole::Current => 0,
            KeyRole::Fallback => 1 + self.fallback_count,
            KeyRole::Staged => self.keys.len(),
        };
        self.keys.insert(at, key.key);
        self.meta.insert(
            at,
            Meta {
                id,
                role,
                not_after: key.not_after,
            },
        );
        if role == KeyRole::Fallback {
            self.fallback_count += 1;
        }
        at
    }

    /// Adds a fallback even if the ring already holds it, as Django runs with
    /// the same key in `SECRET_KEY` and `SECRET_KEY_FALLBACKS` (the first
    /// copy always matches first, so the duplicate never changes a result).
    pub(crate) fn push_fallback_allowing_duplicate(&mut self, key: RingKey) {
        self.push(key, KeyRole::Fallback);
    }

    /// Refuses a key already in the ring.
    fn check_new(&self, key: &SecretKey) -> ConfigResult<()> {
        if self
            .keys
            .iter()
            .any(|k| bool::from(k.as_bytes().ct_eq(key.as_bytes())))
        {
            return Err(ConfigError::DuplicateKey);
        }
        Ok(())
    }

    /// Adds a fallback after the existing ones (Django tries them in list order).
    ///
    /// # Errors
    ///
    /// [`ConfigError::EmptyKey`] if `key` is empty, [`ConfigError::DuplicateKey`]
    /// if it is already in the ring.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?
    ///     .with_fallback("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.fallbacks().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_fallback(self, key: impl AsRef<[u8]>) -> ConfigResult<Self> {
        self.with_ring_key(RingKey::new(key)?)
    }

    /// Adds an already built fallback key after the existing ones.
    ///
    /// # Errors
    ///
    /// [`ConfigError::DuplicateKey`] if it is already in the ring.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, SecretKey};
    ///
    /// let old = SecretKey::new("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// let ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?.with_fallback_key(old)?;
    /// assert_eq!(ring.key_count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_fallback_key(self, key: SecretKey) -> ConfigResult<Self> {
        self.with_ring_key(RingKey::from_key(key))
    }

    /// Adds a fallback with its id and expiry after the existing ones.
    ///
    /// # Errors
    ///
    /// [`ConfigError::DuplicateKey`] if it is already in the ring.
    ///
    /// # Example
    ///
    /// See [`RingKey`].
    pub fn with_ring_key(mut self, key: RingKey) -> ConfigResult<Self> {
        self.add_fallback(key)?;
        Ok(self)
    }

    /// Adds a fallback in place; on error the ring is unchanged.
    ///
    /// # Errors
    ///
    /// [`ConfigError::DuplicateKey`] if it is already in the ring.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, RingKey};
    /// let mut ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// ring.add_fallback(RingKey::new("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?)?;
    /// assert!(ring.add_fallback(RingKey::new("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?).is_err());
    /// assert_eq!(ring.key_count(), 2, "the refused edit left the ring as it was");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_fallback(&mut self, key: RingKey) -> ConfigResult<()> {
        self.check_new(&key.key)?;
        self.push(key, KeyRole::Fallback);
        Ok(())
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
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn current(&self) -> &SecretKey {
        &self.keys[0]
    }

    /// The keys that only verify, in the order they are tried.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert!(ring.fallbacks().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn fallbacks(&self) -> &[SecretKey] {
        &self.keys[1..1 + self.fallback_count]
    }

    /// The staged keys, tried after the fallbacks.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert!(ring.staged().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn staged(&self) -> &[SecretKey] {
        &self.keys[1 + self.fallback_count..]
    }

    /// Every key in the order they are tried: current, fallbacks, staged. The
    /// position of a key here is the [`key_index`](Verified::key_index) it
    /// verifies with.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?
    ///     .with_fallback("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.keys().count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &SecretKey> {
        self.keys.iter()
    }

    /// How many keys the ring holds (at least one).
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.key_count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// The id of the key at `index` (in [`keys`](KeyRing::keys) order).
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert!(ring.id(0).is_some() && ring.id(1).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn id(&self, index: usize) -> Option<&KeyId> {
        self.meta.get(index).map(|m| &m.id)
    }

    /// The role of the key at `index`.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, KeyRole};
    /// let ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?
    ///     .with_fallback("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.role(1), Some(KeyRole::Fallback));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn role(&self, index: usize) -> Option<KeyRole> {
        self.meta.get(index).map(|m| m.role)
    }

    /// The `not_after` of the key at `index`, if it has one.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// assert_eq!(ring.not_after(0), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn not_after(&self, index: usize) -> Option<UnixTime> {
        self.meta.get(index).and_then(|m| m.not_after)
    }

    /// Signs `value` as Django's `Signer().sign(value)` does, with the current key.
    ///
    /// This derives the key on every call: build a [`Signer`] once to sign or
    /// verify many values.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// assert_eq!(ring.sign("hello"), "hello:esiZUAzOvXgS5j7ODtFQJLmMnwCZEmD2I0T5k40jYG8");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sign(&self, value: &str) -> String {
        Signer::with_defaults(self).sign(value)
    }

    /// Verifies `signed` as Django's `Signer().unsign(signed)` does, trying the
    /// current key, then each fallback, then each staged key, and returns the
    /// value with how it was verified.
    ///
    /// This derives the keys on every call: build a [`Signer`] once to verify
    /// many values.
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
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unsign<'a>(&self, signed: &'a str) -> Result<Verified<'a, &'a str>> {
        Signer::with_defaults(self).unsign(signed)
    }

    /// Applies `f` to every key, keeping ids, roles and expiries (the cookie
    /// signer's prefixed keys).
    #[cfg(feature = "django")]
    pub(crate) fn map_keys(&self, mut f: impl FnMut(&SecretKey) -> SecretKey) -> KeyRing {
        KeyRing {
            keys: self.keys.iter().map(&mut f).collect(),
            meta: self.meta.clone(),
            fallback_count: self.fallback_count,
        }
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for meta in &self.meta {
            list.entry(&format_args!("{}:{}", meta.role.as_str(), meta.id));
        }
        list.finish()?;
        f.write_str("")
    }
}
