//! The messages framework's cookie: `django.contrib.messages.storage.cookie.CookieStorage`.

use serde::Serialize;
use serde::ser::SerializeSeq as _;
use subtle::ConstantTimeEq;

use crate::algorithm::Algorithm;
use crate::clock::UnixTime;
use crate::django::cookie::{cookie_ring, quote_cookie_value};
use crate::error::{ConfigResult, Error, Malformed, PayloadError, Result};
use crate::json::{self, Map, Value};
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

/// One entry of a messages cookie, as Django's `MessageDecoder` hands it back.
///
/// Django writes a list of messages, but keeps whatever a validly signed list
/// holds: bare strings and other JSON values next to the messages, messages
/// nested inside objects and lists, messages whose text or tags are not strings.
/// It reads them all back and writes them all out again when it re-stores the
/// list. [`MessagesCookie::encode_entries_at`] and [`MessagesCookie::rotate_at`]
/// do the same, byte for byte.
///
/// # Example
///
/// ```
/// use signring::{KeyRing, UnixTime, django::{Message, MessageEntry, MessagesCookie}};
///
/// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let cookie = MessagesCookie::builder(&ring).build()?;
/// let now = UnixTime::from_secs_f64(1_600_000_000.0);
/// let entries = [
///     MessageEntry::Message(Message::new(20, "Saved.")),
///     MessageEntry::Other(r#"{"note":["__json_message",0,"30","nested"]}"#.into()),
/// ];
/// let value = cookie.encode_entries_at(&entries, false, now)?;
/// let decoded = cookie.decode(&value)?;
/// assert_eq!(decoded.messages, [Message::new(20, "Saved.")]);
/// // The nested message comes back as Django writes it: level 30 as a number.
/// assert_eq!(
///     decoded.entries[1],
///     MessageEntry::Other(r#"{"note":["__json_message",0,30,"nested"]}"#.into())
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageEntry {
    /// A message whose text is a string and whose tags are a string or absent:
    /// everything `messages.add_message` stores.
    Message(Message),
    /// Anything else, as the compact JSON text Django writes back for it (which
    /// this release's encoder produces): a bare string (`"\"text\""`), a
    /// number, an object or a list (a `["__json_message", …]` array nested
    /// inside is a message, written back in its canonical form), or a message
    /// whose text or tags are not strings (its canonical array). When encoding,
    /// the text is read the same way, so any JSON text is accepted.
    Other(String),
}

