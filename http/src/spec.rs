//! Declared cookies: name, format, salt, `max_age` and attributes.

use signring::django::DEFAULT_SESSION_COOKIE_AGE;

use crate::attributes::{Attributes, SameSite};

/// How a declared cookie is signed.
///
/// # Example
///
/// ```
/// use signring_http::{CookieSpec, Format};
/// let spec = CookieSpec::django_signed("prefs").salt("ui");
/// assert_eq!(spec.format(), &Format::DjangoSigned { salt: "ui".into() });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Django's `set_signed_cookie` / `get_signed_cookie(name, salt=…)`: both
    /// salt forms as the profile reads them (see
    /// [`signring::django::SignedCookie`]).
    DjangoSigned {
        /// The `salt` argument.
        salt: String,
    },
    /// Django's signed-cookie session (`SESSION_ENGINE =
    /// "django.contrib.sessions.backends.signed_cookies"`): a JSON object,
    /// checked against `max_age` (`SESSION_COOKIE_AGE`).
    DjangoSession,
    /// Django's messages cookie (`CookieStorage`).
    DjangoMessages,
    /// signring's own: a [`signring::TimestampSigner`] with this salt.
    Signring {
        /// The signer's salt.
        salt: String,
    },
    /// The `cookie` crate's signed format (`cookie::SignedJar`, axum-extra's
    /// `SignedCookieJar`, tower-cookies, tower-sessions' `with_signed`),
    /// verified with the layer's [`CookieKeyRing`](crate::CookieKeyRing).
    /// It has no timestamp.
    CookieCrate,
}

impl Format {
    /// Whether values are a plain text (every format but the session and the
    /// messages cookie).
    pub(crate) fn is_text(&self) -> bool {
        !matches!(self, Self::DjangoSession | Self::DjangoMessages)
    }
}

/// One signed cookie the app uses: its name, format, `max_age` and the
/// attributes it is set with.
///
/// The layer verifies it on every request, hands the result to handlers,
/// signs what handlers set with the current key, and re-issues it when an
/// old key verified it.
///
/// # Example
///
/// ```
/// use signring_http::{CookieSpec, SameSite};
/// let session = CookieSpec::django_session();
/// assert_eq!((session.name(), session.declared_max_age()), ("sessionid", Some(1_209_600)));
/// let prefs = CookieSpec::django_signed("prefs").salt("ui").path("/").secure(true).same_site(SameSite::Strict);
/// assert_eq!(prefs.declared_max_age(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSpec {
    name: String,
    format: Format,
    max_age: Option<i64>,
    attributes: Attributes,
    transparent: bool,
}

impl CookieSpec {
    /// A cookie `name` in `format`, with no `max_age` and no attributes.
    ///
    /// # Example
    ///
    /// ```
    /// use signring_http::{CookieSpec, Format};
    /// let spec = CookieSpec::new("id", Format::CookieCrate).path("/");
    /// assert_eq!(spec.name(), "id");
    /// ```
    #[must_use]
    pub fn new(name: impl Into<String>, format: Format) -> Self {
        Self {
            name: name.into(),
            format,
            max_age: None,
            attributes: Attributes::new(),
            transparent: false,
        }
    }

    /// `set_signed_cookie(name, value)` / `get_signed_cookie(name)`: empty
    /// salt, no `max_age`, `Path=/` (Django's `set_cookie` default).
    ///
    /// # Example
    ///
    /// See [`CookieSpec`].
    #[must_use]
    pub fn django_signed(name: impl Into<String>) -> Self {
        Self::new(
            name,
            Format::DjangoSigned {
                salt: String::new(),
            },
        )
        .path("/")
    }

    /// Django's signed-cookie session with Django's default settings: cookie
    /// `sessionid`, `SESSION_COOKIE_AGE` 1,209,600 s, `Path=/`, `HttpOnly`,
    /// `SameSite=Lax`.
    ///
    /// # Example
    ///
    /// See [`CookieSpec`].
    #[must_use]
    pub fn django_session() -> Self {
        Self::new("sessionid", Format::DjangoSession)
            .max_age(DEFAULT_SESSION_COOKIE_AGE)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
    }

    /// Django's messages cookie with Django's default settings: cookie
    /// `messages`, no `max_age` (a browser-session cookie), `Path=/`,
    /// `HttpOnly`, `SameSite=Lax` (the `SESSION_COOKIE_*` defaults).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring_http::CookieSpec::django_messages().name(), "messages");
    /// ```
    #[must_use]
    pub fn django_messages() -> Self {
        Self::new("messages", Format::DjangoMessages)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
    }

