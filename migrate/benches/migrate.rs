//! Migrating N sessions on SQLite, and the floor: reading and rewriting the
//! same rows through the same store with no crypto.
//!
//! N comes from SIGNRING_BENCH_SESSIONS (default 2,000, so that
//! `cargo bench -- --test` is quick); for the issue's measurement:
//! `SIGNRING_BENCH_SESSIONS=1000000 cargo bench -p signring-migrate --bench migrate`.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set up should fail loudly
#![allow(clippy::cast_possible_wrap)] // row numbers stay far below i64::MAX

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use signring::django::{SessionAuthHash, SessionCodec};
use signring::json::{Map, Value};
use signring::{KeyRing, Options, RingKey};
use signring_migrate::{Migrator, Rewrite, SessionStore, SqliteStore, UserTable};

const OLD: &str = "the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123";
const NEW: &str = "the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123";

fn sessions() -> usize {
    std::env::var("SIGNRING_BENCH_SESSIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}

/// A database of `n` sessions signed with the old key: four in five logged
/// in (as Django's login() writes them), one in five anonymous with data.
fn template(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("template.sqlite3");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        r#"CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL);
           CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date");
           CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL);
           BEGIN;"#,
    )
    .unwrap();
    let old = KeyRing::new(OLD).unwrap();
    let codec = SessionCodec::builder(&old).build().unwrap();
    let auth = SessionAuthHash::new(&old, &Options::new()).unwrap();
    for i in 0..n {
        let mut session = Map::new();
        if i % 5 != 4 {
            let password = format!("pbkdf2_sha256$870000$salt{i:016}$hash{i:040}=");
            db.execute(
                "INSERT INTO auth_user VALUES (?1, ?2)",
                (i as i64, &password),
            )
            .unwrap();
            session.insert("_auth_user_id".into(), Value::String(i.to_string()));
            session.insert(
                "_auth_user_backend".into(),
                Value::String("django.contrib.auth.backends.ModelBackend".into()),
            );
            session.insert(
                "_auth_user_hash".into(),
                Value::String(auth.hash(&password)),
            );
        } else {
            session.insert(
                "cart".into(),
                Value::Array(vec![Value::Integer(i as i128); 3]),
            );
        }
        let data = codec
            .encode_with_timestamp(&session, 1_700_000_000)
            .unwrap();
        // Django's keys: 32 random [a-z0-9]; a hash of i spreads them.
        let key = format!(
            "{:032x}",
            (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
        );
        db.execute(
            "INSERT INTO django_session VALUES (?1, ?2, '2099-01-01 00:00:00')",
            (key, data),
        )
        .unwrap();
    }
    db.execute_batch("COMMIT").unwrap();
    path
}

fn copy(template: &Path, dir: &Path) -> PathBuf {
    let path = dir.join("run.sqlite3");
    std::fs::copy(template, &path).unwrap();
    path
}

fn bench(c: &mut Criterion) {
    let n = sessions();
    let dir = std::env::temp_dir().join(format!("signring-migrate-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = template(&dir, n);
    let ring = KeyRing::from_ring_key(RingKey::new(NEW).unwrap().id("new"))
        .with_ring_key(RingKey::new(OLD).unwrap().id("old"))
        .unwrap();
    let migrator = Migrator::builder(&ring).build().unwrap();
    let mut group = c.benchmark_group("migrate");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function(format!("sqlite/{n}"), |b| {
        b.iter_batched(
            || copy(&template, &dir),
            |path| {
                let mut store =
                    SqliteStore::open(&path, "django_session", UserTable::default()).unwrap();
                let report = migrator.run(&mut store).unwrap();
                assert_eq!(report.resigned, n as u64);
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function(format!("floor_sqlite/{n}"), |b| {
        b.iter_batched(
            || copy(&template, &dir),
            |path| {
                let mut store =
                    SqliteStore::open(&path, "django_session", UserTable::default()).unwrap();
                let mut cursor = None;
                let mut rewritten = 0;
                loop {
                    let batch = store.read_batch(cursor.as_deref(), 1000).unwrap();
                    // The same bytes with one changed, so every row is written.
                    let rewrites: Vec<Rewrite> = batch
                        .sessions
                        .iter()
                        .map(|s| {
                            let mut new = s.value.clone();
                            new[0] ^= 1;
                            Rewrite::of(s, new)
                        })
                        .collect();
                    rewritten += store
                        .write_batch(&rewrites)
                        .unwrap()
                        .into_iter()
                        .filter(|w| *w)
                        .count();
                    if batch.next.is_none() {
                        break;
                    }
                    cursor = batch.next;
                }
                assert_eq!(rewritten, n);
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
