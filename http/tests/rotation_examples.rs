//! The axum-extra and tower-sessions rotation examples, run as they are:
//! every user is recognized in every phase, and each old cookie is re-issued
//! exactly once, on the first visit after the promotion.

#![allow(clippy::unwrap_used)] // a test that cannot set up should fail loudly
#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)] // Unix seconds, far below 2^53

use std::process::Command;

fn run_example(name: &str) -> String {
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args(["run", "--quiet", "-p", "signring-http", "--example", name]);
    if !cfg!(debug_assertions) {
        cargo.arg("--release");
    }
    let output = cargo.output().expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn check(stdout: &str) {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 8, "{stdout}");
    for line in &lines[..7] {
        assert!(line.contains("20/20 recognized"), "{line}");
    }
    let reissued: Vec<&str> = lines[..7]
        .iter()
        .map(|l| l.trim_end().rsplit("recognized").next().unwrap().trim())
        .collect();
    assert_eq!(
        reissued,
        [
            "0 re-issued",
            "0 re-issued",
            "0 re-issued",
            "20 re-issued",
            "0 re-issued",
            "0 re-issued",
            "0 re-issued"
        ]
    );
    assert!(lines[3].starts_with("promote B"));
    assert!(lines[7].starts_with("no user lost their"));
}

#[test]
fn axum_extra_signed_cookie_jar_app_moves_to_a_new_key() {
    check(&run_example("axum_extra_rotation"));
}

#[test]
fn tower_sessions_app_moves_to_a_new_key() {
    check(&run_example("tower_sessions_rotation"));
}