/// A messages cookie that decoded.
///
/// # Example
///
/// See [`MessagesCookie`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodedMessages {
    /// The entries that are messages ([`MessageEntry::Message`]), oldest first.
    /// A cookie Django wrote holds nothing else; [`entries`](Self::entries)
    /// also has what a crafted one can hold.
    pub messages: Vec<Message>,
    /// Every entry, in order, without the trailing not-finished sentinel: what
    /// Django's `CookieStorage` holds and writes back when it re-stores them.
    pub entries: Vec<MessageEntry>,
    /// The cookie held one value that is not a list, such as a single message
    /// (then the one entry). Django's `_decode` returns it, but reading the
    /// messages in a request then fails (`TypeError` or `KeyError`, unless the
    /// value is falsy), and Django never writes such a cookie.
    pub single: bool,
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

    /// The cookie value for `entries` (plus the not-finished sentinel), as
    /// `CookieStorage._encode(entries, encode_empty=True)` writes a list that
    /// holds messages and anything else: [`MessageEntry::Other`] entries are
    /// read as Django's decoder reads them (nested messages become messages) and
    /// written as its encoder writes them.
    ///
    /// # Errors
    ///
    /// [`Error::Payload`] when an [`MessageEntry::Other`] text is not JSON, or
    /// holds a `["__json_message", …]` array Django could not read as a message.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{DjangoVersion, UnixTime, django::{Message, MessageEntry, MessagesCookie}};
    /// let cookie = MessagesCookie::builder(&ring).django(DjangoVersion::V2_2).build()?;
    /// let entries = [MessageEntry::Message(Message::new(20, "Hello")), MessageEntry::Other(r#""a note""#.into())];
    /// let value = cookie.encode_entries_at(&entries, false, UnixTime::now())?;
    /// assert!(value.ends_with(r#"$[["__json_message",0,20,"Hello"],"a note"]"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_entries_at(
        &self,
        entries: &[MessageEntry],
        not_finished: bool,
        now: UnixTime,
    ) -> Result<String> {
        let mut list = entries
            .iter()
            .map(|entry| self.entry_value(entry))
            .collect::<Result<Vec<_>>>()?;
        if not_finished {
            list.push(Value::String(NOT_FINISHED.into()));
        }
        self.encode_value(&Value::Array(list), now)
    }

    /// Re-issues a messages cookie with the current key in this release's
    /// format, keeping everything Django reads from it: the cookie value Django
    /// writes for what it decoded (`_encode(decoded, encode_empty=True)`),
    /// other entries, the not-finished sentinel and a non-list value included.
    /// A Django holding only the current key then reads exactly what it read
    /// before. A cookie a staged key verified comes back unchanged.
    ///
    /// # Errors
    ///
    /// As [`decode`](MessagesCookie::decode).
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, UnixTime, django::{Message, MessagesCookie}};
    /// let old = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let now = UnixTime::from_secs_f64(1_700_000_000.0);
    /// let value = MessagesCookie::builder(&old).build()?.encode_at(&[Message::new(20, "Hi")], true, now)?;
    ///
    /// let mut ring = old.clone();
    /// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let rotated = MessagesCookie::builder(&ring).build()?.rotate_at(&value, now)?;
    /// let decoded = MessagesCookie::builder(&ring.without_fallbacks()).build()?.decode(&rotated)?;
    /// assert_eq!((decoded.messages, decoded.not_finished), (vec![Message::new(20, "Hi")], true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rotate_at(&self, data: &str, now: UnixTime) -> Result<String> {
        let decoded = self.decode_at(data, now)?;
        // What a staged key verified is left exactly as it is: re-encoding
        // it would move it back to the older, current key.
        if decoded.record.role == crate::KeyRole::Staged {
            return Ok(data.to_owned());
        }
        match decoded.entries.as_slice() {
            [entry] if decoded.single => {
                let value = self.entry_value(entry)?;
                self.encode_value(&value, now)
            }
            entries => self.encode_entries_at(entries, decoded.not_finished, now),
        }
    }

    /// The JSON Django writes for one entry.
    fn entry_value(&self, entry: &MessageEntry) -> Result<Value> {
        match entry {
            MessageEntry::Message(message) => {
                Ok(message_value(message, self.version >= DjangoVersion::V4_2))
            }
            MessageEntry::Other(text) => {
                let value: Value =
                    json::from_str(text).map_err(|e| Error::Payload(e.into_payload_error()))?;
                canonical(&value, self.version)
            }
        }
    }

    /// Signs a JSON value in this release's format.
    fn encode_value(&self, value: &Value, now: UnixTime) -> Result<String> {
        if self.version == DjangoVersion::V2_2 {
            let text =
                json::to_string(value).map_err(|e| Error::Payload(e.into_payload_error()))?;
            let mac = self.legacy.current().tag(text.as_bytes()).to_hex();
            return Ok(format!("{mac}${text}"));
        }
        self.signer.sign_object_at(value, true, now)
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
    /// [`Error::Malformed`], or [`Error::Payload`] (bad base64, zlib or JSON,
    /// a JSON `null`); and [`Error::Payload`] where Django's decoder raises: a
    /// `["__json_message", …]` array (anywhere but inside a message) with the
    /// wrong number of fields or a level `int()` refuses (or beyond 64 bits).
    /// Bare strings and other values beside the messages are not errors: see
    /// [`DecodedMessages::entries`]. One case signring refuses where Django
    /// reads: a message flagged safe whose text is a list or object holding a
    /// character above U+00FF (Django makes it a string with `repr`, which
    /// needs Unicode's printable table).
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
                    let parsed = Parsed::read(verified.value(), self.version)?;
                    return Ok(
                        parsed.into_decoded(MessagesFormat::Signed, verified.record().clone())
                    );
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
                let parsed = Parsed::read(&value, self.version)?;
                let mut record = verified.record().clone();
                // Django no longer writes the raw format: stale for the current key.
                record.stale |= record.role == crate::KeyRole::Current;
                Ok(parsed.into_decoded(MessagesFormat::Raw, record))
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
        let parsed = Parsed::read(&value, self.version)?;
        let algorithm = Algorithm::Sha1;
        let record = self
            .legacy
            .record(Found { index, algorithm }, legacy_format);
        Ok(parsed.into_decoded(MessagesFormat::Legacy, record))
    }
}

/// A cookie's JSON as Django's `MessageDecoder` hands it back.
struct Parsed {
    entries: Vec<MessageEntry>,
    not_finished: bool,
    single: bool,
}

