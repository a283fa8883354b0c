//! The layer in a real server on 127.0.0.1:0, driven by a real HTTP client.

#![allow(clippy::unwrap_used)] // a test that cannot set up should fail loudly
#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)] // Unix seconds, far below 2^53

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Extension;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cookie::Key;
use reqwest::header::{COOKIE, SET_COOKIE, VARY};
use signring::django::{Message, MessagesCookie, SignedCookie};
use signring::{
    FixedClock, KeyRing, KeyRole, Options, Outcome, RingKey, TimestampSigner, UnixTime,
    VerifyObserver,
};
use signring_http::{
    CookieKeyRing, CookieSpec, CookieState, Cookies, Failure, RingHandle, SignedCookieLayer,
};

const A: &str = "server-test-key-a-0123456789abcdefghijklmnopqrstuvwxyz-AAAA";
const B: &str = "server-test-key-b-0123456789abcdefghijklmnopqrstuvwxyz-BBBB";
const C: &str = "server-test-key-c-0123456789abcdefghijklmnopqrstuvwxyz-CCCC";
const SALT: &str = "tests.sid";

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

async fn fetch(client: &reqwest::Client, url: &str, cookie: &str) -> reqwest::Response {
    client.get(url).header(COOKIE, cookie).send().await.unwrap()
}

fn signer(ring: &KeyRing) -> TimestampSigner {
    TimestampSigner::builder(ring).salt(SALT).build().unwrap()
}

/// Answers with the `sid` cookie's text, 403 when it is not verified.
async fn echo(Extension(cookies): Extension<Cookies>) -> Response {
    match cookies.get("sid").and_then(|c| c.text()) {
        Some(text) => text.to_owned().into_response(),
        None => StatusCode::FORBIDDEN.into_response(),
    }
}

fn sid_app(ring: RingHandle<KeyRing>, options: Options) -> Router {
    let layer = SignedCookieLayer::builder()
        .ring(ring)
        .options(options)
        .cookie(
            CookieSpec::signring("sid", SALT)
                .max_age(3600)
                .http_only(true),
        )
        .build()
        .unwrap();
    Router::new()
        .route("/", get(echo))
        .route(
            "/fail",
            get(|Extension(cookies): Extension<Cookies>| async move {
                assert!(cookies.get("sid").is_some_and(|c| c.is_stale()));
                StatusCode::INTERNAL_SERVER_ERROR
            }),
        )
        .route(
            "/set",
            get(|Extension(cookies): Extension<Cookies>| async move {
                cookies.set("sid", "replaced").unwrap();
                StatusCode::OK
            }),
        )
        .route(
            "/remove",
            get(|Extension(cookies): Extension<Cookies>| async move {
                cookies.remove("sid").unwrap();
                StatusCode::OK
            }),
        )
        .route(
            "/vary",
            get(|| async { ([(header::VARY, "Accept-Encoding")], "ok") }),
        )
        .layer(layer)
}

fn rotated() -> KeyRing {
    let mut ring = KeyRing::new(A).unwrap();
    ring.rotate(B).unwrap();
    ring
}

