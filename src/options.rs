//! The one set of options every signer and Django adapter is built with.

use core::fmt;
use std::sync::Arc;

use crate::algorithm::Algorithm;
use crate::clock::{Clock, SystemClock, UnixTime};
use crate::error::ConfigError;
use crate::observe::VerifyObserver;
use crate::signer::{DEFAULT_MAX_INPUT_LEN, DEFAULT_MAX_PAYLOAD_SIZE};
use crate::version::DjangoVersion;

/// How values are signed and verified, shared by [`Signer`](crate::Signer),
/// [`TimestampSigner`](crate::TimestampSigner) and every Django adapter: the
/// Django release on the other side, the algorithm, the clock, the observer,
/// whether every key is tried, and the input limits.
///
/// Build it once and hand it to every builder with `.options(..)`; each
/// builder also has a setter per option for one-off changes.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use signring::{DjangoVersion, KeyRing, Options, Signer, TimestampSigner, VerifyCounters};
///
/// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let counters = Arc::new(VerifyCounters::new(&ring));
/// let options = Options::new().django(DjangoVersion::V4_2).observer(counters.clone());
/// let signer = Signer::builder(&ring).options(options.clone()).build()?;
/// let timed = TimestampSigner::builder(&ring).options(options).build()?;
/// let _ = signer.unsign(&signer.sign("a"))?;
/// let _ = timed.unsign(&timed.sign("b"))?;
/// assert_eq!(counters.report().keys[0].verified, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "options do nothing until given to a builder"]
#[derive(Clone)]
pub struct Options {
    pub(crate) django: DjangoVersion,
    pub(crate) algorithm: Option<Algorithm>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) observer: Option<Arc<dyn VerifyObserver>>,
    pub(crate) try_every_key: bool,
    pub(crate) max_input_len: usize,
    pub(crate) max_payload_size: usize,
}

impl Options {
    /// Django's defaults for the newest release, the system clock, no
    /// observer, first match wins, 4 MiB inputs and 16 MiB payloads.
    ///
    /// # Example
    ///
    /// ```
    /// let options = signring::Options::new();
    /// assert_eq!(options.django_version(), signring::DjangoVersion::default());
    /// ```
    pub fn new() -> Self {
        Self {
            django: DjangoVersion::default(),
            algorithm: None,
            clock: Arc::new(SystemClock),
            observer: None,
            try_every_key: false,
            max_input_len: DEFAULT_MAX_INPUT_LEN,
            max_payload_size: DEFAULT_MAX_PAYLOAD_SIZE,
        }
    }

    /// The Django release on the other side (default: the newest). It sets
    /// the default algorithm and which legacy formats are read.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{DjangoVersion, KeyRing, Options, Signer};
    /// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = Signer::builder(&ring).options(Options::new().django(DjangoVersion::V2_2)).build()?;
    /// assert_eq!(signer.sign("hello"), "hello:MslH53VvvHxACk32ND0Vai0uqlg");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn django(mut self, version: DjangoVersion) -> Self {
        self.django = version;
        self
    }

    /// The hash algorithm (default: the Django release's, SHA-256 from 3.1).
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{Algorithm, Options};
    /// assert_eq!(Options::new().algorithm(Algorithm::Sha1).algorithm_choice(), Some(Algorithm::Sha1));
    /// ```
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = Some(algorithm);
        self
    }

    /// The clock that key expiry, `max_age` and new timestamps read (default:
    /// [`SystemClock`]).
    ///
    /// # Example
    ///
    /// See [`Clock`].
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// [`clock`](Options::clock) for a clock already shared behind an `Arc`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use signring::{Clock, FixedClock, Options, UnixTime};
    /// let clock: Arc<dyn Clock> = Arc::new(FixedClock::new(UnixTime::from_secs_f64(5.0)));
    /// assert_eq!(Options::new().shared_clock(clock).now(), UnixTime::from_secs_f64(5.0));
    /// ```
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Reports every verification to `observer` (see
    /// [`VerifyCounters`](crate::VerifyCounters)): signers and every Django
    /// adapter report, so a fallback whose count stops growing can be retired.
    ///
    /// # Example
    ///
    /// See [`Options`].
    pub fn observer(mut self, observer: Arc<dyn VerifyObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Whether to compute every key's signature before deciding, so that the
    /// time taken does not reveal *which* key matched (default: stop at the
    /// first match, as Django does).
    ///
    /// # Example
    ///
    /// ```
    /// assert!(signring::Options::new().try_every_key(true).tries_every_key());
    /// ```
    pub fn try_every_key(mut self, every: bool) -> Self {
        self.try_every_key = every;
        self
    }

    /// The longest signed input accepted (default 4 MiB); longer inputs are
    /// refused before any HMAC is computed.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::Options::new().max_input_len(64).input_limit(), 64);
    /// ```
    pub fn max_input_len(mut self, bytes: usize) -> Self {
        self.max_input_len = bytes;
        self
    }

    /// The largest decompressed payload accepted (default 16 MiB); larger
    /// payloads are refused without being inflated past the limit.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::Options::new().max_payload_size(100).payload_limit(), 100);
    /// ```
    pub fn max_payload_size(mut self, bytes: usize) -> Self {
        self.max_payload_size = bytes;
        self
    }

    /// The Django release.
    ///
    /// # Example
    ///
    /// See [`Options::new`].
    #[must_use]
    pub fn django_version(&self) -> DjangoVersion {
        self.django
    }

    /// The algorithm chosen, if any (otherwise the release's default).
    ///
    /// # Example
    ///
    /// See [`Options::algorithm`].
    #[must_use]
    pub fn algorithm_choice(&self) -> Option<Algorithm> {
        self.algorithm
    }

    /// The time on the configured clock.
    ///
    /// # Example
    ///
    /// See [`Options::shared_clock`].
    #[must_use]
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    /// Whether every key is tried.
    ///
    /// # Example
    ///
    /// See [`Options::try_every_key`].
    #[must_use]
    pub fn tries_every_key(&self) -> bool {
        self.try_every_key
    }

    /// The input limit in bytes.
    ///
    /// # Example
    ///
    /// See [`Options::max_input_len`].
    #[must_use]
    pub fn input_limit(&self) -> usize {
        self.max_input_len
    }

    /// The payload limit in bytes.
    ///
    /// # Example
    ///
    /// See [`Options::max_payload_size`].
    #[must_use]
    pub fn payload_limit(&self) -> usize {
        self.max_payload_size
    }
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("django", &self.django)
            .field("algorithm", &self.algorithm)
            .field("clock", &self.clock)
            .field("observer", &self.observer.is_some())
            .field("try_every_key", &self.try_every_key)
            .field("max_input_len", &self.max_input_len)
            .field("max_payload_size", &self.max_payload_size)
            .finish()
    }
}

