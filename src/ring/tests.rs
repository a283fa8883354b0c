use super::*;
use crate::{Error, Signer, TimestampSigner};

const SECRET: &str = "a-very-secret-key-value-that-must-never-be-printed-42";

#[test]
fn debug_does_not_leak_keys() {
    let ring = KeyRing::new(SECRET)
        .unwrap()
        .with_ring_key(RingKey::new("another-secret-value").unwrap().id("old"))
        .unwrap();
    let debug = format!("{ring:?}");
    assert!(!debug.contains("secret"), "{debug}");
    assert!(debug.ends_with(", fallback:old]"), "{debug}");
}

#[test]
fn rotation_moves_the_current_key_to_the_front_of_the_fallbacks() {
    let mut ring = KeyRing::new("k1").unwrap().with_fallback("k0").unwrap();
    ring.rotate("k2").unwrap();
    let keys: Vec<_> = ring.keys().map(|k| k.as_bytes().to_vec()).collect();
    assert_eq!(keys, [b"k2".to_vec(), b"k1".to_vec(), b"k0".to_vec()]);
    let roles: Vec<_> = (0..3).map(|i| ring.role(i).unwrap()).collect();
    assert_eq!(
        roles,
        [KeyRole::Current, KeyRole::Fallback, KeyRole::Fallback]
    );
}

#[test]
fn duplicates_are_refused_whatever_the_role() {
    let ring = KeyRing::new("k1").unwrap().with_fallback("k0").unwrap();
    for attempt in [
        ring.clone().with_fallback("k1").map(|_| ()),
        ring.clone().with_fallback("k0").map(|_| ()),
        ring.clone().stage(RingKey::new("k0").unwrap()),
        ring.clone().rotate("k1"),
    ] {
        assert_eq!(attempt.unwrap_err(), ConfigError::DuplicateKey);
    }
}

#[test]
fn staging_then_promoting_keeps_the_order_django_expects() {
    let mut ring = KeyRing::new("k1").unwrap().with_fallback("k0").unwrap();
    ring.stage(RingKey::new("k2").unwrap().id("next")).unwrap();
    assert_eq!(ring.role(2), Some(KeyRole::Staged));
    assert_eq!(
        ring.clone().without_fallbacks().role(1),
        Some(KeyRole::Staged)
    );
    let mut promoted = ring;
    promoted.promote(UnixTime::from_secs_f64(10.0)).unwrap();
    let keys: Vec<_> = promoted.keys().map(|k| k.as_bytes().to_vec()).collect();
    assert_eq!(keys, [b"k2".to_vec(), b"k1".to_vec(), b"k0".to_vec()]);
    assert_eq!(promoted.id(0).unwrap().as_str(), "next");
    assert_eq!(promoted.not_after(1), Some(UnixTime::from_secs_f64(10.0)));
    assert_eq!(
        promoted
            .clone()
            .promote(UnixTime::from_secs_f64(0.0))
            .unwrap_err(),
        ConfigError::NothingStaged
    );
    assert_eq!(promoted.retire_expired(UnixTime::from_secs_f64(10.5)), 1);
    assert_eq!(promoted.key_count(), 2, "k1 expired, k0 has no end");
}

#[test]
fn an_expired_fallback_stops_verifying_at_its_not_after() {
    let old = KeyRing::new("k0").unwrap();
    let value = old.sign("v");
    let ring = KeyRing::new("k1")
        .unwrap()
        .with_ring_key(
            RingKey::new("k0")
                .unwrap()
                .not_after(UnixTime::from_secs_f64(1000.0)),
        )
        .unwrap();
    let timed = TimestampSigner::builder(&ring).build().unwrap();
    let old_timed = TimestampSigner::builder(&old)
        .build()
        .unwrap()
        .sign_at("v", UnixTime::from_secs_f64(900.0));
    assert_eq!(
        timed
            .unsign_at(&old_timed, UnixTime::from_secs_f64(1000.0))
            .unwrap()
            .key_index(),
        1
    );
    assert_eq!(
        timed
            .unsign_at(&old_timed, UnixTime::from_secs_f64(1000.5))
            .unwrap_err(),
        Error::BadSignature
    );
    // The plain signer reads the system clock, long past 1970 + 1000 s.
    assert_eq!(
        Signer::builder(&ring)
            .build()
            .unwrap()
            .unsign(&value)
            .unwrap_err(),
        Error::BadSignature
    );
}

#[test]
fn staged_keys_verify_without_being_stale_and_never_sign() {
    let mut ring = KeyRing::new("k1").unwrap().with_fallback("k0").unwrap();
    ring.stage(RingKey::new("k2").unwrap()).unwrap();
    let signer = Signer::builder(&ring).build().unwrap();
    assert_eq!(
        signer.sign("v"),
        KeyRing::new("k1").unwrap().sign("v"),
        "the current key signs"
    );
    let newer = KeyRing::new("k2").unwrap().sign("v");
    let verified = signer.unsign(&newer).unwrap();
    assert_eq!((verified.key_index(), verified.is_stale()), (2, false));
    let older = KeyRing::new("k0").unwrap().sign("v");
    assert!(signer.unsign(&older).unwrap().is_stale());
}
