//! The `cache` and `cached_db` engines on a real Redis
//! (SIGNRING_TEST_REDIS_URL), with pickles Django's session store made
//! (tests/data/django-cache-sessions.json).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use signring::django::SessionAuthHash;
use signring::json::{self, Value};
use signring::{DjangoVersion, KeyRing, UnixTime};
use signring_migrate::pickle::SessionPickle;
use signring_migrate::{
    CACHE_SESSION_PREFIX, CACHED_DB_SESSION_PREFIX, CacheKeys, CachedDbStore, Migrator,
    RedisCacheStore, SqliteStore, UserTable,
};

use crate::db_suite::{Meddling, TestDb};
use crate::sqlite_db::SqliteDb;
use crate::support;

pub struct Entry {
    pub alias: String,
    pub user_id: Option<String>,
    pub password: Option<String>,
    pub value: Vec<u8>,
    pub expected: Option<Vec<u8>>,
    pub reason: Option<String>,
}

pub fn fixtures() -> Vec<Entry> {
    let text = include_str!("../data/django-cache-sessions.json");
    let data: Value = json::from_str(text).unwrap();
    assert_eq!(data["old_key"], Value::String(support::OLD.into()));
    assert_eq!(data["new_key"], Value::String(support::NEW.into()));
    let Value::Array(entries) = &data["entries"] else {
        panic!("entries")
    };
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    entries
        .iter()
        .map(|e| Entry {
            alias: text(&e["alias"]).unwrap(),
            user_id: text(&e["user_id"]),
            password: text(&e["password"]),
            value: STANDARD.decode(text(&e["value"]).unwrap()).unwrap(),
            expected: text(&e["expected"]).map(|b| STANDARD.decode(b).unwrap()),
            reason: text(&e["reason"]),
        })
        .collect()
}

fn auth(ring: &KeyRing) -> SessionAuthHash {
    SessionAuthHash::new(ring, &support::options(DjangoVersion::V5_2)).unwrap()
}

/// No server needed: the reader finds what Django wrote, and the in-place
/// rewrite gives the bytes Django's own pickle of the new dict has.
#[test]
fn rewrites_django_pickles_byte_for_byte() {
    let old = auth(&support::single(support::OLD, "old"));
    let new = auth(&support::single(support::NEW, "new"));
    let entries = fixtures();
    assert_eq!(entries.len(), 16);
    let (mut rewritten, mut refused) = (0, 0);
    for entry in &entries {
        let parsed = SessionPickle::parse(&entry.value);
        match (&entry.expected, &entry.reason) {
            (Some(expected), _) => {
                let parsed = parsed.unwrap();
                assert_eq!(parsed.user_id, entry.user_id);
                let password = entry.password.as_deref().unwrap();
                let stored = parsed.auth_hash.as_ref().unwrap();
                assert!(
                    old.verify(&stored.text, password).is_some(),
                    "the old key made it"
                );
                let bytes = parsed
                    .with_auth_hash(&entry.value, &new.hash(password))
                    .unwrap();
                assert_eq!(&bytes, expected, "{}", entry.alias);
                rewritten += 1;
            }
            (None, Some(reason)) => {
                assert_eq!(
                    parsed.unwrap_err().reason(),
                    reason.as_str(),
                    "{}",
                    entry.alias
                );
                refused += 1;
            }
            (None, None) => {
                let parsed = parsed.unwrap();
                assert!(parsed.user_id.is_none() && parsed.auth_hash.is_none());
            }
        }
    }
    assert_eq!((rewritten, refused), (6, 8));
}

/// Keys under one prefix, deleted when dropped.
pub struct RedisPrefix {
    pub connection: redis::Connection,
    pub prefix: String,
    pub url: String,
}

impl RedisPrefix {
    pub fn new() -> Option<Self> {
        let url = support::server_url("SIGNRING_TEST_REDIS_URL", "Redis")?;
        let connection = redis::Client::open(url.as_str())
            .unwrap()
            .get_connection()
            .expect("Redis answers");
        Some(Self {
            connection,
            prefix: support::unique("redis"),
            url,
        })
    }

