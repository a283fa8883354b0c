//! The key ring: one current key that signs, fallbacks that only verify, and
//! staged keys that verify before they sign; each with an id safe to log.

use core::fmt;
use std::sync::Arc;

use hmac::digest::Digest;
use subtle::ConstantTimeEq;

use crate::clock::UnixTime;
use crate::error::{ConfigError, ConfigResult, Result};
use crate::key::SecretKey;
use crate::signer::Signer;
use crate::verified::Verified;

/// A key's name: safe to log, never derived reversibly from the secret.
///
/// Give keys ids of your own (`"2026-11"`); a key without one gets a
/// fingerprint, the first 8 hex digits of SHA-256 over a fixed label and the
/// key, which identifies it across servers without revealing it.
///
/// # Example
///
/// ```
/// use signring::{KeyId, KeyRing};
/// let ring = KeyRing::new("a-secret-key-of-at-least-fifty-characters-0123456789")?;
/// assert_eq!(ring.id(0).unwrap().as_str().len(), 8);
/// assert_eq!(KeyId::new("2026-11").as_str(), "2026-11");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(Arc<str>);

impl KeyId {
    /// An id of your choosing.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::KeyId::new("k1").to_string(), "k1");
    /// ```
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self(Arc::from(id.into()))
    }

    /// The fingerprint of `key`.
    fn fingerprint(key: &SecretKey) -> Self {
        let digest = sha2::Sha256::new()
            .chain_update(b"signring key id\0")
            .chain_update(key.as_bytes())
            .finalize();
        let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self(Arc::from(hex))
    }

    /// The id as text.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::KeyId::new("k1").as_str(), "k1");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a key in the ring may do.
///
/// # Example
///
/// ```
/// use signring::{KeyRing, KeyRole};
/// let ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
/// assert_eq!(ring.role(0), Some(KeyRole::Current));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyRole {
    /// Signs and verifies. Exactly one per ring.
    Current,
    /// Verifies only, until its `not_after`; values it verifies are stale.
    Fallback,
    /// Verifies only, before it becomes current: values it verifies came from a
    /// server that already promoted it, so they are not stale.
    Staged,
}