impl Parsed {
    /// `MessageDecoder.decode`, then `CookieStorage._get`'s removal of a trailing
    /// not-finished sentinel.
    fn read(value: &Value, version: DjangoVersion) -> Result<Self> {
        match value {
            // `_decode` returns None: no messages, as for a bad cookie.
            Value::Null => Err(Error::Payload(PayloadError::Type)),
            Value::Array(items) if !is_message(items) => {
                let (items, not_finished) = match items.split_last() {
                    Some((Value::String(last), rest)) if last == NOT_FINISHED => (rest, true),
                    _ => (&items[..], false),
                };
                let entries = items
                    .iter()
                    .map(|item| entry(item, version))
                    .collect::<Result<_>>()?;
                Ok(Self {
                    entries,
                    not_finished,
                    single: false,
                })
            }
            other => Ok(Self {
                entries: vec![entry(other, version)?],
                not_finished: false,
                single: true,
            }),
        }
    }

    fn into_decoded(self, format: MessagesFormat, record: Verification) -> DecodedMessages {
        let messages = self
            .entries
            .iter()
            .filter_map(|entry| match entry {
                MessageEntry::Message(message) => Some(message.clone()),
                MessageEntry::Other(_) => None,
            })
            .collect();
        DecodedMessages {
            messages,
            entries: self.entries,
            single: self.single,
            not_finished: self.not_finished,
            format,
            record,
        }
    }
}

/// `obj[0] == MessageEncoder.message_key`: Django's test for a message, applied
/// to every non-empty list, the outermost one included.
fn is_message(items: &[Value]) -> bool {
    matches!(items.first(), Some(Value::String(key)) if key == MESSAGE_KEY)
}

/// A `Message` object as Django's decoder builds it: the text and tags are
/// whatever the JSON held (the text made a string by `mark_safe`).
struct RawMessage {
    level: i64,
    text: Value,
    /// `None` in Python is JSON `null`.
    tags: Value,
    safe: bool,
}

impl RawMessage {
    /// `MessageDecoder.process_messages` on `["__json_message", …]`.
    ///
    /// Django ≤ 3.0 also read `[key, level, message]`, the form messages had
    /// before the safe flag. Otherwise: `if obj[1]: obj[3] = mark_safe(obj[3])`,
    /// then `Message(*obj[2:])`, whose `__init__` applies `int()` to the level.
    /// Every failure there is an exception out of `_decode` (a server error).
    fn read(fields: &[Value], version: DjangoVersion) -> Result<Self> {
        let bad = || Error::Payload(PayloadError::Type);
        if version == DjangoVersion::V2_2 && fields.len() == 3 {
            return Ok(Self {
                level: python_int(&fields[1]).ok_or_else(bad)?,
                text: fields[2].clone(),
                tags: Value::Null,
                safe: false,
            });
        }
        let safe = python_truthy(fields.get(1).ok_or_else(bad)?);
        let safe_text = if safe {
            let text = fields.get(3).ok_or_else(bad)?;
            Some(Value::String(python_str(text).ok_or_else(bad)?))
        } else {
            None
        };
        let (level, text, tags) = match &fields[2..] {
            [level, text] => (level, text, Value::Null),
            [level, text, tags] => (level, text, tags.clone()),
            _ => return Err(bad()),
        };
        Ok(Self {
            level: python_int(level).ok_or_else(bad)?,
            text: safe_text.unwrap_or_else(|| text.clone()),
            tags,
            safe,
        })
    }

    /// `MessageEncoder.default`: tags are written when truthy (≤ 4.0) or when
    /// not `None` (4.1+).
    fn into_value(self, version: DjangoVersion) -> Value {
        let keep_tags = if version >= DjangoVersion::V4_2 {
            self.tags != Value::Null
        } else {
            python_truthy(&self.tags)
        };
        let mut fields = vec![
            Value::String(MESSAGE_KEY.into()),
            Value::Integer(u8::from(self.safe).into()),
            Value::Integer(self.level.into()),
            self.text,
        ];
        if keep_tags {
            fields.push(self.tags);
        }
        Value::Array(fields)
    }
}

/// One top-level entry: a typed message where Django's `Message` holds strings,
/// otherwise the JSON Django writes back for it.
fn entry(value: &Value, version: DjangoVersion) -> Result<MessageEntry> {
    let value = match value {
        Value::Array(fields) if is_message(fields) => {
            let raw = RawMessage::read(fields, version)?;
            match (&raw.text, &raw.tags) {
                (Value::String(text), Value::Null | Value::String(_)) => {
                    return Ok(MessageEntry::Message(Message {
                        level: raw.level,
                        message: text.clone(),
                        extra_tags: match raw.tags {
                            Value::String(tags) => Some(tags),
                            _ => None,
                        },
                        safe: raw.safe,
                    }));
                }
                _ => raw.into_value(version),
            }
        }
        other => canonical(other, version)?,
    };
    json::to_string(&value)
        .map(MessageEntry::Other)
        .map_err(|e| Error::Payload(e.into_payload_error()))
}

