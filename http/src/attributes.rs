//! The attributes a declared cookie is set with, and the `Set-Cookie` text.

use core::fmt::Write as _;

/// The `SameSite` attribute.
///
/// # Example
///
/// ```
/// assert_eq!(signring_http::SameSite::Lax.as_str(), "Lax");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// `SameSite=Lax` (Django's default for the session and CSRF cookies).
    Lax,
    /// `SameSite=None` (needs `Secure` in current browsers).
    None,
    /// `SameSite=Strict`.
    Strict,
}

impl SameSite {
    /// `"Lax"`, `"None"` or `"Strict"`.
    ///
    /// # Example
    ///
    /// See [`SameSite`].
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Lax => "Lax",
            Self::None => "None",
            Self::Strict => "Strict",
        }
    }
}

/// `Path`, `Domain`, `Secure`, `HttpOnly` and `SameSite` of a cookie: what the
/// app sets it with, and so what a re-issued cookie carries (browsers send
/// back only `name=value`, so attributes come from here, never from the
/// request).
///
/// # Example
///
/// ```
/// use signring_http::{Attributes, SameSite};
/// let attributes = Attributes::new().path("/").http_only(true).same_site(SameSite::Lax);
/// assert_eq!(attributes.render("sessionid", "v", Some(60)), "sessionid=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    path: Option<String>,
    domain: Option<String>,
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
}

impl Attributes {
    /// No attributes (a host-only cookie for the request's path).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring_http::Attributes::new().render("a", "b", None), "a=b");
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `Path=path`.
    ///
    /// # Example
    ///
    /// See [`Attributes`].
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// `Domain=domain`.
    ///
    /// # Example
    ///
    /// ```
    /// let a = signring_http::Attributes::new().domain("example.com");
    /// assert_eq!(a.render("n", "v", None), "n=v; Domain=example.com");
    /// ```
    #[must_use]
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// `Secure`.
    ///
    /// # Example
    ///
    /// ```
    /// let a = signring_http::Attributes::new().secure(true);
    /// assert_eq!(a.render("n", "v", None), "n=v; Secure");
    /// ```
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// `HttpOnly`.
    ///
    /// # Example
    ///
    /// See [`Attributes`].
    #[must_use]
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// `SameSite=…`.
    ///
    /// # Example
    ///
    /// See [`Attributes`].
    #[must_use]
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = Some(same_site);
        self
    }

    /// The `Set-Cookie` text: `name=value`, then `Path`, `Domain`, `Secure`,
    /// `HttpOnly`, `SameSite` and `Max-Age` (when given), in that order.
    /// `value` is written as given: the format has already quoted or encoded it.
    ///
    /// # Example
    ///
    /// See [`Attributes`].
    #[must_use]
    pub fn render(&self, name: &str, value: &str, max_age: Option<i64>) -> String {
        let mut out = String::with_capacity(name.len() + value.len() + 64);
        out.push_str(name);
        out.push('=');
        out.push_str(value);
        if let Some(path) = &self.path {
            out.push_str("; Path=");
            out.push_str(path);
        }
        if let Some(domain) = &self.domain {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if let Some(same_site) = self.same_site {
            out.push_str("; SameSite=");
            out.push_str(same_site.as_str());
        }
        if let Some(max_age) = max_age {
            // Writing to a String cannot fail.
            let _ = write!(out, "; Max-Age={max_age}");
        }
        out
    }

    /// The `Set-Cookie` text that deletes the cookie (as Django's
    /// `delete_cookie`: an empty value, `Max-Age=0` and an expiry in 1970).
    ///
    /// # Example
    ///
    /// ```
    /// let a = signring_http::Attributes::new().path("/");
    /// assert_eq!(a.render_removal("n"), "n=\"\"; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    /// ```
    #[must_use]
    pub fn render_removal(&self, name: &str) -> String {
        let mut out = self.render(name, "\"\"", Some(0));
        out.push_str("; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        out
    }
}
