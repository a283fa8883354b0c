//! Regression tests for the defects a security review of the core found
//! (issue 8): each test names its defect and fails on the code before the fix.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use signring::{
    Algorithm, Clock, DjangoVersion, Error, FixedClock, KeyRing, KeyRole, Options, RingKey, Signer,
    TimestampSigner, UnixTime, VerifyCounters,
};

use crate::TestResult;

const CURRENT: &str = "the-current-key-0123456789abcdefghijklmnopqrstuvwxyz";
const OLD: &str = "the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123";
const NEXT: &str = "the-next-key-0123456789abcdefghijklmnopqrstuvwxyz0123";

fn at(secs: f64) -> UnixTime {
    UnixTime::from_secs_f64(secs)
}

/// A ring whose current key stops at `not_after`.
fn expiring_current(not_after: f64) -> TestResult<KeyRing> {
    Ok(KeyRing::from_ring_key(
        RingKey::new(CURRENT)?.not_after(at(not_after)),
    ))
}

/// The current key, then `OLD` as a fallback until `not_after`.
fn with_expiring_fallback(not_after: f64) -> TestResult<KeyRing> {
    Ok(KeyRing::new(CURRENT)?
        .with_ring_key(RingKey::new(OLD)?.id("old").not_after(at(not_after)))?)
}

/// Defect 4: the legacy SHA-1 path of Django 3.1–3.2 accepted values of a
/// current key past its `not_after`.
#[test]
fn defect_4_an_expired_current_key_never_verifies_through_legacy_sha1() -> TestResult {
    let ring = expiring_current(100.0)?;
    let sha1 = Signer::builder(&ring).algorithm(Algorithm::Sha1).build()?;
    let signed = sha1.sign("v");
    for (now, accepted) in [(100.0, true), (100.5, false)] {
        let clock = FixedClock::new(at(now));
        let signer = Signer::builder(&ring)
            .django(DjangoVersion::V3_2)
            .clock(clock)
            .build()?;
        assert_eq!(signer.unsign(&signed).is_ok(), accepted, "signer at {now}");
        let lenient = Signer::builder(&ring)
            .accept_legacy_sha1(true)
            .clock(clock)
            .try_every_key(true)
            .build()?;
        assert_eq!(
            lenient.unsign(&signed).is_ok(),
            accepted,
            "lenient at {now}"
        );
    }
    Ok(())
}

#[cfg(feature = "django")]
#[test]
fn defect_4_an_expired_current_key_never_verifies_legacy_auth_hashes_or_tokens() -> TestResult {
    use signring::django::{PasswordResetTokens, ResetUser, SessionAuthHash};
    let ring = expiring_current(1_600_000_000.0)?;
    let sha1 = Options::new()
        .django(DjangoVersion::V3_2)
        .algorithm(Algorithm::Sha1);
    let stored = SessionAuthHash::new(&ring, &sha1)?.hash("pw");
    let user = ResetUser::new("1", "pbkdf2_sha256$1$s$h");
    let made_at = time::macros::datetime!(2020-09-13 12:26:40);
    let token = PasswordResetTokens::builder(&ring)
        .options(sha1.clone())
        .build()?
        .make_token(&user, made_at)?;
    for (now, accepted) in [(1_600_000_000.0, true), (1_600_000_000.5, false)] {
        let options = Options::new()
            .django(DjangoVersion::V3_2)
            .clock(FixedClock::new(at(now)));
        let auth = SessionAuthHash::new(&ring, &options)?;
        let found = auth.verify(&stored, "pw");
        assert_eq!(found.is_some(), accepted, "auth hash at {now}");
        if let Some(found) = found {
            assert_eq!((found.algorithm, found.stale), (Algorithm::Sha1, true));
        }
        let tokens = PasswordResetTokens::builder(&ring)
            .options(options)
            .build()?;
        assert_eq!(
            tokens.check_token(&user, &token, made_at).is_ok(),
            accepted,
            "reset token at {now}"
        );
    }
    Ok(())
}

/// A clock that counts its readings.
#[derive(Debug, Default)]
struct CountingClock(AtomicUsize, f64);

impl Clock for CountingClock {
    fn now(&self) -> UnixTime {
        self.0.fetch_add(1, Ordering::Relaxed);
        at(self.1)
    }
}

#[derive(Debug, Clone)]
struct Shared(Arc<CountingClock>);

impl Clock for Shared {
    fn now(&self) -> UnixTime {
        self.0.now()
    }
}

