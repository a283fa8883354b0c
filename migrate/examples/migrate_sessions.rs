//! A Django site promoted a new `SECRET_KEY`; its sessions are still signed
//! with the old one. Migrate them, and a Django that knows only the new key
//! keeps everybody logged in.
//!
//! Runs with no server: an SQLite database with Django's tables, in a
//! temporary directory. `cargo run --example migrate_sessions`.

use signring::django::{SessionAuthHash, SessionCodec};
use signring::json::{Map, Value};
use signring::{KeyRing, Options, RingKey, UnixTime};
use signring_migrate::{Migrator, SqliteStore, UserTable};

const OLD_KEY: &str = "the-django-secret-key-since-2019-0123456789abcdefghij";
const NEW_KEY: &str = "the-django-secret-key-from-today-0123456789abcdefghij";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("signring-migrate-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("db.sqlite3");
    let result = run(&path);
    std::fs::remove_dir_all(&dir)?;
    result
}

fn run(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    // 1. Django's tables, as `manage.py migrate` makes them.
    let db = rusqlite::Connection::open(path)?;
    db.execute_batch(
        r#"CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "username" varchar(150) NOT NULL UNIQUE);
           CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL);"#,
    )?;

    // 2. Three users log in while the old key signs.
    let old = KeyRing::from_ring_key(RingKey::new(OLD_KEY)?.id("2019"));
    let old_codec = SessionCodec::builder(&old).build()?;
    let old_auth = SessionAuthHash::new(&old, &Options::new())?;
    let login_time = UnixTime::from_secs_f64(UnixTime::now().as_secs_f64() - 3600.0);
    let users = ["ada", "grace", "linus"];
    for (id, name) in (1_i64..).zip(users) {
        let password = format!("pbkdf2_sha256$600000$salt{id}$hash-of-{name}");
        db.execute(
            "INSERT INTO auth_user (id, password, username) VALUES (?1, ?2, ?3)",
            (id, &password, name),
        )?;
        let mut session = Map::new();
        session.insert("_auth_user_id".into(), Value::String(id.to_string()));
        session.insert(
            "_auth_user_backend".into(),
            Value::String("django.contrib.auth.backends.ModelBackend".into()),
        );
        session.insert(
            "_auth_user_hash".into(),
            Value::String(old_auth.hash(&password)),
        );
        let data = old_codec.encode_at(&session, login_time)?;
        db.execute(
            "INSERT INTO django_session VALUES (?1, ?2, '2099-01-01 00:00:00')",
            (format!("{name}0123456789abcdefghijklmnop"), &data),
        )?;
    }
    println!("{} users logged in under the old key", users.len());

    // Without the migration, a Django with only the new key reads every
    // session as empty: everybody logged out.
    let new_only = KeyRing::from_ring_key(RingKey::new(NEW_KEY)?.id("2026"));
    let unmigrated: Vec<String> = db
        .prepare("SELECT session_data FROM django_session")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let readable = unmigrated
        .iter()
        .filter(|data| {
            SessionCodec::builder(&new_only)
                .build()
                .is_ok_and(|c| c.decode(data).is_ok())
        })
        .count();
    println!("without a migration, the new key alone reads {readable} of them");

    // 3. The new key was staged and promoted on every server: SECRET_KEY is
    //    the new key, SECRET_KEY_FALLBACKS the old one. Migrate.
    let ring = KeyRing::from_ring_key(RingKey::new(NEW_KEY)?.id("2026"))
        .with_ring_key(RingKey::new(OLD_KEY)?.id("2019"))?;
    let mut store = SqliteStore::open(path, "django_session", UserTable::default())?;
    let report = Migrator::builder(&ring).build()?.run(&mut store)?;
    println!(
        "migrated: scanned {}, re-signed {} (auth hash rewritten {}), fresh {}, undecodable {}",
        report.scanned, report.resigned, report.hash_rewritten, report.fresh, report.undecodable
    );

    // 4. Retire the old key: Django with only the new key.
    let new_only = ring.without_fallbacks();
    let codec = SessionCodec::builder(&new_only).build()?;
    let auth = SessionAuthHash::new(&new_only, &Options::new())?;
    let mut statement = db.prepare(
        "SELECT s.session_data, u.password, u.username FROM django_session s \
         JOIN auth_user u ON u.username || '0123456789abcdefghijklmnop' = s.session_key ORDER BY u.id",
    )?;
    let rows: Vec<(String, String, String)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut logged_in = 0;
    for (data, password, name) in &rows {
        let session = codec.decode(data)?;
        let stored = match session.session.get("_auth_user_hash") {
            Some(Value::String(hash)) => Some(hash.as_str()),
            _ => None,
        };
        let still_in = auth.django_get_user(stored, password).is_logged_in();
        println!(
            "  {name}: {} (signed at {:?}, as at login)",
            if still_in {
                "still logged in"
            } else {
                "LOGGED OUT"
            },
            session.record.timestamp
        );
        logged_in += usize::from(still_in);
    }
    assert_eq!(logged_in, users.len());
    println!(
        "with only the new key, {logged_in} of {} users are still logged in",
        users.len()
    );
    Ok(())
}
