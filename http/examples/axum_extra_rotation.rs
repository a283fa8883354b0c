//! An axum-extra `SignedCookieJar` app moves from one `cookie::Key` to the
//! next without a single user losing their cookie.
//!
//! ```sh
//! cargo run -p signring-http --example axum_extra_rotation
//! ```
//!
//! 1. v1, as the app was: `SignedCookieJar` with key A; 20 users log in.
//! 2. v2 adopts rotation: the same handlers with a plain `CookieJar`, behind
//!    `SignedCookieLayer` in transparent mode over a `CookieKeyRing` holding
//!    A. The cookie format on the wire does not change (the layer signs and
//!    verifies exactly what `SignedCookieJar` did).
//! 3. Stage B, promote B, retire A — through the `RingHandle`, while the
//!    server runs. Each user's next visit after the promotion re-issues
//!    their cookie signed with B.
//! 4. Control: a plain v1-style app with only key B reads every cookie.
//!
//! Every user visits in every phase, concurrently; the example exits 1 if
//! any was not recognized.

use std::process::ExitCode;

use axum::Router;
use axum::extract::{FromRef, Query};
use axum::http::StatusCode;
use axum::routing::get;
use axum_extra::extract::cookie::{Cookie, CookieJar, Key, SameSite, SignedCookieJar};
use signring::UnixTime;
use signring_http::{CookieKeyRing, CookieSpec, RingHandle, SignedCookieLayer};

const USERS: usize = 20;

#[derive(Clone)]
struct V1State {
    key: Key,
}

impl FromRef<V1State> for Key {
    fn from_ref(state: &V1State) -> Key {
        state.key.clone()
    }
}

fn session_cookie(user: String) -> Cookie<'static> {
    Cookie::build(("user", user))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .build()
}

#[derive(serde::Deserialize)]
struct Login {
    user: String,
}

/// v1: the app as it was, signing with one key.
fn v1(key: Key) -> Router {
    Router::new()
        .route(
            "/login",
            get(
                |jar: SignedCookieJar, Query(login): Query<Login>| async move {
                    (jar.add(session_cookie(login.user)), "welcome")
                },
            ),
        )
        .route(
            "/me",
            get(|jar: SignedCookieJar| async move {
                jar.get("user")
                    .map(|c| c.value().to_owned())
                    .ok_or(StatusCode::UNAUTHORIZED)
            }),
        )
        .with_state(V1State { key })
}

/// v2: the same handlers with a plain `CookieJar`; the layer signs.
fn v2(keys: RingHandle<CookieKeyRing>) -> Router {
    let layer = SignedCookieLayer::builder()
        .cookie_keys(keys)
        .cookie(
            CookieSpec::cookie_crate("user")
                .http_only(true)
                .same_site(signring_http::SameSite::Lax)
                .transparent(true),
        )
        .build()
        .expect("a valid declaration");
    Router::new()
        .route(
            "/login",
            get(|jar: CookieJar, Query(login): Query<Login>| async move {
                (jar.add(session_cookie(login.user)), "welcome")
            }),
        )
        .route(
            "/me",
            get(|jar: CookieJar| async move {
                jar.get("user")
                    .map(|c| c.value().to_owned())
                    .ok_or(StatusCode::UNAUTHORIZED)
            }),
        )
        .layer(layer)
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
            if let Some(rest) = text.strip_prefix("user=") {
                self.cookie = Some(rest.split(';').next().unwrap_or("").to_owned());
                set += 1;
            }
        }
        set
    }

    async fn visit(&mut self, client: &reqwest::Client, url: &str) -> (bool, usize) {
        let mut request = client.get(url);
        if let Some(cookie) = &self.cookie {
            request = request.header(reqwest::header::COOKIE, format!("user={cookie}"));
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
    let mut lost = 0;
    let mut report = |phase: &str, (recognized, reissued): (usize, usize)| {
        println!("{phase:<44} {recognized:>3}/{USERS} recognized  {reissued:>3} re-issued");
        lost += USERS - recognized;
    };

    // 1. v1: users log in.
    let server = serve(v1(key_a.clone())).await;
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
        "v1: SignedCookieJar, key A",
        visit_all(&mut browsers, &server.base).await,
    );
    server.task.abort();

    // 2. v2 behind the layer, ring [A]; then stage, promote, retire live.
    let keys = RingHandle::new(CookieKeyRing::new(key_a.clone()).named("A"));
    let server = serve(v2(keys.clone())).await;
    report(
        "v2: CookieJar behind the layer, ring [A]",
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

    // 3. Control: the plain v1 app with only key B reads every cookie.
    let server = serve(v1(key_b)).await;
    report(
        "control: SignedCookieJar with only key B",
        visit_all(&mut browsers, &server.base).await,
    );
    server.task.abort();

    if lost == 0 {
        println!("no user lost their cookie");
        ExitCode::SUCCESS
    } else {
        println!("{lost} visits were not recognized");
        ExitCode::FAILURE
    }
}
