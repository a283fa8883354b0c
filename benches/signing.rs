//! Criterion benchmarks, each reported as a ratio to a raw baseline measured in
//! the same run: base64url-decode of the signature, one HMAC-SHA256 from a
//! precomputed keyed state, and a constant-time compare.
//!
//! `cargo bench --bench signing` runs them and prints the ratio table;
//! `cargo bench -- --test` runs each once as a check.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set up should fail loudly

use std::hint::black_box;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use signring::django::{SessionAuthHash, SessionCodec};
use signring::json::{self, Map, Value};
use signring::{DUMPS_SALT, KeyRing, MaxAge, Signer, TimestampSigner, UnixTime};
use subtle::ConstantTimeEq;

const KEY: &str = "doc-example-secret-key-not-used-anywhere-else-0123456789";
/// A 40-byte value, the size of a session key or a user id with a nonce.
const VALUE: &str = "user:42:a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn fallback(i: usize) -> String {
    format!("a-retired-key-number-{i}-0123456789abcdefghijklmnopqrstuv")
}

/// A ring with `n` fallbacks.
fn ring_with(n: usize) -> KeyRing {
    (0..n).fold(KeyRing::new(KEY).unwrap(), |ring, i| {
        ring.with_fallback(fallback(i)).unwrap()
    })
}

/// A login-shaped session of about 200 bytes of JSON.
fn typical_session() -> Map {
    json::from_str(concat!(
        r#"{"_auth_user_id":"42","_auth_user_backend":"django.contrib.auth.backends.ModelBackend","#,
        r#""_auth_user_hash":"21d743acc9eb29afa39f6dc72882d056fb4890fb1e04f3a6af1bd448ebb1d40f","#,
        r#""cart":[3,14,15],"theme":"dark"}"#
    ))
    .unwrap()
}

/// A 20 KB session: many small entries, as a shopping cart or a wizard.
fn large_session() -> Map {
    let mut map = typical_session();
    for i in 0..280 {
        map.insert(
            format!("item_{i:04}"),
            Value::String(format!(
                "product-{:08x}",
                i * 2_654_435_761u64 % 4_294_967_291
            )),
        );
    }
    map
}

fn baseline(c: &mut Criterion) {
    let signer = Signer::builder(&ring_with(0)).build().unwrap();
    let signed = signer.sign(VALUE);
    let (message, signature) = signed.rsplit_once(':').unwrap();
    let derived = Sha256::new()
        .chain_update(b"django.core.signing.Signersigner")
        .chain_update(KEY)
        .finalize();
    let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(&derived).unwrap();
    c.bench_function("baseline/hmac_sha256/40B", |b| {
        b.iter(|| {
            let mut decoded = [0u8; 32];
            let n = URL_SAFE_NO_PAD
                .decode_slice(black_box(signature), &mut decoded)
                .unwrap();
            let tag = keyed
                .clone()
                .chain_update(black_box(message).as_bytes())
                .finalize()
                .into_bytes();
            assert!(bool::from(tag.as_slice().ct_eq(&decoded[..n])));
        })
    });
}