/// Defect 5: `try_every_key` read the system clock only when the key that
/// matched had a `not_after`, which told which key matched; every path now
/// reads the one configured clock the same way whichever key matches.
#[test]
fn defect_5_the_clock_is_read_the_same_way_whichever_key_matches() -> TestResult {
    let ring = with_expiring_fallback(2e9)?;
    let current = Signer::builder(&KeyRing::new(CURRENT)?).build()?.sign("v");
    let fallback = Signer::builder(&KeyRing::new(OLD)?).build()?.sign("v");
    let clock = Shared(Arc::new(CountingClock(AtomicUsize::new(0), 1.9e9)));
    let signer = Signer::builder(&ring)
        .clock(clock.clone())
        .try_every_key(true)
        .build()?;
    let reads = || clock.0.0.load(Ordering::Relaxed);
    let mut seen = Vec::new();
    for value in [&current, &fallback, &"v:forged".to_owned()] {
        let before = reads();
        let _ = signer.unsign(value);
        seen.push(reads() - before);
    }
    assert_eq!(
        seen,
        [1, 1, 1],
        "one reading per verification, whatever matched"
    );
    // The configured clock decides expiry: past the fallback's end, it is refused.
    let later = Signer::builder(&ring)
        .clock(FixedClock::new(at(2.1e9)))
        .build()?;
    assert_eq!(later.unsign(&fallback).unwrap_err(), Error::BadSignature);
    assert_eq!(later.unsign(&current)?.key_index(), 0);
    Ok(())
}

/// Defect 5: `decode_at(now)` judged key expiry on the system clock for legacy
/// sessions and messages; `now` (and the configured clock) decide now.
#[cfg(feature = "django")]
#[test]
fn defect_5_every_adapter_judges_key_expiry_at_the_callers_now() -> TestResult {
    use signring::django::{Message, MessagesCookie, SessionCodec};
    use signring::json::Map;
    // The fallback ends in 2033: the system clock (2026) would still accept it.
    let ring = with_expiring_fallback(2e9)?;
    let old = KeyRing::new(OLD)?;
    let v2_2 = |ring: &KeyRing| {
        SessionCodec::builder(ring)
            .django(DjangoVersion::V2_2)
            .build()
    };
    let legacy_session = v2_2(&old)?.encode_at(&Map::new(), at(1.9e9))?;
    let reader = SessionCodec::builder(&ring)
        .django(DjangoVersion::V3_2)
        .build()?;
    assert_eq!(
        reader
            .decode_at(&legacy_session, at(1.9e9))?
            .record
            .key_index,
        1
    );
    assert_eq!(
        reader.decode_at(&legacy_session, at(2.1e9)).unwrap_err(),
        Error::BadSignature,
        "the fallback expired at the caller's now"
    );
    let legacy_messages = MessagesCookie::builder(&old)
        .django(DjangoVersion::V2_2)
        .build()?
        .encode_at(&[Message::new(20, "hi")], false, at(1.9e9))?;
    let messages = MessagesCookie::builder(&ring)
        .django(DjangoVersion::V3_2)
        .build()?;
    assert!(messages.decode_at(&legacy_messages, at(1.9e9)).is_ok());
    assert!(messages.decode_at(&legacy_messages, at(2.1e9)).is_err());
    // `decode` without a time reads the configured clock, not the system's.
    let clocked = MessagesCookie::builder(&ring)
        .django(DjangoVersion::V3_2)
        .clock(FixedClock::new(at(2.1e9)))
        .build()?;
    assert!(clocked.decode(&legacy_messages).is_err());
    Ok(())
}

/// Defect 6: `resign` took a value verified by any signer, so a share-link
/// token re-signed by the session signer became a session.
#[test]
fn defect_6_resign_refuses_a_value_verified_by_another_signer() -> TestResult {
    let old = KeyRing::new(OLD)?;
    let share_link = Signer::builder(&old)
        .salt("share-link")
        .build()?
        .sign("user-1");
    let mut ring = old.clone();
    ring.rotate(CURRENT)?;
    let links = Signer::builder(&ring).salt("share-link").build()?;
    let sessions = Signer::builder(&ring).salt("session").build()?;
    let verified = links.unsign(&share_link)?;
    assert!(verified.is_stale());
    assert_eq!(sessions.resign(&verified), Err(Error::OtherSigner));
    // Another separator or kind is another purpose too.
    let slash = Signer::builder(&ring).salt("share-link").sep("/").build()?;
    assert_eq!(slash.resign(&verified), Err(Error::OtherSigner));
    let timed = TimestampSigner::builder(&ring).salt("share-link").build()?;
    assert_eq!(timed.resign(&verified), Err(Error::OtherSigner));
    // The signer that verified it, or its twin, re-signs it.
    let twin = Signer::builder(&ring).salt("share-link").build()?;
    let fresh = twin.resign(&verified)?;
    assert_eq!(fresh, links.resign(&verified)?);
    assert!(sessions.unsign(&fresh).is_err());
    Ok(())
}

