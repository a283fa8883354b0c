//! Behaviour of the public API: one suite run over both `Signer` and
//! `TimestampSigner`, key rotation, expiry, Django's legacy SHA-1 path, signed
//! objects, and what errors and `Debug` output may reveal.
//!
//! Times are always explicit (`*_at`), so nothing here depends on the clock.

use std::collections::BTreeMap;

use crate::TestResult;

use serde::{Deserialize, Serialize};
use signring::json::{self, Map, Value};
use signring::{
    Algorithm, ConfigError, DUMPS_SALT, DjangoVersion, Error, KeyRing, Malformed, MaxAge,
    PayloadError, SecretKey, Signer, SignerBuilder, TIMESTAMP_SIGNER_SALT, TimestampSigner,
    UnixTime, Verified,
};

/// The key that signs. Distinctive, so a leak into any output can be searched for.
const CURRENT: &str = "KeyTextCurrent-never-printed-0123456789abcdefghijklmnopqrst";
/// Three fallbacks, in the order the ring tries them (key_index 1, 2, 3).
const FALLBACKS: [&str; 3] = [
    "KeyTextFallbackOne-never-printed-0123456789abcdefghijklmnop",
    "KeyTextFallbackTwo-never-printed-0123456789abcdefghijklmnop",
    "KeyTextFallbackThree-never-printed-0123456789abcdefghijklmn",
];
/// Django's documentation key (django-compat.md §13).
const DOC_KEY: &str = "doc-example-secret-key-not-used-anywhere-else-0123456789";
/// The signing time of every timestamped value in the shared suite.
const T0: i64 = 1_600_000_000;

fn at(secs: f64) -> UnixTime {
    UnixTime::from_secs_f64(secs)
}

fn t0_plus(secs: f64) -> UnixTime {
    // T0 is exactly representable, as is any Unix time in seconds.
    at(T0 as f64 + secs)
}

fn ring_with_fallbacks() -> TestResult<KeyRing> {
    Ok(FALLBACKS
        .iter()
        .try_fold(KeyRing::new(CURRENT)?, |ring, key| ring.with_fallback(key))?)
}

// ---------------------------------------------------------------------------
// The shared suite: every test below runs for `Signer` and `TimestampSigner`.
// ---------------------------------------------------------------------------

/// What the shared suite needs from a kind of signer. Timestamped signers sign
/// at `T0` and verify 30 s later, without a `max_age`.
trait Kind: Sized {
    /// The timestamp a value signed by `sign_value` reports once verified.
    const TIMESTAMP: Option<i64>;

    fn builder(ring: &KeyRing) -> SignerBuilder<'_, Self>;
    fn build(builder: SignerBuilder<'_, Self>) -> TestResult<Self>;
    fn sign_value(&self, value: &str) -> String;
    fn unsign_value<'a>(&self, signed: &'a str) -> Result<Verified<'a, &'a str>, Error>;
    fn resign_value(&self, verified: &Verified<'_, &str>) -> String;
    fn separator(&self) -> &str;
}

impl Kind for Signer {
    const TIMESTAMP: Option<i64> = None;

    fn builder(ring: &KeyRing) -> SignerBuilder<'_, Self> {
        Signer::builder(ring)
    }
    fn build(builder: SignerBuilder<'_, Self>) -> TestResult<Self> {
        Ok(builder.build()?)
    }
    fn sign_value(&self, value: &str) -> String {
        self.sign(value)
    }
    fn unsign_value<'a>(&self, signed: &'a str) -> Result<Verified<'a, &'a str>, Error> {
        self.unsign(signed)
    }
    fn resign_value(&self, verified: &Verified<'_, &str>) -> String {
        self.resign(verified).unwrap()
    }
    fn separator(&self) -> &str {
        self.sep()
    }
}

impl Kind for TimestampSigner {
    const TIMESTAMP: Option<i64> = Some(T0);

    fn builder(ring: &KeyRing) -> SignerBuilder<'_, Self> {
        TimestampSigner::builder(ring)
    }
    fn build(builder: SignerBuilder<'_, Self>) -> TestResult<Self> {
        Ok(builder.build()?)
    }
    fn sign_value(&self, value: &str) -> String {
        self.sign_at(value, t0_plus(0.0))
    }
    fn unsign_value<'a>(&self, signed: &'a str) -> Result<Verified<'a, &'a str>, Error> {
        self.unsign_at(signed, t0_plus(30.0))
    }
    fn resign_value(&self, verified: &Verified<'_, &str>) -> String {
        self.resign(verified).unwrap()
    }
    fn separator(&self) -> &str {
        self.signer().sep()
    }
}

fn default_signer<K: Kind>(ring: &KeyRing) -> TestResult<K> {
    K::build(K::builder(ring))
}

fn assert_fresh(verified: &Verified<'_, &str>, value: &str, timestamp: Option<i64>) {
    assert_eq!(*verified.value(), value);
    assert_eq!(verified.key_index(), 0, "{verified:?}");
    assert!(!verified.is_stale(), "{verified:?}");
    assert_eq!(verified.timestamp(), timestamp, "{verified:?}");
}

fn round_trip_keeps_the_value<K: Kind>() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    let signer: K = default_signer(&ring)?;
    for value in [
        "hello",
        "user@example.com",
        "  surrounded by spaces  ",
        "line\nbreak, tab\t, nul\0",
    ] {
        let signed = signer.sign_value(value);
        assert!(signed.starts_with(value), "{signed:?}");
        let verified = signer.unsign_value(&signed)?;
        assert_fresh(&verified, value, K::TIMESTAMP);
        assert_eq!(verified.algorithm(), Algorithm::Sha256);
    }
    Ok(())
}

fn every_algorithm_round_trips<K: Kind>() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    for algorithm in Algorithm::ALL {
        let signer = K::build(K::builder(&ring).algorithm(algorithm))?;
        let signed = signer.sign_value("hello");
        let signature = signed.rsplit_once(signer.separator()).map(|(_, sig)| sig);
        assert_eq!(signature.map(str::len), Some(algorithm.signature_len()));
        let verified = signer.unsign_value(&signed)?;
        assert_eq!(verified.algorithm(), algorithm);
        assert_fresh(&verified, "hello", K::TIMESTAMP);
    }
    Ok(())
}

fn values_containing_the_separator_round_trip<K: Kind>() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    for sep in [":", "/", "~~", "a:", ":\n"] {
        let signer = K::build(K::builder(&ring).sep(sep))?;
        for value in [
            sep.to_owned(),
            format!("a{sep}b"),
            format!("{sep}{sep}"),
            format!("{sep}leading and trailing{sep}"),
            format!("a{sep}b{sep}c{sep}"),
        ] {
            let signed = signer.sign_value(&value);
            assert_fresh(&signer.unsign_value(&signed)?, &value, K::TIMESTAMP);
        }
    }
    Ok(())
}

fn the_empty_value_round_trips<K: Kind>() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    let signer: K = default_signer(&ring)?;
    let signed = signer.sign_value("");
    assert!(signed.starts_with(':'), "{signed:?}");
    assert_fresh(&signer.unsign_value(&signed)?, "", K::TIMESTAMP);
    Ok(())
}

