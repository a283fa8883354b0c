//! Known answers for the `hashlib` algorithms beyond SHA-1/SHA-2 (MD5,
//! BLAKE2b, BLAKE2s, SHA3-224/256/384/512), from real Django:
//! `tests/data/django/algorithms-5.2.json`, written by
//! `tests/django/gen_algorithm_vectors.py`.
//!
//! Every case is checked both ways: signring makes the same bytes Django made,
//! reads Django's output back (same value, key index and algorithm), and refuses
//! Django's one-bit-flipped copy as well as one flipped here at another bit.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value as Case;
use signring::json::{self, Value};
use signring::{
    Algorithm, DjangoVersion, Error, KeyRing, SecretKey, Signer, SignerBuilder, TimestampSigner,
    UnixTime, Verified, internal,
};

const FILE: &str = "algorithms-5.2.json";
const VERSION: DjangoVersion = DjangoVersion::V5_2;

/// The algorithms the file must cover, each with at least this many cases.
const NEW: [Algorithm; 7] = [
    Algorithm::Md5,
    Algorithm::Blake2b,
    Algorithm::Blake2s,
    Algorithm::Sha3_224,
    Algorithm::Sha3_256,
    Algorithm::Sha3_384,
    Algorithm::Sha3_512,
];
const MIN_CASES_PER_ALGORITHM: usize = 40;

fn load() -> Case {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/django")
        .join(FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{FILE}: {e}"));
    serde_json::from_str(&text).unwrap()
}

struct Vectors {
    /// `SECRET_KEY`, then `SECRET_KEY_FALLBACKS`.
    keys: Vec<SecretKey>,
}

impl Vectors {
    fn explicit_key(case: &Case) -> Option<SecretKey> {
        case.get("key_hex")
            .and_then(Case::as_str)
            .map(|hex| SecretKey::new(unhex(hex)).unwrap())
    }

    /// The ring Django read with: `SECRET_KEY` (or the explicit key) and the
    /// fallbacks.
    fn ring(&self, case: &Case) -> KeyRing {
        let current = Self::explicit_key(case).unwrap_or_else(|| self.keys[0].clone());
        self.keys[1..]
            .iter()
            .fold(KeyRing::from_key(current), |ring, key| {
                ring.with_fallback_key(key.clone()).unwrap()
            })
    }

    /// A ring whose current key is the one Django signed with.
    fn signing_ring(&self, case: &Case) -> KeyRing {
        let key = Self::explicit_key(case)
            .unwrap_or_else(|| self.keys[case["signed_with"].as_u64().unwrap() as usize].clone());
        KeyRing::from_key(key)
    }
}

fn algorithm(case: &Case) -> Algorithm {
    case["algorithm"].as_str().unwrap().parse().unwrap()
}

fn configure<'r, S>(builder: SignerBuilder<'r, S>, case: &Case) -> SignerBuilder<'r, S> {
    let mut builder = builder.django(VERSION).algorithm(algorithm(case));
    if let Some(salt) = case["salt"].as_str() {
        builder = builder.salt(salt);
    }
    if let Some(sep) = case["sep"].as_str() {
        builder = builder.sep(sep);
    }
    builder
}