fn unsign(c: &mut Criterion) {
    let mut group = c.benchmark_group("unsign");
    group.throughput(Throughput::Bytes(VALUE.len() as u64));
    let current = Signer::builder(&ring_with(0)).build().unwrap().sign(VALUE);
    for n in [0usize, 8] {
        let signer = Signer::builder(&ring_with(n)).build().unwrap();
        group.bench_with_input(
            BenchmarkId::new("current_key", format!("{n}_fallbacks")),
            &current,
            |b, s| b.iter(|| assert_eq!(signer.unsign(black_box(s)).unwrap().key_index(), 0)),
        );
    }
    for n in [1usize, 3, 8] {
        let signer = Signer::builder(&ring_with(n)).build().unwrap();
        let old = Signer::builder(&KeyRing::new(fallback(n - 1)).unwrap())
            .build()
            .unwrap()
            .sign(VALUE);
        group.bench_with_input(
            BenchmarkId::new("last_fallback", format!("{n}_fallbacks")),
            &old,
            |b, s| b.iter(|| assert_eq!(signer.unsign(black_box(s)).unwrap().key_index(), n)),
        );
    }
    let forged = format!("{VALUE}:{}", "A".repeat(43));
    for n in [0usize, 8] {
        let signer = Signer::builder(&ring_with(n)).build().unwrap();
        group.bench_with_input(
            BenchmarkId::new("unverifiable", format!("{n}_fallbacks")),
            &forged,
            |b, s| b.iter(|| assert!(signer.unsign(black_box(s)).is_err())),
        );
    }
    group.finish();

    let ring = ring_with(0);
    let signer = Signer::builder(&ring).build().unwrap();
    c.bench_function("sign/signer/40B", |b| {
        b.iter(|| assert!(signer.sign(black_box(VALUE)).len() > 40))
    });
    let timed = TimestampSigner::builder(&ring)
        .max_age(MaxAge::from_secs(3600))
        .build()
        .unwrap();
    let now = UnixTime::from_secs_f64(1_700_000_000.0);
    let signed = timed.sign_at(VALUE, now);
    c.bench_function("unsign/timestamp_max_age/40B", |b| {
        b.iter(|| {
            assert_eq!(
                timed
                    .unsign_at(black_box(&signed), now)
                    .unwrap()
                    .value()
                    .len(),
                40
            )
        })
    });
    c.bench_function("sign/timestamp/40B", |b| {
        b.iter(|| assert!(timed.sign_at(black_box(VALUE), now).len() > 40))
    });
}

fn objects(c: &mut Criterion) {
    let ring = ring_with(0);
    let signer = TimestampSigner::builder(&ring)
        .salt(DUMPS_SALT)
        .build()
        .unwrap();
    let now = UnixTime::from_secs_f64(1_700_000_000.0);
    for (name, session) in [
        ("session_200B", typical_session()),
        ("session_20KB", large_session()),
    ] {
        let size = json::to_vec(&session).unwrap().len();
        for compress in [false, true] {
            let mode = if compress { "compressed" } else { "plain" };
            let mut group = c.benchmark_group(format!("dumps/{name}"));
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_function(mode, |b| {
                b.iter(|| {
                    assert!(
                        signer
                            .sign_object_at(black_box(&session), compress, now)
                            .unwrap()
                            .len()
                            > 10
                    )
                })
            });
            group.finish();
            let signed = signer.sign_object_at(&session, compress, now).unwrap();
            let mut group = c.benchmark_group(format!("loads/{name}"));
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_function(mode, |b| {
                // Django's loads returns a dict: the equivalent is the JSON tree.
                b.iter(|| {
                    let loaded = signer.unsign_value_at(black_box(&signed), now).unwrap();
                    assert!(
                        matches!(loaded.value(), Value::Object(map) if map.len() == session.len())
                    );
                })
            });
            group.finish();
        }
    }
}

/// A JSON object of about `size` bytes, `"k0":0,"k1":1,…`, whose last key
/// repeats the first one, and its number of distinct keys.
fn object_with_one_duplicate(size: usize) -> (String, usize) {
    let mut text = String::from("{");
    let mut keys = 0;
    while text.len() < size {
        text.push_str(&format!("\"k{keys}\":{keys},"));
        keys += 1;
    }
    text.push_str("\"k0\":-1}");
    (text, keys)
}

/// Parsing JSON adversarially shaped for the parser's map building: one
/// duplicate key in a megabyte object (Python's `json.loads`: about 45 ms).
fn json_parse(c: &mut Criterion) {
    let (text, keys) = object_with_one_duplicate(1 << 20);
    let mut group = c.benchmark_group("json/parse");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(10);
    group.bench_function("1mb_object_one_duplicate", |b| {
        b.iter(|| {
            let value: Value = json::from_slice(black_box(text.as_bytes())).unwrap();
            assert!(matches!(&value, Value::Object(map) if map.len() == keys));
        })
    });
    group.finish();
}

