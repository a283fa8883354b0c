//! `TimestampSigner`: Django's signer with a base62 timestamp and `max_age`.

use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::clock::{MaxAge, UnixTime};
use crate::encoding::{b62_decode, b62_encode};
use crate::error::{ConfigResult, Error, Malformed, Result};
use crate::object;
use crate::ring::KeyRing;
use crate::signer::{Signer, SignerBuilder};
use crate::verified::Verified;

/// The default salt of Django's `TimestampSigner`.
pub const TIMESTAMP_SIGNER_SALT: &str = "django.core.signing.TimestampSigner";

/// The salt of Django's `signing.dumps` / `signing.loads`. Note the trap: an
/// *empty* salt given to `dumps` means [`TIMESTAMP_SIGNER_SALT`], not this.
pub const DUMPS_SALT: &str = "django.core.signing";

/// Signs values with the time they were signed: `value SEP b62(time) SEP
/// signature`, the signature covering `value SEP b62(time)`.
///
/// As in Django, the signature is checked first (a bad signature is reported
/// as such even when the value is also too old), timestamps from the future are
/// accepted, and a value expires when `now - timestamp > max_age`.
///
/// # Example
///
/// ```
/// use signring::{Error, KeyRing, MaxAge, TimestampSigner, UnixTime};
///
/// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let signer = TimestampSigner::builder(&ring).max_age(MaxAge::from_secs(60)).build()?;
/// let signed = signer.sign_at("hello", UnixTime::from_secs_f64(1_600_000_000.0));
/// assert_eq!(signed, "hello:1kHR5c:aMRrzr6bANWDtXY3HAeWgJcobDJ8paHVWqpOfg1YO-Y");
///
/// let verified = signer.unsign_at(&signed, UnixTime::from_secs_f64(1_600_000_060.0))?;
/// assert_eq!(*verified.value(), "hello");
/// let too_late = signer.unsign_at(&signed, UnixTime::from_secs_f64(1_600_000_060.5));
/// assert!(matches!(too_late, Err(Error::Expired { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct TimestampSigner {
    signer: Signer,
    max_age: Option<MaxAge>,
}

impl<'r> SignerBuilder<'r, TimestampSigner> {
    /// The oldest a value may be when verified (default: no limit, as in
    /// Django's `unsign(value)` without `max_age`).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{MaxAge, TimestampSigner};
    /// use std::time::Duration;
    /// let signer = TimestampSigner::builder(&ring).max_age(Duration::from_secs(3600)).build()?;
    /// assert_eq!(signer.max_age(), Some(MaxAge::from_secs(3600)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_age(mut self, max_age: impl Into<MaxAge>) -> Self {
        self.max_age = Some(max_age.into());
        self
    }

    /// Derives the keys and builds the signer.
    ///
    /// # Errors
    ///
    /// As [`SignerBuilder::build`](crate::SignerBuilder::build).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::TimestampSigner::builder(&ring).build()?;
    /// assert_eq!(signer.signer().salt(), "django.core.signing.TimestampSigner");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> ConfigResult<TimestampSigner> {
        let max_age = self.max_age;
        Ok(TimestampSigner {
            signer: self.build_inner(b"timestamp")?,
            max_age,
        })
    }
}

