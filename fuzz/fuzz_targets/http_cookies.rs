//! signring-http's request side on any `Cookie` header, and its response side
//! on any `Set-Cookie` value: a layer declaring every format (Django signed
//! cookie, signed-cookie session, messages, signring, the `cookie` crate's
//! format, plain and transparent), a handler reading every cookie and one
//! declared in the handler. Input: `COOKIE_HEADER \n SET_COOKIE` (bytes).
//! Also the Cookie header with harness-signed values of the input's text.
#![no_main]

use std::future::Future;
use std::pin::pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, Waker};

use cookie::Key;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use libfuzzer_sys::fuzz_target;
use signring::{FixedClock, Options, TimestampSigner};
use signring_fuzz::NOW;
use signring_http::{
    CookieKeyRing, CookieSpec, CookieState, Cookies, RingHandle, SignedCookieLayer,
};
use tower_layer::Layer;
use tower_service::Service;

static LAYER: LazyLock<SignedCookieLayer> = LazyLock::new(|| {
    let keys = CookieKeyRing::new(Key::from(&[0x11; 64]))
        .with_fallback(Key::from(&[0x22; 64]))
        .expect("keys");
    SignedCookieLayer::builder()
        .ring(RingHandle::new(signring_fuzz::ring()))
        .cookie_keys(RingHandle::new(keys))
        .options(Options::new().clock(FixedClock::new(NOW)))
        .cookie(CookieSpec::django_session())
        .cookie(CookieSpec::django_messages())
        .cookie(CookieSpec::django_signed("name").max_age(3600))
        .cookie(CookieSpec::signring("sr", "fuzz.sr").max_age(3600))
        .cookie(CookieSpec::cookie_crate("jar"))
        .cookie(CookieSpec::cookie_crate("tid").transparent(true))
        .build()
        .expect("layer")
});
static SR: LazyLock<TimestampSigner> = LazyLock::new(|| {
    TimestampSigner::builder(&signring_fuzz::single(1))
        .salt("fuzz.sr")
        .build()
        .expect("signer")
});

const NAMES: [&str; 6] = ["sessionid", "messages", "name", "sr", "jar", "tid"];

/// Runs one request through the layer; returns the response headers.
fn run(cookie: Option<HeaderValue>, set_cookie: Option<HeaderValue>) -> http::HeaderMap {
    let inner = tower_service_fn(move |request: Request<()>| {
        let cookies = request.extensions().get::<Cookies>().expect("jar").clone();
        for name in NAMES {
            match cookies.state(name) {
                CookieState::Verified(cookie) => {
                    let _ = (
                        cookie.text(),
                        cookie.session(),
                        cookie.messages(),
                        cookie.record(),
                    );
                }
                CookieState::Failed(_) | CookieState::Absent => {}
            }
        }
        let _ = cookies.verify(&CookieSpec::django_signed("name").salt("x"));
        let mut response = Response::new(());
        if let Some(value) = set_cookie.clone() {
            response.headers_mut().append(SET_COOKIE, value);
        }
        std::future::ready(Ok::<_, std::convert::Infallible>(response))
    });
    let mut service = LAYER.layer(inner);
    let mut request = Request::new(());
    if let Some(value) = cookie {
        request.headers_mut().insert(COOKIE, value);
    }
    let mut future = pin!(service.call(request));
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(Ok(response)) => response.headers().clone(),
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => unreachable!("the inner service is ready at once"),
    }
}

/// A minimal `service_fn` (tower's lives in `tower::util`).
fn tower_service_fn<F>(f: F) -> ServiceFn<F> {
    ServiceFn(f)
}

struct ServiceFn<F>(F);

impl<F, Fut, R> Service<Request<()>> for ServiceFn<F>
where
    F: FnMut(Request<()>) -> Fut,
    Fut: Future<Output = Result<R, std::convert::Infallible>>,
{
    type Response = R;
    type Error = std::convert::Infallible;
    type Future = Fut;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, request: Request<()>) -> Fut {
        (self.0)(request)
    }
}

fuzz_target!(|data: &[u8]| {
    let (cookie, set_cookie) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[..0]),
    };
    let cookie_value = HeaderValue::from_bytes(cookie).ok();
    let set_cookie_value = HeaderValue::from_bytes(set_cookie).ok();
    let headers = run(cookie_value, set_cookie_value.clone());
    // Besides the app's own value (passed on verbatim when it is not a
    // transparent cookie), only `name=value` Set-Cookie values go out.
    for value in headers.get_all(SET_COOKIE) {
        assert!(
            Some(value) == set_cookie_value.as_ref() || value.as_bytes().contains(&b'='),
            "{value:?}"
        );
    }

    // A harness-signed signring value (signed by a fallback) always verifies
    // and is re-issued, whatever its text, when the text survives the header.
    if let Ok(text) = std::str::from_utf8(cookie) {
        let plain = text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        let signed = SR.sign_at(text, NOW);
        if let Ok(value) = HeaderValue::from_str(&format!("sr={signed}")) {
            let headers = run(Some(value), None);
            if plain {
                let reissued = headers
                    .get_all(SET_COOKIE)
                    .iter()
                    .filter(|v| v.as_bytes().starts_with(b"sr="))
                    .count();
                assert_eq!(reissued, 1, "a fallback-signed value is re-issued once");
            }
        }
    }
});
