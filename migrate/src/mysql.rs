//! The `db` engine on MySQL and MariaDB (feature `mysql`; no TLS).

use std::collections::{HashMap, HashSet};

use mysql::consts::ColumnType;
use mysql::prelude::Queryable as _;
use mysql::{Conn, OptsBuilder, TxOpts, Value};

use crate::engine::Engine;
use crate::error::{MigrateError, StoreError};
use crate::ident::Identifier;
use crate::store::{Batch, Rewrite, SessionStore, StoredSession};
use crate::url::ServerUrl;
use crate::users::{LOOKUP_CHUNK, PasswordLookup, UserTable, text_forms};

/// A `django_session` table in MySQL or MariaDB.
///
/// Reads by keyset pagination; writes each batch in one transaction of
/// compare-and-set updates (`… WHERE session_key = ? AND session_data =
/// BINARY ?`: compared byte for byte, whatever the column's collation).
///
/// # Example
///
/// ```no_run
/// use signring_migrate::{MysqlStore, ServerUrl, UserTable};
/// let url = ServerUrl::parse("mysql://root@127.0.0.1:3306/site")?;
/// let store = MysqlStore::connect(&url, "django_session", UserTable::default())?;
/// # Ok::<(), signring_migrate::MigrateError>(())
/// ```
pub struct MysqlStore {
    conn: Conn,
    url: ServerUrl,
    table: Identifier,
    users: UserTable,
    integer_ids: Option<bool>,
    /// Whether the server takes `FOR UPDATE SKIP LOCKED` (MySQL 8.0,
    /// MariaDB 10.6 and later); learnt on the first write.
    skip_locked: bool,
}

impl core::fmt::Debug for MysqlStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "MysqlStore({})", self.target())
    }
}

impl MysqlStore {
    /// Connects over TCP, without TLS.
    ///
    /// # Errors
    ///
    /// [`MigrateError::Config`] for URL parameters or a bad table name,
    /// [`MigrateError::Store`] when the connection fails (the message never
    /// holds the password).
    pub fn connect(url: &ServerUrl, table: &str, users: UserTable) -> Result<Self, MigrateError> {
        let table = Identifier::new(table)?;
        if let Some((name, _)) = url.query().first() {
            return Err(MigrateError::Config(format!(
                "unsupported MySQL URL parameter {name:?}"
            )));
        }
        let options = OptsBuilder::new()
            .ip_or_hostname(Some(url.host()))
            .tcp_port(url.port().unwrap_or(3306))
            .user(url.user())
            .pass(url.password())
            .db_name((!url.database().is_empty()).then(|| url.database()))
            .prefer_socket(false);
        let conn = Conn::new(options)
            .map_err(|e| StoreError::connect(url.to_string(), url.scrub(&e.to_string())))?;
        Ok(Self {
            conn,
            url: url.clone(),
            table,
            users,
            integer_ids: None,
            skip_locked: true,
        })
    }

    /// The connection, for setting up or inspecting.
    pub fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    fn error(&self, error: &mysql::Error) -> StoreError {
        // 1213: deadlock; 1205: lock wait timeout.
        let transient =
            matches!(error, mysql::Error::MySqlError(e) if e.code == 1213 || e.code == 1205);
        StoreError::query(self.target(), self.url.scrub(&error.to_string()), transient)
    }
}

impl SessionStore for MysqlStore {
    fn engine(&self) -> Engine {
        Engine::Db
    }

    fn target(&self) -> String {
        format!("{} table {}", self.url, self.table)
    }

    fn read_batch(&mut self, after: Option<&str>, limit: usize) -> Result<Batch, StoreError> {
        let sql = format!(
            "SELECT session_key, session_data FROM {} WHERE session_key > ? ORDER BY session_key LIMIT ?",
            self.table.quoted('`')
        );
        let rows: Vec<(String, Option<Vec<u8>>)> = self
            .conn
            .exec(sql, (after.unwrap_or(""), limit as u64))
            .map_err(|e| self.error(&e))?;
        let sessions: Vec<StoredSession> = rows
            .into_iter()
            .map(|(key, data)| StoredSession::new(key, data.unwrap_or_default()))
            .collect();
        let next = (sessions.len() >= limit)
            .then(|| sessions.last().map(|s| s.key.clone()))
            .flatten();
        Ok(Batch { sessions, next })
    }

