//! The messages framework's cookie: `django.contrib.messages.storage.cookie.CookieStorage`.

mod decode;
mod encode;
mod entry;
mod message;
mod python;
mod store;
#[cfg(test)]
mod tests;

use crate::algorithm::Algorithm;
use crate::django::cookie::cookie_ring;
use crate::error::ConfigResult;
use crate::keyed::KeyedRing;
use crate::options::{Options, option_setters};
use crate::ring::KeyRing;
use crate::timed::TimestampSigner;
use crate::version::DjangoVersion;

pub use message::{DecodedMessages, Message, MessageEntry, MessagesFormat, StoredMessages};

const SALT: &str = "django.contrib.messages";
const MESSAGE_KEY: &str = "__json_message";
/// The string Django appends when not every message fit in the cookie.
pub const NOT_FINISHED: &str = "__messagesnotfinished__";
/// Django's `CookieStorage.max_cookie_size`.
pub const MAX_COOKIE_SIZE: usize = 2048;

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

    /// The salt of every format of the messages cookie.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let cookie = signring::django::MessagesCookie::builder(&ring).build()?;
    /// assert_eq!(cookie.salt(), "django.contrib.messages");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn salt(&self) -> &str {
        self.signer.signer().salt()
    }
}
