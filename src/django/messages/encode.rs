//! Writing messages cookies, as Django's `MessageEncoder` and `CookieStorage._encode`.

use serde::Serialize;
use serde::ser::SerializeSeq as _;

use super::entry::{canonical, message_value};
use super::{MESSAGE_KEY, Message, MessageEntry, MessagesCookie, NOT_FINISHED};
use crate::clock::UnixTime;
use crate::error::{Error, Result};
use crate::json::{self, Value};
use crate::version::DjangoVersion;

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
}