    /// A signring [`TimestampSigner`](signring::TimestampSigner) value with
    /// `salt`, `Path=/`.
    ///
    /// # Example
    ///
    /// ```
    /// let spec = signring_http::CookieSpec::signring("cart", "shop.cart").max_age(3600);
    /// assert_eq!(spec.declared_max_age(), Some(3600));
    /// ```
    #[must_use]
    pub fn signring(name: impl Into<String>, salt: impl Into<String>) -> Self {
        Self::new(name, Format::Signring { salt: salt.into() }).path("/")
    }

    /// A `cookie` crate signed cookie (axum-extra `SignedCookieJar`,
    /// tower-cookies, tower-sessions), `Path=/`.
    ///
    /// # Example
    ///
    /// ```
    /// let spec = signring_http::CookieSpec::cookie_crate("id").http_only(true);
    /// assert_eq!(spec.name(), "id");
    /// ```
    #[must_use]
    pub fn cookie_crate(name: impl Into<String>) -> Self {
        Self::new(name, Format::CookieCrate).path("/")
    }

    /// The salt, for [`Format::DjangoSigned`] and [`Format::Signring`]
    /// (ignored by the other formats).
    ///
    /// # Example
    ///
    /// See [`Format`].
    #[must_use]
    pub fn salt(mut self, salt: impl Into<String>) -> Self {
        match &mut self.format {
            Format::DjangoSigned { salt: s } | Format::Signring { salt: s } => *s = salt.into(),
            _ => {}
        }
        self
    }

    /// The cookie's lifetime in seconds: timestamped formats refuse values
    /// older than this, and cookies are set (and re-issued) with a `Max-Age`.
    /// A re-issued timestamped value gets the remaining lifetime,
    /// `timestamp + max_age − now`.
    ///
    /// # Example
    ///
    /// See [`CookieSpec::signring`].
    #[must_use]
    pub fn max_age(mut self, seconds: i64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// `Path=…`.
    ///
    /// # Example
    ///
    /// See [`CookieSpec`].
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.attributes = self.attributes.path(path);
        self
    }

    /// `Domain=…`.
    ///
    /// # Example
    ///
    /// ```
    /// let spec = signring_http::CookieSpec::django_session().domain("example.com");
    /// assert_eq!(spec.declared_attributes().render("a", "b", None), "a=b; Path=/; Domain=example.com; HttpOnly; SameSite=Lax");
    /// ```
    #[must_use]
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.attributes = self.attributes.domain(domain);
        self
    }

    /// `Secure`.
    ///
    /// # Example
    ///
    /// See [`CookieSpec`].
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.attributes = self.attributes.secure(secure);
        self
    }

    /// `HttpOnly`.
    ///
    /// # Example
    ///
    /// See [`CookieSpec::cookie_crate`].
    #[must_use]
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.attributes = self.attributes.http_only(http_only);
        self
    }

    /// `SameSite=…`.
    ///
    /// # Example
    ///
    /// See [`CookieSpec`].
    #[must_use]
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.attributes = self.attributes.same_site(same_site);
        self
    }

    /// Every attribute at once.
    ///
    /// # Example
    ///
    /// ```
    /// use signring_http::{Attributes, CookieSpec};
    /// let spec = CookieSpec::cookie_crate("id").attributes(Attributes::new().secure(true));
    /// assert_eq!(spec.declared_attributes(), &Attributes::new().secure(true));
    /// ```
    #[must_use]
    pub fn attributes(mut self, attributes: Attributes) -> Self {
        self.attributes = attributes;
        self
    }

    /// Transparent mode, for cookies another layer sets (tower-sessions,
    /// tower-cookies): the inner service sees the value with its signature
    /// verified and stripped (a cookie that fails is removed from the
    /// `Cookie` header), and its `Set-Cookie` values for this name are signed
    /// in place with the current key, every attribute kept verbatim. Text
    /// formats only.
    ///
    /// # Example
    ///
    /// ```
    /// let spec = signring_http::CookieSpec::cookie_crate("id").transparent(true);
    /// assert!(spec.is_transparent());
    /// ```
    #[must_use]
    pub fn transparent(mut self, transparent: bool) -> Self {
        self.transparent = transparent;
        self
    }

    /// The cookie's name.
    ///
    /// # Example
    ///
    /// See [`CookieSpec`].
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The format.
    ///
    /// # Example
    ///
    /// See [`Format`].
    #[must_use]
    pub fn format(&self) -> &Format {
        &self.format
    }

    /// The declared lifetime in seconds.
    ///
    /// # Example
    ///
    /// See [`CookieSpec`].
    #[must_use]
    pub fn declared_max_age(&self) -> Option<i64> {
        self.max_age
    }

    /// The declared attributes.
    ///
    /// # Example
    ///
    /// See [`CookieSpec::attributes`].
    #[must_use]
    pub fn declared_attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// Whether the cookie is handled in transparent mode.
    ///
    /// # Example
    ///
    /// See [`CookieSpec::transparent`].
    #[must_use]
    pub fn is_transparent(&self) -> bool {
        self.transparent
    }
}
