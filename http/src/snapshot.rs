//! The layer's declared cookies compiled against the rings of the moment,
//! re-compiled when a ring handle publishes a new ring.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use signring::{KeyId, KeyRing, Options, Outcome, VerifyObserver};

use crate::compiled::Compiled;
use crate::cookie_keys::CookieKeyRing;
use crate::error::BuildError;
use crate::ring_handle::RingHandle;
use crate::spec::CookieSpec;

/// Every declared cookie with its keys derived, for one generation of the
/// rings. A request keeps the snapshot it started with, so verifying and
/// re-signing always use the same keys even while the ring is swapped.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) cookies: Vec<Compiled>,
    pub(crate) ring: Option<Arc<KeyRing>>,
    pub(crate) cookie_keys: Option<Arc<CookieKeyRing>>,
    /// Whether any declared cookie is in transparent mode.
    pub(crate) any_transparent: bool,
    /// The layer's options and observer, for declarations compiled on
    /// demand: a request holds its snapshot only, not the layer's `Config`.
    options: Options,
    observer: Option<Arc<dyn VerifyObserver>>,
    generations: (u64, u64),
}

impl Snapshot {
    /// Compiles a declaration that was not declared on the layer (for
    /// cookies whose name or salt is only known in the handler).
    pub(crate) fn compile(&self, spec: &CookieSpec) -> Result<Compiled, BuildError> {
        Compiled::build(
            spec,
            self.ring.as_deref(),
            self.cookie_keys.as_ref(),
            &self.options,
            self.observer.as_ref(),
        )
    }
}

/// What the layer was built with, shared by every clone of the service.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) specs: Vec<CookieSpec>,
    pub(crate) ring: Option<RingHandle<KeyRing>>,
    pub(crate) cookie_keys: Option<RingHandle<CookieKeyRing>>,
    pub(crate) options: Options,
    pub(crate) observer: Option<Arc<dyn VerifyObserver>>,
    pub(crate) any_transparent: bool,
    /// The key ids the observer has been told about, per ring: a key keeps
    /// its index across hot swaps (see [`StableIndexes`]).
    indexes: (Mutex<Vec<KeyId>>, Mutex<Vec<KeyId>>),
    current: RwLock<Arc<Snapshot>>,
}

impl Config {
    pub(crate) fn new(
        specs: Vec<CookieSpec>,
        ring: Option<RingHandle<KeyRing>>,
        cookie_keys: Option<RingHandle<CookieKeyRing>>,
        options: Options,
        observer: Option<Arc<dyn VerifyObserver>>,
    ) -> Result<Self, BuildError> {
        let any_transparent = specs.iter().any(CookieSpec::is_transparent);
        let mut config = Self {
            specs,
            ring,
            cookie_keys,
            options,
            observer,
            any_transparent,
            indexes: (Mutex::new(Vec::new()), Mutex::new(Vec::new())),
            current: RwLock::new(Arc::new(Snapshot {
                cookies: Vec::new(),
                ring: None,
                cookie_keys: None,
                any_transparent,
                options: Options::new(),
                observer: None,
                generations: (u64::MAX, u64::MAX),
            })),
        };
        let first = config.compile()?;
        config.current = RwLock::new(Arc::new(first));
        Ok(config)
    }

    fn generations(&self) -> (u64, u64) {
        (
            self.ring.as_ref().map_or(0, RingHandle::generation),
            self.cookie_keys.as_ref().map_or(0, RingHandle::generation),
        )
    }

