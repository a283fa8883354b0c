//! The messages framework's cookie: `django.contrib.messages.storage.cookie.CookieStorage`.

use serde::Serialize;
use serde::ser::SerializeSeq as _;
use subtle::ConstantTimeEq;

use crate::algorithm::Algorithm;
use crate::clock::UnixTime;
use crate::django::cookie::{cookie_ring, quote_cookie_value};
use crate::error::{ConfigResult, Error, Malformed, PayloadError, Result};
use crate::json::{self, Value};
use crate::keyed::{Found, KeyedRing};
use crate::options::{Options, option_setters};
use crate::ring::KeyRing;
use crate::timed::TimestampSigner;
use crate::verified::Verification;
use crate::version::DjangoVersion;

const SALT: &str = "django.contrib.messages";
const MESSAGE_KEY: &str = "__json_message";
/// The string Django appends when not every message fit in the cookie.
pub const NOT_FINISHED: &str = "__messagesnotfinished__";
/// Django's `CookieStorage.max_cookie_size`.
pub const MAX_COOKIE_SIZE: usize = 2048;

/// One message, as `messages.add_message` stores it.
///
/// # Example
///
/// ```
/// use signring::django::Message;
/// let message = Message::new(20, "Saved.");
/// assert_eq!(message.extra_tags.as_deref(), Some(""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// The level (`messages.INFO` is 20).
    pub level: i64,
    /// The text.
    pub message: String,
    /// Extra CSS tags; `add_message` passes `""`, so `None` only comes from
    /// code that builds `Message` itself (or from old cookies).
    pub extra_tags: Option<String>,
    /// Whether the text was marked HTML-safe.
    pub safe: bool,
}

impl Message {
    /// A message as `messages.add_message(request, level, text)` makes it.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::django::Message::new(25, "Done").level, 25);
    /// ```
    #[must_use]
    pub fn new(level: i64, message: impl Into<String>) -> Self {
        Self {
            level,
            message: message.into(),
            extra_tags: Some(String::new()),
            safe: false,
        }
    }
}

/// Which cookie format a messages cookie was in.
///
/// # Example
///
/// ```
/// assert_eq!(signring::django::MessagesFormat::Signed.as_str(), "signed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessagesFormat {
    /// Django ≤ 3.0: `hex(sha1 mac) "$" json`, with the plain key.
    Legacy,
    /// Django 3.1: the cookie signer over the raw JSON (`json:ts:sig`).
    Raw,
    /// Django ≥ 3.2: the cookie signer's `sign_object(compress=True)`.
    Signed,
}

impl MessagesFormat {
    /// `"legacy"`, `"raw"` or `"signed"`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::django::MessagesFormat::Raw.as_str(), "raw");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::Raw => "raw",
            Self::Signed => "signed",
        }
    }
}

/// A messages cookie that decoded.
///
/// # Example
///
/// See [`MessagesCookie`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodedMessages {
    /// The messages, oldest first.
    pub messages: Vec<Message>,
    /// Whether the cookie ended with the not-finished sentinel (more messages
    /// wait in the fallback storage).
    pub not_finished: bool,
    /// The format it was in.
    pub format: MessagesFormat,
    /// How it verified: `stale` when a fallback key verified it, or the
    /// current key in a format Django no longer writes (never a staged key).
    pub record: Verification,
}

/// The result of storing messages: the cookie to set (if any) and the messages
/// that did not fit.
///
/// # Example
///
/// See [`MessagesCookie::store_at`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredMessages {
    /// The cookie value, or `None` when the cookie should be deleted.
    pub cookie_value: Option<String>,
    /// The messages left for the next storage, oldest first.
    pub unstored: Vec<Message>,
}