fn django(c: &mut Criterion) {
    let now = UnixTime::from_secs_f64(1_700_000_000.0);
    let old = KeyRing::new(fallback(0)).unwrap();
    let password = "pbkdf2_sha256$600000$salt$hash";
    let mut session = typical_session();
    let old_hash = SessionAuthHash::new(&old, &Default::default())
        .unwrap()
        .hash(password);
    session.insert("_auth_user_hash".into(), Value::String(old_hash));
    let row = SessionCodec::builder(&old)
        .build()
        .unwrap()
        .encode_at(&session, now)
        .unwrap();
    let ring = ring_with(1);
    let codec = SessionCodec::builder(&ring).build().unwrap();
    let auth = SessionAuthHash::new(&ring, &Default::default()).unwrap();
    c.bench_function("django/session_decode/200B", |b| {
        b.iter(|| {
            assert_eq!(
                codec
                    .decode_at(black_box(&row), now)
                    .unwrap()
                    .record
                    .key_index,
                1
            )
        })
    });
    c.bench_function("django/session_rotate/200B", |b| {
        b.iter(|| {
            let rotated = codec
                .rotate_at(black_box(&row), &auth, |_| Some(password.to_owned()), now)
                .unwrap();
            assert!(rotated.hash_rewritten);
        })
    });
}

/// Medians from this run's Criterion estimates, by benchmark id.
fn medians(dir: &Path, out: &mut Vec<(String, f64)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "new") {
            let id = std::fs::read_to_string(path.join("benchmark.json")).ok();
            let estimates = std::fs::read_to_string(path.join("estimates.json")).ok();
            if let (Some(id), Some(estimates)) = (id, estimates) {
                let id: serde_json::Value = serde_json::from_str(&id).unwrap();
                let estimates: serde_json::Value = serde_json::from_str(&estimates).unwrap();
                if let (Some(id), Some(median)) = (
                    id["full_id"].as_str(),
                    estimates["median"]["point_estimate"].as_f64(),
                ) {
                    out.push((id.to_owned(), median));
                }
            }
        } else if path.is_dir() {
            medians(&path, out);
        }
    }
}

fn print_ratios() {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        Into::into,
    );
    let mut found = Vec::new();
    medians(&target.join("criterion"), &mut found);
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let Some(&(_, base)) = found
        .iter()
        .find(|(id, _)| id == "baseline/hmac_sha256/40B")
    else {
        return;
    };
    println!(
        "\n{:<48} {:>12} {:>10}",
        "benchmark (median)", "time", "× baseline"
    );
    for (id, median) in &found {
        println!("{id:<48} {:>9.0} ns {:>10.2}", median, median / base);
    }
    let ratio = |id: &str| found.iter().find(|(i, _)| i == id).map(|(_, m)| m / base);
    let check = |name: &str, value: Option<f64>, target: &str, ok: bool| {
        if let Some(value) = value {
            println!(
                "target {name}: {value:.2} ({target}) {}",
                if ok { "met" } else { "MISSED" }
            );
        }
    };
    let current = ratio("unsign/current_key/0_fallbacks");
    check(
        "unsign current key vs baseline",
        current,
        "≤ 1.20",
        current.is_some_and(|r| r <= 1.2),
    );
    if let (Some(zero), Some(eight)) = (current, ratio("unsign/current_key/8_fallbacks")) {
        check(
            "current key, 8 vs 0 fallbacks",
            Some(eight / zero),
            "≤ 1.05",
            eight / zero <= 1.05,
        );
    }
    for n in [1u8, 3, 8] {
        let worst = ratio(&format!("unsign/last_fallback/{n}_fallbacks"));
        let bound = f64::from(n + 1) * 1.2;
        check(
            &format!("last of {n} fallbacks"),
            worst,
            &format!("≈ {} × baseline, ≤ {bound:.1}", n + 1),
            worst.is_some_and(|r| r <= bound),
        );
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .configure_from_args();
    baseline(&mut criterion);
    unsign(&mut criterion);
    objects(&mut criterion);
    json_parse(&mut criterion);
    django(&mut criterion);
    criterion.final_summary();
    print_ratios();
}
