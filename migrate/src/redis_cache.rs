//! The `cache` engine on Redis (feature `redis`): Django's `RedisCache` and
//! django-redis with their default pickle serializer, uncompressed.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::cache_key::{CACHE_SESSION_PREFIX, CacheKeys};
use crate::engine::Engine;
use crate::error::{MigrateError, StoreError};
use crate::store::{Batch, Rewrite, SessionStore, StoredSession, ValueFormat};
use crate::url::ServerUrl;
use crate::users::PasswordLookup;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Compare-and-set that keeps the TTL: the value is replaced only if it is
/// still the one read, by `SETRANGE` at offset 0 with a value of the same
/// length, which leaves the key's expiry as it is. Atomic: a script runs
/// alone.
const COMPARE_AND_SET: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] and string.len(ARGV[1]) == string.len(ARGV[2]) then
  redis.call('SETRANGE', KEYS[1], 0, ARGV[2])
  return 1
end
return 0
";

/// Sessions of Django's `cache` engine in Redis.
///
/// Entries are found with `SCAN MATCH KEY_PREFIX:VERSION:django.contrib.sessions.cache*`
/// (the cursor is what a state file records); each value is a pickled dict
/// whose `_auth_user_hash` is rewritten in place ([`crate::pickle`]) by an
/// atomic compare-and-set script that keeps the TTL. The users' password
/// hashes come from a database ([`PasswordLookup`]).
///
/// # Example
///
/// ```no_run
/// # #[cfg(feature = "sqlite")] {
/// use signring_migrate::{CacheKeys, RedisCacheStore, SqliteStore, UserTable};
/// let users = SqliteStore::open("db.sqlite3", "django_session", UserTable::default())?;
/// let store = RedisCacheStore::connect("redis://127.0.0.1:6379/0", CacheKeys::default(), Box::new(users))?;
/// # }
/// # Ok::<(), signring_migrate::MigrateError>(())
/// ```
pub struct RedisCacheStore {
    connection: redis::Connection,
    url: ServerUrl,
    pattern: String,
    users: Box<dyn PasswordLookup>,
    script: Option<String>,
}

impl core::fmt::Debug for RedisCacheStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RedisCacheStore({})", self.target())
    }
}

/// Connects to Redis; errors never hold the password.
pub(crate) fn connect(url: &str) -> Result<(redis::Connection, ServerUrl), MigrateError> {
    let parsed = ServerUrl::parse(url)?;
    if !matches!(parsed.scheme(), "redis") {
        return Err(MigrateError::Config(
            "the cache URL must be redis://host:port/N (TLS is not supported)".into(),
        ));
    }
    let failed = |e: redis::RedisError| {
        StoreError::connect(parsed.to_string(), parsed.scrub(&e.to_string()))
    };
    let client = redis::Client::open(url).map_err(failed)?;
    let connection = client
        .get_connection_with_timeout(CONNECT_TIMEOUT)
        .map_err(failed)?;
    Ok((connection, parsed))
}

pub(crate) fn redis_error(
    url: &ServerUrl,
    target: String,
    error: &redis::RedisError,
) -> StoreError {
    StoreError::query(target, url.scrub(&error.to_string()), false)
}

impl RedisCacheStore {
    /// Connects to the cache at `url` (`redis://[:password@]host:port/N`),
    /// with the users' password hashes from `users`.
    ///
    /// # Errors
    ///
    /// [`MigrateError::Config`] for a URL that is not `redis://`,
    /// [`MigrateError::Store`] when the connection fails.
    pub fn connect(
        url: &str,
        keys: CacheKeys,
        users: Box<dyn PasswordLookup>,
    ) -> Result<Self, MigrateError> {
        let (connection, url) = connect(url)?;
        Ok(Self {
            connection,
            url,
            pattern: keys.pattern(CACHE_SESSION_PREFIX),
            users,
            script: None,
        })
    }

    fn error(&self, error: &redis::RedisError) -> StoreError {
        redis_error(&self.url, self.target(), error)
    }

    /// The compare-and-set script's SHA-1, loaded on first use.
    fn script(&mut self, reload: bool) -> Result<String, StoreError> {
        if let (Some(sha), false) = (&self.script, reload) {
            return Ok(sha.clone());
        }
        let sha: String = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(COMPARE_AND_SET)
            .query(&mut self.connection)
            .map_err(|e| self.error(&e))?;
        self.script = Some(sha.clone());
        Ok(sha)
    }
}

impl SessionStore for RedisCacheStore {
    fn engine(&self) -> Engine {
        Engine::Cache
    }

    fn format(&self) -> ValueFormat {
        ValueFormat::Pickle
    }

    fn target(&self) -> String {
        format!("{} keys {}", self.url, self.pattern)
    }

    fn read_batch(&mut self, after: Option<&str>, limit: usize) -> Result<Batch, StoreError> {
        let mut cursor: u64 = match after {
            Some(text) => text.parse().map_err(|_| {
                StoreError::query(
                    self.target(),
                    "the state file's cursor is not a SCAN cursor",
                    false,
                )
            })?,
            None => 0,
        };
        let mut keys = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let (next, found): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&self.pattern)
                .arg("COUNT")
                .arg(limit.max(10))
                .query(&mut self.connection)
                .map_err(|e| self.error(&e))?;
            for key in found {
                if seen.insert(key.clone()) {
                    keys.push(key);
                }
            }
            cursor = next;
            if cursor == 0 || keys.len() >= limit {
                break;
            }
        }
        let mut sessions = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(500) {
            let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
                .arg(chunk)
                .query(&mut self.connection)
                .map_err(|e| self.error(&e))?;
            for (key, value) in chunk.iter().zip(values) {
                // A key that expired since the scan has nothing to migrate.
                if let Some(value) = value {
                    sessions.push(StoredSession::new(String::from_utf8_lossy(key), value));
                }
            }
        }
        let next = (cursor != 0).then(|| cursor.to_string());
        Ok(Batch { sessions, next })
    }

    fn write_batch(&mut self, rewrites: &[Rewrite]) -> Result<Vec<bool>, StoreError> {
        let mut reload = false;
        loop {
            let sha = self.script(reload)?;
            let mut pipe = redis::pipe();
            for rewrite in rewrites {
                pipe.cmd("EVALSHA")
                    .arg(&sha)
                    .arg(1)
                    .arg(&rewrite.key)
                    .arg(&rewrite.old)
                    .arg(&rewrite.new);
            }
            match pipe.query::<Vec<i64>>(&mut self.connection) {
                Ok(results) => return Ok(results.into_iter().map(|n| n == 1).collect()),
                // The server's script cache was flushed: load it again, once.
                Err(e)
                    if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript)
                        && !reload =>
                {
                    reload = true;
                }
                Err(e) => return Err(self.error(&e)),
            }
        }
    }
}

impl PasswordLookup for RedisCacheStore {
    fn password_hashes(
        &mut self,
        user_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        self.users.password_hashes(user_ids)
    }
}