/// Encodes and decodes the `messages` cookie as one Django release does.
///
/// | Django | writes | reads |
/// | --- | --- | --- |
/// | 2.2 | legacy `$` | legacy |
/// | 3.2 | signed | signed, raw (3.1), legacy — older ones stale |
/// | 4.2+ | signed | signed; older formats only with [`read_older_formats`](MessagesCookieBuilder::read_older_formats) |
///
/// # Example
///
/// ```
/// use signring::{DjangoVersion, KeyRing, UnixTime, django::{Message, MessagesCookie}};
///
/// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let cookie = MessagesCookie::builder(&ring).django(DjangoVersion::V4_2).build()?;
/// let now = UnixTime::from_secs_f64(1_600_000_000.0);
/// let value = cookie.encode_at(&[Message::new(20, "Hello")], false, now)?;
/// assert_eq!(value, "W1siX19qc29uX21lc3NhZ2UiLDAsMjAsIkhlbGxvIiwiIl1d:1kHR5c:9SrTON4H_EGu5SrAKGMAT7MmHGj0XHupBbUiramqT7c");
/// let decoded = cookie.decode(&value)?;
/// assert_eq!(decoded.messages, [Message::new(20, "Hello")]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct MessagesCookie {
    signer: TimestampSigner,
    legacy: KeyedRing,
    version: DjangoVersion,
    read_signed: bool,
    read_older: bool,
}

/// Builds a [`MessagesCookie`].
///
/// # Example
///
/// ```
/// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let cookie = signring::django::MessagesCookie::builder(&ring).build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a builder does nothing until built"]
#[derive(Debug, Clone)]
pub struct MessagesCookieBuilder<'r> {
    ring: &'r KeyRing,
    options: Options,
    read_older: Option<bool>,
}

impl MessagesCookieBuilder<'_> {
    option_setters!();

    /// Whether to read the formats of releases before this one (default: only
    /// under 3.2, as Django does).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::django::{MessagesCookie, MessagesFormat};
    /// let legacy = r#"1903358b75f9ba1276ea78ffc4d0bc7f24af595c$[["__json_message",0,20,"Hello"]]"#;
    /// assert!(MessagesCookie::builder(&ring).build()?.decode(legacy).is_err());
    /// let cookie = MessagesCookie::builder(&ring).read_older_formats(true).build()?;
    /// assert_eq!(cookie.decode(legacy)?.format, MessagesFormat::Legacy);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_older_formats(mut self, read: bool) -> Self {
        self.read_older = Some(read);
        self
    }

    /// Derives the keys.
    ///
    /// # Errors
    ///
    /// As [`SignerBuilder::build`](crate::SignerBuilder::build).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let cookie = signring::django::MessagesCookie::builder(&ring).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> ConfigResult<MessagesCookie> {
        let cookie_keys = cookie_ring(self.ring);
        let version = self.options.django;
        let signer = TimestampSigner::builder(&cookie_keys)
            .salt(SALT)
            .options(self.options.clone())
            .build()?;
        let legacy = KeyedRing::derive(self.ring, Algorithm::Sha1, SALT.as_bytes(), &self.options);
        Ok(MessagesCookie {
            signer,
            legacy,
            version,
            read_signed: version >= DjangoVersion::V3_2,
            read_older: self.read_older.unwrap_or(version == DjangoVersion::V3_2),
        })
    }
}

/// Serializes messages as Django's `MessageEncoder` does for one release.
struct Encoded<'m> {
    messages: &'m [Message],
    not_finished: bool,
    /// ≤ 4.0 drops empty `extra_tags`; 4.1+ keeps everything but `None`.
    keep_empty_tags: bool,
}

impl Serialize for Encoded<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> core::result::Result<S::Ok, S::Error> {
        let mut list = serializer.serialize_seq(None)?;
        for m in self.messages {
            let tags = m
                .extra_tags
                .as_deref()
                .filter(|t| self.keep_empty_tags || !t.is_empty());
            match tags {
                Some(tags) => list.serialize_element(&(
                    MESSAGE_KEY,
                    u8::from(m.safe),
                    m.level,
                    &m.message,
                    tags,
                ))?,
                None => {
                    list.serialize_element(&(MESSAGE_KEY, u8::from(m.safe), m.level, &m.message))?
                }
            }
        }
        if self.not_finished {
            list.serialize_element(NOT_FINISHED)?;
        }
        list.end()
    }
}

