//! The `signring django …` contract, driven as an outside test would drive it.
//! Expected values are Django's (django-compat.md §13 and the vectors).

#![allow(clippy::unwrap_used)] // a test that cannot set up should fail loudly

use std::process::{Command, Output};

const KEY: &str = "doc-example-secret-key-not-used-anywhere-else-0123456789";
const OLD_KEY: &str = "an-older-key-that-signed-last-quarter-0123456789abcdef";
const PASSWORD: &str = "pbkdf2_sha256$600000$salt$hash";
const USER: &str = r#"{"pk":1,"password":"pbkdf2_sha256$600000$salt$hash","last_login":null,"email":"a@example.com"}"#;

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_signring"));
    command.args(args);
    for name in [
        "SECRET_KEY",
        "SECRET_KEY_FALLBACKS",
        "DEFAULT_HASHING_ALGORITHM",
        "SESSION_COOKIE_AGE",
        "PASSWORD_RESET_TIMEOUT",
        "PASSWORD_RESET_TIMEOUT_DAYS",
        "SIGNED_COOKIE_LEGACY_SALT_FALLBACK",
    ] {
        command.env_remove(name);
    }
    command.env("SECRET_KEY", KEY);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn out(args: &[&str]) -> String {
    out_env(args, &[])
}

fn out_env(args: &[&str], env: &[(&str, &str)]) -> String {
    let output = run(args, env);
    String::from_utf8(output.stdout)
        .unwrap()
        .trim_end()
        .to_owned()
}

fn code(args: &[&str], env: &[(&str, &str)]) -> i32 {
    run(args, env).status.code().unwrap()
}

