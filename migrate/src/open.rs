//! Opening a store from the command line's options: URLs to backends.

use std::path::PathBuf;

use crate::cache_key::CacheKeys;
use crate::engine::Engine;
use crate::error::MigrateError;
use crate::store::SessionStore;
use crate::url::ServerUrl;
use crate::users::UserTable;

/// Where an engine's sessions (and its users) are, as the CLI's options
/// give them.
///
/// # Example
///
/// ```
/// use signring_migrate::{Engine, StoreConfig, open_store};
/// let config = StoreConfig::new(Engine::Db);
/// assert!(open_store(&config).is_err()); // `db` needs a database URL
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoreConfig {
    /// The engine.
    pub engine: Engine,
    /// `sqlite:///path`, `postgres://…` or `mysql://…`: the sessions of `db`
    /// and `cached_db`, the users of every engine.
    pub database: Option<String>,
    /// `redis://host:port/N`: `cache` and `cached_db`.
    pub cache: Option<String>,
    /// Django's `CACHES` `KEY_PREFIX` and `VERSION`.
    pub cache_keys: CacheKeys,
    /// `SESSION_FILE_PATH` (`file`).
    pub file_path: Option<PathBuf>,
    /// `SESSION_COOKIE_NAME` (`file`), default `sessionid`.
    pub cookie_name: String,
    /// The session table, default `django_session`.
    pub table: String,
    /// The user table and columns.
    pub users: UserTable,
}

impl StoreConfig {
    /// Django's defaults for `engine`, with no locations yet.
    #[must_use]
    pub fn new(engine: Engine) -> Self {
        Self {
            engine,
            database: None,
            cache: None,
            cache_keys: CacheKeys::default(),
            file_path: None,
            cookie_name: "sessionid".to_owned(),
            table: "django_session".to_owned(),
            users: UserTable::default(),
        }
    }
}

/// Opens the store `config` describes.
///
/// # Errors
///
/// [`MigrateError::Config`] when a location the engine needs is missing or a
/// URL is not supported (or its backend was not compiled in),
/// [`MigrateError::Store`] when connecting fails.
pub fn open_store(config: &StoreConfig) -> Result<Box<dyn SessionStore>, MigrateError> {
    let database = || {
        config.database.as_deref().ok_or_else(|| {
            MigrateError::Config(format!(
                "the {} engine needs --database URL (sqlite:///path, postgres://…, mysql://…){}",
                config.engine,
                if matches!(config.engine, Engine::Db | Engine::CachedDb) {
                    ""
                } else {
                    " for the users' password hashes (the user table)"
                }
            ))
        })
    };
    let cache = || {
        config.cache.as_deref().ok_or_else(|| {
            MigrateError::Config(format!(
                "the {} engine needs --cache redis://host:port/N",
                config.engine
            ))
        })
    };
    match config.engine {
        Engine::Db => {
            if config.cache.is_some() || config.file_path.is_some() {
                return Err(MigrateError::Config(
                    "the db engine takes --database only (--cache is for cached_db and cache, --file-path for file)".into(),
                ));
            }
            open_database(database()?, &config.table, config.users.clone())
        }
        Engine::CachedDb => {
            let db = open_database(database()?, &config.table, config.users.clone())?;
            cached_db(db, cache()?, config)
        }
        Engine::Cache => {
            let users = open_database(database()?, &config.table, config.users.clone())?;
            redis_cache(users, cache()?, config)
        }
        Engine::File => {
            let dir = config.file_path.as_ref().ok_or_else(|| {
                MigrateError::Config(
                    "the file engine needs --file-path DIR (SESSION_FILE_PATH)".into(),
                )
            })?;
            let users = open_database(database()?, &config.table, config.users.clone())?;
            Ok(Box::new(crate::file::FileStore::open(
                dir,
                &config.cookie_name,
                Some(users),
            )?))
        }
    }
}

#[cfg(feature = "redis")]
fn cached_db(
    db: Box<dyn SessionStore>,
    url: &str,
    config: &StoreConfig,
) -> Result<Box<dyn SessionStore>, MigrateError> {
    Ok(Box::new(crate::cached_db::CachedDbStore::connect(
        db,
        url,
        config.cache_keys.clone(),
    )?))
}