fn unicode_values_and_separators_round_trip<K: Kind>() -> TestResult {
    let ring = KeyRing::new("clé-secrète-🔑-0123456789abcdefghijklmnopqrstuvwxyz")?;
    for sep in [":", "é", "→", "🙂"] {
        let signer = K::build(K::builder(&ring).sep(sep).salt("sälz-☃"))?;
        for value in [
            "héllo wörld",
            "日本語のテキスト",
            "😀 emoji 👍🏽",
            "\u{202e}rtl",
            "é→🙂:",
        ] {
            let signed = signer.sign_value(value);
            assert_fresh(&signer.unsign_value(&signed)?, value, K::TIMESTAMP);
        }
    }
    Ok(())
}

/// A base64url character whose value differs only in the lowest bit: every
/// signature length leaves at least two unused bits in the last character, so
/// this encodes the same digest non-canonically.
fn same_digest_other_char(c: char) -> char {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = ALPHABET.find(c).expect("signatures are base64url");
    char::from(ALPHABET.as_bytes()[index ^ 1])
}

fn replace_char(text: &str, index: usize, with: char) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| if i == index { with } else { c })
        .collect()
}

fn flip_case(c: char) -> char {
    if c.is_ascii_lowercase() {
        c.to_ascii_uppercase()
    } else {
        c.to_ascii_lowercase()
    }
}

fn tampered_tokens_are_rejected<K: Kind>() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    let signer: K = default_signer(&ring)?;
    let value = "hello world";
    let signed = signer.sign_value(value);
    let sep = signer.separator();
    let (message, signature) = signed
        .rsplit_once(sep)
        .expect("signed values contain the separator");
    let sig_len = signature.chars().count();
    let last = signature.chars().last().expect("signatures are not empty");
    let first = signature.chars().next().expect("signatures are not empty");

    let other_salt = K::build(K::builder(&ring).salt("another-salt"))?;
    let other_key: K = default_signer(&KeyRing::new(FALLBACKS[0])?)?;

    let mut cases: Vec<(&str, String)> = vec![
        ("upper-cased token", signed.to_uppercase()),
        ("appended character", format!("{signed}x")),
        ("prepended character", format!("x{signed}")),
        ("separator dropped", format!("{message}{signature}")),
        (
            "separator doubled",
            format!("{message}{sep}{sep}{signature}"),
        ),
        (
            "last signature character changed",
            format!(
                "{message}{sep}{}",
                replace_char(signature, sig_len - 1, flip_case(last))
            ),
        ),
        (
            "first signature character changed",
            format!(
                "{message}{sep}{}",
                replace_char(signature, 0, flip_case(first))
            ),
        ),
        (
            "same digest, non-canonical base64",
            format!(
                "{message}{sep}{}",
                replace_char(signature, sig_len - 1, same_digest_other_char(last))
            ),
        ),
        ("first value byte changed", format!("j{}", &signed[1..])),
        (
            "value byte changed in the middle",
            signed.replacen("o w", "o_w", 1),
        ),
        ("value swapped", signed.replacen(value, "hello World", 1)),
        ("signature truncated", signed[..signed.len() - 1].to_owned()),
        (
            "signature halved",
            signed[..signed.len() - sig_len / 2].to_owned(),
        ),
        ("signature removed", format!("{message}{sep}")),
        ("signature only", signature.to_owned()),
        ("salt swapped", other_salt.sign_value(value)),
        ("key swapped", other_key.sign_value(value)),
        ("empty input", String::new()),
        ("whitespace appended", format!("{signed} ")),
        ("newline appended", format!("{signed}\n")),
    ];
    for (name, algorithm) in [
        ("wrong algorithm: sha1", Algorithm::Sha1),
        ("wrong algorithm: sha384", Algorithm::Sha384),
        ("wrong algorithm: sha512", Algorithm::Sha512),
    ] {
        cases.push((
            name,
            K::build(K::builder(&ring).algorithm(algorithm))?.sign_value(value),
        ));
    }
    for (name, token) in &cases {
        assert_ne!(token, &signed, "{name}: the tamper must change the token");
        let outcome = signer.unsign_value(token);
        assert!(
            matches!(
                outcome,
                Err(Error::BadSignature | Error::Malformed(Malformed::NoSeparator))
            ),
            "{name}: {token:?} gave {outcome:?}"
        );
    }
    // And the untouched token still verifies.
    assert_fresh(&signer.unsign_value(&signed)?, value, K::TIMESTAMP);
    Ok(())
}

fn fallback_signed_values_are_stale_with_their_key_index<K: Kind>() -> TestResult {
    let ring = ring_with_fallbacks()?;
    let signer: K = default_signer(&ring)?;
    let current = signer.sign_value("v");
    assert_fresh(&signer.unsign_value(&current)?, "v", K::TIMESTAMP);
    for (i, key) in FALLBACKS.iter().enumerate() {
        let old: K = default_signer(&KeyRing::new(key)?)?;
        let signed = old.sign_value("v");
        let verified = signer.unsign_value(&signed)?;
        assert_eq!(*verified.value(), "v");
        assert_eq!(verified.key_index(), i + 1, "fallback {i}");
        assert!(verified.is_stale(), "fallback {i}");
        assert_eq!(verified.algorithm(), Algorithm::Sha256);
        assert_eq!(verified.timestamp(), K::TIMESTAMP);
    }
    Ok(())
}

fn resigning_a_stale_value_makes_it_fresh_and_keeps_it_unchanged<K: Kind>() -> TestResult {
    let ring = ring_with_fallbacks()?;
    let signer: K = default_signer(&ring)?;
    for key in FALLBACKS {
        let old: K = default_signer(&KeyRing::new(key)?)?;
        let signed = old.sign_value("a:value é");
        let stale = signer.unsign_value(&signed)?;
        assert!(stale.is_stale());
        let fresh = signer.resign_value(&stale);
        assert_ne!(fresh, signed);
        assert_eq!(
            fresh,
            signer.sign_value("a:value é"),
            "as if the current key had signed it"
        );
        let verified = signer.unsign_value(&fresh)?;
        assert_fresh(&verified, "a:value é", stale.timestamp());
        assert_eq!(verified.timestamp(), K::TIMESTAMP);
    }
    Ok(())
}

fn resigning_a_fresh_value_gives_the_same_string<K: Kind>() -> TestResult {
    let ring = ring_with_fallbacks()?;
    let signer: K = default_signer(&ring)?;
    for value in ["", "v", "a:b", "😀"] {
        let signed = signer.sign_value(value);
        let verified = signer.unsign_value(&signed)?;
        assert_eq!(signer.resign_value(&verified), signed);
    }
    Ok(())
}

fn a_key_dropped_from_the_ring_no_longer_verifies<K: Kind>() -> TestResult {
    let last: K = default_signer(&KeyRing::new(FALLBACKS[2])?)?;
    let signed = last.sign_value("v");

    let full = ring_with_fallbacks()?;
    assert_eq!(
        default_signer::<K>(&full)?
            .unsign_value(&signed)?
            .key_index(),
        3
    );

    let shorter = KeyRing::new(CURRENT)?
        .with_fallback(FALLBACKS[0])?
        .with_fallback(FALLBACKS[1])?;
    let outcome = default_signer::<K>(&shorter)?
        .unsign_value(&signed)
        .map(|v| v.key_index());
    assert_eq!(outcome, Err(Error::BadSignature));

    let bare = full.without_fallbacks();
    let outcome = default_signer::<K>(&bare)?
        .unsign_value(&signed)
        .map(|v| v.key_index());
    assert_eq!(outcome, Err(Error::BadSignature));
    Ok(())
}

