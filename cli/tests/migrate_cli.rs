//! `signring django session migrate`, driven through the real binary as the
//! outside tests drive it: the JSON report, the exit codes, dry runs, a
//! killed run resumed from its state file, and no secret in any output.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use rusqlite::Connection;
use signring::django::{SessionAuthHash, SessionCodec};
use signring::json::{Map, Value};
use signring::{KeyRing, Options, UnixTime};

const OLD: &str = "the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123";
const NEW: &str = "the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123";

struct Site {
    dir: PathBuf,
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Site {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "signring-cli-migrate-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("ring.json"),
            format!(
                r#"{{"current": {{"id": "new", "secret": "{NEW}"}}, "fallbacks": [{{"id": "old", "secret": "{OLD}"}}]}}"#
            ),
        )
        .unwrap();
        let db = Connection::open(dir.join("db.sqlite3")).unwrap();
        db.execute_batch(
            "CREATE TABLE django_session (session_key varchar(40) NOT NULL PRIMARY KEY, session_data text NOT NULL, expire_date datetime NOT NULL);
             CREATE TABLE auth_user (id integer NOT NULL PRIMARY KEY, password varchar(128) NOT NULL);",
        )
        .unwrap();
        Self { dir }
    }

    fn db(&self) -> Connection {
        Connection::open(self.dir.join("db.sqlite3")).unwrap()
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.dir.join("db.sqlite3").display())
    }

    /// `users` logged in and `anonymous` sessions under the old key.
    fn sessions(&self, users: i64, anonymous: i64) -> Vec<String> {
        let old = KeyRing::new(OLD).unwrap();
        let codec = SessionCodec::builder(&old).build().unwrap();
        let auth = SessionAuthHash::new(&old, &Options::new()).unwrap();
        let db = self.db();
        let mut data = Vec::new();
        for i in 0..users + anonymous {
            let mut session = Map::new();
            if i < users {
                db.execute(
                    "INSERT INTO auth_user VALUES (?1, ?2)",
                    (i, format!("pbkdf2$pw{i}")),
                )
                .unwrap();
                session.insert("_auth_user_id".into(), Value::String(i.to_string()));
                session.insert(
                    "_auth_user_backend".into(),
                    Value::String("django.contrib.auth.backends.ModelBackend".into()),
                );
                session.insert(
                    "_auth_user_hash".into(),
                    Value::String(auth.hash(&format!("pbkdf2$pw{i}"))),
                );
            } else {
                session.insert("theme".into(), Value::String(format!("dark {i}")));
            }
            let encoded = codec
                .encode_with_timestamp(&session, 1_700_000_000)
                .unwrap();
            db.execute(
                "INSERT INTO django_session VALUES (?1, ?2, '2099-01-01 00:00:00')",
                (format!("key{i:08}"), &encoded),
            )
            .unwrap();
            data.push(encoded);
        }
        data
    }

    fn stored(&self) -> Vec<(String, String)> {
        let db = self.db();
        let mut statement = db
            .prepare("SELECT session_key, session_data FROM django_session ORDER BY session_key")
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_signring"));
        command
            .env_remove("SECRET_KEY")
            .env_remove("SECRET_KEY_FALLBACKS");
        command.arg("--ring").arg(self.dir.join("ring.json"));
        command.args(["django", "session", "migrate"]).args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

fn verifies_with_new_key_only(data: &str) -> bool {
    let new_only = KeyRing::new(NEW).unwrap();
    SessionCodec::builder(&new_only)
        .build()
        .unwrap()
        .decode_at(data, UnixTime::now())
        .is_ok()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn json_report_and_exit_codes() {
    let site = Site::new("json");
    site.sessions(3, 2);
    let url = site.url();
    let output = site.run(&[
        "--engine",
        "db",
        "--database",
        &url,
        "--batch-size",
        "2",
        "--json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout(&output),
        concat!(
            r#"{"ok":true,"engine":"db","dry_run":false,"scanned":5,"fresh":0,"resigned":5,"#,
            r#""hash_rewritten":3,"undecodable":0,"skipped_concurrent":0,"by_key":{"new":0,"old":5}}"#,
            "\n"
        )
    );
    assert!(
        site.stored()
            .iter()
            .all(|(_, data)| verifies_with_new_key_only(data))
    );
    // Again: all fresh, still exit 0.
    let again = site.run(&["--engine", "db", "--database", &url, "--json"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout(&again).contains(r#""scanned":5,"fresh":5,"resigned":0"#),
        "{}",
        stdout(&again)
    );
    assert!(stdout(&again).contains(r#""by_key":{"new":5,"old":0}"#));
    // A corrupt row: ran to the end, exit 1, the row untouched.
    site.db()
        .execute(
            "INSERT INTO django_session VALUES ('zzcorrupt0000', 'garbage', '2099-01-01')",
            [],
        )
        .unwrap();
    let dirty = site.run(&["--engine", "db", "--database", &url, "--json"]);
    assert_eq!(dirty.status.code(), Some(1));
    assert!(
        stdout(&dirty).starts_with(r#"{"ok":true,"#),
        "{}",
        stdout(&dirty)
    );
    assert!(stdout(&dirty).contains(r#""undecodable":1,"#));
    assert_eq!(site.stored().last().unwrap().1, "garbage");
    // The human summary.
    let human = site.run(&["--engine", "db", "--database", &url]);
    assert_eq!(human.status.code(), Some(1));
    assert!(
        stdout(&human).contains("undecodable 1"),
        "{}",
        stdout(&human)
    );
    assert!(stdout(&human).contains("malformed 1") || stdout(&human).contains("bad_signature 1"));
}

#[test]
fn dry_run_writes_nothing() {
    let site = Site::new("dry");
    site.sessions(2, 1);
    let before = site.stored();
    let state = site.dir.join("state.json");
    let url = site.url();
    let output = site.run(&[
        "--engine",
        "db",
        "--database",
        &url,
        "--dry-run",
        "--json",
        "--state",
        state.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).starts_with(r#"{"ok":true,"engine":"db","dry_run":true,"scanned":3,"fresh":0,"resigned":3,"hash_rewritten":2,"#));
    assert_eq!(site.stored(), before);
    assert!(!state.exists());
}

#[test]
fn usage_configuration_and_connection_errors_exit_2_without_secrets() {
    let site = Site::new("errors");
    let url = site.url();
    let cases: Vec<Vec<String>> = vec![
        vec!["--engine".into(), "db".into()],
        vec![
            "--engine".into(),
            "cache".into(),
            "--cache".into(),
            "redis://127.0.0.1:1/0".into(),
        ],
        vec![
            "--engine".into(),
            "file".into(),
            "--database".into(),
            url.clone(),
        ],
        vec![
            "--engine".into(),
            "db".into(),
            "--database".into(),
            "oracle://x/y".into(),
        ],
        vec![
            "--engine".into(),
            "db".into(),
            "--database".into(),
            "sqlite:///nonexistent/dir/db.sqlite3".into(),
        ],
        vec![
            "--engine".into(),
            "db".into(),
            "--database".into(),
            url.clone(),
            "--table".into(),
            "x; DROP".into(),
        ],
        vec![
            "--engine".into(),
            "db".into(),
            "--database".into(),
            url.clone(),
            "--batch-size".into(),
            "0".into(),
        ],
        vec![
            "--engine".into(),
            "db".into(),
            "--database".into(),
            url.clone(),
            "--max-rate".into(),
            "-5".into(),
        ],
        vec!["--engine".into(), "memcached".into()],
        vec![
            "--engine".into(),
            "db".into(),
            "--database".into(),
            "postgres://app:hunter2-secret@127.0.0.1:1/site".into(),
        ],
        vec![
            "--engine".into(),
            "db".into(),
            "--database".into(),
            "mysql://app:hunter2-secret@127.0.0.1:1/site".into(),
        ],
        vec![
            "--engine".into(),
            "cached_db".into(),
            "--database".into(),
            url.clone(),
            "--cache".into(),
            "redis://:hunter2-secret@127.0.0.1:1/0".into(),
        ],
    ];
    for case in &cases {
        let args: Vec<&str> = case.iter().map(String::as_str).collect();
        for json in [false, true] {
            let mut args = args.clone();
            if json {
                args.push("--json");
            }
            let output = site.run(&args);
            let all = format!(
                "{}{}",
                stdout(&output),
                String::from_utf8_lossy(&output.stderr)
            );
            assert_eq!(output.status.code(), Some(2), "{args:?}: {all}");
            assert!(!all.contains("hunter2-secret"), "{args:?}: {all}");
            assert!(!all.contains(OLD) && !all.contains(NEW));
        }
    }
    // Connection errors in JSON mode: one object saying so.
    let output = site.run(&[
        "--engine",
        "db",
        "--database",
        "postgres://app:hunter2-secret@127.0.0.1:1/site",
        "--json",
    ]);
    assert!(
        stdout(&output).starts_with(r#"{"ok":false,"engine":"db""#),
        "{}",
        stdout(&output)
    );
    assert!(stdout(&output).contains(r#""error":"connection""#));
    // Signed cookies: the web layer.
    let output = site.run(&["--engine", "signed_cookies"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("web layer"));
}

#[test]
fn file_engine() {
    let site = Site::new("file");
    let data = site.sessions(2, 1);
    let sessions = site.dir.join("sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    for (i, data) in data.iter().enumerate() {
        std::fs::write(sessions.join(format!("sessionidkey{i:08}")), data).unwrap();
    }
    let url = site.url();
    let output = site.run(&[
        "--engine",
        "file",
        "--file-path",
        sessions.to_str().unwrap(),
        "--database",
        &url,
        "--json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout(&output).starts_with(r#"{"ok":true,"engine":"file","dry_run":false,"scanned":3,"fresh":0,"resigned":3,"hash_rewritten":2,"#));
    for i in 0..3 {
        let data = std::fs::read_to_string(sessions.join(format!("sessionidkey{i:08}"))).unwrap();
        assert!(verifies_with_new_key_only(&data));
    }
}

/// Killed mid-run (SIGKILL, the worst case for Ctrl-C too): every row up to
/// the state file's cursor is migrated, every row after it untouched (the
/// batch in flight rolled back); the rerun finishes the rest, nothing twice.
#[test]
fn killed_run_resumes_from_its_state_file() {
    let site = Site::new("kill");
    let total = 400;
    site.sessions(100, total - 100);
    let state = site.dir.join("state.json");
    let url = site.url();
    let args = [
        "--engine",
        "db",
        "--database",
        &url,
        "--batch-size",
        "10",
        "--max-rate",
        "400",
        "--state",
        state.to_str().unwrap(),
        "--json",
    ];
    let mut child = site
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&state).unwrap();
    let cursor = text
        .split(r#""cursor":""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let rows = site.stored();
    let done = rows.iter().filter(|(key, _)| *key <= cursor).count();
    assert!(done > 0 && done < rows.len(), "killed mid-run: {done} done");
    let migrated: Vec<bool> = rows
        .iter()
        .map(|(_, data)| verifies_with_new_key_only(data))
        .collect();
    assert!(
        migrated[..done].iter().all(|m| *m),
        "everything up to the cursor committed"
    );
    // The batch after the cursor was either rolled back whole or committed
    // whole (killed between its commit and the state file's update); nothing
    // after it was written.
    let next = &migrated[done..(done + 10).min(rows.len())];
    assert!(
        next.iter().all(|m| *m) || next.iter().all(|m| !*m),
        "{next:?}"
    );
    assert!(migrated[(done + 10).min(rows.len())..].iter().all(|m| !*m));
    let left = migrated.iter().filter(|m| !**m).count();
    let output = site.run(&args);
    assert_eq!(output.status.code(), Some(0));
    let report = stdout(&output);
    let expected = format!(
        r#""scanned":{},"fresh":{},"resigned":{left}"#,
        rows.len() - done,
        rows.len() - done - left
    );
    assert!(report.contains(&expected), "{report} {expected}");
    assert!(
        site.stored()
            .iter()
            .all(|(_, data)| verifies_with_new_key_only(data))
    );
    assert!(
        std::fs::read_to_string(&state)
            .unwrap()
            .contains(r#""complete":true"#)
    );
    let _ = Path::new(&state);
}
