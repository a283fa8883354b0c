//! Errors building the layer and setting cookies.

use signring::ConfigError;

/// Why a [`SignedCookieLayer`](crate::SignedCookieLayer) could not be built.
///
/// # Example
///
/// ```
/// use signring_http::{BuildError, CookieSpec, SignedCookieLayer};
/// let err = SignedCookieLayer::builder().cookie(CookieSpec::django_session()).build().unwrap_err();
/// assert!(matches!(err, BuildError::NoRing(ref name) if name == "sessionid"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A signer could not be built from the options.
    #[error("signer configuration: {0}")]
    Config(#[from] ConfigError),
    /// A Django or signring cookie was declared without a
    /// [`signring::KeyRing`].
    #[error("cookie {0:?} needs a key ring (SignedCookieLayerBuilder::ring)")]
    NoRing(String),
    /// A `cookie` crate cookie was declared without a
    /// [`CookieKeyRing`](crate::CookieKeyRing).
    #[error("cookie {0:?} needs cookie keys (SignedCookieLayerBuilder::cookie_keys)")]
    NoCookieKeys(String),
    /// Two declarations share a name.
    #[error("cookie {0:?} is declared twice")]
    Duplicate(String),
    /// A name that cannot be a cookie name (empty, or holding `=`, `;`,
    /// whitespace or a control character).
    #[error("{0:?} is not a cookie name")]
    BadName(String),
    /// Transparent mode was asked for a format whose value is not a text
    /// (the session and the messages cookie).
    #[error("cookie {0:?}: transparent mode needs a text format")]
    NotText(String),
}

/// Why a handler's cookie could not be set.
///
/// # Example
///
/// See [`Cookies::set`](crate::Cookies::set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetError {
    /// The cookie is not declared.
    #[error("the cookie is not declared")]
    NotDeclared,
    /// The name cannot be a cookie name (empty, or holding `=`, `;`, `,`,
    /// `"`, whitespace or a control character).
    #[error("not a cookie name")]
    BadName,
    /// The value does not suit the cookie's format (text for a session, a
    /// session for a text cookie, …).
    #[error("the value does not suit the cookie's format")]
    WrongFormat,
    /// The signed value cannot go into a header (a control character).
    #[error("the signed value cannot be put in a header")]
    NotHeaderSafe,
}

pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'=' | b';' | b',' | b'"'))
}