    pub fn keys(&self) -> CacheKeys {
        CacheKeys::new(self.prefix.clone(), 1)
    }

    pub fn set(&mut self, key: &str, value: &[u8], ttl_ms: u64) {
        redis::cmd("SET")
            .arg(key)
            .arg(value)
            .arg("PX")
            .arg(ttl_ms)
            .query::<()>(&mut self.connection)
            .unwrap();
    }

    pub fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        redis::cmd("GET")
            .arg(key)
            .query(&mut self.connection)
            .unwrap()
    }

    pub fn pttl(&mut self, key: &str) -> i64 {
        redis::cmd("PTTL")
            .arg(key)
            .query(&mut self.connection)
            .unwrap()
    }
}

impl Drop for RedisPrefix {
    fn drop(&mut self) {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query(&mut self.connection)
            .unwrap_or_default();
        if !keys.is_empty() {
            let _ = redis::cmd("DEL")
                .arg(keys)
                .query::<i64>(&mut self.connection);
        }
    }
}

const TTL_MS: u64 = 1_209_600_000 - 12_345;

/// Loads the fixtures into Redis (one session key each) and the users into
/// an SQLite database; the cache keys in fixture order.
fn load(redis: &mut RedisPrefix, db: &mut SqliteDb) -> (Vec<Entry>, Vec<String>) {
    let entries = fixtures();
    let mut users = std::collections::BTreeMap::new();
    let mut keys = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let key = redis
            .keys()
            .key(CACHE_SESSION_PREFIX, &support::session_key(i));
        redis.set(&key, &entry.value, TTL_MS);
        keys.push(key);
        if let (Some(id), Some(password)) = (&entry.user_id, &entry.password) {
            users.insert(id.parse::<i64>().unwrap(), password.clone());
        }
    }
    for (id, password) in users {
        db.insert_user(id, &password);
    }
    (entries, keys)
}

fn cache_store(redis: &RedisPrefix, db: &SqliteDb) -> RedisCacheStore {
    let users = SqliteStore::open(&db.path, "django_session", UserTable::default()).unwrap();
    RedisCacheStore::connect(&redis.url, redis.keys(), Box::new(users)).unwrap()
}

#[test]
fn cache_engine_rewrites_the_hash_in_place_and_keeps_the_ttl() {
    let Some(mut redis) = RedisPrefix::new() else {
        return;
    };
    let mut db = SqliteDb::new();
    let (entries, keys) = load(&mut redis, &mut db);
    // Another prefix's sessions are not touched.
    let other = format!("{}-other:1:{CACHE_SESSION_PREFIX}kother", redis.prefix);
    redis.set(&other, &entries[0].value, TTL_MS);
    let ring = support::ring();
    let migrator = Migrator::builder(&ring).batch_size(5).build().unwrap();

    let dry = Migrator::builder(&ring)
        .dry_run(true)
        .build()
        .unwrap()
        .run(&mut cache_store(&redis, &db))
        .unwrap();
    assert_eq!((dry.scanned, dry.resigned), (16, 6));
    for (entry, key) in entries.iter().zip(&keys) {
        assert_eq!(
            redis.get(key).as_deref(),
            Some(entry.value.as_slice()),
            "dry run wrote nothing"
        );
    }

    let report = migrator.run(&mut cache_store(&redis, &db)).unwrap();
    assert_eq!(
        (
            report.scanned,
            report.resigned,
            report.hash_rewritten,
            report.fresh,
            report.undecodable
        ),
        (16, 6, 6, 2, 8),
        "{report:?}"
    );
    assert_eq!(report.undecodable_reasons.get("not_pickle"), Some(&8));
    assert_eq!(report.by_key.get("old"), Some(&6));
    for (entry, key) in entries.iter().zip(&keys) {
        let now = redis.get(key).unwrap();
        match &entry.expected {
            Some(expected) => assert_eq!(&now, expected),
            None => assert_eq!(now, entry.value, "left exactly as it was"),
        }
        let ttl = redis.pttl(key);
        assert!(
            ttl > 0 && ttl <= TTL_MS as i64 && ttl > TTL_MS as i64 - 60_000,
            "TTL kept: {ttl}"
        );
    }
    assert_eq!(
        redis.get(&other).as_deref(),
        Some(entries[0].value.as_slice())
    );
    // The new hashes verify with the new key alone.
    let new = auth(&support::single(support::NEW, "new"));
    for (entry, key) in entries.iter().zip(&keys) {
        if let (Some(_), Some(password)) = (&entry.expected, &entry.password) {
            let parsed = SessionPickle::parse(&redis.get(key).unwrap()).unwrap();
            let hash = parsed.auth_hash.unwrap().text;
            assert!(new.django_get_user(Some(&hash), password).is_logged_in());
        }
    }
    let again = migrator.run(&mut cache_store(&redis, &db)).unwrap();
    assert_eq!((again.resigned, again.fresh), (0, 8));
}

