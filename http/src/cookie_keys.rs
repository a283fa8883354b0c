//! A ring of `cookie::Key`s: the keys of the `cookie` crate's signed format
//! (axum-extra's `SignedCookieJar`, tower-cookies, tower-sessions), with the
//! same roles and phases as [`signring::KeyRing`].

use core::fmt;

use cookie::Key;
use sha2::{Digest, Sha256};
use signring::{ConfigError, KeyId, KeyRole, UnixTime};

/// One key of a [`CookieKeyRing`].
#[derive(Clone)]
struct Entry {
    key: Key,
    id: KeyId,
    role: KeyRole,
    not_after: Option<UnixTime>,
}

/// The ring of `cookie::Key`s for [`Format::CookieCrate`](crate::Format::CookieCrate):
/// one current key that signs, fallbacks that verify (their values are stale
/// and re-issued), and staged keys that verify without making values stale.
///
/// Keys are kept in verification order — current, fallbacks, staged — as in
/// [`signring::KeyRing`], and the phases are the same: [`stage`](Self::stage)
/// on every server, [`promote`](Self::promote), then
/// [`retire_expired`](Self::retire_expired) after the grace period.
///
/// # Example
///
/// ```
/// use cookie::Key;
/// use signring::{KeyRole, UnixTime};
/// use signring_http::CookieKeyRing;
///
/// let old = Key::from(&[1u8; 64]);
/// let mut ring = CookieKeyRing::new(old).named("2026-05");
/// ring.stage(Key::from(&[2u8; 64]), "2026-11")?;
/// ring.promote(UnixTime::from_secs_f64(1_900_000_000.0))?;
/// assert_eq!((ring.id(0).unwrap().as_str(), ring.role(1)), ("2026-11", Some(KeyRole::Fallback)));
/// assert_eq!(ring.retire_expired(UnixTime::from_secs_f64(1_900_000_001.0)), 1);
/// assert_eq!(ring.key_count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct CookieKeyRing {
    /// Current first, then fallbacks, then staged keys.
    keys: Vec<Entry>,
    fallback_count: usize,
}

/// A key's default id: a short fingerprint, safe to log.
fn fingerprint(key: &Key) -> KeyId {
    let mut hasher = Sha256::new();
    hasher.update(b"signring-http cookie key id");
    hasher.update(key.master());
    let digest = hasher.finalize();
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    KeyId::new(format!("cookie-key-{hex}"))
}

impl CookieKeyRing {
    /// A ring whose current key is `current`, with a fingerprint as its id.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring_http::CookieKeyRing::new(cookie::Key::from(&[7u8; 64]));
    /// assert!(ring.id(0).unwrap().as_str().starts_with("cookie-key-"));
    /// ```
    #[must_use]
    pub fn new(current: Key) -> Self {
        let id = fingerprint(&current);
        Self {
            keys: vec![Entry {
                key: current,
                id,
                role: KeyRole::Current,
                not_after: None,
            }],
            fallback_count: 0,
        }
    }

    /// Names the current key.
    ///
    /// # Example
    ///
    /// See [`CookieKeyRing`].
    #[must_use]
    pub fn named(mut self, id: impl Into<String>) -> Self {
        if let Some(entry) = self.keys.first_mut() {
            entry.id = KeyId::new(id);
        }
        self
    }

    /// Adds an old key that still verifies, after the other fallbacks.
    ///
    /// # Errors
    ///
    /// [`ConfigError::DuplicateKey`] when the key is already in the ring.
    ///
    /// # Example
    ///
    /// ```
    /// use cookie::Key;
    /// let ring = signring_http::CookieKeyRing::new(Key::from(&[2u8; 64])).with_fallback(Key::from(&[1u8; 64]))?;
    /// assert_eq!(ring.key_count(), 2);
    /// # Ok::<(), signring::ConfigError>(())
    /// ```
    pub fn with_fallback(mut self, key: Key) -> Result<Self, ConfigError> {
        self.check_new(&key)?;
        let id = fingerprint(&key);
        self.keys.insert(
            1 + self.fallback_count,
            Entry {
                key,
                id,
                role: KeyRole::Fallback,
                not_after: None,
            },
        );
        self.fallback_count += 1;
        Ok(self)
    }

    /// Adds a key that verifies but does not sign yet (phase 1 of a fleet
    /// rotation): what it verifies is not stale.
    ///
    /// # Errors
    ///
    /// [`ConfigError::DuplicateKey`] when the key is already in the ring.
    ///
    /// # Example
    ///
    /// See [`CookieKeyRing`].
    pub fn stage(&mut self, key: Key, id: impl Into<String>) -> Result<(), ConfigError> {
        self.check_new(&key)?;
        self.keys.push(Entry {
            key,
            id: KeyId::new(id),
            role: KeyRole::Staged,
            not_after: None,
        });
        Ok(())
    }

