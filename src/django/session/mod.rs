//! Session data as Django's session backends store it.

mod backend;
mod decode;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::algorithm::Algorithm;
use crate::clock::{MaxAge, UnixTime};
use crate::error::{ConfigResult, Error, Result};
use crate::json::{self, Map};
use crate::keyed::KeyedRing;
use crate::options::{Options, option_setters};
use crate::ring::KeyRing;
use crate::timed::TimestampSigner;
use crate::version::DjangoVersion;

pub use backend::{SessionBackend, SessionFormat};
pub use decode::DecodedSession;

/// Django's default `SESSION_COOKIE_AGE`: two weeks, in seconds.
pub const DEFAULT_SESSION_COOKIE_AGE: i64 = 1_209_600;

/// Encodes and decodes session data as one of Django's session backends does.
///
/// | Django | writes | reads |
/// | --- | --- | --- |
/// | 2.2 | legacy | legacy |
/// | 3.2 | signed (legacy when `DEFAULT_HASHING_ALGORITHM = "sha1"`) | signed, then legacy (stale) |
/// | 4.2+ | signed | signed; legacy only with [`read_legacy`](SessionCodecBuilder::read_legacy) |
///
/// The `signed_cookies` backend always uses the signed format, checks
/// `SESSION_COOKIE_AGE`, and its own salt. Keys are tried current first, then the
/// fallbacks, for both formats.
///
/// # Example
///
/// ```
/// use signring::{KeyRing, UnixTime, django::SessionCodec, json};
///
/// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let codec = SessionCodec::builder(&ring).build()?;
/// let session: json::Map = json::from_str(r#"{"a": 1}"#)?;
/// let data = codec.encode_at(&session, UnixTime::from_secs_f64(1_600_000_000.0))?;
/// assert_eq!(data, "eyJhIjoxfQ:1kHR5c:J7IJ7Jd8RbJSZ0QqIeW5ddv6IGcddZoQuEUVxRvttuc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SessionCodec {
    signer: TimestampSigner,
    /// SHA-1 states for the legacy format, one per ring key.
    legacy: KeyedRing,
    /// The legacy format's key salt (`django.contrib.sessions` + class name).
    legacy_salt: Box<str>,
    read_signed: bool,
    read_legacy: bool,
    write_legacy: bool,
}

/// Builds a [`SessionCodec`].
///
/// # Example
///
/// ```
/// use signring::{DjangoVersion, KeyRing, django::{SessionBackend, SessionCodec}};
/// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let codec = SessionCodec::builder(&ring)
///     .backend(SessionBackend::SignedCookies)
///     .session_cookie_age(3600)
///     .django(DjangoVersion::V4_2)
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a builder does nothing until built"]
#[derive(Debug, Clone)]
pub struct SessionCodecBuilder<'r> {
    ring: &'r KeyRing,
    backend: SessionBackend,
    class_name: String,
    options: Options,
    read_legacy: Option<bool>,
    session_cookie_age: i64,
}

impl<'r> SessionCodecBuilder<'r> {
    /// The session backend (default `db`).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::django::{SessionBackend, SessionCodec};
    /// let codec = SessionCodec::builder(&ring).backend(SessionBackend::File).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn backend(mut self, backend: SessionBackend) -> Self {
        self.backend = backend;
        self
    }

    /// The `SessionStore` class name, for custom subclasses (default
    /// `SessionStore`): the salt is `django.contrib.sessions.<name>`, and
    /// `django.contrib.sessions<name>` for the legacy format.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let codec = signring::django::SessionCodec::builder(&ring).session_class("MyStore").build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn session_class(mut self, name: impl Into<String>) -> Self {
        self.class_name = name.into();
        self
    }

    option_setters!();

    /// Whether to read the legacy format (default: under 2.2 and 3.2 only, as
    /// Django does). Turning it on under 4.2+ reads sessions a pre-3.1 site
    /// stored; they decode as stale.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{UnixTime, django::SessionCodec};
    /// let legacy = "YTNiMWFiYTNlNDU2YzgzZDJlNTkyYzFlM2ZkMGY3N2Q4YTM5ZmFiMjp7ImEiOjF9";
    /// assert!(SessionCodec::builder(&ring).build()?.decode_at(legacy, UnixTime::now()).is_err());
    /// let codec = SessionCodec::builder(&ring).read_legacy(true).build()?;
    /// assert!(codec.decode_at(legacy, UnixTime::now())?.record.stale);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_legacy(mut self, read: bool) -> Self {
        self.read_legacy = Some(read);
        self
    }

    /// `SESSION_COOKIE_AGE` in seconds, the `max_age` of the `signed_cookies`
    /// backend (default two weeks). Other backends do not check the timestamp.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let codec = signring::django::SessionCodec::builder(&ring).session_cookie_age(600).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn session_cookie_age(mut self, seconds: i64) -> Self {
        self.session_cookie_age = seconds;
        self
    }

    /// Derives the keys and builds the codec.
    ///
    /// # Errors
    ///
    /// As [`SignerBuilder::build`](crate::SignerBuilder::build).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let codec = signring::django::SessionCodec::builder(&ring).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> ConfigResult<SessionCodec> {
        let cookies = self.backend == SessionBackend::SignedCookies;
        let salt = if cookies {
            "django.contrib.sessions.backends.signed_cookies".to_owned()
        } else {
            format!("django.contrib.sessions.{}", self.class_name)
        };
        let version = self.options.django;
        let mut builder = TimestampSigner::builder(self.ring)
            .salt(salt)
            .options(self.options.clone());
        if cookies {
            builder = builder.max_age(MaxAge::from_secs(self.session_cookie_age));
        }
        let signer = builder.build()?;
        let legacy_salt = format!("django.contrib.sessions{}", self.class_name);
        let legacy = KeyedRing::derive(
            self.ring,
            Algorithm::Sha1,
            legacy_salt.as_bytes(),
            &self.options,
        );
        let sha1 = signer.signer().algorithm() == Algorithm::Sha1;
        Ok(SessionCodec {
            signer,
            legacy,
            legacy_salt: legacy_salt.into_boxed_str(),
            read_signed: cookies || version >= DjangoVersion::V3_2,
            read_legacy: !cookies && self.read_legacy.unwrap_or(version <= DjangoVersion::V3_2),
            write_legacy: !cookies
                && (version == DjangoVersion::V2_2 || (version == DjangoVersion::V3_2 && sha1)),
        })
    }
}

