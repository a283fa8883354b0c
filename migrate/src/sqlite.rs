//! The `db` engine on SQLite (feature `sqlite`; SQLite is compiled in).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior, params_from_iter};

use crate::engine::Engine;
use crate::error::{MigrateError, StoreError};
use crate::ident::Identifier;
use crate::store::{Batch, Rewrite, SessionStore, StoredSession};
use crate::users::{LOOKUP_CHUNK, PasswordLookup, UserTable, text_forms};

/// How long a statement waits for a lock the application holds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The connection's page cache, in KiB (SQLite's negative `cache_size`).
const CACHE_KIB: i64 = -65_536;

/// A `django_session` table in an SQLite database.
///
/// Reads by keyset pagination (`WHERE session_key > ? ORDER BY session_key
/// LIMIT ?`); writes each batch in one `BEGIN IMMEDIATE` transaction of
/// compare-and-set updates (`… WHERE session_key = ? AND session_data = ?`),
/// holding the write lock only while writing. `expire_date` is never touched.
///
/// # Example
///
/// ```
/// use signring_migrate::{SessionStore, SqliteStore, UserTable};
/// let connection = rusqlite::Connection::open_in_memory()?;
/// connection.execute_batch("CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text, expire_date datetime)")?;
/// let mut store = SqliteStore::from_connection(connection, "django_session", UserTable::default())?;
/// assert!(store.read_batch(None, 10)?.sessions.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SqliteStore {
    connection: Connection,
    target: String,
    table: Identifier,
    users: UserTable,
    /// Whether the user id column has integer affinity (learnt on first use).
    integer_ids: Option<bool>,
    /// Whether this connection switched the journal from `delete` to
    /// `persist` (switched back on drop).
    persist_journal: bool,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if self.persist_journal {
            let _ = self
                .connection
                .pragma_update(None, "journal_mode", "delete");
        }
    }
}

impl SqliteStore {
    /// Opens an existing database file (never creates one).
    ///
    /// # Errors
    ///
    /// [`MigrateError::Config`] for a bad table name, [`MigrateError::Store`]
    /// when the file cannot be opened.
    ///
    /// # Example
    ///
    /// ```
    /// use signring_migrate::{SqliteStore, UserTable};
    /// assert!(SqliteStore::open("/nonexistent/db.sqlite3", "django_session", UserTable::default()).is_err());
    /// ```
    pub fn open(
        path: impl AsRef<Path>,
        table: &str,
        users: UserTable,
    ) -> Result<Self, MigrateError> {
        let path = path.as_ref();
        let target = format!("sqlite://{}", path.display());
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags)
            .map_err(|e| StoreError::connect(&target, e.to_string()))?;
        Self::with_target(connection, target, table, users)
    }

    /// Uses an open connection.
    ///
    /// # Errors
    ///
    /// [`MigrateError::Config`] for a bad table name.
    pub fn from_connection(
        connection: Connection,
        table: &str,
        users: UserTable,
    ) -> Result<Self, MigrateError> {
        let target = match connection.path() {
            Some(path) if !path.is_empty() => format!("sqlite://{path}"),
            _ => "sqlite://:memory:".to_owned(),
        };
        Self::with_target(connection, target, table, users)
    }

    fn with_target(
        connection: Connection,
        target: String,
        table: &str,
        users: UserTable,
    ) -> Result<Self, MigrateError> {
        let table = Identifier::new(table)?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| StoreError::connect(&target, e.to_string()))?;
        // This connection's page cache (not the database's setting): a batch's
        // changed pages stay in memory until its commit instead of spilling
        // into the file mid-transaction.
        connection
            .pragma_update(None, "cache_size", CACHE_KIB)
            .map_err(|e| StoreError::connect(&target, e.to_string()))?;
        // In the default rollback-journal mode, this connection keeps its
        // journal file between commits instead of creating and deleting it
        // for every batch (a per-connection setting; WAL and the other modes,
        // which are the database's own, are left alone). Back to `delete`,
        // which removes the file, when the store is dropped.
        let journal: String = connection
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .map_err(|e| StoreError::connect(&target, e.to_string()))?;
        let persist_journal = journal.eq_ignore_ascii_case("delete")
            && connection
                .pragma_update_and_check(None, "journal_mode", "persist", |row| {
                    row.get::<_, String>(0)
                })
                .is_ok_and(|mode| mode.eq_ignore_ascii_case("persist"));
        Ok(Self {
            connection,
            target,
            table,
            users,
            integer_ids: None,
            persist_journal,
        })
    }

    /// The connection, for setting up or inspecting.
    #[must_use]
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    fn error(&self, error: &rusqlite::Error) -> StoreError {
        let transient = matches!(
            error.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        );
        StoreError::query(self.target_with_table(), error.to_string(), transient)
    }

    fn target_with_table(&self) -> String {
        format!("{} table {}", self.target, self.table)
    }
}

impl SessionStore for SqliteStore {
    fn engine(&self) -> Engine {
        Engine::Db
    }

    fn target(&self) -> String {
        self.target_with_table()
    }

