//! A deterministic probe of the layer's cost per request, for instruction
//! counting: it drives the services directly (their futures are ready at
//! once: polled with a no-op waker, no runtime, no sockets) `N` times.
//!
//! ```sh
//! cargo build --release -p signring-http --example perf_probe
//! for n in 1000 11000; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/perf_probe layer_fresh $n 2>&1 | grep 'refs'
//! done
//! # instructions per request = (I(11000) − I(1000)) / 10000
//! ```
//!
//! Setup (key derivation, the layer's first compilation) is the same for
//! both runs, so the difference is `N` requests' worth and nothing else.
//! Modes:
//!
//! | mode | one iteration |
//! | --- | --- |
//! | `hmac` | the unit: one raw HMAC-SHA256 check of the cookie the requests carry (base64 decode of its 44-character digest, HMAC from a keyed state, constant-time compare) |
//! | `hmac_django` | the core's baseline (`benches/signing.rs`): base64url decode, HMAC of a 40-byte value, constant-time compare |
//! | `without` | a request (`Cookie: a=1; jar=…; b=2`) through the handler alone |
//! | `layer_fresh` | the same through the layer; the cookie verifies with the current key |
//! | `without_headers` / `layer_fresh_headers` | as `without` / `layer_fresh`, the handler's response carrying `Content-Type` and `Content-Length` (the layer then adds `Vary` to a map that is already allocated) |
//! | `layer_stale` | the same with a cookie an old key signed: verified, re-issued |
//! | `layer_no_cookie` | a request with `Cookie: a=1; b=2` (no declared cookie) through the layer |
//! | `django_fresh` / `django_stale` | `Cookie: a=1; theme=…`, a Django signed cookie, through the layer |
//! | `axum_extra` | `without` plus `SignedCookieJar::from_headers` and `get`, what axum-extra's extractor does |

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::hint::black_box;
use std::pin::pin;
use std::process::ExitCode;
use std::task::{Context, Poll, Waker};

use axum_extra::extract::cookie::SignedCookieJar;
use base64::Engine as _;
use cookie::{Cookie, CookieJar, Key};
use hmac::{Hmac, KeyInit, Mac};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use sha2::Sha256;
use signring::KeyRing;
use signring::django::SignedCookie;
use signring_http::{CookieKeyRing, CookieSpec, Cookies, RingHandle, SignedCookieLayer};
use tower_layer::Layer;
use tower_service::Service;

const OLD: &str = "bench-old-key-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGH";
const NEW: &str = "bench-new-key-0123456789abcdefghijklmnopqrstuvwxyz-IJKLMNOP";
const USAGE: &str = "usage: perf_probe MODE N
modes: hmac hmac_django without without_headers layer_fresh layer_fresh_headers layer_stale layer_no_cookie django_fresh django_stale axum_extra";

/// The handler: reads the cookie from the layer's jar when there is one;
/// with `true`, its response carries `Content-Type` and `Content-Length`, as
/// a real one does.
#[derive(Clone)]
struct Handler(&'static str, bool);

impl Service<Request<()>> for Handler {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = Ready<Result<Response<()>, Infallible>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, request: Request<()>) -> Self::Future {
        if let Some(cookies) = request.extensions().get::<Cookies>() {
            assert!(cookies.get(self.0).is_some_and(|c| c.text().is_some()));
        }
        let mut response = Response::new(());
        if self.1 {
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        ready(Ok(response))
    }
}

fn call<S>(service: &mut S, cookie: &HeaderValue) -> Response<()>
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    let mut request = Request::new(());
    request.headers_mut().insert(COOKIE, cookie.clone());
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(service.call(request)).poll(&mut cx) {
        Poll::Ready(Ok(response)) => response,
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => unreachable!("ready at once"),
    }
}

fn cookie_crate_value(key: &Key, value: &str) -> String {
    let mut jar = CookieJar::new();
    jar.signed_mut(key)
        .add(Cookie::new("jar", value.to_owned()));
    jar.get("jar").expect("added").encoded().to_string()
}