impl SessionCodec {
    /// The time on the codec's clock.
    pub(crate) fn clock_now(&self) -> UnixTime {
        self.signer.signer().clock().now()
    }

    /// A builder for the `db` backend and the newest Django.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let codec = signring::django::SessionCodec::builder(&ring).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(ring: &KeyRing) -> SessionCodecBuilder<'_> {
        SessionCodecBuilder {
            ring,
            backend: SessionBackend::Db,
            class_name: "SessionStore".to_owned(),
            options: Options::new(),
            read_legacy: None,
            session_cookie_age: DEFAULT_SESSION_COOKIE_AGE,
        }
    }

    /// The salt of the signed format: `django.contrib.sessions.<class>`, or
    /// the `signed_cookies` backend's own.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::django::{SessionBackend, SessionCodec};
    /// assert_eq!(SessionCodec::builder(&ring).build()?.salt(), "django.contrib.sessions.SessionStore");
    /// let cookies = SessionCodec::builder(&ring).backend(SessionBackend::SignedCookies).build()?;
    /// assert_eq!(cookies.salt(), "django.contrib.sessions.backends.signed_cookies");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn salt(&self) -> &str {
        self.signer.signer().salt()
    }

    /// What this codec's values are verified for: its signer's salt.
    pub(crate) fn purpose(&self) -> crate::verified::Purpose {
        self.signer.signer().purpose()
    }

    /// The key salt of the legacy (pre-3.1) format: `django.contrib.sessions`
    /// and the class name, without a dot.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let codec = signring::django::SessionCodec::builder(&ring).build()?;
    /// assert_eq!(codec.legacy_salt(), "django.contrib.sessionsSessionStore");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn legacy_salt(&self) -> &str {
        &self.legacy_salt
    }

    /// The format this codec writes.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::django::{SessionCodec, SessionFormat};
    /// assert_eq!(SessionCodec::builder(&ring).build()?.writes(), SessionFormat::Signed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn writes(&self) -> SessionFormat {
        if self.write_legacy {
            SessionFormat::Legacy
        } else {
            SessionFormat::Signed
        }
    }

    /// Encodes `session` with the current key, as the session store's `encode`.
    ///
    /// # Errors
    ///
    /// [`Error::Payload`] if a value cannot be written as JSON.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{django::SessionCodec, json::Map};
    /// let data = SessionCodec::builder(&ring).build()?.encode(&Map::new())?;
    /// assert!(data.starts_with("e30:"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode(&self, session: &Map) -> Result<String> {
        self.encode_at(session, self.signer.signer().clock().now())
    }

    /// Encodes `session` as if the time were `now`.
    ///
    /// # Errors
    ///
    /// As [`encode`](SessionCodec::encode).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{UnixTime, django::SessionCodec, json::Map};
    /// let data = SessionCodec::builder(&ring).build()?.encode_at(&Map::new(), UnixTime::from_secs_f64(0.0))?;
    /// assert!(data.starts_with("e30:0:"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_at(&self, session: &Map, now: UnixTime) -> Result<String> {
        self.encode_with_timestamp(session, now.whole_secs())
    }

    /// Encodes `session` with an explicit timestamp (ignored by the legacy
    /// format), so that re-encoding a changed session keeps its age.
    ///
    /// # Errors
    ///
    /// As [`encode`](SessionCodec::encode).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{UnixTime, django::SessionCodec, json::Map};
    /// let codec = SessionCodec::builder(&ring).build()?;
    /// let data = codec.encode_with_timestamp(&Map::new(), 1_600_000_000)?;
    /// assert_eq!(codec.decode_at(&data, UnixTime::now())?.record.timestamp, Some(1_600_000_000));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_with_timestamp(&self, session: &Map, timestamp: i64) -> Result<String> {
        if self.write_legacy {
            let serialized =
                json::to_vec(session).map_err(|e| Error::Payload(e.into_payload_error()))?;
            let mac = self.legacy.current().tag(&serialized).to_hex();
            let mut raw = Vec::with_capacity(mac.len() + 1 + serialized.len());
            raw.extend_from_slice(mac.as_bytes());
            raw.push(b':');
            raw.extend_from_slice(&serialized);
            return Ok(STANDARD.encode(raw));
        }
        self.signer
            .sign_object_with_timestamp(session, true, timestamp)
    }
}
