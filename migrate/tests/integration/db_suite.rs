//! The `db` engine's behaviour, run on every database backend: each backend
//! module implements [`TestDb`] and instantiates [`db_suite!`].

use std::collections::HashMap;
use std::path::PathBuf;

use signring::DjangoVersion;
use signring_migrate::{
    Batch, MigrateError, Migrator, PasswordLookup, Rewrite, SessionStore, StoreError,
};

use crate::support::{self, Counts, Kind, Row};

/// A test database with Django's tables, created for one test and dropped
/// after it.
pub trait TestDb {
    /// A store on a new connection.
    fn store(&mut self) -> Box<dyn SessionStore>;
    /// The URL the CLI would be given.
    fn url(&self) -> String;
    fn insert_session(&mut self, key: &str, data: &str, expire: &str);
    fn insert_user(&mut self, id: i64, password: &str);
    /// `(session_data, expire_date as text)`.
    fn row(&mut self, key: &str) -> (String, String);
    fn set_data(&mut self, key: &str, data: &str);
    /// From now on, updating this row fails (a trigger).
    fn fail_updates_of(&mut self, key: &str);
    fn allow_updates(&mut self);
}

pub const EXPIRE: &str = "2099-01-02 03:04:05";

pub fn load(db: &mut dyn TestDb, counts: &Counts, django: DjangoVersion) -> Vec<Row> {
    let rows = support::rows(counts, django);
    for row in &rows {
        db.insert_session(&row.key, &row.data, EXPIRE);
    }
    for user in 1..=counts.users as i64 {
        db.insert_user(user, &support::password(user));
    }
    rows
}

fn snapshot(db: &mut dyn TestDb, rows: &[Row]) -> Vec<(String, String)> {
    rows.iter().map(|row| db.row(&row.key)).collect()
}

fn migrator(django: DjangoVersion) -> signring_migrate::MigratorBuilder<'static> {
    let ring = Box::leak(Box::new(support::ring()));
    Migrator::builder(ring)
        .options(support::options(django))
        .batch_size(7)
}

/// One migration of `db` with `ring` and the profile's options, defaults otherwise.
pub fn migrate(
    db: &mut dyn TestDb,
    ring: &signring::KeyRing,
    django: DjangoVersion,
) -> signring_migrate::Report {
    Migrator::builder(ring)
        .options(support::options(django))
        .build()
        .unwrap()
        .run(db.store().as_mut())
        .unwrap()
}

const COUNTS: Counts = Counts {
    users: 30,
    anonymous: 10,
};

pub fn keeps_users_logged_in(db: &mut dyn TestDb) {
    let django = DjangoVersion::V5_2;
    let rows = load(db, &COUNTS, django);
    let report = migrator(django)
        .build()
        .unwrap()
        .run(db.store().as_mut())
        .unwrap();
    support::expect_report(&report, &COUNTS);
    let expire: Vec<String> = rows.iter().map(|row| db.row(&row.key).1).collect();
    assert!(
        expire.iter().all(|e| e.starts_with("2099-01-02 03:04:05")),
        "{expire:?}"
    );
    let stored: HashMap<String, String> = rows
        .iter()
        .map(|row| (row.key.clone(), db.row(&row.key).0))
        .collect();
    support::check_migrated(&rows, |key| stored[key].clone(), django);
    // A second run finds everything fresh and writes nothing.
    let before = snapshot(db, &rows);
    let again = migrator(django)
        .build()
        .unwrap()
        .run(db.store().as_mut())
        .unwrap();
    assert_eq!(
        (again.resigned, again.fresh, again.undecodable),
        (0, rows.len() as u64 - 4, 4)
    );
    assert_eq!(snapshot(db, &rows), before);
}

pub fn legacy_format_for_django_2_2(db: &mut dyn TestDb) {
    let django = DjangoVersion::V2_2;
    let counts = Counts {
        users: 5,
        anonymous: 3,
    };
    let rows = load(db, &counts, django);
    let report = migrator(django)
        .build()
        .unwrap()
        .run(db.store().as_mut())
        .unwrap();
    support::expect_report(&report, &counts);
    let stored: HashMap<String, String> = rows
        .iter()
        .map(|row| (row.key.clone(), db.row(&row.key).0))
        .collect();
    for row in &rows {
        if matches!(row.kind, Kind::LoggedIn(_)) {
            assert!(
                !stored[&row.key].contains(':'),
                "the legacy format is base64"
            );
        }
    }
    support::check_migrated(&rows, |key| stored[key].clone(), django);
}

