//! Django's own signed artifacts, read with any key in the ring and re-issued
//! with the current key (feature **`django`**).
//!
//! | Type | Django |
//! | --- | --- |
//! | [`SessionCodec`] | session data of the `db`, `file`, `cached_db` and `signed_cookies` backends, both formats |
//! | [`SessionAuthHash`] | `_auth_user_hash` and `get_user`'s decision |
//! | [`SessionCodec::rotate_at`] | a whole stored session re-encoded with the current key and hash |
//! | [`PasswordResetTokens`] | `default_token_generator` |
//! | [`SignedCookie`], [`quote_cookie_value`] | `set_signed_cookie` / `get_signed_cookie`, `Set-Cookie` quoting |
//! | [`MessagesCookie`] | the messages framework's `CookieStorage` |
//! | [`check_keys`] | the `SECRET_KEY` warnings W009 and W025 |
//!
//! Every type takes a [`DjangoVersion`](crate::DjangoVersion): by default it reads
//! exactly what that release reads, and reading the formats of older releases is
//! an explicit opt-in. Whatever verifies with anything but the current key and
//! format is reported stale.
//!
//! # Example: keep a user logged in across a key rotation
//!
//! ```
//! use signring::{KeyRing, UnixTime, json};
//! use signring::django::{SessionAuthHash, SessionCodec};
//!
//! let now = UnixTime::from_secs_f64(1_700_000_000.0);
//! let password = "pbkdf2_sha256$600000$salt$hash";
//!
//! // The session row Django wrote at login, under the old key.
//! let old = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
//! let hash = SessionAuthHash::new(&old, &Default::default())?.hash(password);
//! let login: json::Map = json::from_str(&format!(
//!     r#"{{"_auth_user_id":"1","_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_hash":"{hash}"}}"#
//! ))?;
//! let row = SessionCodec::builder(&old).build()?.encode_at(&login, now)?;
//!
//! // Rotate: re-encode the row with the new key and the new auth hash.
//! let mut ring = old.clone();
//! ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
//! let auth = SessionAuthHash::new(&ring, &Default::default())?;
//! let rotated = SessionCodec::builder(&ring).build()?.rotate_at(&row, &auth, |_| Some(password.into()), now)?;
//!
//! // Django with only the new key still sees the user logged in.
//! let new_only = ring.without_fallbacks();
//! let session = SessionCodec::builder(&new_only).build()?.decode_at(&rotated.data, now)?;
//! let stored = session.session.get("_auth_user_hash").and_then(|v| match v { json::Value::String(s) => Some(s.as_str()), _ => None });
//! let auth = SessionAuthHash::new(&new_only, &Default::default())?;
//! assert!(auth.django_get_user(stored, password).is_logged_in());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod auth;
mod cookie;
mod messages;
mod session;
mod token;

pub use crate::check::{KeyWarning, check_keys};
pub use auth::{
    GetUser, RotateError, RotatedSession, SESSION_HASH_KEY, SESSION_USER_ID_KEY, SessionAuthHash,
};
pub use cookie::{
    SaltVariant, SignedCookie, SignedCookieBuilder, VerifiedCookie, quote_cookie_value,
    unquote_cookie_value,
};
pub use messages::{
    DecodedMessages, MAX_COOKIE_SIZE, Message, MessageEntry, MessagesCookie, MessagesCookieBuilder,
    MessagesFormat, NOT_FINISHED, StoredMessages,
};
pub use session::{
    DEFAULT_SESSION_COOKIE_AGE, DecodedSession, SessionBackend, SessionCodec, SessionCodecBuilder,
    SessionFormat,
};
pub use token::{
    DEFAULT_PASSWORD_RESET_TIMEOUT, PasswordResetTokens, PasswordResetTokensBuilder, ResetUser,
    parse_naive_datetime,
};
