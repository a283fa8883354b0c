//! `TimestampSigner::unsign_at` with a `max_age`, on any text and on any text
//! signed with the right key (so the timestamp parser and the age check run).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use signring::{Error, KeyRing, MaxAge, TimestampSigner};
use signring_fuzz::NOW;

static RING: LazyLock<KeyRing> = LazyLock::new(signring_fuzz::ring);
static SIGNER: LazyLock<TimestampSigner> = LazyLock::new(|| {
    TimestampSigner::builder(&RING)
        .max_age(MaxAge::from_secs(3600))
        .build()
        .expect("signer")
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = SIGNER.unsign_at(text, NOW);
    // Behind a valid signature: `text` is "value:timestamp" (or not).
    let signed = SIGNER.signer().sign(text);
    match SIGNER.unsign_at(&signed, NOW) {
        Ok(verified) => {
            let (value, timestamp) = text.rsplit_once(':').expect("a timestamp was found");
            assert_eq!(*verified.value(), value);
            assert_eq!(
                verified.timestamp(),
                signring::internal::b62_decode(timestamp)
            );
            assert!(!verified.is_stale());
        }
        Err(Error::BadSignature) => panic!("a value signed by the current key must verify"),
        Err(_) => {}
    }
});
