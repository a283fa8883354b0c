//! The `db` engine on a real MariaDB or MySQL (SIGNRING_TEST_MYSQL_URL).

use mysql::prelude::Queryable as _;
use mysql::{Conn, Opts};
use signring_migrate::{MysqlStore, ServerUrl, SessionStore, UserTable};

use crate::db_suite::{TestDb, db_suite};
use crate::support;

/// A database created for one test and dropped after it.
pub struct MysqlDb {
    conn: Conn,
    name: String,
    url: String,
}

impl MysqlDb {
    pub fn new() -> Option<Self> {
        let server = support::server_url("SIGNRING_TEST_MYSQL_URL", "MariaDB")?;
        let mut conn = Conn::new(Opts::from_url(&server).unwrap()).expect("MariaDB answers");
        let name = support::unique("my");
        conn.query_drop(format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"))
            .unwrap();
        conn.query_drop(format!("USE {name}")).unwrap();
        conn.query_drop(
            "CREATE TABLE django_session (session_key varchar(40) NOT NULL PRIMARY KEY, \
               session_data longtext NOT NULL, expire_date datetime(6) NOT NULL)",
        )
        .unwrap();
        conn.query_drop(
            "CREATE INDEX django_session_expire_date_a5c62663 ON django_session (expire_date)",
        )
        .unwrap();
        conn.query_drop(
            "CREATE TABLE auth_user (id integer AUTO_INCREMENT NOT NULL PRIMARY KEY, password varchar(128) NOT NULL)",
        )
        .unwrap();
        let (base, _) = server.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Some(Self { conn, name, url })
    }
}

impl Drop for MysqlDb {
    fn drop(&mut self) {
        let _ = self
            .conn
            .query_drop(format!("DROP DATABASE IF EXISTS {}", self.name));
    }
}

impl TestDb for MysqlDb {
    fn store(&mut self) -> Box<dyn SessionStore> {
        let url = ServerUrl::parse(&self.url).unwrap();
        Box::new(MysqlStore::connect(&url, "django_session", UserTable::default()).unwrap())
    }
    fn url(&self) -> String {
        self.url.clone()
    }
    fn insert_session(&mut self, key: &str, data: &str, expire: &str) {
        self.conn
            .exec_drop(
                "INSERT INTO django_session VALUES (?, ?, ?)",
                (key, data, expire),
            )
            .unwrap();
    }
    fn insert_user(&mut self, id: i64, password: &str) {
        self.conn
            .exec_drop(
                "INSERT INTO auth_user (id, password) VALUES (?, ?)",
                (id, password),
            )
            .unwrap();
    }
    fn row(&mut self, key: &str) -> (String, String) {
        self.conn
            .exec_first(
                "SELECT session_data, CAST(expire_date AS CHAR) FROM django_session WHERE session_key = ?",
                (key,),
            )
            .unwrap()
            .unwrap()
    }
    fn set_data(&mut self, key: &str, data: &str) {
        self.conn
            .exec_drop(
                "UPDATE django_session SET session_data = ? WHERE session_key = ?",
                (data, key),
            )
            .unwrap();
    }
    fn fail_updates_of(&mut self, key: &str) {
        self.conn
            .query_drop(format!(
                "CREATE TRIGGER fail_update BEFORE UPDATE ON django_session FOR EACH ROW BEGIN \
                   IF OLD.session_key = '{key}' THEN \
                     SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by a test trigger'; \
                   END IF; END"
            ))
            .unwrap();
    }
    fn allow_updates(&mut self) {
        self.conn.query_drop("DROP TRIGGER fail_update").unwrap();
    }
}

db_suite!(MysqlDb::new());

#[test]
fn connection_errors_never_show_the_password() {
    let Some(_) = support::server_url("SIGNRING_TEST_MYSQL_URL", "MariaDB") else {
        return;
    };
    let url = ServerUrl::parse("mysql://root:s3cr3t-pw@127.0.0.1:3306/nonexistent_db_x").unwrap();
    let error = MysqlStore::connect(&url, "django_session", UserTable::default()).unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(!text.contains("s3cr3t-pw"), "{text}");
}
