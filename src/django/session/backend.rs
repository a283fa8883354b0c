//! Where a session lives and which format it was stored in.

use crate::error::{ConfigError, ConfigResult};

/// Where the session lives, which decides the salt and whether the timestamp is
/// checked. The `cache` backend signs nothing, so it has no codec.
///
/// # Example
///
/// ```
/// use signring::django::SessionBackend;
/// assert_eq!("cached_db".parse::<SessionBackend>(), Ok(SessionBackend::CachedDb));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SessionBackend {
    /// `django.contrib.sessions.backends.cached_db`: the database row is signed.
    CachedDb,
    /// `django.contrib.sessions.backends.db` (Django's default).
    #[default]
    Db,
    /// `django.contrib.sessions.backends.file`.
    File,
    /// `django.contrib.sessions.backends.signed_cookies`: the cookie is the data.
    SignedCookies,
}

impl core::str::FromStr for SessionBackend {
    type Err = ConfigError;

    fn from_str(name: &str) -> ConfigResult<Self> {
        match name {
            "cached_db" => Ok(Self::CachedDb),
            "db" => Ok(Self::Db),
            "file" => Ok(Self::File),
            "signed_cookies" => Ok(Self::SignedCookies),
            _ => Err(ConfigError::Unsupported("session backend")),
        }
    }
}

/// Which of Django's two session formats a value was in.
///
/// # Example
///
/// ```
/// assert_eq!(signring::django::SessionFormat::Signed.as_str(), "signed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionFormat {
    /// Written by Django ≤ 3.0 (and 3.1–3.2 with `DEFAULT_HASHING_ALGORITHM =
    /// "sha1"`): `base64(hex(sha1 mac) ":" json)`.
    Legacy,
    /// Written by Django ≥ 3.1: `signing.dumps(session, compress=True)`.
    Signed,
}

impl SessionFormat {
    /// `"legacy"` or `"signed"`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::django::SessionFormat::Legacy.as_str(), "legacy");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::Signed => "signed",
        }
    }
}
