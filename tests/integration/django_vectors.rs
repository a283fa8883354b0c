//! Known answers from real Django: `tests/data/django/*.json`, produced by
//! `tests/django/gen_vectors.py` (see the README beside the vectors).
//!
//! Every case Django produced is checked here, both ways: signring must sign to
//! the same bytes Django signed to, and must accept and refuse what Django
//! accepts and refuses, naming the key that verified. Where signring knowingly
//! differs, the case is counted as a `DIFFERENCE` and the difference asserted.

use std::collections::BTreeMap;

use serde_json::Value as Case;
use signring::json::{self, Value};
use signring::{
    Algorithm, DUMPS_SALT, DjangoVersion, Error, KeyRing, Malformed, MaxAge, PayloadError,
    SecretKey, Signer, SignerBuilder, TimestampSigner, UnixTime, Verified, internal,
};

/// The vector files and the profile each one is checked under.
const FILES: [(&str, DjangoVersion); 7] = [
    ("django-2.2.json", DjangoVersion::V2_2),
    ("django-3.2.json", DjangoVersion::V3_2),
    ("django-3.2-sha1.json", DjangoVersion::V3_2),
    ("django-4.2.json", DjangoVersion::V4_2),
    ("django-5.2.json", DjangoVersion::V5_2),
    ("django-6.0.json", DjangoVersion::V6_0),
    ("django-6.1.json", DjangoVersion::V6_1),
];

struct Vectors {
    version: DjangoVersion,
    default_algorithm: Option<Algorithm>,
    keys: Vec<SecretKey>,
}

impl Vectors {
    /// The ring Django verified with: the case's explicit key (or SECRET_KEY),
    /// then SECRET_KEY_FALLBACKS.
    fn ring(&self, case: &Case) -> KeyRing {
        let current = match case.get("key_hex").and_then(Case::as_str) {
            Some(hex) => SecretKey::new(unhex(hex)).unwrap(),
            None => self.keys[0].clone(),
        };
        // Django lets SECRET_KEY_FALLBACKS repeat an explicit key; a ring
        // refuses duplicates, and dropping the repeat changes no verdict (the
        // current key is tried first).
        self.keys[1..]
            .iter()
            .filter(|key| **key != current)
            .fold(KeyRing::from_key(current.clone()), |ring, key| {
                ring.with_fallback_key(key.clone()).unwrap()
            })
    }

    /// A ring whose current key is the one the case was signed with.
    fn signing_ring(&self, case: &Case) -> KeyRing {
        match case["signed_with"].as_u64() {
            Some(index) if index > 0 => KeyRing::from_key(self.keys[index as usize].clone()),
            _ => self.ring(case),
        }
    }

    fn configure<'r, S>(&self, builder: SignerBuilder<'r, S>, case: &Case) -> SignerBuilder<'r, S> {
        let mut builder = builder.django(self.version);
        if let Some(salt) = case["salt"].as_str() {
            builder = builder.salt(salt);
        }
        if let Some(sep) = case["sep"].as_str() {
            builder = builder.sep(sep);
        }
        let algorithm = case["algorithm"]
            .as_str()
            .map(|a| a.parse().unwrap())
            .or(self.default_algorithm);
        if let Some(algorithm) = algorithm {
            builder = builder.algorithm(algorithm);
        }
        builder
    }

    fn timestamp_signer(
        &self,
        ring: &KeyRing,
        case: &Case,
        default_salt: Option<&str>,
    ) -> TimestampSigner {
        let mut builder = self.configure(TimestampSigner::builder(ring), case);
        if case["salt"].is_null()
            && let Some(salt) = default_salt
        {
            builder = builder.salt(salt);
        }
        if let Some(max_age) = case.get("max_age").and_then(Case::as_f64) {
            builder = builder.max_age(MaxAge::from_secs_f64(max_age));
        }
        builder.build().unwrap()
    }
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn now(case: &Case) -> UnixTime {
    // Cases without a frozen clock do not depend on the time.
    UnixTime::from_secs_f64(case["now"].as_f64().unwrap_or(1_600_000_000.0))
}

fn python_json(value: &Value) -> Vec<u8> {
    json::to_vec(value).unwrap()
}

fn parse_obj(text: &str) -> Value {
    json::from_str(text).unwrap_or_else(|e| panic!("obj_json {text:?}: {e}"))
}