#[tokio::test]
async fn exact_max_age_on_the_configured_clock() {
    let signed_at = 1_700_000_000.0;
    let clock = FixedClock::new(UnixTime::from_secs_f64(signed_at + 100.5));
    let base = serve(sid_app(
        RingHandle::new(rotated()),
        Options::new().clock(clock),
    ))
    .await;
    let old = signer(&KeyRing::new(A).unwrap()).sign_at("u1", UnixTime::from_secs_f64(signed_at));
    let response = fetch(
        &reqwest::Client::new(),
        &format!("{base}/"),
        &format!("sid={old}"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1);
    // 1_700_000_000 + 3600 - 1_700_000_100.5 = 3499.5: the whole seconds left.
    let value = cookies[0]
        .strip_prefix("sid=")
        .unwrap()
        .strip_suffix("; Path=/; HttpOnly; Max-Age=3499")
        .unwrap();
    let verified = signer(&KeyRing::new(B).unwrap())
        .unsign_at(value, UnixTime::from_secs_f64(signed_at))
        .unwrap();
    assert_eq!(verified.timestamp(), Some(signed_at as i64));
    assert_eq!(response.headers()[VARY], "Cookie");
}

#[tokio::test]
async fn never_reissued_on_5xx_after_a_set_or_remove_or_for_failures() {
    let base = serve(sid_app(RingHandle::new(rotated()), Options::new())).await;
    let client = reqwest::Client::new();
    let old = format!("sid={}", signer(&KeyRing::new(A).unwrap()).sign("u1"));

    let response = fetch(&client, &format!("{base}/fail"), &old).await;
    assert_eq!(response.status(), 500);
    assert!(set_cookies(&response).is_empty());
    assert!(response.headers().get(VARY).is_none());

    let response = fetch(&client, &format!("{base}/set"), &old).await;
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "only the handler's cookie: {cookies:?}");
    let value = cookies[0]
        .strip_prefix("sid=")
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    let value = signring::django::unquote_cookie_value(value);
    assert_eq!(
        *signer(&KeyRing::new(B).unwrap())
            .unsign(&value)
            .unwrap()
            .value(),
        "replaced"
    );

    let response = fetch(&client, &format!("{base}/remove"), &old).await;
    assert_eq!(
        set_cookies(&response),
        ["sid=\"\"; Path=/; HttpOnly; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]
    );

    for bad in ["sid=u1:xx:yy", "sid=", "sid=\"unterminated", "sid=%FF%FE"] {
        let response = fetch(&client, &format!("{base}/"), bad).await;
        assert_eq!(response.status(), 403, "{bad}");
        assert!(set_cookies(&response).is_empty(), "{bad}");
    }
    let expired =
        signer(&KeyRing::new(A).unwrap()).sign_at("u1", UnixTime::from_secs_f64(1_000_000_000.0));
    let response = fetch(&client, &format!("{base}/"), &format!("sid={expired}")).await;
    assert_eq!(response.status(), 403);
    assert!(set_cookies(&response).is_empty());
}

#[tokio::test]
async fn vary_is_merged_with_the_app_s() {
    let base = serve(sid_app(RingHandle::new(rotated()), Options::new())).await;
    let response = fetch(&reqwest::Client::new(), &format!("{base}/vary"), "x=1").await;
    let vary: Vec<_> = response
        .headers()
        .get_all(VARY)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(vary, ["Accept-Encoding", "Cookie"]);
}

#[tokio::test]
async fn staged_key_values_are_never_reissued() {
    let mut ring = KeyRing::new(A).unwrap();
    ring.stage(RingKey::new(B).unwrap().id("b")).unwrap();
    let base = serve(sid_app(RingHandle::new(ring), Options::new())).await;
    // Signed by a server that already promoted B.
    let newer = signer(&KeyRing::new(B).unwrap()).sign("u2");
    let response = fetch(
        &reqwest::Client::new(),
        &format!("{base}/"),
        &format!("sid={newer}"),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "u2");
}

#[derive(Debug, Default)]
struct Count {
    calls: AtomicU64,
    failed: AtomicU64,
}

impl VerifyObserver for Count {
    fn observe(&self, outcome: Outcome, _key_index: Option<usize>) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if outcome == Outcome::Failed {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Stage → promote → retire while clients keep sending requests, each
/// keeping the cookie the server last set, as a browser does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_swap_while_requests_run_loses_nobody() {
    let handle = RingHandle::new(KeyRing::from_ring_key(RingKey::new(A).unwrap().id("a")));
    let count = Arc::new(Count::default());
    let layer_app = {
        let layer = SignedCookieLayer::builder()
            .ring(handle.clone())
            .observer(count.clone())
            .cookie(CookieSpec::signring("sid", SALT).max_age(3600))
            .build()
            .unwrap();
        Router::new().route("/", get(echo)).layer(layer)
    };
    let base = serve(layer_app).await;
    let old_signer = signer(&KeyRing::new(A).unwrap());
    let newer_signer = signer(&KeyRing::new(B).unwrap());

    const CLIENTS: usize = 12;
    const FROM_NEWER: usize = 3; // clients whose cookie a promoted server set
    let phase = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let after_promote: Arc<Vec<AtomicUsize>> =
        Arc::new((0..CLIENTS).map(|_| AtomicUsize::new(0)).collect());
    let requests = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let user = format!("user-{i}");
        let mut cookie = if i < FROM_NEWER {
            newer_signer.sign(&user)
        } else {
            old_signer.sign(&user)
        };
        let (base, phase, stop, after_promote, requests) = (
            base.clone(),
            phase.clone(),
            stop.clone(),
            after_promote.clone(),
            requests.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut reissued = 0;
            let mut n = 0;
            while !stop.load(Ordering::Acquire) && n < 5_000 {
                n += 1;
                let seen = phase.load(Ordering::Acquire);
                // B-signed values exist only once every server staged B.
                if i < FROM_NEWER && seen == 0 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                }
                let response = fetch(&client, &format!("{base}/"), &format!("sid={cookie}")).await;
                requests.fetch_add(1, Ordering::Relaxed);
                assert_eq!(
                    response.status(),
                    200,
                    "{user} lost their cookie in phase {seen}"
                );
                let set = set_cookies(&response);
                if let Some(set) = set.first() {
                    assert!(
                        i >= FROM_NEWER,
                        "a staged or current key's value was re-issued"
                    );
                    reissued += 1;
                    let value = set.strip_prefix("sid=").unwrap().split(';').next().unwrap();
                    cookie = signring::django::unquote_cookie_value(value);
                }
                assert_eq!(response.text().await.unwrap(), user);
                if seen >= 2 {
                    after_promote[i].fetch_add(1, Ordering::Release);
                }
            }
            (cookie, reissued)
        }));
    }
    let wait_for = |min: usize| {
        let after_promote = after_promote.clone();
        async move {
            for _ in 0..2_000 {
                if after_promote
                    .iter()
                    .all(|n| n.load(Ordering::Acquire) >= min)
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            panic!("clients did not make progress");
        }
    };
    tokio::time::sleep(Duration::from_millis(40)).await;
    handle
        .update(|ring| ring.stage(RingKey::new(B).unwrap().id("b")))
        .unwrap();
    phase.store(1, Ordering::Release);
    tokio::time::sleep(Duration::from_millis(40)).await;
    let grace_end = UnixTime::from_secs_f64(4_000_000_000.0);
    handle.update(|ring| ring.promote(grace_end)).unwrap();
    phase.store(2, Ordering::Release);
    wait_for(2).await;
    handle
        .update(|ring| {
            ring.retire_expired(UnixTime::from_secs_f64(4_000_000_001.0));
            Ok::<_, signring::ConfigError>(())
        })
        .unwrap();
    assert_eq!(handle.load().key_count(), 1);
    phase.store(3, Ordering::Release);
    for n in after_promote.iter() {
        n.store(0, Ordering::Release);
    }
    wait_for(3).await;
    stop.store(true, Ordering::Release);

    let only_b = signer(&KeyRing::new(B).unwrap());
    for (i, task) in tasks.into_iter().enumerate() {
        let (cookie, reissued) = task.await.unwrap();
        let verified = only_b.unsign(&cookie).unwrap();
        assert_eq!(*verified.value(), format!("user-{i}"));
        // An old-key client got its cookie re-issued exactly once.
        assert_eq!(reissued, usize::from(i >= FROM_NEWER), "client {i}");
    }
    // The observer saw every verification, and none failed.
    assert_eq!(
        count.calls.load(Ordering::Relaxed),
        requests.load(Ordering::Relaxed)
    );
    assert_eq!(count.failed.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn every_format_is_reissued_and_read_back_with_only_the_new_key() {
    let keys = RingHandle::new(
        CookieKeyRing::new(Key::from(&[2u8; 64]))
            .with_fallback(Key::from(&[1u8; 64]))
            .unwrap(),
    );
    let layer = SignedCookieLayer::builder()
        .ring(RingHandle::new(rotated()))
        .cookie_keys(keys)
        .cookie(CookieSpec::django_messages())
        .cookie(CookieSpec::django_signed("theme").salt("ui"))
        .cookie(CookieSpec::cookie_crate("jar").http_only(true))
        .build()
        .unwrap();
    let app = Router::new()
        .route(
            "/",
            get(|Extension(cookies): Extension<Cookies>| async move {
                let messages = cookies
                    .get("messages")
                    .and_then(|c| c.messages())
                    .map(|m| m.messages[0].message.clone());
                let theme = cookies
                    .get("theme")
                    .and_then(|c| c.text())
                    .map(str::to_owned);
                let jar = cookies.get("jar").and_then(|c| c.text()).map(str::to_owned);
                assert!(matches!(cookies.state("nope"), CookieState::Absent));
                format!("{messages:?} {theme:?} {jar:?}")
            }),
        )
        .layer(layer);
    let base = serve(app).await;
    let a = KeyRing::new(A).unwrap();
    let messages = MessagesCookie::builder(&a)
        .build()
        .unwrap()
        .encode_at(&[Message::new(20, "Hi")], false, UnixTime::now())
        .unwrap();
    let theme = SignedCookie::builder(&a, "theme")
        .salt("ui")
        .build()
        .unwrap()
        .sign("dark");
    let mut jar = cookie::CookieJar::new();
    jar.signed_mut(&Key::from(&[1u8; 64]))
        .add(cookie::Cookie::new("jar", "v a/l=u+e"));
    let jar_value = jar.get("jar").unwrap().encoded().to_string();
    let cookie_header = format!(
        "messages={}; theme={theme}; {jar_value}",
        signring::django::quote_cookie_value(&messages)
    );
    let response = fetch(&reqwest::Client::new(), &format!("{base}/"), &cookie_header).await;
    let cookies = set_cookies(&response);
    assert_eq!(
        response.text().await.unwrap(),
        r#"Some("Hi") Some("dark") Some("v a/l=u+e")"#
    );
    assert_eq!(cookies.len(), 3, "{cookies:?}");

    let b = KeyRing::new(B).unwrap();
    let value_of = |name: &str| {
        let line = cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap();
        line[name.len() + 1..].split(';').next().unwrap().to_owned()
    };
    let decoded = MessagesCookie::builder(&b)
        .build()
        .unwrap()
        .decode(&signring::django::unquote_cookie_value(&value_of(
            "messages",
        )))
        .unwrap();
    assert_eq!(decoded.messages, [Message::new(20, "Hi")]);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("messages=") && c.ends_with("; Path=/; HttpOnly; SameSite=Lax"))
    );
    assert_eq!(
        SignedCookie::builder(&b, "theme")
            .salt("ui")
            .build()
            .unwrap()
            .unsign(&value_of("theme"))
            .unwrap()
            .value,
        "dark"
    );
    // cookie-rs with only the new key reads the re-issued jar cookie.
    let mut jar = cookie::CookieJar::new();
    jar.add_original(cookie::Cookie::parse_encoded(format!("jar={}", value_of("jar"))).unwrap());
    assert_eq!(
        jar.signed(&Key::from(&[2u8; 64]))
            .get("jar")
            .unwrap()
            .value(),
        "v a/l=u+e"
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("jar=") && c.ends_with("; Path=/; HttpOnly"))
    );
}

