//! Re-sign on the user's next visit: a tower layer (and, with the `axum`
//! feature, an axum extractor) that verifies signed cookies with a
//! [`signring`] key ring and re-issues the ones an old key verified.
//!
//! Declare each signed cookie the app uses — name, format, salt, `max_age`,
//! attributes — with a [`CookieSpec`]. On every request the
//! [`SignedCookieLayer`] verifies them with the ring of the moment and puts a
//! [`Cookies`] jar in the request's extensions: each cookie's value with its
//! [`CookieRecord`] (key index and id, role, timestamp, `stale`). Handlers
//! set and remove cookies through it, signed with the current key. On the
//! way out, every declared cookie that verified **stale** and that nobody set
//! is re-issued: re-signed with the current key, timestamp kept, the declared
//! attributes, and `Max-Age` = what is left of its lifetime.
//!
//! | Format | Reads what |
//! | --- | --- |
//! | [`Format::DjangoSigned`] | Django's `set_signed_cookie` (both salt forms per profile) |
//! | [`Format::DjangoSession`] | Django's signed-cookie session (`sessionid`) |
//! | [`Format::DjangoMessages`] | Django's messages cookie |
//! | [`Format::Signring`] | signring's [`TimestampSigner`](signring::TimestampSigner) with a salt |
//! | [`Format::CookieCrate`] | the `cookie` crate's signed jar (axum-extra, tower-cookies, tower-sessions), with a [`CookieKeyRing`] |
//!
//! Rules of the response side: never on a 5xx; never a cookie that failed
//! verification; never a value a *staged* key verified; `Vary: Cookie` on
//! every response that may carry a re-issued cookie.
//!
//! Rings are read through a [`RingHandle`]: stage, promote and retire keys
//! while requests run, without a restart. Requests keep the ring they
//! started with.
//!
//! **Transparent mode** ([`CookieSpec::transparent`]) serves apps whose
//! cookies another layer sets (tower-sessions, tower-cookies): the inner
//! service sees the values with their signatures verified and stripped, and
//! its `Set-Cookie` values are signed in place.
//!
//! # Example
//!
//! ```
//! use http::{Request, Response, StatusCode, header};
//! use signring::{KeyRing, UnixTime};
//! use signring::django::SignedCookie;
//! use signring_http::{CookieSpec, Cookies, RingHandle, SignedCookieLayer};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! // A cookie Django set with `set_signed_cookie("theme", "dark")` under the old key.
//! let old = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
//! let theme = SignedCookie::builder(&old, "theme").build()?.sign("dark");
//!
//! // The app now runs with the new key current, the old one as a fallback.
//! let mut ring = old.clone();
//! ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
//! let layer = SignedCookieLayer::builder()
//!     .ring(RingHandle::new(ring.clone()))
//!     .cookie(CookieSpec::django_signed("theme"))
//!     .build()?;
//! let app = ServiceBuilder::new().layer(layer).service(service_fn(|req: Request<()>| async move {
//!     let cookies = req.extensions().get::<Cookies>().cloned().expect("layer installed");
//!     let theme = cookies.get("theme").and_then(|c| c.text()).unwrap_or("light").to_owned();
//!     Ok::<_, std::convert::Infallible>(Response::new(theme))
//! }));
//!
//! let request = Request::get("/").header(header::COOKIE, format!("theme={theme}")).body(())?;
//! let response = app.oneshot(request).await?;
//! assert_eq!(response.body(), "dark");
//! // Re-issued with the new key: Django with only the new key reads it.
//! let set_cookie = response.headers()[header::SET_COOKIE].to_str()?;
//! let reissued = set_cookie.strip_prefix("theme=").and_then(|s| s.strip_suffix("; Path=/")).unwrap();
//! let new_only = SignedCookie::builder(&ring.without_fallbacks(), "theme").build()?;
//! assert_eq!(new_only.unsign(reissued)?.value, "dark");
//! assert_eq!(response.headers()[header::VARY], "Cookie");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod attributes;
mod compiled;
mod cookie_crate;
mod cookie_keys;
mod error;
#[cfg(feature = "axum")]
mod extract;
mod header;
mod jar;
mod layer;
mod record;
mod ring_handle;
mod service;
mod snapshot;
mod spec;

pub use attributes::{Attributes, SameSite};
pub use cookie_keys::CookieKeyRing;
pub use error::{BuildError, SetError};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use extract::MissingLayer;
pub use header::cookie_pairs;
pub use jar::Cookies;
pub use layer::{SignedCookieLayer, SignedCookieLayerBuilder};
pub use record::{CookieRecord, CookieState, CookieValue, Failure, VerifiedCookie};
pub use ring_handle::RingHandle;
pub use service::{ResponseFuture, SignedCookieService};
pub use spec::{CookieSpec, Format};
