//! The `db` engine on SQLite: always runs.

use rusqlite::Connection;
use signring_migrate::{SessionStore, SqliteStore, UserTable};

use crate::db_suite::{TestDb, db_suite};
use crate::support;

pub struct SqliteDb {
    pub path: std::path::PathBuf,
    connection: Connection,
}

pub const SCHEMA: &str = r#"
CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL);
CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date");
CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "username" varchar(150) NOT NULL DEFAULT '');
"#;

impl SqliteDb {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("{}.sqlite3", support::unique("sqlite")));
        let connection = Connection::open(&path).unwrap();
        connection.execute_batch(SCHEMA).unwrap();
        Self { path, connection }
    }
}

impl Drop for SqliteDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl TestDb for SqliteDb {
    fn store(&mut self) -> Box<dyn SessionStore> {
        Box::new(SqliteStore::open(&self.path, "django_session", UserTable::default()).unwrap())
    }
    fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }
    fn insert_session(&mut self, key: &str, data: &str, expire: &str) {
        self.connection
            .execute(
                "INSERT INTO django_session VALUES (?1, ?2, ?3)",
                (key, data, expire),
            )
            .unwrap();
    }
    fn insert_user(&mut self, id: i64, password: &str) {
        self.connection
            .execute(
                "INSERT INTO auth_user (id, password) VALUES (?1, ?2)",
                (id, password),
            )
            .unwrap();
    }
    fn row(&mut self, key: &str) -> (String, String) {
        self.connection
            .query_row(
                "SELECT session_data, CAST(expire_date AS TEXT) FROM django_session WHERE session_key = ?1",
                [key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap()
    }
    fn set_data(&mut self, key: &str, data: &str) {
        self.connection
            .execute(
                "UPDATE django_session SET session_data = ?1 WHERE session_key = ?2",
                (data, key),
            )
            .unwrap();
    }
    fn fail_updates_of(&mut self, key: &str) {
        self.connection
            .execute_batch(&format!(
                "CREATE TRIGGER fail_update BEFORE UPDATE ON django_session WHEN OLD.session_key = '{key}' \
                 BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END;"
            ))
            .unwrap();
    }
    fn allow_updates(&mut self) {
        self.connection
            .execute_batch("DROP TRIGGER fail_update")
            .unwrap();
    }
}

db_suite!(Some(SqliteDb::new()));

#[test]
fn custom_user_model_with_text_and_uuid_ids() {
    use signring::DjangoVersion;
    use signring::json::Value;
    let db = SqliteDb::new();
    db.connection
        .execute_batch(
            "CREATE TABLE accounts_member (member_id char(32) PRIMARY KEY, pw varchar(128));
             CREATE TABLE accounts_handle (handle varchar(20) PRIMARY KEY, pw varchar(128));",
        )
        .unwrap();
    let django = DjangoVersion::V5_2;
    let old = support::single(support::OLD, "old");
    let uuid = "12345678-1234-5678-1234-567812345678";
    let mut session = support::login(1, &old, django);
    session.insert("_auth_user_id".into(), Value::String(uuid.into()));
    let hash = signring::django::SessionAuthHash::new(&old, &support::options(django))
        .unwrap()
        .hash("pw-of-uuid-user");
    session.insert("_auth_user_hash".into(), Value::String(hash));
    let data = support::encode(&old, &session, django, support::SIGNED_AT);
    db.connection
        .execute(
            "INSERT INTO django_session VALUES ('kuuid0000000', ?1, '2099-01-01')",
            [&data],
        )
        .unwrap();
    // Django stores a UUIDField as 32 hex digits on SQLite.
    db.connection
        .execute(
            "INSERT INTO accounts_member VALUES ('12345678123456781234567812345678', 'pw-of-uuid-user')",
            [],
        )
        .unwrap();
    let users = UserTable::new("accounts_member", "member_id", "pw").unwrap();
    let mut store = SqliteStore::open(&db.path, "django_session", users).unwrap();
    let ring = support::ring();
    let report = signring_migrate::Migrator::builder(&ring)
        .build()
        .unwrap()
        .run(&mut store)
        .unwrap();
    assert_eq!(
        (report.resigned, report.hash_rewritten, report.users_missing),
        (1, 1, 0),
        "{report:?}"
    );
}

#[test]
fn refuses_identifiers_that_are_not_plain_names() {
    let db = SqliteDb::new();
    assert!(
        SqliteStore::open(
            &db.path,
            "django_session; DROP TABLE x",
            UserTable::default()
        )
        .is_err()
    );
    assert!(UserTable::new("auth_user", "id\"", "password").is_err());
}

#[test]
fn threads_change_nothing_but_the_speed() {
    let django = signring::DjangoVersion::V5_2;
    let counts = support::Counts {
        users: 300,
        anonymous: 90,
    };
    let ring = support::ring();
    let mut results = Vec::new();
    for threads in [1, 3] {
        let mut db = SqliteDb::new();
        let rows = crate::db_suite::load(&mut db, &counts, django);
        let report = signring_migrate::Migrator::builder(&ring)
            .options(support::options(django))
            .batch_size(400)
            .threads(std::num::NonZeroUsize::new(threads).unwrap())
            .build()
            .unwrap()
            .run(db.store().as_mut())
            .unwrap();
        support::expect_report(&report, &counts);
        let stored: Vec<(String, String)> = rows.iter().map(|row| db.row(&row.key)).collect();
        let by_key: std::collections::HashMap<&str, &str> = rows
            .iter()
            .zip(&stored)
            .map(|(row, (data, _))| (row.key.as_str(), data.as_str()))
            .collect();
        support::check_migrated(&rows, |key| by_key[key].to_owned(), django);
        results.push((format!("{report:?}"), stored));
    }
    assert_eq!(
        results[0], results[1],
        "one thread and three write the same rows"
    );
}

#[test]
fn leaves_the_journal_mode_and_no_journal_file() {
    let django = signring::DjangoVersion::V5_2;
    let counts = support::Counts {
        users: 5,
        anonymous: 2,
    };
    let ring = support::ring();
    for mode in ["delete", "wal", "truncate"] {
        let mut db = SqliteDb::new();
        crate::db_suite::load(&mut db, &counts, django);
        let set: String = Connection::open(&db.path)
            .unwrap()
            .pragma_update_and_check(None, "journal_mode", mode, |row| row.get(0))
            .unwrap();
        assert_eq!(set, mode);
        let report = crate::db_suite::migrate(&mut db, &ring, django);
        support::expect_report(&report, &counts);
        let journal = std::path::PathBuf::from(format!("{}-journal", db.path.display()));
        assert!(
            !journal.exists(),
            "{mode}: {} left behind",
            journal.display()
        );
        // `delete` and `truncate` are each connection's own; `wal` is the
        // database's, and stays.
        let now: String = Connection::open(&db.path)
            .unwrap()
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(now, if mode == "wal" { "wal" } else { "delete" }, "{mode}");
    }
}
