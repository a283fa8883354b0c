//! `SignerBuilder`: a signer's salt, separator and options, and the key
//! derivation that builds it.

use core::marker::PhantomData;

use super::Signer;
use crate::algorithm::{Algorithm, MacKey};
use crate::clock::MaxAge;
use crate::error::{ConfigError, ConfigResult};
use crate::keyed::KeyedRing;
use crate::options::{Options, option_setters};
use crate::ring::KeyRing;
use crate::verified::Purpose;
#[cfg(doc)]
use crate::version::DjangoVersion;

/// Builds a [`Signer`] or a [`TimestampSigner`](crate::TimestampSigner) with
/// Django's defaults for anything not set.
///
/// # Example
///
/// ```
/// use signring::{Algorithm, DjangoVersion, KeyRing, Signer};
///
/// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let signer = Signer::builder(&ring)
///     .salt("my-salt")
///     .sep("/")
///     .algorithm(Algorithm::Sha512)
///     .django(DjangoVersion::V4_2)
///     .build()?;
/// assert_eq!(signer.sep(), "/");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a builder does nothing until built"]
#[derive(Debug, Clone)]
pub struct SignerBuilder<'r, S> {
    ring: &'r KeyRing,
    pub(crate) salt: String,
    default_salt: &'static str,
    sep: String,
    options: Options,
    legacy_sha1: Option<bool>,
    pub(crate) max_age: Option<MaxAge>,
    kind: PhantomData<fn() -> S>,
}

impl<'r, S> SignerBuilder<'r, S> {
    pub(crate) fn new(ring: &'r KeyRing, default_salt: &'static str) -> Self {
        Self {
            ring,
            salt: String::new(),
            default_salt,
            sep: ":".to_owned(),
            options: Options::new(),
            legacy_sha1: None,
            max_age: None,
            kind: PhantomData,
        }
    }

    /// The salt that separates this use of the keys from every other. As in
    /// Django, an empty salt means the signer's default salt.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::Signer;
    /// let default = Signer::builder(&ring).build()?;
    /// let empty = Signer::builder(&ring).salt("").build()?;
    /// assert_eq!(default.sign("v"), empty.sign("v"));
    /// assert_ne!(default.sign("v"), Signer::builder(&ring).salt("other").build()?.sign("v"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn salt(mut self, salt: impl Into<String>) -> Self {
        self.salt = salt.into();
        self
    }

    /// The separator between value and signature (default `:`). Django refuses a
    /// separator that is empty or made only of `[A-z0-9-_=]` (an ASCII range that
    /// includes `` [\]^_` ``), with one optional trailing newline; so does
    /// [`build`](SignerBuilder::build).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::Signer;
    /// assert!(Signer::builder(&ring).sep("~").build().is_ok());
    /// assert!(Signer::builder(&ring).sep("^").build().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sep(mut self, sep: impl Into<String>) -> Self {
        self.sep = sep.into();
        self
    }

    /// Whether to also accept SHA-1 signatures made with the current key, as
    /// Django 3.1–3.2 do (on by default for [`DjangoVersion::V3_2`] only). Such
    /// values verify as stale. Turning it on for newer versions reads values a
    /// 3.x site wrote before it switched to SHA-256.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{Algorithm, Signer};
    /// let sha1_value = "hello:MslH53VvvHxACk32ND0Vai0uqlg";
    /// let strict = Signer::builder(&ring).build()?;
    /// assert!(strict.unsign(sha1_value).is_err());
    /// let lenient = Signer::builder(&ring).accept_legacy_sha1(true).build()?;
    /// let verified = lenient.unsign(sha1_value)?;
    /// assert_eq!(verified.algorithm(), Algorithm::Sha1);
    /// assert!(verified.is_stale());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept_legacy_sha1(mut self, accept: bool) -> Self {
        self.legacy_sha1 = Some(accept);
        self
    }

    option_setters!();

    fn build_signer(self, kind: &[u8]) -> ConfigResult<Signer> {
        if is_unsafe_separator(&self.sep) {
            return Err(ConfigError::UnsafeSeparator);
        }
        let algorithm = self.options.resolved_algorithm()?;
        let salt = if self.salt.is_empty() {
            self.default_salt.to_owned()
        } else {
            self.salt
        };
        let key_salt = format!("{salt}signer");
        let keys = KeyedRing::derive(self.ring, algorithm, key_salt.as_bytes(), &self.options);
        let legacy = self
            .legacy_sha1
            .unwrap_or(self.options.django.accepts_legacy_sha1())
            && algorithm != Algorithm::Sha1;
        let legacy_sha1 = legacy.then(|| {
            MacKey::derive(
                Algorithm::Sha1,
                key_salt.as_bytes(),
                self.ring.current().as_bytes(),
            )
        });
        Ok(Signer {
            keys,
            legacy_sha1,
            algorithm,
            purpose: Purpose::of(&[kind, salt.as_bytes(), self.sep.as_bytes()]),
            sep: self.sep.into_boxed_str(),
            salt: salt.into_boxed_str(),
            max_payload_size: self.options.max_payload_size,
            max_input_len: self.options.max_input_len,
        })
    }
}

impl SignerBuilder<'_, Signer> {
    /// Derives the keys and builds the signer.
    ///
    /// # Errors
    ///
    /// [`ConfigError::UnsafeSeparator`] for a separator Django refuses;
    /// [`ConfigError::Unsupported`] for an algorithm other than SHA-1 under
    /// Django 2.2, which has no such option.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::Signer::builder(&ring).build()?;
    /// assert_eq!(signer.salt(), "django.core.signing.Signer");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> ConfigResult<Signer> {
        self.build_signer(b"signer")
    }
}

impl<S> SignerBuilder<'_, S> {
    /// Builds the signer underneath another one; `kind` names the outer
    /// signer, so values it verified are re-signed only by its like.
    pub(crate) fn build_inner(self, kind: &[u8]) -> ConfigResult<Signer> {
        self.build_signer(kind)
    }
}

/// Django's separator rule: refuse a separator that fully matches
/// `^[A-z0-9-_=]*$`, where `$` also matches before one trailing newline.
pub(super) fn is_unsafe_separator(sep: &str) -> bool {
    let body = sep.strip_suffix('\n').unwrap_or(sep);
    body.chars()
        .all(|c| matches!(c, 'A'..='z' | '0'..='9' | '-' | '='))
}
