//! Errors, split by phase: [`ConfigError`] when building a ring, a signer or
//! an adapter; [`Error`] when verifying.

use core::fmt;

/// Everything that can go wrong while verifying (and re-signing) a value.
/// Building a ring, signer or adapter fails only with [`ConfigError`], so a
/// caller tells a setup mistake from a bad value by the type.
///
/// Messages are lower-case and never contain the signed value, the signature,
/// the payload or any key, so an `Error` is safe to log.
///
/// # Example
///
/// ```
/// use signring::{Error, KeyRing};
///
/// let ring = KeyRing::new("a-secret-key-of-at-least-fifty-characters-0123456789")?;
/// let err = ring.unsign("hello:not-a-signature").unwrap_err();
/// assert!(matches!(err, Error::BadSignature));
/// assert_eq!(err.to_string(), "bad signature");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No key in the ring produced the signature (Django's `BadSignature`).
    #[error("bad signature")]
    BadSignature,
    /// The value was verified, but its timestamp is older than `max_age` (Django's
    /// `SignatureExpired`). Only reported after the signature checks out.
    #[error("signature expired: age {age} s > max_age {max_age} s")]
    Expired {
        /// Seconds between the timestamp and the time of the check.
        age: f64,
        /// The largest accepted age, in seconds.
        max_age: f64,
    },
    /// The input does not have the shape of a signed value.
    #[error("malformed input: {0}")]
    Malformed(Malformed),
    /// The signature is valid but the object payload cannot be decoded.
    #[error("bad payload: {0}")]
    Payload(PayloadError),
    /// A value was handed for re-signing to a signer other than the one that
    /// verified it (another salt, separator or kind): re-signing it would
    /// move it to another purpose.
    #[error("the value was verified by another signer; re-sign it with that one")]
    OtherSigner,
    /// The operation has no result Django could produce (for example a
    /// password-reset token for a clock before 2001).
    #[error("not possible: {0}")]
    Unsupported(&'static str),
}

impl Error {
    /// Whether no key verified the signature.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::new("a-secret-key-of-at-least-fifty-characters-0123456789")?;
    /// assert!(ring.unsign("v:AAAA").unwrap_err().is_bad_signature());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_bad_signature(&self) -> bool {
        matches!(self, Self::BadSignature)
    }

    /// Whether the signature checked out but the value is too old.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, MaxAge, TimestampSigner, UnixTime};
    /// let ring = KeyRing::new("a-secret-key-of-at-least-fifty-characters-0123456789")?;
    /// let signer = TimestampSigner::builder(&ring).max_age(MaxAge::from_secs(1)).build()?;
    /// let signed = signer.sign_at("v", UnixTime::from_secs_f64(0.0));
    /// assert!(signer.unsign_at(&signed, UnixTime::from_secs_f64(5.0)).unwrap_err().is_expired());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_expired(&self) -> bool {
        matches!(self, Self::Expired { .. })
    }
}

/// Why an input was [`Error::Malformed`].
///
/// # Example
///
/// ```
/// use signring::{Error, KeyRing, Malformed};
///
/// let ring = KeyRing::new("a-secret-key-of-at-least-fifty-characters-0123456789")?;
/// assert_eq!(ring.unsign("no-separator"), Err(Error::Malformed(Malformed::NoSeparator)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// The separator does not occur in the input (Django raises `BadSignature`).
    NoSeparator,
    /// A validly signed value has no timestamp field (Django raises `ValueError`).
    NoTimestamp,
    /// A validly signed timestamp is not base62 (Django raises `ValueError`).
    BadTimestamp,
    /// A password-reset token is not `base36-hash`.
    Token,
    /// The input is longer than the signer accepts.
    TooLong {
        /// The configured limit in bytes.
        limit: usize,
    },
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSeparator => f.write_str("separator not found"),
            Self::NoTimestamp => f.write_str("timestamp not found"),
            Self::BadTimestamp => f.write_str("timestamp is not a base62 integer"),
            Self::Token => f.write_str("token is not base36-hash"),
            Self::TooLong { limit } => write!(f, "input longer than {limit} bytes"),
        }
    }
}