fn rotated(first: &str, then: &[&str]) -> TestResult<KeyRing> {
    let mut ring = KeyRing::new(first)?;
    for key in then {
        ring.rotate(key)?;
    }
    Ok(ring)
}

fn fallback_keys_never_sign<K: Kind>() -> TestResult {
    let alone: K = default_signer(&KeyRing::new(CURRENT)?)?;
    let rings = [
        ring_with_fallbacks()?,
        KeyRing::new(CURRENT)?.with_fallback(FALLBACKS[2])?,
        rotated(FALLBACKS[1], &[CURRENT])?,
        rotated(FALLBACKS[0], &[FALLBACKS[1], CURRENT])?,
    ];
    assert!(
        KeyRing::new(CURRENT)?.with_fallback(CURRENT).is_err(),
        "a key cannot be current and fallback at once"
    );
    for (i, ring) in rings.iter().enumerate() {
        let signer: K = default_signer(ring)?;
        for value in ["", "v", "a:b", "😀"] {
            assert_eq!(
                signer.sign_value(value),
                alone.sign_value(value),
                "ring {i}"
            );
        }
    }
    Ok(())
}

fn rotation_walkthrough<K: Kind>() -> TestResult {
    // Before: one key.
    let ring = KeyRing::new(FALLBACKS[0])?;
    let original = default_signer::<K>(&ring)?.sign_value("session-42");

    // Rotate: the old key becomes fallback 1 and still verifies, stale.
    let mut ring = ring;
    ring.rotate(CURRENT)?;
    let signer: K = default_signer(&ring)?;
    let verified = signer.unsign_value(&original)?;
    assert_eq!(*verified.value(), "session-42");
    assert_eq!(verified.key_index(), 1);
    assert!(verified.is_stale());

    // Re-sign: fresh with the new key.
    let resigned = signer.resign_value(&verified);
    assert_fresh(&signer.unsign_value(&resigned)?, "session-42", K::TIMESTAMP);

    // End of the grace period: the old key is dropped.
    let ring = ring.without_fallbacks();
    assert_eq!(ring.key_count(), 1);
    let signer: K = default_signer(&ring)?;
    assert_fresh(&signer.unsign_value(&resigned)?, "session-42", K::TIMESTAMP);
    let outcome = signer.unsign_value(&original).map(|v| v.key_index());
    assert_eq!(outcome, Err(Error::BadSignature));
    Ok(())
}

macro_rules! shared_suite {
    ($module:ident, $kind:ty) => {
        mod $module {
            use super::*;

            #[test]
            fn round_trip_keeps_the_value() -> TestResult {
                super::round_trip_keeps_the_value::<$kind>()
            }
            #[test]
            fn every_algorithm_round_trips() -> TestResult {
                super::every_algorithm_round_trips::<$kind>()
            }
            #[test]
            fn values_containing_the_separator_round_trip() -> TestResult {
                super::values_containing_the_separator_round_trip::<$kind>()
            }
            #[test]
            fn the_empty_value_round_trips() -> TestResult {
                super::the_empty_value_round_trips::<$kind>()
            }
            #[test]
            fn unicode_values_and_separators_round_trip() -> TestResult {
                super::unicode_values_and_separators_round_trip::<$kind>()
            }
            #[test]
            fn tampered_tokens_are_rejected() -> TestResult {
                super::tampered_tokens_are_rejected::<$kind>()
            }
            #[test]
            fn fallback_signed_values_are_stale_with_their_key_index() -> TestResult {
                super::fallback_signed_values_are_stale_with_their_key_index::<$kind>()
            }
            #[test]
            fn resigning_a_stale_value_makes_it_fresh_and_keeps_it_unchanged() -> TestResult {
                super::resigning_a_stale_value_makes_it_fresh_and_keeps_it_unchanged::<$kind>()
            }
            #[test]
            fn resigning_a_fresh_value_gives_the_same_string() -> TestResult {
                super::resigning_a_fresh_value_gives_the_same_string::<$kind>()
            }
            #[test]
            fn a_key_dropped_from_the_ring_no_longer_verifies() -> TestResult {
                super::a_key_dropped_from_the_ring_no_longer_verifies::<$kind>()
            }
            #[test]
            fn fallback_keys_never_sign() -> TestResult {
                super::fallback_keys_never_sign::<$kind>()
            }
            #[test]
            fn rotation_walkthrough() -> TestResult {
                super::rotation_walkthrough::<$kind>()
            }
        }
    };
}

shared_suite!(signer, Signer);
shared_suite!(timestamp_signer, TimestampSigner);

// ---------------------------------------------------------------------------
// Rotation through the ring's own default signer.
// ---------------------------------------------------------------------------

#[test]
fn key_ring_rotation_walkthrough() -> TestResult {
    let ring = KeyRing::new(FALLBACKS[0])?;
    let original = ring.sign("hello");

    let mut ring = ring;

    ring.rotate(CURRENT)?;
    assert_eq!(ring.key_count(), 2);
    let verified = ring.unsign(&original)?;
    assert_eq!((verified.key_index(), verified.is_stale()), (1, true));

    let signer = Signer::builder(&ring).build()?;
    let resigned = signer.resign(&verified)?;
    assert_eq!(resigned, ring.sign("hello"));
    assert_fresh(&ring.unsign(&resigned)?, "hello", None);

    let ring = ring.without_fallbacks();
    assert_fresh(&ring.unsign(&resigned)?, "hello", None);
    assert_eq!(
        ring.unsign(&original).map(|v| v.key_index()),
        Err(Error::BadSignature)
    );
    Ok(())
}

