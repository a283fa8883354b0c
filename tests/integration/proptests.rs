//! Properties over arbitrary keys, salts, separators, values and JSON: round
//! trips, tamper rejection, staleness, and no panics on hostile input.

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use signring::json::{self, Map, Value};
use signring::{
    ConfigError, DUMPS_SALT, KeyRing, MaxAge, Signer, TIMESTAMP_SIGNER_SALT, TimestampSigner,
    UnixTime,
};

/// A realistic signing time: the timestamp most properties sign at.
const T0: f64 = 1_600_000_000.0;

fn at(secs: f64) -> UnixTime {
    UnixTime::from_secs_f64(secs)
}

/// Django's separator rule, written from django-compat.md §3.1 independently of
/// the library: refuse a full match of `^[A-z0-9-_=]*$`, where `$` also
/// matches before one trailing newline.
fn django_accepts_separator(sep: &str) -> bool {
    let body = sep.strip_suffix('\n').unwrap_or(sep);
    !body
        .chars()
        .all(|c| ('A'..='z').contains(&c) || c.is_ascii_digit() || c == '-' || c == '=')
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 1..64)
}

fn salt() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(DUMPS_SALT.to_owned()),
        any::<String>()
    ]
}

/// Separators Django accepts: well-known ones and arbitrary short strings.
fn separator() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            ":", "/", ".", "~", "!", "$", "|", " ", "é", "a:", ":\n", "::", "\n\n", "→"
        ])
        .prop_map(str::to_owned),
        "[A-z0-9=:/é\n-]{1,3}"
            .prop_filter("Django refuses it", |sep| django_accepts_separator(sep)),
        "\\PC{1,3}".prop_filter("Django refuses it", |sep| django_accepts_separator(sep)),
    ]
}

/// Any text, including control characters and characters beyond the BMP.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        vec(any::<char>(), 0..24).prop_map(String::from_iter),
        "[a-z:.~/ ]{0,24}",
    ]
}

/// 1 to 5 distinct keys: the current one first, then the fallbacks.
fn distinct_keys() -> impl Strategy<Value = Vec<Vec<u8>>> {
    btree_set(key(), 1..=5)
        .prop_map(Vec::from_iter)
        .prop_shuffle()
}

fn ring_of(keys: &[Vec<u8>]) -> Result<KeyRing, ConfigError> {
    keys[1..]
        .iter()
        .try_fold(KeyRing::new(&keys[0])?, |ring, key| ring.with_fallback(key))
}

fn finite_f64() -> impl Strategy<Value = f64> {
    use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    prop_oneof![
        POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO,
        select(vec![
            -0.0,
            0.0,
            1e16,
            1e-5,
            1e15,
            0.0001,
            5e-324,
            f64::MAX,
            f64::MIN,
            0.1
        ]),
    ]
}

/// Arbitrary JSON values: null, bools, integers, finite floats including -0.0,
/// strings with any character, arrays, and objects with unique keys.
fn json_value(floats: BoxedStrategy<f64>) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Integer(n.into())),
        any::<i128>().prop_map(Value::Integer),
        floats.prop_map(Value::Float),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            // Map keeps the first place of a repeated key, so keys are unique.
            vec((text(), inner), 0..6).prop_map(|entries| Value::Object(Map::from_iter(entries))),
        ]
    })
}

