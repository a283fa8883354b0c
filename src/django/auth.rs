//! The session auth hash (`_auth_user_hash`), Django's `get_user` decision, and
//! whole-session rotation.

use subtle::ConstantTimeEq;

use subtle::Choice;

use crate::algorithm::{Algorithm, MacKey};
use crate::clock::UnixTime;
use crate::django::session::{DecodedSession, SessionCodec, SessionFormat};
use crate::error::{ConfigResult, Error, Result};
use crate::json::Value;
use crate::keyed::KeyedRing;
use crate::options::Options;
use crate::ring::KeyRing;
use crate::verified::Verification;
use crate::version::DjangoVersion;

const AUTH_HASH_SALT: &[u8] = b"django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";

/// The session key holding the user's primary key, as text.
pub const SESSION_USER_ID_KEY: &str = "_auth_user_id";
/// The session key holding the auth hash.
pub const SESSION_HASH_KEY: &str = "_auth_user_hash";

/// Computes and verifies `_auth_user_hash`, the HMAC of the user's stored
/// password hash that Django keeps in the session to log users out when their
/// password changes.
///
/// # Example
///
/// ```
/// use signring::{KeyRing, django::SessionAuthHash};
///
/// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let auth = SessionAuthHash::new(&ring, &Default::default())?;
/// assert_eq!(auth.hash("pbkdf2_sha256$600000$salt$hash"),
///            "21d743acc9eb29afa39f6dc72882d056fb4890fb1e04f3a6af1bd448ebb1d40f");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SessionAuthHash {
    keys: KeyedRing,
    legacy_sha1: Option<MacKey>,
    version: DjangoVersion,
}

/// What Django's `get_user(request)` does with a stored hash.
///
/// # Example
///
/// ```
/// use signring::django::GetUser;
/// assert!(GetUser::LoggedIn { rehashed: true }.is_logged_in());
/// assert!(!GetUser::LoggedOut.is_logged_in());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GetUser {
    /// The user stays logged in; `rehashed` when Django replaced the stored hash
    /// with the current one and cycled the session key (a fallback matched).
    LoggedIn {
        /// Whether Django rewrote `_auth_user_hash`.
        rehashed: bool,
    },
    /// Django flushes the session: the user is logged out.
    LoggedOut,
}

impl GetUser {
    /// Whether the user is still logged in.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(signring::django::GetUser::LoggedIn { rehashed: false }.is_logged_in());
    /// ```
    #[must_use]
    pub fn is_logged_in(self) -> bool {
        matches!(self, Self::LoggedIn { .. })
    }
}

