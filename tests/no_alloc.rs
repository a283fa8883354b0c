//! Verifying a plain value allocates nothing: a counting global allocator
//! proves it for `Signer`, `TimestampSigner` and `KeyRing` on every outcome,
//! and for `Signer` under every algorithm.
//!
//! This file is its own test binary because the allocator is global.

#![allow(clippy::unwrap_used)] // a test that cannot set up should fail loudly

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use signring::{
    Algorithm, FixedClock, KeyRing, MaxAge, RingKey, Signer, TimestampSigner, UnixTime,
};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the only
// addition is a thread-local counter, which does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How many allocations `f` makes on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - before, out)
}

#[test]
fn unsign_of_a_plain_value_does_not_allocate() {
    let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")
        .unwrap()
        .with_fallback("an-older-key-that-signed-last-quarter-0123456789abcdef")
        .unwrap();
    let value = "a forty-byte value, as a session id is.";
    let signer = Signer::builder(&ring).build().unwrap();
    let every = Signer::builder(&ring).try_every_key(true).build().unwrap();
    let old = Signer::builder(
        &KeyRing::new("an-older-key-that-signed-last-quarter-0123456789abcdef").unwrap(),
    )
    .build()
    .unwrap();
    let current = signer.sign(value);
    let fallback = old.sign(value);
    let forged = format!("{value}:{}", "A".repeat(43));

    // The counter works: signing returns a new String.
    let (n, _) = allocations(|| signer.sign(value));
    assert!(n >= 1, "the counting allocator must see sign's allocation");

    for s in [&signer, &every] {
        let (n, result) = allocations(|| s.unsign(&current).map(|v| v.key_index()));
        assert_eq!((n, result), (0, Ok(0)), "current key");
        let (n, result) = allocations(|| s.unsign(&fallback).map(|v| v.key_index()));
        assert_eq!((n, result), (0, Ok(1)), "fallback key");
        let (n, result) = allocations(|| s.unsign(&forged).is_err());
        assert_eq!((n, result), (0, true), "bad signature");
        let (n, result) = allocations(|| s.unsign("no separator").is_err());
        assert_eq!((n, result), (0, true), "malformed");
    }

    let timed = TimestampSigner::builder(&ring)
        .max_age(MaxAge::from_secs(60))
        .build()
        .unwrap();
    let now = UnixTime::from_secs_f64(1_700_000_000.0);
    let signed = timed.sign_at(value, now);
    let (n, result) = allocations(|| timed.unsign_at(&signed, now).map(|v| v.timestamp()));
    assert_eq!(
        (n, result),
        (0, Ok(Some(1_700_000_000))),
        "timestamp signer"
    );
    let later = UnixTime::from_secs_f64(1_700_000_061.0);
    let (n, expired) = allocations(|| timed.unsign_at(&signed, later).is_err());
    assert_eq!((n, expired), (0, true), "expired");

    // Keys with an expiry make the signer read its clock: still no allocation.
    let expiring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")
        .unwrap()
        .with_ring_key(
            RingKey::new("an-older-key-that-signed-last-quarter-0123456789abcdef")
                .unwrap()
                .id("old")
                .not_after(UnixTime::from_secs_f64(4e9)),
        )
        .unwrap();
    for s in [
        Signer::builder(&expiring).build().unwrap(),
        Signer::builder(&expiring)
            .clock(FixedClock::new(now))
            .try_every_key(true)
            .build()
            .unwrap(),
    ] {
        let (n, result) = allocations(|| s.unsign(&fallback).map(|v| v.key_index()));
        assert_eq!((n, result), (0, Ok(1)), "fallback key with an expiry");
    }
}

#[test]
fn unsign_does_not_allocate_under_any_algorithm() {
    let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")
        .unwrap()
        .with_fallback("an-older-key-that-signed-last-quarter-0123456789abcdef")
        .unwrap();
    let old = KeyRing::new("an-older-key-that-signed-last-quarter-0123456789abcdef").unwrap();
    let value = "a forty-byte value, as a session id is.";
    for algorithm in Algorithm::ALL {
        for every in [false, true] {
            let signer = Signer::builder(&ring)
                .algorithm(algorithm)
                .try_every_key(every)
                .build()
                .unwrap();
            let old = Signer::builder(&old).algorithm(algorithm).build().unwrap();
            let current = signer.sign(value);
            let fallback = old.sign(value);
            let forged = format!("{value}:{}", "A".repeat(algorithm.signature_len()));
            let ctx = format!("{algorithm}, try_every_key {every}");
            let (n, result) = allocations(|| signer.unsign(&current).map(|v| v.key_index()));
            assert_eq!((n, result), (0, Ok(0)), "{ctx}: current key");
            let (n, result) = allocations(|| signer.unsign(&fallback).map(|v| v.key_index()));
            assert_eq!((n, result), (0, Ok(1)), "{ctx}: fallback key");
            let (n, result) = allocations(|| signer.unsign(&forged).is_err());
            assert_eq!((n, result), (0, true), "{ctx}: bad signature");
        }
    }
}