#[test]
fn key_ring_signs_as_djangos_default_signer() -> TestResult {
    // django-compat.md §13: Signer().sign("hello") under 3.2+.
    let ring = KeyRing::new(DOC_KEY)?.with_fallback(CURRENT)?;
    assert_eq!(
        ring.sign("hello"),
        "hello:esiZUAzOvXgS5j7ODtFQJLmMnwCZEmD2I0T5k40jYG8"
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// TimestampSigner: expiry, exactly as Django computes it.
// ---------------------------------------------------------------------------

fn timed(max_age: MaxAge) -> TestResult<(KeyRing, TimestampSigner)> {
    let ring = KeyRing::new(CURRENT)?;
    let signer = TimestampSigner::builder(&ring).max_age(max_age).build()?;
    Ok((ring, signer))
}

#[test]
fn a_value_exactly_max_age_old_is_still_valid() -> TestResult {
    let (_ring, signer) = timed(MaxAge::from_secs(60))?;
    let signed = signer.sign_with_timestamp("v", T0);
    assert_fresh(&signer.unsign_at(&signed, t0_plus(60.0))?, "v", Some(T0));
    Ok(())
}

#[test]
fn a_value_one_millisecond_past_max_age_is_expired_with_its_age() -> TestResult {
    let (_ring, signer) = timed(MaxAge::from_secs(60))?;
    let signed = signer.sign_with_timestamp("v", T0);
    let now = t0_plus(60.001);
    // Django: `age = time.time() - timestamp`, in floating point.
    let age = now.as_secs_f64() - T0 as f64;
    assert!(age > 60.0);
    assert_eq!(
        signer.unsign_at(&signed, now).map(|v| v.key_index()),
        Err(Error::Expired { age, max_age: 60.0 })
    );
    Ok(())
}

#[test]
fn max_age_zero_expires_a_value_as_soon_as_a_fraction_of_a_second_has_passed() -> TestResult {
    let (_ring, signer) = timed(MaxAge::from_secs(0))?;
    // Signed at T0 + 0.7: the timestamp is truncated to T0.
    let signed = signer.sign_at("v", t0_plus(0.7));
    assert_fresh(&signer.unsign_at(&signed, t0_plus(0.0))?, "v", Some(T0));
    let now = t0_plus(0.7);
    let age = now.as_secs_f64() - T0 as f64;
    assert_eq!(
        signer.unsign_at(&signed, now).map(|v| v.key_index()),
        Err(Error::Expired { age, max_age: 0.0 })
    );
    Ok(())
}

#[test]
fn negative_max_age_expires_everything_not_from_the_future() -> TestResult {
    let (_ring, signer) = timed(MaxAge::from_secs(-1))?;
    let signed = signer.sign_with_timestamp("v", T0);
    for now in [0.0, 0.5, -0.5, 3600.0] {
        let outcome = signer
            .unsign_at(&signed, t0_plus(now))
            .map(|v| v.key_index());
        assert_eq!(
            outcome,
            Err(Error::Expired {
                age: now,
                max_age: -1.0
            }),
            "now = T0 + {now}"
        );
    }
    for now in [-1.0, -2.0, -1e6] {
        assert_fresh(&signer.unsign_at(&signed, t0_plus(now))?, "v", Some(T0));
    }
    Ok(())
}

#[test]
fn future_timestamps_are_accepted() -> TestResult {
    let (_ring, signer) = timed(MaxAge::from_secs(60))?;
    let later = T0 + 86_400 * 365;
    let signed = signer.sign_with_timestamp("v", later);
    assert_fresh(&signer.unsign_at(&signed, t0_plus(0.0))?, "v", Some(later));
    Ok(())
}

#[test]
fn a_timestamp_beyond_i64_inside_a_valid_signature_is_a_future_timestamp() -> TestResult {
    // Python's integers are unbounded: Django decodes this timestamp as
    // 62**20 - 1, the age is negative, and the value is accepted.
    let ring = KeyRing::new(CURRENT)?;
    let forger = Signer::builder(&ring).salt(TIMESTAMP_SIGNER_SALT).build()?;
    let signed = forger.sign("v:zzzzzzzzzzzzzzzzzzzz");
    for signer in [
        TimestampSigner::builder(&ring).build()?,
        TimestampSigner::builder(&ring)
            .max_age(MaxAge::from_secs(60))
            .build()?,
    ] {
        let verified = signer.unsign_at(&signed, t0_plus(0.0))?;
        assert_eq!(*verified.value(), "v");
        assert!(!verified.is_stale());
    }
    Ok(())
}

#[test]
fn a_bad_signature_wins_over_expiry() -> TestResult {
    let (_ring, signer) = timed(MaxAge::from_secs(60))?;
    let signed = signer.sign_with_timestamp("v", T0);
    let tampered = format!("w{}", &signed[1..]);
    let long_after = t0_plus(1e9);
    assert!(matches!(
        signer.unsign_at(&signed, long_after),
        Err(Error::Expired { .. })
    ));
    assert_eq!(
        signer
            .unsign_at(&tampered, long_after)
            .map(|v| v.key_index()),
        Err(Error::BadSignature)
    );
    Ok(())
}

#[test]
fn a_validly_signed_value_without_a_usable_timestamp_is_malformed_not_expired() -> TestResult {
    // Django raises ValueError here, which is not a BadSignature.
    let ring = KeyRing::new(CURRENT)?;
    let forger = Signer::builder(&ring).salt(TIMESTAMP_SIGNER_SALT).build()?;
    let signer = TimestampSigner::builder(&ring)
        .max_age(MaxAge::from_secs(60))
        .build()?;
    let cases = [
        ("no-timestamp", Malformed::NoTimestamp),
        ("v:", Malformed::BadTimestamp),
        ("v:1kHR5c!", Malformed::BadTimestamp),
        ("v:1kHR 5c", Malformed::BadTimestamp),
        ("v:é", Malformed::BadTimestamp),
    ];
    for (message, expected) in cases {
        let outcome = signer
            .unsign_at(&forger.sign(message), t0_plus(1e9))
            .map(|v| v.key_index());
        assert_eq!(outcome, Err(Error::Malformed(expected)), "{message:?}");
    }
    // Django's lenient base62: leading zeros and a bare "-" decode.
    let leading_zeros = forger.sign("v:001kHR5c");
    assert_eq!(
        signer.unsign_at(&leading_zeros, t0_plus(0.0))?.timestamp(),
        Some(T0)
    );
    let bare_minus = forger.sign("v:-");
    assert_eq!(
        signer.unsign_at(&bare_minus, at(-30.0))?.timestamp(),
        Some(0)
    );
    Ok(())
}

#[test]
fn resigning_never_extends_the_lifetime() -> TestResult {
    let max_age = MaxAge::from_secs(60);
    let old_ring = KeyRing::new(FALLBACKS[0])?;
    let old = TimestampSigner::builder(&old_ring)
        .max_age(max_age)
        .build()?;
    let original = old.sign_at("v", t0_plus(0.4));

    // 50 seconds later the key rotates and the value is re-signed.
    let mut ring = old_ring.clone();
    ring.rotate(CURRENT)?;
    let signer = TimestampSigner::builder(&ring).max_age(max_age).build()?;
    let stale = signer.unsign_at(&original, t0_plus(50.0))?;
    assert!(stale.is_stale());
    let resigned = signer.resign(&stale)?;
    assert_fresh(&signer.unsign_at(&resigned, t0_plus(50.0))?, "v", Some(T0));

    // Both expire at exactly the same instant: T0 + 60 is fine, T0 + 60.001 is not.
    for token in [&original, &resigned] {
        assert!(signer.unsign_at(token, t0_plus(60.0)).is_ok());
        let now = t0_plus(60.001);
        let age = now.as_secs_f64() - T0 as f64;
        assert_eq!(
            signer.unsign_at(token, now).map(|v| v.key_index()),
            Err(Error::Expired { age, max_age: 60.0 })
        );
    }
    // A value signed afresh at the same moment would live longer: re-signing is
    // not signing again.
    assert_ne!(resigned, signer.sign_at("v", t0_plus(50.0)));
    Ok(())
}

#[test]
fn timestamp_signer_signs_as_django() -> TestResult {
    // django-compat.md §13: TimestampSigner().sign("hello") and dumps({"a": 1}).
    let ring = KeyRing::new(DOC_KEY)?;
    let signer = TimestampSigner::builder(&ring).build()?;
    assert_eq!(
        signer.sign_at("hello", t0_plus(0.9)),
        "hello:1kHR5c:aMRrzr6bANWDtXY3HAeWgJcobDJ8paHVWqpOfg1YO-Y"
    );
    let dumps = TimestampSigner::builder(&ring).salt(DUMPS_SALT).build()?;
    let object: Map = [("a".to_owned(), Value::Integer(1))].into_iter().collect();
    assert_eq!(
        dumps.sign_object_at(&object, false, t0_plus(0.0))?,
        "eyJhIjoxfQ:1kHR5c:xqJlJyiwrrULZIShPCalrQd94qE-JNfsH6uex_ETIZo"
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Django 3.1–3.2's legacy SHA-1 acceptance.
// ---------------------------------------------------------------------------

fn sha1_signer(key: &str) -> TestResult<(KeyRing, Signer)> {
    let ring = KeyRing::new(key)?;
    let signer = Signer::builder(&ring).algorithm(Algorithm::Sha1).build()?;
    Ok((ring, signer))
}

#[test]
fn django_3_2_accepts_sha1_made_with_the_current_key_as_stale() -> TestResult {
    let (_sha1_ring, sha1) = sha1_signer(CURRENT)?;
    let signed = sha1.sign("hello");
    let ring = ring_with_fallbacks()?;
    let signer = Signer::builder(&ring).django(DjangoVersion::V3_2).build()?;
    assert_eq!(signer.algorithm(), Algorithm::Sha256);
    let verified = signer.unsign(&signed)?;
    assert_eq!(*verified.value(), "hello");
    assert_eq!(verified.algorithm(), Algorithm::Sha1);
    assert_eq!(verified.key_index(), 0);
    assert!(verified.is_stale());

    let resigned = signer.resign(&verified)?;
    assert_eq!(resigned, signer.sign("hello"));
    let again = signer.unsign(&resigned)?;
    assert_eq!(again.algorithm(), Algorithm::Sha256);
    assert_fresh(&again, "hello", None);
    Ok(())
}

#[test]
fn django_3_2_accepts_the_documented_sha1_signature() -> TestResult {
    // django-compat.md §13: Signer().sign("hello") under 2.2.
    let ring = KeyRing::new(DOC_KEY)?;
    let signer = Signer::builder(&ring).django(DjangoVersion::V3_2).build()?;
    let verified = signer.unsign("hello:MslH53VvvHxACk32ND0Vai0uqlg")?;
    assert_eq!(
        (verified.algorithm(), verified.is_stale()),
        (Algorithm::Sha1, true)
    );
    Ok(())
}

#[test]
fn django_3_2_accepts_sha1_whatever_the_configured_algorithm() -> TestResult {
    let (_sha1_ring, sha1) = sha1_signer(CURRENT)?;
    let signed = sha1.sign("hello");
    let ring = KeyRing::new(CURRENT)?;
    for algorithm in [Algorithm::Sha224, Algorithm::Sha384, Algorithm::Sha512] {
        let signer = Signer::builder(&ring)
            .django(DjangoVersion::V3_2)
            .algorithm(algorithm)
            .build()?;
        let verified = signer.unsign(&signed)?;
        assert_eq!(
            (verified.algorithm(), verified.is_stale()),
            (Algorithm::Sha1, true)
        );
    }
    // With sha1 configured, a sha1 signature is simply current.
    let signer = Signer::builder(&ring)
        .django(DjangoVersion::V3_2)
        .algorithm(Algorithm::Sha1)
        .build()?;
    let verified = signer.unsign(&signed)?;
    assert_eq!(
        (verified.algorithm(), verified.is_stale()),
        (Algorithm::Sha1, false)
    );
    Ok(())
}

#[test]
fn django_3_2_legacy_sha1_applies_to_timestamped_values() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    let sha1 = TimestampSigner::builder(&ring)
        .algorithm(Algorithm::Sha1)
        .build()?;
    let signed = sha1.sign_at("hello", t0_plus(0.0));
    let signer = TimestampSigner::builder(&ring)
        .django(DjangoVersion::V3_2)
        .max_age(MaxAge::from_secs(60))
        .build()?;
    let verified = signer.unsign_at(&signed, t0_plus(10.0))?;
    assert_eq!(
        (verified.algorithm(), verified.is_stale()),
        (Algorithm::Sha1, true)
    );
    let resigned = signer.resign(&verified)?;
    let again = signer.unsign_at(&resigned, t0_plus(10.0))?;
    assert_eq!(again.algorithm(), Algorithm::Sha256);
    assert_fresh(&again, "hello", Some(T0));
    // The legacy path does not bypass expiry.
    assert!(matches!(
        signer.unsign_at(&signed, t0_plus(61.0)),
        Err(Error::Expired { .. })
    ));
    Ok(())
}

#[test]
fn django_3_2_refuses_sha1_made_with_a_fallback_key() -> TestResult {
    // Django's legacy path uses SECRET_KEY only (django-compat.md §6).
    let ring = ring_with_fallbacks()?;
    let signer = Signer::builder(&ring).django(DjangoVersion::V3_2).build()?;
    for key in FALLBACKS {
        let (_sha1_ring, sha1) = sha1_signer(key)?;
        let outcome = signer.unsign(&sha1.sign("hello")).map(|v| v.key_index());
        assert_eq!(outcome, Err(Error::BadSignature));
    }
    let lenient = Signer::builder(&ring).accept_legacy_sha1(true).build()?;
    let (_sha1_ring, sha1) = sha1_signer(FALLBACKS[0])?;
    assert_eq!(
        lenient.unsign(&sha1.sign("hello")).map(|v| v.key_index()),
        Err(Error::BadSignature)
    );
    Ok(())
}

#[test]
fn newer_djangos_refuse_sha1_unless_asked_to_accept_it() -> TestResult {
    let (_sha1_ring, sha1) = sha1_signer(CURRENT)?;
    let signed = sha1.sign("hello");
    let ring = KeyRing::new(CURRENT)?;
    for version in [
        DjangoVersion::V4_2,
        DjangoVersion::V5_2,
        DjangoVersion::V6_0,
        DjangoVersion::V6_1,
    ] {
        let strict = Signer::builder(&ring).django(version).build()?;
        assert_eq!(
            strict.unsign(&signed).map(|v| v.key_index()),
            Err(Error::BadSignature),
            "{version}"
        );
        let lenient = Signer::builder(&ring)
            .django(version)
            .accept_legacy_sha1(true)
            .build()?;
        let verified = lenient.unsign(&signed)?;
        assert_eq!(
            (verified.algorithm(), verified.is_stale()),
            (Algorithm::Sha1, true),
            "{version}"
        );
    }
    let opted_out = Signer::builder(&ring)
        .django(DjangoVersion::V3_2)
        .accept_legacy_sha1(false)
        .build()?;
    assert_eq!(
        opted_out.unsign(&signed).map(|v| v.key_index()),
        Err(Error::BadSignature)
    );
    Ok(())
}

#[test]
fn django_2_2_signs_sha1_and_refuses_sha256() -> TestResult {
    let ring = KeyRing::new(DOC_KEY)?;
    let signer = Signer::builder(&ring).django(DjangoVersion::V2_2).build()?;
    assert_eq!(signer.sign("hello"), "hello:MslH53VvvHxACk32ND0Vai0uqlg");
    let sha256 = Signer::builder(&ring).build()?.sign("hello");
    assert_eq!(
        signer.unsign(&sha256).map(|v| v.key_index()),
        Err(Error::BadSignature)
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Signed objects.
// ---------------------------------------------------------------------------

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Cart {
    user: String,
    items: Vec<Item>,
    total: f64,
    coupon: Option<String>,
    tags: BTreeMap<String, bool>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Item {
    sku: u64,
    name: String,
    quantity: i32,
}

fn cart() -> Cart {
    Cart {
        user: "zoë 😀".to_owned(),
        items: vec![
            Item {
                sku: u64::MAX,
                name: "café crème".to_owned(),
                quantity: -1,
            },
            Item {
                sku: 0,
                name: "\"quoted\" \\ back/slash\n".to_owned(),
                quantity: i32::MAX,
            },
        ],
        total: 12.5,
        coupon: None,
        tags: [("gift".to_owned(), true), ("日本".to_owned(), false)]
            .into_iter()
            .collect(),
    }
}

fn tricky_value() -> Value {
    let inner: Map = [
        ("nan".to_owned(), Value::Float(f64::NAN)),
        ("-0.0".to_owned(), Value::Float(-0.0)),
        (
            "inf".to_owned(),
            Value::Array(vec![
                Value::Float(f64::INFINITY),
                Value::Float(f64::NEG_INFINITY),
            ]),
        ),
        ("big".to_owned(), Value::Integer(i128::MAX)),
        ("small".to_owned(), Value::Integer(i128::MIN)),
        ("float".to_owned(), Value::Float(1e16)),
    ]
    .into_iter()
    .collect();
    let outer: Map = [
        ("zeta, first in insertion order".to_owned(), Value::Null),
        (
            "unicode ключ 😀".to_owned(),
            Value::String("värde \u{0}\u{1f}\u{7f}\u{ffff}😀".to_owned()),
        ),
        (
            "nested".to_owned(),
            Value::Array(vec![
                Value::Object(inner),
                Value::Array(vec![]),
                Value::Bool(true),
            ]),
        ),
        ("alpha".to_owned(), Value::Object(Map::new())),
    ]
    .into_iter()
    .collect();
    Value::Object(outer)
}

fn json_bytes(value: &Value) -> Vec<u8> {
    json::to_vec(value).expect("a json::Value always serializes")
}

#[test]
fn objects_round_trip_through_both_signers() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    let signer = Signer::builder(&ring).build()?;
    let timed = TimestampSigner::builder(&ring).salt(DUMPS_SALT).build()?;
    for compress in [false, true] {
        let signed = signer.sign_object(&cart(), compress)?;
        let verified = signer.unsign_object::<Cart>(&signed)?;
        assert!(!verified.is_stale());
        assert_eq!(verified.into_value(), cart());

        let signed = timed.sign_object_at(&cart(), compress, t0_plus(0.0))?;
        let verified = timed.unsign_object_at::<Cart>(&signed, t0_plus(1.0))?;
        assert_eq!(verified.timestamp(), Some(T0));
        assert_eq!(verified.into_value(), cart());
    }
    Ok(())
}

#[test]
fn json_values_with_nan_negative_zero_nesting_and_unicode_round_trip() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    let signer = Signer::builder(&ring).build()?;
    let timed = TimestampSigner::builder(&ring).salt(DUMPS_SALT).build()?;
    let value = tricky_value();
    let expected = json_bytes(&value);
    for compress in [false, true] {
        let back: Value = signer
            .unsign_object(&signer.sign_object(&value, compress)?)?
            .into_value();
        assert_eq!(json_bytes(&back), expected, "Signer, compress={compress}");
        let signed = timed.sign_object_at(&value, compress, t0_plus(0.0))?;
        let back: Value = timed.unsign_object_at(&signed, t0_plus(0.0))?.into_value();
        assert_eq!(
            json_bytes(&back),
            expected,
            "TimestampSigner, compress={compress}"
        );

        let Value::Float(nan) = back["nested"][0]["nan"] else {
            panic!("NaN lost: {back:?}")
        };
        assert!(nan.is_nan());
        let Value::Float(zero) = back["nested"][0]["-0.0"] else {
            panic!("-0.0 lost: {back:?}")
        };
        assert!(zero == 0.0 && zero.is_sign_negative());
        assert_eq!(
            back["unicode ключ 😀"],
            Value::String("värde \u{0}\u{1f}\u{7f}\u{ffff}😀".to_owned())
        );
    }
    Ok(())
}

#[test]
fn compression_is_marked_with_a_dot_only_when_it_is_used() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    let signer = Signer::builder(&ring).build()?;
    let repetitive = vec!["the same words again"; 50];

    let compressed = signer.sign_object(&repetitive, true)?;
    assert!(compressed.starts_with('.'), "{compressed}");
    let plain = signer.sign_object(&repetitive, false)?;
    assert!(!plain.starts_with('.'));
    assert!(compressed.len() < plain.len());
    // Too short to gain two bytes: written uncompressed even when asked.
    for tiny in [
        Value::Integer(1),
        Value::Array(vec![]),
        Value::String("ab".to_owned()),
    ] {
        assert_eq!(
            signer.sign_object(&tiny, true)?,
            signer.sign_object(&tiny, false)?
        );
    }
    for signed in [&compressed, &plain] {
        assert_eq!(
            signer.unsign_object::<Vec<String>>(signed)?.into_value(),
            repetitive
        );
    }
    // The marker is covered by the signature: removing or adding it breaks it.
    assert_eq!(
        signer
            .unsign_object::<Value>(&compressed[1..])
            .map(|v| v.key_index()),
        Err(Error::BadSignature)
    );
    assert_eq!(
        signer
            .unsign_object::<Value>(&format!(".{plain}"))
            .map(|v| v.key_index()),
        Err(Error::BadSignature)
    );
    Ok(())
}

#[test]
fn compressed_objects_match_django() -> TestResult {
    // django-compat.md §13: dumps(list(range(30)), compress=True).
    let ring = KeyRing::new(DOC_KEY)?;
    let dumps = TimestampSigner::builder(&ring).salt(DUMPS_SALT).build()?;
    let signed = dumps.sign_object_at(&(0..30).collect::<Vec<i32>>(), true, t0_plus(0.0))?;
    assert_eq!(
        signed,
        ".eJwNy8kNACEQA8GE-oHNXMSCNv80lm9JdRfCbIKkaIaDHgoZbRQoUaFGgw5e-B3jjQMnLtx48Pl-gH4Pug\
         :1kHR5c:4IChT3ItwVSY12l3FRYIY0Js3RuZr15ymJ0_ZSzOsRw"
    );
    assert_eq!(
        dumps
            .unsign_object_at::<Vec<i32>>(&signed, t0_plus(0.0))?
            .into_value(),
        (0..30).collect::<Vec<_>>()
    );
    Ok(())
}

/// A validly signed zlib bomb: a megabyte of JSON in about a kilobyte.
fn signed_bomb(signer: &Signer) -> TestResult<String> {
    let bomb = signer.sign_object(&"a".repeat(1 << 20), true)?;
    assert!(bomb.len() < 4096, "{}", bomb.len());
    Ok(bomb)
}

#[test]
fn a_validly_signed_zlib_bomb_is_refused_as_too_large() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    for limit in [64, 1000, 65_536, (1 << 20) + 1] {
        let signer = Signer::builder(&ring).max_payload_size(limit).build()?;
        let bomb = signed_bomb(&signer)?;
        assert_eq!(
            signer.unsign_object::<String>(&bomb).map(|v| v.key_index()),
            Err(Error::Payload(PayloadError::TooLarge { limit }))
        );
    }
    // The default limit (16 MiB) lets the megabyte through.
    let signer = Signer::builder(&ring).build()?;
    assert_eq!(
        signer
            .unsign_object::<String>(&signed_bomb(&signer)?)?
            .value()
            .len(),
        1 << 20
    );
    Ok(())
}

#[test]
fn a_compressed_payload_of_exactly_the_limit_is_accepted() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    for limit in [64, 100, 1000, 4096, 100_000] {
        let signer = Signer::builder(&ring).max_payload_size(limit).build()?;
        // The JSON of a string of n letters is n + 2 bytes.
        let exact = signer.sign_object(&"a".repeat(limit - 2), true)?;
        let one_over = signer.sign_object(&"a".repeat(limit - 1), true)?;
        assert!(exact.starts_with('.') && one_over.starts_with('.'));
        assert_eq!(
            signer.unsign_object::<String>(&exact)?.value().len(),
            limit - 2,
            "limit {limit}"
        );
        assert_eq!(
            signer
                .unsign_object::<String>(&one_over)
                .map(|v| v.key_index()),
            Err(Error::Payload(PayloadError::TooLarge { limit })),
            "limit {limit}"
        );
    }
    Ok(())
}

/// BUG: a `max_payload_size` below 63 panics on any compressed payload
/// (`usize::clamp(64, limit + 1)` in `object::zlib_decompress` asserts
/// `min <= max`) instead of refusing it as too large.
#[test]
fn a_small_max_payload_size_refuses_compressed_payloads_without_panicking() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    for limit in [0, 1, 16, 40, 62] {
        let signer = Signer::builder(&ring).max_payload_size(limit).build()?;
        let bomb = signed_bomb(&signer)?;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            signer.unsign_object::<String>(&bomb).map(|v| v.key_index())
        }));
        assert_eq!(
            outcome.ok(),
            Some(Err(Error::Payload(PayloadError::TooLarge { limit }))),
            "max_payload_size({limit}) with a compressed payload must not panic"
        );
    }
    Ok(())
}