/// Defect 7: values a staged key verified are never stale and never
/// re-signed with the (older) current key.
#[test]
fn defect_7_staged_key_values_are_left_alone_by_resign() -> TestResult {
    let mut ring = KeyRing::new(CURRENT)?;
    ring.stage(RingKey::new(NEXT)?.id("next"))?;
    let from_promoted = TimestampSigner::builder(&KeyRing::new(NEXT)?)
        .build()?
        .sign_at("v", at(1e9));
    let signer = TimestampSigner::builder(&ring).build()?;
    let verified = signer.unsign_at(&from_promoted, at(1e9))?;
    assert_eq!(
        (verified.role(), verified.is_stale()),
        (KeyRole::Staged, false)
    );
    assert_eq!(signer.resign(&verified)?, from_promoted, "left as it was");
    Ok(())
}

#[cfg(feature = "django")]
#[test]
fn defect_7_session_rotate_leaves_staged_and_current_rows_alone() -> TestResult {
    use signring::django::{SessionAuthHash, SessionCodec};
    use signring::json::{Map, Value};
    let now = at(1.7e9);
    let password = "pbkdf2_sha256$1$s$h";
    let mut ring = KeyRing::new(CURRENT)?;
    ring.stage(RingKey::new(NEXT)?)?;
    let next = KeyRing::new(NEXT)?;
    let login = |ring: &KeyRing| -> TestResult<String> {
        let hash = SessionAuthHash::new(ring, &Options::new())?.hash(password);
        let mut session = Map::new();
        session.insert("_auth_user_id".into(), Value::String("1".into()));
        session.insert("_auth_user_hash".into(), Value::String(hash));
        Ok(SessionCodec::builder(ring)
            .build()?
            .encode_at(&session, now)?)
    };
    let codec = SessionCodec::builder(&ring).build()?;
    let auth = SessionAuthHash::new(&ring, &Options::new())?;
    for (row, who) in [(login(&next)?, "staged"), (login(&ring)?, "current")] {
        let rotated = codec.rotate_at(&row, &auth, |_| Some(password.into()), now)?;
        assert_eq!(
            rotated.data, row,
            "{who}: the row is left exactly as it was"
        );
        assert!(!rotated.was_stale && !rotated.hash_rewritten, "{who}");
    }
    // A fallback's row is still moved to the current key.
    let mut rotated_ring = KeyRing::new(OLD)?;
    let old_row = login(&rotated_ring)?;
    rotated_ring.rotate(CURRENT)?;
    let codec = SessionCodec::builder(&rotated_ring).build()?;
    let auth = SessionAuthHash::new(&rotated_ring, &Options::new())?;
    let rotated = codec.rotate_at(&old_row, &auth, |_| Some(password.into()), now)?;
    assert!(rotated.was_stale && rotated.hash_rewritten);
    assert_ne!(rotated.data, old_row);
    Ok(())
}

/// Defect 8: a legacy-salt cookie for (name "a", salt "bc") verifies as
/// (name "ab", salt "c"); it was reported stale and re-signed under the v2
/// salt, which a Django without the legacy fallback then accepted.
#[cfg(feature = "django")]
#[test]
fn defect_8_a_legacy_salt_cookie_is_never_laundered_into_the_v2_salt() -> TestResult {
    use signring::django::{SaltVariant, SignedCookie};
    let now = at(1.7e9);
    let old = KeyRing::new(OLD)?;
    let issued = SignedCookie::builder(&old, "a")
        .salt("bc")
        .django(DjangoVersion::V4_2)
        .build()?
        .sign_at("admin", now);
    let mut ring = old.clone();
    ring.rotate(CURRENT)?;
    let ab = SignedCookie::builder(&ring, "ab")
        .salt("c")
        .django(DjangoVersion::V5_2)
        .build()?;
    let verified = ab.unsign_at(&issued, now)?;
    assert_eq!(verified.salt_variant, SaltVariant::Legacy);
    assert!(verified.record.stale, "an old key verified it");
    let resigned = ab.resign(&verified)?;
    // A reader without the legacy fallback (Django 6.1's default) refuses it.
    let strict = SignedCookie::builder(&ring, "ab")
        .salt("c")
        .django(DjangoVersion::V6_1)
        .build()?;
    assert!(strict.unsign_at(&resigned, now).is_err());
    // It moved to the current key under the same legacy salt, nothing more.
    let legacy_reader = SignedCookie::builder(&ring.clone().without_fallbacks(), "ab")
        .salt("c")
        .django(DjangoVersion::V5_2)
        .build()?;
    let again = legacy_reader.unsign_at(&resigned, now)?;
    assert_eq!(
        (
            again.salt_variant,
            again.record.key_index,
            again.record.stale
        ),
        (SaltVariant::Legacy, 0, false)
    );
    Ok(())
}

