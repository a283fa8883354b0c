use super::*;

#[test]
fn base36_round_trips() {
    for n in [0, 1, 35, 36, 621_692_800, 7195] {
        assert_eq!(parse_base36(&base36(n)), Some(n));
    }
    assert_eq!(base36(7195), "5jv");
    assert_eq!(parse_base36("5JV"), None);
    assert_eq!(parse_base36("zzzzzzzzzzzzzz"), None);
}

#[test]
fn debug_redacts_the_password_hash() {
    let at = time::macros::datetime!(2020-09-13 12:26:40);
    let user = ResetUser::new("42", "pbkdf2_sha256$600000$s3cr3tsalt$h4sh")
        .email("someone@example.com")
        .last_login(at);
    let shown = format!("{user:?}");
    assert!(!shown.contains("pbkdf2"), "{shown}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(!shown.contains("someone@example.com"), "{shown}");
    assert!(shown.contains(r#"pk: "42""#), "{shown}");
    assert!(shown.contains("password: \"[redacted]\""), "{shown}");
    assert!(shown.contains("has_email: true"), "{shown}");
    assert!(shown.contains("2020-09-13"), "{shown}");
    let pretty = format!("{user:#?}");
    assert!(!pretty.contains("h4sh"), "{pretty}");
    let bare = format!("{:?}", ResetUser::new("7", "!unusable"));
    assert!(!bare.contains("unusable"), "{bare}");
    assert!(bare.contains("has_email: false") && bare.contains("last_login: None"));
}
