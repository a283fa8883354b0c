//! `signing.loads` (`TimestampSigner` with `DUMPS_SALT`, `unsign_object_at`) and
//! `Signer::unsign_object`, on any text and on any text signed with the right
//! key (so base64, zlib and JSON decoding run on fuzzed payloads).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use signring::json::Value;
use signring::{DUMPS_SALT, Error, KeyRing, Signer, TimestampSigner};
use signring_fuzz::NOW;

static RING: LazyLock<KeyRing> = LazyLock::new(signring_fuzz::ring);
static DUMPS: LazyLock<TimestampSigner> = LazyLock::new(|| {
    TimestampSigner::builder(&RING)
        .salt(DUMPS_SALT)
        .build()
        .expect("signer")
});
static SIGNER: LazyLock<Signer> = LazyLock::new(|| Signer::builder(&RING).build().expect("signer"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = DUMPS.unsign_object_at::<Value>(text, NOW);
    let _ = SIGNER.unsign_object::<Value>(text);
    // Behind valid signatures: `text` is "payload:timestamp", or "payload".
    let signed = DUMPS.signer().sign(text);
    let loaded = DUMPS.unsign_object_at::<Value>(&signed, NOW);
    assert!(!matches!(loaded, Err(Error::BadSignature)));
    let signed = SIGNER.sign(text);
    let loaded = SIGNER.unsign_object::<Value>(&signed);
    assert!(!matches!(loaded, Err(Error::BadSignature)));
});
