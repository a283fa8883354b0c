//! Every key loader on arbitrary text: keys files, ring configurations and
//! `SECRET_KEY_FALLBACKS`. None panics; whatever loads under the strict policy
//! also loads when weak keys are allowed, with the same keys; a keys file
//! never yields a key holding whitespace.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signring::KeyLoader;

const CURRENT: &str = "the-current-key-0123456789abcdefghijklmnopqrstuvwxyz";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let strict = KeyLoader::new();
    let loose = KeyLoader::new().danger_allow_weak_keys();
    let file = loose.keys_text(text);
    if let Ok(ring) = &file {
        assert!(ring.key_count() >= 1);
        assert!(ring.keys().all(|k| k.len() > 0), "keys are never empty");
    }
    if let Ok(ring) = strict.keys_text(text) {
        assert_eq!(file.as_ref().map(|r| r.key_count()).ok(), Some(ring.key_count()));
    }
    let _ = strict.ring_text(text);
    let _ = loose.ring_text(text);
    let env = |name: &str| match name {
        "SECRET_KEY" => Some(CURRENT.to_owned()),
        "SECRET_KEY_FALLBACKS" => Some(text.to_owned()),
        _ => None,
    };
    if let Ok(ring) = loose.env_with(env) {
        let alone = signring::KeyRing::new(CURRENT).expect("a key");
        assert_eq!(ring.id(0), alone.id(0), "SECRET_KEY stays current");
    }
});
