//! A server reading what Django signed, re-issuing what an old key signed.
//!
//! ```sh
//! export SECRET_KEY=… SECRET_KEY_FALLBACKS='["…"]'
//! cargo run --release -p signring-http --example django_cookies -- --listen 127.0.0.1:8000 [--django 5.2] [--no-layer]
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
//!
//! `--no-layer` serves the same routes without the layer, the baseline for a
//! load test: each handler reads the `Cookie` header (`cookie_pairs`, the
//! last value wins, Django's unquoting) and verifies with the same ring and
//! signers itself. Fresh and failing cookies get the same answers; it does not
//! re-issue stale cookies or add `Vary: Cookie` (that is the layer's work).

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use signring::django::{SignedCookie, quote_cookie_value, unquote_cookie_value};
use signring::{DjangoVersion, KeyLoader, KeyRing, MaxAge, Options, TimestampSigner, json};
use signring_http::{CookieSpec, Cookies, RingHandle, SignedCookieLayer, cookie_pairs};

const USAGE: &str =
    "usage: django_cookies --listen ADDR [--django 2.2|3.2|4.2|5.2|6.0|6.1] [--no-layer]
keys: SECRET_KEY (current) and SECRET_KEY_FALLBACKS (a JSON array)";

/// The salt of Django's `signed_cookies` session backend.
const SESSION_SALT: &str = "django.contrib.sessions.backends.signed_cookies";

struct Args {
    listen: SocketAddr,
    django: DjangoVersion,
    no_layer: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut listen = None;
    let mut django = DjangoVersion::V5_2;
    let mut no_layer = false;
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
            "--no-layer" if inline.is_none() => no_layer = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        listen: listen.ok_or("--listen ADDR is required")?,
        django,
        no_layer,
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

/// `--no-layer`: the same routes, each handler verifying its cookie itself.
struct Plain {
    ring: RingHandle<KeyRing>,
    options: Options,
    /// Built once, as the layer builds its declared cookies once.
    session: TimestampSigner,
}

/// The last value of cookie `name`, as Django reads it (unquoted).
fn request_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| std::str::from_utf8(h.as_bytes()).ok())
        .flat_map(cookie_pairs)
        .filter(|(n, _)| *n == name)
        .last()?
        .1;
    Some(if value.starts_with('"') {
        unquote_cookie_value(value)
    } else {
        value.to_owned()
    })
}

fn set_cookie_header(
    spec: &CookieSpec,
    signed: &str,
) -> Option<[(header::HeaderName, HeaderValue); 1]> {
    let text = spec.declared_attributes().render(
        spec.name(),
        &quote_cookie_value(signed),
        spec.declared_max_age(),
    );
    Some([(header::SET_COOKIE, HeaderValue::try_from(text).ok()?)])
}

async fn plain_get_session(State(plain): State<Arc<Plain>>, headers: HeaderMap) -> Response {
    let session = request_cookie(&headers, "sessionid").and_then(|value| {
        let verified = plain
            .session
            .unsign_value_at(&value, plain.options.now())
            .ok()?;
        match verified.into_value() {
            json::Value::Object(map) => Some(map),
            _ => None,
        }
    });
    match session.and_then(|session| json::to_string(&session).ok()) {
        Some(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        None => forbidden(),
    }
}

async fn plain_set_session(State(plain): State<Arc<Plain>>, body: Bytes) -> Response {
    let Ok(session) = json::from_slice::<json::Map>(&body) else {
        return (StatusCode::BAD_REQUEST, "a JSON object, please\n").into_response();
    };
    let set = plain
        .session
        .sign_object(&session, true)
        .ok()
        .and_then(|signed| set_cookie_header(&CookieSpec::django_session(), &signed));
    match set {
        Some(set) => (StatusCode::NO_CONTENT, set).into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn plain_signer(
    plain: &Plain,
    name: &str,
    query: &HashMap<String, String>,
) -> Option<SignedCookie> {
    let salt = query.get("salt").map_or("", String::as_str);
    SignedCookie::builder(&plain.ring.load(), name)
        .salt(salt)
        .options(plain.options.clone())
        .build()
        .ok()
}

async fn plain_get_cookie(
    State(plain): State<Arc<Plain>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let text = request_cookie(&headers, &name).and_then(|value| {
        let signer = plain_signer(&plain, &name, &query)?;
        Some(signer.unsign(&value).ok()?.value.to_owned())
    });
    match text {
        Some(text) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        None => forbidden(),
    }
}

async fn plain_set_cookie(
    State(plain): State<Arc<Plain>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    // The names the layer sets (`SetError::BadName` otherwise).
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'=' | b';' | b',' | b'"'));
    let signer = plain_signer(&plain, &name, &query).filter(|_| valid);
    let set = signer
        .and_then(|signer| set_cookie_header(&cookie_spec(&name, &query), &signer.sign(&body)));
    match set {
        Some(set) => (StatusCode::NO_CONTENT, set).into_response(),
        None => StatusCode::BAD_REQUEST.into_response(),
    }
}

fn plain_app(
    django: DjangoVersion,
    ring: RingHandle<KeyRing>,
) -> Result<Router, signring::ConfigError> {
    let options = Options::new().django(django);
    let session = TimestampSigner::builder(&ring.load())
        .salt(SESSION_SALT)
        .options(options.clone())
        .max_age(MaxAge::from_secs(1_209_600))
        .build()?;
    let plain = Arc::new(Plain {
        ring,
        options,
        session,
    });
    Ok(Router::new()
        .route("/session", get(plain_get_session).post(plain_set_session))
        .route(
            "/cookie/{name}",
            get(plain_get_cookie).post(plain_set_cookie),
        )
        .with_state(plain))
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
    let app = if args.no_layer {
        plain_app(args.django, RingHandle::new(ring)).map_err(|e| e.to_string())
    } else {
        app(args.django, RingHandle::new(ring)).map_err(|e| e.to_string())
    };
    let app = match app {
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
