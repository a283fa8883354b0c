//! The `db` engine on PostgreSQL (feature `postgres`; no TLS).

use std::collections::{HashMap, HashSet};

use postgres::error::SqlState;
use postgres::types::Type;
use postgres::{Client, NoTls, Statement};

use crate::engine::Engine;
use crate::error::{MigrateError, StoreError};
use crate::ident::Identifier;
use crate::store::{Batch, Rewrite, SessionStore, StoredSession};
use crate::url::ServerUrl;
use crate::users::{LOOKUP_CHUNK, PasswordLookup, UserTable, dashless_uuid, text_forms};

/// A `django_session` table in PostgreSQL.
///
/// Reads by keyset pagination; writes each batch as one statement in one
/// transaction: `UPDATE … FROM unnest($keys, $old, $new) … WHERE session_key
/// = k AND session_data = old RETURNING session_key`, a compare-and-set per
/// row (under READ COMMITTED, a row changed by a concurrent transaction is
/// re-checked against the condition) that tells which rows were written.
///
/// # Example
///
/// ```no_run
/// use signring_migrate::{PostgresStore, ServerUrl, UserTable};
/// let url = ServerUrl::parse("postgres://postgres@127.0.0.1:5432/site")?;
/// let store = PostgresStore::connect(&url, "django_session", UserTable::default())?;
/// # Ok::<(), signring_migrate::MigrateError>(())
/// ```
pub struct PostgresStore {
    client: Client,
    url: ServerUrl,
    table: Identifier,
    users: UserTable,
    read: Option<Statement>,
    write: Option<Statement>,
    ids: Option<IdKind>,
    /// The users' lookup, prepared once.
    lookup: Option<Statement>,
}

/// How the user id column is compared.
#[derive(Debug, Clone, Copy)]
enum IdKind {
    Int2,
    Int4,
    Int8,
    Text,
    Uuid,
    /// Anything else: compared as text (no index).
    Other,
}

impl core::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PostgresStore({})", self.target())
    }
}

impl PostgresStore {
    /// Connects, without TLS (`sslmode=disable` and `prefer` are accepted;
    /// anything needing TLS is refused).
    ///
    /// # Errors
    ///
    /// [`MigrateError::Config`] for an unsupported URL or bad table name,
    /// [`MigrateError::Store`] when the connection fails (the message never
    /// holds the password).
    pub fn connect(url: &ServerUrl, table: &str, users: UserTable) -> Result<Self, MigrateError> {
        let table = Identifier::new(table)?;
        for (name, value) in url.query() {
            match (name.as_str(), value.as_str()) {
                ("sslmode", "disable" | "prefer" | "allow") => {}
                ("sslmode", _) => {
                    return Err(MigrateError::Config(
                        "this build connects to PostgreSQL without TLS: use sslmode=disable, or a \
                         local tunnel"
                            .into(),
                    ));
                }
                (other, _) => {
                    return Err(MigrateError::Config(format!(
                        "unsupported PostgreSQL URL parameter {other:?}"
                    )));
                }
            }
        }
        let mut config = postgres::Config::new();
        config
            .host(url.host())
            .port(url.port().unwrap_or(5432))
            .user(url.user().unwrap_or("postgres"))
            .application_name("signring-migrate");
        if !url.database().is_empty() {
            config.dbname(url.database());
        }
        if let Some(password) = url.password() {
            config.password(password);
        }
        let client = config
            .connect(NoTls)
            .map_err(|e| StoreError::connect(url.to_string(), url.scrub(&e.to_string())))?;
        Ok(Self {
            client,
            url: url.clone(),
            table,
            users,
            read: None,
            write: None,
            ids: None,
            lookup: None,
        })
    }

