//! `SessionAuthHash::verify` and `django_get_user` on "stored\npassword".
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use signring::django::SessionAuthHash;
use signring::{DjangoVersion, KeyRing};

static RING: LazyLock<KeyRing> = LazyLock::new(signring_fuzz::ring);
static AUTH: LazyLock<Vec<SessionAuthHash>> = LazyLock::new(|| {
    [
        DjangoVersion::V3_2,
        DjangoVersion::V4_2,
        DjangoVersion::V6_1,
    ]
    .into_iter()
    .map(|version| SessionAuthHash::new(&RING, &signring::Options::new().django(version)).expect("auth"))
    .collect()
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (stored, password) = signring_fuzz::split2(&text);
    for auth in AUTH.iter() {
        let found = auth.verify(stored, password);
        let user = auth.django_get_user(Some(stored), password);
        if found.is_none() {
            assert!(!user.is_logged_in());
        }
        let own = auth.hash(password);
        let found = auth
            .verify(&own, password)
            .expect("the current key's hash verifies");
        assert_eq!((found.key_index, found.stale), (0, false));
        assert!(auth.django_get_user(Some(&own), password).is_logged_in());
    }
});