fn now(case: &Case) -> UnixTime {
    UnixTime::from_secs_f64(case["now"].as_f64().unwrap_or(1_600_000_000.0))
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `signed` with one bit of its signature's digest flipped (bit `n % 8` of
/// byte `n % len`), re-encoded canonically.
fn flip_one_bit(signed: &str, sep: &str, n: usize) -> String {
    let (value, signature) = signed.rsplit_once(sep).unwrap();
    let mut digest = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let len = digest.len();
    digest[n % len] ^= 1 << (n % 8);
    format!("{value}{sep}{}", URL_SAFE_NO_PAD.encode(digest))
}

/// Checks what a read of Django's own output returned.
fn check_read<T>(ctx: &str, case: &Case, alg: Algorithm, verified: &Verified<'_, T>) {
    let index = case["signed_with"].as_u64().unwrap_or(0) as usize;
    assert_eq!(verified.key_index(), index, "{ctx}: key index");
    assert_eq!(verified.algorithm(), alg, "{ctx}: algorithm");
    assert_eq!(verified.is_stale(), index != 0, "{ctx}: stale flag");
}

fn refused<T: std::fmt::Debug>(ctx: &str, what: &str, result: Result<T, Error>) {
    match result {
        Err(Error::BadSignature) => {}
        other => panic!("{ctx}: {what}: expected BadSignature, got {other:?}"),
    }
}

fn run_case(v: &Vectors, case: &Case, index: usize, ctx: &str) {
    let alg = algorithm(case);
    match case["op"].as_str().unwrap() {
        "sign" => {
            let value = case["value"].as_str().unwrap();
            let signed = case["signed"].as_str().unwrap();
            let sep = case["sep"].as_str().unwrap_or(":");
            assert_eq!(case["tampered_error"], "BadSignature", "{ctx}");
            let tampered = case["tampered"].as_str().unwrap();
            let flipped = flip_one_bit(signed, sep, index + 5);
            assert_ne!(flipped, signed);
            let (signing, reading) = (v.signing_ring(case), v.ring(case));
            if case["signer"] == "Signer" {
                let ours = configure(Signer::builder(&signing), case).build().unwrap();
                assert_eq!(ours.sign(value), signed, "{ctx}: sign");
                let reader = configure(Signer::builder(&reading), case).build().unwrap();
                let verified = reader
                    .unsign(signed)
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_eq!(*verified.value(), value, "{ctx}: value");
                check_read(ctx, case, alg, &verified);
                refused(ctx, "django's flipped bit", reader.unsign(tampered));
                refused(ctx, "our flipped bit", reader.unsign(&flipped));
            } else {
                let ours = configure(TimestampSigner::builder(&signing), case)
                    .build()
                    .unwrap();
                assert_eq!(ours.sign_at(value, now(case)), signed, "{ctx}: sign");
                let reader = configure(TimestampSigner::builder(&reading), case)
                    .build()
                    .unwrap();
                let verified = reader
                    .unsign_at(signed, now(case))
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_eq!(*verified.value(), value, "{ctx}: value");
                check_read(ctx, case, alg, &verified);
                refused(
                    ctx,
                    "django's flipped bit",
                    reader.unsign_at(tampered, now(case)),
                );
                refused(
                    ctx,
                    "our flipped bit",
                    reader.unsign_at(&flipped, now(case)),
                );
            }
        }
        "sign_object" => {
            let obj: Value = json::from_str(case["obj_json"].as_str().unwrap()).unwrap();
            let compress = case["compress"].as_bool().unwrap();
            let signed = case["signed"].as_str().unwrap();
            let flipped = flip_one_bit(signed, ":", index + 5);
            let (signing, reading) = (v.signing_ring(case), v.ring(case));
            let read: Result<Verified<'_, Value>, Error>;
            let read_flipped: Result<Verified<'_, Value>, Error>;
            if case["signer"] == "Signer" {
                let ours = configure(Signer::builder(&signing), case).build().unwrap();
                assert_eq!(ours.sign_object(&obj, compress).unwrap(), signed, "{ctx}");
                let reader = configure(Signer::builder(&reading), case).build().unwrap();
                read = reader.unsign_object(signed);
                read_flipped = reader.unsign_object(&flipped);
            } else {
                let ours = configure(TimestampSigner::builder(&signing), case)
                    .build()
                    .unwrap();
                let made = ours.sign_object_at(&obj, compress, now(case)).unwrap();
                assert_eq!(made, signed, "{ctx}");
                let reader = configure(TimestampSigner::builder(&reading), case)
                    .build()
                    .unwrap();
                read = reader.unsign_object_at(signed, now(case));
                read_flipped = reader.unsign_object_at(&flipped, now(case));
            }
            let verified = read.unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert_eq!(
                json::to_vec(verified.value()).unwrap(),
                json::to_vec(&obj).unwrap(),
                "{ctx}: value"
            );
            check_read(ctx, case, alg, &verified);
            refused(ctx, "our flipped bit", read_flipped);
        }
        "salted_hmac" => {
            let secret = match case.get("secret_hex").and_then(Case::as_str) {
                Some(hex) => unhex(hex),
                None => case["secret"].as_str().unwrap().as_bytes().to_vec(),
            };
            let mac = internal::salted_hmac(
                alg,
                case["key_salt"].as_str().unwrap().as_bytes(),
                case["value"].as_str().unwrap().as_bytes(),
                &secret,
            );
            assert_eq!(mac.len(), alg.digest_len(), "{ctx}");
            assert_eq!(hex(&mac), case["hexdigest"].as_str().unwrap(), "{ctx}");
        }
        #[cfg(feature = "django")]
        op @ ("reset_token" | "cookie_set" | "messages_encode") => {
            adapters::run_case(v, case, op, alg, index, ctx)
        }
        #[cfg(not(feature = "django"))]
        "reset_token" | "cookie_set" | "messages_encode" => {}
        other => panic!("{ctx}: unknown op {other}"),
    }
}

#[cfg(feature = "django")]
mod adapters {
    use signring::django::{Message, MessagesCookie, PasswordResetTokens, ResetUser, SignedCookie};

    use super::*;

    fn user(case: &Case) -> ResetUser {
        let user = &case["user"];
        let mut out = ResetUser::new(user["pk"].to_string(), user["password"].as_str().unwrap());
        if let Some(email) = user["email"].as_str() {
            out = out.email(email);
        }
        if let Some(at) = user["last_login"].as_str() {
            out = out.last_login(signring::django::parse_naive_datetime(at).unwrap());
        }
        out
    }

    pub(super) fn run_case(
        v: &Vectors,
        case: &Case,
        op: &str,
        alg: Algorithm,
        index: usize,
        ctx: &str,
    ) {
        let (signing, reading) = (v.signing_ring(case), v.ring(case));
        match op {
            "reset_token" => {
                let at =
                    signring::django::parse_naive_datetime(case["now"].as_str().unwrap()).unwrap();
                let build = |ring| {
                    PasswordResetTokens::builder(ring)
                        .django(VERSION)
                        .algorithm(alg)
                        .build()
                        .unwrap()
                };
                let token = case["token"].as_str().unwrap();
                assert_eq!(build(&signing).make_token(&user(case), at).unwrap(), token);
                let found = build(&reading)
                    .check_token(&user(case), token, at)
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_eq!((found.key_index, found.algorithm), (0, alg), "{ctx}");
                assert!(!found.stale, "{ctx}");
                refused(
                    ctx,
                    "django's altered token",
                    build(&reading).check_token(
                        &user(case),
                        case["tampered"].as_str().unwrap(),
                        at,
                    ),
                );
            }
            "cookie_set" => {
                let build = |ring| {
                    SignedCookie::builder(ring, case["name"].as_str().unwrap())
                        .salt(case["salt"].as_str().unwrap())
                        .django(VERSION)
                        .algorithm(alg)
                        .build()
                        .unwrap()
                };
                let expected = case["cookie_value"].as_str().unwrap();
                let value = case["value"].as_str().unwrap();
                assert_eq!(build(&signing).sign_at(value, now(case)), expected, "{ctx}");
                let reader = build(&reading);
                let verified = reader
                    .unsign_at(expected, now(case))
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_eq!(
                    (verified.value, verified.record.key_index),
                    (value, 0),
                    "{ctx}"
                );
                assert!(!verified.record.stale, "{ctx}");
                let tampered = case["tampered"].as_str().unwrap();
                refused(
                    ctx,
                    "django's flipped bit",
                    reader.unsign_at(tampered, now(case)),
                );
                let flipped = flip_one_bit(expected, ":", index + 5);
                refused(
                    ctx,
                    "our flipped bit",
                    reader.unsign_at(&flipped, now(case)),
                );
            }
            "messages_encode" => {
                let messages: Vec<Message> = case["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| {
                        let mut message = Message::new(
                            m["level"].as_i64().unwrap(),
                            m["message"].as_str().unwrap(),
                        );
                        message.extra_tags = m["extra_tags"].as_str().map(str::to_owned);
                        message
                    })
                    .collect();
                let build = |ring| {
                    MessagesCookie::builder(ring)
                        .django(VERSION)
                        .algorithm(alg)
                        .build()
                        .unwrap()
                };
                let data = case["data"].as_str().unwrap();
                let made = build(&signing)
                    .encode_at(&messages, false, now(case))
                    .unwrap();
                assert_eq!(made, data, "{ctx}");
                let reader = build(&reading);
                let decoded = reader.decode(data).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_eq!(decoded.messages, messages, "{ctx}");
                assert_eq!(decoded.record.key_index, 0, "{ctx}");
                assert!(reader.decode(case["tampered"].as_str().unwrap()).is_err());
                let flipped = flip_one_bit(data, ":", index + 5);
                assert!(reader.decode(&flipped).is_err(), "{ctx}");
            }
            _ => unreachable!(),
        }
    }
}