/// Why a verified object payload could not be decoded ([`Error::Payload`]).
///
/// # Example
///
/// ```
/// use signring::{Error, PayloadError, Signer, KeyRing};
///
/// let ring = KeyRing::new("a-secret-key-of-at-least-fifty-characters-0123456789")?;
/// let signer = Signer::builder(&ring).build()?;
/// // A validly signed value whose payload is not base64-encoded JSON.
/// let signed = signer.sign("!!!");
/// let err = signer.unsign_object::<u32>(&signed).unwrap_err();
/// assert!(matches!(err, Error::Payload(PayloadError::Json { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload is not base64 (Python's `binascii.Error`).
    Base64,
    /// The payload is not a valid zlib stream (Python's `zlib.error`).
    Zlib,
    /// The decompressed payload would exceed the configured limit.
    TooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The payload is not JSON that Python's `json` module reads.
    Json {
        /// What the parser expected.
        reason: &'static str,
        /// Byte offset into the decoded payload.
        offset: usize,
    },
    /// The JSON does not fit the requested Rust type. The details are dropped on
    /// purpose: serde's messages quote the offending value.
    Type,
    /// The value cannot be written as Django's JSON (a map key that is not a
    /// string, number, bool or null).
    Serialize,
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Base64 => f.write_str("payload is not base64"),
            Self::Zlib => f.write_str("payload is not a zlib stream"),
            Self::TooLarge { limit } => write!(f, "decompressed payload exceeds {limit} bytes"),
            Self::Json { reason, offset } => write!(f, "json: {reason} at byte {offset}"),
            Self::Type => f.write_str("json does not match the requested type"),
            Self::Serialize => f.write_str("value cannot be serialized as django json"),
        }
    }
}

/// Why a ring, signer or adapter could not be built: the only error building
/// returns.
///
/// # Example
///
/// ```
/// use signring::{ConfigError, KeyRing, Signer};
///
/// let ring = KeyRing::new("a-secret-key-of-at-least-fifty-characters-0123456789")?;
/// let err = Signer::builder(&ring).sep("a").build().unwrap_err();
/// assert_eq!(err, ConfigError::UnsafeSeparator);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A secret key is empty (Django refuses to start).
    EmptyKey,
    /// The same key is in the ring twice.
    DuplicateKey,
    /// The current key is past its `not_after`.
    CurrentKeyExpired,
    /// [`KeyRing::promote`](crate::KeyRing::promote) found no staged key.
    NothingStaged,
    /// A key fails Django's checks (named by its setting, never shown).
    WeakKey(String),
    /// A key source (environment, file) is missing or malformed; the message
    /// names the source, never a key.
    Source(String),
    /// The separator is empty or only made of `[A-z0-9-_=]` (Django's rule).
    UnsafeSeparator,
    /// The algorithm name is not one signring supports.
    UnknownAlgorithm,
    /// The Django version name is not one signring models.
    UnknownDjangoVersion,
    /// The Django version has no such option (for example `algorithm` in 2.2).
    Unsupported(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyKey => f.write_str("secret key is empty"),
            Self::DuplicateKey => f.write_str("the same key is in the ring twice"),
            Self::CurrentKeyExpired => f.write_str("the current key is past its not_after"),
            Self::NothingStaged => f.write_str("no staged key to promote"),
            Self::Source(what) => f.write_str(what),
            Self::WeakKey(setting) => {
                write!(f, "{setting} is weak (Django's security.W009/W025 checks)")
            }
            Self::UnsafeSeparator => {
                f.write_str("separator is empty or made only of [A-z0-9-_=] characters")
            }
            Self::UnknownAlgorithm => f.write_str(
                "unknown algorithm (expected md5, sha1, sha224, sha256, sha384, sha512, \
                 blake2b, blake2s, sha3_224, sha3_256, sha3_384 or sha3_512)",
            ),
            Self::UnknownDjangoVersion => {
                f.write_str("unknown django version (expected 2.2, 3.2, 4.2, 5.2, 6.0 or 6.1)")
            }
            Self::Unsupported(what) => write!(f, "not supported by this django version: {what}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Shorthand used inside the crate.
pub(crate) type Result<T, E = Error> = core::result::Result<T, E>;

/// Shorthand for what building returns.
pub(crate) type ConfigResult<T> = core::result::Result<T, ConfigError>;
