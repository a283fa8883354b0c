//! The `file` engine: always runs.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use signring::DjangoVersion;
use signring_migrate::{FileStore, Migrator, SqliteStore, UserTable};

use crate::db_suite::{Meddling, TestDb};
use crate::sqlite_db::SqliteDb;
use crate::support::{self, Counts, Row};

struct SessionDir {
    dir: PathBuf,
    db: SqliteDb,
    rows: Vec<Row>,
}

impl Drop for SessionDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn mtime(i: usize) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789 + i as u64 * 1_000_001)
}

fn setup(counts: &Counts) -> SessionDir {
    let dir = std::env::temp_dir().join(support::unique("files"));
    fs::create_dir_all(&dir).unwrap();
    let mut db = SqliteDb::new();
    let django = DjangoVersion::V5_2;
    let rows = support::rows(counts, django);
    for (i, row) in rows.iter().enumerate() {
        let path = dir.join(format!("sessionid{}", row.key));
        fs::write(&path, &row.data).unwrap();
        let file = fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(mtime(i)).unwrap();
    }
    for user in 1..=counts.users as i64 {
        db.insert_user(user, &support::password(user));
    }
    fs::write(dir.join("notes.txt"), "not a session").unwrap();
    fs::write(dir.join("sessionidUPPER"), "not a session key").unwrap();
    SessionDir { dir, db, rows }
}

fn store(setup: &SessionDir) -> FileStore {
    let users = SqliteStore::open(&setup.db.path, "django_session", UserTable::default()).unwrap();
    FileStore::open(&setup.dir, "sessionid", Some(Box::new(users))).unwrap()
}

