//! `Signer::unsign` and `KeyRing::unsign` (current key + 2 fallbacks) on any text.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use signring::{DjangoVersion, KeyRing, Signer};

static RING: LazyLock<KeyRing> = LazyLock::new(signring_fuzz::ring);
static SIGNER: LazyLock<Signer> = LazyLock::new(|| Signer::builder(&RING).build().expect("signer"));
// 3.2 also accepts legacy SHA-1 signatures made with the current key.
static SIGNER_3_2: LazyLock<Signer> = LazyLock::new(|| {
    Signer::builder(&RING)
        .django(DjangoVersion::V3_2)
        .build()
        .expect("signer")
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let by_signer = SIGNER
        .unsign(text)
        .map(|v| (*v.value(), v.key_index(), v.is_stale()));
    let by_ring = RING
        .unsign(text)
        .map(|v| (*v.value(), v.key_index(), v.is_stale()));
    assert_eq!(
        by_signer, by_ring,
        "the ring's default signer is Signer::builder(ring)"
    );
    if let Ok((value, key_index, stale)) = by_ring {
        assert!(text.starts_with(value));
        assert_eq!(stale, key_index != 0);
    }
    let _ = SIGNER_3_2.unsign(text);
});
