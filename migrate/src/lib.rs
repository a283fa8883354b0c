//! Move every stored Django session to the current key, so the old
//! `SECRET_KEY` can be retired without logging anybody out.
//!
//! Rotating a Django key keeps the old one as a fallback: sessions are
//! re-signed only when their user comes back and the session is saved, so
//! whoever stays away longer than the grace period is logged out, and the old
//! key stays valid the whole time. This crate re-signs the sessions a site
//! has already stored, where they live, with [`signring`]'s
//! [`SessionCodec::rotate_decoded`](signring::django::SessionCodec::rotate_decoded):
//! each keeps its data and its signing timestamp, its `_auth_user_hash` is
//! rewritten to the current key's hash, and it is written back with a
//! compare-and-set, so a session the running site changed meanwhile is
//! skipped and counted, never overwritten.
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use signring::KeyRing;
//! use signring_migrate::{Migrator, SqliteStore, UserTable};
//! # let connection = rusqlite::Connection::open_in_memory()?;
//! # connection.execute_batch("CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text, expire_date datetime)")?;
//! # let path = connection; // stands in for SqliteStore::open("db.sqlite3", ...)
//!
//! // SECRET_KEY = the new key, SECRET_KEY_FALLBACKS = [the old key]
//! let ring = KeyRing::new("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?
//!     .with_fallback("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
//! let mut store = SqliteStore::from_connection(path, "django_session", UserTable::default())?;
//! let report = Migrator::builder(&ring).batch_size(1000).build()?.run(&mut store)?;
//! assert!(report.complete && report.is_clean());
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Engines and backends
//!
//! | Engine | Where | What is rewritten |
//! | --- | --- | --- |
//! | [`Engine::Db`] | `django_session` in SQLite ([`SqliteStore`]), PostgreSQL ([`PostgresStore`]), MySQL/MariaDB ([`MysqlStore`]) | `session_data`, re-signed; `expire_date` untouched |
//! | [`Engine::CachedDb`] | as `db`, plus Redis ([`CachedDbStore`]) | the row, then the cache entry is deleted |
//! | [`Engine::Cache`] | Redis ([`RedisCacheStore`]), Django's `RedisCache` or django-redis, pickle serializer, no compression | `_auth_user_hash` inside the pickle, in place, TTL kept |
//! | [`Engine::File`] | `SESSION_FILE_PATH` ([`FileStore`]) | the file, through a temporary file and an atomic exchange (a rename where the file system has none), mtime kept |
//!
//! Signed-cookie sessions live in the browsers and cannot be migrated
//! offline ([`EngineError::SignedCookies`]).
//!
//! # Safety
//!
//! - Values no key verifies, or that are corrupt, are left exactly as they
//!   are and counted (`undecodable`); so are cache entries that cannot be
//!   rewritten safely.
//! - Sessions the current key or a staged key verified are left alone.
//! - Each batch is one transaction of compare-and-set writes; a failed batch
//!   is rolled back, and the run stops.
//! - With a state file, a run resumes after the last committed batch.
//! - A dry run writes nothing and counts what it would do.
//! - The run stops before writing when a fallback key signed a session after
//!   the run started: a server still signs with the old key (the rule is in
//!   [`MigrateError::OldKeyStillSigning`]).
//!
//! # Crate features
//!
//! - **`sqlite`** (default): [`SqliteStore`], SQLite compiled in.
//! - **`postgres`** (default): [`PostgresStore`], without TLS.
//! - **`mysql`** (default): [`MysqlStore`], MySQL and MariaDB, without TLS.
//! - **`redis`** (default): [`RedisCacheStore`] and [`CachedDbStore`].

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cache_key;
mod engine;
mod error;
mod fleet;
mod ident;
mod migrate;
mod open;
mod parallel;
pub mod pickle;
mod plan;
mod progress;
mod rate;
mod report;
mod state;
mod store;
mod url;
mod users;

#[cfg(feature = "redis")]
mod cached_db;
mod file;
mod file_swap;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis_cache;
#[cfg(feature = "sqlite")]
mod sqlite;

// The public interface is:
pub use cache_key::{CACHE_SESSION_PREFIX, CACHED_DB_SESSION_PREFIX, CacheKeys};
#[cfg(feature = "redis")]
pub use cached_db::CachedDbStore;
pub use engine::{Engine, EngineError};
pub use error::{MigrateError, StoreError};
pub use file::FileStore;
pub use ident::Identifier;
pub use migrate::{DEFAULT_BATCH_SIZE, Migrator, MigratorBuilder};
#[cfg(feature = "mysql")]
pub use mysql::MysqlStore;
pub use open::{StoreConfig, open_database, open_store};
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "redis")]
pub use redis_cache::RedisCacheStore;
pub use report::Report;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use store::{Batch, Rewrite, SessionStore, StoredSession, ValueFormat};
pub use url::ServerUrl;
pub use users::{PasswordLookup, UserTable};
