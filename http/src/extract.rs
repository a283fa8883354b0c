//! The axum extractor (feature **`axum`**).

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::jar::Cookies;

/// The rejection when [`SignedCookieLayer`](crate::SignedCookieLayer) is not
/// installed in front of the handler: a 500, since it is a server bug.
///
/// # Example
///
/// ```
/// use axum_core::response::IntoResponse;
/// let response = signring_http::MissingLayer.into_response();
/// assert_eq!(response.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingLayer;

impl IntoResponse for MissingLayer {
    fn into_response(self) -> Response {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "signring-http: SignedCookieLayer is not installed",
        )
            .into_response()
    }
}

impl core::fmt::Display for MissingLayer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SignedCookieLayer is not installed")
    }
}

impl std::error::Error for MissingLayer {}

/// `Cookies` as an axum 0.8 extractor.
///
/// ```
/// use signring_http::Cookies;
/// async fn handler(cookies: Cookies) -> String {
///     match cookies.get("sessionid").and_then(|c| c.session()) {
///         Some(session) => format!("{} keys", session.len()),
///         None => "no session".to_owned(),
///     }
/// }
/// let app: axum::Router = axum::Router::new().route("/", axum::routing::get(handler));
/// # let _ = app;
/// ```
impl<S: Send + Sync> FromRequestParts<S> for Cookies {
    type Rejection = MissingLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Cookies>()
            .cloned()
            .ok_or(MissingLayer)
    }
}
