//! A dudect-style timing test (Reparaz, Balasch, Verbauwhede, 2017): does the
//! time `unsign` takes depend on *where* a forged signature is wrong?
//!
//! Two classes of inputs are measured in random interleaved order, and Welch's
//! t-statistic compares their timing distributions, whole and cropped at
//! several percentiles to remove scheduling noise. |t| above 4.5 is evidence of
//! a leak. It also shows what timing does reveal: which key matched.
//!
//! `cargo bench --bench timing` runs 4 million measurements per comparison;
//! `cargo bench --bench timing -- --test` runs a few thousand as a smoke check.

// Nanosecond timings and sample counts go through f64 for the statistics.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]
#![allow(clippy::unwrap_used)] // a benchmark that cannot set up should fail loudly

use std::hint::black_box;
use std::time::Instant;

use signring::{KeyRing, Signer};

const KEY: &str = "doc-example-secret-key-not-used-anywhere-else-0123456789";
const OLD: &str = "an-older-key-that-signed-last-quarter-0123456789abcdef";
const VALUE: &str = "user:42:a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// xorshift64*: a fixed-seed generator, enough to interleave the classes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Running mean and variance (Welford).
#[derive(Default, Clone, Copy)]
struct Stats {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Stats {
    fn push(&mut self, x: f64) {
        self.n += 1.0;
        let delta = x - self.mean;
        self.mean += delta / self.n;
        self.m2 += delta * (x - self.mean);
    }
    fn variance(&self) -> f64 {
        self.m2 / (self.n - 1.0)
    }
}

fn welch_t(a: &Stats, b: &Stats) -> f64 {
    (a.mean - b.mean) / (a.variance() / a.n + b.variance() / b.n).sqrt()
}

/// Measures `f(class)` `total` times in random class order and returns the
/// largest |t| over the whole data and several percentile crops, with the
/// per-class medians in nanoseconds.
///
/// Both classes' inputs are copied into the same buffer before each
/// measurement (outside the timed region), so they differ in content only, not
/// in address or alignment.
fn compare(total: usize, inputs: [&str; 2], f: impl Fn(&str)) -> (f64, f64, [f64; 2]) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut samples: [Vec<f64>; 2] = [
        Vec::with_capacity(total / 2 + 1),
        Vec::with_capacity(total / 2 + 1),
    ];
    let mut buffer = String::with_capacity(inputs[0].len().max(inputs[1].len()));
    for _ in 0..total {
        let class = usize::from(rng.next() & 1 == 1);
        buffer.clear();
        buffer.push_str(inputs[class]);
        let start = Instant::now();
        f(black_box(&buffer));
        let elapsed = start.elapsed().as_nanos() as f64;
        samples[class].push(elapsed);
    }
    let mut all: Vec<f64> = samples.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let percentile = |p: f64| all[((all.len() - 1) as f64 * p) as usize];
    let mut worst: f64 = 0.0;
    let mut uncropped = 0.0;
    for crop in [1.0, 0.99, 0.95, 0.9, 0.75, 0.5] {
        let limit = percentile(crop);
        let stats: Vec<Stats> = samples
            .iter()
            .map(|s| {
                s.iter()
                    .filter(|&&x| x <= limit)
                    .fold(Stats::default(), |mut st, &x| {
                        st.push(x);
                        st
                    })
            })
            .collect();
        let t = welch_t(&stats[0], &stats[1]);
        if crop == 1.0 {
            uncropped = t;
        }
        worst = worst.max(t.abs());
    }
    let median = |s: &Vec<f64>| {
        let mut s = s.clone();
        s.sort_by(f64::total_cmp);
        s[s.len() / 2]
    };
    (worst, uncropped, [median(&samples[0]), median(&samples[1])])
}

fn report(name: &str, total: usize, result: (f64, f64, [f64; 2]), expect_leak: bool) -> bool {
    let (worst, uncropped, [a, b]) = result;
    let verdict = if worst < 4.5 {
        "no evidence of a leak"
    } else {
        "distinguishable"
    };
    println!(
        "{name}: {total} measurements, max |t| = {worst:.2} (uncropped t = {uncropped:.2}), medians {a:.0} ns vs {b:.0} ns: {verdict}{}",
        if expect_leak {
            " (expected: documented in SECURITY.md)"
        } else {
            ""
        }
    );
    expect_leak || worst < 4.5
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    let total = if smoke { 20_000 } else { 4_000_000 };
    let ring = KeyRing::new(KEY).unwrap().with_fallback(OLD).unwrap();
    let signer = Signer::builder(&ring).build().unwrap();
    let every = Signer::builder(&ring).try_every_key(true).build().unwrap();

    // Forged signatures of the right length, wrong in the first or the last
    // character: a byte-by-byte comparison would return sooner for the first.
    let good = signer.sign(VALUE);
    let flip = |s: &str, at: usize| {
        let mut bytes = s.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    let first = flip(&good, VALUE.len() + 1);
    let last = flip(&good, good.len() - 1);
    let inputs = [first.as_str(), last.as_str()];
    let position = compare(total, inputs, |input| {
        assert!(signer.unsign(input).is_err())
    });
    let mut ok = report(
        "wrong first byte vs wrong last byte",
        total,
        position,
        false,
    );

    // What timing does reveal: a value signed with the current key verifies
    // after one HMAC, one signed with the first fallback after two.
    let old = Signer::builder(&KeyRing::new(OLD).unwrap())
        .build()
        .unwrap()
        .sign(VALUE);
    let hits = [good.as_str(), old.as_str()];
    let which_key = compare(total, hits, |input| assert!(signer.unsign(input).is_ok()));
    ok &= report(
        "current key vs fallback key (stop at first match)",
        total,
        which_key,
        true,
    );
    let hidden = compare(total, hits, |input| assert!(every.unsign(input).is_ok()));
    ok &= report(
        "current key vs fallback key (try_every_key)",
        total,
        hidden,
        false,
    );

    if !smoke && !ok {
        eprintln!("timing: a comparison that should show no leak exceeded |t| = 4.5");
        std::process::exit(1);
    }
}
