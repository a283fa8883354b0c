//! What a messages cookie holds: messages and other entries, and what
//! decoding and storing return.

#[cfg(doc)]
use super::MessagesCookie;
use crate::verified::Verification;

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