    fn write_batch(&mut self, rewrites: &[Rewrite]) -> Result<Vec<bool>, StoreError> {
        let sql = format!(
            "UPDATE {} SET session_data = ? WHERE session_key = ? AND session_data = BINARY ?",
            self.table.quoted('`')
        );
        // The batch's rows are locked first, skipping any a transaction of
        // the site holds: the migration never waits for the site's locks, so
        // it is never in a deadlock with a request (which InnoDB would settle
        // by failing the smaller transaction: the site's). A row skipped is
        // being changed; it counts as changed meanwhile.
        let lock = format!(
            "SELECT session_key FROM {} WHERE session_key IN ({}) FOR UPDATE SKIP LOCKED",
            self.table.quoted('`'),
            vec!["?"; rewrites.len()].join(",")
        );
        let mut attempt = |skip_locked: bool| {
            let mut transaction = self.conn.start_transaction(TxOpts::default())?;
            let locked: Option<HashSet<String>> = if skip_locked && !rewrites.is_empty() {
                let keys: Vec<&str> = rewrites.iter().map(|r| r.key.as_str()).collect();
                Some(transaction.exec(&lock, keys)?.into_iter().collect())
            } else {
                None
            };
            let statement = transaction.prep(&sql)?;
            let mut written = Vec::with_capacity(rewrites.len());
            for rewrite in rewrites {
                if locked
                    .as_ref()
                    .is_some_and(|locked| !locked.contains(&rewrite.key))
                {
                    written.push(false);
                    continue;
                }
                transaction.exec_drop(&statement, (&rewrite.new, &rewrite.key, &rewrite.old))?;
                written.push(transaction.affected_rows() == 1);
            }
            // Dropping the transaction on an error above rolls it back.
            transaction.commit()?;
            Ok::<_, mysql::Error>(written)
        };
        let result = match attempt(self.skip_locked) {
            // ER_PARSE_ERROR: a server without SKIP LOCKED.
            Err(mysql::Error::MySqlError(error)) if self.skip_locked && error.code == 1064 => {
                self.skip_locked = false;
                attempt(false)
            }
            other => other,
        };
        result.map_err(|e| self.error(&e))
    }

    fn remaining(&mut self, after: Option<&str>) -> Option<u64> {
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE session_key > ?",
            self.table.quoted('`')
        );
        self.conn
            .exec_first(sql, (after.unwrap_or(""),))
            .ok()
            .flatten()
    }
}

impl PasswordLookup for MysqlStore {
    fn password_hashes(
        &mut self,
        user_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let table = self.users.table().quoted('`');
        let id = self.users.id_column().quoted('`');
        let password = self.users.password_column().quoted('`');
        let integer = match self.integer_ids {
            Some(integer) => integer,
            None => {
                let statement = self
                    .conn
                    .prep(format!("SELECT {id} FROM {table} LIMIT 0"))
                    .map_err(|e| self.error(&e))?;
                let integer = statement.columns().first().is_some_and(|c| {
                    matches!(
                        c.column_type(),
                        ColumnType::MYSQL_TYPE_TINY
                            | ColumnType::MYSQL_TYPE_SHORT
                            | ColumnType::MYSQL_TYPE_INT24
                            | ColumnType::MYSQL_TYPE_LONG
                            | ColumnType::MYSQL_TYPE_LONGLONG
                    )
                });
                self.integer_ids = Some(integer);
                integer
            }
        };
        let mut found = HashMap::new();
        for chunk in user_ids.chunks(LOOKUP_CHUNK) {
            let forms: HashMap<String, String> = if integer {
                chunk
                    .iter()
                    .filter_map(|id| Some((id.parse::<i64>().ok()?.to_string(), id.clone())))
                    .collect()
            } else {
                text_forms(chunk)
            };
            if forms.is_empty() {
                continue;
            }
            let params: Vec<Value> = forms
                .keys()
                .map(|form| match form.parse::<i64>() {
                    Ok(n) if integer => Value::Int(n),
                    _ => Value::Bytes(form.clone().into_bytes()),
                })
                .collect();
            let sql = format!(
                "SELECT CAST({id} AS CHAR), {password} FROM {table} WHERE {id} IN ({})",
                vec!["?"; params.len()].join(",")
            );
            let rows: Vec<(Option<String>, Option<String>)> =
                self.conn.exec(sql, params).map_err(|e| self.error(&e))?;
            for (user, hash) in rows {
                if let (Some(user), Some(hash)) = (user, hash)
                    && let Some(original) = forms.get(&user)
                {
                    found.insert(original.clone(), hash);
                }
            }
        }
        Ok(found)
    }
}
