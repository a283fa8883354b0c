//! Reading session data in both of Django's formats, with any key of the ring.

use subtle::ConstantTimeEq;

use super::{SessionCodec, SessionFormat};
use crate::algorithm::MacKey;
use crate::clock::UnixTime;
use crate::encoding::python_std_b64decode;
use crate::error::{Error, Malformed, PayloadError, Result};
use crate::json::{self, Map, Value};
use crate::ring::KeyRole;
use crate::verified::{Purpose, Verification};

/// A session that decoded: its data in Django's key order, and how it verified.
///
/// # Example
///
/// ```
/// # use signring::{KeyRing, UnixTime, django::SessionCodec};
/// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let codec = SessionCodec::builder(&ring).build()?;
/// let data = "eyJhIjoxfQ:1kHR5c:J7IJ7Jd8RbJSZ0QqIeW5ddv6IGcddZoQuEUVxRvttuc";
/// let session = codec.decode_at(data, UnixTime::now())?;
/// assert_eq!(signring::json::to_string(&session.session)?, r#"{"a":1}"#);
/// assert!(!session.record.stale);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DecodedSession {
    /// The session dictionary, keys in their stored order.
    pub session: Map,
    /// The format it was stored in.
    pub format: SessionFormat,
    /// How it verified: `stale` when a fallback key verified it, or the
    /// current key with another algorithm or format than the codec writes
    /// (never when a staged key did); `timestamp` for the signed format only.
    pub record: Verification,
    /// The codec that decoded it (its salt), so that only that codec
    /// re-encodes it ([`SessionCodec::rotate_decoded`]).
    pub(crate) purpose: Purpose,
}

impl SessionCodec {
    /// Decodes session data against the current time.
    ///
    /// # Errors
    ///
    /// Where Django's `decode` returns an empty session: [`Error::BadSignature`]
    /// when no key verifies it, [`Error::Malformed`], [`Error::Payload`] when
    /// the verified payload is not a JSON object, and [`Error::Expired`] for a
    /// `signed_cookies` session older than `SESSION_COOKIE_AGE`.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let codec = signring::django::SessionCodec::builder(&ring).build()?;
    /// assert!(codec.decode("not a session").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decode(&self, data: &str) -> Result<DecodedSession> {
        self.decode_at(data, self.signer.signer().clock().now())
    }

    /// Decodes session data as if the time were `now` (for the timestamp and
    /// the keys' expiry alike).
    ///
    /// # Errors
    ///
    /// As [`decode`](SessionCodec::decode).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{UnixTime, django::{SessionCodec, SessionFormat}, json::Map};
    /// let codec = SessionCodec::builder(&ring).build()?;
    /// let now = UnixTime::from_secs_f64(1_600_000_000.0);
    /// let session = codec.decode_at(&codec.encode_at(&Map::new(), now)?, now)?;
    /// assert_eq!((session.format, session.record.timestamp), (SessionFormat::Signed, Some(1_600_000_000)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decode_at(&self, data: &str, now: UnixTime) -> Result<DecodedSession> {
        let signed_error = if self.read_signed {
            match self.signer.unsign_value_at(data, now) {
                Ok(verified) => {
                    let mut record = verified.record().clone();
                    // The codec writes the legacy format: the current key's
                    // signed value would change on re-encoding.
                    record.stale |= record.role == KeyRole::Current && self.write_legacy;
                    let Value::Object(session) = verified.into_value() else {
                        return Err(Error::Payload(PayloadError::Type));
                    };
                    return Ok(DecodedSession {
                        record,
                        format: SessionFormat::Signed,
                        session,
                        purpose: self.purpose(),
                    });
                }
                Err(error) => Some(error),
            }
        } else {
            None
        };
        match (self.read_legacy, signed_error) {
            (false, Some(error)) => Err(error),
            (_, error) => self
                .decode_legacy(data, now)
                .map_err(|legacy_error| match error {
                    // Data without the signed format's separator was meant as legacy.
                    Some(Error::Malformed(Malformed::NoSeparator)) | None => legacy_error,
                    Some(signed_error) => signed_error,
                }),
        }
    }

    /// `base64(hex(mac) ":" json)`, the MAC over the JSON with any ring key.
    fn decode_legacy(&self, data: &str, now: UnixTime) -> Result<DecodedSession> {
        self.signer.signer().check_input_len(data)?;
        if !data.is_ascii() {
            return Err(Error::Payload(PayloadError::Base64));
        }
        let raw =
            python_std_b64decode(data.as_bytes()).ok_or(Error::Payload(PayloadError::Base64))?;
        let colon = raw
            .iter()
            .position(|&b| b == b':')
            .ok_or(Error::Malformed(Malformed::NoSeparator))?;
        let (mac, serialized) = (&raw[..colon], &raw[colon + 1..]);
        let matches = |key: &MacKey| key.tag(serialized).to_hex().as_bytes().ct_eq(mac);
        let record = self
            .legacy
            .verify(now, matches, None, !self.write_legacy)
            .ok_or(Error::BadSignature)?;
        let session =
            json::from_slice(serialized).map_err(|e| Error::Payload(e.into_payload_error()))?;
        Ok(DecodedSession {
            session,
            format: SessionFormat::Legacy,
            record,
            purpose: self.purpose(),
        })
    }
}
