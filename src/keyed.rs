//! A ring's keys derived once for one salt and algorithm, with their ids,
//! roles and expiries, the clock and the observer: what every signer and
//! Django adapter searches when it verifies.

use std::sync::Arc;

use subtle::{Choice, ConditionallySelectable};

use crate::algorithm::{Algorithm, MacKey};
use crate::clock::{Clock, UnixTime};
use crate::observe::{Outcome, VerifyObserver};
use crate::options::Options;
use crate::ring::{KeyId, KeyRing, KeyRole};
use crate::verified::Verification;

/// Keyed HMAC states for every key of a ring, in ring order.
#[derive(Debug, Clone)]
pub(crate) struct KeyedRing {
    macs: Box<[MacKey]>,
    meta: Box<[(KeyId, KeyRole, Option<UnixTime>)]>,
    /// Whether any key has a `not_after`: only then is the clock read.
    expiring: bool,
    clock: Arc<dyn Clock>,
    observer: Option<Arc<dyn VerifyObserver>>,
    try_every_key: bool,
}

/// Which key verified a value, and whether through a legacy path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) index: usize,
    pub(crate) algorithm: Algorithm,
}

impl KeyedRing {
    /// `salted_hmac(key_salt, ·, key, algorithm)` for every key of `ring`.
    pub(crate) fn derive(
        ring: &KeyRing,
        algorithm: Algorithm,
        key_salt: &[u8],
        options: &Options,
    ) -> Self {
        let meta: Box<[_]> = (0..ring.key_count())
            .filter_map(|i| Some((ring.id(i)?.clone(), ring.role(i)?, ring.not_after(i))))
            .collect();
        Self {
            macs: ring
                .keys()
                .map(|key| MacKey::derive(algorithm, key_salt, key.as_bytes()))
                .collect(),
            expiring: meta.iter().any(|m| m.2.is_some()),
            meta,
            clock: Arc::clone(&options.clock),
            observer: options.observer.clone(),
            try_every_key: options.try_every_key,
        }
    }

    /// The current key's state: the only one that signs.
    pub(crate) fn current(&self) -> &MacKey {
        &self.macs[0]
    }

    /// How many keys.
    pub(crate) fn len(&self) -> usize {
        self.macs.len()
    }

    /// The time on the clock, read once per verification and only when some
    /// key has an expiry (whichever key then matches), so that reading it
    /// reveals nothing about the key that matched.
    pub(crate) fn now(&self) -> UnixTime {
        if self.expiring {
            self.clock.now()
        } else {
            UnixTime::from_secs_f64(0.0)
        }
    }

    /// The configured clock, for timestamps and `max_age`.
    pub(crate) fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// The index of the first key for which `matches` holds and that is not
    /// past its `not_after` at `now`. With `try_every_key`, every key is
    /// computed and the index selected without branching on the results.
    pub(crate) fn find(&self, now: UnixTime, matches: impl Fn(&MacKey) -> Choice) -> Option<usize> {
        if self.try_every_key {
            let mut found = Choice::from(0);
            let mut index = 0u64;
            for (i, key) in self.macs.iter().enumerate() {
                let hit = matches(key) & Choice::from(u8::from(self.usable(i, now)));
                let take = hit & !found;
                // The index is below the key count, which fits in u64.
                index.conditional_assign(&(i as u64), take);
                found |= hit;
            }
            // The index came from a usize, so the conversion cannot fail (on
            // 64-bit targets it compiles to nothing); were it to, nothing
            // would verify.
            return usize::try_from(index).ok().filter(|_| bool::from(found));
        }
        let index = self.macs.iter().position(|key| bool::from(matches(key)))?;
        // Keys are distinct, so no later key could match instead.
        self.usable(index, now).then_some(index)
    }

    /// Finds the key whose MAC `matches` at `now`, else — where a release
    /// accepts it — the legacy SHA-1 MAC of the current key while that key
    /// lasts; reports the outcome to the observer and returns the record.
    /// `stale_format` marks a match in a format the caller no longer writes.
    /// The one search of the auth hash, reset tokens and the legacy session
    /// and messages formats (the signers decode their signature first).
    #[cfg(feature = "django")]
    pub(crate) fn verify(
        &self,
        now: UnixTime,
        matches: impl Fn(&MacKey) -> Choice,
        legacy_sha1: Option<&MacKey>,
        stale_format: bool,
    ) -> Option<Verification> {
        let found = match self.find(now, &matches) {
            Some(index) => Some(Found {
                index,
                algorithm: self.current().algorithm(),
            }),
            None => legacy_sha1
                .filter(|legacy| bool::from(matches(legacy)) && self.usable(0, now))
                .map(|_| Found {
                    index: 0,
                    algorithm: Algorithm::Sha1,
                }),
        };
        let legacy = found.is_some_and(|f| f.algorithm != self.current().algorithm());
        self.observe(found.map(|f| f.index), stale_format || legacy);
        found.map(|found| self.record(found, stale_format || legacy))
    }

    /// Whether the key at `index` still verifies at `now`.
    pub(crate) fn usable(&self, index: usize, now: UnixTime) -> bool {
        match self.meta.get(index) {
            Some((_, _, Some(not_after))) => now <= *not_after,
            Some((_, _, None)) => true,
            None => false,
        }
    }

    /// The role of the key at `index`.
    pub(crate) fn role(&self, index: usize) -> KeyRole {
        self.meta.get(index).map_or(KeyRole::Fallback, |m| m.1)
    }

    /// The record of a verification by the key at `found.index`; `stale_format`
    /// adds staleness that comes from the format or algorithm, never from a
    /// staged key.
    pub(crate) fn record(&self, found: Found, stale_format: bool) -> Verification {
        let role = self.role(found.index);
        let id = self
            .meta
            .get(found.index)
            .map_or_else(|| KeyId::new("?"), |m| m.0.clone());
        Verification {
            key_index: found.index,
            key_id: id,
            role,
            algorithm: found.algorithm,
            timestamp: None,
            stale: role == KeyRole::Fallback || (role == KeyRole::Current && stale_format),
        }
    }

    /// Reports a verification to the observer, if any: `legacy` when a legacy
    /// algorithm or format matched (counted as legacy for the current key, and
    /// under the key's own role for any other key).
    pub(crate) fn observe(&self, found: Option<usize>, legacy: bool) {
        if let Some(observer) = &self.observer {
            match found {
                Some(0) if legacy => observer.observe(Outcome::Legacy, Some(0)),
                Some(index) => observer.observe(Outcome::of_role(self.role(index)), Some(index)),
                None => observer.observe(Outcome::Failed, None),
            }
        }
    }
}
