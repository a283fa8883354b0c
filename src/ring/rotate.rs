//! Rotating a ring: staging, promoting, rotating and retiring keys.

use super::{KeyId, KeyRing, KeyRole, Meta, RingKey};
use crate::clock::UnixTime;
use crate::error::{ConfigError, ConfigResult};

impl KeyRing {
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
}