#[tokio::test]
async fn transparent_mode_strips_incoming_and_signs_outgoing_in_place() {
    let old = Key::from(&[1u8; 64]);
    let new = Key::from(&[2u8; 64]);
    let keys = RingHandle::new(
        CookieKeyRing::new(new.clone())
            .with_fallback(old.clone())
            .unwrap(),
    );
    let layer = SignedCookieLayer::builder()
        .cookie_keys(keys)
        .cookie(
            CookieSpec::cookie_crate("id")
                .http_only(true)
                .transparent(true),
        )
        .build()
        .unwrap();
    let app = Router::new()
        .route(
            "/",
            get(
                |headers: HeaderMap, Extension(cookies): Extension<Cookies>| async move {
                    let seen = headers
                        .get(header::COOKIE)
                        .map(|v| v.to_str().unwrap().to_owned());
                    let failed = matches!(
                        cookies.state("id"),
                        CookieState::Failed(Failure::BadSignature)
                    );
                    format!("{seen:?} {failed}")
                },
            ),
        )
        .route(
            "/login",
            get(|| async {
                (
                    [(
                        header::SET_COOKIE,
                        "id=fresh-id; HttpOnly; SameSite=Strict; Path=/app; Max-Age=60",
                    )],
                    "ok",
                )
            }),
        )
        .layer(layer);
    let base = serve(app).await;
    let client = reqwest::Client::new();

    let mut jar = cookie::CookieJar::new();
    jar.signed_mut(&old).add(cookie::Cookie::new("id", "abc"));
    let signed_old = jar.get("id").unwrap().encoded().to_string();
    let response = fetch(
        &client,
        &format!("{base}/"),
        &format!("other=1; {signed_old}"),
    )
    .await;
    let cookies = set_cookies(&response);
    assert_eq!(
        response.text().await.unwrap(),
        r#"Some("other=1; id=abc") false"#
    );
    assert_eq!(cookies.len(), 1);
    let reissued = cookies[0]
        .strip_prefix("id=")
        .unwrap()
        .strip_suffix("; Path=/; HttpOnly")
        .unwrap();
    let mut check = cookie::CookieJar::new();
    check.add_original(cookie::Cookie::parse_encoded(format!("id={reissued}")).unwrap());
    assert_eq!(check.signed(&new).get("id").unwrap().value(), "abc");

    // Duplicates reach the app once, as the value the layer verified.
    let response = fetch(
        &client,
        &format!("{base}/"),
        &format!("id=forged; {signed_old}; a=2; id=x"),
    )
    .await;
    assert_eq!(
        response.text().await.unwrap(),
        r#"Some("a=2") true"#,
        "the last id wins, and it is forged"
    );
    let response = fetch(
        &client,
        &format!("{base}/"),
        &format!("id=forged; a=2; {signed_old}"),
    )
    .await;
    assert_eq!(
        response.text().await.unwrap(),
        r#"Some("id=abc; a=2") false"#
    );

    // A forged value never reaches the app.
    let response = fetch(&client, &format!("{base}/"), "other=1; id=abc").await;
    assert!(set_cookies(&response).is_empty());
    assert_eq!(response.text().await.unwrap(), r#"Some("other=1") true"#);

    // The app's own Set-Cookie is signed in place, attributes verbatim.
    let response = fetch(&client, &format!("{base}/login"), "").await;
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1);
    let (value, rest) = cookies[0]
        .strip_prefix("id=")
        .unwrap()
        .split_once(';')
        .unwrap();
    assert_eq!(rest, " HttpOnly; SameSite=Strict; Path=/app; Max-Age=60");
    let mut check = cookie::CookieJar::new();
    check.add_original(cookie::Cookie::parse_encoded(format!("id={value}")).unwrap());
    assert_eq!(check.signed(&new).get("id").unwrap().value(), "fresh-id");
}

