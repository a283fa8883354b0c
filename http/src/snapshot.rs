//! The layer's declared cookies compiled against the rings of the moment,
//! re-compiled when a ring handle publishes a new ring.

use std::sync::{Arc, PoisonError, RwLock};

use signring::{KeyRing, Options, VerifyObserver};

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
        let cookies = self
            .specs
            .iter()
            .map(|spec| {
                Compiled::build(
                    spec,
                    ring.as_deref(),
                    cookie_keys.as_ref(),
                    &self.options,
                    self.observer.as_ref(),
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(Snapshot {
            cookies,
            ring,
            cookie_keys,
            any_transparent: self.any_transparent,
            options: self.options.clone(),
            observer: self.observer.clone(),
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
