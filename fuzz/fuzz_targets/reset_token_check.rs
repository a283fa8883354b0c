//! `PasswordResetTokens::check_token` (3.2 and 5.2) for a fixed user and time,
//! and `parse_naive_datetime` on "when\ntoken": a token made at `when` checks
//! as valid or expired, and the fuzzed token is checked at `when` too.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use signring::django::{PasswordResetTokens, ResetUser, parse_naive_datetime};
use signring::{DjangoVersion, Error, KeyRing};
use time::PrimitiveDateTime;

static RING: LazyLock<KeyRing> = LazyLock::new(signring_fuzz::ring);
static TOKENS: LazyLock<Vec<PasswordResetTokens>> = LazyLock::new(|| {
    [DjangoVersion::V3_2, DjangoVersion::V5_2]
        .into_iter()
        .map(|version| {
            PasswordResetTokens::builder(&RING)
                .django(version)
                .build()
                .expect("tokens")
        })
        .collect()
});
// The adapter vectors' user 42.
static USER: LazyLock<ResetUser> = LazyLock::new(|| {
    let password = "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
    let login = parse_naive_datetime("2024-03-01T09:30:15").expect("date");
    ResetUser::new("42", password).last_login(login)
});
static NOW: LazyLock<PrimitiveDateTime> =
    LazyLock::new(|| parse_naive_datetime("2024-03-02T12:00:00").expect("date"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for tokens in TOKENS.iter() {
        let _ = tokens.check_token(&USER, text, *NOW);
    }
    let (when, token) = signring_fuzz::split2(text);
    let Some(at) = parse_naive_datetime(when) else {
        return;
    };
    for tokens in TOKENS.iter() {
        let _ = tokens.check_token(&USER, token, at);
        // Before 2001-01-01 the timestamp would be negative: Django raises,
        // and so does make_token.
        let made = match tokens.make_token(&USER, at) {
            Ok(made) => made,
            Err(_) if at.year() < 2001 => continue,
            Err(error) => panic!("no token made at {at}: {error:?}"),
        };
        match tokens.check_token(&USER, &made, *NOW) {
            Ok(found) => assert_eq!((found.key_index, found.stale), (0, false)),
            Err(Error::Expired { .. }) => {}
            Err(error) => panic!("a token made at {at} fails with {error:?}: {made}"),
        }
    }
});
