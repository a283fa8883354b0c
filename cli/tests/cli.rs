//! The CLI contract, driven as an outside test would drive it.

#![allow(clippy::unwrap_used)] // a test that cannot set up should fail loudly

use std::io::Write as _;
use std::process::{Command, Output};

const KEY: &str = "doc-example-secret-key-not-used-anywhere-else-0123456789";
const OLD_KEY: &str = "an-older-key-that-signed-last-quarter-0123456789abcdef";

fn signring(args: &[&str]) -> Output {
    signring_env(args, &[("SECRET_KEY", KEY)])
}

fn signring_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_signring"));
    command
        .args(args)
        .env_remove("SECRET_KEY")
        .env_remove("SECRET_KEY_FALLBACKS")
        .env_remove("DEFAULT_HASHING_ALGORITHM");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the signring binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .trim_end_matches('\n')
        .to_owned()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap()
}

#[test]
fn sign_reproduces_the_spec_examples() {
    assert_eq!(
        stdout(&signring(&["sign", "hello"])),
        "hello:esiZUAzOvXgS5j7ODtFQJLmMnwCZEmD2I0T5k40jYG8"
    );
    assert_eq!(
        stdout(&signring(&["--django", "2.2", "sign", "hello"])),
        "hello:MslH53VvvHxACk32ND0Vai0uqlg"
    );
    assert_eq!(
        stdout(&signring(&[
            "sign",
            "--timestamp",
            "--now",
            "1600000000",
            "hello"
        ])),
        "hello:1kHR5c:aMRrzr6bANWDtXY3HAeWgJcobDJ8paHVWqpOfg1YO-Y"
    );
    assert_eq!(
        stdout(&signring(&["dumps", "--now=1600000000", r#"{"a": 1}"#])),
        "eyJhIjoxfQ:1kHR5c:xqJlJyiwrrULZIShPCalrQd94qE-JNfsH6uex_ETIZo"
    );
    assert_eq!(
        stdout(&signring(&[
            "--django",
            "2.2",
            "dumps",
            "--now",
            "1600000000",
            r#"{"a": 1}"#
        ])),
        "eyJhIjoxfQ:1kHR5c:frgKd-yXXtMfYh7Ab2oZH_q1FDk"
    );
    let list: Vec<String> = (0..30).map(|i| i.to_string()).collect();
    let list = format!("[{}]", list.join(", "));
    assert_eq!(
        stdout(&signring(&[
            "dumps",
            "--compress",
            "--now",
            "1600000000",
            &list
        ])),
        ".eJwNy8kNACEQA8GE-oHNXMSCNv80lm9JdRfCbIKkaIaDHgoZbRQoUaFGgw5e-B3jjQMnLtx48Pl-gH4Pug:1kHR5c:4IChT3ItwVSY12l3FRYIY0Js3RuZr15ymJ0_ZSzOsRw"
    );
}

#[test]
fn every_hashlib_algorithm_signs_as_django_does() {
    // Signer(algorithm=...).sign("hello") in Django 5.2.19, from
    // tests/data/django/algorithms-5.2.json.
    for (algorithm, signed) in [
        ("md5", "hello:XxufCQJBfQq9IEe2E1id-Q"),
        (
            "blake2s",
            "hello:EAkN_9iHdd2vTQyWUbW1iBHIsrbN1X5GBuOGhmLq2mU",
        ),
        (
            "sha3_256",
            "hello:7v0qRR1FM65Rf3A8T0NW9xV25vfM3tyNtZL-iRBIj8E",
        ),
        (
            "blake2b",
            "hello:lbYwBy_xWxqDpc3_lNeElxbkHucyiFZGo47jzw1RBS-UVHTxSHKJ5p8Txtvghi79j2_I1tdJGNp5wb1n6R56jQ",
        ),
    ] {
        assert_eq!(
            stdout(&signring(&["sign", "--algorithm", algorithm, "hello"])),
            signed,
            "{algorithm}"
        );
        assert_eq!(
            stdout(&signring(&[
                "unsign",
                "--json",
                "--algorithm",
                algorithm,
                signed
            ])),
            format!(
                r#"{{"ok":true,"value":"hello","key_index":0,"stale":false,"algorithm":"{algorithm}","timestamp":null}}"#
            )
        );
    }
}

#[test]
fn unsign_json_reports_key_index_and_staleness() {
    let signed = stdout(&signring_env(
        &["sign", "hello"],
        &[("SECRET_KEY", OLD_KEY)],
    ));
    let fallbacks = format!(r#"["{OLD_KEY}"]"#);
    let out = signring_env(
        &["unsign", "--json", &signed],
        &[("SECRET_KEY", KEY), ("SECRET_KEY_FALLBACKS", &fallbacks)],
    );
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out),
        r#"{"ok":true,"value":"hello","key_index":1,"stale":true,"algorithm":"sha256","timestamp":null}"#
    );
    let out = signring(&[
        "unsign",
        "--json",
        "hello:esiZUAzOvXgS5j7ODtFQJLmMnwCZEmD2I0T5k40jYG8",
    ]);
    assert_eq!(
        stdout(&out),
        r#"{"ok":true,"value":"hello","key_index":0,"stale":false,"algorithm":"sha256","timestamp":null}"#
    );
}

#[test]
fn failures_exit_1_with_the_error_kind() {
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "unsign",
                "--json",
                "hello:esiZUAzOvXgS5j7ODtFQJLmMnwCZEmD2I0T5k40jYG9",
            ],
            "bad_signature",
        ),
        (&["unsign", "--json", "no separator"], "malformed"),
        (
            &[
                "loads",
                "--json",
                "--max-age",
                "10",
                "--now",
                "1600000011",
                "eyJhIjoxfQ:1kHR5c:xqJlJyiwrrULZIShPCalrQd94qE-JNfsH6uex_ETIZo",
            ],
            "expired",
        ),
        (
            &[
                "loads",
                "--json",
                "--no-timestamp",
                "!!!:Y6kAUU_bqcx9BjJ-GqI0sTeEBVNEuS8GYFcfCXCFaYI",
            ],
            "bad_signature",
        ),
        (
            &[
                "unsign",
                "--json",
                "--timestamp",
                "--max-age=-1",
                "--now",
                "1600000000",
                "hello:1kHR5c:aMRrzr6bANWDtXY3HAeWgJcobDJ8paHVWqpOfg1YO-Y",
            ],
            "expired",
        ),
    ];
    for (args, kind) in cases {
        let out = signring(args);
        assert_eq!(code(&out), 1, "{args:?}");
        assert_eq!(
            stdout(&out),
            format!(r#"{{"ok":false,"error":"{kind}"}}"#),
            "{args:?}"
        );
    }
    let payload = stdout(&signring(&[
        "sign",
        "--salt",
        "django.core.signing",
        "--timestamp",
        "--now",
        "5",
        "!!!",
    ]));
    let out = signring(&["loads", "--json", &payload]);
    assert_eq!(stdout(&out), r#"{"ok":false,"error":"payload"}"#);
}

#[test]
fn without_json_the_error_goes_to_stderr_without_the_value() {
    let out = signring(&["unsign", "secret-value:AAAA"]);
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim(), "signring: bad signature");
}