impl TimestampSigner {
    /// A builder with Django's `TimestampSigner` defaults: salt
    /// `django.core.signing.TimestampSigner`, separator `:`, no `max_age`.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{TimestampSigner, DUMPS_SALT};
    /// // Django's signing.dumps / signing.loads:
    /// let dumps = TimestampSigner::builder(&ring).salt(DUMPS_SALT).build()?;
    /// let signed = dumps.sign_object_at(&[("a", 1)].into_iter().collect::<std::collections::BTreeMap<_, _>>(),
    ///                                   false, signring::UnixTime::from_secs_f64(1_600_000_000.0))?;
    /// assert_eq!(signed, "eyJhIjoxfQ:1kHR5c:xqJlJyiwrrULZIShPCalrQd94qE-JNfsH6uex_ETIZo");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(ring: &KeyRing) -> SignerBuilder<'_, TimestampSigner> {
        SignerBuilder::new(ring, TIMESTAMP_SIGNER_SALT)
    }

    /// The plain signer underneath, for its salt, separator and algorithm.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::TimestampSigner::builder(&ring).sep("/").build()?;
    /// assert_eq!(signer.signer().sep(), "/");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The configured `max_age`, if any.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// assert_eq!(signring::TimestampSigner::builder(&ring).build()?.max_age(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn max_age(&self) -> Option<MaxAge> {
        self.max_age
    }

    /// Signs `value` with the current time.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::TimestampSigner::builder(&ring).build()?;
    /// assert_eq!(*signer.unsign(&signer.sign("v"))?.value(), "v");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sign(&self, value: &str) -> String {
        self.sign_at(value, self.signer.clock().now())
    }

    /// Signs `value` as if the time were `now` (truncated to whole seconds).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{TimestampSigner, UnixTime};
    /// let signer = TimestampSigner::builder(&ring).build()?;
    /// assert!(signer.sign_at("v", UnixTime::from_secs_f64(61.9)).starts_with("v:z:"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sign_at(&self, value: &str, now: UnixTime) -> String {
        self.sign_with_timestamp(value, now.whole_secs())
    }

    /// Signs `value` with an explicit timestamp in Unix seconds.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::TimestampSigner::builder(&ring).build()?;
    /// assert!(signer.sign_with_timestamp("v", 62).starts_with("v:10:"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sign_with_timestamp(&self, value: &str, timestamp: i64) -> String {
        let timestamp = b62_encode(timestamp);
        let sep = self.signer.sep();
        let mut message = String::with_capacity(value.len() + sep.len() + timestamp.len());
        message.push_str(value);
        message.push_str(sep);
        message.push_str(&timestamp);
        self.signer.sign(&message)
    }

    /// Verifies `signed` against the current time and the configured `max_age`.
    ///
    /// # Errors
    ///
    /// [`Error::BadSignature`] or [`Malformed::NoSeparator`] as for
    /// [`Signer::unsign`]; then [`Malformed::NoTimestamp`] or
    /// [`Malformed::BadTimestamp`] for a validly signed value without a usable
    /// timestamp; then [`Error::Expired`].
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::TimestampSigner::builder(&ring).max_age(std::time::Duration::from_secs(60)).build()?;
    /// assert!(signer.unsign(&signer.sign("v")).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unsign<'a>(&self, signed: &'a str) -> Result<Verified<'a, &'a str>> {
        self.unsign_at(signed, self.signer.clock().now())
    }

    /// Verifies `signed` as if the time were `now`.
    ///
    /// # Errors
    ///
    /// As [`unsign`](TimestampSigner::unsign).
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{Error, MaxAge, TimestampSigner, UnixTime};
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = TimestampSigner::builder(&ring).max_age(MaxAge::from_secs(10)).build()?;
    /// let signed = signer.sign_at("v", UnixTime::from_secs_f64(100.0));
    /// assert!(signer.unsign_at(&signed, UnixTime::from_secs_f64(110.0)).is_ok(), "age == max_age is fine");
    /// assert_eq!(signer.unsign_at(&signed, UnixTime::from_secs_f64(111.0)).unwrap_err(),
    ///            Error::Expired { age: 11.0, max_age: 10.0 });
    /// assert!(signer.unsign_at(&signed, UnixTime::from_secs_f64(0.0)).is_ok(), "future timestamps pass");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unsign_at<'a>(&self, signed: &'a str, now: UnixTime) -> Result<Verified<'a, &'a str>> {
        let (message, found) = self.signer.verify(signed, now)?;
        let (value, timestamp) = self.check_timestamp(message, now)?;
        Ok(self
            .signer
            .verified(value, signed, message, found)
            .with_timestamp(timestamp))
    }

    /// Serializes, optionally compresses and signs `value` with the current time:
    /// Django's `TimestampSigner.sign_object`, and `signing.dumps` when the salt
    /// is [`DUMPS_SALT`].
    ///
    /// # Errors
    ///
    /// As [`Signer::sign_object`].
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::TimestampSigner::builder(&ring).salt(signring::DUMPS_SALT).build()?;
    /// let signed = signer.sign_object(&vec!["a"; 100], true)?;
    /// assert!(signed.starts_with('.'), "compressed payloads carry a '.' marker");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign_object<T: Serialize + ?Sized>(&self, value: &T, compress: bool) -> Result<String> {
        self.sign_object_at(value, compress, self.signer.clock().now())
    }

    /// Like [`sign_object`](TimestampSigner::sign_object), as if the time were
    /// `now`.
    ///
    /// # Errors
    ///
    /// As [`Signer::sign_object`].
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{TimestampSigner, UnixTime, DUMPS_SALT};
    /// let signer = TimestampSigner::builder(&ring).salt(DUMPS_SALT).build()?;
    /// let signed = signer.sign_object_at(&(0..30).collect::<Vec<_>>(), true, UnixTime::from_secs_f64(1_600_000_000.0))?;
    /// assert_eq!(signed, ".eJwNy8kNACEQA8GE-oHNXMSCNv80lm9JdRfCbIKkaIaDHgoZbRQoUaFGgw5e-B3jjQMnLtx48Pl-gH4Pug:1kHR5c:4IChT3ItwVSY12l3FRYIY0Js3RuZr15ymJ0_ZSzOsRw");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign_object_at<T: Serialize + ?Sized>(
        &self,
        value: &T,
        compress: bool,
        now: UnixTime,
    ) -> Result<String> {
        Ok(self.sign_at(&object::encode(value, compress)?, now))
    }

    /// Serializes and signs `value` with an explicit timestamp, for re-encoding
    /// a changed object without extending its lifetime.
    ///
    /// # Errors
    ///
    /// As [`Signer::sign_object`].
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::TimestampSigner::builder(&ring).build()?;
    /// let signed = signer.sign_object_with_timestamp(&1, false, 1_600_000_000)?;
    /// assert_eq!(signer.unsign_object::<u8>(&signed)?.timestamp(), Some(1_600_000_000));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign_object_with_timestamp<T: Serialize + ?Sized>(
        &self,
        value: &T,
        compress: bool,
        timestamp: i64,
    ) -> Result<String> {
        Ok(self.sign_with_timestamp(&object::encode(value, compress)?, timestamp))
    }

    /// Verifies `signed` against the current time, then decodes its payload:
    /// Django's `unsign_object`, and `signing.loads` with [`DUMPS_SALT`].
    ///
    /// # Errors
    ///
    /// As [`unsign`](TimestampSigner::unsign), then [`Error::Payload`].
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::TimestampSigner::builder(&ring).build()?;
    /// let signed = signer.sign_object(&("a", 1), false)?;
    /// assert_eq!(signer.unsign_object::<(String, u8)>(&signed)?.into_value(), ("a".into(), 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unsign_object<'a, T: DeserializeOwned>(
        &self,
        signed: &'a str,
    ) -> Result<Verified<'a, T>> {
        self.unsign_object_at(signed, self.signer.clock().now())
    }

    /// Like [`unsign_object`](TimestampSigner::unsign_object), as if the time
    /// were `now`.
    ///
    /// # Errors
    ///
    /// As [`unsign_object`](TimestampSigner::unsign_object).
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{json::Value, TimestampSigner, UnixTime, DUMPS_SALT};
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = TimestampSigner::builder(&ring).salt(DUMPS_SALT).build()?;
    /// let verified = signer.unsign_object_at::<Value>(
    ///     "eyJhIjoxfQ:1kHR5c:xqJlJyiwrrULZIShPCalrQd94qE-JNfsH6uex_ETIZo",
    ///     UnixTime::from_secs_f64(1_700_000_000.0),
    /// )?;
    /// assert_eq!(verified.value()["a"], Value::Integer(1));
    /// assert_eq!(verified.timestamp(), Some(1_600_000_000));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unsign_object_at<'a, T: DeserializeOwned>(
        &self,
        signed: &'a str,
        now: UnixTime,
    ) -> Result<Verified<'a, T>> {
        let (message, found) = self.signer.verify(signed, now)?;
        let (payload, timestamp) = self.check_timestamp(message, now)?;
        let value = object::decode(payload, self.signer.max_payload_size())?;
        Ok(self
            .signer
            .verified(value, signed, message, found)
            .with_timestamp(timestamp))
    }

    /// [`unsign_object_at`](TimestampSigner::unsign_object_at) into Django's
    /// JSON tree ([`json::Value`](crate::json::Value)) without a serde pass:
    /// the fastest way to read a payload of unknown shape, as Django's `loads`
    /// returns a dict.
    ///
    /// # Errors
    ///
    /// As [`unsign_object_at`](TimestampSigner::unsign_object_at).
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{json::Value, TimestampSigner, UnixTime, DUMPS_SALT};
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = TimestampSigner::builder(&ring).salt(DUMPS_SALT).build()?;
    /// let verified = signer.unsign_value_at(
    ///     "eyJhIjoxfQ:1kHR5c:xqJlJyiwrrULZIShPCalrQd94qE-JNfsH6uex_ETIZo",
    ///     UnixTime::from_secs_f64(1_700_000_000.0),
    /// )?;
    /// assert_eq!(verified.value()["a"], Value::Integer(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unsign_value_at<'a>(
        &self,
        signed: &'a str,
        now: UnixTime,
    ) -> Result<Verified<'a, crate::json::Value>> {
        let (message, found) = self.signer.verify(signed, now)?;
        let (payload, timestamp) = self.check_timestamp(message, now)?;
        let value = object::decode_value(payload, self.signer.max_payload_size())?;
        Ok(self
            .signer
            .verified(value, signed, message, found)
            .with_timestamp(timestamp))
    }

    /// Re-signs a stale value with the current key and algorithm, keeping its
    /// original timestamp, so the fresh value expires when the old one would
    /// have. A value that is not stale comes back as it was.
    ///
    /// # Errors
    ///
    /// [`Error::OtherSigner`] when `verified` came from another signer.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, TimestampSigner, UnixTime};
    ///
    /// let old_ring = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let old = TimestampSigner::builder(&old_ring).build()?;
    /// let signed = old.sign_at("v", UnixTime::from_secs_f64(1_600_000_000.0));
    ///
    /// let mut ring = old_ring.clone();
    /// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let signer = TimestampSigner::builder(&ring).build()?;
    /// let verified = signer.unsign(&signed)?;
    /// let fresh = signer.resign(&verified)?;
    /// let again = signer.unsign(&fresh)?;
    /// assert!(!again.is_stale());
    /// assert_eq!(again.timestamp(), Some(1_600_000_000));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resign<T>(&self, verified: &Verified<'_, T>) -> Result<String> {
        self.signer.resign(verified)
    }

    /// Splits the verified text into value and timestamp and applies `max_age`.
    fn check_timestamp<'a>(&self, message: &'a str, now: UnixTime) -> Result<(&'a str, i64)> {
        let (value, timestamp) = message
            .rsplit_once(self.signer.sep())
            .ok_or(Error::Malformed(Malformed::NoTimestamp))?;
        let timestamp = b62_decode(timestamp).ok_or(Error::Malformed(Malformed::BadTimestamp))?;
        if let Some(max_age) = self.max_age {
            // Django: `age = time.time() - timestamp; if age > max_age: raise`.
            // Python's `float - int` rounds the int to the nearest float, as
            // `as` does (exact within 2^53 s); i64 has no `From` for f64.
            #[allow(clippy::cast_precision_loss)]
            let age = now.as_secs_f64() - timestamp as f64;
            if age > max_age.as_secs_f64() {
                return Err(Error::Expired {
                    age,
                    max_age: max_age.as_secs_f64(),
                });
            }
        }
        Ok((value, timestamp))
    }
}

impl fmt::Debug for TimestampSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimestampSigner")
            .field("signer", &self.signer)
            .field("max_age", &self.max_age)
            .finish()
    }
}
