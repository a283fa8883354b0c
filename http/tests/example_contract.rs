//! The django_cookies example's fixed contract, driven over HTTP as an
//! outside test would: the real example binary on 127.0.0.1:0, a real client.

#![allow(clippy::unwrap_used)] // a test that cannot set up should fail loudly
#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)] // Unix seconds, far below 2^53

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE, VARY};
use signring::django::{SessionBackend, SessionCodec, SignedCookie};
use signring::{DjangoVersion, KeyRing, Options, UnixTime, json};

const OLD: &str = "contract-old-key-retired-9f8e7d6c5b4a-QWERTYUIOPASDFGHJKLZXCVBNM";
const NEW: &str = "contract-new-key-current-1a2b3c4d5e6f-qwertyuiopasdfghjklzxcvbnm";
const AGE: i64 = 1_209_600;

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn example_binary() -> std::path::PathBuf {
    // `cargo test` builds the examples, `cargo test --test example_contract`
    // does not: build it (a no-op when it is fresh) with the same profile.
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let mut cargo = Command::new(env!("CARGO"));
        cargo.args([
            "build",
            "--quiet",
            "-p",
            "signring-http",
            "--example",
            "django_cookies",
        ]);
        if !cfg!(debug_assertions) {
            cargo.arg("--release");
        }
        assert!(cargo.status().unwrap().success(), "building the example");
    });
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    dir.join("examples")
        .join(format!("django_cookies{}", std::env::consts::EXE_SUFFIX))
}

fn start(django: &str, fallbacks: &[&str]) -> Server {
    start_with(django, fallbacks, &[])
}

fn start_with(django: &str, fallbacks: &[&str], extra: &[&str]) -> Server {
    let mut child = Command::new(example_binary())
        .args(["--listen", "127.0.0.1:0", "--django", django])
        .args(extra)
        .env("SECRET_KEY", NEW)
        .env("SECRET_KEY_FALLBACKS", serde_json_list(fallbacks))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the example is built by cargo test");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "printed {line:?}");
    Server {
        child,
        base: format!("http://{addr}"),
    }
}

fn serde_json_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(","))
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn ring(key: &str) -> KeyRing {
    KeyRing::new(key).unwrap()
}

fn session_codec(ring: &KeyRing, version: DjangoVersion) -> SessionCodec {
    SessionCodec::builder(ring)
        .backend(SessionBackend::SignedCookies)
        .options(Options::new().django(version))
        .build()
        .unwrap()
}