/// What Django writes back for a decoded value: `MessageDecoder.process_messages`
/// (messages anywhere inside lists and objects, not inside a message's own
/// fields), then `MessageEncoder`.
fn canonical(value: &Value, version: DjangoVersion) -> Result<Value> {
    Ok(match value {
        Value::Array(fields) if is_message(fields) => {
            RawMessage::read(fields, version)?.into_value(version)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| canonical(item, version))
                .collect::<Result<_>>()?,
        ),
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, item) in map.iter() {
                out.insert(key.clone(), canonical(item, version)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// A typed message as Django's `MessageEncoder` writes it.
fn message_value(message: &Message, keep_empty_tags: bool) -> Value {
    let mut fields = vec![
        Value::String(MESSAGE_KEY.into()),
        Value::Integer(u8::from(message.safe).into()),
        Value::Integer(message.level.into()),
        Value::String(message.message.clone()),
    ];
    if let Some(tags) = message
        .extra_tags
        .as_deref()
        .filter(|t| keep_empty_tags || !t.is_empty())
    {
        fields.push(Value::String(tags.to_owned()));
    }
    Value::Array(fields)
}

/// Python's `str(value)` for what `mark_safe` gets: text as is, anything else
/// as its `repr`. `None` where that needs Unicode's printable table (a string
/// inside a list or object with a character above U+00FF), which signring
/// does not carry.
fn python_str(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        other => {
            let mut out = String::new();
            python_repr(other, &mut out)?;
            Some(out)
        }
    }
}

/// Python's `repr` of a decoded JSON value.
fn python_repr(value: &Value, out: &mut String) -> Option<()> {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Integer(n) => out.push_str(&n.to_string()),
        Value::Float(x) if x.is_nan() => out.push_str("nan"),
        Value::Float(x) if x.is_infinite() => out.push_str(if *x > 0.0 { "inf" } else { "-inf" }),
        // JSON writes finite floats with Python's repr.
        Value::Float(_) => out.push_str(&json::to_string(value).ok()?),
        Value::String(text) => python_str_repr(text, out)?,
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_repr(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_str_repr(key, out)?;
                out.push_str(": ");
                python_repr(item, out)?;
            }
            out.push('}');
        }
    }
    Some(())
}

/// Python's `repr(str)`, for text up to U+00FF: single quotes unless the text
/// has a `'` and no `"`; `\\`, the quote, `\t \n \r` escaped; other
/// non-printable characters (C0, DEL, C1, U+00A0, U+00AD) as `\xNN`.
fn python_str_repr(text: &str, out: &mut String) -> Option<()> {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{a0}' | '\u{ad}' => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            '\u{20}'..='\u{ff}' => out.push(c),
            _ => return None,
        }
    }
    out.push(quote);
    Some(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Value {
        json::from_str(text).unwrap()
    }

    #[test]
    fn mark_safe_of_non_text_is_python_str() {
        for (json_text, python) in [
            ("5", "5"),
            ("2.5", "2.5"),
            ("1e16", "1e+16"),
            ("NaN", "nan"),
            ("-Infinity", "-inf"),
            ("null", "None"),
            ("true", "True"),
            (
                r#"[1,"a'b","x\"y","q'\"",{"k":[]}]"#,
                r#"[1, "a'b", 'x"y', 'q\'"', {'k': []}]"#,
            ),
            (r#"["\t\u0001\u00a0\u00e9\\"]"#, r"['\t\x01\xa0é\\']"),
        ] {
            assert_eq!(
                python_str(&value(json_text)).as_deref(),
                Some(python),
                "{json_text}"
            );
        }
        // repr beyond Latin-1 needs Unicode's printable table.
        assert_eq!(python_str(&value(r#"["\u4e2d"]"#)), None);
    }

    #[test]
    fn entries_round_trip_through_rotation() {
        let ring =
            KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789").unwrap();
        let now = UnixTime::from_secs_f64(1_600_000_000.0);
        for version in DjangoVersion::ALL {
            let cookie = MessagesCookie::builder(&ring)
                .django(version)
                .build()
                .unwrap();
            let entries = vec![
                MessageEntry::Other(r#""bare""#.into()),
                // Tags that every release writes back (≤ 4.0 drop "").
                MessageEntry::Message(Message {
                    extra_tags: Some("t".into()),
                    ..Message::new(20, "m")
                }),
                MessageEntry::Other(r#"{"k":["__json_message",0,30,"n"]}"#.into()),
            ];
            let value = cookie.encode_entries_at(&entries, true, now).unwrap();
            let decoded = cookie.decode(&value).unwrap();
            assert_eq!(
                (decoded.entries, decoded.not_finished, decoded.single),
                (entries, true, false)
            );
            assert_eq!(cookie.rotate_at(&value, now).unwrap(), value, "{version}");
        }
    }
}
