//! A key rotation from start to finish, with nobody logged out.
//!
//! Run it with `cargo run --example rotate_keys`.

use signring::{DUMPS_SALT, KeyRing, MaxAge, TimestampSigner, UnixTime, json::Value};

const OLD_KEY: &str = "the-key-we-have-used-since-launch-0123456789abcdefgh";
const NEW_KEY: &str = "a-fresh-key-from-signring-keygen-0123456789abcdefghij";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let two_weeks = MaxAge::from_secs(14 * 24 * 3600);
    let monday = UnixTime::from_secs_f64(1_700_000_000.0);
    let tuesday = UnixTime::from_secs_f64(1_700_086_400.0);

    // 1. Before the rotation: one key signs a session cookie.
    let mut ring = KeyRing::new(OLD_KEY)?;
    let signer = TimestampSigner::builder(&ring)
        .salt(DUMPS_SALT)
        .max_age(two_weeks)
        .build()?;
    let session = Value::Object(
        [("user_id".to_owned(), Value::Integer(42))]
            .into_iter()
            .collect(),
    );
    let cookie = signer.sign_object_at(&session, true, monday)?;
    println!("1. signed with the old key:      {cookie}");

    // 2. Rotate: the new key signs from now on, the old one only verifies.
    ring.rotate(NEW_KEY)?;
    let signer = TimestampSigner::builder(&ring)
        .salt(DUMPS_SALT)
        .max_age(two_weeks)
        .build()?;
    let verified = signer.unsign_object_at::<Value>(&cookie, tuesday)?;
    println!(
        "2. after rotating, it verifies:  {} key_index={} stale={}",
        signring::json::to_string(verified.value())?,
        verified.key_index(),
        verified.is_stale()
    );
    assert!(verified.is_stale());

    // 3. Stale means: re-sign with the current key, keeping the timestamp, so
    //    the cookie still expires two weeks after Monday, not after Tuesday.
    let fresh = signer.resign(&verified)?;
    println!("3. re-signed with the new key:   {fresh}");
    let again = signer.unsign_object_at::<Value>(&fresh, tuesday)?;
    assert!(!again.is_stale());
    assert_eq!(again.timestamp(), verified.timestamp());

    // 4. After the grace period (the longest max_age in use), drop the old key.
    let ring = ring.without_fallbacks();
    let signer = TimestampSigner::builder(&ring)
        .salt(DUMPS_SALT)
        .max_age(two_weeks)
        .build()?;
    let last = signer.unsign_object_at::<Value>(&fresh, tuesday)?;
    println!(
        "4. old key gone, re-signed value: key_index={} stale={}",
        last.key_index(),
        last.is_stale()
    );
    assert!(!last.is_stale());

    // 5. Anything still signed with the old key is now refused.
    let refused = signer.unsign_object_at::<Value>(&cookie, tuesday);
    println!(
        "5. an old value never re-signed: {}",
        refused.as_ref().map(|_| "accepted").unwrap_or("refused")
    );
    assert!(refused.is_err());
    Ok(())
}
