use super::*;
use crate::check::check_keys;

const CURRENT: &str = "the-current-key-0123456789abcdefghijklmnopqrstuvwxyz";
const PREVIOUS: &str = "the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz";

#[test]
fn environment_errors_name_the_variable_never_the_value() {
    let missing = KeyRing::from_env_with(|_| None).unwrap_err();
    assert_eq!(missing.to_string(), "SECRET_KEY is not set");
    let bad = KeyRing::from_env_with(|name| match name {
        "SECRET_KEY" => Some(CURRENT.into()),
        _ => Some("not-json-secret".into()),
    })
    .unwrap_err();
    assert!(!bad.to_string().contains("not-json-secret"));
}

#[test]
fn the_environment_may_repeat_a_key_as_django_does_and_checks_still_see_it() {
    let env = |current: &'static str, fallbacks: &'static str| {
        move |name: &str| match name {
            "SECRET_KEY" => Some(current.to_owned()),
            "SECRET_KEY_FALLBACKS" => Some(fallbacks.to_owned()),
            _ => None,
        }
    };
    let fallbacks = format!(r#"["{CURRENT}", "{PREVIOUS}", "{PREVIOUS}"]"#).leak();
    let ring = KeyRing::from_env_with(env(CURRENT, fallbacks)).unwrap();
    assert_eq!(ring.key_count(), 4, "Django's numbering is kept");
    let signed = KeyRing::new(CURRENT).unwrap().sign("v");
    let verified = ring.unsign(&signed).unwrap();
    assert_eq!((verified.key_index(), verified.is_stale()), (0, false));
    // A weak key repeated: W009 and W025 both, as Django reports them.
    let ring = KeyLoader::new()
        .danger_allow_weak_keys()
        .env_with(env("weak", r#"["weak"]"#))
        .unwrap();
    let ids: Vec<_> = check_keys(&ring, DjangoVersion::V5_2)
        .into_iter()
        .map(|w| (w.id, w.setting))
        .collect();
    assert_eq!(
        ids,
        [
            ("security.W009", "SECRET_KEY".to_owned()),
            ("security.W025", "SECRET_KEY_FALLBACKS[0]".to_owned())
        ]
    );
    // Without the opt-out, the weak key is refused by its setting's name.
    let err = KeyRing::from_env_with(env(CURRENT, r#"["weak"]"#)).unwrap_err();
    assert_eq!(err, ConfigError::WeakKey("SECRET_KEY_FALLBACKS[0]".into()));
}

#[test]
fn key_files_skip_empty_lines_and_comments_and_need_a_key() {
    let text = format!(
        "# keys for prod\r\n{CURRENT}\r\n\n#\n# previous key retired 2024-05\n{PREVIOUS}\n"
    );
    let ring = KeyRing::from_keys_text(&text).unwrap();
    assert_eq!(ring.key_count(), 2);
    assert_eq!(ring.current(), &crate::SecretKey::new(CURRENT).unwrap());
    assert!(KeyRing::from_keys_text("\n# only a comment\n").is_err());
    assert!(KeyRing::from_keys_file("/nonexistent/signring/keys").is_err());
}

/// Issue 8, defect 2: stray lines became keys anyone could sign with.
#[test]
fn key_files_never_turn_stray_lines_into_keys() {
    let loose = KeyLoader::new().danger_allow_weak_keys();
    for (stray, line) in [
        ("   ", 2),
        ("\t", 2),
        (" \r", 2),
        (&format!(" {PREVIOUS}"), 2),
        (&format!("{PREVIOUS} "), 2),
        ("#previous key retired 2024-05", 2),
        ("previous key", 2),
    ] {
        let text = format!("{CURRENT}\n{stray}\n");
        for loader in [KeyLoader::new(), loose] {
            let err = loader.keys_text(&text).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "keys file line {line} holds whitespace (one key per line, no spaces; \
                     comments start with \"# \")"
                ),
                "{stray:?}"
            );
        }
    }
    // A comment-looking key without spaces is a key, and a weak one.
    let err = KeyRing::from_keys_text(&format!("{CURRENT}\n#old\n")).unwrap_err();
    assert_eq!(err, ConfigError::WeakKey("keys file line 2".into()));
    let err = KeyRing::from_keys_text(&format!("\n{CURRENT}\n\nshort\n")).unwrap_err();
    assert_eq!(err, ConfigError::WeakKey("keys file line 4".into()));
    let err = KeyRing::from_keys_text(&format!("{CURRENT}\n{PREVIOUS}\n{CURRENT}\n"));
    assert_eq!(
        err.unwrap_err().to_string(),
        "keys file line 3 repeats an earlier key"
    );
}

/// Issue 8, defect 3: a re-serialized configuration loaded "[redacted]" as a key.
#[test]
fn a_redacted_configuration_never_loads() {
    let config: RingConfig = json::from_str(&format!(
        r#"{{"current": {{"secret": "{CURRENT}"}}, "fallbacks": [{{"secret": "{PREVIOUS}"}}]}}"#
    ))
    .unwrap();
    let shown = json::to_string(&config).unwrap();
    assert!(!shown.contains(CURRENT) && shown.contains("[redacted]"));
    let err = json::from_str::<RingConfig>(&shown).unwrap_err();
    assert!(!err.to_string().contains(CURRENT));
    assert!(json::from_str::<ConfigSecret>(r#""[redacted]""#).is_err());
    assert!(json::from_str::<ConfigSecret>(r#""[redacted] ""#).is_ok());
}

#[test]
fn ring_configs_refuse_weak_repeated_and_non_finite_entries() {
    let load = |text: String| json::from_str::<RingConfig>(&text).unwrap().to_ring();
    assert_eq!(
        load(format!(
            r#"{{"current": {{"secret": "{CURRENT}"}}, "staged": [{{"secret": "weak"}}]}}"#
        ))
        .unwrap_err(),
        ConfigError::WeakKey("staged[0]".into())
    );
    assert_eq!(
        load(format!(
            r#"{{"current": {{"secret": "{CURRENT}"}}, "fallbacks": [{{"secret": "{CURRENT}"}}]}}"#
        ))
        .unwrap_err()
        .to_string(),
        "fallbacks[0] repeats an earlier key"
    );
    let nan = RingConfig {
        current: KeyConfig {
            id: None,
            secret: ConfigSecret(CURRENT.into()),
            not_after: Some(f64::NAN),
        },
        fallbacks: Vec::new(),
        staged: Vec::new(),
    };
    assert_eq!(
        nan.to_ring().unwrap_err().to_string(),
        "current.not_after is not a finite number"
    );
}