#[test]
fn cache_engine_skips_entries_changed_meanwhile() {
    let Some(mut redis) = RedisPrefix::new() else {
        return;
    };
    let mut db = SqliteDb::new();
    let (entries, keys) = load(&mut redis, &mut db);
    let victim = entries.iter().position(|e| e.expected.is_some()).unwrap();
    let changed = entries[victim]
        .value
        .iter()
        .rev()
        .copied()
        .collect::<Vec<u8>>();
    let ring = support::ring();
    let mut writer = redis::Client::open(redis.url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let key = keys[victim].clone();
    let mut once = false;
    let mut store = Meddling {
        inner: Box::new(cache_store(&redis, &db)),
        before_write: Box::new(|| {
            if !once {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(&changed)
                    .arg("KEEPTTL")
                    .query::<()>(&mut writer)
                    .unwrap();
                once = true;
            }
        }),
    };
    let report = Migrator::builder(&ring)
        .build()
        .unwrap()
        .run(&mut store)
        .unwrap();
    drop(store);
    assert_eq!(
        (report.resigned, report.skipped_concurrent),
        (5, 1),
        "{report:?}"
    );
    let reversed: Vec<u8> = entries[victim].value.iter().rev().copied().collect();
    assert_eq!(
        redis.get(&keys[victim]),
        Some(reversed),
        "the application's write kept"
    );
}

#[test]
fn cached_db_engine_drops_the_cache_entries_of_verified_rows() {
    let Some(mut redis) = RedisPrefix::new() else {
        return;
    };
    let mut db = SqliteDb::new();
    let django = DjangoVersion::V5_2;
    let counts = support::Counts {
        users: 6,
        anonymous: 3,
    };
    let rows = crate::db_suite::load(&mut db, &counts, django);
    for row in &rows {
        redis.set(
            &redis.keys().key(CACHED_DB_SESSION_PREFIX, &row.key),
            b"cached dict",
            TTL_MS,
        );
    }
    let ring = support::ring();
    let sqlite = SqliteStore::open(&db.path, "django_session", UserTable::default()).unwrap();
    let mut store = CachedDbStore::connect(Box::new(sqlite), &redis.url, redis.keys()).unwrap();
    let report = Migrator::builder(&ring)
        .batch_size(4)
        .build()
        .unwrap()
        .run(&mut store)
        .unwrap();
    assert_eq!(report.engine, signring_migrate::Engine::CachedDb);
    support::expect_report(&report, &counts);
    for row in &rows {
        let cached = redis.get(&redis.keys().key(CACHED_DB_SESSION_PREFIX, &row.key));
        let verified = !matches!(row.kind, support::Kind::Corrupt | support::Kind::Unknown);
        assert_eq!(cached.is_none(), verified, "{:?}", row.kind);
    }
    let stored: std::collections::HashMap<String, String> = rows
        .iter()
        .map(|row| (row.key.clone(), db.row(&row.key).0))
        .collect();
    support::check_migrated(&rows, |key| stored[key].clone(), django);
    let _ = UnixTime::now();
}
