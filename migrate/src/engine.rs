//! Django's session engines, as `SESSION_ENGINE` names them.

use core::fmt;
use core::str::FromStr;

/// A Django session engine whose stored sessions can be migrated.
///
/// `signed_cookies` sessions live in the browsers and cannot be migrated
/// offline: parsing that name gives [`EngineError::SignedCookies`], whose
/// message says where to do it instead.
///
/// # Example
///
/// ```
/// use signring_migrate::Engine;
/// assert_eq!("cached_db".parse::<Engine>(), Ok(Engine::CachedDb));
/// assert_eq!(Engine::File.as_str(), "file");
/// assert!("signed_cookies".parse::<Engine>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Engine {
    /// `django.contrib.sessions.backends.db`: the `django_session` table.
    Db,
    /// `django.contrib.sessions.backends.cached_db`: the table, plus a cache
    /// entry per session that must be dropped when its row changes.
    CachedDb,
    /// `django.contrib.sessions.backends.cache`: a pickled dict in the cache;
    /// only `_auth_user_hash` depends on the key.
    Cache,
    /// `django.contrib.sessions.backends.file`: one file per session.
    File,
}

impl Engine {
    /// The engine's short name: `db`, `cached_db`, `cache` or `file`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring_migrate::Engine::CachedDb.as_str(), "cached_db");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Db => "db",
            Self::CachedDb => "cached_db",
            Self::Cache => "cache",
            Self::File => "file",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a name is not an engine that can be migrated.
///
/// # Example
///
/// ```
/// use signring_migrate::{Engine, EngineError};
/// assert_eq!("memcached".parse::<Engine>(), Err(EngineError::Unknown));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// Not one of `db`, `cached_db`, `cache`, `file`.
    #[error("unknown session engine: expected db, cached_db, cache or file")]
    Unknown,
    /// `signed_cookies`: the sessions are in the browsers.
    #[error(
        "signed_cookies sessions live in the browsers' cookies and cannot be migrated offline: \
         re-sign them as requests arrive, in the web layer (signring's SessionCodec with the \
         signed_cookies backend re-encodes a cookie with the current key), and keep the old key \
         as a fallback for SESSION_COOKIE_AGE after the promotion"
    )]
    SignedCookies,
}

impl FromStr for Engine {
    type Err = EngineError;

    fn from_str(name: &str) -> Result<Self, EngineError> {
        // Django's full module paths are accepted too.
        let short = name
            .strip_prefix("django.contrib.sessions.backends.")
            .unwrap_or(name);
        match short {
            "db" => Ok(Self::Db),
            "cached_db" => Ok(Self::CachedDb),
            "cache" => Ok(Self::Cache),
            "file" => Ok(Self::File),
            "signed_cookies" => Err(EngineError::SignedCookies),
            _ => Err(EngineError::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for engine in [Engine::Db, Engine::CachedDb, Engine::Cache, Engine::File] {
            assert_eq!(engine.as_str().parse::<Engine>(), Ok(engine));
        }
        assert_eq!(
            "django.contrib.sessions.backends.cached_db".parse::<Engine>(),
            Ok(Engine::CachedDb)
        );
    }

    #[test]
    fn signed_cookies_points_to_the_web_layer() {
        let error = "signed_cookies".parse::<Engine>().unwrap_err();
        assert!(error.to_string().contains("web layer"));
    }
}