impl SessionAuthHash {
    /// Derives the keys with `options`: its Django release and algorithm
    /// (Django 3.2's `DEFAULT_HASHING_ALGORITHM`; by default 2.2 uses SHA-1
    /// and 3.1+ SHA-256), clock and observer.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Unsupported`](crate::ConfigError::Unsupported) for an
    /// algorithm other than SHA-1 under 2.2.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{DjangoVersion, KeyRing, Options, django::SessionAuthHash};
    /// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let auth = SessionAuthHash::new(&ring, &Options::new().django(DjangoVersion::V2_2))?;
    /// assert_eq!(auth.hash("pbkdf2_sha256$600000$salt$hash"), "2e3dacf25bd0e7f75593d6218e9107d78bb040cc");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(ring: &KeyRing, options: &Options) -> ConfigResult<Self> {
        let algorithm = options.resolved_algorithm()?;
        let version = options.django;
        let keys = KeyedRing::derive(ring, algorithm, AUTH_HASH_SALT, options);
        let legacy_sha1 = (version == DjangoVersion::V3_2 && algorithm != Algorithm::Sha1)
            .then(|| MacKey::derive(Algorithm::Sha1, AUTH_HASH_SALT, ring.current().as_bytes()));
        Ok(Self {
            keys,
            legacy_sha1,
            version,
        })
    }

    /// The hash Django stores at login for `password_hash` (the user's stored
    /// password field, such as `pbkdf2_sha256$…`), with the current key.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// # let auth = signring::django::SessionAuthHash::new(&ring, &Default::default())?;
    /// assert_eq!(auth.hash("x").len(), 64);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn hash(&self, password_hash: &str) -> String {
        self.keys.current().tag(password_hash.as_bytes()).to_hex()
    }

    /// Which key (or 3.x's legacy SHA-1) produced `stored` for `password_hash`,
    /// comparing exact text in constant time; `None` when none did (the password
    /// changed, or the hash is not Django's). Keys' expiry is judged on the
    /// configured clock.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, django::SessionAuthHash};
    /// let mut ring = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let stored = SessionAuthHash::new(&ring, &Default::default())?.hash("pw");
    /// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let auth = SessionAuthHash::new(&ring, &Default::default())?;
    /// assert_eq!(auth.verify(&stored, "pw").map(|m| m.key_index), Some(1));
    /// assert_eq!(auth.verify(&stored, "changed"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn verify(&self, stored: &str, password_hash: &str) -> Option<Verification> {
        self.verify_at(stored, password_hash, self.keys.clock().now())
    }

    /// [`verify`](SessionAuthHash::verify) with keys' expiry judged at `now`.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, Options, RingKey, UnixTime, django::SessionAuthHash};
    /// let old = "the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123";
    /// let stored = SessionAuthHash::new(&KeyRing::new(old)?, &Options::new())?.hash("pw");
    /// let ring = KeyRing::new("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?
    ///     .with_ring_key(RingKey::new(old)?.not_after(UnixTime::from_secs_f64(100.0)))?;
    /// let auth = SessionAuthHash::new(&ring, &Options::new())?;
    /// assert!(auth.verify_at(&stored, "pw", UnixTime::from_secs_f64(100.0)).is_some());
    /// assert!(auth.verify_at(&stored, "pw", UnixTime::from_secs_f64(101.0)).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn verify_at(
        &self,
        stored: &str,
        password_hash: &str,
        now: UnixTime,
    ) -> Option<Verification> {
        let stored = stored.as_bytes();
        let matches = |key: &MacKey| -> Choice {
            key.tag(password_hash.as_bytes())
                .to_hex()
                .as_bytes()
                .ct_eq(stored)
        };
        // Django 3.2 also accepts the legacy SHA-1 hash of the current key.
        self.keys
            .verify(now, matches, self.legacy_sha1.as_ref(), false)
    }

    /// What Django's `get_user` does for a session whose user loads, given the
    /// stored hash (`None` when the session has none): exactly the release's
    /// rules, so fallback keys count only from 4.1.8/4.2.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{DjangoVersion, KeyRing, Options, django::{GetUser, SessionAuthHash}};
    /// let old = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let stored = SessionAuthHash::new(&old, &Options::new().django(DjangoVersion::V4_2))?.hash("pw");
    /// let mut ring = old.clone();
    /// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let auth = SessionAuthHash::new(&ring, &Options::new().django(DjangoVersion::V4_2))?;
    /// assert_eq!(auth.django_get_user(Some(&stored), "pw"), GetUser::LoggedIn { rehashed: true });
    /// let auth = SessionAuthHash::new(&ring, &Options::new().django(DjangoVersion::V3_2))?;
    /// assert_eq!(auth.django_get_user(Some(&stored), "pw"), GetUser::LoggedOut);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn django_get_user(&self, stored: Option<&str>, password_hash: &str) -> GetUser {
        let Some(stored) = stored.filter(|s| !s.is_empty()) else {
            return GetUser::LoggedOut;
        };
        match self.verify(stored, password_hash) {
            Some(Verification { key_index: 0, .. }) => GetUser::LoggedIn { rehashed: false },
            Some(_) if self.version >= DjangoVersion::V4_2 => GetUser::LoggedIn { rehashed: true },
            _ => GetUser::LoggedOut,
        }
    }
}