#[test]
fn usage_and_configuration_errors_exit_2() {
    assert_eq!(
        code(&signring(&["sign", "--sep", "a", "v"])),
        2,
        "unsafe separator"
    );
    assert_eq!(
        code(&signring(&["--django", "4.1", "sign", "v"])),
        2,
        "unknown version"
    );
    assert_eq!(
        code(&signring(&["sign", "--algorithm", "shake_128", "v"])),
        2,
        "unknown algorithm (no fixed digest size: Django refuses it too)"
    );
    assert_eq!(
        code(&signring(&[
            "--django",
            "2.2",
            "sign",
            "--algorithm",
            "sha256",
            "v"
        ])),
        2
    );
    assert_eq!(
        code(&signring(&["sign", "--now", "5", "v"])),
        2,
        "--now needs --timestamp"
    );
    assert_eq!(code(&signring(&["sign"])), 2, "missing value");
    assert_eq!(code(&signring_env(&["sign", "v"], &[])), 2, "no SECRET_KEY");
    assert_eq!(
        code(&signring_env(
            &["sign", "v"],
            &[("SECRET_KEY", KEY), ("SECRET_KEY_FALLBACKS", "nope")]
        )),
        2
    );
    assert_eq!(code(&signring(&["dumps", "{bad json"])), 2);
    let out = signring_env(
        &["--django", "3.2", "sign", "v"],
        &[("SECRET_KEY", KEY), ("DEFAULT_HASHING_ALGORITHM", "md5")],
    );
    assert_eq!(code(&out), 2);
}

