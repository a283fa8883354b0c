use super::builder::is_unsafe_separator;
use super::*;
use crate::DjangoVersion;
use crate::error::ConfigError;

#[test]
fn separator_rule_matches_djangos_regex() {
    for unsafe_sep in [
        "", "a", "A", "z", "0", "-", "_", "=", "[", "\\", "]", "^", "`", "ab", "a\n", "\n",
    ] {
        assert!(
            is_unsafe_separator(unsafe_sep),
            "{unsafe_sep:?} must be refused"
        );
    }
    for safe in [
        ":", "/", ".", "~", "!", "$", "|", " ", "é", "a:", ":\n", "a\n\n", "{",
    ] {
        assert!(!is_unsafe_separator(safe), "{safe:?} must be accepted");
    }
}

#[test]
fn debug_shows_configuration_not_keys() {
    let ring = KeyRing::new("a-very-secret-key-value-that-must-never-be-printed-42").unwrap();
    let debug = format!("{:?}", Signer::builder(&ring).build().unwrap());
    assert_eq!(
        debug,
        r#"Signer { salt: "django.core.signing.Signer", sep: ":", algorithm: Sha256, keys: 1, legacy_sha1: false }"#
    );
}

#[test]
fn trying_every_key_finds_the_same_key_as_stopping_early() {
    let keys = ["k0", "k1", "k2", "k3"];
    let ring = keys[1..]
        .iter()
        .fold(KeyRing::new(keys[0]).unwrap(), |r, k| {
            r.with_fallback(k).unwrap()
        });
    let every = Signer::builder(&ring).try_every_key(true).build().unwrap();
    let early = Signer::builder(&ring).build().unwrap();
    for (index, key) in keys.iter().enumerate() {
        let signed = Signer::builder(&KeyRing::new(key).unwrap())
            .build()
            .unwrap()
            .sign("v");
        assert_eq!(every.unsign(&signed).unwrap().key_index(), index);
        assert_eq!(early.unsign(&signed).unwrap().key_index(), index);
    }
    assert_eq!(
        every.unsign("v:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        Err(Error::BadSignature)
    );
}

#[test]
fn sha1_under_django_2_2_is_the_only_choice() {
    let ring = KeyRing::new("k").unwrap();
    let build = |alg| {
        Signer::builder(&ring)
            .django(DjangoVersion::V2_2)
            .algorithm(alg)
            .build()
    };
    assert!(build(Algorithm::Sha1).is_ok());
    assert_eq!(
        build(Algorithm::Sha256).unwrap_err(),
        ConfigError::Unsupported("algorithm other than sha1")
    );
}
