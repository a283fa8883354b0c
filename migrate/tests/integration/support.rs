//! Keys, Django-shaped sessions and the checks every engine shares.

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use signring::django::{SessionAuthHash, SessionCodec};
use signring::json::{Map, Value};
use signring::{DjangoVersion, KeyRing, Options, RingKey, UnixTime};

pub const OLD: &str = "the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123";
pub const NEW: &str = "the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123";
pub const STAGED: &str = "a-staged-key-0123456789abcdefghijklmnopqrstuvwxyz012";
pub const UNKNOWN: &str = "a-key-nobody-has-0123456789abcdefghijklmnopqrstuvwxy";
pub const BACKEND: &str = "django.contrib.auth.backends.ModelBackend";
/// When the fixtures' sessions were signed.
pub const SIGNED_AT: i64 = 1_700_000_000;

/// The ring after the promotion: new current, old fallback, a staged key.
pub fn ring() -> KeyRing {
    KeyRing::from_ring_key(RingKey::new(NEW).unwrap().id("new"))
        .with_ring_key(RingKey::new(OLD).unwrap().id("old"))
        .and_then(|mut ring| {
            ring.stage(RingKey::new(STAGED).unwrap().id("staged"))?;
            Ok(ring)
        })
        .unwrap()
}

pub fn single(secret: &str, id: &str) -> KeyRing {
    KeyRing::from_ring_key(RingKey::new(secret).unwrap().id(id))
}

pub fn options(django: DjangoVersion) -> Options {
    Options::new().django(django)
}

pub fn password(user: i64) -> String {
    format!("pbkdf2_sha256$600000$salt{user}$hash{user}=")
}

/// A unique name for a test's database, key prefix or directory.
pub fn unique(what: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "signring_test_{what}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A server's URL from the environment. Without it the test does not run:
/// a loud line says so (written past the test harness's capture), and under
/// `CI=true` the test fails instead.
pub fn server_url(variable: &str, server: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!(
                    "{variable} is not set: CI must run the {server} tests against a real server"
                );
            }
            let _ = writeln!(
                std::io::stderr(),
                "\n*** NOT RUN: {server} test: {variable} is not set (e.g. {}) ***",
                match server {
                    "PostgreSQL" => "postgres://postgres@127.0.0.1:5432/postgres",
                    "MariaDB" => "mysql://root@127.0.0.1:3306/test",
                    _ => "redis://127.0.0.1:6379/0",
                }
            );
            None
        }
    }
}

/// What a fixture session is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Logged in under the old key: moves to the new key, hash rewritten.
    LoggedIn(i64),
    /// Data under the old key, no user: moves to the new key.
    Anonymous(Map),
    /// Logged in under the old key, but the user is gone: data moves, hash stays.
    UserGone,
    /// Signed by the current key: left alone.
    Current,
    /// Signed by the staged key: left alone.
    Staged,
    /// Not a session: left alone.
    Corrupt,
    /// Signed by a key the ring does not have: left alone.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub key: String,
    pub data: String,
    pub kind: Kind,
}

pub fn session_key(i: usize) -> String {
    format!("k{i:031}")
}

pub fn login(user: i64, ring: &KeyRing, django: DjangoVersion) -> Map {
    let hash = SessionAuthHash::new(ring, &options(django))
        .unwrap()
        .hash(&password(user));
    let mut map = Map::new();
    map.insert("_auth_user_id".into(), Value::String(user.to_string()));
    map.insert("_auth_user_backend".into(), Value::String(BACKEND.into()));
    map.insert("_auth_user_hash".into(), Value::String(hash));
    map.insert(
        "cart".into(),
        Value::Array(vec![Value::Integer(1), Value::Integer(2)]),
    );
    map
}

pub fn anonymous(i: usize) -> Map {
    let mut map = Map::new();
    map.insert("theme".into(), Value::String("dark".into()));
    map.insert("n".into(), Value::Integer(i as i128));
    map.insert(
        "note".into(),
        Value::String(format!("café {i} ").repeat(i % 5 + 1)),
    );
    map
}

pub fn encode(ring: &KeyRing, session: &Map, django: DjangoVersion, at: i64) -> String {
    SessionCodec::builder(ring)
        .options(options(django))
        .build()
        .unwrap()
        .encode_with_timestamp(session, at)
        .unwrap()
}

/// How many of each kind [`rows`] makes.
pub struct Counts {
    pub users: usize,
    pub anonymous: usize,
}