#[test]
fn unsigned_payloads_never_reach_the_decoder() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    let signer = Signer::builder(&ring).max_payload_size(100).build()?;
    let timed = TimestampSigner::builder(&ring)
        .max_payload_size(100)
        .build()?;
    let bomb = signed_bomb(&signer)?;
    let (payload, signature) = bomb.rsplit_once(':').expect("signed");

    let cases = [
        // A tampered compressed payload, a flipped signature, a foreign key.
        format!(
            "{}:{signature}",
            replace_char(
                payload,
                10,
                if payload.as_bytes()[10] == b'A' {
                    'B'
                } else {
                    'A'
                }
            )
        ),
        format!(".{}", &bomb[2..]),
        format!("{payload}:{}", signature.to_uppercase()),
        signed_bomb(&Signer::builder(&KeyRing::new(FALLBACKS[0])?).build()?)?,
        // Garbage a decoder would choke on, with a made-up signature.
        format!("!!not base64!!:{signature}"),
        format!(".AAAA:{signature}"),
        format!("eyJh:{signature}"),
    ];
    for token in &cases {
        assert_eq!(
            signer.unsign_object::<Value>(token).map(|v| v.key_index()),
            Err(Error::BadSignature),
            "{token}"
        );
    }
    let timed_bomb = timed.sign_object_at(&"a".repeat(1 << 20), true, t0_plus(0.0))?;
    let tampered = timed_bomb.replacen(":1kHR5c:", ":1kHR5d:", 1);
    assert_ne!(tampered, timed_bomb);
    assert_eq!(
        timed
            .unsign_object_at::<Value>(&tampered, t0_plus(0.0))
            .map(|v| v.key_index()),
        Err(Error::BadSignature)
    );
    assert_eq!(
        timed
            .unsign_object_at::<Value>(&timed_bomb, t0_plus(0.0))
            .map(|v| v.key_index()),
        Err(Error::Payload(PayloadError::TooLarge { limit: 100 }))
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Errors and Debug output never reveal values, signatures or keys.
// ---------------------------------------------------------------------------

/// Goes into every input below; must never come out of an error.
const MARKER: &str = "ZxqvSecretValueMarkerQvxz";

/// `MARKER` padded with `A`s to `len % 4 == rem` base64 characters.
fn marker_with_sextets(rem: usize) -> String {
    let mut text = MARKER.to_owned();
    while text.len() % 4 != rem {
        text.push('A');
    }
    text
}

/// Either phase's error, for the tests that look at every kind.
#[derive(Debug)]
enum Failure {
    Verify(Error),
    Config(ConfigError),
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Verify(e) => e.fmt(f),
            Self::Config(e) => e.fmt(f),
        }
    }
}