impl MessagesCookie {
    /// A builder for the newest Django.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let cookie = signring::django::MessagesCookie::builder(&ring).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(ring: &KeyRing) -> MessagesCookieBuilder<'_> {
        MessagesCookieBuilder {
            ring,
            options: Options::new(),
            read_older: None,
        }
    }

    /// The cookie value for `messages` (plus the not-finished sentinel), as
    /// `CookieStorage._encode(messages, encode_empty=True)`.
    ///
    /// # Errors
    ///
    /// Never for messages made of strings and integers; [`Error::Payload`]
    /// is kept for symmetry with the other encoders.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{UnixTime, django::MessagesCookie};
    /// let cookie = MessagesCookie::builder(&ring).build()?;
    /// let empty = cookie.encode_at(&[], true, UnixTime::now())?;
    /// assert!(cookie.decode(&empty)?.not_finished);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_at(
        &self,
        messages: &[Message],
        not_finished: bool,
        now: UnixTime,
    ) -> Result<String> {
        let encoded = Encoded {
            messages,
            not_finished,
            keep_empty_tags: self.version >= DjangoVersion::V4_2,
        };
        if self.version == DjangoVersion::V2_2 {
            let text =
                json::to_string(&encoded).map_err(|e| Error::Payload(e.into_payload_error()))?;
            let mac = self.legacy.current().tag(text.as_bytes()).to_hex();
            return Ok(format!("{mac}${text}"));
        }
        self.signer.sign_object_at(&encoded, true, now)
    }

    /// Stores `messages` as `CookieStorage._store` does: if the quoted cookie
    /// would exceed 2048 characters, drop the oldest messages (or the newest,
    /// with `remove_oldest = false`) until it fits, and mark the cookie as not
    /// finished.
    ///
    /// # Errors
    ///
    /// As [`encode_at`](MessagesCookie::encode_at).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{UnixTime, django::{Message, MessagesCookie}};
    /// let cookie = MessagesCookie::builder(&ring).build()?;
    /// // Random-looking text does not compress, so 200 such messages overflow 2 KiB.
    /// let messages: Vec<Message> = (0..200u64)
    ///     .map(|i| Message::new(20, format!("{:x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15))))
    ///     .collect();
    /// let stored = cookie.store_at(&messages, true, UnixTime::now())?;
    /// assert!(!stored.unstored.is_empty());
    /// assert_eq!(stored.unstored[0], messages[0], "the oldest go first");
    /// let kept = cookie.decode(stored.cookie_value.as_deref().unwrap())?;
    /// assert!(kept.not_finished);
    /// assert_eq!(kept.messages.len() + stored.unstored.len(), 200);
    /// assert_eq!(kept.messages.last(), messages.last(), "the newest stay");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn store_at(
        &self,
        messages: &[Message],
        remove_oldest: bool,
        now: UnixTime,
    ) -> Result<StoredMessages> {
        let too_large = |value: &str| quote_cookie_value(value).chars().count() > MAX_COOKIE_SIZE;
        if messages.is_empty() {
            return Ok(StoredMessages {
                cookie_value: None,
                unstored: Vec::new(),
            });
        }
        let all = self.encode_at(messages, false, now)?;
        if !too_large(&all) {
            return Ok(StoredMessages {
                cookie_value: Some(all),
                unstored: Vec::new(),
            });
        }
        // How many messages to keep beside the sentinel. Compression makes the
        // fit non-monotonic, so the search order matters: Django 5.0+ bisects,
        // earlier releases drop one message at a time.
        let encode_kept = |keep: usize| {
            let kept = if remove_oldest {
                &messages[messages.len() - keep..]
            } else {
                &messages[..keep]
            };
            self.encode_at(kept, true, now)
        };
        let keep = if self.version >= DjangoVersion::V5_2 {
            // bisect_keep_right / bisect_keep_left, over the number dropped.
            let (mut lo, mut hi) = (0, messages.len());
            while lo < hi {
                let mid = (lo + hi) / 2;
                let fits = if remove_oldest {
                    !too_large(&encode_kept(messages.len() - mid)?)
                } else {
                    !too_large(&encode_kept(mid + 1)?)
                };
                match (remove_oldest, fits) {
                    (true, false) => lo = mid + 1,
                    (true, true) => hi = mid,
                    (false, false) => hi = mid,
                    (false, true) => lo = mid + 1,
                }
            }
            if remove_oldest {
                messages.len() - lo
            } else {
                lo
            }
        } else {
            let mut keep = messages.len();
            while keep > 0 {
                keep -= 1;
                if !too_large(&encode_kept(keep)?) {
                    break;
                }
            }
            keep
        };
        let value = encode_kept(keep)?;
        let unstored = if remove_oldest {
            &messages[..messages.len() - keep]
        } else {
            &messages[keep..]
        };
        Ok(StoredMessages {
            cookie_value: Some(value),
            unstored: unstored.to_vec(),
        })
    }

    /// Decodes a messages cookie (the value after unquoting).
    ///
    /// # Errors
    ///
    /// Where Django drops the cookie: [`Error::BadSignature`],
    /// [`Error::Malformed`], or [`Error::Payload`] (bad base64, zlib or JSON, or
    /// entries that are not messages, which Django 3.1+ fails on).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let cookie = signring::django::MessagesCookie::builder(&ring).build()?;
    /// assert!(cookie.decode("garbage").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decode(&self, data: &str) -> Result<DecodedMessages> {
        self.decode_at(data, self.signer.signer().clock().now())
    }

    /// [`decode`](MessagesCookie::decode) with keys' expiry judged at `now`.
    ///
    /// # Errors
    ///
    /// As [`decode`](MessagesCookie::decode).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{UnixTime, django::{Message, MessagesCookie}};
    /// let cookie = MessagesCookie::builder(&ring).build()?;
    /// let now = UnixTime::from_secs_f64(1_700_000_000.0);
    /// let value = cookie.encode_at(&[Message::new(20, "hi")], false, now)?;
    /// assert_eq!(cookie.decode_at(&value, now)?.messages[0].message, "hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decode_at(&self, data: &str, now: UnixTime) -> Result<DecodedMessages> {
        let signed_error = if self.read_signed {
            match self.signer.unsign_value_at(data, now) {
                Ok(verified) => {
                    let (messages, not_finished) = parse_messages(verified.value(), false)?;
                    return Ok(DecodedMessages {
                        messages,
                        not_finished,
                        format: MessagesFormat::Signed,
                        record: verified.record().clone(),
                    });
                }
                Err(error) => error,
            }
        } else {
            Error::BadSignature
        };
        if !(self.read_older || self.version == DjangoVersion::V2_2) {
            return Err(signed_error);
        }
        match signed_error {
            // A valid signature over something that is not base64 JSON: 3.1's
            // raw JSON (3.2 reads it; 2.2 never signed with the cookie signer).
            Error::Payload(PayloadError::Base64 | PayloadError::Json { .. })
                if self.read_signed =>
            {
                // TimestampSigner.unsign: the raw format's timestamp is not checked.
                let verified = self.signer.unsign_at(data, now)?;
                let value: Value = json::from_str(verified.value())
                    .map_err(|e| Error::Payload(e.into_payload_error()))?;
                let (messages, not_finished) = parse_messages(&value, false)?;
                let mut record = verified.record().clone();
                // Django no longer writes the raw format: stale for the current key.
                record.stale |= record.role == crate::KeyRole::Current;
                Ok(DecodedMessages {
                    messages,
                    not_finished,
                    format: MessagesFormat::Raw,
                    record,
                })
            }
            Error::BadSignature | Error::Malformed(Malformed::NoSeparator) => {
                self.decode_legacy(data, now)
            }
            other => Err(other),
        }
    }

    /// `hex(sha1 mac) "$" json`, checked against every ring key.
    fn decode_legacy(&self, data: &str, now: UnixTime) -> Result<DecodedMessages> {
        let (mac, text) = data
            .split_once('$')
            .ok_or(Error::Malformed(Malformed::NoSeparator))?;
        let legacy_format = self.version != DjangoVersion::V2_2;
        let found = self.legacy.find(now, |key| {
            key.tag(text.as_bytes())
                .to_hex()
                .as_bytes()
                .ct_eq(mac.as_bytes())
        });
        self.legacy.observe(found, legacy_format);
        let index = found.ok_or(Error::BadSignature)?;
        let value: Value =
            json::from_str(text).map_err(|e| Error::Payload(e.into_payload_error()))?;
        let (messages, not_finished) = parse_messages(&value, self.version == DjangoVersion::V2_2)?;
        let algorithm = Algorithm::Sha1;
        let record = self
            .legacy
            .record(Found { index, algorithm }, legacy_format);
        Ok(DecodedMessages {
            messages,
            not_finished,
            format: MessagesFormat::Legacy,
            record,
        })
    }
}