impl KeyRole {
    /// `"current"`, `"fallback"` or `"staged"`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::KeyRole::Staged.as_str(), "staged");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Fallback => "fallback",
            Self::Staged => "staged",
        }
    }
}

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
    key: SecretKey,
    id: Option<KeyId>,
    not_after: Option<UnixTime>,
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

    /// Adds a staged key: it verifies (values it signed are not stale) but does
    /// not sign until [`promote`](KeyRing::promote). Stage a new key on every
    /// server before any server promotes it, and no value is ever refused. On
    /// error the ring is unchanged.
    ///
    /// # Errors
    ///
    /// [`ConfigError::DuplicateKey`] if it is already in the ring.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, RingKey};
    /// let next = RingKey::new("the-next-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let mut ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// ring.stage(next)?;
    /// assert_eq!(ring.staged().len(), 1);
    /// let from_a_promoted_server = KeyRing::new("the-next-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?.sign("v");
    /// let verified = ring.unsign(&from_a_promoted_server)?;
    /// assert_eq!((verified.key_index(), verified.is_stale()), (1, false));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stage(&mut self, key: RingKey) -> ConfigResult<()> {
        self.check_new(&key.key)?;
        self.push(key, KeyRole::Staged);
        Ok(())
    }

    /// Promotes the first staged key to current. The old current key becomes
    /// the first fallback, verifying until `old_key_not_after` (the end of the
    /// grace period: at least the longest `max_age` in use). On error the ring
    /// is unchanged.
    ///
    /// # Errors
    ///
    /// [`ConfigError::NothingStaged`] when no key is staged.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, KeyRole, RingKey, UnixTime};
    /// let mut ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// ring.stage(RingKey::new("the-next-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?.id("next"))?;
    /// ring.promote(UnixTime::from_secs_f64(2e9))?;
    /// assert_eq!(ring.id(0).unwrap().as_str(), "next");
    /// assert_eq!(ring.role(1), Some(KeyRole::Fallback));
    /// assert_eq!(ring.not_after(1), Some(UnixTime::from_secs_f64(2e9)));
    /// assert!(ring.promote(UnixTime::from_secs_f64(2e9)).is_err(), "nothing staged any more");
    /// assert_eq!(ring.id(0).unwrap().as_str(), "next");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn promote(&mut self, old_key_not_after: UnixTime) -> ConfigResult<()> {
        let staged_at = 1 + self.fallback_count;
        if staged_at >= self.keys.len() {
            return Err(ConfigError::NothingStaged);
        }
        let next = self.keys.remove(staged_at);
        let next_meta = self.meta.remove(staged_at);
        self.demote_current(Some(old_key_not_after));
        self.keys.insert(0, next);
        self.meta.insert(
            0,
            Meta {
                role: KeyRole::Current,
                ..next_meta
            },
        );
        Ok(())
    }

    /// Turns the current key into the first fallback (index 0 is then the
    /// caller's to fill).
    fn demote_current(&mut self, not_after: Option<UnixTime>) {
        if let Some(meta) = self.meta.first_mut() {
            meta.role = KeyRole::Fallback;
            if not_after.is_some() {
                meta.not_after = not_after;
            }
        }
        self.fallback_count += 1;
    }

    /// Drops the fallbacks whose `not_after` is before `now` (the last phase of
    /// a rotation) and returns how many were dropped.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, RingKey, UnixTime};
    /// let mut ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?
    ///     .with_ring_key(RingKey::new("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?
    ///         .not_after(UnixTime::from_secs_f64(100.0)))?;
    /// assert_eq!(ring.retire_expired(UnixTime::from_secs_f64(100.0)), 0);
    /// assert_eq!(ring.retire_expired(UnixTime::from_secs_f64(100.5)), 1);
    /// assert_eq!(ring.key_count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retire_expired(&mut self, now: UnixTime) -> usize {
        let before = self.keys.len();
        let mut index = 1;
        while index < 1 + self.fallback_count {
            if self.meta[index].not_after.is_some_and(|t| t < now) {
                self.keys.remove(index);
                self.meta.remove(index);
                self.fallback_count -= 1;
            } else {
                index += 1;
            }
        }
        before - self.keys.len()
    }

    /// The ids of the keys whose `not_after` is before `now` (fallbacks that no
    /// longer verify; a current key here makes the ring invalid).
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, RingKey, UnixTime};
    /// let ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?
    ///     .with_ring_key(RingKey::new("the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz")?
    ///         .id("old").not_after(UnixTime::from_secs_f64(100.0)))?;
    /// let expired: Vec<_> = ring.expired(UnixTime::from_secs_f64(200.0)).map(|id| id.as_str()).collect();
    /// assert_eq!(expired, ["old"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expired(&self, now: UnixTime) -> impl Iterator<Item = &KeyId> {
        self.meta
            .iter()
            .filter(move |m| m.not_after.is_some_and(|t| t < now))
            .map(|m| &m.id)
    }

    /// Checks that the ring makes sense at `now`: its current key has not
    /// expired. (Empty and duplicate keys cannot get in.)
    ///
    /// # Errors
    ///
    /// [`ConfigError::CurrentKeyExpired`].
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, RingKey, UnixTime};
    /// let ring = KeyRing::from_ring_key(RingKey::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?
    ///     .not_after(UnixTime::from_secs_f64(100.0)));
    /// assert!(ring.validate(UnixTime::from_secs_f64(50.0)).is_ok());
    /// assert!(ring.validate(UnixTime::from_secs_f64(150.0)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self, now: UnixTime) -> ConfigResult<()> {
        if self.meta[0].not_after.is_some_and(|t| t < now) {
            return Err(ConfigError::CurrentKeyExpired);
        }
        Ok(())
    }

    /// Starts a rotation in one step: `new_current` signs from now on and the
    /// old current key becomes the first fallback, so everything it signed
    /// still verifies (stale). On a fleet, prefer [`stage`](KeyRing::stage)
    /// then [`promote`](KeyRing::promote). On error the ring is unchanged.
    ///
    /// # Errors
    ///
    /// [`ConfigError::EmptyKey`] if `new_current` is empty,
    /// [`ConfigError::DuplicateKey`] if it is already in the ring.
    ///
    /// # Example
    ///
    /// ```
    /// let mut ring = signring::KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let old_value = ring.sign("v");
    /// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// assert_eq!(ring.unsign(&old_value)?.key_index(), 1);
    /// let new_value = ring.sign("v");
    /// assert_eq!(ring.unsign(&new_value)?.key_index(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rotate(&mut self, new_current: impl AsRef<[u8]>) -> ConfigResult<()> {
        self.rotate_to(RingKey::new(new_current)?)
    }

    /// [`rotate`](KeyRing::rotate) to a key with its id (and expiry).
    ///
    /// # Errors
    ///
    /// [`ConfigError::DuplicateKey`] if it is already in the ring.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, KeyRole, RingKey};
    /// let mut ring = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// ring.rotate_to(RingKey::new("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?.id("2026-11"))?;
    /// assert_eq!(ring.id(0).unwrap().as_str(), "2026-11");
    /// assert_eq!(ring.role(1), Some(KeyRole::Fallback));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rotate_to(&mut self, new_current: RingKey) -> ConfigResult<()> {
        self.check_new(&new_current.key)?;
        let id = new_current
            .id
            .unwrap_or_else(|| KeyId::fingerprint(&new_current.key));
        self.demote_current(None);
        self.keys.insert(0, new_current.key);
        self.meta.insert(
            0,
            Meta {
                id,
                role: KeyRole::Current,
                not_after: new_current.not_after,
            },
        );
        Ok(())
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
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn without_fallbacks(mut self) -> Self {
        self.keys.drain(1..1 + self.fallback_count);
        self.meta.drain(1..1 + self.fallback_count);
        self.fallback_count = 0;
        self
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

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-very-secret-key-value-that-must-never-be-printed-42";

    #[test]
    fn debug_does_not_leak_keys() {
        let ring = KeyRing::new(SECRET)
            .unwrap()
            .with_ring_key(RingKey::new("another-secret-value").unwrap().id("old"))
            .unwrap();
        let debug = format!("{ring:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert!(debug.ends_with(", fallback:old]"), "{debug}");
    }

    #[test]
    fn rotation_moves_the_current_key_to_the_front_of_the_fallbacks() {
        let mut ring = KeyRing::new("k1").unwrap().with_fallback("k0").unwrap();
        ring.rotate("k2").unwrap();
        let keys: Vec<_> = ring.keys().map(|k| k.as_bytes().to_vec()).collect();
        assert_eq!(keys, [b"k2".to_vec(), b"k1".to_vec(), b"k0".to_vec()]);
        let roles: Vec<_> = (0..3).map(|i| ring.role(i).unwrap()).collect();
        assert_eq!(
            roles,
            [KeyRole::Current, KeyRole::Fallback, KeyRole::Fallback]
        );
    }

    #[test]
    fn duplicates_are_refused_whatever_the_role() {
        let ring = KeyRing::new("k1").unwrap().with_fallback("k0").unwrap();
        for attempt in [
            ring.clone().with_fallback("k1").map(|_| ()),
            ring.clone().with_fallback("k0").map(|_| ()),
            ring.clone().stage(RingKey::new("k0").unwrap()),
            ring.clone().rotate("k1"),
        ] {
            assert_eq!(attempt.unwrap_err(), ConfigError::DuplicateKey);
        }
    }

    #[test]
    fn staging_then_promoting_keeps_the_order_django_expects() {
        let mut ring = KeyRing::new("k1").unwrap().with_fallback("k0").unwrap();
        ring.stage(RingKey::new("k2").unwrap().id("next")).unwrap();
        assert_eq!(ring.role(2), Some(KeyRole::Staged));
        assert_eq!(
            ring.clone().without_fallbacks().role(1),
            Some(KeyRole::Staged)
        );
        let mut promoted = ring;
        promoted.promote(UnixTime::from_secs_f64(10.0)).unwrap();
        let keys: Vec<_> = promoted.keys().map(|k| k.as_bytes().to_vec()).collect();
        assert_eq!(keys, [b"k2".to_vec(), b"k1".to_vec(), b"k0".to_vec()]);
        assert_eq!(promoted.id(0).unwrap().as_str(), "next");
        assert_eq!(promoted.not_after(1), Some(UnixTime::from_secs_f64(10.0)));
        assert_eq!(
            promoted
                .clone()
                .promote(UnixTime::from_secs_f64(0.0))
                .unwrap_err(),
            ConfigError::NothingStaged
        );
        assert_eq!(promoted.retire_expired(UnixTime::from_secs_f64(10.5)), 1);
        assert_eq!(promoted.key_count(), 2, "k1 expired, k0 has no end");
    }
}