fn header(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).expect("header")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<u32>().ok()),
    ) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };

    let new_key = Key::from(&[2u8; 64]);
    let old_key = Key::from(&[1u8; 64]);
    let keys = RingHandle::new(
        CookieKeyRing::new(new_key.clone())
            .with_fallback(old_key.clone())
            .expect("keys"),
    );
    let mut ring = KeyRing::new(OLD).expect("key");
    ring.rotate(NEW).expect("key");
    let layer = SignedCookieLayer::builder()
        .ring(RingHandle::new(ring))
        .cookie_keys(keys)
        .cookie(CookieSpec::cookie_crate("jar"))
        .cookie(CookieSpec::django_signed("theme"))
        .build()
        .expect("layer");

    let fresh = header(&format!(
        "a=1; {}; b=2",
        cookie_crate_value(&new_key, "user-42")
    ));
    let stale = header(&format!(
        "a=1; {}; b=2",
        cookie_crate_value(&old_key, "user-42")
    ));
    let theme = |ring: &str| {
        let ring = KeyRing::new(ring).expect("key");
        let value = SignedCookie::builder(&ring, "theme")
            .build()
            .expect("cookie")
            .sign("dark");
        header(&format!("a=1; theme={value}"))
    };

    match mode.as_str() {
        "hmac" => {
            let mac = Hmac::<Sha256>::new_from_slice(new_key.signing()).expect("key");
            let mut jar = CookieJar::new();
            jar.signed_mut(&new_key).add(Cookie::new("jar", "user-42"));
            let signed = jar.get("jar").expect("added").value().to_owned();
            let (digest, value) = signed.split_at(44);
            for _ in 0..n {
                let mut decoded = [0u8; 33];
                let length = base64::engine::general_purpose::STANDARD
                    .decode_slice(black_box(digest), &mut decoded)
                    .expect("base64");
                let mut m = mac.clone();
                m.update(black_box(value).as_bytes());
                assert!(m.verify_slice(&decoded[..length]).is_ok());
            }
        }
        "hmac_django" => {
            use sha2::Digest as _;
            let ring = KeyRing::new(NEW).expect("key");
            let signed = signring::Signer::builder(&ring)
                .build()
                .expect("signer")
                .sign("user:42:a1b2c3d4e5f60718293a4b5c6d7e8f90");
            let (message, signature) = signed.rsplit_once(':').expect("signed");
            let derived = Sha256::new()
                .chain_update(b"django.core.signing.Signersigner")
                .chain_update(NEW)
                .finalize();
            let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(&derived).expect("key");
            for _ in 0..n {
                let mut decoded = [0u8; 32];
                let length = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode_slice(black_box(signature), &mut decoded)
                    .expect("base64");
                let mac = keyed.clone().chain_update(black_box(message).as_bytes());
                assert!(mac.verify_slice(&decoded[..length]).is_ok());
            }
        }
        "without" | "without_headers" => {
            let mut service = Handler("jar", mode == "without_headers");
            for _ in 0..n {
                black_box(call(&mut service, black_box(&fresh)));
            }
        }
        "layer_fresh" | "layer_fresh_headers" => {
            let mut service = layer.layer(Handler("jar", mode == "layer_fresh_headers"));
            for _ in 0..n {
                let response = call(&mut service, black_box(&fresh));
                assert!(response.headers().get(SET_COOKIE).is_none());
                black_box(response);
            }
        }
        "layer_stale" => {
            let mut service = layer.layer(Handler("jar", false));
            for _ in 0..n {
                let response = call(&mut service, black_box(&stale));
                assert!(response.headers().get(SET_COOKIE).is_some());
                black_box(response);
            }
        }
        "layer_no_cookie" => {
            let mut service = layer.layer(NoCookie);
            let plain = header("a=1; b=2");
            for _ in 0..n {
                black_box(call(&mut service, black_box(&plain)));
            }
        }
        "django_fresh" | "django_stale" => {
            let value = theme(if mode == "django_fresh" { NEW } else { OLD });
            let mut service = layer.layer(Handler("theme", false));
            for _ in 0..n {
                let response = call(&mut service, black_box(&value));
                assert_eq!(
                    response.headers().get(SET_COOKIE).is_some(),
                    mode == "django_stale"
                );
                black_box(response);
            }
        }
        "axum_extra" => {
            let mut service = Handler("jar", false);
            for _ in 0..n {
                let mut request = Request::new(());
                request
                    .headers_mut()
                    .insert(COOKIE, black_box(&fresh).clone());
                let response = call(&mut service, black_box(&fresh));
                let jar = SignedCookieJar::from_headers(request.headers(), new_key.clone());
                assert!(jar.get("jar").is_some());
                let _ = black_box((jar, response));
            }
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

/// A handler for requests that carry no declared cookie.
#[derive(Clone)]
struct NoCookie;

impl Service<Request<()>> for NoCookie {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = Ready<Result<Response<()>, Infallible>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, request: Request<()>) -> Self::Future {
        if let Some(cookies) = request.extensions().get::<Cookies>() {
            assert!(cookies.get("jar").is_none());
        }
        ready(Ok(Response::new(())))
    }
}
