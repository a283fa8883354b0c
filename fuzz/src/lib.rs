//! What the fuzz targets share: the key ring of the committed Django vectors
//! (`tests/data/django/*.json`), so that the seeds `seed_corpora.py` writes
//! verify, and the clock those vectors use.

use signring::{KeyRing, UnixTime};

/// `SECRET_KEY` of the vectors.
pub const CURRENT: &str = "doc-example-secret-key-not-used-anywhere-else-0123456789";
/// `SECRET_KEY_FALLBACKS` of the vectors (the second is non-ASCII).
pub const FALLBACKS: [&str; 2] = [
    "fallback-one-retired-2024-Qw3rTy7uIoP1aSdFgHjKlZxCvBnM-0123456789",
    "fallback-two-retired-2023-\u{fc}n\u{ef}c\u{f6}d\u{e9}-key-0p9o8i7u6y5t4r3e2w1q-zz",
];
/// The vectors' frozen `time.time()` (base62 `1kHR5c`).
pub const T0: f64 = 1_600_000_000.0;
/// "Now" for the targets: shortly after the vectors signed their values.
pub const NOW: UnixTime = UnixTime::from_secs_f64(T0 + 100.0);

/// Current key plus two fallbacks.
///
/// # Panics
///
/// Never: the keys are not empty.
#[must_use]
pub fn ring() -> KeyRing {
    FALLBACKS
        .iter()
        .fold(KeyRing::new(CURRENT).expect("key"), |ring, key| {
            ring.with_fallback(key).expect("key")
        })
}

/// A ring holding only key `index` of [`ring`] (0 current, 1 and 2 the
/// fallbacks): what signed a value that `ring()` verifies with that index.
///
/// # Panics
///
/// If `index > 2`.
#[must_use]
pub fn single(index: usize) -> KeyRing {
    let key = if index == 0 {
        CURRENT
    } else {
        FALLBACKS[index - 1]
    };
    KeyRing::new(key).expect("key")
}

/// Django's cookie signers use `"django.http.cookies" + key` as the key: the
/// same ring, prefixed, for signing test inputs the way `SignedCookie` and
/// `MessagesCookie` verify them.
///
/// # Panics
///
/// Never.
#[must_use]
pub fn cookie_ring() -> KeyRing {
    let prefixed = |key: &str| format!("django.http.cookies{key}");
    FALLBACKS.iter().fold(
        KeyRing::new(prefixed(CURRENT)).expect("key"),
        |ring, key| ring.with_fallback(prefixed(key)).expect("key"),
    )
}

/// Splits `data` at the first `\n`: two text fields from one input.
#[must_use]
pub fn split2(data: &str) -> (&str, &str) {
    data.split_once('\n').unwrap_or((data, ""))
}