/// A session re-encoded with the current key by [`SessionCodec::rotate`].
///
/// # Example
///
/// See [`SessionCodec::rotate`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RotatedSession {
    /// The session data to store, encoded with the current key.
    pub data: String,
    /// How the old data verified.
    pub record: Verification,
    /// The format the old data was in.
    pub format: SessionFormat,
    /// Whether anything changed (key, algorithm, format or auth hash). When
    /// nothing did (the current or a staged key verified it, in the format the
    /// codec writes, with a hash that needs no rewrite), `data` is the input
    /// unchanged.
    pub was_stale: bool,
    /// Whether `_auth_user_hash` was rewritten to the current key's hash.
    pub hash_rewritten: bool,
}

/// Why a session cannot be rotated: each is a session Django would log out
/// or empty, so rotating it would resurrect it.
///
/// # Example
///
/// ```
/// use signring::django::RotateError;
/// assert_eq!(RotateError::PasswordChanged.to_string(), "the auth hash matches no key: the password changed");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RotateError {
    /// The session data does not decode (bad signature, expired, payload).
    #[error("session does not decode: {0}")]
    Decode(#[from] Error),
    /// The session names a user the lookup does not know.
    #[error("the session's user no longer exists")]
    UserGone,
    /// The session has a user but no auth hash.
    #[error("the session has no auth hash")]
    NoAuthHash,
    /// The stored auth hash matches no key for the user's current password.
    #[error("the auth hash matches no key: the password changed")]
    PasswordChanged,
}

