//! signring-migrate's integration tests, one binary. SQLite and files always
//! run; PostgreSQL, MariaDB and Redis run against the servers named by
//! SIGNRING_TEST_POSTGRES_URL, SIGNRING_TEST_MYSQL_URL and
//! SIGNRING_TEST_REDIS_URL (a loud NOT RUN line without them, a failure under
//! CI=true).

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss
)] // test fixtures: row numbers, TTLs and timestamps far inside every range
#![allow(
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    unreachable_pub,
    dead_code
)]

mod db_suite;
mod support;

#[cfg(feature = "sqlite")]
mod file_store;
#[cfg(feature = "mysql")]
mod mysql_db;
#[cfg(feature = "postgres")]
mod postgres_db;
#[cfg(all(feature = "redis", feature = "sqlite"))]
mod redis_cache;
#[cfg(feature = "sqlite")]
mod sqlite_db;