#[test]
fn every_algorithm_vector_holds() {
    let file = load();
    let keys = std::iter::once(&file["keys"]["current"])
        .chain(file["keys"]["fallbacks"].as_array().unwrap())
        .map(|k| SecretKey::new(k.as_str().unwrap()).unwrap())
        .collect();
    let v = Vectors { keys };
    let cases = file["cases"].as_array().unwrap();
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (index, case) in cases.iter().enumerate() {
        let ctx = format!(
            "{FILE} case {index} ({} {} {})",
            case["op"].as_str().unwrap(),
            case["algorithm"].as_str().unwrap(),
            case.get("note").and_then(Case::as_str).unwrap_or("")
        );
        run_case(&v, case, index, &ctx);
        *counts
            .entry((
                case["algorithm"].as_str().unwrap().to_owned(),
                case["op"].as_str().unwrap().to_owned(),
            ))
            .or_default() += 1;
    }
    for alg in NEW {
        let of_alg: usize = counts
            .iter()
            .filter(|((a, _), _)| a == alg.name())
            .map(|(_, n)| n)
            .sum();
        assert!(
            of_alg >= MIN_CASES_PER_ALGORITHM,
            "{alg}: only {of_alg} cases"
        );
        for op in ["sign", "sign_object", "salted_hmac"] {
            assert!(
                counts.contains_key(&(alg.name().to_owned(), op.to_owned())),
                "{alg}: no {op} case"
            );
        }
    }
    println!(
        "{FILE} (Django {}, generated {}): {} cases {counts:?}",
        file["django"].as_str().unwrap(),
        file["generated"].as_str().unwrap(),
        cases.len()
    );
}