/// What a case expects of a verification, checked against signring's result.
fn check_verification<T>(
    ctx: &str,
    vectors: &Vectors,
    case: &Case,
    result: Result<Verified<'_, T>, Error>,
    same_value: impl Fn(&T) -> bool,
    counts: &mut BTreeMap<&'static str, usize>,
) {
    let expected = &case["result"];
    // Where the signing key sits in the ring (Django's list may repeat a key).
    let ring = vectors.ring(case);
    let signed_with = case["signed_with"].as_u64().map(|i| {
        ring.keys()
            .position(|k| *k == vectors.keys[i as usize])
            .unwrap_or(i as usize)
    });
    if expected["ok"].as_bool().unwrap() {
        let verified =
            result.unwrap_or_else(|e| panic!("{ctx}: django accepted, signring said {e}"));
        assert!(same_value(verified.value()), "{ctx}: value differs");
        assert_eq!(
            verified.algorithm().name(),
            expected["algorithm"].as_str().unwrap(),
            "{ctx}: algorithm"
        );
        if let Some(index) = signed_with {
            assert_eq!(verified.key_index(), index, "{ctx}: key index");
        }
        let current_algorithm = case["algorithm"]
            .as_str()
            .map(|a| a.parse::<Algorithm>().unwrap())
            .or(vectors.default_algorithm)
            .unwrap_or(vectors.version.default_algorithm());
        let stale = verified.key_index() != 0 || verified.algorithm() != current_algorithm;
        assert_eq!(verified.is_stale(), stale, "{ctx}: stale flag");
        *counts.entry("accepted").or_default() += 1;
        return;
    }
    let error = expected["error"].as_str().unwrap();
    match (error, result) {
        // signring honours fallbacks under every profile; Django < 4.1 has none.
        ("BadSignature", Ok(verified))
            if vectors.version < DjangoVersion::V4_2 && signed_with.is_some_and(|i| i > 0) =>
        {
            assert_eq!(
                Some(verified.key_index()),
                signed_with,
                "{ctx}: fallback index"
            );
            assert!(
                verified.is_stale(),
                "{ctx}: fallback-verified must be stale"
            );
            *counts
                .entry("DIFFERENCE: fallback accepted before 4.1")
                .or_default() += 1;
        }
        ("BadSignature", Err(Error::Expired { .. }))
            if vectors.version < DjangoVersion::V4_2 && signed_with.is_some_and(|i| i > 0) =>
        {
            // The fallback verified it, as 4.1+ would, and then it was too old.
            *counts
                .entry("DIFFERENCE: fallback verified before 4.1, then expired")
                .or_default() += 1;
        }
        ("BadSignature", Err(Error::BadSignature | Error::Malformed(Malformed::NoSeparator))) => {
            *counts.entry("refused").or_default() += 1;
        }
        ("SignatureExpired", Err(Error::Expired { .. })) => {
            *counts.entry("expired").or_default() += 1
        }
        (
            "ValueError" | "IndexError",
            Err(Error::Malformed(Malformed::NoTimestamp | Malformed::BadTimestamp)),
        ) => {
            *counts.entry("malformed timestamp").or_default() += 1;
        }
        ("binascii.Error", Err(Error::Payload(PayloadError::Base64)))
        | ("zlib.error", Err(Error::Payload(PayloadError::Zlib)))
        | ("JSONDecodeError", Err(Error::Payload(PayloadError::Json { .. }))) => {
            *counts.entry("bad payload").or_default() += 1;
        }
        (error, Err(ours)) => panic!("{ctx}: django raised {error}, signring said {ours:?}"),
        (error, Ok(_)) => panic!("{ctx}: django raised {error}, signring accepted"),
    }
}

