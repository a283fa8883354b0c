//! Django's cache key format: `KEY_PREFIX:VERSION:key`.

/// The key prefix of the `cache` session engine.
pub const CACHE_SESSION_PREFIX: &str = "django.contrib.sessions.cache";
/// The key prefix of the `cached_db` session engine.
pub const CACHED_DB_SESSION_PREFIX: &str = "django.contrib.sessions.cached_db";

/// How Django's default `KEY_FUNCTION` names cache entries: `CACHES`'
/// `KEY_PREFIX` (default `""`) and `VERSION` (default `1`) around the key,
/// as `"%s:%s:%s" % (key_prefix, version, key)`. django-redis uses the same
/// function by default.
///
/// # Example
///
/// ```
/// use signring_migrate::{CacheKeys, CACHED_DB_SESSION_PREFIX};
/// let keys = CacheKeys::default();
/// assert_eq!(keys.key(CACHED_DB_SESSION_PREFIX, "abc123xyz"), ":1:django.contrib.sessions.cached_dbabc123xyz");
/// let keys = CacheKeys::new("site", 2);
/// assert_eq!(keys.key("k", "1"), "site:2:k1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKeys {
    prefix: String,
    version: i64,
}

impl Default for CacheKeys {
    fn default() -> Self {
        Self::new("", 1)
    }
}

impl CacheKeys {
    /// Keys with Django's `KEY_PREFIX` and `VERSION`.
    ///
    /// # Example
    ///
    /// ```
    /// let keys = signring_migrate::CacheKeys::new("prod", 3);
    /// assert_eq!(keys.key("a", "b"), "prod:3:ab");
    /// ```
    #[must_use]
    pub fn new(prefix: impl Into<String>, version: i64) -> Self {
        Self {
            prefix: prefix.into(),
            version,
        }
    }

    /// The cache key of `session_key` under the engine's `kind` prefix
    /// ([`CACHE_SESSION_PREFIX`] or [`CACHED_DB_SESSION_PREFIX`]).
    ///
    /// # Example
    ///
    /// ```
    /// use signring_migrate::{CacheKeys, CACHE_SESSION_PREFIX};
    /// assert_eq!(CacheKeys::default().key(CACHE_SESSION_PREFIX, "k"), ":1:django.contrib.sessions.cachek");
    /// ```
    #[must_use]
    pub fn key(&self, kind: &str, session_key: &str) -> String {
        format!("{}:{}:{kind}{session_key}", self.prefix, self.version)
    }

    /// A Redis `SCAN MATCH` pattern for every session under `kind`: the key
    /// with the session key replaced by `*`, the prefix's glob characters
    /// escaped.
    ///
    /// # Example
    ///
    /// ```
    /// use signring_migrate::{CacheKeys, CACHE_SESSION_PREFIX};
    /// assert_eq!(CacheKeys::new("a*b", 1).pattern(CACHE_SESSION_PREFIX), r"a\*b:1:django.contrib.sessions.cache*");
    /// ```
    #[must_use]
    pub fn pattern(&self, kind: &str) -> String {
        let mut pattern = glob_escape(&self.key(kind, ""));
        pattern.push('*');
        pattern
    }
}

/// Escapes Redis glob characters (`*`, `?`, `[`, `]`, `\`).
fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_prefix_and_version() {
        assert_eq!(
            CacheKeys::default().key(CACHE_SESSION_PREFIX, "x"),
            ":1:django.contrib.sessions.cachex"
        );
        assert_eq!(
            CacheKeys::default().pattern(CACHED_DB_SESSION_PREFIX),
            ":1:django.contrib.sessions.cached_db*"
        );
    }

    #[test]
    fn every_glob_character_is_escaped() {
        assert_eq!(CacheKeys::new(r"[a]?\", 0).pattern("p"), r"\[a\]\?\\:0:p*");
    }
}