#[cfg(not(feature = "redis"))]
fn cached_db(
    _: Box<dyn SessionStore>,
    _: &str,
    _: &StoreConfig,
) -> Result<Box<dyn SessionStore>, MigrateError> {
    Err(not_built("redis"))
}

#[cfg(feature = "redis")]
fn redis_cache(
    users: Box<dyn SessionStore>,
    url: &str,
    config: &StoreConfig,
) -> Result<Box<dyn SessionStore>, MigrateError> {
    Ok(Box::new(crate::redis_cache::RedisCacheStore::connect(
        url,
        config.cache_keys.clone(),
        users,
    )?))
}

#[cfg(not(feature = "redis"))]
fn redis_cache(
    _: Box<dyn SessionStore>,
    _: &str,
    _: &StoreConfig,
) -> Result<Box<dyn SessionStore>, MigrateError> {
    Err(not_built("redis"))
}

/// Opens a database store from its URL: `sqlite:///path/to/db.sqlite3`,
/// `postgres://` (or `postgresql://`), `mysql://` (or `mariadb://`).
///
/// # Errors
///
/// [`MigrateError::Config`] for another scheme, or one whose backend was not
/// compiled in; [`MigrateError::Store`] when connecting fails.
///
/// # Example
///
/// ```
/// use signring_migrate::{UserTable, open_database};
/// let opened = open_database("oracle://db/site", "django_session", UserTable::default());
/// assert!(matches!(opened, Err(error) if error.to_string().contains("sqlite")));
/// ```
pub fn open_database(
    url: &str,
    table: &str,
    users: UserTable,
) -> Result<Box<dyn SessionStore>, MigrateError> {
    let parsed = ServerUrl::parse(url)?;
    match parsed.scheme() {
        "sqlite" => sqlite(&parsed, table, users),
        "postgres" | "postgresql" => postgres(&parsed, table, users),
        "mysql" | "mariadb" => mysql(&parsed, table, users),
        _ => Err(MigrateError::Config(
            "the database URL must start with sqlite://, postgres:// or mysql://".into(),
        )),
    }
}

#[cfg(feature = "sqlite")]
fn sqlite(
    url: &ServerUrl,
    table: &str,
    users: UserTable,
) -> Result<Box<dyn SessionStore>, MigrateError> {
    Ok(Box::new(crate::sqlite::SqliteStore::open(
        url.database(),
        table,
        users,
    )?))
}

#[cfg(not(feature = "sqlite"))]
fn sqlite(_: &ServerUrl, _: &str, _: UserTable) -> Result<Box<dyn SessionStore>, MigrateError> {
    Err(not_built("sqlite"))
}

#[cfg(feature = "postgres")]
fn postgres(
    url: &ServerUrl,
    table: &str,
    users: UserTable,
) -> Result<Box<dyn SessionStore>, MigrateError> {
    Ok(Box::new(crate::postgres::PostgresStore::connect(
        url, table, users,
    )?))
}

#[cfg(not(feature = "postgres"))]
fn postgres(_: &ServerUrl, _: &str, _: UserTable) -> Result<Box<dyn SessionStore>, MigrateError> {
    Err(not_built("postgres"))
}

#[cfg(feature = "mysql")]
fn mysql(
    url: &ServerUrl,
    table: &str,
    users: UserTable,
) -> Result<Box<dyn SessionStore>, MigrateError> {
    Ok(Box::new(crate::mysql::MysqlStore::connect(
        url, table, users,
    )?))
}

#[cfg(not(feature = "mysql"))]
fn mysql(_: &ServerUrl, _: &str, _: UserTable) -> Result<Box<dyn SessionStore>, MigrateError> {
    Err(not_built("mysql"))
}

#[allow(dead_code)] // unused when every backend is compiled in
fn not_built(feature: &str) -> MigrateError {
    MigrateError::Config(format!(
        "this build has no {feature} support (the signring-migrate feature `{feature}`)"
    ))
}
