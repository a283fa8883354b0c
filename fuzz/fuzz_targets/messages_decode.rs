//! `MessagesCookie::decode` (2.2, 3.2 and 6.1, reading older formats) on any
//! text and on any text signed with the messages salt.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use signring::django::MessagesCookie;
use signring::{DjangoVersion, Error, KeyRing, TimestampSigner};

static RING: LazyLock<KeyRing> = LazyLock::new(signring_fuzz::ring);
static MESSAGES: LazyLock<Vec<MessagesCookie>> = LazyLock::new(|| {
    [
        DjangoVersion::V2_2,
        DjangoVersion::V3_2,
        DjangoVersion::V6_1,
    ]
    .into_iter()
    .map(|version| {
        MessagesCookie::builder(&RING)
            .django(version)
            .read_older_formats(true)
            .build()
            .expect("messages")
    })
    .collect()
});
static COOKIE_RING: LazyLock<KeyRing> = LazyLock::new(signring_fuzz::cookie_ring);
static SIGNER: LazyLock<TimestampSigner> = LazyLock::new(|| {
    TimestampSigner::builder(&COOKIE_RING)
        .salt("django.contrib.messages")
        .build()
        .expect("signer")
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let signed = SIGNER.signer().sign(text);
    for (index, messages) in MESSAGES.iter().enumerate() {
        let _ = messages.decode(text);
        let decoded = messages.decode(&signed);
        // 3.2 and 6.1 read the signed format (2.2 only its own `$` format).
        if index > 0 {
            assert!(!matches!(decoded, Err(Error::BadSignature)), "{decoded:?}");
        }
    }
});
