//! The seed's story for a Rust reader: a Django site rotates its `SECRET_KEY`,
//! and nobody is logged out.
//!
//! Run it with `cargo run --example django_session --features django`.

use signring::django::{SessionAuthHash, SessionCodec};
use signring::json::{self, Map, Value};
use signring::{KeyRing, UnixTime};

const OLD_KEY: &str = "the-django-secret-key-since-2019-0123456789abcdefghij";
const NEW_KEY: &str = "the-django-secret-key-from-today-0123456789abcdefghij";
/// The user's stored password hash (`auth_user.password`), not the password.
const PASSWORD_HASH: &str =
    "pbkdf2_sha256$600000$pZ1x3$kQ0p0hVh1M3d9yXw2mUoTq4cJvR8sLnE7bG5aF6iH2Y=";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let login_time = UnixTime::from_secs_f64(1_700_000_000.0);
    let later = UnixTime::from_secs_f64(1_700_003_600.0);

    // Django logs the user in under the old key and stores this row in
    // django_session.session_data.
    let old = KeyRing::new(OLD_KEY)?;
    let hash = SessionAuthHash::new(&old, &Default::default())?.hash(PASSWORD_HASH);
    let mut login = Map::new();
    login.insert("_auth_user_id".into(), Value::String("42".into()));
    login.insert(
        "_auth_user_backend".into(),
        Value::String("django.contrib.auth.backends.ModelBackend".into()),
    );
    login.insert("_auth_user_hash".into(), Value::String(hash));
    let row = SessionCodec::builder(&old)
        .build()?
        .encode_at(&login, login_time)?;
    println!("stored row (old key):   {row}");

    // Without signring: the site switches to the new key alone. The row no
    // longer verifies, Django treats it as an empty session: logged out.
    let new_only = KeyRing::new(NEW_KEY)?;
    let django_new = SessionCodec::builder(&new_only).build()?;
    let without_rotation = django_new.decode_at(&row, later);
    match &without_rotation {
        Ok(_) => println!("new key alone reads it: unexpectedly valid"),
        Err(error) => println!("new key alone reads it: {error} -> an empty session, logged out"),
    }
    assert!(without_rotation.is_err());

    // With signring: a ring with the new key current and the old one as a
    // fallback rotates the row, re-signing it and rewriting the auth hash.
    let mut ring = old.clone();
    ring.rotate(NEW_KEY)?;
    let auth = SessionAuthHash::new(&ring, &Default::default())?;
    let lookup = |user_id: &str| (user_id == "42").then(|| PASSWORD_HASH.to_owned());
    let rotated = SessionCodec::builder(&ring)
        .build()?
        .rotate_at(&row, &auth, lookup, later)?;
    println!(
        "rotated row (new key):  {}  (verified by key {}, auth hash rewritten: {})",
        rotated.data, rotated.record.key_index, rotated.hash_rewritten
    );

    // Django with only the new key now reads the row and keeps the user.
    let session = django_new.decode_at(&rotated.data, later)?;
    let stored_hash = match session.session.get("_auth_user_hash") {
        Some(Value::String(hash)) => Some(hash.as_str()),
        _ => None,
    };
    let outcome = SessionAuthHash::new(&new_only, &Default::default())?
        .django_get_user(stored_hash, PASSWORD_HASH);
    println!(
        "new key alone reads it: {} -> {outcome:?}",
        json::to_string(&session.session)?
    );
    assert!(outcome.is_logged_in());
    // The timestamp is the login's: rotation never extends a session's life.
    assert_eq!(session.record.timestamp, Some(1_700_000_000));
    Ok(())
}