#[cfg(test)]
mod signing_tests {
    use super::*;
    use crate::{Error, Signer, TimestampSigner};

    #[test]
    fn an_expired_fallback_stops_verifying_at_its_not_after() {
        let old = KeyRing::new("k0").unwrap();
        let value = old.sign("v");
        let ring = KeyRing::new("k1")
            .unwrap()
            .with_ring_key(
                RingKey::new("k0")
                    .unwrap()
                    .not_after(UnixTime::from_secs_f64(1000.0)),
            )
            .unwrap();
        let timed = TimestampSigner::builder(&ring).build().unwrap();
        let old_timed = TimestampSigner::builder(&old)
            .build()
            .unwrap()
            .sign_at("v", UnixTime::from_secs_f64(900.0));
        assert_eq!(
            timed
                .unsign_at(&old_timed, UnixTime::from_secs_f64(1000.0))
                .unwrap()
                .key_index(),
            1
        );
        assert_eq!(
            timed
                .unsign_at(&old_timed, UnixTime::from_secs_f64(1000.5))
                .unwrap_err(),
            Error::BadSignature
        );
        // The plain signer reads the system clock, long past 1970 + 1000 s.
        assert_eq!(
            Signer::builder(&ring)
                .build()
                .unwrap()
                .unsign(&value)
                .unwrap_err(),
            Error::BadSignature
        );
    }

    #[test]
    fn staged_keys_verify_without_being_stale_and_never_sign() {
        let mut ring = KeyRing::new("k1").unwrap().with_fallback("k0").unwrap();
        ring.stage(RingKey::new("k2").unwrap()).unwrap();
        let signer = Signer::builder(&ring).build().unwrap();
        assert_eq!(
            signer.sign("v"),
            KeyRing::new("k1").unwrap().sign("v"),
            "the current key signs"
        );
        let newer = KeyRing::new("k2").unwrap().sign("v");
        let verified = signer.unsign(&newer).unwrap();
        assert_eq!((verified.key_index(), verified.is_stale()), (2, false));
        let older = KeyRing::new("k0").unwrap().sign("v");
        assert!(signer.unsign(&older).unwrap().is_stale());
    }
}