/// Turns Django's message list back into messages: each entry
/// `["__json_message", safe, level, message(, extra_tags)]`, and the sentinel
/// string last when present.
///
/// `three_element_entries`: Django ≤ 3.0 also read `[key, level, message]`,
/// the form messages had before 1.x added the safe flag.
fn parse_messages(value: &Value, three_element_entries: bool) -> Result<(Vec<Message>, bool)> {
    let bad = || Error::Payload(PayloadError::Type);
    let Value::Array(items) = value else {
        return Err(bad());
    };
    let (items, not_finished) = match items.split_last() {
        Some((Value::String(last), rest)) if last == NOT_FINISHED => (rest, true),
        _ => (&items[..], false),
    };
    let messages = items
        .iter()
        .map(|item| {
            let Value::Array(fields) = item else {
                return Err(bad());
            };
            match fields.as_slice() {
                [Value::String(key), level, Value::String(text)]
                    if key == MESSAGE_KEY && three_element_entries =>
                {
                    let level = python_int(level).ok_or_else(bad)?;
                    Ok(Message {
                        level,
                        message: text.clone(),
                        extra_tags: None,
                        safe: false,
                    })
                }
                [
                    Value::String(key),
                    safe,
                    level,
                    Value::String(text),
                    rest @ ..,
                ] if key == MESSAGE_KEY && rest.len() <= 1 => {
                    let extra_tags = match rest.first() {
                        None | Some(Value::Null) => None,
                        Some(Value::String(tags)) => Some(tags.clone()),
                        Some(_) => return Err(bad()),
                    };
                    let level = python_int(level).ok_or_else(bad)?;
                    Ok(Message {
                        level,
                        message: text.clone(),
                        extra_tags,
                        safe: python_truthy(safe),
                    })
                }
                _ => Err(bad()),
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((messages, not_finished))
}

/// Python's `bool(value)`: Django tests the safe flag for truth.
fn python_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Integer(n) => *n != 0,
        Value::Float(x) => *x != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// Python's `int(value)`, which `Message` applies to the level: integers,
/// booleans, finite floats (truncated) and decimal text.
fn python_int(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(n) => i64::try_from(*n).ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        // Truncation toward zero is Python's int(float); the range check keeps it exact.
        #[allow(clippy::cast_possible_truncation)]
        Value::Float(x) if x.is_finite() && x.abs() < 9.0e18 => Some(x.trunc() as i64),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}