/// The setters every builder shares, each changing that builder's
/// [`Options`]. `$doc_builder` is a path expression building one with `ring`.
macro_rules! option_setters {
    () => {
        /// Replaces every option at once (see [`Options`](crate::Options)).
        pub fn options(mut self, options: $crate::Options) -> Self {
            self.options = options;
            self
        }

        /// The Django release on the other side (see
        /// [`Options::django`](crate::Options::django)).
        pub fn django(mut self, version: $crate::DjangoVersion) -> Self {
            self.options = self.options.django(version);
            self
        }

        /// The hash algorithm (see
        /// [`Options::algorithm`](crate::Options::algorithm)).
        pub fn algorithm(mut self, algorithm: $crate::Algorithm) -> Self {
            self.options = self.options.algorithm(algorithm);
            self
        }

        /// The clock (see [`Options::clock`](crate::Options::clock)).
        pub fn clock(mut self, clock: impl $crate::Clock + 'static) -> Self {
            self.options = self.options.clock(clock);
            self
        }

        /// The observer (see [`Options::observer`](crate::Options::observer)).
        pub fn observer(mut self, observer: ::std::sync::Arc<dyn $crate::VerifyObserver>) -> Self {
            self.options = self.options.observer(observer);
            self
        }

        /// Whether every key is tried (see
        /// [`Options::try_every_key`](crate::Options::try_every_key)).
        pub fn try_every_key(mut self, every: bool) -> Self {
            self.options = self.options.try_every_key(every);
            self
        }

        /// The input limit (see
        /// [`Options::max_input_len`](crate::Options::max_input_len)).
        pub fn max_input_len(mut self, bytes: usize) -> Self {
            self.options = self.options.max_input_len(bytes);
            self
        }

        /// The payload limit (see
        /// [`Options::max_payload_size`](crate::Options::max_payload_size)).
        pub fn max_payload_size(mut self, bytes: usize) -> Self {
            self.options = self.options.max_payload_size(bytes);
            self
        }
    };
}
pub(crate) use option_setters;

impl Options {
    /// The algorithm to sign with: the chosen one, or the release's default.
    /// Django 2.2 has no `algorithm` option and only signs with SHA-1.
    pub(crate) fn resolved_algorithm(&self) -> Result<Algorithm, ConfigError> {
        match self.algorithm {
            Some(algorithm)
                if !self.django.has_algorithm_option() && algorithm != Algorithm::Sha1 =>
            {
                Err(ConfigError::Unsupported("algorithm other than sha1"))
            }
            Some(algorithm) => Ok(algorithm),
            None => Ok(self.django.default_algorithm()),
        }
    }
}
