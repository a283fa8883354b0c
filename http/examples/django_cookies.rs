//! A server reading what Django signed, re-issuing what an old key signed.
//!
//! ```sh
//! export SECRET_KEY=… SECRET_KEY_FALLBACKS='["…"]'
//! cargo run --release -p signring-http --example django_cookies -- --listen 127.0.0.1:8000 [--django 5.2]
//! ```
//!
//! Prints the bound address (`127.0.0.1:PORT`) on stdout once listening, so
//! `--listen 127.0.0.1:0` works in tests. Serves:
//!
//! - `GET /session`: Django's signed-cookie session (cookie `sessionid`,
//!   `SESSION_COOKIE_AGE` 1,209,600 s): 200 with the session as a JSON
//!   object, 403 when absent or not verified. A stale session is re-issued:
//!   `sessionid=…; Path=/; HttpOnly; SameSite=Lax; Max-Age=<remaining>`.
//! - `GET /cookie/NAME?salt=S`: `request.get_signed_cookie(NAME, salt=S)`:
//!   200 with the value as `text/plain` (re-issued with `Path=/` when stale),
//!   403 when absent or not verified.
//! - `POST /session` (body: a JSON object) and `POST /cookie/NAME?salt=S`
//!   (body: the value): set them as Django's signed-cookie session backend
//!   and `set_signed_cookie` would, with the current key (204).

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use signring::{DjangoVersion, KeyLoader, Options, json};
use signring_http::{CookieSpec, Cookies, RingHandle, SignedCookieLayer};

const USAGE: &str = "usage: django_cookies --listen ADDR [--django 2.2|3.2|4.2|5.2|6.0|6.1]
keys: SECRET_KEY (current) and SECRET_KEY_FALLBACKS (a JSON array)";

struct Args {
    listen: SocketAddr,
    django: DjangoVersion,
}

fn parse_args() -> Result<Args, String> {
    let mut listen = None;
    let mut django = DjangoVersion::V5_2;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--listen" => {
                let text = value()?;
                listen = Some(
                    text.parse()
                        .map_err(|_| format!("--listen: not an address: {text}"))?,
                );
            }
            "--django" => {
                let text = value()?;
                django = text
                    .parse()
                    .map_err(|_| format!("--django: unknown version {text}"))?;
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        listen: listen.ok_or("--listen ADDR is required")?,
        django,
    })
}

fn forbidden() -> Response {
    (StatusCode::FORBIDDEN, "forbidden\n").into_response()
}

async fn get_session(Extension(cookies): Extension<Cookies>) -> Response {
    match cookies.get("sessionid").and_then(|c| c.session()) {
        Some(session) => match json::to_string(session) {
            Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Err(_) => forbidden(),
        },
        None => forbidden(),
    }
}

async fn set_session(Extension(cookies): Extension<Cookies>, body: Bytes) -> Response {
    let Ok(session) = json::from_slice::<json::Map>(&body) else {
        return (StatusCode::BAD_REQUEST, "a JSON object, please\n").into_response();
    };
    match cookies.set_session("sessionid", &session) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn cookie_spec(name: &str, query: &HashMap<String, String>) -> CookieSpec {
    let salt = query.get("salt").map_or("", String::as_str);
    CookieSpec::django_signed(name).salt(salt)
}

async fn get_cookie(
    Extension(cookies): Extension<Cookies>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match cookies.verify(&cookie_spec(&name, &query)) {
        Some(Ok(cookie)) => match cookie.text() {
            Some(text) => (
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                text.to_owned(),
            )
                .into_response(),
            None => forbidden(),
        },
        _ => forbidden(),
    }
}

async fn set_cookie(
    Extension(cookies): Extension<Cookies>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    match cookies.set_with(&cookie_spec(&name, &query), &body) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

fn app(
    django: DjangoVersion,
    ring: RingHandle<signring::KeyRing>,
) -> Result<Router, signring_http::BuildError> {
    let layer = SignedCookieLayer::builder()
        .ring(ring)
        .options(Options::new().django(django))
        .cookie(CookieSpec::django_session())
        .build()?;
    Ok(Router::new()
        .route("/session", get(get_session).post(set_session))
        .route("/cookie/{name}", get(get_cookie).post(set_cookie))
        .layer(layer))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("django_cookies: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let ring = match KeyLoader::new().django(args.django).env() {
        Ok(ring) => ring,
        Err(error) => {
            eprintln!("django_cookies: keys: {error}");
            return ExitCode::from(2);
        }
    };
    let app = match app(args.django, RingHandle::new(ring)) {
        Ok(app) => app,
        Err(error) => {
            eprintln!("django_cookies: {error}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("django_cookies: cannot listen on {}: {error}", args.listen);
            return ExitCode::from(1);
        }
    };
    match listener.local_addr() {
        Ok(addr) => {
            let mut stdout = std::io::stdout();
            let _ = writeln!(stdout, "{addr}");
            let _ = stdout.flush();
        }
        Err(error) => {
            eprintln!("django_cookies: {error}");
            return ExitCode::from(1);
        }
    }
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("django_cookies: {error}");
            ExitCode::from(1)
        }
    }
}