    fn compile(&self) -> Result<Snapshot, BuildError> {
        // Read the generations first: a ring published in between only makes
        // the next request compile again.
        let generations = self.generations();
        let ring = self.ring.as_ref().map(RingHandle::load);
        let cookie_keys = self.cookie_keys.as_ref().map(RingHandle::load);
        // The observer sees this generation's key indexes translated into
        // stable ones; the cookie crate's ring has its own.
        let (options, cookie_observer) = match &self.observer {
            Some(observer) => {
                let ids = ring.as_deref().map_or_else(Vec::new, |ring| {
                    (0..ring.key_count())
                        .filter_map(|i| ring.id(i).cloned())
                        .collect()
                });
                let ring_observer = Arc::new(StableIndexes::new(observer, &self.indexes.0, ids));
                let ids = cookie_keys.as_deref().map_or_else(Vec::new, |keys| {
                    (0..keys.key_count())
                        .filter_map(|i| keys.id(i).cloned())
                        .collect()
                });
                let cookie_observer: Arc<dyn VerifyObserver> =
                    Arc::new(StableIndexes::new(observer, &self.indexes.1, ids));
                (
                    self.options.clone().observer(ring_observer),
                    Some(cookie_observer),
                )
            }
            None => (self.options.clone(), None),
        };
        let cookies = self
            .specs
            .iter()
            .map(|spec| {
                Compiled::build(
                    spec,
                    ring.as_deref(),
                    cookie_keys.as_ref(),
                    &options,
                    cookie_observer.as_ref(),
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(Snapshot {
            cookies,
            ring,
            cookie_keys,
            any_transparent: self.any_transparent,
            options,
            // For declarations compiled on demand: the Django and signring
            // formats report through `options`, the cookie crate's here.
            observer: cookie_observer,
            generations,
        })
    }

    /// The snapshot for the rings of the moment.
    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        let generations = self.generations();
        let current = Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner));
        if current.generations == generations {
            return current;
        }
        let mut slot = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if slot.generations == self.generations() {
            return Arc::clone(&slot);
        }
        match self.compile() {
            Ok(snapshot) => {
                *slot = Arc::new(snapshot);
                Arc::clone(&slot)
            }
            // Building signers fails only on options, which the first
            // compilation already checked; keep serving with the last keys.
            Err(_) => Arc::clone(&slot),
        }
    }
}

/// The layer's observer as one generation of a ring reports to it: each
/// key's index is the one it got when the observer first saw it — its
/// position in the ring the layer was built with, then, for keys staged
/// later, the next free index — so a hot swap (stage, promote, retire) never
/// moves a count to another key.
#[derive(Debug)]
struct StableIndexes {
    inner: Arc<dyn VerifyObserver>,
    /// This generation's index → the stable one.
    stable: Box<[usize]>,
}

impl StableIndexes {
    fn new(inner: &Arc<dyn VerifyObserver>, known: &Mutex<Vec<KeyId>>, ids: Vec<KeyId>) -> Self {
        let mut known = known.lock().unwrap_or_else(PoisonError::into_inner);
        let stable = ids
            .into_iter()
            .map(|id| {
                known.iter().position(|k| *k == id).unwrap_or_else(|| {
                    known.push(id);
                    known.len() - 1
                })
            })
            .collect();
        Self {
            inner: Arc::clone(inner),
            stable,
        }
    }
}

impl VerifyObserver for StableIndexes {
    fn observe(&self, outcome: Outcome, key_index: Option<usize>) {
        let stable = key_index.map(|i| self.stable.get(i).copied().unwrap_or(i));
        self.inner.observe(outcome, stable);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use signring::{TimestampSigner, VerifyCounters};

    #[test]
    fn counts_stay_with_their_key_across_hot_swaps() {
        const OLD: &str = "snapshot-old-key-0123456789abcdefghijklmnopqrstuvwxyz";
        const NEW: &str = "snapshot-new-key-0123456789abcdefghijklmnopqrstuvwxyz";
        let old = KeyRing::new(OLD).unwrap();
        let mut both = old.clone();
        both.rotate(NEW).unwrap();
        let sign = |ring: &KeyRing| {
            TimestampSigner::builder(ring)
                .salt("s")
                .build()
                .unwrap()
                .sign("v")
        };
        let (by_old, by_new) = (sign(&old), sign(&both.without_fallbacks()));
        // Counters made from the ring the layer starts with, as the docs show.
        let counters = Arc::new(VerifyCounters::new(&old));
        let observer: Arc<dyn VerifyObserver> = counters.clone();
        let handle = RingHandle::new(old.clone());
        let config = Config::new(
            vec![crate::spec::CookieSpec::signring("c", "s")],
            Some(handle.clone()),
            None,
            Options::new().observer(Arc::clone(&observer)),
            Some(observer),
        )
        .unwrap();
        let verify = |wire: &str| config.snapshot().cookies[0].verify(wire, None).is_ok();
        assert!(verify(&by_old));
        // The new key becomes current: the old one is now at index 1.
        handle.update(|ring| ring.rotate(NEW)).unwrap();
        for _ in 0..2 {
            assert!(verify(&by_old));
        }
        for _ in 0..3 {
            assert!(verify(&by_new));
        }
        let report = counters.report();
        assert_eq!(report.keys.len(), 1);
        // The old key's three verifications on its own counter (it used to
        // get the new key's three, and its own two went to `failed`); the
        // new key, which these counters do not know, is counted as failed.
        assert_eq!(report.keys[0].verified, 3, "{report}");
        assert_eq!(report.failed, 3, "{report}");
    }
}