/// The standard fixture: `users` logged in and `anonymous` sessions under the
/// old key, one whose user is gone, 3 current-key, 2 staged-key, 2 corrupt
/// and 2 unknown-key sessions, in shuffled key order.
pub fn rows(counts: &Counts, django: DjangoVersion) -> Vec<Row> {
    let old = single(OLD, "old");
    let new = single(NEW, "new");
    let staged = single(STAGED, "staged");
    let unknown = single(UNKNOWN, "unknown");
    let mut kinds = Vec::new();
    for user in 1..=counts.users as i64 {
        kinds.push(Kind::LoggedIn(user));
    }
    for i in 0..counts.anonymous {
        kinds.push(Kind::Anonymous(anonymous(i)));
    }
    kinds.push(Kind::UserGone);
    kinds.extend([Kind::Current, Kind::Current, Kind::Current]);
    kinds.extend([Kind::Staged, Kind::Staged, Kind::Corrupt, Kind::Corrupt]);
    kinds.extend([Kind::Unknown, Kind::Unknown]);
    let n = kinds.len();
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, kind)| {
            // A fixed permutation, so kinds interleave across batches.
            let key = session_key((i * 7919) % n);
            let data = match &kind {
                Kind::LoggedIn(user) => {
                    encode(&old, &login(*user, &old, django), django, SIGNED_AT)
                }
                Kind::Anonymous(map) => encode(&old, map, django, SIGNED_AT),
                Kind::UserGone => encode(&old, &login(9999, &old, django), django, SIGNED_AT),
                Kind::Current => encode(&new, &login(1, &new, django), django, SIGNED_AT),
                Kind::Staged => encode(&staged, &anonymous(i), django, SIGNED_AT),
                Kind::Corrupt if i % 2 == 0 => "not a session".to_owned(),
                Kind::Corrupt => {
                    let good = encode(&old, &anonymous(i), django, SIGNED_AT);
                    good[..good.len() - 3].to_owned()
                }
                Kind::Unknown => encode(&unknown, &anonymous(i), django, SIGNED_AT),
            };
            Row { key, data, kind }
        })
        .collect()
}

/// The report a migration of [`rows`] gives.
pub fn expect_report(report: &signring_migrate::Report, counts: &Counts) {
    let stale = (counts.users + counts.anonymous + 1) as u64;
    assert_eq!(report.scanned, stale + 9, "{report:?}");
    assert_eq!(report.resigned, stale, "{report:?}");
    assert_eq!(report.hash_rewritten, counts.users as u64, "{report:?}");
    assert_eq!(report.fresh, 5, "{report:?}");
    assert_eq!(report.undecodable, 4, "{report:?}");
    assert_eq!(report.skipped_concurrent, 0, "{report:?}");
    assert_eq!(report.logged_out, 1, "{report:?}");
    assert_eq!(report.users_missing, 1, "{report:?}");
    let by_key: Vec<(&str, u64)> = report
        .by_key
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(by_key, [("new", 3), ("old", stale), ("staged", 2)]);
    assert!(report.complete);
}

/// Every row is as a Django with only the new key needs it: logged-in users
/// still logged in, anonymous data intact, timestamps kept, and everything
/// that was not the old key's left byte for byte.
pub fn check_migrated(rows: &[Row], stored: impl Fn(&str) -> String, django: DjangoVersion) {
    let new_only = single(NEW, "new");
    let codec = SessionCodec::builder(&new_only)
        .options(options(django))
        .build()
        .unwrap();
    let auth = SessionAuthHash::new(&new_only, &options(django)).unwrap();
    let old = single(OLD, "old");
    let now = UnixTime::from_secs_f64(SIGNED_AT as f64 + 60.0);
    for row in rows {
        let data = stored(&row.key);
        match &row.kind {
            Kind::LoggedIn(user) => {
                let session = codec
                    .decode_at(&data, now)
                    .expect("decodes with the new key alone");
                assert_eq!(session.record.key_index, 0);
                if django != DjangoVersion::V2_2 {
                    assert_eq!(session.record.timestamp, Some(SIGNED_AT), "timestamp kept");
                }
                let Some(Value::String(hash)) = session.session.get("_auth_user_hash") else {
                    panic!("no hash")
                };
                assert!(
                    auth.django_get_user(Some(hash), &password(*user))
                        .is_logged_in()
                );
                let mut expected = login(*user, &old, django);
                expected.insert(
                    "_auth_user_hash".into(),
                    Value::String(auth.hash(&password(*user))),
                );
                assert_eq!(session.session, expected);
            }
            Kind::Anonymous(map) => {
                let session = codec.decode_at(&data, now).unwrap();
                assert_eq!(&session.session, map);
                if django != DjangoVersion::V2_2 {
                    assert_eq!(session.record.timestamp, Some(SIGNED_AT));
                }
            }
            Kind::UserGone => {
                let session = codec.decode_at(&data, now).unwrap();
                assert_eq!(
                    session.session,
                    login(9999, &old, django),
                    "hash left alone"
                );
            }
            _ => assert_eq!(data, row.data, "{:?} left exactly as it was", row.kind),
        }
    }
}