fn run_case(vectors: &Vectors, case: &Case, ctx: &str, counts: &mut BTreeMap<&'static str, usize>) {
    let op = case["op"].as_str().unwrap();
    match op {
        "sign" => {
            let ring = vectors.signing_ring(case);
            let signed = match case["signer"].as_str().unwrap() {
                "Signer" => vectors
                    .configure(Signer::builder(&ring), case)
                    .build()
                    .unwrap()
                    .sign(case["value"].as_str().unwrap()),
                _ => vectors
                    .timestamp_signer(&ring, case, None)
                    .sign_at(case["value"].as_str().unwrap(), now(case)),
            };
            assert_eq!(signed, case["signed"].as_str().unwrap(), "{ctx}");
        }
        "dumps" => {
            let ring = vectors.signing_ring(case);
            let obj = parse_obj(case["obj_json"].as_str().unwrap());
            let compress = case["compress"].as_bool().unwrap();
            let signed = match case["signer"].as_str() {
                Some("Signer") => vectors
                    .configure(Signer::builder(&ring), case)
                    .build()
                    .unwrap()
                    .sign_object(&obj, compress),
                Some(_) => vectors.timestamp_signer(&ring, case, None).sign_object_at(
                    &obj,
                    compress,
                    now(case),
                ),
                None => vectors
                    .timestamp_signer(&ring, case, Some(DUMPS_SALT))
                    .sign_object_at(&obj, compress, now(case)),
            };
            assert_eq!(signed.unwrap(), case["signed"].as_str().unwrap(), "{ctx}");
        }
        "unsign" => {
            let ring = vectors.ring(case);
            let input = case["input"].as_str().unwrap();
            let result = match case["signer"].as_str().unwrap() {
                "Signer" => vectors
                    .configure(Signer::builder(&ring), case)
                    .build()
                    .unwrap()
                    .unsign(input),
                _ => vectors
                    .timestamp_signer(&ring, case, None)
                    .unsign_at(input, now(case)),
            };
            let value = case["result"]["value"].as_str().map(str::to_owned);
            check_verification(
                ctx,
                vectors,
                case,
                result,
                |v| Some(*v) == value.as_deref(),
                counts,
            );
        }
        "loads" => {
            let ring = vectors.ring(case);
            let input = case["input"].as_str().unwrap();
            let result = match case["signer"].as_str() {
                Some("Signer") => vectors
                    .configure(Signer::builder(&ring), case)
                    .build()
                    .unwrap()
                    .unsign_object::<Value>(input),
                Some(_) => vectors
                    .timestamp_signer(&ring, case, None)
                    .unsign_object_at(input, now(case)),
                None => vectors
                    .timestamp_signer(&ring, case, Some(DUMPS_SALT))
                    .unsign_object_at(input, now(case)),
            };
            if case["result"]["obj_json"]
                .as_str()
                .is_some_and(|t| t.contains("\\ud800"))
            {
                // Python reads a lone surrogate into its str; Rust strings cannot.
                assert!(
                    matches!(result, Err(Error::Payload(PayloadError::Json { .. }))),
                    "{ctx}"
                );
                *counts
                    .entry("DIFFERENCE: lone surrogate refused")
                    .or_default() += 1;
                return;
            }
            let expected = case["result"]["obj_json"]
                .as_str()
                .map(|t| python_json(&parse_obj(t)));
            check_verification(
                ctx,
                vectors,
                case,
                result,
                |v| Some(python_json(v)) == expected,
                counts,
            );
        }
        "json" => {
            let text = case["obj_json"].as_str().unwrap();
            let note = case.get("note").and_then(Case::as_str).unwrap_or("");
            if note.starts_with("duplicate keys after key conversion") {
                // A Python dict with keys 1 and "1" has no JSON text that reads
                // back as two keys; nothing to transport, nothing to compare.
                *counts.entry("not representable in JSON text").or_default() += 1;
            } else if note.starts_with("lone surrogate") {
                // Rust strings cannot hold a lone surrogate; signring refuses it.
                assert!(json::from_str::<Value>(text).is_err(), "{ctx}");
                *counts
                    .entry("DIFFERENCE: lone surrogate refused")
                    .or_default() += 1;
            } else {
                assert_eq!(
                    json::to_string(&parse_obj(text)).unwrap(),
                    case["django_json"].as_str().unwrap(),
                    "{ctx}"
                );
            }
        }
        "sep" => {
            let ring = vectors.ring(case);
            let built = Signer::builder(&ring)
                .sep(case["sep"].as_str().unwrap())
                .build();
            assert_eq!(built.is_ok(), case["valid"].as_bool().unwrap(), "{ctx}");
        }
        "b62" => {
            let n = case["n"].as_i64().unwrap();
            assert_eq!(
                internal::b62_encode(n),
                case["text"].as_str().unwrap(),
                "{ctx}"
            );
        }
        "b62_decode" => {
            let ours = internal::b62_decode(case["text"].as_str().unwrap());
            match (case["ok"].as_bool().unwrap(), case["n"].as_i64()) {
                (true, Some(n)) => assert_eq!(ours, Some(n), "{ctx}"),
                (true, None) => {
                    // Python's integers are unbounded; signring saturates at
                    // 64 bits, which changes no verdict (see the unsign cases).
                    assert!(
                        matches!(
                            ours,
                            Some(i64::MAX) | Some(i64::MIN..=-9_000_000_000_000_000_000)
                        ),
                        "{ctx}"
                    );
                    *counts
                        .entry("DIFFERENCE: timestamp beyond i64 saturates")
                        .or_default() += 1;
                }
                (false, _) => assert_eq!(ours, None, "{ctx}"),
            }
        }
        "b64_decode" => {
            let ours = internal::python_b64decode(case["input"].as_str().unwrap().as_bytes());
            let expected = case["ok"]
                .as_bool()
                .unwrap()
                .then(|| unhex(case["hex"].as_str().unwrap()));
            assert_eq!(ours, expected, "{ctx}");
        }
        "zlib_decompress" => {
            let ours =
                internal::zlib_decompress(&unhex(case["hex_in"].as_str().unwrap()), 1 << 20).ok();
            let expected = case["ok"]
                .as_bool()
                .unwrap()
                .then(|| unhex(case["hex_out"].as_str().unwrap()));
            assert_eq!(ours, expected, "{ctx}");
        }
        other => panic!("{ctx}: unknown op {other}"),
    }
    *counts
        .entry(match op {
            "sign" => "sign",
            "dumps" => "dumps",
            "unsign" => "unsign",
            "loads" => "loads",
            _ => "encoding",
        })
        .or_default() += 1;
}

#[test]
fn every_django_vector_holds() {
    crate::vector_files::check_files(
        &FILES,
        500,
        "Django vectors",
        |p| Vectors {
            version: p.version,
            default_algorithm: p.default_hashing_algorithm,
            keys: p.keys,
        },
        run_case,
    );
}
