//! `SignedCookie::unsign_at` (4.2: legacy salt; 5.2: v2 salt, legacy fallback)
//! on any text, on its `unquote_cookie_value`, and on any text signed with
//! either salt; plus quote/unquote and sign/unsign round trips.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use signring::django::{SignedCookie, quote_cookie_value, unquote_cookie_value};
use signring::{DjangoVersion, Error, KeyRing, MaxAge, TimestampSigner};
use signring_fuzz::NOW;

static RING: LazyLock<KeyRing> = LazyLock::new(signring_fuzz::ring);
static COOKIES: LazyLock<Vec<SignedCookie>> = LazyLock::new(|| {
    [DjangoVersion::V4_2, DjangoVersion::V5_2]
        .into_iter()
        .map(|version| {
            SignedCookie::builder(&RING, "name")
                .django(version)
                .max_age(MaxAge::from_secs(3600))
                .build()
                .expect("cookie")
        })
        .collect()
});
static COOKIE_RING: LazyLock<KeyRing> = LazyLock::new(signring_fuzz::cookie_ring);
// The salts of `get_signed_cookie("name")`: legacy `name + salt`, and 5.2's v2.
static LEGACY: LazyLock<TimestampSigner> = LazyLock::new(|| {
    TimestampSigner::builder(&COOKIE_RING)
        .salt("name")
        .build()
        .expect("signer")
});
static V2: LazyLock<TimestampSigner> = LazyLock::new(|| {
    let salt = "django.http.cookies.v2:0:name";
    TimestampSigner::builder(&COOKIE_RING)
        .salt(salt)
        .build()
        .expect("signer")
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let unquoted = unquote_cookie_value(text);
    assert_eq!(unquote_cookie_value(&quote_cookie_value(text)), text);
    let by_legacy = LEGACY.signer().sign(text);
    let by_v2 = V2.signer().sign(text);
    for cookie in COOKIES.iter() {
        let _ = cookie.unsign_at(text, NOW);
        let _ = cookie.unsign_at(&unquoted, NOW);
        let legacy = cookie.unsign_at(&by_legacy, NOW);
        assert!(!matches!(legacy, Err(Error::BadSignature)), "{legacy:?}");
        let _ = cookie.unsign_at(&by_v2, NOW);
        let signed = cookie.sign_at(text, NOW);
        let verified = cookie
            .unsign_at(&signed, NOW)
            .expect("a cookie signed now verifies");
        assert_eq!(
            (verified.value, verified.record.key_index, verified.record.stale),
            (text, 0, false)
        );
    }
    let v2 = COOKIES[1].unsign_at(&by_v2, NOW);
    assert!(!matches!(v2, Err(Error::BadSignature)), "{v2:?}");
});