fn json_bytes(value: &Value) -> Vec<u8> {
    json::to_vec(value).expect("a json::Value always serializes")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn signer_round_trips_any_value(
        key in key(), fallback in key(), salt in salt(), sep in separator(), value in text(),
    ) {
        let ring = KeyRing::new(&key)?.with_fallback(&fallback)?;
        let signer = Signer::builder(&ring).salt(salt).sep(sep).build()?;
        let signed = signer.sign(&value);
        let verified = signer.unsign(&signed)?;
        prop_assert_eq!(*verified.value(), value.as_str());
        prop_assert_eq!(verified.key_index(), 0);
        prop_assert!(!verified.is_stale());
        prop_assert_eq!(signer.resign(&verified)?, signed);
    }

    #[test]
    fn timestamp_signer_round_trips_any_value_and_time(
        key in key(), salt in salt(), sep in separator(), value in text(),
        // i64::MIN itself is left out: see the report on base62 saturation.
        timestamp in (i64::MIN + 1)..=i64::MAX,
    ) {
        let ring = KeyRing::new(&key)?;
        let signer = TimestampSigner::builder(&ring).salt(salt).sep(sep).build()?;
        let signed = signer.sign_with_timestamp(&value, timestamp);
        let verified = signer.unsign_at(&signed, at(T0))?;
        prop_assert_eq!(*verified.value(), value.as_str());
        prop_assert_eq!(verified.timestamp(), Some(timestamp));
        prop_assert!(!verified.is_stale());
    }

    #[test]
    fn the_builder_accepts_exactly_the_separators_django_accepts(sep in "[A-z0-9=:/é\n-]{0,3}|\\PC{0,2}") {
        let ring = KeyRing::new("k")?;
        prop_assert_eq!(Signer::builder(&ring).sep(sep.as_str()).build().is_ok(), django_accepts_separator(&sep));
        prop_assert_eq!(TimestampSigner::builder(&ring).sep(sep.as_str()).build().is_ok(), django_accepts_separator(&sep));
    }

    #[test]
    fn any_single_byte_change_is_rejected(
        key in key(),
        salt in salt(),
        value in "[ -~]{0,32}",
        timed in any::<bool>(),
        position in any::<Index>(),
        replacement in 0x20u8..0x7f,
    ) {
        let ring = KeyRing::new(&key)?;
        let signed = if timed {
            TimestampSigner::builder(&ring).salt(salt.as_str()).build()?.sign_at(&value, at(T0))
        } else {
            Signer::builder(&ring).salt(salt.as_str()).build()?.sign(&value)
        };
        let mut bytes = signed.clone().into_bytes();
        let i = position.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let tampered = String::from_utf8(bytes).expect("ASCII stays UTF-8");
        let outcome = if timed {
            TimestampSigner::builder(&ring).salt(salt.as_str()).build()?.unsign_at(&tampered, at(T0)).map(|v| v.key_index())
        } else {
            Signer::builder(&ring).salt(salt.as_str()).build()?.unsign(&tampered).map(|v| v.key_index())
        };
        prop_assert!(outcome.is_err(), "{:?} -> {:?} verified", signed, tampered);
    }

    #[test]
    fn the_index_of_the_signing_key_is_reported_and_only_the_current_key_is_fresh(
        keys in distinct_keys(), signing in any::<Index>(), value in text(), timed in any::<bool>(),
    ) {
        let ring = ring_of(&keys)?;
        let index = signing.index(keys.len());
        let signing_ring = KeyRing::new(&keys[index])?;
        let verified_index = if timed {
            let signed = TimestampSigner::builder(&signing_ring).build()?.sign_at(&value, at(T0));
            let verified = TimestampSigner::builder(&ring).build()?.unsign_at(&signed, at(T0))?;
            prop_assert_eq!(verified.is_stale(), index != 0);
            verified.key_index()
        } else {
            let signed = Signer::builder(&signing_ring).build()?.sign(&value);
            let verified = Signer::builder(&ring).build()?.unsign(&signed)?;
            prop_assert_eq!(verified.is_stale(), index != 0);
            verified.key_index()
        };
        prop_assert_eq!(verified_index, index);
        // Whatever the fallbacks, the ring signs with its current key only.
        let only_current = KeyRing::new(&keys[0])?;
        prop_assert_eq!(ring.sign(&value), only_current.sign(&value));
    }

    #[test]
    fn unsign_never_panics(input in any::<String>(), sep in separator(), lenient in any::<bool>()) {
        let ring = KeyRing::new("k")?.with_fallback("old")?;
        let signer = Signer::builder(&ring).sep(sep).accept_legacy_sha1(lenient).build()?;
        let _ = signer.unsign(&input);
        let _ = ring.unsign(&input);
        let _ = signer.unsign_object::<Value>(&input);
    }

    #[test]
    fn timestamp_unsign_never_panics(
        input in "[A-Za-z0-9_.:!é-]{0,60}|\\PC{0,40}",
        now in any::<f64>(),
        max_age in any::<f64>(),
    ) {
        let ring = KeyRing::new("k")?;
        let signer = TimestampSigner::builder(&ring).max_age(MaxAge::from_secs_f64(max_age)).build()?;
        let _ = signer.unsign_at(&input, at(now));
        let _ = signer.unsign_object_at::<Value>(&input, at(now));
    }

    /// Validly signed garbage reaches the timestamp, base64, zlib and JSON
    /// decoders: they may refuse it, never panic.
    #[test]
    fn decoding_validly_signed_garbage_never_panics(
        payload in "\\.?[A-Za-z0-9_=+/-]{0,80}|\\PC{0,40}",
        timestamp in "[0-9A-Za-z-]{0,12}|\\PC{0,3}",
        now in any::<f64>(),
        limit in 64usize..100_000,
    ) {
        let ring = KeyRing::new("k")?;
        let signer = Signer::builder(&ring).max_payload_size(limit).build()?;
        let _ = signer.unsign_object::<Value>(&signer.sign(&payload));
        let forger = Signer::builder(&ring).salt(TIMESTAMP_SIGNER_SALT).build()?;
        let timed = TimestampSigner::builder(&ring)
            .max_age(MaxAge::from_secs(60))
            .max_payload_size(limit)
            .build()?;
        let signed = forger.sign(&format!("{payload}:{timestamp}"));
        let _ = timed.unsign_at(&signed, at(now));
        let _ = timed.unsign_object_at::<Value>(&signed, at(now));
    }

    /// A compressed payload with one byte changed, then validly signed: the
    /// inflater sees a corrupt stream and must refuse it or read it, not panic.
    #[test]
    fn corrupt_compressed_payloads_never_panic(
        value in json_value(finite_f64().boxed()),
        position in any::<Index>(),
        replacement in prop::char::range('-', 'z'),
        limit in 64usize..4096,
    ) {
        let ring = KeyRing::new("k")?;
        let signer = Signer::builder(&ring).max_payload_size(limit).build()?;
        let signed = signer.sign_object(&value, true)?;
        let (payload, _) = signed.rsplit_once(':').expect("signed");
        let i = position.index(payload.len());
        let mut corrupt: Vec<char> = payload.chars().collect();
        corrupt[i] = replacement;
        let corrupt: String = corrupt.into_iter().collect();
        let _ = signer.unsign_object::<Value>(&signer.sign(&corrupt));
    }

    #[test]
    fn json_from_slice_never_panics(bytes in vec(any::<u8>(), 0..128)) {
        let _ = json::from_slice::<Value>(&bytes);
    }

    #[test]
    fn json_from_slice_never_panics_on_json_like_input(
        text in "[\\[\\]{}\",:0-9eE.+ \\\\u/bfnrtaslNIiyd-]{0,64}",
    ) {
        let _ = json::from_slice::<Value>(text.as_bytes());
        let _ = json::from_str::<Value>(&text);
    }

    #[test]
    fn json_output_is_always_printable_ascii(value in json_value(any::<f64>().boxed())) {
        let bytes = json_bytes(&value);
        prop_assert!(bytes.iter().all(|b| (0x20..0x7f).contains(b)), "{:?}", String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn json_reads_back_what_it_writes(value in json_value(any::<f64>().boxed())) {
        let bytes = json_bytes(&value);
        let back: Value = json::from_slice(&bytes)?;
        prop_assert_eq!(json_bytes(&back), bytes.clone());
        let back: Value = json::from_str(std::str::from_utf8(&bytes)?)?;
        prop_assert_eq!(json_bytes(&back), bytes);
    }
}

proptest! {
    // Object signing compresses and inflates: fewer cases keep the run short.
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn loads_of_dumps_is_the_identity(value in json_value(finite_f64().boxed()), compress in any::<bool>()) {
        let ring = KeyRing::new("k")?;
        let dumps = TimestampSigner::builder(&ring).salt(DUMPS_SALT).build()?;
        let expected = json_bytes(&value);

        let signed = dumps.sign_object_at(&value, compress, at(T0))?;
        let verified = dumps.unsign_object_at::<Value>(&signed, at(T0))?;
        prop_assert_eq!(json_bytes(verified.value()), expected.clone());

        let signer = Signer::builder(&ring).build()?;
        let signed = signer.sign_object(&value, compress)?;
        let verified = signer.unsign_object::<Value>(&signed)?;
        prop_assert_eq!(json_bytes(verified.value()), expected);
    }
}
