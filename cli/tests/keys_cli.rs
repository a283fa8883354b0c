//! Where the CLI reads its keys: the environment, `--keys-file` and `--ring`,
//! all through the library's loader (weak keys refused unless
//! `--allow-weak-keys`), driven as an outside test would drive them.

#![allow(clippy::unwrap_used)] // a test that cannot set up should fail loudly

use std::path::PathBuf;
use std::process::{Command, Output};

const KEY: &str = "doc-example-secret-key-not-used-anywhere-else-0123456789";
const OLD_KEY: &str = "an-older-key-that-signed-last-quarter-0123456789abcdef";
const NEXT_KEY: &str = "the-next-key-staged-on-every-server-0123456789abcdef";

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_signring"));
    command.args(args);
    for name in [
        "SECRET_KEY",
        "SECRET_KEY_FALLBACKS",
        "DEFAULT_HASHING_ALGORITHM",
        "SIGNRING_ALLOW_WEAK_KEYS",
    ] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone())
        .unwrap()
        .trim()
        .to_owned()
}

/// A file in a directory of this test's own, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("signring-keys-cli-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn signed_with(key: &str, args: &[&str]) -> String {
    let out = run(args, &[("SECRET_KEY", key)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn weak_keys_are_refused_unless_allowed_and_never_shown() {
    let weak = "short-key";
    let out = run(&["sign", "v"], &[("SECRET_KEY", weak)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out),
        "signring: SECRET_KEY is weak (Django's security.W009/W025 checks); \
         pass --allow-weak-keys (or set SIGNRING_ALLOW_WEAK_KEYS=1) to use it anyway"
    );
    let out = run(
        &["sign", "v"],
        &[
            ("SECRET_KEY", KEY),
            ("SECRET_KEY_FALLBACKS", r#"["weak-fallback"]"#),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("SECRET_KEY_FALLBACKS[0] is weak"));
    assert!(!stderr(&out).contains("weak-fallback"));
    let out = run(&["--allow-weak-keys", "sign", "v"], &[("SECRET_KEY", weak)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let allowed = stdout(&out);
    let env = [("SECRET_KEY", weak), ("SIGNRING_ALLOW_WEAK_KEYS", "1")];
    assert_eq!(stdout(&run(&["sign", "v"], &env)), allowed);
    let env = [
        ("SECRET_KEY", weak),
        ("SIGNRING_ALLOW_WEAK_KEYS", "yes please"),
    ];
    assert_eq!(run(&["sign", "v"], &env).status.code(), Some(2));
    // check-key exists to report weak keys, so it reads them.
    let out = run(&["django", "check-key", "--json"], &[("SECRET_KEY", weak)]);
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(1), r#"{"warnings":["security.W009"]}"#)
    );
}

#[test]
fn keys_files_take_comments_and_refuse_stray_lines_by_number() {
    let old_value = signed_with(OLD_KEY, &["sign", "v"]);
    let file = TempFile::new(
        "keys",
        &format!(
            "# rotated 2026-11\n{KEY}\n\n# previous key, retire after 2026-12-14\n{OLD_KEY}\n"
        ),
    );
    let out = run(
        &["--keys-file", file.path(), "unsign", "--json", &old_value],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(r#""key_index":1,"stale":true"#));
    for (stray, line) in [("   ", 2), ("#previous key", 2), (" x", 2)] {
        let file = TempFile::new("stray", &format!("{KEY}\n{stray}\n"));
        let out = run(&["--keys-file", file.path(), "sign", "v"], &[]);
        assert_eq!(out.status.code(), Some(2), "{stray:?}");
        assert_eq!(
            stderr(&out),
            format!(
                "signring: keys file line {line} holds whitespace (one key per line, no spaces; \
                 comments start with \"# \")"
            )
        );
    }
}

#[test]
fn ring_files_carry_roles_ids_and_expiry() {
    let old_value = signed_with(
        OLD_KEY,
        &["sign", "--timestamp", "--now", "1700000000", "v"],
    );
    let next_value = signed_with(
        NEXT_KEY,
        &["sign", "--timestamp", "--now", "1700000000", "v"],
    );
    let ring = TempFile::new(
        "ring.json",
        &format!(
            r#"{{"current": {{"id": "2026-11", "secret": "{KEY}"}},
                "fallbacks": [{{"id": "2026-05", "secret": "{OLD_KEY}", "not_after": 1800000000}}],
                "staged": [{{"id": "2027-05", "secret": "{NEXT_KEY}"}}]}}"#
        ),
    );
    let unsign = |value: &str, now: &str| {
        run(
            &[
                "--ring",
                ring.path(),
                "unsign",
                "--timestamp",
                "--json",
                "--now",
                now,
                value,
            ],
            &[],
        )
    };
    let out = unsign(&old_value, "1700000000");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(r#""key_index":1,"stale":true"#),
        "{}",
        stdout(&out)
    );
    let out = unsign(&next_value, "1700000000");
    assert!(
        stdout(&out).contains(r#""key_index":2,"stale":false"#),
        "{}",
        stdout(&out)
    );
    // Past the fallback's not_after, its values no longer verify.
    let out = unsign(&old_value, "1800000001");
    assert_eq!(out.status.code(), Some(1));
    // The staged key never signs.
    let out = run(&["--ring", ring.path(), "sign", "v"], &[]);
    assert_eq!(stdout(&out), signed_with(KEY, &["sign", "v"]));
    // A redacted copy of the configuration never loads.
    let redacted = TempFile::new("redacted.json", r#"{"current": {"secret": "[redacted]"}}"#);
    let out = run(&["--ring", redacted.path(), "sign", "v"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("redacted"), "{}", stderr(&out));
    // --keys-file and --ring are one source or the other.
    let out = run(
        &[
            "--ring",
            ring.path(),
            "--keys-file",
            ring.path(),
            "sign",
            "v",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn reset_token_check_takes_user_and_token_after_a_double_dash() {
    let user = r#"{"pk":"1","password":"pbkdf2_sha256$1$s$h","last_login":null,"email":""}"#;
    let env = [("SECRET_KEY", KEY)];
    let token = stdout(&run(
        &[
            "django",
            "reset-token",
            "make",
            "--now",
            "2020-09-13T12:26:40",
            "--",
            user,
        ],
        &env,
    ));
    let out = run(
        &[
            "django",
            "reset-token",
            "check",
            "--now",
            "2020-09-13T12:26:40",
            "--",
            user,
            &token,
        ],
        &env,
    );
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "valid"),
        "{}",
        stderr(&out)
    );
    let out = run(&["django", "reset-token", "check", "--", &token], &env);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a token alone needs --user-file"
    );
}