pub fn dry_run_writes_nothing(db: &mut dyn TestDb) {
    let django = DjangoVersion::V4_2;
    let rows = load(db, &COUNTS, django);
    let before = snapshot(db, &rows);
    let state = temp_path("dry-state");
    let report = migrator(django)
        .dry_run(true)
        .state_file(&state)
        .build()
        .unwrap()
        .run(db.store().as_mut())
        .unwrap();
    assert!(report.dry_run);
    support::expect_report(&report, &COUNTS);
    assert_eq!(snapshot(db, &rows), before);
    assert!(!state.exists(), "a dry run writes no state file");
}

/// A store that lets "Django" change a row between the read and the write.
pub struct Meddling<'a> {
    pub inner: Box<dyn SessionStore>,
    pub before_write: Box<dyn FnMut() + 'a>,
}

impl PasswordLookup for Meddling<'_> {
    fn password_hashes(&mut self, ids: &[String]) -> Result<HashMap<String, String>, StoreError> {
        self.inner.password_hashes(ids)
    }
}

impl SessionStore for Meddling<'_> {
    fn engine(&self) -> signring_migrate::Engine {
        self.inner.engine()
    }
    fn format(&self) -> signring_migrate::ValueFormat {
        self.inner.format()
    }
    fn target(&self) -> String {
        self.inner.target()
    }
    fn read_batch(&mut self, after: Option<&str>, limit: usize) -> Result<Batch, StoreError> {
        self.inner.read_batch(after, limit)
    }
    fn write_batch(&mut self, rewrites: &[Rewrite]) -> Result<Vec<bool>, StoreError> {
        (self.before_write)();
        self.inner.write_batch(rewrites)
    }
    fn recover(&mut self) -> Result<(), StoreError> {
        self.inner.recover()
    }

    fn take_warnings(&mut self) -> Vec<String> {
        self.inner.take_warnings()
    }

    fn settle(&mut self, verified: &[&str]) -> Result<(), StoreError> {
        self.inner.settle(verified)
    }
}

pub fn skips_rows_changed_meanwhile(db: &mut dyn TestDb) {
    let django = DjangoVersion::V5_2;
    let rows = load(db, &COUNTS, django);
    let victim = rows
        .iter()
        .find(|r| matches!(r.kind, Kind::LoggedIn(_)))
        .unwrap()
        .clone();
    // Django saves the session meanwhile, still under the old key (a server
    // mid-request): the migration must not overwrite it.
    let old = support::single(support::OLD, "old");
    let mut changed = support::login(1, &old, django);
    changed.insert("cart".into(), signring::json::Value::Array(Vec::new()));
    let django_write = support::encode(&old, &changed, django, support::SIGNED_AT);
    let inner = db.store();
    let mut done = false;
    let report = {
        let db_ref = &mut *db;
        let mut store = Meddling {
            inner,
            before_write: Box::new(|| {
                if !done {
                    db_ref.set_data(&victim.key, &django_write);
                    done = true;
                }
            }),
        };
        migrator(django)
            .batch_size(1000)
            .build()
            .unwrap()
            .run(&mut store)
            .unwrap()
    };
    assert_eq!(report.skipped_concurrent, 1, "{report:?}");
    assert_eq!(report.resigned, 40, "{report:?}");
    assert_eq!(db.row(&victim.key).0, django_write, "Django's write kept");
    // The second run migrates it.
    let again = migrator(django)
        .build()
        .unwrap()
        .run(db.store().as_mut())
        .unwrap();
    assert_eq!((again.resigned, again.skipped_concurrent), (1, 0));
}

pub fn failed_batch_is_rolled_back_and_resumed(db: &mut dyn TestDb) {
    let django = DjangoVersion::V5_2;
    let rows = load(db, &COUNTS, django);
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    // Batches of 7: fail on a stale row of the third batch.
    let third = &sorted[14..21];
    let victim = third
        .iter()
        .rev()
        .find(|r| matches!(r.kind, Kind::LoggedIn(_) | Kind::Anonymous(_)))
        .unwrap();
    db.fail_updates_of(&victim.key);
    let state = temp_path("state");
    let before = snapshot(db, &rows);
    let error = migrator(django)
        .state_file(&state)
        .build()
        .unwrap()
        .run(db.store().as_mut())
        .unwrap_err();
    assert!(matches!(error, MigrateError::Store(_)), "{error}");
    for (row, before) in rows.iter().zip(&before) {
        let position = sorted.iter().position(|r| r.key == row.key).unwrap();
        let now = db.row(&row.key);
        if position >= 14 {
            assert_eq!(
                &now, before,
                "nothing of the failed batch (or after it) was written"
            );
        }
    }
    // The first two batches were committed; the state file says so.
    let first_two_stale = sorted[..14]
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                Kind::LoggedIn(_) | Kind::Anonymous(_) | Kind::UserGone
            )
        })
        .count();
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(
        text.contains(&sorted[13].key) && text.contains("\"complete\":false"),
        "{text}"
    );
    // Resume: no double work, nothing lost.
    db.allow_updates();
    let resumed = migrator(django)
        .state_file(&state)
        .build()
        .unwrap()
        .run(db.store().as_mut())
        .unwrap();
    assert_eq!(resumed.scanned, rows.len() as u64 - 14);
    assert_eq!(resumed.resigned as usize + first_two_stale, 41);
    let stored: HashMap<String, String> = rows
        .iter()
        .map(|row| (row.key.clone(), db.row(&row.key).0))
        .collect();
    support::check_migrated(&rows, |key| stored[key].clone(), django);
    let _ = std::fs::remove_file(&state);
}

