//! One request through the layer vs without it vs axum-extra's
//! `SignedCookieJar` extracting the same cookie; re-issuing a stale cookie;
//! one raw HMAC-SHA256 check as the unit.
//!
//! ```sh
//! cargo bench -p signring-http --bench layer            # full run
//! cargo bench -p signring-http --bench layer -- --test  # once each, as CI does
//! ```
//!
//! The services are polled directly (their futures are ready at once), so
//! the numbers are the layer's own cost, without a runtime or sockets.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use axum_extra::extract::cookie::SignedCookieJar;
use cookie::{Cookie, CookieJar, Key};
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use sha2::Sha256;
use signring::KeyRing;
use signring::django::SignedCookie;
use signring_http::{CookieKeyRing, CookieSpec, Cookies, RingHandle, SignedCookieLayer};
use tower::Service;
use tower_layer::Layer;

const OLD: &str = "bench-old-key-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGH";
const NEW: &str = "bench-new-key-0123456789abcdefghijklmnopqrstuvwxyz-IJKLMNOP";

/// The handler: reads the cookie from the layer's jar when there is one.
#[derive(Clone)]
struct Handler(&'static str);

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
        ready(Ok(Response::new(())))
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

fn benches(c: &mut Criterion) {
    let new_key = Key::from(&[2u8; 64]);
    let old_key = Key::from(&[1u8; 64]);
    let keys = RingHandle::new(
        CookieKeyRing::new(new_key.clone())
            .with_fallback(old_key.clone())
            .expect("keys"),
    );
    let mut ring = KeyRing::new(OLD).expect("key");
    ring.rotate(NEW).expect("key");
    let ring = RingHandle::new(ring);
    let layer = SignedCookieLayer::builder()
        .ring(ring.clone())
        .cookie_keys(keys)
        .cookie(CookieSpec::cookie_crate("jar"))
        .cookie(CookieSpec::django_signed("theme"))
        .build()
        .expect("layer");

    // One fresh cookie-crate cookie, among two other cookies.
    let fresh = HeaderValue::from_str(&format!(
        "a=1; {}; b=2",
        cookie_crate_value(&new_key, "user-42")
    ))
    .expect("header");
    let stale = HeaderValue::from_str(&format!(
        "a=1; {}; b=2",
        cookie_crate_value(&old_key, "user-42")
    ))
    .expect("header");

    // The unit: one raw HMAC-SHA256 check of the same cookie.
    let mac = Hmac::<Sha256>::new_from_slice(new_key.signing()).expect("key");
    let mut jar = CookieJar::new();
    jar.signed_mut(&new_key).add(Cookie::new("jar", "user-42"));
    let signed = jar.get("jar").expect("added").value().to_owned();
    let digest = base64_decode(&signed[..44]);
    c.bench_function("hmac/raw_sha256_check", |b| {
        b.iter(|| {
            let mut m = mac.clone();
            m.update(black_box(b"user-42"));
            assert!(m.verify_slice(black_box(&digest)).is_ok());
        });
    });

    let mut with_layer = layer.layer(Handler("jar"));
    let mut without = Handler("jar");
    c.bench_function("request/fresh_cookie/without_layer", |b| {
        b.iter(|| black_box(call(&mut without, black_box(&fresh))));
    });
    c.bench_function("request/fresh_cookie/layer", |b| {
        b.iter(|| {
            let response = call(&mut with_layer, black_box(&fresh));
            assert!(response.headers().get(SET_COOKIE).is_none());
            black_box(response)
        });
    });
    c.bench_function("request/fresh_cookie/axum_extra_signed_cookie_jar", |b| {
        b.iter(|| {
            let mut request = Request::new(());
            request
                .headers_mut()
                .insert(COOKIE, black_box(&fresh).clone());
            let response = call(&mut without, black_box(&fresh));
            let jar = SignedCookieJar::from_headers(request.headers(), new_key.clone());
            assert!(jar.get("jar").is_some());
            black_box((jar, response))
        });
    });
    c.bench_function("request/stale_cookie/layer_reissues", |b| {
        b.iter(|| {
            let response = call(&mut with_layer, black_box(&stale));
            assert!(response.headers().get(SET_COOKIE).is_some());
            black_box(response)
        });
    });

    // Django's signed cookie: one fresh, one stale (old key).
    let old_ring = KeyRing::new(OLD).expect("key");
    let new_ring = KeyRing::new(NEW).expect("key");
    let theme_old = SignedCookie::builder(&old_ring, "theme")
        .build()
        .expect("cookie")
        .sign("dark");
    let theme_new = SignedCookie::builder(&new_ring, "theme")
        .build()
        .expect("cookie")
        .sign("dark");
    let fresh = HeaderValue::from_str(&format!("a=1; theme={theme_new}")).expect("header");
    let stale = HeaderValue::from_str(&format!("a=1; theme={theme_old}")).expect("header");
    let mut with_layer = layer.layer(Handler("theme"));
    c.bench_function("request/django_signed_cookie/fresh", |b| {
        b.iter(|| black_box(call(&mut with_layer, black_box(&fresh))));
    });
    c.bench_function("request/django_signed_cookie/stale_reissued", |b| {
        b.iter(|| {
            let response = call(&mut with_layer, black_box(&stale));
            assert!(response.headers().get(SET_COOKIE).is_some());
            black_box(response)
        });
    });
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}

criterion_group!(layer_benches, benches);
criterion_main!(layer_benches);
