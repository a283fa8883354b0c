//! Round trips on structured input: `loads(dumps(x))` and
//! `unsign_object(sign_object(x))` give back `x` (compared as Django JSON
//! bytes), compressed or not; `unsign(sign(v)) == v`; whatever a fallback signs
//! verifies stale with its index, what the current key signs is fresh; session
//! encode/decode in both formats.
#![no_main]

use std::sync::LazyLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use signring::django::SessionCodec;
use signring::json::{self, Map, Value};
use signring::{DUMPS_SALT, DjangoVersion, KeyRing, Signer, TimestampSigner};
use signring_fuzz::NOW;

#[derive(Arbitrary, Debug)]
enum Json {
    Null,
    Bool(bool),
    Integer(i128),
    Float(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    value: Json,
    text: String,
    timestamp: i64,
    signed_with: u8,
}

/// Django's reader refuses nesting deeper than 512; stay well below.
fn to_value(json: &Json, depth: usize) -> Value {
    match json {
        _ if depth > 64 => Value::Null,
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Integer(n) => Value::Integer(*n),
        Json::Float(f) => Value::Float(*f),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::Array(items.iter().map(|j| to_value(j, depth + 1)).collect()),
        Json::Object(entries) => Value::Object(to_map(entries, depth)),
    }
}

fn to_map(entries: &[(String, Json)], depth: usize) -> Map {
    entries
        .iter()
        .map(|(k, j)| (k.clone(), to_value(j, depth + 1)))
        .collect()
}

static RING: LazyLock<KeyRing> = LazyLock::new(signring_fuzz::ring);
static SIGNER: LazyLock<Signer> = LazyLock::new(|| Signer::builder(&RING).build().expect("signer"));
static DUMPS: LazyLock<TimestampSigner> = LazyLock::new(|| {
    TimestampSigner::builder(&RING)
        .salt(DUMPS_SALT)
        .build()
        .expect("signer")
});
/// Each ring key alone, in ring order.
static SINGLES: LazyLock<Vec<(Signer, TimestampSigner)>> = LazyLock::new(|| {
    (0..3)
        .map(|i| {
            let ring = signring_fuzz::single(i);
            let signer = Signer::builder(&ring).build().expect("signer");
            let dumps = TimestampSigner::builder(&ring)
                .salt(DUMPS_SALT)
                .build()
                .expect("signer");
            (signer, dumps)
        })
        .collect()
});
static SESSIONS: LazyLock<Vec<(SessionCodec, SessionCodec)>> = LazyLock::new(|| {
    // (writer, reader): 2.2 writes the legacy format, 6.1 the signed one.
    [DjangoVersion::V2_2, DjangoVersion::V6_1]
        .into_iter()
        .map(|version| {
            let writer = SessionCodec::builder(&RING)
                .django(version)
                .build()
                .expect("codec");
            let reader = SessionCodec::builder(&RING)
                .read_legacy(true)
                .build()
                .expect("codec");
            (writer, reader)
        })
        .collect()
});

fn bytes(value: &Value) -> Vec<u8> {
    json::to_vec(value).expect("a Value serializes")
}

fuzz_target!(|input: Input| {
    let value = to_value(&input.value, 0);
    let expected = bytes(&value);
    for compress in [false, true] {
        let signed = DUMPS.sign_object_at(&value, compress, NOW).expect("dumps");
        let loaded = DUMPS
            .unsign_object_at::<Value>(&signed, NOW)
            .expect("loads(dumps(x))");
        assert_eq!(
            bytes(loaded.value()),
            expected,
            "loads(dumps(x)), compress={compress}"
        );
        let signed = SIGNER.sign_object(&value, compress).expect("sign_object");
        let loaded = SIGNER
            .unsign_object::<Value>(&signed)
            .expect("unsign_object(sign_object(x))");
        assert_eq!(
            bytes(loaded.value()),
            expected,
            "unsign_object, compress={compress}"
        );
    }

    let text = input.text.as_str();
    assert_eq!(
        *SIGNER
            .unsign(&SIGNER.sign(text))
            .expect("unsign(sign(v))")
            .value(),
        text
    );
    assert_eq!(*RING.unsign(&RING.sign(text)).expect("ring").value(), text);
    let signed = DUMPS.sign_with_timestamp(text, input.timestamp);
    let verified = DUMPS.unsign_at(&signed, NOW).expect("timestamped");
    assert_eq!(
        (*verified.value(), verified.timestamp()),
        (text, Some(input.timestamp))
    );

    let index = usize::from(input.signed_with % 3);
    let (signer, dumps) = &SINGLES[index];
    let signed = signer.sign(text);
    let verified = SIGNER.unsign(&signed).expect("signed by a ring key");
    assert_eq!(
        (verified.key_index(), verified.is_stale()),
        (index, index != 0)
    );
    let signed = dumps.sign_object_at(&value, true, NOW).expect("dumps");
    let loaded = DUMPS
        .unsign_object_at::<Value>(&signed, NOW)
        .expect("loads");
    assert_eq!((loaded.key_index(), loaded.is_stale()), (index, index != 0));
    assert_eq!(bytes(loaded.value()), expected);

    let session = match &input.value {
        Json::Object(entries) => to_map(entries, 0),
        _ => Map::new(),
    };
    let expected = json::to_vec(&session).expect("a Map serializes");
    for (writer, reader) in SESSIONS.iter() {
        let data = writer.encode_at(&session, NOW).expect("session encode");
        let decoded = reader.decode_at(&data, NOW).expect("session decode");
        assert_eq!(
            json::to_vec(&decoded.session).expect("serializes"),
            expected
        );
        assert_eq!(decoded.record.key_index, 0);
    }
});