pub fn resumes_after_an_interrupted_run(db: &mut dyn TestDb) {
    let django = DjangoVersion::V5_2;
    let rows = load(db, &COUNTS, django);
    let state = temp_path("state");
    let first = migrator(django)
        .state_file(&state)
        .max_sessions(20)
        .build()
        .unwrap()
        .run(db.store().as_mut())
        .unwrap();
    assert!(!first.complete);
    assert_eq!(first.scanned, 20, "batches of 7, 7 and 6");
    let second = migrator(django)
        .state_file(&state)
        .build()
        .unwrap()
        .run(db.store().as_mut())
        .unwrap();
    assert!(second.complete);
    assert_eq!(
        first.scanned + second.scanned,
        rows.len() as u64,
        "nothing read twice"
    );
    assert_eq!(
        first.resigned + second.resigned,
        41,
        "nothing lost, nothing twice"
    );
    assert_eq!(first.hash_rewritten + second.hash_rewritten, 30);
    // A complete state file starts a new pass, which finds everything fresh.
    let third = migrator(django)
        .state_file(&state)
        .build()
        .unwrap()
        .run(db.store().as_mut())
        .unwrap();
    assert_eq!((third.scanned, third.resigned), (rows.len() as u64, 0));
    let _ = std::fs::remove_file(&state);
}

pub fn refuses_when_the_old_key_still_signs(db: &mut dyn TestDb) {
    let django = DjangoVersion::V5_2;
    let rows = load(db, &COUNTS, django);
    let old = support::single(support::OLD, "old");
    let future = support::encode(&old, &support::anonymous(1), django, 4_000_000_000);
    db.insert_session("zzzzzzzzzzlate", &future, EXPIRE);
    let before = snapshot(db, &rows);
    let error = migrator(django)
        .batch_size(1000)
        .build()
        .unwrap()
        .run(db.store().as_mut())
        .unwrap_err();
    assert!(
        matches!(error, MigrateError::OldKeyStillSigning { ref key_id, .. } if key_id == "old"),
        "{error}"
    );
    assert_eq!(snapshot(db, &rows), before, "the batch was not written");
}

pub fn temp_path(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{}.json", support::unique(what)))
}

/// One `#[test]` per scenario for a backend; `$make` gives
/// `Option<impl TestDb>` (`None`: the server is not configured).
macro_rules! db_suite {
    ($make:expr) => {
        #[test]
        fn keeps_users_logged_in() {
            if let Some(mut db) = $make {
                crate::db_suite::keeps_users_logged_in(&mut db);
            }
        }
        #[test]
        fn legacy_format_for_django_2_2() {
            if let Some(mut db) = $make {
                crate::db_suite::legacy_format_for_django_2_2(&mut db);
            }
        }
        #[test]
        fn dry_run_writes_nothing() {
            if let Some(mut db) = $make {
                crate::db_suite::dry_run_writes_nothing(&mut db);
            }
        }
        #[test]
        fn skips_rows_changed_meanwhile() {
            if let Some(mut db) = $make {
                crate::db_suite::skips_rows_changed_meanwhile(&mut db);
            }
        }
        #[test]
        fn failed_batch_is_rolled_back_and_resumed() {
            if let Some(mut db) = $make {
                crate::db_suite::failed_batch_is_rolled_back_and_resumed(&mut db);
            }
        }
        #[test]
        fn resumes_after_an_interrupted_run() {
            if let Some(mut db) = $make {
                crate::db_suite::resumes_after_an_interrupted_run(&mut db);
            }
        }
        #[test]
        fn refuses_when_the_old_key_still_signs() {
            if let Some(mut db) = $make {
                crate::db_suite::refuses_when_the_old_key_still_signs(&mut db);
            }
        }
    };
}
pub(crate) use db_suite;