#[test]
fn django_3_2_reads_default_hashing_algorithm() {
    let env = [("SECRET_KEY", KEY), ("DEFAULT_HASHING_ALGORITHM", "sha1")];
    assert_eq!(
        stdout(&signring_env(&["--django", "3.2", "sign", "hello"], &env)),
        "hello:MslH53VvvHxACk32ND0Vai0uqlg"
    );
    // Other profiles ignore the setting, as Django 4.0+ removed it.
    assert_eq!(
        stdout(&signring_env(&["--django", "4.2", "sign", "hello"], &env)),
        "hello:esiZUAzOvXgS5j7ODtFQJLmMnwCZEmD2I0T5k40jYG8"
    );
    // 3.2 with the default setting accepts the legacy sha1 signature, stale.
    let out = signring(&[
        "--django",
        "3.2",
        "unsign",
        "--json",
        "hello:MslH53VvvHxACk32ND0Vai0uqlg",
    ]);
    assert_eq!(
        stdout(&out),
        r#"{"ok":true,"value":"hello","key_index":0,"stale":true,"algorithm":"sha1","timestamp":null}"#
    );
    // 4.2 does not.
    assert_eq!(
        code(&signring(&[
            "--django",
            "4.2",
            "unsign",
            "hello:MslH53VvvHxACk32ND0Vai0uqlg"
        ])),
        1
    );
}