#[test]
fn digest_sizes_are_hashlibs() {
    let file = load();
    let hashlib = file["hashlib"].as_object().unwrap();
    assert_eq!(hashlib.len(), NEW.len());
    for alg in NEW {
        let sizes = &hashlib[alg.name()];
        assert_eq!(
            sizes["digest_size"].as_u64(),
            Some(alg.digest_len() as u64),
            "{alg}"
        );
        assert_eq!(
            alg.signature_len(),
            URL_SAFE_NO_PAD.encode(vec![0; alg.digest_len()]).len()
        );
    }
}

/// Django 2.2 has no `algorithm` argument: every builder that takes one refuses
/// anything but SHA-1 under the 2.2 profile, the new algorithms included, and
/// accepts every algorithm under 3.2 and later.
#[test]
fn only_django_2_2_refuses_the_new_algorithms() {
    let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789").unwrap();
    for alg in Algorithm::ALL {
        for version in [
            DjangoVersion::V2_2,
            DjangoVersion::V3_2,
            DjangoVersion::V4_2,
            DjangoVersion::V5_2,
            DjangoVersion::V6_0,
            DjangoVersion::V6_1,
        ] {
            let ok = version != DjangoVersion::V2_2 || alg == Algorithm::Sha1;
            let ctx = format!("{alg} under {version:?}");
            let signer = Signer::builder(&ring)
                .django(version)
                .algorithm(alg)
                .build();
            let timed = TimestampSigner::builder(&ring)
                .django(version)
                .algorithm(alg)
                .build();
            #[cfg_attr(not(feature = "django"), allow(unused_mut))]
            let mut results = vec![signer.map(drop), timed.map(drop)];
            #[cfg(feature = "django")]
            {
                use signring::django::{
                    MessagesCookie, PasswordResetTokens, SessionAuthHash, SessionCodec,
                    SignedCookie,
                };
                results.extend([
                    SessionCodec::builder(&ring)
                        .django(version)
                        .algorithm(alg)
                        .build()
                        .map(drop),
                    SessionAuthHash::new(
                        &ring,
                        &signring::Options::new().django(version).algorithm(alg),
                    )
                    .map(drop),
                    PasswordResetTokens::builder(&ring)
                        .django(version)
                        .algorithm(alg)
                        .build()
                        .map(drop),
                    SignedCookie::builder(&ring, "c")
                        .django(version)
                        .algorithm(alg)
                        .build()
                        .map(drop),
                    MessagesCookie::builder(&ring)
                        .django(version)
                        .algorithm(alg)
                        .build()
                        .map(drop),
                ]);
            }
            for (i, result) in results.into_iter().enumerate() {
                match result {
                    Ok(()) => assert!(ok, "{ctx}: builder {i} accepted it"),
                    Err(signring::ConfigError::Unsupported(_)) => {
                        assert!(!ok, "{ctx}: builder {i} refused it")
                    }
                    Err(e) => panic!("{ctx}: builder {i}: {e:?}"),
                }
            }
        }
    }
}

/// The new algorithms through the whole public surface: a round trip, the
/// verified algorithm, a different signature from every other algorithm, and
/// no cross-acceptance between algorithms that share a digest size.
#[test]
fn new_algorithms_round_trip_and_stay_apart() {
    let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789").unwrap();
    let signed: Vec<(Algorithm, String)> = Algorithm::ALL
        .into_iter()
        .map(|alg| {
            let signer = Signer::builder(&ring).algorithm(alg).build().unwrap();
            (alg, signer.sign("value"))
        })
        .collect();
    for (alg, text) in &signed {
        let signer = Signer::builder(&ring).algorithm(*alg).build().unwrap();
        let verified = signer.unsign(text).unwrap();
        assert_eq!(verified.algorithm(), *alg);
        assert!(!verified.is_stale());
        assert_eq!(
            text.len(),
            "value:".len() + alg.signature_len(),
            "{alg}: signature length"
        );
        for (other, other_text) in &signed {
            if other != alg {
                assert_ne!(text, other_text, "{alg} and {other} signed alike");
                refused(
                    &format!("{alg} reading {other}"),
                    "",
                    signer.unsign(other_text),
                );
            }
        }
    }
}
