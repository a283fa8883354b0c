//! Secret keys are wiped before their memory goes back to the allocator.
//!
//! This binary installs a global allocator that scans every block it frees for
//! a marker that only the test keys contain. Keys are built straight from a
//! `&'static [u8]` (static memory is never freed), and the tests make no other
//! copy of the marker, so any sighting means the library freed key bytes
//! without wiping them.
//!
//! The detection flag is global, so everything runs in sequence from a single
//! `#[test]` function.

use std::hint::black_box;

use signring::{KeyRing, MaxAge, SecretKey, Signer, TimestampSigner, UnixTime};

type Error = Box<dyn std::error::Error>;

macro_rules! marker {
    () => {
        "zeroize-on-drop-marker:7f3a9c1e-5b2d-4e8f-a6c0-91d7b3e25f48"
    };
}

/// The pattern searched for in freed memory (59 bytes).
const MARKER: &[u8] = marker!().as_bytes();
/// Fallback keys that contain the marker, so they are caught too.
const FALLBACK_ONE: &[u8] = concat!(marker!(), "-fallback-one").as_bytes();
const FALLBACK_TWO: &[u8] = concat!("fallback-two-", marker!()).as_bytes();
const NEXT_KEY: &[u8] = concat!("next-", marker!()).as_bytes();

#[path = "support/marker_detector.rs"]
mod marker_detector;

use marker_detector::{MarkerDetector, marker_freed_by};

#[global_allocator]
static ALLOCATOR: MarkerDetector = MarkerDetector;

fn ring_with_fallbacks() -> Result<KeyRing, Error> {
    Ok(KeyRing::from_key(SecretKey::new(MARKER)?)
        .with_fallback_key(SecretKey::new(FALLBACK_ONE)?)?
        .with_fallback(FALLBACK_TWO)?)
}

#[test]
fn key_bytes_are_wiped_before_their_memory_is_freed() -> Result<(), Error> {
    // Controls: the detector must see a marker freed as is, and nothing else.
    let detected = marker_freed_by(|| {
        let copy: Vec<u8> = MARKER.to_vec();
        black_box(&copy);
        drop(copy);
        Ok(())
    })?;
    assert!(
        detected,
        "control: a Vec holding the marker was freed unseen"
    );

    let detected = marker_freed_by(|| {
        let mut copy: Vec<u8> = MARKER.to_vec();
        black_box(&copy);
        copy.iter_mut().for_each(|byte| *byte = 0);
        black_box(&copy);
        Ok(())
    })?;
    assert!(!detected, "control: a wiped Vec was reported");

    assert!(
        !marker_freed_by(|| {
            let key = SecretKey::new(MARKER)?;
            let twin = key.clone();
            assert_eq!(black_box(&key), &twin);
            Ok(())
        })?,
        "a SecretKey (or its clone) was freed without being wiped"
    );

    assert!(
        !marker_freed_by(|| {
            let mut exact = Vec::with_capacity(MARKER.len());
            exact.extend_from_slice(MARKER);
            let key = SecretKey::from_vec(exact)?;
            assert_eq!(black_box(&key).len(), MARKER.len());
            Ok(())
        })?,
        "SecretKey::from_vec (no spare capacity) was freed without being wiped"
    );

    assert!(
        !marker_freed_by(|| {
            let ring = ring_with_fallbacks()?;
            assert_eq!(ring.key_count(), 3);
            let copy = ring.clone();
            let signed = copy.sign("v");
            assert!(ring.unsign(&signed)?.key_index() == 0);
            drop(copy);
            // Rotation moves keys around; ending it drops the fallbacks.
            let mut ring = ring;
            ring.rotate(NEXT_KEY)?;
            assert_eq!(ring.key_count(), 4);
            let ring = ring.without_fallbacks();
            assert_eq!(black_box(&ring).key_count(), 1);
            Ok(())
        })?,
        "a KeyRing with fallbacks freed key bytes without wiping them"
    );

    assert!(
        !marker_freed_by(|| {
            let ring = ring_with_fallbacks()?;
            let signer = Signer::builder(&ring).salt("s").build()?;
            let timed = TimestampSigner::builder(&ring)
                .max_age(MaxAge::from_secs(60))
                .build()?;
            let now = UnixTime::from_secs_f64(1_600_000_000.0);
            let signed = signer.sign("v");
            assert_eq!(*signer.unsign(&signed)?.value(), "v");
            let signed = timed.sign_at("v", now);
            assert_eq!(*timed.unsign_at(&signed, now)?.value(), "v");
            // The signers outlive the ring they were built from.
            drop(ring);
            let clones = (signer.clone(), timed.clone());
            black_box(&clones);
            drop(clones);
            drop(signer);
            drop(timed);
            Ok(())
        })?,
        "a Signer or TimestampSigner built from the ring freed key bytes without wiping them"
    );

    // BUG: `SecretKey::from_vec` promises to take the Vec "without copying it",
    // but `Vec::into_boxed_slice` reallocates when there is spare capacity,
    // and the old block, still holding the key, is freed unwiped.
    assert!(
        !marker_freed_by(|| {
            let mut roomy = Vec::with_capacity(4 * MARKER.len());
            roomy.extend_from_slice(MARKER);
            let key = SecretKey::from_vec(roomy)?;
            assert_eq!(black_box(&key).len(), MARKER.len());
            Ok(())
        })?,
        "SecretKey::from_vec with spare capacity freed the caller's key bytes without wiping them"
    );
    Ok(())
}
