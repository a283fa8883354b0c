//! `KeyRing::from_env_with` wipes every copy of the keys it reads, including
//! the fallback keys decoded from the JSON of `SECRET_KEY_FALLBACKS` when they
//! contain escapes or non-ASCII characters (which make a growing string buffer
//! move, leaving the old block behind).
//!
//! Like `zeroize_on_drop.rs`, this binary installs a global allocator that
//! scans every block it frees for a marker that only the test keys contain.
//! The environment values are built from `&'static str` (static memory is
//! never freed) and handed to the library, which promises to wipe them; the
//! test makes no other copy of the marker, so any sighting means the library
//! freed key bytes without wiping them.
//!
//! The detection flag is global, so everything runs in sequence from a single
//! `#[test]` function. This is its own test binary because the allocator is
//! global.

use std::hint::black_box;

use signring::{ConfigError, KeyLoader};

type Error = Box<dyn std::error::Error>;

macro_rules! marker {
    () => {
        "zeroize-from-env-marker:3c8e1f5a-9d27-4b60-8e4f-c1a2b7d9e063"
    };
}

/// The pattern searched for in freed memory.
const MARKER: &[u8] = marker!().as_bytes();

/// `SECRET_KEY`, plain.
const CURRENT: &str = concat!("current-", marker!());

/// `SECRET_KEY_FALLBACKS`, each key with the marker followed by what makes
/// the decoder's buffer grow in a naive parser: escapes of every kind, a
/// surrogate pair, and raw non-ASCII characters.
const FALLBACKS_JSON: &str = concat!(
    "[\n  \"",
    marker!(),
    "-escaped-\\u00e9\\n\\t\\\"\\\\\\/\\b\\f\\r\",\n  \"",
    marker!(),
    "-pair-\\ud83d\\ude00-end\",\n  \"",
    marker!(),
    "-raw-é-😀-ü\"\n]"
);

/// The three fallbacks as decoded, for checking the ring.
const DECODED: [&str; 3] = [
    concat!(marker!(), "-escaped-é\n\t\"\\/\u{8}\u{c}\r"),
    concat!(marker!(), "-pair-😀-end"),
    concat!(marker!(), "-raw-é-😀-ü"),
];

#[path = "support/marker_detector.rs"]
mod marker_detector;

use marker_detector::{MarkerDetector, marker_freed_by};

#[global_allocator]
static ALLOCATOR: MarkerDetector = MarkerDetector;

/// An environment holding `fallbacks` as `SECRET_KEY_FALLBACKS`.
fn env(fallbacks: &'static str) -> impl Fn(&str) -> Option<String> {
    move |name| match name {
        "SECRET_KEY" => Some(CURRENT.to_owned()),
        "SECRET_KEY_FALLBACKS" => Some(fallbacks.to_owned()),
        _ => None,
    }
}

#[test]
fn keys_read_from_the_environment_are_wiped_before_their_memory_is_freed() -> Result<(), Error> {
    // Control: the detector sees a marker freed as is.
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

    assert!(
        !marker_freed_by(|| {
            let ring = KeyLoader::new()
                .danger_allow_weak_keys()
                .env_with(env(FALLBACKS_JSON))?;
            assert_eq!(ring.key_count(), 4);
            // Each decoded fallback is in the ring: adding it again is refused.
            for key in DECODED {
                assert_eq!(
                    ring.clone().with_fallback(key).unwrap_err(),
                    ConfigError::DuplicateKey
                );
            }
            drop(black_box(ring));
            Ok(())
        })?,
        "KeyRing::from_env_with freed fallback key bytes decoded from JSON without wiping them"
    );

    // Refused lists are wiped too: a bad element after good ones, an
    // unterminated string, a lone surrogate, an empty key.
    for bad in [
        concat!("[\"", marker!(), "-\\u00e9\", 1]"),
        concat!("[\"", marker!(), "-é-\\n"),
        concat!("[\"", marker!(), "-\\u00e9-\\ud800\"]"),
        concat!("[\"", marker!(), "-é\", \"\"]"),
    ] {
        assert!(
            !marker_freed_by(|| {
                assert!(
                    KeyLoader::new()
                        .danger_allow_weak_keys()
                        .env_with(env(bad))
                        .is_err()
                );
                Ok(())
            })?,
            "KeyRing::from_env_with freed key bytes of a refused SECRET_KEY_FALLBACKS without wiping them: {bad:?}"
        );
    }
    Ok(())
}