    /// Makes the first staged key current; the current key becomes the first
    /// fallback and stops verifying after `old_key_not_after`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::NothingStaged`] when no key is staged.
    ///
    /// # Example
    ///
    /// See [`CookieKeyRing`].
    pub fn promote(&mut self, old_key_not_after: UnixTime) -> Result<(), ConfigError> {
        let staged_at = 1 + self.fallback_count;
        if staged_at >= self.keys.len() {
            return Err(ConfigError::NothingStaged);
        }
        let mut next = self.keys.remove(staged_at);
        next.role = KeyRole::Current;
        if let Some(old) = self.keys.first_mut() {
            old.role = KeyRole::Fallback;
            old.not_after = Some(old_key_not_after);
        }
        self.fallback_count += 1;
        self.keys.insert(0, next);
        Ok(())
    }

    /// Makes `key` current at once; the current key becomes the first
    /// fallback (single-server rotation).
    ///
    /// # Errors
    ///
    /// [`ConfigError::DuplicateKey`] when the key is already in the ring.
    ///
    /// # Example
    ///
    /// ```
    /// use cookie::Key;
    /// let mut ring = signring_http::CookieKeyRing::new(Key::from(&[1u8; 64]));
    /// ring.rotate(Key::from(&[2u8; 64]), "new")?;
    /// assert_eq!(ring.id(0).unwrap().as_str(), "new");
    /// # Ok::<(), signring::ConfigError>(())
    /// ```
    pub fn rotate(&mut self, key: Key, id: impl Into<String>) -> Result<(), ConfigError> {
        self.check_new(&key)?;
        if let Some(old) = self.keys.first_mut() {
            old.role = KeyRole::Fallback;
        }
        self.fallback_count += 1;
        self.keys.insert(
            0,
            Entry {
                key,
                id: KeyId::new(id),
                role: KeyRole::Current,
                not_after: None,
            },
        );
        Ok(())
    }

    /// Removes the fallbacks whose `not_after` is before `now`; returns how
    /// many went.
    ///
    /// # Example
    ///
    /// See [`CookieKeyRing`].
    pub fn retire_expired(&mut self, now: UnixTime) -> usize {
        let before = self.keys.len();
        let mut index = 1;
        while index < 1 + self.fallback_count {
            if self.keys[index]
                .not_after
                .is_some_and(|t| t.as_secs_f64() < now.as_secs_f64())
            {
                self.keys.remove(index);
                self.fallback_count -= 1;
            } else {
                index += 1;
            }
        }
        before - self.keys.len()
    }

    /// The key that signs.
    ///
    /// # Example
    ///
    /// ```
    /// let key = cookie::Key::from(&[1u8; 64]);
    /// let ring = signring_http::CookieKeyRing::new(key.clone());
    /// assert_eq!(ring.current(), &key);
    /// ```
    #[must_use]
    pub fn current(&self) -> &Key {
        // The ring always holds its current key at index 0.
        &self.keys[0].key
    }

    /// How many keys the ring holds.
    ///
    /// # Example
    ///
    /// See [`CookieKeyRing`].
    #[must_use]
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// The key at `index`, in verification order.
    #[must_use]
    pub(crate) fn key(&self, index: usize) -> Option<&Key> {
        self.keys.get(index).map(|e| &e.key)
    }

    /// The id of the key at `index`.
    ///
    /// # Example
    ///
    /// See [`CookieKeyRing`].
    #[must_use]
    pub fn id(&self, index: usize) -> Option<&KeyId> {
        self.keys.get(index).map(|e| &e.id)
    }

    /// The role of the key at `index`.
    ///
    /// # Example
    ///
    /// See [`CookieKeyRing`].
    #[must_use]
    pub fn role(&self, index: usize) -> Option<KeyRole> {
        self.keys.get(index).map(|e| e.role)
    }

    /// The instant after which the key at `index` stops verifying, if any.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring_http::CookieKeyRing::new(cookie::Key::from(&[1u8; 64]));
    /// assert_eq!(ring.not_after(0), None);
    /// ```
    #[must_use]
    pub fn not_after(&self, index: usize) -> Option<UnixTime> {
        self.keys.get(index).and_then(|e| e.not_after)
    }

    fn check_new(&self, key: &Key) -> Result<(), ConfigError> {
        // `Key`'s equality is constant-time.
        if self.keys.iter().any(|e| &e.key == key) {
            return Err(ConfigError::DuplicateKey);
        }
        Ok(())
    }
}

impl fmt::Debug for CookieKeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for e in &self.keys {
            list.entry(&format_args!("{}({})", e.id, e.role.as_str()));
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_ids_and_roles_never_keys() {
        let ring = CookieKeyRing::new(Key::from(&[9u8; 64])).named("a");
        assert_eq!(format!("{ring:?}"), "[a(current)]");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let key = Key::from(&[9u8; 64]);
        let mut ring = CookieKeyRing::new(key.clone());
        assert!(ring.stage(key.clone(), "x").is_err());
        assert!(ring.clone().with_fallback(key.clone()).is_err());
        assert!(ring.rotate(key, "y").is_err());
        assert_eq!(ring.key_count(), 1);
    }

    #[test]
    fn promote_without_staged_key_fails() {
        let mut ring = CookieKeyRing::new(Key::from(&[9u8; 64]));
        assert!(ring.promote(UnixTime::from_secs_f64(0.0)).is_err());
    }
}
