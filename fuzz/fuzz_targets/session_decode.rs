//! `SessionCodec::decode_at` (db with `read_legacy(true)`: both formats; and
//! `signed_cookies`) and `SessionCodec::rotate_at`, on any text and on any text
//! signed with the session salt.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use signring::django::{SessionAuthHash, SessionBackend, SessionCodec};
use signring::{Error, KeyRing, TimestampSigner};
use signring_fuzz::NOW;

const PASSWORD: &str = "pbkdf2_sha256$600000$salt$hash";

static RING: LazyLock<KeyRing> = LazyLock::new(signring_fuzz::ring);
static DB: LazyLock<SessionCodec> = LazyLock::new(|| {
    SessionCodec::builder(&RING)
        .read_legacy(true)
        .build()
        .expect("codec")
});
static COOKIES: LazyLock<SessionCodec> = LazyLock::new(|| {
    SessionCodec::builder(&RING)
        .backend(SessionBackend::SignedCookies)
        .build()
        .expect("codec")
});
static AUTH: LazyLock<SessionAuthHash> =
    LazyLock::new(|| SessionAuthHash::new(&RING, &Default::default()).expect("auth"));
static DB_SIGNER: LazyLock<TimestampSigner> = LazyLock::new(|| {
    TimestampSigner::builder(&RING)
        .salt("django.contrib.sessions.SessionStore")
        .build()
        .expect("signer")
});
static COOKIES_SIGNER: LazyLock<TimestampSigner> = LazyLock::new(|| {
    let salt = "django.contrib.sessions.backends.signed_cookies";
    TimestampSigner::builder(&RING)
        .salt(salt)
        .build()
        .expect("signer")
});

fn check(codec: &SessionCodec, data: &str, signed_by_us: bool) {
    let decoded = codec.decode_at(data, NOW);
    if signed_by_us {
        assert!(!matches!(decoded, Err(Error::BadSignature)));
    }
    if let Ok(rotated) = codec.rotate_at(data, &AUTH, |_| Some(PASSWORD.to_owned()), NOW) {
        let again = codec
            .decode_at(&rotated.data, NOW)
            .expect("a rotated session decodes");
        assert_eq!(again.record.key_index, 0);
        assert!(!again.record.stale);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(&DB, text, false);
    check(&COOKIES, text, false);
    check(&DB, &DB_SIGNER.signer().sign(text), true);
    check(&COOKIES, &COOKIES_SIGNER.signer().sign(text), true);
});