fn rotated_env() -> [(&'static str, String); 2] {
    [
        ("SECRET_KEY", KEY.to_owned()),
        ("SECRET_KEY_FALLBACKS", format!(r#"["{OLD_KEY}"]"#)),
    ]
}

#[test]
fn sessions_encode_and_decode_as_django() {
    let now = ["--now", "1600000000"];
    let encode = |django: &str, backend: &str| {
        out(&[
            "--django",
            django,
            "django",
            "session",
            "encode",
            "--backend",
            backend,
            now[0],
            now[1],
            r#"{"a": 1}"#,
        ])
    };
    assert_eq!(
        encode("4.2", "db"),
        "eyJhIjoxfQ:1kHR5c:J7IJ7Jd8RbJSZ0QqIeW5ddv6IGcddZoQuEUVxRvttuc"
    );
    assert_eq!(
        encode("6.1", "cached_db"),
        "eyJhIjoxfQ:1kHR5c:J7IJ7Jd8RbJSZ0QqIeW5ddv6IGcddZoQuEUVxRvttuc"
    );
    assert_eq!(
        encode("2.2", "db"),
        "YTNiMWFiYTNlNDU2YzgzZDJlNTkyYzFlM2ZkMGY3N2Q4YTM5ZmFiMjp7ImEiOjF9"
    );
    assert_eq!(
        encode("5.2", "signed_cookies"),
        "eyJhIjoxfQ:1kHR5c:K0Rz4jmlZz-STty4JFwsxZzW6CLF-FS0r349TDSz5qA"
    );
    assert_eq!(
        encode("2.2", "signed_cookies"),
        "eyJhIjoxfQ:1kHR5c:LVDU2kdzJln2xWa7I3hQk3qheMw"
    );

    let legacy = "YTNiMWFiYTNlNDU2YzgzZDJlNTkyYzFlM2ZkMGY3N2Q4YTM5ZmFiMjp7ImEiOjF9";
    assert_eq!(
        out(&[
            "--django", "3.2", "django", "session", "decode", "--json", legacy
        ]),
        r#"{"ok":true,"key_index":0,"stale":true,"session":{"a":1},"format":"legacy","algorithm":"sha1","timestamp":null}"#
    );
    assert_eq!(
        out(&["--django", "2.2", "django", "session", "decode", legacy]),
        r#"{"a":1}"#
    );
    // 4.2+ reads the legacy format only on request.
    assert_eq!(
        code(
            &["--django", "4.2", "django", "session", "decode", legacy],
            &[]
        ),
        1
    );
    assert_eq!(
        out(&[
            "--django",
            "4.2",
            "django",
            "session",
            "decode",
            "--read-legacy",
            legacy
        ]),
        r#"{"a":1}"#
    );
}

#[test]
fn signed_cookie_sessions_expire_after_session_cookie_age() {
    let data = "eyJhIjoxfQ:1kHR5c:K0Rz4jmlZz-STty4JFwsxZzW6CLF-FS0r349TDSz5qA";
    let args = |now: &'static str| {
        [
            "django",
            "session",
            "decode",
            "--backend",
            "signed_cookies",
            "--json",
            "--now",
            now,
            data,
        ]
    };
    assert_eq!(
        code(&args("1600000060"), &[("SESSION_COOKIE_AGE", "60")]),
        0
    );
    let expired = run(&args("1600000061"), &[("SESSION_COOKIE_AGE", "60")]);
    assert_eq!(expired.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(expired.stdout).unwrap().trim(),
        r#"{"ok":false,"error":"expired"}"#
    );
}

#[test]
fn session_rotation_rewrites_the_auth_hash_and_refuses_changed_passwords() {
    let old_hash = out_env(
        &["django", "auth-hash", PASSWORD],
        &[("SECRET_KEY", OLD_KEY)],
    );
    let session = format!(
        r#"{{"_auth_user_id":"1","_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_hash":"{old_hash}"}}"#
    );
    let row = out_env(
        &[
            "django",
            "session",
            "encode",
            "--now",
            "1600000000",
            &session,
        ],
        &[("SECRET_KEY", OLD_KEY)],
    );
    let env = rotated_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let report = out_env(
        &[
            "django",
            "session",
            "rotate",
            "--password-hash",
            PASSWORD,
            "--json",
            &row,
        ],
        &env,
    );
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["key_index"], 1);
    assert_eq!(report["stale"], true);
    assert_eq!(report["hash_rewritten"], true);
    let new_row = report["value"].as_str().unwrap();

    // Django with only the new key reads the row, and the stored hash is current.
    let decoded = out(&["django", "session", "decode", "--json", new_row]);
    let decoded: serde_json::Value = serde_json::from_str(&decoded).unwrap();
    assert_eq!(decoded["key_index"], 0);
    assert_eq!(decoded["session"]["_auth_user_id"], "1");
    assert_eq!(
        decoded["timestamp"], 1_600_000_000,
        "rotation keeps the session's timestamp"
    );
    let stored = decoded["session"]["_auth_user_hash"].as_str().unwrap();
    assert_eq!(stored, out(&["django", "auth-hash", PASSWORD]));

    // A changed password is never resurrected.
    let refused = run(
        &[
            "django",
            "session",
            "rotate",
            "--password-hash",
            "pbkdf2_sha256$new",
            "--json",
            &row,
        ],
        &env,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(refused.stdout).unwrap().trim(),
        r#"{"ok":false,"error":"password_changed"}"#
    );
    // Nor a row no key verifies.
    let refused = run(
        &[
            "django",
            "session",
            "rotate",
            "--password-hash",
            PASSWORD,
            "--json",
            &row,
        ],
        &[],
    );
    assert_eq!(
        String::from_utf8(refused.stdout).unwrap().trim(),
        r#"{"ok":false,"error":"bad_signature"}"#
    );
}

#[test]
fn auth_hash_matches_django_and_reports_get_user() {
    assert_eq!(
        out(&["django", "auth-hash", PASSWORD]),
        "21d743acc9eb29afa39f6dc72882d056fb4890fb1e04f3a6af1bd448ebb1d40f"
    );
    assert_eq!(
        out(&["--django", "2.2", "django", "auth-hash", PASSWORD]),
        "2e3dacf25bd0e7f75593d6218e9107d78bb040cc"
    );
    assert_eq!(
        out(&["django", "auth-hash", "--algorithm", "sha1", PASSWORD]),
        "2e3dacf25bd0e7f75593d6218e9107d78bb040cc"
    );
    let old_hash = out_env(
        &["django", "auth-hash", PASSWORD],
        &[("SECRET_KEY", OLD_KEY)],
    );
    let env = rotated_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let verify = |django: &str| {
        out_env(
            &[
                "--django",
                django,
                "django",
                "auth-hash",
                "--verify",
                &old_hash,
                "--json",
                PASSWORD,
            ],
            &env,
        )
    };
    let v42: serde_json::Value = serde_json::from_str(&verify("4.2")).unwrap();
    assert_eq!(
        (v42["key_index"].as_u64(), v42["stale"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(v42["get_user"], "logged_in_rehashed");
    let v32: serde_json::Value = serde_json::from_str(&verify("3.2")).unwrap();
    assert_eq!(v32["get_user"], "logged_out", "3.2 has no fallbacks");
    // 3.2 accepts the pre-3.1 sha1 hash without rewriting it.
    let sha1 = "2e3dacf25bd0e7f75593d6218e9107d78bb040cc";
    let legacy: serde_json::Value = serde_json::from_str(&out(&[
        "--django",
        "3.2",
        "django",
        "auth-hash",
        "--verify",
        sha1,
        "--json",
        PASSWORD,
    ]))
    .unwrap();
    assert_eq!(
        (legacy["algorithm"].as_str(), legacy["get_user"].as_str()),
        (Some("sha1"), Some("logged_in"))
    );
    assert_eq!(
        code(&["django", "auth-hash", "--verify", sha1, PASSWORD], &[]),
        1
    );
}

#[test]
fn reset_tokens_match_django() {
    let now = "2020-09-13T12:26:40";
    assert_eq!(
        out(&["django", "reset-token", "make", "--now", now, USER]),
        "aa518g-146e04a745ac3c480c258248aab4acaf"
    );
    assert_eq!(
        out(&[
            "--django",
            "2.2",
            "django",
            "reset-token",
            "make",
            "--now",
            now,
            USER
        ]),
        "5jv-98487645dda0e9688781"
    );
    let check = |django: &str, at: &str, token: &str, env: &[(&str, &str)]| {
        run(
            &[
                "--django",
                django,
                "django",
                "reset-token",
                "check",
                "--json",
                "--now",
                at,
                USER,
                token,
            ],
            env,
        )
    };
    let token = "aa518g-146e04a745ac3c480c258248aab4acaf";
    assert_eq!(
        check("5.2", "2020-09-16T12:26:40", token, &[])
            .status
            .code(),
        Some(0),
        "exactly the timeout"
    );
    let late = check("5.2", "2020-09-16T12:26:41", token, &[]);
    assert_eq!(
        String::from_utf8(late.stdout).unwrap().trim(),
        r#"{"ok":false,"error":"expired"}"#
    );
    assert_eq!(
        check(
            "5.2",
            "2020-09-16T12:26:41",
            token,
            &[("PASSWORD_RESET_TIMEOUT", "300000")]
        )
        .status
        .code(),
        Some(0)
    );
    // 3.2 reads a 2.2 day token, as 3.1.3+ do.
    assert_eq!(
        check("3.2", now, "5jv-98487645dda0e9688781", &[])
            .status
            .code(),
        Some(1),
        "2.2 tokens omit the e-mail"
    );
    let bad = check("5.2", now, "nonsense", &[]);
    assert_eq!(
        String::from_utf8(bad.stdout).unwrap().trim(),
        r#"{"ok":false,"error":"malformed"}"#
    );
}

#[test]
fn signed_cookies_follow_each_release() {
    let set = |django: &str| {
        out(&[
            "--django",
            django,
            "django",
            "cookie",
            "set",
            "--name",
            "name",
            "--now",
            "1600000000",
            "value",
        ])
    };
    assert_eq!(set("2.2"), "value:1kHR5c:2iQBZWedAJUnhV-X3RHe_XK_q2s");
    assert_eq!(
        set("4.2"),
        "value:1kHR5c:fboG88cLKccMVJsVafFLI6UQGtcNinhcbd3aQeMMAXc"
    );
    assert_eq!(
        set("5.2"),
        "value:1kHR5c:2CC_8P5Qbfg5Dksx7fKuzqY_FN8Wk6quoyn0ksvr5FQ"
    );
    let report = out(&["django", "cookie", "set", "--name", "c", "--json", "a b;c"]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let value = report["cookie_value"].as_str().unwrap();
    assert_eq!(
        report["set_cookie_value"].as_str().unwrap(),
        format!("\"{}\"", value.replace(';', "\\073"))
    );
    assert_eq!(report["salt_variant"], "v2");

    let legacy = "value:1kHR5c:fboG88cLKccMVJsVafFLI6UQGtcNinhcbd3aQeMMAXc";
    let get = |django: &str, env: &[(&str, &str)]| {
        run(
            &[
                "--django",
                django,
                "django",
                "cookie",
                "get",
                "--name",
                "name",
                "--json",
                "--now",
                "1600000000",
                legacy,
            ],
            env,
        )
    };
    let read = get("5.2", &[]);
    assert_eq!(
        String::from_utf8(read.stdout).unwrap().trim(),
        r#"{"ok":true,"key_index":0,"stale":false,"value":"value","salt_variant":"legacy","timestamp":1600000000}"#
    );
    assert_eq!(
        get("5.2", &[("SIGNED_COOKIE_LEGACY_SALT_FALLBACK", "false")])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        get("6.1", &[]).status.code(),
        Some(1),
        "6.1 turned the fallback off"
    );
    assert_eq!(
        get("6.1", &[("SIGNED_COOKIE_LEGACY_SALT_FALLBACK", "True")])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        code(
            &["django", "cookie", "get", "--name", "n", "x"],
            &[("SIGNED_COOKIE_LEGACY_SALT_FALLBACK", "maybe")]
        ),
        2
    );
}

#[test]
fn messages_cookies_match_each_release() {
    let messages = r#"[{"level":20,"message":"Hello","extra_tags":"","safe":false}]"#;
    let encode = |django: &str| {
        out(&[
            "--django",
            django,
            "django",
            "messages",
            "encode",
            "--now",
            "1600000000",
            messages,
        ])
    };
    assert_eq!(
        encode("2.2"),
        r#"1903358b75f9ba1276ea78ffc4d0bc7f24af595c$[["__json_message",0,20,"Hello"]]"#
    );
    assert_eq!(
        encode("3.2"),
        "W1siX19qc29uX21lc3NhZ2UiLDAsMjAsIkhlbGxvIl1d:1kHR5c:fMJzN7pFpMJn3FJ7E9sHdJUZ98iGhzumvZ2rEcKnD3k"
    );
    assert_eq!(
        encode("4.2"),
        "W1siX19qc29uX21lc3NhZ2UiLDAsMjAsIkhlbGxvIiwiIl1d:1kHR5c:9SrTON4H_EGu5SrAKGMAT7MmHGj0XHupBbUiramqT7c"
    );
    assert_eq!(
        out(&["django", "messages", "encode", "[]"]),
        "",
        "nothing to store: no cookie"
    );
    assert!(!out(&["django", "messages", "encode", "--encode-empty", "[]"]).is_empty());

    let decoded = out(&["django", "messages", "decode", "--json", &encode("6.1")]);
    assert_eq!(
        decoded,
        r#"{"ok":true,"key_index":0,"stale":false,"messages":[{"level":20,"message":"Hello","extra_tags":"","safe":false}],"format":"signed"}"#
    );
    let legacy = encode("2.2");
    assert_eq!(code(&["django", "messages", "decode", &legacy], &[]), 1);
    assert_eq!(
        code(
            &["--django", "3.2", "django", "messages", "decode", &legacy],
            &[]
        ),
        0
    );

    // Too much for 2048 bytes: the oldest are left for the next storage.
    let many: Vec<String> = (0..150u64)
        .map(|i| {
            format!(
                r#"{{"level":20,"message":"{:016x}","extra_tags":"","safe":false}}"#,
                i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            )
        })
        .collect();
    let many = format!("[{}]", many.join(","));
    let stored: serde_json::Value =
        serde_json::from_str(&out(&["django", "messages", "store", "--json", &many])).unwrap();
    let unstored = stored["unstored"].as_array().unwrap();
    assert!(!unstored.is_empty());
    assert!(stored["set_cookie_value"].as_str().unwrap().len() <= 2048);
    let kept: serde_json::Value = serde_json::from_str(&out(&[
        "django",
        "messages",
        "decode",
        "--json",
        stored["cookie_value"].as_str().unwrap(),
    ]))
    .unwrap();
    let kept = kept["messages"].as_array().unwrap();
    assert_eq!(kept.last().unwrap(), "__messagesnotfinished__");
    assert_eq!(kept.len() - 1 + unstored.len(), 150);
}

#[test]
fn check_key_reports_djangos_warnings() {
    assert_eq!(
        out(&["django", "check-key", "--json"]),
        r#"{"warnings":[]}"#
    );
    assert_eq!(code(&["django", "check-key"], &[]), 0);
    let weak = [
        (
            "SECRET_KEY",
            "django-insecure-abcdefghijklmnopqrstuvwxyz0123456789abcdefghij",
        ),
        ("SECRET_KEY_FALLBACKS", r#"["short"]"#),
    ];
    assert_eq!(
        out_env(&["django", "check-key", "--json"], &weak),
        r#"{"warnings":["security.W009","security.W025"]}"#
    );
    assert_eq!(code(&["django", "check-key", "--json"], &weak), 1);
    let text = out_env(&["django", "check-key"], &weak);
    assert!(
        !text.contains("abcdefghijklmnopqrstuvwxyz"),
        "messages never contain a key"
    );
}

/// Runs with `stdin` piped in.
fn run_with_input(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut command = Command::new(env!("CARGO_BIN_EXE_signring"));
    command.args(args);
    for name in [
        "SECRET_KEY_FALLBACKS",
        "DEFAULT_HASHING_ALGORITHM",
        "SESSION_COOKIE_AGE",
        "PASSWORD_RESET_TIMEOUT",
        "PASSWORD_RESET_TIMEOUT_DAYS",
        "SIGNED_COOKIE_LEGACY_SALT_FALLBACK",
    ] {
        command.env_remove(name);
    }
    command.env("SECRET_KEY", KEY);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that exits before reading (a usage error) closes the pipe.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

/// A scratch directory removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("signring-django-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn file(&self, name: &str, content: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The stdout and exit code of `output`.
fn outcome(output: &Output) -> (String, Option<i32>) {
    (
        String::from_utf8(output.stdout.clone()).unwrap(),
        output.status.code(),
    )
}

#[test]
fn password_hashes_can_come_from_a_file_or_stdin() {
    let scratch = Scratch::new("hash");
    let plain = scratch.file("plain", PASSWORD.as_bytes());
    let newline = scratch.file("newline", format!("{PASSWORD}\n").as_bytes());
    let crlf = scratch.file("crlf", format!("{PASSWORD}\r\n").as_bytes());
    let env = rotated_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let old_hash = out_env(
        &["django", "auth-hash", PASSWORD],
        &[("SECRET_KEY", OLD_KEY)],
    );

    // auth-hash, plain and --verify --json.
    for extra in [&[][..], &["--verify", &old_hash, "--json"]] {
        let argv = run(
            &[&["django", "auth-hash"], extra, &[PASSWORD]].concat(),
            &env,
        );
        assert_eq!(argv.status.code(), Some(0));
        for file in [&plain, &newline, &crlf] {
            let args = [
                &["django", "auth-hash"],
                extra,
                &["--password-hash-file", file.as_str()],
            ]
            .concat();
            assert_eq!(outcome(&run(&args, &env)), outcome(&argv), "{args:?}");
        }
        let args = [
            &["django", "auth-hash"],
            extra,
            &["--password-hash-file", "-"],
        ]
        .concat();
        for input in [PASSWORD.to_owned(), format!("{PASSWORD}\n")] {
            let from_stdin = run_with_input(&args, &env, input.as_bytes());
            assert_eq!(outcome(&from_stdin), outcome(&argv), "{input:?}");
        }
    }

    // session rotate.
    let session = format!(
        r#"{{"_auth_user_id":"1","_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_hash":"{old_hash}"}}"#
    );
    let row = out_env(
        &[
            "django",
            "session",
            "encode",
            "--now",
            "1600000000",
            &session,
        ],
        &[("SECRET_KEY", OLD_KEY)],
    );
    let rotate = |how: &[&str], stdin: Option<&str>| {
        let args = [&["django", "session", "rotate", "--json"], how, &[&row]].concat();
        match stdin {
            Some(input) => run_with_input(&args, &env, input.as_bytes()),
            None => run(&args, &env),
        }
    };
    let argv = rotate(&["--password-hash", PASSWORD], None);
    assert_eq!(argv.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&argv.stdout).contains(r#""hash_rewritten":true"#));
    for file in [&plain, &newline, &crlf] {
        let from_file = rotate(&["--password-hash-file", file], None);
        assert_eq!(outcome(&from_file), outcome(&argv), "{file}");
    }
    let from_stdin = rotate(
        &["--password-hash-file", "-"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert_eq!(outcome(&from_stdin), outcome(&argv));
    // A changed password is refused the same way from a file.
    let changed = scratch.file("changed", b"pbkdf2_sha256$new\n");
    let refused = rotate(&["--password-hash-file", &changed], None);
    assert_eq!(
        outcome(&refused),
        (
            "{\"ok\":false,\"error\":\"password_changed\"}\n".to_owned(),
            Some(1)
        )
    );

    // Usage errors: both forms, neither, more than one line, no such file.
    let two_lines = scratch.file("two", format!("{PASSWORD}\ns3cond-l1ne\n").as_bytes());
    let missing = scratch.0.join("missing");
    let missing = missing.to_str().unwrap();
    for args in [
        &[
            "django",
            "auth-hash",
            "--password-hash-file",
            &plain,
            PASSWORD,
        ][..],
        &["django", "auth-hash"],
        &["django", "auth-hash", "--password-hash-file", &two_lines],
        &["django", "auth-hash", "--password-hash-file", missing],
        &[
            "django",
            "session",
            "rotate",
            "--password-hash",
            PASSWORD,
            "--password-hash-file",
            &plain,
            &row,
        ],
        &["django", "session", "rotate", &row],
        &[
            "django",
            "session",
            "rotate",
            "--password-hash-file",
            &two_lines,
            &row,
        ],
    ] {
        let out = run(args, &env);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let message = String::from_utf8(out.stderr).unwrap();
        assert!(
            !message.contains("s3cond") && !message.contains("salt$hash"),
            "never the file's content: {message}"
        );
    }
    let out = run_with_input(
        &["django", "auth-hash", "--password-hash-file", "-"],
        &[],
        b"\xff\xfe\n",
    );
    assert_eq!(out.status.code(), Some(2), "stdin that is not UTF-8");
}

#[test]
fn reset_token_users_can_come_from_a_file_or_stdin() {
    let scratch = Scratch::new("user");
    let user_file = scratch.file("user.json", format!("{USER}\n").as_bytes());
    let pretty = scratch.file(
        "pretty.json",
        b"{\n  \"pk\": 1,\n  \"password\": \"pbkdf2_sha256$600000$salt$hash\",\n  \"last_login\": null,\n  \"email\": \"a@example.com\"\n}\n",
    );
    let now = "2020-09-13T12:26:40";
    let token = "aa518g-146e04a745ac3c480c258248aab4acaf";

    let make = |how: &[&str], stdin: Option<&str>| {
        let args = [&["django", "reset-token", "make", "--now", now], how].concat();
        match stdin {
            Some(input) => run_with_input(&args, &[], input.as_bytes()),
            None => run(&args, &[]),
        }
    };
    let argv = make(&[USER], None);
    assert_eq!(outcome(&argv), (format!("{token}\n"), Some(0)));
    for file in [&user_file, &pretty] {
        assert_eq!(outcome(&make(&["--user-file", file], None)), outcome(&argv));
    }
    assert_eq!(
        outcome(&make(&["--user-file", "-"], Some(USER))),
        outcome(&argv)
    );

    let check = |how: &[&str], stdin: Option<&str>| {
        let args = [
            &["django", "reset-token", "check", "--json", "--now", now],
            how,
        ]
        .concat();
        match stdin {
            Some(input) => run_with_input(&args, &[], input.as_bytes()),
            None => run(&args, &[]),
        }
    };
    let argv = check(&[USER, token], None);
    assert_eq!(argv.status.code(), Some(0));
    assert_eq!(
        outcome(&check(&["--user-file", &user_file, token], None)),
        outcome(&argv)
    );
    assert_eq!(
        outcome(&check(&[token, "--user-file", &pretty], None)),
        outcome(&argv),
        "options may come after the token"
    );
    assert_eq!(
        outcome(&check(&["--user-file", "-", token], Some(USER))),
        outcome(&argv)
    );
    // A wrong token is still a verification failure.
    let wrong = check(&["--user-file", &user_file, "aa518g-0000"], None);
    assert_eq!(wrong.status.code(), Some(1));

    for args in [
        &[
            "django",
            "reset-token",
            "make",
            "--user-file",
            &user_file,
            USER,
        ][..],
        &["django", "reset-token", "make"],
        &["django", "reset-token", "check", token],
        &[
            "django",
            "reset-token",
            "check",
            "--user-file",
            &user_file,
            USER,
            token,
        ],
        &["django", "reset-token", "check", "--user-file", &user_file],
    ] {
        assert_eq!(run(args, &[]).status.code(), Some(2), "{args:?}");
    }
}
