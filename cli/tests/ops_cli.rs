//! The ops commands (`inspect`, `resign`, `rotate-plan`, `keygen`'s key policy,
//! duplicate keys), driven as an outside test would drive them.

#![allow(clippy::unwrap_used)] // a test that cannot set up should fail loudly

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

const KEY: &str = "doc-example-secret-key-not-used-anywhere-else-0123456789";
const OLD_KEY: &str = "an-older-key-that-signed-last-quarter-0123456789abcdef";
const NOW: &str = "1600000000";

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
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
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(args, env).output().unwrap()
}

/// Runs with `stdin` piped in.
fn run_with_input(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = command(args, env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that exits before reading (a usage error) closes the pipe.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .trim_end_matches('\n')
        .to_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap()
}

/// Signs with the old key alone: what the site wrote before the rotation.
fn old(args: &[&str]) -> String {
    stdout(&run(args, &[("SECRET_KEY", OLD_KEY)]))
}

/// Signs with the current key alone.
fn new(args: &[&str]) -> String {
    stdout(&run(args, &[("SECRET_KEY", KEY)]))
}

fn fallbacks() -> String {
    format!(r#"["{OLD_KEY}"]"#)
}

/// Runs with the rotated ring: KEY current, OLD_KEY its fallback.
fn rotated(args: &[&str]) -> Output {
    let fallbacks = fallbacks();
    run(
        args,
        &[("SECRET_KEY", KEY), ("SECRET_KEY_FALLBACKS", &fallbacks)],
    )
}

fn rotated_json(args: &[&str]) -> Value {
    serde_json::from_str(&stdout(&rotated(args))).unwrap()
}

/// The ids of the rotated ring's keys, current first, from `rotate-plan`.
fn key_ids() -> (String, String) {
    let plan = rotated_json(&["rotate-plan", "--json"]);
    let id = |i: usize| plan["keys"][i]["id"].as_str().unwrap().to_owned();
    (id(0), id(1))
}

fn all_output(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A value for `inspect`, the `--name` to pass, and the expected format,
/// salt, timestamp and value.
type InspectCase = (
    String,
    Option<&'static str>,
    &'static str,
    &'static str,
    Option<i64>,
    Value,
);

#[test]
fn inspect_finds_each_format_with_the_key_that_verified_it() {
    let (new_id, old_id) = key_ids();
    let ts = 1_600_000_000;
    let message = r#"[{"level":20,"message":"hi"}]"#;
    // (value, --name, format, salt, timestamp, value)
    let cases: Vec<InspectCase> = vec![
        (
            old(&["sign", "hello"]),
            None,
            "signer",
            "django.core.signing.Signer",
            None,
            json!("hello"),
        ),
        (
            old(&["sign", "--timestamp", "--now", NOW, "hello"]),
            None,
            "timestamp_signer",
            "django.core.signing.TimestampSigner",
            Some(ts),
            json!("hello"),
        ),
        (
            old(&["dumps", "--now", NOW, r#"{"a": 1}"#]),
            None,
            "dumps",
            "django.core.signing",
            Some(ts),
            json!({"a": 1}),
        ),
        (
            old(&["django", "session", "encode", "--now", NOW, r#"{"a": 1}"#]),
            None,
            "session",
            "django.contrib.sessions.SessionStore",
            Some(ts),
            json!({"a": 1}),
        ),
        (
            old(&[
                "--django",
                "2.2",
                "django",
                "session",
                "encode",
                r#"{"a": 1}"#,
            ]),
            None,
            "session_legacy",
            "django.contrib.sessionsSessionStore",
            None,
            json!({"a": 1}),
        ),
        (
            old(&[
                "django",
                "session",
                "encode",
                "--backend",
                "signed_cookies",
                "--now",
                NOW,
                r#"{"a": 1}"#,
            ]),
            None,
            "signed_cookies_session",
            "django.contrib.sessions.backends.signed_cookies",
            Some(ts),
            json!({"a": 1}),
        ),
        (
            old(&[
                "django", "cookie", "set", "--name", "prefs", "--now", NOW, "dark",
            ]),
            Some("prefs"),
            "signed_cookie",
            "django.http.cookies.v2:0:prefs",
            Some(ts),
            json!("dark"),
        ),
        (
            old(&[
                "--django", "4.2", "django", "cookie", "set", "--name", "prefs", "--now", NOW,
                "dark",
            ]),
            Some("prefs"),
            "signed_cookie",
            "prefs",
            Some(ts),
            json!("dark"),
        ),
        (
            old(&["django", "messages", "encode", "--now", NOW, message]),
            None,
            "messages",
            "django.contrib.messages",
            Some(ts),
            json!([{"level": 20, "message": "hi", "extra_tags": null, "safe": false}]),
        ),
        (
            old(&["--django", "2.2", "django", "messages", "encode", message]),
            None,
            "messages_legacy",
            "django.contrib.messages",
            None,
            json!([{"level": 20, "message": "hi", "extra_tags": null, "safe": false}]),
        ),
    ];
    for (value, name, format, salt, timestamp, expected) in cases {
        let mut args = vec!["inspect", "--json"];
        if let Some(name) = name {
            args.extend(["--name", name]);
        }
        args.push(&value);
        let out = rotated(&args);
        assert_eq!(code(&out), 0, "{format}: {}", stderr(&out));
        let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(
            report,
            json!({
                "ok": true,
                "format": format,
                "salt": salt,
                "key_index": 1,
                "key_id": old_id,
                "stale": true,
                "timestamp": timestamp,
                "value": expected,
            }),
            "{format}"
        );
        // The fields come in the documented order.
        let prefix = format!(r#"{{"ok":true,"format":"{format}","salt":"#);
        assert!(stdout(&out).starts_with(&prefix), "{format}");
    }
    // Values of the current key, in the current format, are fresh.
    let fresh = new(&["sign", "--timestamp", "--now", NOW, "v"]);
    let report = rotated_json(&["inspect", "--json", &fresh]);
    assert_eq!(report["key_index"], 0);
    assert_eq!(report["key_id"], new_id.as_str());
    assert_eq!(report["stale"], false);
    assert_eq!(report["timestamp"], ts);
}

#[test]
fn inspect_reads_quoted_cookies_and_custom_salts() {
    let cookie = old(&[
        "django", "cookie", "set", "--name", "c", "--salt", "s", "v w",
    ]);
    let quoted = format!("\"{}\"", cookie.replace(' ', "\\040"));
    let report = rotated_json(&["inspect", "--json", "--name", "c", "--salt", "s", &quoted]);
    assert_eq!(report["format"], "signed_cookie");
    assert_eq!(report["salt"], "django.http.cookies.v2:1:sc");
    assert_eq!(report["value"], "v w");
    // Without the salt the cookie is not found.
    assert_eq!(code(&rotated(&["inspect", "--name", "c", &quoted])), 1);

    let custom = new(&["sign", "--salt", "my-app", "--timestamp", "--now", "7", "x"]);
    let report = rotated_json(&["inspect", "--json", "--salt", "my-app", &custom]);
    assert_eq!(report["format"], "timestamp_signer");
    assert_eq!(report["salt"], "my-app");
    assert_eq!(report["timestamp"], 7);
    let plain = new(&["sign", "--salt", "my-app", "x"]);
    let report = rotated_json(&["inspect", "--json", "--salt", "my-app", &plain]);
    assert_eq!(report["format"], "signer");
    assert_eq!(report["timestamp"], Value::Null);
}

#[test]
fn inspect_fails_on_garbage() {
    let tampered = old(&["sign", "hello"]).replace("hello", "jello");
    let other_key = stdout(&run(
        &["sign", "v"],
        &[(
            "SECRET_KEY",
            "some-other-key-that-is-in-no-ring-0123456789abcdefgh",
        )],
    ));
    for value in ["garbage", "", "a:b:c", &tampered, &other_key, "\"quoted\""] {
        let out = rotated(&["inspect", "--json", "--name", "c", value]);
        assert_eq!(code(&out), 1, "{value:?}");
        assert_eq!(stdout(&out), r#"{"ok":false,"error":"bad_signature"}"#);
        let out = rotated(&["inspect", value]);
        assert_eq!(code(&out), 1, "{value:?}");
        assert!(out.stdout.is_empty());
        assert_eq!(stderr(&out).trim(), "signring: bad signature");
    }
}

#[test]
fn inspect_prints_name_value_lines_and_never_a_key() {
    let (_, old_id) = key_ids();
    let value = old(&["dumps", "--now", NOW, r#"{"a": 1}"#]);
    let out = rotated(&["inspect", &value]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    for line in [
        "format: dumps",
        "salt: django.core.signing",
        "key_index: 1",
        &format!("key_id: {old_id}"),
        "key_role: fallback",
        "stale: true",
        "timestamp: 1600000000 (2020-09-13T12:26:40Z)",
        r#"value: {"a":1}"#,
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
    assert!(text.lines().all(|l| l.contains(": ")), "{text}");
    for args in [&["inspect", &value][..], &["inspect", "--json", "x:y"]] {
        let all = all_output(&rotated(args));
        assert!(!all.contains(KEY) && !all.contains(OLD_KEY), "{args:?}");
    }
}

#[test]
fn signatures_that_check_out_over_unreadable_payloads_are_reported() {
    // Signed with the dumps salt, but not base64 JSON: loads would refuse it.
    let value = old(&[
        "sign",
        "--salt",
        "django.core.signing",
        "--timestamp",
        "--now",
        NOW,
        "!!!",
    ]);
    let report = rotated_json(&["inspect", "--json", &value]);
    assert_eq!(report["format"], "timestamp_signer");
    assert_eq!(report["salt"], "django.core.signing");
    assert_eq!(report["key_index"], 1);
    assert_eq!(report["value"], "!!!");
}

/// Values for `resign`: (input line, what must come out).
enum Expect {
    Same,
    Resigned,
    Error(&'static str),
}

#[test]
fn resign_keeps_lines_aligned_and_resigns_only_stale_values() {
    let lines: Vec<(String, Expect)> = vec![
        (
            old(&["sign", "--timestamp", "--now", NOW, "a"]),
            Expect::Resigned,
        ),
        (
            new(&["sign", "--timestamp", "--now", NOW, "b"]),
            Expect::Same,
        ),
        ("garbage".to_owned(), Expect::Error("malformed")),
        (
            old(&[
                "sign",
                "--timestamp",
                "--now",
                "1700000000",
                "c:with:colons",
            ]),
            Expect::Resigned,
        ),
        (
            format!(
                "e{}",
                &new(&["sign", "--timestamp", "--now", NOW, "d"])[1..]
            ),
            Expect::Error("bad_signature"),
        ),
        (String::new(), Expect::Error("malformed")),
        (
            new(&["sign", "--timestamp", "--now", "-5", "é"]),
            Expect::Same,
        ),
    ];
    let input: String = lines.iter().map(|(l, _)| format!("{l}\n")).collect();
    let out = run_with_input(
        &["resign", "--timestamp"],
        &[("SECRET_KEY", KEY), ("SECRET_KEY_FALLBACKS", &fallbacks())],
        &input,
    );
    assert_eq!(code(&out), 1, "some values failed");
    assert_eq!(
        stderr(&out).trim(),
        "resign: 7 read, 2 fresh, 2 re-signed, 3 failed"
    );
    let output = String::from_utf8(out.stdout).unwrap();
    assert!(output.ends_with('\n'));
    let output: Vec<&str> = output.lines().collect();
    assert_eq!(output.len(), lines.len(), "one output line per input line");
    for ((input, expect), output) in lines.iter().zip(&output) {
        match expect {
            Expect::Same => assert_eq!(output, input),
            Expect::Error(kind) => assert_eq!(*output, format!("!error {kind}")),
            Expect::Resigned => {
                assert_ne!(output, input);
                // The new key alone verifies it, fresh, with the same timestamp.
                let before = rotated_json(&["unsign", "--timestamp", "--json", input]);
                let after: Value =
                    serde_json::from_str(&new(&["unsign", "--timestamp", "--json", output]))
                        .unwrap();
                assert_eq!(before["stale"], true);
                assert_eq!(after["stale"], false);
                assert_eq!(after["key_index"], 0);
                assert_eq!(after["timestamp"], before["timestamp"]);
                assert_eq!(after["value"], before["value"]);
            }
        }
    }
}

#[test]
fn resign_exits_0_when_everything_verified_and_handles_line_endings() {
    let stale = old(&["sign", "x"]);
    let fresh = new(&["sign", "y"]);
    // CRLF line endings and no final newline.
    let input = format!("{stale}\r\n{fresh}\r\n{fresh}");
    let out = run_with_input(
        &["resign"],
        &[("SECRET_KEY", KEY), ("SECRET_KEY_FALLBACKS", &fallbacks())],
        &input,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        String::from_utf8(out.stdout.clone()).unwrap(),
        format!("{}\n{fresh}\n{fresh}\n", new(&["sign", "x"]))
    );
    assert_eq!(
        stderr(&out),
        "resign: 3 read, 2 fresh, 1 re-signed, 0 failed\n",
        "no progress line when stderr is not a terminal"
    );
    let out = run_with_input(&["resign"], &[("SECRET_KEY", KEY)], "");
    assert_eq!(code(&out), 0);
    assert!(out.stdout.is_empty());
    // Invalid UTF-8 is a failed line, not a crash.
    let mut child = command(&["resign"], &[("SECRET_KEY", KEY)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"\xff\xfe:abc\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "!error malformed");
}

#[test]
fn resign_handles_dumps_sessions_and_cookies() {
    let env = [("SECRET_KEY", KEY), ("SECRET_KEY_FALLBACKS", &fallbacks())];
    let resign = |args: &[&str], input: &[String]| -> Vec<String> {
        let input: String = input.iter().map(|l| format!("{l}\n")).collect();
        let out = run_with_input(args, &env, &input);
        stdout(&out).lines().map(str::to_owned).collect()
    };

    let stale = old(&["dumps", "--now", NOW, r#"{"a": 1}"#]);
    let fresh = new(&["dumps", "--now", NOW, r#"{"a": 1}"#]);
    let bad_payload = new(&[
        "sign",
        "--salt",
        "django.core.signing",
        "--timestamp",
        "--now",
        NOW,
        "!!!",
    ]);
    assert_eq!(
        resign(
            &["resign", "--format", "dumps"],
            &[stale, fresh.clone(), bad_payload]
        ),
        [fresh.clone(), fresh, "!error payload".to_owned()],
        "the re-signed value is what the current key signs at the same time"
    );

    let session = |sign: fn(&[&str]) -> String, backend: &str| {
        sign(&[
            "django",
            "session",
            "encode",
            "--backend",
            backend,
            "--now",
            NOW,
            r#"{"a": 1}"#,
        ])
    };
    let out = resign(
        &["resign", "--format", "session"],
        &[session(old, "db"), session(new, "db")],
    );
    assert_eq!(out, [session(new, "db"), session(new, "db")]);
    // Older than SESSION_COOKIE_AGE: Django refuses these.
    let out = resign(
        &[
            "resign",
            "--format",
            "session",
            "--backend",
            "signed_cookies",
        ],
        &[
            session(old, "signed_cookies"),
            session(new, "signed_cookies"),
        ],
    );
    assert_eq!(out, ["!error expired", "!error expired"]);
    // A recent one is re-signed, keeping its timestamp.
    let recent = old(&[
        "django",
        "session",
        "encode",
        "--backend",
        "signed_cookies",
        r#"{"a": 1}"#,
    ]);
    let out = resign(
        &[
            "resign",
            "--format",
            "session",
            "--backend",
            "signed_cookies",
        ],
        std::slice::from_ref(&recent),
    );
    let decode = |data: &str, sign: fn(&[&str]) -> String| -> Value {
        serde_json::from_str(&sign(&[
            "django",
            "session",
            "decode",
            "--backend",
            "signed_cookies",
            "--json",
            data,
        ]))
        .unwrap()
    };
    let (before, after) = (decode(&recent, old), decode(&out[0], new));
    assert_eq!(after["stale"], false);
    assert_eq!(after["timestamp"], before["timestamp"]);
    assert_eq!(after["session"], json!({"a": 1}));
    // A legacy session (pre-3.1) under 3.2 becomes a signed one.
    let legacy = old(&[
        "--django",
        "2.2",
        "django",
        "session",
        "encode",
        r#"{"a": 1}"#,
    ]);
    let out = resign(
        &["--django", "3.2", "resign", "--format", "session"],
        &[legacy],
    );
    let decoded: Value = serde_json::from_str(&new(&[
        "--django", "3.2", "django", "session", "decode", "--json", &out[0],
    ]))
    .unwrap();
    assert_eq!(
        (&decoded["format"], &decoded["stale"]),
        (&json!("signed"), &json!(false))
    );
    assert_eq!(decoded["session"], json!({"a": 1}));

    // Cookies: a legacy-salt cookie under 5.2 moves to the new key but keeps
    // the legacy salt, which cannot prove its (name, salt) split; a current
    // key's legacy-salt cookie and a v2 cookie are left as they are.
    let cookie = |sign: fn(&[&str]) -> String, django: &str| {
        sign(&[
            "--django", django, "django", "cookie", "set", "--name", "c", "--now", NOW, "v",
        ])
    };
    let out = resign(
        &[
            "--django", "5.2", "resign", "--format", "cookie", "--name", "c",
        ],
        &[cookie(old, "4.2"), cookie(new, "4.2"), cookie(new, "5.2")],
    );
    assert_eq!(
        out,
        vec![cookie(new, "4.2"), cookie(new, "4.2"), cookie(new, "5.2")]
    );
}

#[test]
fn resign_refuses_contradictory_options() {
    let env = [("SECRET_KEY", KEY)];
    for args in [
        &["resign", "--format", "cookie"][..],
        &["resign", "--format", "signer", "--timestamp"],
        &["resign", "--name", "c"],
        &["resign", "--format", "session", "--salt", "s"],
        &["resign", "--format", "xml"],
    ] {
        let out = run_with_input(args, &env, "");
        assert_eq!(code(&out), 2, "{args:?}");
    }
    let out = run_with_input(&["resign"], &[], "x\n");
    assert_eq!(code(&out), 2, "no keys");
}

#[test]
fn keygen_output_passes_check_key() {
    for django in ["2.2", "3.2", "6.1"] {
        let key = stdout(&run(&["--django", django, "keygen"], &[]));
        assert_eq!(key.chars().count(), 50);
        let out = run(
            &["--django", django, "django", "check-key", "--json"],
            &[("SECRET_KEY", &key)],
        );
        assert_eq!(code(&out), 0, "{django}");
        assert_eq!(stdout(&out), r#"{"warnings":[]}"#);
    }
}

#[test]
fn repeated_keys_run_as_in_django_from_the_environment_and_are_refused_in_key_files() {
    // Django runs with SECRET_KEY repeated in SECRET_KEY_FALLBACKS; so does the CLI.
    let twice = format!(r#"["{OLD_KEY}", "{KEY}"]"#);
    let env = [
        ("SECRET_KEY", KEY),
        ("SECRET_KEY_FALLBACKS", twice.as_str()),
    ];
    let out = run(&["sign", "v"], &env);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        stdout(&run(&["sign", "v"], &[("SECRET_KEY", KEY)]))
    );
    let dir = std::env::temp_dir().join(format!("signring-ops-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys");
    std::fs::write(&path, format!("{KEY}\n{OLD_KEY}\n\n{OLD_KEY}\n")).unwrap();
    let out = run(&["--keys-file", path.to_str().unwrap(), "sign", "v"], &[]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out).trim(),
        "signring: keys file line 4 repeats an earlier key"
    );
    // Empty fallbacks keep their message.
    let out = run(
        &["sign", "v"],
        &[("SECRET_KEY", KEY), ("SECRET_KEY_FALLBACKS", r#"[""]"#)],
    );
    assert_eq!(
        stderr(&out).trim(),
        "signring: SECRET_KEY_FALLBACKS[0] is empty"
    );
}

#[test]
fn rotate_plan_json_has_keys_and_three_phases() {
    let (new_id, old_id) = key_ids();
    let plan = rotated_json(&["rotate-plan", "--json", "--now", "1800000000"]);
    assert_eq!(
        plan["keys"],
        json!([
            {"id": new_id, "role": "current", "not_after": null},
            {"id": old_id, "role": "fallback", "not_after": null},
        ])
    );
    assert_eq!(plan["grace"], 1_209_600, "SESSION_COOKIE_AGE's default");
    assert_eq!(plan["phase"], "grace", "a fallback without an end");
    assert_eq!(plan["grace_until"], Value::Null);
    let phases = plan["phases"].as_array().unwrap();
    let names: Vec<&str> = phases
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["stage", "promote", "retire"]);
    let roles = |phase: &Value| -> Vec<(String, String)> {
        phase["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["id"].as_str().unwrap().to_owned(),
                    k["role"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let pair = |id: &str, role: &str| (id.to_owned(), role.to_owned());
    assert_eq!(
        roles(&phases[0]),
        [
            pair(&new_id, "current"),
            pair(&old_id, "fallback"),
            pair("new", "staged")
        ]
    );
    assert_eq!(phases[0]["secret_key"], new_id.as_str());
    assert_eq!(phases[0]["secret_key_fallbacks"], json!([old_id, "new"]));
    assert_eq!(
        roles(&phases[1]),
        [
            pair("new", "current"),
            pair(&new_id, "fallback"),
            pair(&old_id, "fallback")
        ]
    );
    assert_eq!(phases[1]["keys"][1]["not_after"], 1_800_000_000 + 1_209_600);
    assert_eq!(roles(&phases[2]), [pair("new", "current")]);
    assert_eq!(phases[2]["not_before"], 1_800_000_000 + 1_209_600);
    assert_eq!(phases[2]["retire"], json!([new_id, old_id]));
    assert_eq!(plan["warnings"], json!([]));

    // The grace follows SESSION_COOKIE_AGE, and a shorter --grace is flagged.
    let fallbacks = fallbacks();
    let env = [
        ("SECRET_KEY", KEY),
        ("SECRET_KEY_FALLBACKS", fallbacks.as_str()),
        ("SESSION_COOKIE_AGE", "3600"),
    ];
    let plan: Value =
        serde_json::from_str(&stdout(&run(&["rotate-plan", "--json"], &env))).unwrap();
    assert_eq!(plan["grace"], 259_200, "PASSWORD_RESET_TIMEOUT is longer");
    let plan: Value = serde_json::from_str(&stdout(&run(
        &["rotate-plan", "--json", "--grace", "60", "--now", "0"],
        &env,
    )))
    .unwrap();
    assert_eq!(plan["grace"], 60);
    assert_eq!(plan["phases"][2]["not_before"], 60);
    assert_eq!(plan["warnings"].as_array().unwrap().len(), 2);

    let plan: Value = serde_json::from_str(&stdout(&run(
        &["rotate-plan", "--json"],
        &[("SECRET_KEY", KEY)],
    )))
    .unwrap();
    assert_eq!(plan["phase"], "steady");
    assert_eq!(plan["keys"].as_array().unwrap().len(), 1);
    assert_eq!(plan["phases"][2]["retire"], json!([new_id]));
}

#[test]
fn rotate_plan_prints_a_numbered_plan_of_ids() {
    let (new_id, old_id) = key_ids();
    let out = rotated(&["rotate-plan", "--now", "1800000000"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    for step in ["1. stage", "2. promote", "3. retire"] {
        assert!(
            text.lines().any(|l| l.starts_with(step)),
            "{step} in\n{text}"
        );
    }
    assert!(text.contains(&format!(
        "SECRET_KEY={new_id} SECRET_KEY_FALLBACKS=[{old_id}, new]"
    )));
    assert!(text.contains("SECRET_KEY=new SECRET_KEY_FALLBACKS=[]"));
    assert!(text.contains("2027-01-29T08:00:00Z"), "{text}");
    for args in [&["rotate-plan"][..], &["rotate-plan", "--json"]] {
        let all = all_output(&rotated(args));
        assert!(!all.contains(KEY) && !all.contains(OLD_KEY), "{args:?}");
    }
}

/// Unix seconds now, as the CLI's clock reads them.
fn unix_now() -> i128 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i128::from(now.as_secs())
}

#[test]
fn inspect_reports_extreme_timestamps_without_overflow() {
    let min = i64::MIN;
    let max = i64::MAX;
    let messages = r#"[{"level":20,"message":"hi"}]"#;
    // (value, --name, expected timestamp)
    let cases: Vec<(String, Option<&str>, i64)> = vec![
        (
            new(&["sign", "--timestamp", "--now", "-1e300", "v"]),
            None,
            min,
        ),
        (
            new(&["sign", "--timestamp", "--now", "1e300", "v"]),
            None,
            max,
        ),
        (
            new(&["sign", "--timestamp", "--now=-9223372036854775808", "v"]),
            None,
            min,
        ),
        (new(&["sign", "--timestamp", "--now", "-1", "v"]), None, -1),
        // Base62 beyond 64 bits, which the library saturates.
        (
            new(&[
                "sign",
                "--salt",
                "django.core.signing.TimestampSigner",
                "v:-zzzzzzzzzzzzzzzzzzzzzzzzz",
            ]),
            None,
            min,
        ),
        (
            new(&[
                "sign",
                "--salt",
                "django.core.signing.TimestampSigner",
                "v:zzzzzzzzzzzzzzzzzzzzzzzzz",
            ]),
            None,
            max,
        ),
        (new(&["dumps", "--now", "-1e300", "[1]"]), None, min),
        (
            new(&["django", "session", "encode", "--now", "-1e300", "{}"]),
            None,
            min,
        ),
        (
            new(&[
                "django", "cookie", "set", "--name", "c", "--now", "1e300", "v",
            ]),
            Some("c"),
            max,
        ),
        // The messages cookie's timestamp is read by the CLI itself.
        (
            new(&["django", "messages", "encode", "--now", "-1e300", messages]),
            None,
            min,
        ),
        (
            new(&["django", "messages", "encode", "--now", "1e300", messages]),
            None,
            max,
        ),
    ];
    for (value, name, timestamp) in cases {
        let mut args = vec!["inspect"];
        if let Some(name) = name {
            args.extend(["--name", name]);
        }
        args.push(&value);
        let before = unix_now();
        let out = run(&args, &[("SECRET_KEY", KEY)]);
        let after = unix_now();
        assert_eq!(code(&out), 0, "{value}: {}", stderr(&out));
        let text = stdout(&out);
        let line = |name: &str| -> String {
            let prefix = format!("{name}: ");
            text.lines()
                .find_map(|l| l.strip_prefix(&prefix))
                .unwrap_or_else(|| panic!("{name} in\n{text}"))
                .to_owned()
        };
        assert!(
            line("timestamp").starts_with(&format!("{timestamp} (")),
            "{text}"
        );
        let age: i128 = line("age").strip_suffix(" s").unwrap().parse().unwrap();
        let expected = |now: i128| now - i128::from(timestamp);
        assert!(
            (expected(before)..=expected(after)).contains(&age),
            "{age} in\n{text}"
        );

        args.insert(1, "--json");
        let report: Value =
            serde_json::from_str(&stdout(&run(&args, &[("SECRET_KEY", KEY)]))).unwrap();
        assert_eq!(report["timestamp"], json!(timestamp), "{value}");
    }
}

/// Spawns `resign` and feeds it `chunks` one after the other; `probe` runs
/// with the child's pid after the chunk at that index was written.
fn resign_streaming(
    env: &[(&str, &str)],
    chunks: &[Vec<u8>],
    probe: Option<(usize, &dyn Fn(u32))>,
) -> Output {
    let mut child = command(&["resign", "--timestamp"], env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for (index, chunk) in chunks.iter().enumerate() {
        stdin.write_all(chunk).unwrap();
        if let Some((at, probe)) = probe
            && at == index
        {
            probe(child.id());
        }
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// The peak resident memory of a running process, in KiB (Linux).
#[cfg(target_os = "linux")]
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

#[test]
fn resign_skips_over_long_lines_without_buffering_them() {
    let limit = 4 << 20; // signring::DEFAULT_MAX_INPUT_LEN
    let env = [("SECRET_KEY", KEY), ("SECRET_KEY_FALLBACKS", &fallbacks())];
    let stale = old(&["sign", "--timestamp", "--now", NOW, "a"]);
    let fresh = new(&["sign", "--timestamp", "--now", NOW, "b"]);
    let resigned = new(&["sign", "--timestamp", "--now", NOW, "a"]);
    let line = |text: &str| format!("{text}\n").into_bytes();

    // One byte over the limit, then the lines after it.
    let mut over = vec![b'x'; limit + 1];
    over.push(b'\n');
    let out = resign_streaming(
        &env,
        &[line(&stale), over, line(&fresh), line(&stale)],
        None,
    );
    assert_eq!(code(&out), 1);
    assert_eq!(
        stdout(&out).lines().collect::<Vec<_>>(),
        [
            resigned.as_str(),
            "!error malformed",
            fresh.as_str(),
            resigned.as_str()
        ]
    );
    assert_eq!(
        stderr(&out).trim(),
        "resign: 4 read, 1 fresh, 2 re-signed, 1 failed"
    );

    // A 100 MB line, written in pieces: the command reads past it with its
    // memory bounded, and goes on with the next lines.
    let piece = vec![b'y'; 1 << 20];
    let mut chunks = vec![line(&fresh)];
    chunks.extend(std::iter::repeat_n(piece, 100));
    chunks.push(b"\n".to_vec());
    let huge_end = chunks.len() - 1;
    chunks.push(line(&stale));
    // The last line has no newline.
    chunks.push(fresh.clone().into_bytes());
    #[cfg(target_os = "linux")]
    let probe = |pid: u32| {
        // By now the child has read all but a pipe's worth of the 100 MB.
        let peak = peak_rss_kib(pid);
        assert!(peak < 64 * 1024, "peak RSS {peak} KiB for a 100 MB line");
    };
    #[cfg(target_os = "linux")]
    let probe: Option<(usize, &dyn Fn(u32))> = Some((huge_end, &probe));
    #[cfg(not(target_os = "linux"))]
    let probe: Option<(usize, &dyn Fn(u32))> = {
        let _ = huge_end;
        None
    };
    let out = resign_streaming(&env, &chunks, probe);
    assert_eq!(code(&out), 1);
    assert_eq!(
        stdout(&out).lines().collect::<Vec<_>>(),
        [
            fresh.as_str(),
            "!error malformed",
            resigned.as_str(),
            fresh.as_str()
        ]
    );
    assert_eq!(
        stderr(&out).trim(),
        "resign: 4 read, 2 fresh, 1 re-signed, 1 failed"
    );
}

#[test]
fn rotate_plan_counts_the_grace_period_from_the_last_promotion() {
    let (new_id, old_id) = key_ids();
    let start = 1_800_000_000_i64;
    // The fleet takes 30 days to stage the key everywhere.
    let promotion = start + 30 * 86_400;
    let grace = 1_209_600;
    let plan = rotated_json(&[
        "rotate-plan",
        "--json",
        "--now",
        &start.to_string(),
        "--promote-at",
        &promotion.to_string(),
    ]);
    assert_eq!(plan["now"], start);
    assert_eq!(plan["promote_at"], promotion);
    assert_eq!(plan["grace"], grace);
    let phases = plan["phases"].as_array().unwrap();
    assert_eq!(phases[0]["not_before"], start);
    assert_eq!(phases[1]["not_before"], promotion);
    assert_eq!(phases[1]["keys"][1]["id"], new_id.as_str());
    assert_eq!(
        phases[1]["keys"][1]["not_after"],
        promotion + grace,
        "the old key verifies for the whole grace period after the promotion"
    );
    assert_eq!(phases[2]["not_before"], promotion + grace);
    assert_eq!(phases[2]["retire"], json!([new_id, old_id]));

    // The text plan says the same.
    let out = rotated(&[
        "rotate-plan",
        "--now",
        &start.to_string(),
        "--promote-at",
        &promotion.to_string(),
    ]);
    let text = stdout(&out);
    // 1800000000 + 30 days and + 44 days.
    assert!(
        text.contains("2. promote (not before 2027-02-14T08:00:00Z)"),
        "{text}"
    );
    assert!(
        text.contains("3. retire (not before 2027-02-28T08:00:00Z)"),
        "{text}"
    );
    assert!(
        text.contains("verifies until 2027-02-28T08:00:00Z"),
        "{text}"
    );

    // A fractional promotion rounds up, never shortening the grace period.
    let plan = rotated_json(&[
        "rotate-plan",
        "--json",
        "--now",
        "100",
        "--promote-at",
        "200.5",
        "--grace",
        "60",
    ]);
    assert_eq!(plan["phases"][2]["not_before"], 261);
    // Without --promote-at the promotion is the plan's start.
    let plan = rotated_json(&["rotate-plan", "--json", "--now", "100", "--grace", "60"]);
    assert_eq!(plan["promote_at"], 100);
    assert_eq!(plan["phases"][2]["not_before"], 160);
    // Promoting before staging is refused.
    let out = rotated(&["rotate-plan", "--now", "100", "--promote-at", "99"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--promote-at"), "{}", stderr(&out));
}

#[test]
fn hostile_inputs_fail_cleanly() {
    let env = [("SECRET_KEY", KEY)];
    // No panic (exit 101) anywhere.
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["django", "cookie", "set", "--name", "", "v"], 0),
        (vec!["django", "cookie", "get", "--name", "", "v:1:x"], 1),
        (vec!["inspect", "--name", "", "v:1:x"], 1),
        (vec!["rotate-plan", "--grace", "18446744073709551615"], 0),
        (vec!["rotate-plan", "--max-age", "18446744073709551615"], 0),
        (vec!["rotate-plan", "--grace", "-1"], 2),
        (
            vec!["rotate-plan", "--now", "1e300", "--promote-at", "1e308"],
            0,
        ),
        (vec!["sign", "--sep", "", "v"], 2),
    ];
    for (args, expected) in cases {
        let out = run(&args, &env);
        assert_eq!(code(&out), expected, "{args:?}: {}", stderr(&out));
    }
    for (name, value) in [
        ("SESSION_COOKIE_AGE", "-9223372036854775808"),
        ("SESSION_COOKIE_AGE", "9223372036854775807"),
        ("PASSWORD_RESET_TIMEOUT", "-9223372036854775808"),
    ] {
        let out = run(
            &["rotate-plan", "--json"],
            &[("SECRET_KEY", KEY), (name, value)],
        );
        assert_eq!(code(&out), 0, "{name}={value}: {}", stderr(&out));
    }
}

#[cfg(unix)]
#[test]
fn environment_that_is_not_utf8_is_a_configuration_error() {
    use std::os::unix::ffi::OsStrExt as _;
    let bad = std::ffi::OsStr::from_bytes(b"\xff\xfe");
    // Before, these were taken as unset: fallbacks silently dropped, a
    // timeout silently back to its default.
    for (name, args) in [
        ("SECRET_KEY_FALLBACKS", &["sign", "v"][..]),
        ("SESSION_COOKIE_AGE", &["django", "session", "encode", "{}"]),
        (
            "PASSWORD_RESET_TIMEOUT",
            &[
                "django",
                "reset-token",
                "make",
                r#"{"pk":1,"password":"x"}"#,
            ],
        ),
        (
            "SIGNED_COOKIE_LEGACY_SALT_FALLBACK",
            &["django", "cookie", "get", "--name", "n", "v:1:x"],
        ),
    ] {
        let out = command(args, &[("SECRET_KEY", KEY)])
            .env(name, bad)
            .output()
            .unwrap();
        assert_eq!(code(&out), 2, "{name}");
        assert_eq!(
            stderr(&out).trim(),
            format!("signring: {name} is not UTF-8")
        );
    }
    let out = command(&["--django", "3.2", "sign", "v"], &[("SECRET_KEY", KEY)])
        .env("DEFAULT_HASHING_ALGORITHM", bad)
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
}

#[cfg(unix)]
#[test]
fn keys_files_are_read_with_a_bound() {
    // /dev/zero never ends (and is valid UTF-8): before, the CLI read it until
    // memory ran out.
    let out = run(&["--keys-file", "/dev/zero", "sign", "v"], &[]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out).trim(),
        "signring: keys file is larger than 1048576 bytes"
    );
}