/// Every adapter reports to the observer, so counters tell when a fallback
/// stops being used.
#[cfg(feature = "django")]
#[test]
fn every_adapter_reports_to_the_observer() -> TestResult {
    use signring::django::{
        Message, MessagesCookie, PasswordResetTokens, ResetUser, SessionAuthHash, SessionCodec,
        SignedCookie,
    };
    use signring::json::Map;
    let old = KeyRing::new(OLD)?;
    let mut ring = old.clone();
    ring.rotate(CURRENT)?;
    let counters = Arc::new(VerifyCounters::new(&ring));
    let options = Options::new()
        .django(DjangoVersion::V3_2)
        .observer(counters.clone());
    let now = at(1.7e9);
    let made_at = time::macros::datetime!(2023-11-14 22:13:20);
    let user = ResetUser::new("1", "pbkdf2_sha256$1$s$h");

    let session = SessionCodec::builder(&old)
        .build()?
        .encode_at(&Map::new(), now)?;
    let _ = SessionCodec::builder(&ring)
        .options(options.clone())
        .build()?
        .decode_at(&session, now)?;
    let legacy = SessionCodec::builder(&old)
        .django(DjangoVersion::V2_2)
        .build()?
        .encode_at(&Map::new(), now)?;
    let _ = SessionCodec::builder(&ring)
        .options(options.clone())
        .build()?
        .decode_at(&legacy, now)?;
    let hash = SessionAuthHash::new(&old, &Options::new())?.hash("pw");
    let _ = SessionAuthHash::new(&ring, &options)?.verify(&hash, "pw");
    let token = PasswordResetTokens::builder(&old)
        .build()?
        .make_token(&user, made_at)?;
    let _ = PasswordResetTokens::builder(&ring)
        .options(options.clone())
        .build()?
        .check_token(&user, &token, made_at)?;
    let cookie = SignedCookie::builder(&old, "c")
        .django(DjangoVersion::V3_2)
        .build()?
        .sign_at("v", now);
    let _ = SignedCookie::builder(&ring, "c")
        .options(options.clone())
        .build()?
        .unsign_at(&cookie, now)?;
    let messages = MessagesCookie::builder(&old)
        .django(DjangoVersion::V3_2)
        .build()?
        .encode_at(&[Message::new(20, "m")], false, now)?;
    let _ = MessagesCookie::builder(&ring)
        .options(options.clone())
        .build()?
        .decode_at(&messages, now)?;

    let report = counters.report();
    assert_eq!(report.keys[1].verified, 6, "{report}");
    assert_eq!(report.keys[0].verified, 0, "{report}");
    Ok(())
}

/// One options value: the input limit applies to every format of every
/// adapter, the legacy ones included.
#[cfg(feature = "django")]
#[test]
fn the_input_limit_applies_to_legacy_formats_too() -> TestResult {
    use signring::Malformed;
    use signring::django::{Message, MessagesCookie, SessionCodec};
    use signring::json::{Map, Value};
    let ring = KeyRing::new(CURRENT)?;
    let mut big = Map::new();
    big.insert("blob".into(), Value::String("x".repeat(2000)));
    let legacy = SessionCodec::builder(&ring)
        .django(DjangoVersion::V2_2)
        .build()?
        .encode_at(&big, at(1e9))?;
    let limited = SessionCodec::builder(&ring)
        .django(DjangoVersion::V2_2)
        .max_input_len(1000)
        .build()?;
    assert_eq!(
        limited.decode_at(&legacy, at(1e9)).unwrap_err(),
        Error::Malformed(Malformed::TooLong { limit: 1000 })
    );
    let messages = MessagesCookie::builder(&ring)
        .django(DjangoVersion::V2_2)
        .build()?
        .encode_at(&[Message::new(20, "x".repeat(2000))], false, at(1e9))?;
    let limited = MessagesCookie::builder(&ring)
        .django(DjangoVersion::V2_2)
        .max_input_len(1000)
        .build()?;
    assert_eq!(
        limited.decode_at(&messages, at(1e9)).unwrap_err(),
        Error::Malformed(Malformed::TooLong { limit: 1000 })
    );
    Ok(())
}