impl SessionCodec {
    /// [`rotate_at`](SessionCodec::rotate_at) against the current time.
    ///
    /// # Errors
    ///
    /// As [`rotate_at`](SessionCodec::rotate_at).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::django::{SessionAuthHash, SessionCodec};
    /// let codec = SessionCodec::builder(&ring).build()?;
    /// let auth = SessionAuthHash::new(&ring, &Default::default())?;
    /// let anonymous = codec.encode(&signring::json::Map::new())?;
    /// assert!(!codec.rotate(&anonymous, &auth, |_| None)?.was_stale);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rotate(
        &self,
        data: &str,
        auth: &SessionAuthHash,
        password_hash: impl FnOnce(&str) -> Option<String>,
    ) -> Result<RotatedSession, RotateError> {
        self.rotate_at(data, auth, password_hash, self.clock_now())
    }

    /// Re-encodes a stored session with the current key, rewriting
    /// `_auth_user_hash` to the current key's hash, so that Django running with
    /// only the current key keeps the user logged in.
    ///
    /// `password_hash` looks up the stored password hash of the user whose
    /// primary key (as text) is in `_auth_user_id`. A session without a user is
    /// re-encoded as is. The original timestamp is kept.
    ///
    /// # Errors
    ///
    /// [`RotateError`]: never for a session Django would still accept.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, UnixTime, json};
    /// use signring::django::{SessionAuthHash, SessionCodec};
    ///
    /// let now = UnixTime::from_secs_f64(1_700_000_000.0);
    /// let old = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let hash = SessionAuthHash::new(&old, &Default::default())?.hash("pbkdf2$pw");
    /// let session: json::Map = json::from_str(&format!(
    ///     r#"{{"_auth_user_id":"7","_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_hash":"{hash}"}}"#))?;
    /// let stored = SessionCodec::builder(&old).build()?.encode_at(&session, now)?;
    ///
    /// let mut ring = old.clone();
    /// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let codec = SessionCodec::builder(&ring).build()?;
    /// let auth = SessionAuthHash::new(&ring, &Default::default())?;
    /// let rotated = codec.rotate_at(&stored, &auth, |id| (id == "7").then(|| "pbkdf2$pw".to_owned()), now)?;
    /// assert_eq!((rotated.record.key_index, rotated.hash_rewritten), (1, true));
    ///
    /// let fresh = SessionCodec::builder(&ring.without_fallbacks()).build()?.decode_at(&rotated.data, now)?;
    /// assert_eq!(fresh.session.get("_auth_user_hash"), Some(&json::Value::String(auth.hash("pbkdf2$pw"))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rotate_at(
        &self,
        data: &str,
        auth: &SessionAuthHash,
        password_hash: impl FnOnce(&str) -> Option<String>,
        now: UnixTime,
    ) -> Result<RotatedSession, RotateError> {
        let decoded = self.decode_at(data, now)?;
        self.rotate_decoded(data, decoded, auth, password_hash, now)
    }

    /// [`rotate_at`](SessionCodec::rotate_at) for a session this codec has
    /// already decoded from `data` with [`decode_at`](SessionCodec::decode_at):
    /// a batch that decodes every session first, to look all their users up
    /// at once, verifies each signature once.
    ///
    /// # Errors
    ///
    /// As [`rotate_at`](SessionCodec::rotate_at); [`Error::OtherSigner`]
    /// (as [`RotateError::Decode`]) when another codec (another salt or
    /// serializer) decoded it, as a session is only re-signed for the
    /// purpose it was verified for.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{KeyRing, UnixTime, json};
    /// use signring::django::{RotateError, SessionAuthHash, SessionCodec};
    ///
    /// let now = UnixTime::from_secs_f64(1_700_000_000.0);
    /// let old = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let stored = SessionCodec::builder(&old).build()?.encode_at(&json::Map::new(), now)?;
    ///
    /// let mut ring = old.clone();
    /// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let codec = SessionCodec::builder(&ring).build()?;
    /// let auth = SessionAuthHash::new(&ring, &Default::default())?;
    /// let decoded = codec.decode_at(&stored, now)?;
    /// let rotated = codec.rotate_decoded(&stored, decoded.clone(), &auth, |_| None, now)?;
    /// assert!(rotated.was_stale);
    ///
    /// let other = SessionCodec::builder(&ring).session_class("OtherStore").build()?;
    /// assert!(matches!(
    ///     other.rotate_decoded(&stored, decoded, &auth, |_| None, now),
    ///     Err(RotateError::Decode(signring::Error::OtherSigner))
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rotate_decoded(
        &self,
        data: &str,
        decoded: DecodedSession,
        auth: &SessionAuthHash,
        password_hash: impl FnOnce(&str) -> Option<String>,
        now: UnixTime,
    ) -> Result<RotatedSession, RotateError> {
        if decoded.purpose != self.purpose() {
            return Err(RotateError::Decode(Error::OtherSigner));
        }
        let mut session = decoded.session;
        let mut hash_rewritten = false;
        if let Some(user_id) = session.get(SESSION_USER_ID_KEY) {
            let user_id = match user_id {
                Value::String(text) => text.clone(),
                other => crate::json::to_string(other)
                    .map_err(|e| Error::Payload(e.into_payload_error()))?,
            };
            let password_hash = password_hash(&user_id).ok_or(RotateError::UserGone)?;
            let Some(Value::String(stored)) = session
                .get(SESSION_HASH_KEY)
                .filter(|v| *v != &Value::String(String::new()))
            else {
                return Err(RotateError::NoAuthHash);
            };
            let found = auth
                .verify_at(stored, &password_hash, now)
                .ok_or(RotateError::PasswordChanged)?;
            if found.stale {
                session.insert(
                    SESSION_HASH_KEY.to_owned(),
                    Value::String(auth.hash(&password_hash)),
                );
                hash_rewritten = true;
            }
        }
        let was_stale = decoded.record.stale || hash_rewritten;
        // Values the current or a staged key verified are left exactly as
        // they are: re-encoding a staged key's session would move it back to
        // the older key.
        let data = if was_stale {
            let timestamp = decoded.record.timestamp.unwrap_or_else(|| now.whole_secs());
            self.encode_with_timestamp(&session, timestamp)?
        } else {
            data.to_owned()
        };
        Ok(RotatedSession {
            data,
            record: decoded.record,
            format: decoded.format,
            was_stale,
            hash_rewritten,
        })
    }
}