    /// The client, for setting up or inspecting.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    fn error(&self, error: &postgres::Error) -> StoreError {
        let transient = error.code().is_some_and(|code| {
            [
                SqlState::T_R_DEADLOCK_DETECTED,
                SqlState::T_R_SERIALIZATION_FAILURE,
                SqlState::LOCK_NOT_AVAILABLE,
            ]
            .contains(code)
        });
        let message = match error.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => error.to_string(),
        };
        StoreError::query(self.target(), self.url.scrub(&message), transient)
    }

    fn id_kind(&mut self) -> Result<IdKind, StoreError> {
        if let Some(kind) = self.ids {
            return Ok(kind);
        }
        let sql = format!(
            "SELECT {id} FROM {table} LIMIT 0",
            id = self.users.id_column().quoted('"'),
            table = self.users.table().quoted('"'),
        );
        let statement = self.client.prepare(&sql).map_err(|e| self.error(&e))?;
        let kind = match statement.columns().first().map(|c| c.type_().clone()) {
            Some(Type::INT2) => IdKind::Int2,
            Some(Type::INT4) => IdKind::Int4,
            Some(Type::INT8) => IdKind::Int8,
            Some(Type::TEXT | Type::VARCHAR | Type::BPCHAR) => IdKind::Text,
            Some(Type::UUID) => IdKind::Uuid,
            _ => IdKind::Other,
        };
        self.ids = Some(kind);
        Ok(kind)
    }
}

impl SessionStore for PostgresStore {
    fn engine(&self) -> Engine {
        Engine::Db
    }

    fn target(&self) -> String {
        format!("{} table {}", self.url, self.table)
    }

    fn read_batch(&mut self, after: Option<&str>, limit: usize) -> Result<Batch, StoreError> {
        if self.read.is_none() {
            let sql = format!(
                "SELECT session_key, session_data FROM {} WHERE session_key > $1 ORDER BY session_key LIMIT $2",
                self.table.quoted('"')
            );
            let statement = self.client.prepare(&sql).map_err(|e| self.error(&e))?;
            self.read = Some(statement);
        }
        let Some(statement) = &self.read else {
            return Ok(Batch {
                sessions: Vec::new(),
                next: None,
            });
        };
        let limit_param = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client
            .query(statement, &[&after.unwrap_or(""), &limit_param])
            .map_err(|e| self.error(&e))?;
        let mut sessions = Vec::with_capacity(rows.len());
        for row in rows {
            let key: String = row.try_get(0).map_err(|e| self.error(&e))?;
            let data: Option<String> = row.try_get(1).map_err(|e| self.error(&e))?;
            sessions.push(StoredSession::new(
                key,
                data.unwrap_or_default().into_bytes(),
            ));
        }
        let next = (sessions.len() >= limit)
            .then(|| sessions.last().map(|s| s.key.clone()))
            .flatten();
        Ok(Batch { sessions, next })
    }

    fn write_batch(&mut self, rewrites: &[Rewrite]) -> Result<Vec<bool>, StoreError> {
        if self.write.is_none() {
            // Only rows no transaction of the site holds are locked and
            // written (`SKIP LOCKED`): the migration never waits for the
            // site's locks, so it is never in a deadlock with a request. A
            // row skipped is being changed; it counts as changed meanwhile.
            let sql = format!(
                "WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS v(k, old, new)), \
                 locked AS (SELECT s.session_key FROM {table} AS s JOIN v ON s.session_key = v.k \
                            FOR UPDATE OF s SKIP LOCKED) \
                 UPDATE {table} AS s SET session_data = v.new FROM v \
                 WHERE s.session_key = v.k AND s.session_key IN (SELECT session_key FROM locked) \
                 AND s.session_data = v.old RETURNING s.session_key",
                table = self.table.quoted('"')
            );
            let statement = self.client.prepare(&sql).map_err(|e| self.error(&e))?;
            self.write = Some(statement);
        }
        let keys: Vec<&str> = rewrites.iter().map(|r| r.key.as_str()).collect();
        let old: Vec<String> = rewrites
            .iter()
            .map(|r| String::from_utf8_lossy(&r.old).into_owned())
            .collect();
        let new: Vec<String> = rewrites
            .iter()
            .map(|r| String::from_utf8_lossy(&r.new).into_owned())
            .collect();
        let Some(statement) = self.write.clone() else {
            return Ok(Vec::new());
        };
        let result = (|| {
            let mut transaction = self.client.transaction()?;
            let rows = transaction.query(&statement, &[&keys, &old, &new])?;
            transaction.commit()?;
            Ok::<_, postgres::Error>(rows)
        })();
        let rows = result.map_err(|e| self.error(&e))?;
        let mut written = HashSet::with_capacity(rows.len());
        for row in rows {
            written.insert(row.try_get::<_, String>(0).map_err(|e| self.error(&e))?);
        }
        Ok(rewrites.iter().map(|r| written.contains(&r.key)).collect())
    }

