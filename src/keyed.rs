//! A ring's keys derived once for one salt and algorithm, with their roles:
//! what every signer and Django adapter searches when it verifies.

use crate::algorithm::{Algorithm, MacKey};
use crate::clock::UnixTime;
use crate::ring::{KeyRing, KeyRole};

/// Keyed HMAC states for every key of a ring, in ring order.
#[derive(Debug, Clone)]
pub(crate) struct KeyedRing {
    macs: Box<[MacKey]>,
    roles: Box<[(KeyRole, Option<UnixTime>)]>,
}

impl KeyedRing {
    /// `salted_hmac(key_salt, ·, key, algorithm)` for every key of `ring`.
    pub(crate) fn derive(ring: &KeyRing, algorithm: Algorithm, key_salt: &[u8]) -> Self {
        Self {
            macs: ring
                .keys()
                .map(|key| MacKey::derive(algorithm, key_salt, key.as_bytes()))
                .collect(),
            roles: (0..ring.key_count())
                .map(|i| (ring.role(i).unwrap_or(KeyRole::Fallback), ring.not_after(i)))
                .collect(),
        }
    }

    /// The current key's state: the only one that signs.
    pub(crate) fn current(&self) -> &MacKey {
        &self.macs[0]
    }

    /// Every key's state, in ring order.
    pub(crate) fn macs(&self) -> &[MacKey] {
        &self.macs
    }

    /// The index of the first key for which `matches` holds, unless that key
    /// is past its `not_after` at `now` (read from the system clock only
    /// then, when `now` is `None`). Keys are distinct, so no later key could
    /// match instead.
    pub(crate) fn position(
        &self,
        matches: impl Fn(&MacKey) -> bool,
        now: Option<UnixTime>,
    ) -> Option<usize> {
        let index = self.macs.iter().position(matches)?;
        self.usable(index, now).then_some(index)
    }

    /// Whether the key at `index` still verifies at `now`.
    pub(crate) fn usable(&self, index: usize, now: Option<UnixTime>) -> bool {
        match self.roles.get(index) {
            Some((_, Some(not_after))) => now.unwrap_or_else(UnixTime::now) <= *not_after,
            Some((_, None)) => true,
            None => false,
        }
    }

    /// The role of the key at `index`.
    pub(crate) fn role(&self, index: usize) -> KeyRole {
        self.roles.get(index).map_or(KeyRole::Fallback, |r| r.0)
    }

    /// Whether a value the key at `index` verified should be re-signed: only
    /// fallbacks make values stale (staged keys are newer than the current).
    pub(crate) fn is_stale(&self, index: usize) -> bool {
        self.role(index) == KeyRole::Fallback
    }
}