fn session_value(key: &str, version: DjangoVersion, signed_at: f64) -> String {
    let map: json::Map = json::from_str(r#"{"user":"42","cart":[1,2,3]}"#).unwrap();
    session_codec(&ring(key), version)
        .encode_at(&map, UnixTime::from_secs_f64(signed_at))
        .unwrap()
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

async fn get(client: &reqwest::Client, url: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = client.get(url);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn stale_session_is_reissued_with_exact_attributes_and_remaining_max_age() {
    let server = start("5.2", &[OLD]);
    let client = reqwest::Client::new();
    let signed_at = (now() - 1000.0).floor();
    let old_session = session_value(OLD, DjangoVersion::V5_2, signed_at);

    let sent_at = now();
    let response = get(
        &client,
        &format!("{}/session", server.base),
        Some(&format!("sessionid={old_session}")),
    )
    .await;
    let received_at = now();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    assert_eq!(response.headers()[VARY], "Cookie");
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let body: json::Map = json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(
        json::to_string(&body).unwrap(),
        r#"{"user":"42","cart":[1,2,3]}"#
    );

    // sessionid=<re-signed, same timestamp>; Path=/; HttpOnly; SameSite=Lax; Max-Age=<remaining>
    let rest = cookies[0].strip_prefix("sessionid=").unwrap();
    let (value, attributes) = rest.split_once("; ").unwrap();
    let (fixed, max_age) = attributes.rsplit_once("; Max-Age=").unwrap();
    assert_eq!(fixed, "Path=/; HttpOnly; SameSite=Lax");
    let max_age: i64 = max_age.parse().unwrap();
    let earliest = (signed_at + AGE as f64 - received_at).floor() as i64;
    let latest = (signed_at + AGE as f64 - sent_at).floor() as i64;
    assert!(
        (earliest..=latest).contains(&max_age),
        "{earliest} <= {max_age} <= {latest}"
    );
    assert_ne!(value, old_session);

    // Django holding only the new key reads it, with the same timestamp.
    let decoded = session_codec(&ring(NEW), DjangoVersion::V5_2)
        .decode(value)
        .unwrap();
    assert_eq!(decoded.record.timestamp, Some(signed_at as i64));
    assert!(!decoded.record.stale);
    assert_eq!(
        json::to_string(&decoded.session).unwrap(),
        r#"{"user":"42","cart":[1,2,3]}"#
    );

    // The re-issued value is fresh: nothing re-issued the second time.
    let response = get(
        &client,
        &format!("{}/session", server.base),
        Some(&format!("sessionid={value}")),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(set_cookies(&response).is_empty());
}

#[tokio::test]
async fn fresh_failing_expired_and_garbage_sessions() {
    let server = start("5.2", &[OLD]);
    let client = reqwest::Client::new();
    let url = format!("{}/session", server.base);
    let fresh = session_value(NEW, DjangoVersion::V5_2, now());
    let response = get(&client, &url, Some(&format!("sessionid={fresh}"))).await;
    assert_eq!(response.status(), 200);
    assert!(set_cookies(&response).is_empty());

    let expired = session_value(OLD, DjangoVersion::V5_2, now() - AGE as f64 - 10.0);
    let unknown = session_value(
        "contract-unknown-key-0123456789abcdefghijklmnopqrstuvwxyz",
        DjangoVersion::V5_2,
        now(),
    );
    let garbage = [
        format!("sessionid={expired}"),
        format!("sessionid={unknown}"),
        "sessionid=garbage".to_owned(),
        "sessionid=".to_owned(),
        "sessionid=\"\\\"".to_owned(),
        "sessionid=a:b:c:d".to_owned(),
        format!("sessionid={}", "A".repeat(10_000)),
        ";;;===;".to_owned(),
    ];
    for cookie in &garbage {
        let response = get(&client, &url, Some(cookie)).await;
        assert_eq!(response.status(), 403, "{cookie}");
        assert!(set_cookies(&response).is_empty(), "{cookie}");
    }
    let response = get(&client, &url, None).await;
    assert_eq!(response.status(), 403);
    // Still serving.
    let response = get(&client, &url, Some(&format!("sessionid={fresh}"))).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn signed_cookie_with_salt_is_reissued_with_path_only() {
    let server = start("5.2", &[OLD]);
    let client = reqwest::Client::new();
    let signed_at = UnixTime::from_secs_f64(now() - 50.0);
    let old = SignedCookie::builder(&ring(OLD), "color")
        .salt("ui")
        .django(DjangoVersion::V5_2)
        .build()
        .unwrap();
    let value = old.sign_at("blue", signed_at);
    let url = format!("{}/cookie/color?salt=ui", server.base);
    let response = get(&client, &url, Some(&format!("other=1; color={value}"))).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    let cookies = set_cookies(&response);
    assert_eq!(response.text().await.unwrap(), "blue");
    assert_eq!(cookies.len(), 1);
    let reissued = cookies[0]
        .strip_prefix("color=")
        .unwrap()
        .strip_suffix("; Path=/")
        .unwrap();
    let new_only = SignedCookie::builder(&ring(NEW), "color")
        .salt("ui")
        .django(DjangoVersion::V5_2)
        .build()
        .unwrap();
    let verified = new_only.unsign(reissued).unwrap();
    assert_eq!(
        (verified.value, verified.record.timestamp),
        ("blue", Some(signed_at.as_secs_f64() as i64))
    );

    // Fresh: no re-issue. Wrong salt, absent, garbage: 403 and nothing set.
    let response = get(&client, &url, Some(&format!("color={reissued}"))).await;
    assert_eq!(response.status(), 200);
    assert!(set_cookies(&response).is_empty());
    for (url, cookie) in [
        (
            format!("{}/cookie/color?salt=other", server.base),
            format!("color={value}"),
        ),
        (
            format!("{}/cookie/color", server.base),
            format!("color={value}"),
        ),
        (url.clone(), "color=blue".to_owned()),
        (url.clone(), "colour=x".to_owned()),
        (url.clone(), String::new()),
    ] {
        let response = get(&client, &url, Some(&cookie)).await;
        assert_eq!(response.status(), 403, "{url} {cookie}");
        assert!(set_cookies(&response).is_empty());
    }
}

#[tokio::test]
async fn handlers_set_with_the_current_key_and_every_profile_starts() {
    for (profile, version) in [
        ("2.2", DjangoVersion::V2_2),
        ("3.2", DjangoVersion::V3_2),
        ("4.2", DjangoVersion::V4_2),
        ("6.0", DjangoVersion::V6_0),
        ("6.1", DjangoVersion::V6_1),
    ] {
        let server = start(profile, &[OLD]);
        let client = reqwest::Client::new();
        let response = client
            .post(format!("{}/cookie/pref?salt=s", server.base))
            .body("dark")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let cookies = set_cookies(&response);
        let value = cookies[0]
            .strip_prefix("pref=")
            .unwrap()
            .strip_suffix("; Path=/")
            .unwrap();
        let new_only = SignedCookie::builder(&ring(NEW), "pref")
            .salt("s")
            .django(version)
            .build()
            .unwrap();
        assert_eq!(new_only.unsign(value).unwrap().value, "dark", "{profile}");

        let response = client
            .post(format!("{}/session", server.base))
            .body(r#"{"a":1}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let cookies = set_cookies(&response);
        let rest = cookies[0].strip_prefix("sessionid=").unwrap();
        let (value, attributes) = rest.split_once("; ").unwrap();
        assert_eq!(
            attributes,
            "Path=/; HttpOnly; SameSite=Lax; Max-Age=1209600"
        );
        let session = session_codec(&ring(NEW), version).decode(value).unwrap();
        assert_eq!(
            json::to_string(&session.session).unwrap(),
            r#"{"a":1}"#,
            "{profile}"
        );

        // And a session the old key signed under this profile is re-issued.
        let old = session_value(OLD, version, now() - 10.0);
        let response = get(
            &client,
            &format!("{}/session", server.base),
            Some(&format!("sessionid={old}")),
        )
        .await;
        assert_eq!(response.status(), 200, "{profile}");
        assert_eq!(set_cookies(&response).len(), 1, "{profile}");
    }
}

/// What a response says, for comparing the two modes: status, content type,
/// body, and each `Set-Cookie` with its value decoded by `read`.
async fn answer(
    response: reqwest::Response,
    read: impl Fn(&str, &str) -> String,
) -> (u16, Option<String>, Vec<String>, String) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let cookies = set_cookies(&response)
        .iter()
        .map(|c| {
            let (pair, attributes) = c.split_once("; ").unwrap_or((c, ""));
            let (name, value) = pair.split_once('=').unwrap();
            format!("{name}={}; {attributes}", read(name, value))
        })
        .collect();
    (
        status,
        content_type,
        cookies,
        response.text().await.unwrap(),
    )
}

#[tokio::test]
async fn without_the_layer_the_same_routes_give_the_same_answers() {
    let layered = start("5.2", &[OLD]);
    let plain = start_with("5.2", &[OLD], &["--no-layer"]);
    let client = reqwest::Client::new();
    let fresh = session_value(NEW, DjangoVersion::V5_2, now());
    let expired = session_value(NEW, DjangoVersion::V5_2, now() - AGE as f64 - 10.0);
    let color = SignedCookie::builder(&ring(NEW), "color")
        .salt("ui")
        .django(DjangoVersion::V5_2)
        .build()
        .unwrap()
        .sign("blue");
    let gets = [
        ("/session".to_owned(), Some(format!("sessionid={fresh}"))),
        (
            "/session".to_owned(),
            Some(format!("a=1; sessionid=x; sessionid={fresh}")),
        ),
        (
            "/session".to_owned(),
            Some(format!("sessionid={fresh}; sessionid=x")),
        ),
        ("/session".to_owned(), Some(format!("sessionid={expired}"))),
        ("/session".to_owned(), Some("sessionid=garbage".to_owned())),
        ("/session".to_owned(), None),
        (
            "/cookie/color?salt=ui".to_owned(),
            Some(format!("other=1; color={color}")),
        ),
        (
            "/cookie/color?salt=ui".to_owned(),
            Some(format!("color=\"{color}\"")),
        ),
        (
            "/cookie/color?salt=other".to_owned(),
            Some(format!("color={color}")),
        ),
        ("/cookie/color".to_owned(), Some("color=blue".to_owned())),
        ("/cookie/color?salt=ui".to_owned(), None),
    ];
    // Set-Cookie values are signed at the moment: compare what they decode to.
    let read = |name: &str, value: &str| -> String {
        if name == "sessionid" {
            let session = session_codec(&ring(NEW), DjangoVersion::V5_2)
                .decode(value)
                .unwrap();
            return json::to_string(&session.session).unwrap();
        }
        let salt = if name == "pref" { "s" } else { "ui" };
        let cookie = SignedCookie::builder(&ring(NEW).without_fallbacks(), name)
            .salt(salt)
            .django(DjangoVersion::V5_2)
            .build()
            .unwrap();
        cookie.unsign(value).unwrap().value.to_owned()
    };
    for (path, cookie) in &gets {
        let mut answers = Vec::new();
        for server in [&layered, &plain] {
            let response = get(
                &client,
                &format!("{}{path}", server.base),
                cookie.as_deref(),
            )
            .await;
            answers.push(answer(response, read).await);
        }
        assert_eq!(answers[0], answers[1], "{path} {cookie:?}");
    }
    // Only the layer adds `Vary: Cookie` (and re-issues): the modes differ there.
    let url = |server: &Server| format!("{}/session", server.base);
    let response = get(&client, &url(&layered), None).await;
    assert_eq!(response.headers()[VARY], "Cookie");
    let response = get(&client, &url(&plain), None).await;
    assert!(response.headers().get(VARY).is_none());
    let posts = [
        ("/session", r#"{"a":1,"b":[true,null]}"#),
        ("/session", "not json"),
        ("/cookie/pref?salt=s", "dark"),
        ("/cookie/bad%3Bname", "x"),
    ];
    for (path, body) in posts {
        let mut answers = Vec::new();
        for server in [&layered, &plain] {
            let response = client
                .post(format!("{}{path}", server.base))
                .body(body)
                .send()
                .await
                .unwrap();
            answers.push(answer(response, read).await);
        }
        assert_eq!(answers[0], answers[1], "POST {path} {body}");
    }
}
