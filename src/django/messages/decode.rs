//! Reading messages cookies in every format Django wrote.

use subtle::ConstantTimeEq;

use super::entry::{entry, is_message};
use super::{DecodedMessages, MessageEntry, MessagesCookie, MessagesFormat, NOT_FINISHED};
use crate::algorithm::MacKey;
use crate::clock::UnixTime;
use crate::error::{Error, Malformed, PayloadError, Result};
use crate::json::{self, Value};
use crate::verified::Verification;
use crate::version::DjangoVersion;

impl MessagesCookie {
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
        self.signer.signer().check_input_len(data)?;
        let (mac, text) = data
            .split_once('$')
            .ok_or(Error::Malformed(Malformed::NoSeparator))?;
        let legacy_format = self.version != DjangoVersion::V2_2;
        let matches = |key: &MacKey| {
            key.tag(text.as_bytes())
                .to_hex()
                .as_bytes()
                .ct_eq(mac.as_bytes())
        };
        let record = self
            .legacy
            .verify(now, matches, None, legacy_format)
            .ok_or(Error::BadSignature)?;
        let value: Value =
            json::from_str(text).map_err(|e| Error::Payload(e.into_payload_error()))?;
        let parsed = Parsed::read(&value, self.version)?;
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