    fn read_batch(&mut self, after: Option<&str>, limit: usize) -> Result<Batch, StoreError> {
        let sql = format!(
            "SELECT session_key, session_data FROM {} WHERE session_key > ?1 ORDER BY session_key LIMIT ?2",
            self.table.quoted('"')
        );
        let read = || -> rusqlite::Result<Vec<StoredSession>> {
            let mut statement = self.connection.prepare_cached(&sql)?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let mut rows = statement.query((after.unwrap_or(""), limit))?;
            let mut sessions = Vec::new();
            while let Some(row) = rows.next()? {
                let key: String = row.get(0)?;
                let value = match row.get_ref(1)? {
                    rusqlite::types::ValueRef::Text(bytes)
                    | rusqlite::types::ValueRef::Blob(bytes) => bytes.to_vec(),
                    _ => Vec::new(),
                };
                sessions.push(StoredSession::new(key, value));
            }
            Ok(sessions)
        };
        let sessions = read().map_err(|e| self.error(&e))?;
        let next = (sessions.len() >= limit)
            .then(|| sessions.last().map(|s| s.key.clone()))
            .flatten();
        Ok(Batch { sessions, next })
    }

    fn write_batch(&mut self, rewrites: &[Rewrite]) -> Result<Vec<bool>, StoreError> {
        let sql = format!(
            "UPDATE {} SET session_data = ?1 WHERE session_key = ?2 AND session_data = ?3",
            self.table.quoted('"')
        );
        let mut write = || -> rusqlite::Result<Vec<bool>> {
            let transaction = self
                .connection
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut written = Vec::with_capacity(rewrites.len());
            {
                let mut statement = transaction.prepare_cached(&sql)?;
                for rewrite in rewrites {
                    let changed = statement.execute((
                        String::from_utf8_lossy(&rewrite.new),
                        &rewrite.key,
                        String::from_utf8_lossy(&rewrite.old),
                    ))?;
                    written.push(changed == 1);
                }
            }
            // Dropping the transaction on an error above rolls it back.
            transaction.commit()?;
            Ok(written)
        };
        write().map_err(|e| self.error(&e))
    }

    fn remaining(&mut self, after: Option<&str>) -> Option<u64> {
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE session_key > ?1",
            self.table.quoted('"')
        );
        self.connection
            .query_row(&sql, [after.unwrap_or("")], |row| row.get::<_, i64>(0))
            .ok()
            .and_then(|n| u64::try_from(n).ok())
    }
}

impl PasswordLookup for SqliteStore {
    fn password_hashes(
        &mut self,
        user_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let table = self.users.table().quoted('"');
        let id = self.users.id_column().quoted('"');
        let password = self.users.password_column().quoted('"');
        let integer = match self.integer_ids {
            Some(integer) => integer,
            None => {
                let sql = format!("SELECT {id} FROM {table} LIMIT 0");
                let integer = self
                    .connection
                    .prepare(&sql)
                    .map(|statement| {
                        statement
                            .columns()
                            .first()
                            .and_then(|c| c.decl_type())
                            .is_some_and(|t| t.to_ascii_uppercase().contains("INT"))
                    })
                    .map_err(|e| self.error(&e))?;
                self.integer_ids = Some(integer);
                integer
            }
        };
        let mut found = HashMap::new();
        let lookup = |params: Vec<rusqlite::types::Value>,
                      back: &dyn Fn(&str) -> Option<String>,
                      found: &mut HashMap<String, String>|
         -> rusqlite::Result<()> {
            if params.is_empty() {
                return Ok(());
            }
            let placeholders = vec!["?"; params.len()].join(",");
            let sql = format!(
                "SELECT CAST({id} AS TEXT), {password} FROM {table} WHERE {id} IN ({placeholders})"
            );
            let mut statement = self.connection.prepare_cached(&sql)?;
            let mut rows = statement.query(params_from_iter(params))?;
            while let Some(row) = rows.next()? {
                let (Some(user), Some(hash)) = (
                    row.get::<_, Option<String>>(0)?,
                    row.get::<_, Option<String>>(1)?,
                ) else {
                    continue;
                };
                if let Some(original) = back(&user) {
                    found.insert(original, hash);
                }
            }
            Ok(())
        };
        for chunk in user_ids.chunks(LOOKUP_CHUNK) {
            let result = if integer {
                let numbers: HashMap<i64, &String> = chunk
                    .iter()
                    .filter_map(|id| Some((id.parse().ok()?, id)))
                    .collect();
                let params = numbers
                    .keys()
                    .map(|n| rusqlite::types::Value::Integer(*n))
                    .collect();
                let back = |text: &str| {
                    text.parse::<i64>()
                        .ok()
                        .and_then(|n| numbers.get(&n).map(|s| (*s).clone()))
                };
                lookup(params, &back, &mut found)
            } else {
                let forms = text_forms(chunk);
                let params = forms
                    .keys()
                    .map(|f| rusqlite::types::Value::Text(f.clone()))
                    .collect();
                let back = |text: &str| forms.get(text).cloned();
                lookup(params, &back, &mut found)
            };
            result.map_err(|e| self.error(&e))?;
        }
        Ok(found)
    }
}
