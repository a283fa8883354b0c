//! What the layer found for one declared cookie: its verified value with how
//! it verified, or why it failed.

use signring::django::{DecodedMessages, SaltVariant};
use signring::json::Map;
use signring::{KeyId, KeyRole, Verification};

/// How a cookie verified, for every format: which key (index in the ring,
/// id, role), the timestamp for timestamped formats, and whether it is stale
/// (an old key or an old algorithm verified it, so the layer re-issues it).
///
/// # Example
///
/// See [`Cookies`](crate::Cookies).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CookieRecord {
    /// The key's position: 0 current, then fallbacks, then staged keys.
    pub key_index: usize,
    /// The key's id (safe to log).
    pub key_id: KeyId,
    /// The key's role.
    pub role: KeyRole,
    /// When the value was signed (Unix seconds), for timestamped formats.
    pub timestamp: Option<i64>,
    /// Whether the value should be re-signed with the current key.
    pub stale: bool,
    /// signring's full record, for the Django and signring formats (`None`
    /// for the `cookie` crate's format).
    pub verification: Option<Verification>,
}

impl CookieRecord {
    pub(crate) fn from_verification(record: &Verification) -> Self {
        Self {
            key_index: record.key_index,
            key_id: record.key_id.clone(),
            role: record.role,
            timestamp: record.timestamp,
            stale: record.stale,
            verification: Some(record.clone()),
        }
    }
}

/// A verified cookie's value.
///
/// # Example
///
/// See [`Cookies`](crate::Cookies).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CookieValue {
    /// The value of a text format (Django signed cookie, signring, `cookie`
    /// crate), unquoted or percent-decoded.
    Text(String),
    /// A signed-cookie session's data.
    Session(Map),
    /// A messages cookie's messages.
    Messages(DecodedMessages),
}

/// A declared cookie that verified.
///
/// # Example
///
/// See [`Cookies`](crate::Cookies).
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCookie {
    pub(crate) value: CookieValue,
    pub(crate) record: CookieRecord,
    pub(crate) salt_variant: Option<SaltVariant>,
}

impl VerifiedCookie {
    /// The value.
    ///
    /// # Example
    ///
    /// See [`Cookies`](crate::Cookies).
    #[must_use]
    pub fn value(&self) -> &CookieValue {
        &self.value
    }

    /// The text of a text format's value.
    ///
    /// # Example
    ///
    /// See [`Cookies`](crate::Cookies).
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            CookieValue::Text(text) => Some(text),
            _ => None,
        }
    }

    /// A signed-cookie session's data.
    ///
    /// # Example
    ///
    /// See [`Cookies`](crate::Cookies).
    #[must_use]
    pub fn session(&self) -> Option<&Map> {
        match &self.value {
            CookieValue::Session(map) => Some(map),
            _ => None,
        }
    }

    /// A messages cookie's messages.
    ///
    /// # Example
    ///
    /// See [`Cookies`](crate::Cookies).
    #[must_use]
    pub fn messages(&self) -> Option<&DecodedMessages> {
        match &self.value {
            CookieValue::Messages(messages) => Some(messages),
            _ => None,
        }
    }

    /// How it verified.
    ///
    /// # Example
    ///
    /// See [`Cookies`](crate::Cookies).
    #[must_use]
    pub fn record(&self) -> &CookieRecord {
        &self.record
    }

    /// Whether an old key verified it (the layer re-issues it).
    ///
    /// # Example
    ///
    /// See [`Cookies`](crate::Cookies).
    #[must_use]
    pub fn is_stale(&self) -> bool {
        self.record.stale
    }

    /// For Django signed cookies, which salt form verified it.
    ///
    /// # Example
    ///
    /// See [`Cookies`](crate::Cookies).
    #[must_use]
    pub fn salt_variant(&self) -> Option<SaltVariant> {
        self.salt_variant
    }
}

/// Why a declared cookie did not verify. It carries no value, signature or
/// key, so it may be logged.
///
/// # Example
///
/// ```
/// assert_eq!(signring_http::Failure::BadSignature.as_str(), "bad_signature");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Failure {
    /// No key in the ring verified it.
    BadSignature,
    /// Its signature checked out but it is older than `max_age`.
    Expired,
    /// Not the shape of a signed value (or not UTF-8 once decoded).
    Malformed,
    /// Its signature checked out but the payload did not decode.
    Payload,
}

impl Failure {
    /// `"bad_signature"`, `"expired"`, `"malformed"` or `"payload"`.
    ///
    /// # Example
    ///
    /// See [`Failure`].
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::Malformed => "malformed",
            Self::Payload => "payload",
        }
    }

    pub(crate) fn of(error: &signring::Error) -> Self {
        match error {
            signring::Error::BadSignature => Self::BadSignature,
            signring::Error::Expired { .. } => Self::Expired,
            signring::Error::Payload(_) => Self::Payload,
            _ => Self::Malformed,
        }
    }
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state of one declared cookie in a request.
///
/// # Example
///
/// See [`Cookies`](crate::Cookies).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CookieState<'a> {
    /// The request did not carry it.
    Absent,
    /// It verified.
    Verified(&'a VerifiedCookie),
    /// It did not verify.
    Failed(Failure),
}