    fn remaining(&mut self, after: Option<&str>) -> Option<u64> {
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE session_key > $1",
            self.table.quoted('"')
        );
        let row = self.client.query_one(&sql, &[&after.unwrap_or("")]).ok()?;
        u64::try_from(row.try_get::<_, i64>(0).ok()?).ok()
    }
}

impl PasswordLookup for PostgresStore {
    fn password_hashes(
        &mut self,
        user_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let kind = self.id_kind()?;
        let id = self.users.id_column().quoted('"');
        let condition = match kind {
            IdKind::Int2 | IdKind::Int4 | IdKind::Int8 => format!("{id} = ANY($1::int8[])"),
            IdKind::Text => format!("{id} = ANY($1::text[])"),
            IdKind::Uuid => format!("{id} = ANY($1::text[]::uuid[])"),
            IdKind::Other => format!("{id}::text = ANY($1::text[])"),
        };
        let sql = format!(
            "SELECT {id}::text, {password} FROM {table} WHERE {condition}",
            password = self.users.password_column().quoted('"'),
            table = self.users.table().quoted('"'),
        );
        let statement = match &self.lookup {
            Some(statement) => statement.clone(),
            None => {
                let statement = self.client.prepare(&sql).map_err(|e| self.error(&e))?;
                self.lookup = Some(statement.clone());
                statement
            }
        };
        let mut found = HashMap::new();
        for chunk in user_ids.chunks(LOOKUP_CHUNK) {
            // The form each id is looked up by, mapped back to the id.
            let forms: HashMap<String, String> = match kind {
                IdKind::Int2 | IdKind::Int4 | IdKind::Int8 => chunk
                    .iter()
                    .filter_map(|id| Some((id.parse::<i64>().ok()?.to_string(), id.clone())))
                    .collect(),
                IdKind::Uuid => chunk
                    .iter()
                    .filter_map(|id| {
                        let hex = dashless_uuid(id).or_else(|| {
                            (id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()))
                                .then(|| id.to_ascii_lowercase())
                        })?;
                        let dashed = format!(
                            "{}-{}-{}-{}-{}",
                            &hex[..8],
                            &hex[8..12],
                            &hex[12..16],
                            &hex[16..20],
                            &hex[20..]
                        );
                        Some((dashed, id.clone()))
                    })
                    .collect(),
                IdKind::Text | IdKind::Other => text_forms(chunk),
            };
            if forms.is_empty() {
                continue;
            }
            let rows = match kind {
                IdKind::Int2 | IdKind::Int4 | IdKind::Int8 => {
                    let numbers: Vec<i64> = forms.keys().filter_map(|f| f.parse().ok()).collect();
                    self.client.query(&statement, &[&numbers])
                }
                _ => {
                    let texts: Vec<&str> = forms.keys().map(String::as_str).collect();
                    self.client.query(&statement, &[&texts])
                }
            }
            .map_err(|e| self.error(&e))?;
            for row in rows {
                let user: Option<String> = row.try_get(0).map_err(|e| self.error(&e))?;
                let hash: Option<String> = row.try_get(1).map_err(|e| self.error(&e))?;
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