fn assert_reveals_nothing(what: &str, err: &Failure, secrets: &[&str]) {
    let shown = [err.to_string(), format!("{err:?}"), format!("{err:#?}")];
    for text in &shown {
        let secrets = secrets.iter().chain(&[MARKER, CURRENT]).chain(&FALLBACKS);
        for secret in secrets.filter(|secret| !secret.is_empty()) {
            assert!(
                !text.contains(secret),
                "{what}: {text:?} reveals {secret:?}"
            );
        }
        for fragment in ["KeyText", "Marker"] {
            assert!(
                !text.contains(fragment),
                "{what}: {text:?} reveals {fragment:?}"
            );
        }
    }
}

fn signature_of(signed: &str) -> &str {
    signed
        .rsplit_once(':')
        .map_or("", |(_, signature)| signature)
}

/// A serializer error whose message quotes the data.
struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(format!("cannot write {MARKER}")))
    }
}

#[derive(Debug, Deserialize)]
enum Color {
    Red,
}

#[test]
fn errors_never_reveal_the_value_the_signature_or_a_key() -> TestResult {
    let ring = ring_with_fallbacks()?;
    let signer = Signer::builder(&ring).build()?;
    let forger = Signer::builder(&ring).salt(TIMESTAMP_SIGNER_SALT).build()?;
    let timed = TimestampSigner::builder(&ring)
        .max_age(MaxAge::from_secs(1))
        .build()?;
    let small = Signer::builder(&ring).max_payload_size(100).build()?;

    let mut errors: Vec<(&str, String, Failure)> = Vec::new();
    let mut record =
        |what: &'static str, input: String, outcome: Result<usize, Failure>| match outcome {
            Err(err) => errors.push((what, input, err)),
            Ok(_) => panic!("{what}: expected an error"),
        };

    let input = format!("{MARKER}:{MARKER}");
    record(
        "bad signature",
        input.clone(),
        signer
            .unsign(&input)
            .map(|v| v.key_index())
            .map_err(Failure::Verify),
    );
    let input = format!("{MARKER}:{}", signature_of(&signer.sign("other")));
    record(
        "bad signature, real-looking",
        input.clone(),
        signer
            .unsign(&input)
            .map(|v| v.key_index())
            .map_err(Failure::Verify),
    );
    record(
        "no separator",
        MARKER.to_owned(),
        signer
            .unsign(MARKER)
            .map(|v| v.key_index())
            .map_err(Failure::Verify),
    );
    let input = forger.sign(MARKER);
    record(
        "no timestamp",
        input.clone(),
        timed
            .unsign_at(&input, t0_plus(0.0))
            .map(|v| v.key_index())
            .map_err(Failure::Verify),
    );
    let input = forger.sign(&format!("{MARKER}:{MARKER}!"));
    record(
        "bad timestamp",
        input.clone(),
        timed
            .unsign_at(&input, t0_plus(0.0))
            .map(|v| v.key_index())
            .map_err(Failure::Verify),
    );
    let input = timed.sign_at(MARKER, t0_plus(0.0));
    record(
        "expired",
        input.clone(),
        timed
            .unsign_at(&input, t0_plus(100.0))
            .map(|v| v.key_index())
            .map_err(Failure::Verify),
    );
    let input = signer.sign(&marker_with_sextets(1));
    record(
        "payload: base64",
        input.clone(),
        signer
            .unsign_object::<Value>(&input)
            .map(|v| v.key_index())
            .map_err(Failure::Verify),
    );
    let input = signer.sign(&format!(".{}", marker_with_sextets(0)));
    record(
        "payload: zlib",
        input.clone(),
        signer
            .unsign_object::<Value>(&input)
            .map(|v| v.key_index())
            .map_err(Failure::Verify),
    );
    let input = small.sign_object(&MARKER.repeat(100), true)?;
    record(
        "payload: too large",
        input.clone(),
        small
            .unsign_object::<Value>(&input)
            .map(|v| v.key_index())
            .map_err(Failure::Verify),
    );
    let input = signer.sign(&marker_with_sextets(0));
    record(
        "payload: json",
        input.clone(),
        signer
            .unsign_object::<Value>(&input)
            .map(|v| v.key_index())
            .map_err(Failure::Verify),
    );
    let input = signer.sign_object(MARKER, false)?;
    record(
        "payload: type",
        input.clone(),
        signer
            .unsign_object::<u32>(&input)
            .map(|v| v.key_index())
            .map_err(Failure::Verify),
    );
    record(
        "payload: unknown variant",
        input.clone(),
        signer
            .unsign_object::<Color>(&input)
            .map(|v| v.key_index())
            .map_err(Failure::Verify),
    );
    let key_is_a_list: BTreeMap<Vec<&str>, u8> = [(vec![MARKER], 1)].into_iter().collect();
    record(
        "payload: serialize",
        String::new(),
        signer
            .sign_object(&key_is_a_list, false)
            .map(|s| s.len())
            .map_err(Failure::Verify),
    );
    record(
        "payload: serializer message",
        String::new(),
        signer
            .sign_object(&Unserializable, true)
            .map(|s| s.len())
            .map_err(Failure::Verify),
    );
    record(
        "config: separator",
        String::new(),
        Signer::builder(&ring)
            .sep(MARKER)
            .build()
            .map(|s| s.sep().len())
            .map_err(Failure::Config),
    );
    record(
        "config: empty key",
        String::new(),
        KeyRing::new("")
            .map(|r| r.key_count())
            .map_err(Failure::Config),
    );
    record(
        "config: algorithm",
        String::new(),
        MARKER
            .parse::<Algorithm>()
            .map(|a| a.digest_len())
            .map_err(Failure::Config),
    );
    record(
        "config: django version",
        String::new(),
        MARKER
            .parse::<DjangoVersion>()
            .map(|v| v.as_str().len())
            .map_err(Failure::Config),
    );
    record(
        "config: unsupported",
        String::new(),
        Signer::builder(&ring)
            .django(DjangoVersion::V2_2)
            .algorithm(Algorithm::Sha512)
            .build()
            .map(|s| s.sep().len())
            .map_err(Failure::Config),
    );

    let mut kinds = Vec::new();
    for (what, input, err) in &errors {
        assert_reveals_nothing(what, err, &[signature_of(input)]);
        kinds.push(match err {
            Failure::Verify(Error::BadSignature) => "BadSignature".to_owned(),
            Failure::Verify(Error::Expired { .. }) => "Expired".to_owned(),
            Failure::Verify(Error::Malformed(m)) => format!("Malformed::{m:?}"),
            Failure::Verify(Error::Payload(p)) => format!(
                "Payload::{}",
                format!("{p:?}").split([' ', '{']).next().unwrap_or("")
            ),
            Failure::Config(c) => format!(
                "Config::{}",
                format!("{c:?}").split('(').next().unwrap_or("")
            ),
            Failure::Verify(other) => format!("{other:?}"),
        });
    }
    kinds.sort();
    kinds.dedup();
    // Every kind the public API can produce. (Malformed::TooLong has no
    // producer in the public API yet.)
    assert_eq!(
        kinds,
        [
            "BadSignature",
            "Config::EmptyKey",
            "Config::UnknownAlgorithm",
            "Config::UnknownDjangoVersion",
            "Config::UnsafeSeparator",
            "Config::Unsupported",
            "Expired",
            "Malformed::BadTimestamp",
            "Malformed::NoSeparator",
            "Malformed::NoTimestamp",
            "Payload::Base64",
            "Payload::Json",
            "Payload::Serialize",
            "Payload::TooLarge",
            "Payload::Type",
            "Payload::Zlib",
        ]
    );

    // The JSON module's own errors do not quote the data either.
    for text in [
        MARKER.to_owned(),
        format!("[\"{MARKER}\" {MARKER}]"),
        format!("{{\"{MARKER}\"}}"),
    ] {
        let err = json::from_str::<Value>(&text).expect_err("not JSON");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(MARKER), "{shown}");
    }
    let err = json::from_str::<u32>(&format!("\"{MARKER}\"")).expect_err("not a number");
    assert!(!format!("{err} {err:?}").contains(MARKER));
    let err = json::to_vec(&Unserializable).expect_err("refused");
    assert!(!format!("{err} {err:?}").contains(MARKER));
    Ok(())
}