fn path(setup: &SessionDir, row: &Row) -> PathBuf {
    setup.dir.join(format!("sessionid{}", row.key))
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn dry_run(ring: &signring::KeyRing, setup: &SessionDir) -> signring_migrate::Report {
    Migrator::builder(ring)
        .dry_run(true)
        .build()
        .unwrap()
        .run(&mut store(setup))
        .unwrap()
}

const COUNTS: Counts = Counts {
    users: 8,
    anonymous: 4,
};

#[test]
fn rewrites_files_keeping_their_mtime_and_mode() {
    use std::os::unix::fs::PermissionsExt as _;
    let setup = setup(&COUNTS);
    let first = path(&setup, &setup.rows[0]);
    fs::set_permissions(&first, fs::Permissions::from_mode(0o640)).unwrap();
    let names = listing(&setup.dir);
    let ring = support::ring();
    let report = Migrator::builder(&ring)
        .batch_size(5)
        .build()
        .unwrap()
        .run(&mut store(&setup))
        .unwrap();
    support::expect_report(&report, &COUNTS);
    let stored: HashMap<String, String> = setup
        .rows
        .iter()
        .map(|row| {
            (
                row.key.clone(),
                fs::read_to_string(path(&setup, row)).unwrap(),
            )
        })
        .collect();
    support::check_migrated(&setup.rows, |key| stored[key].clone(), DjangoVersion::V5_2);
    for (i, row) in setup.rows.iter().enumerate() {
        let metadata = fs::metadata(path(&setup, row)).unwrap();
        assert_eq!(
            metadata.modified().unwrap(),
            mtime(i),
            "Django's expiry clock kept"
        );
    }
    assert_eq!(
        fs::metadata(&first).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        listing(&setup.dir),
        names,
        "no temporary file left, nothing else touched"
    );
    assert_eq!(
        fs::read_to_string(setup.dir.join("notes.txt")).unwrap(),
        "not a session"
    );
}

#[test]
fn dry_run_and_files_changed_meanwhile() {
    let setup = setup(&COUNTS);
    let ring = support::ring();
    let before: Vec<Vec<u8>> = setup
        .rows
        .iter()
        .map(|r| fs::read(path(&setup, r)).unwrap())
        .collect();
    let dry = dry_run(&ring, &setup);
    assert_eq!(dry.resigned, 13);
    let after: Vec<Vec<u8>> = setup
        .rows
        .iter()
        .map(|r| fs::read(path(&setup, r)).unwrap())
        .collect();
    assert_eq!(before, after);

    // Django saves one session meanwhile (new content), and another one's
    // mtime moves (same content): both are skipped.
    let stale: Vec<&Row> = setup
        .rows
        .iter()
        .filter(|r| matches!(r.kind, support::Kind::LoggedIn(_)))
        .collect();
    let (saved, touched) = (path(&setup, stale[0]), path(&setup, stale[1]));
    let touched_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut once = false;
    let mut meddling = Meddling {
        inner: Box::new(store(&setup)),
        before_write: Box::new(|| {
            if !once {
                fs::write(&saved, "saved by django").unwrap();
                fs::File::options()
                    .write(true)
                    .open(&touched)
                    .unwrap()
                    .set_modified(touched_at)
                    .unwrap();
                once = true;
            }
        }),
    };
    let report = Migrator::builder(&ring)
        .build()
        .unwrap()
        .run(&mut meddling)
        .unwrap();
    drop(meddling);
    assert_eq!(
        (report.resigned, report.skipped_concurrent),
        (11, 2),
        "{report:?}"
    );
    assert_eq!(fs::read_to_string(&saved).unwrap(), "saved by django");
    assert_eq!(fs::read(&touched).unwrap(), stale[1].data.as_bytes());
    // The next run migrates the one that still verifies.
    let again = Migrator::builder(&ring)
        .build()
        .unwrap()
        .run(&mut store(&setup))
        .unwrap();
    assert_eq!((again.resigned, again.undecodable), (1, 5));
    assert_eq!(
        fs::metadata(&touched).unwrap().modified().unwrap(),
        touched_at
    );
}

#[test]
fn resumes_in_key_order() {
    let setup = setup(&COUNTS);
    let ring = support::ring();
    let state = crate::db_suite::temp_path("file-state");
    let first = Migrator::builder(&ring)
        .batch_size(4)
        .max_sessions(8)
        .state_file(&state)
        .build()
        .unwrap()
        .run(&mut store(&setup))
        .unwrap();
    assert_eq!((first.scanned, first.complete), (8, false));
    let second = Migrator::builder(&ring)
        .batch_size(4)
        .state_file(&state)
        .build()
        .unwrap()
        .run(&mut store(&setup))
        .unwrap();
    assert!(second.complete);
    assert_eq!(first.scanned + second.scanned, setup.rows.len() as u64);
    assert_eq!(first.resigned + second.resigned, 13);
    let _ = fs::remove_file(&state);
}

/// A process id that cannot be running (above Linux's largest `pid_max`).
const DEAD_PID: u32 = 4_294_967_000;

fn temp_of(setup: &SessionDir, pid: u32, row: &Row) -> PathBuf {
    setup
        .dir
        .join(format!(".signring-migrate-{pid}-{}.tmp", row.key))
}

fn draft_of(setup: &SessionDir, pid: u32, row: &Row) -> PathBuf {
    setup
        .dir
        .join(format!(".signring-migrate-{pid}-{}.new", row.key))
}

fn write_with_mtime(path: &Path, content: &[u8], modified: SystemTime) {
    fs::write(path, content).unwrap();
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
}

#[test]
fn leftovers_of_an_interrupted_run_are_cleaned_up() {
    let setup = setup(&COUNTS);
    let ring = support::ring();
    let logged_in: Vec<(usize, &Row)> = setup
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.kind, support::Kind::LoggedIn(_)))
        .collect();
    // Killed before putting its rewrite in place: the temporary file holds
    // the rewrite, with the session's modification time.
    let (a, row_a) = logged_in[0];
    let killed_before = temp_of(&setup, DEAD_PID, row_a);
    write_with_mtime(&killed_before, b"an unfinished rewrite", mtime(a));
    // Killed after exchanging its rewrite with a newer save of Django's:
    // the session's name holds the rewrite of the older value, the
    // temporary file Django's newer save.
    let (b, row_b) = logged_in[1];
    let saved_at = mtime(b) + Duration::from_secs(60);
    let put_aside = temp_of(&setup, DEAD_PID, row_b);
    write_with_mtime(&put_aside, row_b.data.as_bytes(), saved_at);
    write_with_mtime(&path(&setup, row_b), b"the older rewrite", mtime(b));
    // Killed while writing its rewrite: the draft has the time of the kill,
    // newer than the session's, and half the content; never put back.
    let draft = draft_of(&setup, DEAD_PID, logged_in[3].1);
    fs::write(&draft, b"half a rewr").unwrap();
    // A run still at work (process 1 runs wherever /proc exists).
    let running = temp_of(&setup, 1, logged_in[2].1);
    fs::write(&running, b"another run's").unwrap();

    let before = listing(&setup.dir);
    let dry = dry_run(&ring, &setup);
    assert_eq!(listing(&setup.dir), before, "a dry run writes nothing");
    assert!(
        !dry.warnings.iter().any(|w| w.contains("temporary")),
        "{:?}",
        dry.warnings
    );

    let report = Migrator::builder(&ring)
        .build()
        .unwrap()
        .run(&mut store(&setup))
        .unwrap();
    assert!(
        report.warnings.contains(&format!(
            "removed 3 temporary files an interrupted run left in {} (1 of them newer saves \
             of Django's that the interrupted run had put aside: put back)",
            setup.dir.display()
        )),
        "{:?}",
        report.warnings
    );
    assert!(!killed_before.exists() && !put_aside.exists() && !draft.exists());
    assert_eq!(
        running.exists(),
        std::path::Path::new("/proc/self").exists(),
        "a running process's file stays where /proc tells it runs"
    );
    // Django's newer save came back, and was migrated like the rest.
    assert_eq!(report.resigned, 13, "{report:?}");
    let b_now = path(&setup, row_b);
    assert_eq!(fs::metadata(&b_now).unwrap().modified().unwrap(), saved_at);
    let b_value = fs::read(&b_now).unwrap();
    assert_ne!(b_value, b"the older rewrite");
    assert_ne!(b_value, row_b.data.as_bytes(), "migrated");
}
