//! The `cached_db` engine: a `db` store, then the session's cache entry in
//! Redis is deleted (feature `redis`).

use std::collections::HashMap;

use crate::cache_key::{CACHED_DB_SESSION_PREFIX, CacheKeys};
use crate::engine::Engine;
use crate::error::{MigrateError, StoreError};
use crate::store::{Batch, Rewrite, SessionStore};
use crate::url::ServerUrl;
use crate::users::PasswordLookup;

/// Django's `cached_db` engine: the rows of a database store, and their
/// cache entries in Redis (`KEY_PREFIX:VERSION:django.contrib.sessions.cached_db<key>`).
///
/// The cache holds the session dict unsigned, with the old auth hash: after
/// each committed batch, the cache entry of every session that verified
/// (re-signed or fresh) is deleted, so Django reads the row again. Deleting
/// fresh sessions' entries too costs one database read each, and repairs a
/// run that stopped between a commit and its deletes when it is run again.
///
/// # Example
///
/// ```no_run
/// # #[cfg(feature = "sqlite")] {
/// use signring_migrate::{CacheKeys, CachedDbStore, SqliteStore, UserTable};
/// let db = SqliteStore::open("db.sqlite3", "django_session", UserTable::default())?;
/// let store = CachedDbStore::connect(Box::new(db), "redis://127.0.0.1:6379/1", CacheKeys::default())?;
/// # }
/// # Ok::<(), signring_migrate::MigrateError>(())
/// ```
pub struct CachedDbStore {
    db: Box<dyn SessionStore>,
    connection: redis::Connection,
    url: ServerUrl,
    keys: CacheKeys,
}

impl core::fmt::Debug for CachedDbStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "CachedDbStore({})", self.target())
    }
}

impl CachedDbStore {
    /// The database store `db` with the cache at `url`.
    ///
    /// # Errors
    ///
    /// As [`RedisCacheStore::connect`](crate::RedisCacheStore::connect).
    pub fn connect(
        db: Box<dyn SessionStore>,
        url: &str,
        keys: CacheKeys,
    ) -> Result<Self, MigrateError> {
        let (connection, url) = crate::redis_cache::connect(url)?;
        Ok(Self {
            db,
            connection,
            url,
            keys,
        })
    }
}

impl SessionStore for CachedDbStore {
    fn engine(&self) -> Engine {
        Engine::CachedDb
    }

    fn target(&self) -> String {
        format!(
            "{} and {} keys {}",
            self.db.target(),
            self.url,
            self.keys.key(CACHED_DB_SESSION_PREFIX, "*")
        )
    }

    fn read_batch(&mut self, after: Option<&str>, limit: usize) -> Result<Batch, StoreError> {
        self.db.read_batch(after, limit)
    }

    fn write_batch(&mut self, rewrites: &[Rewrite]) -> Result<Vec<bool>, StoreError> {
        self.db.write_batch(rewrites)
    }

    fn settle(&mut self, verified: &[&str]) -> Result<(), StoreError> {
        self.db.settle(verified)?;
        for chunk in verified.chunks(500) {
            let keys: Vec<String> = chunk
                .iter()
                .map(|key| self.keys.key(CACHED_DB_SESSION_PREFIX, key))
                .collect();
            redis::cmd("DEL")
                .arg(&keys)
                .query::<i64>(&mut self.connection)
                .map_err(|e| crate::redis_cache::redis_error(&self.url, self.target(), &e))?;
        }
        Ok(())
    }

    fn remaining(&mut self, after: Option<&str>) -> Option<u64> {
        self.db.remaining(after)
    }
}

impl PasswordLookup for CachedDbStore {
    fn password_hashes(
        &mut self,
        user_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        self.db.password_hashes(user_ids)
    }
}