#[tokio::test]
async fn records_carry_key_ids_and_roles() {
    let ring = KeyRing::from_ring_key(RingKey::new(B).unwrap().id("b"))
        .with_ring_key(RingKey::new(A).unwrap().id("a"))
        .unwrap();
    let mut ring = ring;
    ring.stage(RingKey::new(C).unwrap().id("c")).unwrap();
    let layer = SignedCookieLayer::builder()
        .ring(RingHandle::new(ring))
        .cookie(CookieSpec::signring("sid", SALT))
        .build()
        .unwrap();
    let app = Router::new()
        .route(
            "/",
            get(|Extension(cookies): Extension<Cookies>| async move {
                let record = cookies.get("sid").unwrap().record().clone();
                assert!(record.verification.is_some());
                format!(
                    "{} {} {}",
                    record.key_id,
                    record.role.as_str(),
                    record.stale
                )
            }),
        )
        .layer(layer);
    let base = serve(app).await;
    let client = reqwest::Client::new();
    for (key, expected) in [
        (B, "b current false"),
        (A, "a fallback true"),
        (C, "c staged false"),
    ] {
        let value = signer(&KeyRing::new(key).unwrap()).sign("v");
        let response = fetch(&client, &format!("{base}/"), &format!("sid={value}")).await;
        assert_eq!(response.text().await.unwrap(), expected);
    }
    let _ = KeyRole::Current;
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn axum_extractor_reads_the_jar_and_rejects_without_the_layer() {
    async fn handler(cookies: Cookies) -> String {
        cookies
            .get("sid")
            .and_then(|c| c.text())
            .unwrap_or("none")
            .to_owned()
    }
    let layer = SignedCookieLayer::builder()
        .ring(RingHandle::new(rotated()))
        .cookie(CookieSpec::signring("sid", SALT))
        .build()
        .unwrap();
    let base = serve(Router::new().route("/", get(handler)).layer(layer)).await;
    let bare = serve(Router::new().route("/", get(handler))).await;
    let client = reqwest::Client::new();
    let value = signer(&KeyRing::new(A).unwrap()).sign("u");
    let response = fetch(&client, &format!("{base}/"), &format!("sid={value}")).await;
    assert_eq!(set_cookies(&response).len(), 1);
    assert_eq!(response.text().await.unwrap(), "u");
    let response = fetch(&client, &format!("{bare}/"), &format!("sid={value}")).await;
    assert_eq!(response.status(), 500);
}
