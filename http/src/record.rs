//! What the layer found for one declared cookie: its verified value with how
//! it verified, or why it failed.

use std::sync::OnceLock;

use http::HeaderValue;
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
#[derive(Clone)]
pub struct VerifiedCookie {
    pub(crate) value: Stored,
    pub(crate) record: CookieRecord,
    pub(crate) salt_variant: Option<SaltVariant>,
}

/// Where a verified value is kept.
#[derive(Clone)]
pub(crate) enum Stored {
    /// A decoded value (unquoted or percent-decoded text, a session, messages).
    Value(CookieValue),
    /// Text the request carried as it is: a range of its `Cookie` header (the
    /// header's bytes are shared, not copied), made a [`CookieValue`] only if
    /// [`VerifiedCookie::value`] asks for one.
    InHeader {
        header: HeaderValue,
        start: usize,
        end: usize,
        value: OnceLock<Box<CookieValue>>,
    },
}

impl Stored {
    /// `text` kept in `header` when it is a slice of it, else copied.
    pub(crate) fn text(header: Option<&HeaderValue>, text: &str) -> Self {
        if let Some(header) = header {
            let base = header.as_bytes().as_ptr().addr();
            let at = text.as_ptr().addr();
            if let Some(start) = at.checked_sub(base)
                && start + text.len() <= header.len()
            {
                return Self::InHeader {
                    header: header.clone(),
                    start,
                    end: start + text.len(),
                    value: OnceLock::new(),
                };
            }
        }
        Self::Value(CookieValue::Text(text.to_owned()))
    }
}

impl VerifiedCookie {
    /// The value.
    ///
    /// # Example
    ///
    /// See [`Cookies`](crate::Cookies).
    #[must_use]
    pub fn value(&self) -> &CookieValue {
        match &self.value {
            Stored::Value(value) => value,
            Stored::InHeader { value, .. } => value.get_or_init(|| {
                Box::new(CookieValue::Text(
                    self.text().unwrap_or_default().to_owned(),
                ))
            }),
        }
    }

    /// The text of a text format's value.
    ///
    /// # Example
    ///
    /// See [`Cookies`](crate::Cookies).
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Stored::Value(CookieValue::Text(text)) => Some(text),
            Stored::Value(_) => None,
            // Checked when the range was taken: the value verified as `&str`,
            // and the header's bytes do not change.
            Stored::InHeader {
                header, start, end, ..
            } => header
                .as_bytes()
                .get(*start..*end)
                .and_then(|bytes| core::str::from_utf8(bytes).ok()),
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
            Stored::Value(CookieValue::Session(map)) => Some(map),
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
            Stored::Value(CookieValue::Messages(messages)) => Some(messages),
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

impl core::fmt::Debug for VerifiedCookie {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VerifiedCookie")
            .field("value", self.value())
            .field("record", &self.record)
            .field("salt_variant", &self.salt_variant)
            .finish()
    }
}

impl PartialEq for VerifiedCookie {
    fn eq(&self, other: &Self) -> bool {
        let same_value = match (self.text(), other.text()) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.value() == other.value(),
            _ => false,
        };
        same_value && self.record == other.record && self.salt_variant == other.salt_variant
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie(value: Stored) -> VerifiedCookie {
        VerifiedCookie {
            value,
            record: CookieRecord {
                key_index: 0,
                key_id: KeyId::new("k"),
                role: KeyRole::Current,
                timestamp: None,
                stale: false,
                verification: None,
            },
            salt_variant: None,
        }
    }

    #[test]
    fn text_kept_in_the_header_reads_as_a_copy_would() {
        let header = HeaderValue::from_static("a=1; id=user-42; b=2");
        let text = &header.to_str().unwrap()[8..15];
        let kept = cookie(Stored::text(Some(&header), text));
        assert!(matches!(kept.value, Stored::InHeader { .. }));
        let copied = cookie(Stored::Value(CookieValue::Text("user-42".to_owned())));
        assert_eq!(kept.text(), Some("user-42"));
        assert_eq!(kept.value(), &CookieValue::Text("user-42".to_owned()));
        assert_eq!(kept, copied);
        assert_eq!(kept.clone(), copied);
        assert_eq!(format!("{kept:?}"), format!("{copied:?}"));
        assert_ne!(
            kept,
            cookie(Stored::Value(CookieValue::Text("user-43".to_owned())))
        );
        // Text that is not a slice of the header is copied.
        assert!(matches!(
            Stored::text(Some(&header), "user-42"),
            Stored::Value(_)
        ));
        assert!(matches!(Stored::text(None, text), Stored::Value(_)));
    }
}
