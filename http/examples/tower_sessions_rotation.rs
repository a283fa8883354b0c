//! A tower-sessions app (signed session cookie) moves from one `cookie::Key`
//! to the next without a single user losing their session.
//!
//! ```sh
//! cargo run -p signring-http --example tower_sessions_rotation
//! ```
//!
//! 1. v1, as the app was: `SessionManagerLayer::new(store).with_signed(key A)`;
//!    20 users log in (the session id cookie `id` is signed by tower-cookies'
//!    `SignedJar`).
//! 2. v2 adopts rotation: the same store and handlers, tower-sessions with an
//!    unsigned cookie, and `SignedCookieLayer` outside it in transparent mode
//!    over a `CookieKeyRing` holding A: the layer verifies and strips the
//!    signature before tower-sessions reads the cookie, and signs the cookie
//!    tower-sessions sets in place, attributes verbatim. The wire format does
//!    not change.
//! 3. Stage B, promote B, retire A through the `RingHandle` while the server
//!    runs; each user's next visit after the promotion re-issues their
//!    cookie signed with B (tower-sessions itself did not set it).
//! 4. Control: the plain v1 setup with only key B finds every session.
//!
//! Every user visits in every phase, concurrently; the example exits 1 if
//! any was not recognized.

use std::process::ExitCode;

use axum::Router;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use cookie::Key;
use signring::UnixTime;
use signring_http::{CookieKeyRing, CookieSpec, RingHandle, SameSite, SignedCookieLayer};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

const USERS: usize = 20;

#[derive(serde::Deserialize)]
struct Login {
    user: String,
}

fn routes() -> Router {
    Router::new()
        .route(
            "/login",
            get(|session: Session, Query(login): Query<Login>| async move {
                session
                    .insert("user", login.user)
                    .await
                    .map(|()| "welcome")
                    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
            }),
        )
        .route(
            "/me",
            get(|session: Session| async move {
                match session.get::<String>("user").await {
                    Ok(Some(user)) => Ok(user),
                    _ => Err(StatusCode::UNAUTHORIZED),
                }
            }),
        )
}

/// v1: tower-sessions signing its cookie with one key.
fn v1(store: MemoryStore, key: Key) -> Router {
    routes().layer(SessionManagerLayer::new(store).with_signed(key))
}

/// v2: tower-sessions with an unsigned cookie; the layer signs it.
fn v2(store: MemoryStore, keys: RingHandle<CookieKeyRing>) -> Router {
    // tower-sessions' default cookie: `id`, Path=/, HttpOnly, SameSite=Strict, Secure.
    let spec = CookieSpec::cookie_crate("id")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(true)
        .transparent(true);
    let layer = SignedCookieLayer::builder()
        .cookie_keys(keys)
        .cookie(spec)
        .build()
        .expect("a valid declaration");
    routes().layer(SessionManagerLayer::new(store)).layer(layer)
}

struct Server {
    base: String,
    task: tokio::task::JoinHandle<()>,
}

async fn serve(app: Router) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let base = format!("http://{}", listener.local_addr().expect("bound"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server { base, task }
}

/// A user's browser: one cookie, replaced by whatever the server sets.
#[derive(Debug, Clone)]
struct Browser {
    user: String,
    cookie: Option<String>,
}

impl Browser {
    fn remember(&mut self, response: &reqwest::Response) -> usize {
        let mut set = 0;
        for value in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            if let Some(rest) = text.strip_prefix("id=") {
                self.cookie = Some(rest.split(';').next().unwrap_or("").to_owned());
                set += 1;
            }
        }
        set
    }

    async fn visit(&mut self, client: &reqwest::Client, url: &str) -> (bool, usize) {
        let mut request = client.get(url);
        if let Some(cookie) = &self.cookie {
            request = request.header(reqwest::header::COOKIE, format!("id={cookie}"));
        }
        let Ok(response) = request.send().await else {
            return (false, 0);
        };
        let set = self.remember(&response);
        let ok = response.status() == StatusCode::OK
            && response.text().await.is_ok_and(|body| body == self.user);
        (ok, set)
    }
}

/// Every browser visits `/me` concurrently; returns (recognized, re-issued).
async fn visit_all(browsers: &mut Vec<Browser>, base: &str) -> (usize, usize) {
    let client = reqwest::Client::new();
    let tasks: Vec<_> = browsers
        .drain(..)
        .map(|mut b| {
            let (client, url) = (client.clone(), format!("{base}/me"));
            tokio::spawn(async move {
                let result = b.visit(&client, &url).await;
                (b, result)
            })
        })
        .collect();
    let (mut recognized, mut reissued) = (0, 0);
    for task in tasks {
        let (b, (ok, set)) = task.await.expect("a visit");
        recognized += usize::from(ok);
        reissued += set;
        browsers.push(b);
    }
    (recognized, reissued)
}

#[tokio::main]
async fn main() -> ExitCode {
    let key_a = Key::from(&[0xA1; 64]);
    let key_b = Key::from(&[0xB2; 64]);
    let store = MemoryStore::default();
    let mut lost = 0;
    let mut report = |phase: &str, (recognized, reissued): (usize, usize)| {
        println!("{phase:<46} {recognized:>3}/{USERS} recognized  {reissued:>3} re-issued");
        lost += USERS - recognized;
    };

    // 1. v1: users log in.
    let server = serve(v1(store.clone(), key_a.clone())).await;
    let client = reqwest::Client::new();
    let mut browsers = Vec::new();
    for i in 0..USERS {
        let mut b = Browser {
            user: format!("user-{i}"),
            cookie: None,
        };
        b.visit(&client, &format!("{}/login?user={}", server.base, b.user))
            .await;
        browsers.push(b);
    }
    report(
        "v1: tower-sessions with_signed(key A)",
        visit_all(&mut browsers, &server.base).await,
    );
    server.task.abort();

    // 2. v2 behind the layer, ring [A]; then stage, promote, retire live.
    let keys = RingHandle::new(CookieKeyRing::new(key_a.clone()).named("A"));
    let server = serve(v2(store.clone(), keys.clone())).await;
    report(
        "v2: unsigned tower-sessions behind the layer",
        visit_all(&mut browsers, &server.base).await,
    );
    keys.update(|ring| ring.stage(key_b.clone(), "B"))
        .expect("B is new");
    report("stage B", visit_all(&mut browsers, &server.base).await);
    let grace_end = UnixTime::from_secs_f64(4_000_000_000.0);
    keys.update(|ring| ring.promote(grace_end))
        .expect("B is staged");
    report(
        "promote B (A verifies until the grace end)",
        visit_all(&mut browsers, &server.base).await,
    );
    report("next visit", visit_all(&mut browsers, &server.base).await);
    keys.update(|ring| {
        ring.retire_expired(UnixTime::from_secs_f64(4_000_000_001.0));
        Ok::<_, signring::ConfigError>(())
    })
    .expect("retiring cannot fail");
    report("retire A", visit_all(&mut browsers, &server.base).await);
    server.task.abort();

    // 3. Control: the plain v1 setup with only key B finds every session.
    let server = serve(v1(store, key_b)).await;
    report(
        "control: with_signed(key B) alone",
        visit_all(&mut browsers, &server.base).await,
    );
    server.task.abort();

    if lost == 0 {
        println!("no user lost their session");
        ExitCode::SUCCESS
    } else {
        println!("{lost} visits were not recognized");
        ExitCode::FAILURE
    }
}
