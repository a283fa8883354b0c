//! The tower `Layer`: declared cookies, the rings, the options.

use std::sync::Arc;

use signring::{KeyRing, Options, VerifyObserver};
use tower_layer::Layer;

use crate::cookie_keys::CookieKeyRing;
use crate::error::{BuildError, valid_name};
use crate::ring_handle::RingHandle;
use crate::service::SignedCookieService;
use crate::snapshot::Config;
use crate::spec::CookieSpec;

/// A tower layer that verifies declared signed cookies with a key ring,
/// hands them to handlers ([`Cookies`](crate::Cookies) in the request's
/// extensions), signs what handlers set with the current key, and re-issues
/// cookies an old key verified, with the current key, their timestamp kept
/// and the declared attributes.
///
/// # Example
///
/// ```
/// use signring::KeyRing;
/// use signring_http::{CookieSpec, RingHandle, SignedCookieLayer};
///
/// let ring = RingHandle::new(KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?);
/// let layer = SignedCookieLayer::builder()
///     .ring(ring.clone())
///     .cookie(CookieSpec::django_session())
///     .cookie(CookieSpec::django_signed("prefs").salt("ui"))
///     .build()?;
/// // `ring` rotates it later: ring.update(|r| r.stage(...)), promote, retire.
/// # let _ = layer;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SignedCookieLayer {
    config: Arc<Config>,
}

/// Builds a [`SignedCookieLayer`].
///
/// # Example
///
/// See [`SignedCookieLayer`].
#[must_use = "a builder does nothing until built"]
#[derive(Debug, Default)]
pub struct SignedCookieLayerBuilder {
    specs: Vec<CookieSpec>,
    ring: Option<RingHandle<KeyRing>>,
    cookie_keys: Option<RingHandle<CookieKeyRing>>,
    options: Option<Options>,
    observer: Option<Arc<dyn VerifyObserver>>,
}

impl SignedCookieLayer {
    /// A builder with no cookies and no rings.
    ///
    /// # Example
    ///
    /// See [`SignedCookieLayer`].
    pub fn builder() -> SignedCookieLayerBuilder {
        SignedCookieLayerBuilder::default()
    }
}

impl SignedCookieLayerBuilder {
    /// The ring for the Django and signring formats (Django's `SECRET_KEY`
    /// and `SECRET_KEY_FALLBACKS`; see [`signring::KeyLoader`]).
    ///
    /// # Example
    ///
    /// See [`SignedCookieLayer`].
    pub fn ring(mut self, ring: RingHandle<KeyRing>) -> Self {
        self.ring = Some(ring);
        self
    }

    /// The ring for the `cookie` crate's format.
    ///
    /// # Example
    ///
    /// ```
    /// use signring_http::{CookieKeyRing, CookieSpec, RingHandle, SignedCookieLayer};
    /// let keys = RingHandle::new(CookieKeyRing::new(cookie::Key::from(&[7u8; 64])));
    /// let layer = SignedCookieLayer::builder().cookie_keys(keys).cookie(CookieSpec::cookie_crate("id")).build()?;
    /// # let _ = layer;
    /// # Ok::<(), signring_http::BuildError>(())
    /// ```
    pub fn cookie_keys(mut self, keys: RingHandle<CookieKeyRing>) -> Self {
        self.cookie_keys = Some(keys);
        self
    }

    /// Declares a cookie.
    ///
    /// # Example
    ///
    /// See [`SignedCookieLayer`].
    pub fn cookie(mut self, spec: CookieSpec) -> Self {
        self.specs.push(spec);
        self
    }

    /// The options every signer is built with: Django version (default: the
    /// newest), algorithm, clock (the layer also computes `Max-Age` on it),
    /// `try_every_key`, limits. An observer given here sees the Django and
    /// signring formats, with key indexes as each request's ring numbers
    /// them; give it to [`observer`](Self::observer) instead to see the
    /// `cookie` crate's format too, with indexes that survive hot swaps.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{DjangoVersion, Options};
    /// let builder = signring_http::SignedCookieLayer::builder().options(Options::new().django(DjangoVersion::V4_2));
    /// # let _ = builder;
    /// ```
    pub fn options(mut self, options: Options) -> Self {
        self.options = Some(options);
        self
    }

    /// Reports every verification, of every format, to `observer` (for
    /// example a [`signring::VerifyCounters`]). Key indexes stay with their
    /// key across hot swaps: a key of the ring the layer was built with keeps
    /// its position in that ring, and a key staged later gets the next free
    /// index (the `cookie` crate's ring numbers its keys on its own). So
    /// counters made from the ring given to the layer count its keys right
    /// after any stage, promote or retire; keys added later are past their
    /// end (`VerifyCounters` counts those as `failed`).
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use signring::{KeyRing, VerifyCounters};
    /// let ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
    /// let counters = Arc::new(VerifyCounters::new(&ring));
    /// let builder = signring_http::SignedCookieLayer::builder().observer(counters.clone());
    /// # let _ = builder;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn observer(mut self, observer: Arc<dyn VerifyObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Checks the declarations and derives the keys.
    ///
    /// # Errors
    ///
    /// [`BuildError`]: a bad or duplicate name, a format without its ring,
    /// transparent mode on a non-text format, or a signer configuration
    /// error.
    ///
    /// # Example
    ///
    /// See [`SignedCookieLayer`].
    pub fn build(self) -> Result<SignedCookieLayer, BuildError> {
        for (i, spec) in self.specs.iter().enumerate() {
            let name = spec.name();
            if !valid_name(name) {
                return Err(BuildError::BadName(name.to_owned()));
            }
            if self.specs[..i].iter().any(|s| s.name() == name) {
                return Err(BuildError::Duplicate(name.to_owned()));
            }
            if spec.is_transparent() && !spec.format().is_text() {
                return Err(BuildError::NotText(name.to_owned()));
            }
        }
        let mut options = self.options.unwrap_or_default();
        if let Some(observer) = &self.observer {
            options = options.observer(Arc::clone(observer));
        }
        let config = Config::new(
            self.specs,
            self.ring,
            self.cookie_keys,
            options,
            self.observer,
        )?;
        Ok(SignedCookieLayer {
            config: Arc::new(config),
        })
    }
}

impl<S> Layer<S> for SignedCookieLayer {
    type Service = SignedCookieService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SignedCookieService::new(inner, Arc::clone(&self.config))
    }
}