#[test]
fn errors_are_lower_case_without_a_trailing_period() -> TestResult {
    let ring = KeyRing::new(CURRENT)?;
    let signer = TimestampSigner::builder(&ring)
        .max_age(MaxAge::from_secs(1))
        .build()?;
    let errors = [
        signer.unsign_at("x:y", t0_plus(0.0)).map(|v| v.key_index()),
        signer.unsign_at("xy", t0_plus(0.0)).map(|v| v.key_index()),
        signer
            .unsign_at(&signer.sign_at("v", t0_plus(0.0)), t0_plus(9.0))
            .map(|v| v.key_index()),
    ];
    assert!(KeyRing::new("").unwrap_err().to_string() == "secret key is empty");
    for err in errors {
        let text = err.expect_err("each case fails").to_string();
        assert!(!text.ends_with('.'), "{text}");
        assert_eq!(text, text.to_lowercase(), "{text}");
    }
    Ok(())
}

#[test]
fn debug_output_never_contains_key_text() -> TestResult {
    let ring = ring_with_fallbacks()?;
    let signer = Signer::builder(&ring).salt("visible-salt").build()?;
    let timed = TimestampSigner::builder(&ring)
        .max_age(MaxAge::from_secs(5))
        .build()?;
    let key = SecretKey::new(CURRENT)?;
    let bytes_key = SecretKey::new(FALLBACKS[0].as_bytes())?;
    let outputs = [
        format!("{ring:?}"),
        format!("{ring:#?}"),
        format!("{:?}", ring.clone()),
        format!("{:?}", ring.current()),
        format!("{:?}", ring.fallbacks()),
        format!("{key:?} {key:#?} {bytes_key:?}"),
        format!("{signer:?} {signer:#?}"),
        format!("{timed:?} {timed:#?}"),
        format!("{:?}", Signer::builder(&ring).salt("s")),
        format!(
            "{:?}",
            TimestampSigner::builder(&ring).max_age(MaxAge::from_secs(5))
        ),
        format!("{:?}", signer.unsign(&signer.sign("v"))?),
    ];
    for text in &outputs {
        for secret in FALLBACKS.iter().chain(&[CURRENT]) {
            assert!(!text.contains(secret), "{text} reveals {secret}");
        }
        assert!(!text.contains("KeyText"), "{text}");
    }
    assert_eq!(format!("{key:?}"), "SecretKey(..)");
    // The configuration itself is useful and shown.
    assert!(outputs[6].contains("visible-salt"), "{}", outputs[6]);
    Ok(())
}