#[test]
fn keys_file_lists_current_then_fallbacks() {
    let dir = std::env::temp_dir().join(format!("signring-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys");
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(file, "{KEY}\n{OLD_KEY}").unwrap();
    let path = path.to_str().unwrap();
    let old = stdout(&signring_env(&["sign", "v"], &[("SECRET_KEY", OLD_KEY)]));
    let out = signring_env(&["--keys-file", path, "unsign", "--json", &old], &[]);
    assert_eq!(
        stdout(&out),
        r#"{"ok":true,"value":"v","key_index":1,"stale":true,"algorithm":"sha256","timestamp":null}"#
    );
    // The file wins over the environment, and it signs with its first line.
    let out = signring_env(
        &["--keys-file", path, "sign", "hello"],
        &[("SECRET_KEY", OLD_KEY)],
    );
    assert_eq!(
        stdout(&out),
        "hello:esiZUAzOvXgS5j7ODtFQJLmMnwCZEmD2I0T5k40jYG8"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn double_dash_ends_options_and_negative_seconds_parse() {
    let out = signring(&["sign", "--", "--json"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).starts_with("--json:"));
    let signed = stdout(&signring(&[
        "sign",
        "--timestamp",
        "--now",
        "-1.5",
        "--",
        "-v",
    ]));
    assert!(signed.starts_with("-v:-1:"), "{signed}");
    let out = signring(&[
        "unsign",
        "--timestamp",
        "--max-age",
        "0.5",
        "--now",
        "-0.5",
        "--json",
        "--",
        &signed,
    ]);
    assert_eq!(
        stdout(&out),
        r#"{"ok":true,"value":"-v","key_index":0,"stale":false,"algorithm":"sha256","timestamp":-1}"#
    );
}

#[test]
fn python_json_extensions_round_trip() {
    let signed = stdout(&signring(&[
        "dumps",
        r#"{"x": [NaN, Infinity, -Infinity, 1e16, 0.0001, "é"]}"#,
    ]));
    assert_eq!(
        stdout(&signring(&["loads", &signed])),
        r#"{"x":[NaN,Infinity,-Infinity,1e+16,0.0001,"\u00e9"]}"#
    );
    let out = signring(&["loads", "--json", &signed]);
    assert!(stdout(&out).starts_with(r#"{"ok":true,"value":{"x":[NaN,Infinity,-Infinity,1e+16,0.0001,"\u00e9"]},"key_index":0,"stale":false,"algorithm":"sha256","timestamp":"#));
}

#[test]
fn default_salts_mirror_the_django_calls() {
    // dumps --no-timestamp is Signer.sign_object: Signer's salt.
    let out = stdout(&signring(&["dumps", "--no-timestamp", "[1]"]));
    let plain = stdout(&signring(&["sign", "WzFd"]));
    assert_eq!(out, plain);
    // dumps --salt "" is TimestampSigner's default salt, Django's trap.
    let empty = stdout(&signring(&["dumps", "--salt", "", "--now", "7", "[1]"]));
    let ts = stdout(&signring(&["sign", "--timestamp", "--now", "7", "WzFd"]));
    assert_eq!(empty, ts);
}

#[test]
fn keygen_prints_fifty_characters_from_djangos_alphabet() {
    let a = stdout(&signring_env(&["keygen"], &[]));
    let b = stdout(&signring_env(&["keygen"], &[]));
    assert_eq!(a.chars().count(), 50);
    assert!(
        a.chars()
            .all(|c| "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)".contains(c))
    );
    assert_ne!(a, b);
}

#[test]
fn keys_never_reach_output() {
    for args in [
        &["unsign", "--json", "x:y"][..],
        &["sign", "v"],
        &["loads", "a:b:c"],
        &["sign", "--sep", "a", "v"],
    ] {
        let out = signring(args);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(KEY), "{args:?}");
    }
}

/// Every option that takes seconds as a number, with the arguments that make
/// its command otherwise valid.
fn seconds_options() -> Vec<(Vec<&'static str>, &'static str)> {
    let stamped = "hello:1kHR5c:aMRrzr6bANWDtXY3HAeWgJcobDJ8paHVWqpOfg1YO-Y";
    let dumped = "eyJhIjoxfQ:1kHR5c:xqJlJyiwrrULZIShPCalrQd94qE-JNfsH6uex_ETIZo";
    let session = "eyJhIjoxfQ:1kHR5c:J7IJ7Jd8RbJSZ0QqIeW5ddv6IGcddZoQuEUVxRvttuc";
    let cookie = "value:1kHR5c:2CC_8P5Qbfg5Dksx7fKuzqY_FN8Wk6quoyn0ksvr5FQ";
    let messages = r#"[{"level":20,"message":"Hello"}]"#;
    vec![
        (vec!["sign", "--timestamp", "v"], "--now"),
        (vec!["unsign", "--timestamp", stamped], "--now"),
        (vec!["unsign", "--timestamp", stamped], "--max-age"),
        (vec!["dumps", "[1]"], "--now"),
        (vec!["loads", dumped], "--now"),
        (vec!["loads", dumped], "--max-age"),
        (vec!["rotate-plan"], "--now"),
        (vec!["rotate-plan"], "--promote-at"),
        (vec!["django", "session", "encode", "{}"], "--now"),
        (vec!["django", "session", "decode", session], "--now"),
        (
            vec![
                "django",
                "session",
                "rotate",
                "--password-hash",
                "x",
                session,
            ],
            "--now",
        ),
        (
            vec!["django", "cookie", "set", "--name", "name", "v"],
            "--now",
        ),
        (
            vec!["django", "cookie", "get", "--name", "name", cookie],
            "--now",
        ),
        (
            vec!["django", "cookie", "get", "--name", "name", cookie],
            "--max-age",
        ),
        (vec!["django", "messages", "encode", messages], "--now"),
        (vec!["django", "messages", "store", messages], "--now"),
        (vec!["django", "messages", "decode", "x"], "--now"),
    ]
}

#[test]
fn non_finite_seconds_are_usage_errors() {
    // Before: NaN made `age > max_age` false, so this expired value was "ok".
    let expired = [
        "unsign",
        "--timestamp",
        "--now",
        "1600000011",
        "--max-age",
        "nan",
        "hello:1kHR5c:aMRrzr6bANWDtXY3HAeWgJcobDJ8paHVWqpOfg1YO-Y",
    ];
    let out = signring(&expired);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(out.stdout.is_empty());
    let message = String::from_utf8(out.stderr).unwrap();
    assert!(
        message.contains("--max-age") && message.contains("finite"),
        "{message}"
    );

    let non_finite = [
        "nan",
        "NaN",
        "-nan",
        "+nan",
        "inf",
        "-inf",
        "+inf",
        "infinity",
        "-Infinity",
        "1e999",
        "-1e999",
        " inf ",
    ];
    for (args, option) in seconds_options() {
        // The option is valid with a finite number.
        let finite = with_option(&args, option, "4000000000");
        let out = signring(&strs(&finite));
        assert_ne!(
            code(&out),
            2,
            "{finite:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for value in non_finite {
            for form in [
                with_option(&args, option, value),
                with_option(&args, &format!("{option}={value}"), ""),
            ] {
                let out = signring(&strs(&form));
                assert_eq!(code(&out), 2, "{form:?}");
                assert!(out.stdout.is_empty(), "{form:?}");
                let message = String::from_utf8(out.stderr).unwrap();
                assert!(
                    message.contains("expected a finite number of seconds"),
                    "{form:?}: {message}"
                );
            }
        }
    }
    // Finite extremes stay accepted: the library saturates them.
    assert_eq!(
        code(&signring(&["sign", "--timestamp", "--now", "-1e300", "v"])),
        0
    );
    assert_eq!(code(&signring(&["rotate-plan", "--now", "1e300"])), 0);
}

/// `args` with `option` (and `value`, unless empty) inserted before the last
/// argument, which is the positional one (or after `rotate-plan`).
fn with_option(args: &[&'static str], option: &str, value: &str) -> Vec<String> {
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let at = if all.len() == 1 { 1 } else { all.len() - 1 };
    let mut inserted = vec![option.to_owned()];
    if !value.is_empty() {
        inserted.push(value.to_owned());
    }
    all.splice(at..at, inserted);
    all
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}
