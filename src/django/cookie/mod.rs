//! Signed cookies: `HttpResponse.set_signed_cookie` / `HttpRequest.get_signed_cookie`,
//! and the quoting Python's `http.cookies` applies to every cookie value.

mod quote;

use crate::clock::{MaxAge, UnixTime};
use crate::error::{ConfigResult, Error, Malformed, Result};
use crate::key::SecretKey;
use crate::options::{Options, option_setters};
use crate::ring::KeyRing;
use crate::timed::TimestampSigner;
use crate::verified::{Verification, Verified};
use crate::version::DjangoVersion;

pub use quote::{quote_cookie_value, unquote_cookie_value};

/// The prefix Django puts before every key of the cookie signer.
const COOKIE_KEY_PREFIX: &[u8] = b"django.http.cookies";

/// The ring of the cookie signer: every key prefixed with `django.http.cookies`
/// (Django's `get_cookie_signer`), in the same order with the same roles.
pub(crate) fn cookie_ring(ring: &KeyRing) -> KeyRing {
    ring.map_keys(|key: &SecretKey| {
        let mut bytes = Vec::with_capacity(COOKIE_KEY_PREFIX.len() + key.len());
        bytes.extend_from_slice(COOKIE_KEY_PREFIX);
        bytes.extend_from_slice(key.as_bytes());
        // The prefix makes it non-empty.
        SecretKey::from_vec(bytes).unwrap_or_else(|_| unreachable!())
    })
}

/// Which salt verified a signed cookie.
///
/// # Example
///
/// ```
/// assert_eq!(signring::django::SaltVariant::V2.as_str(), "v2");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SaltVariant {
    /// `name + salt`: every Django up to 5.2.14 / 6.0.5.
    Legacy,
    /// `django.http.cookies.v2:{len(salt)}:{salt}{name}`: 5.2.15+ and 6.0.6+.
    V2,
}

impl SaltVariant {
    /// `"legacy"` or `"v2"`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::django::SaltVariant::Legacy.as_str(), "legacy");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::V2 => "v2",
        }
    }
}

/// A cookie value that verified.
///
/// # Example
///
/// See [`SignedCookie`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct VerifiedCookie<'a> {
    /// The cookie's value.
    pub value: &'a str,
    /// Which salt verified it. A [`SaltVariant::Legacy`] match where Django
    /// writes v2 is reported here, and is *not* stale on its own: the legacy
    /// salt `name + salt` cannot tell the cookie `("a", salt "bc")` from
    /// `("ab", salt "c")`, so re-issuing it under the v2 salt would vouch for
    /// a split it never proved (see SECURITY.md).
    pub salt_variant: SaltVariant,
    /// How it verified (`timestamp` is always set); `stale` when a fallback
    /// key or an old algorithm verified it.
    pub record: Verification,
    /// The verification, for re-signing with the signer that made it.
    verified: Verified<'a, &'a str>,
}

/// Signs and verifies one named cookie as Django's `set_signed_cookie` and
/// `get_signed_cookie` do.
///
/// | Django | writes | reads |
/// | --- | --- | --- |
/// | 2.2, 3.2, 4.2 | legacy salt | legacy salt |
/// | 5.2, 6.0 (5.2.15+, 6.0.6+) | v2 salt | v2, then legacy (stale) unless `SIGNED_COOKIE_LEGACY_SALT_FALLBACK = False` |
/// | 6.1 | v2 salt | v2; legacy only with the setting turned on |
///
/// # Example
///
/// ```
/// use signring::{KeyRing, UnixTime, django::{SaltVariant, SignedCookie}};
///
/// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let cookie = SignedCookie::builder(&ring, "name").build()?;
/// let now = UnixTime::from_secs_f64(1_600_000_000.0);
/// let value = cookie.sign_at("value", now);
/// assert_eq!(value, "value:1kHR5c:2CC_8P5Qbfg5Dksx7fKuzqY_FN8Wk6quoyn0ksvr5FQ");
/// let verified = cookie.unsign_at(&value, now)?;
/// assert_eq!((verified.value, verified.salt_variant), ("value", SaltVariant::V2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SignedCookie {
    v2: Option<TimestampSigner>,
    legacy: Option<TimestampSigner>,
}

/// Builds a [`SignedCookie`].
///
/// # Example
///
/// ```
/// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// use signring::{DjangoVersion, django::SignedCookie};
/// let cookie = SignedCookie::builder(&ring, "prefs").salt("ui").django(DjangoVersion::V4_2).build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a builder does nothing until built"]
#[derive(Debug, Clone)]
pub struct SignedCookieBuilder<'r> {
    ring: &'r KeyRing,
    name: String,
    salt: String,
    options: Options,
    legacy_salt_fallback: Option<bool>,
    max_age: Option<MaxAge>,
}

impl SignedCookieBuilder<'_> {
    /// The `salt` argument of `set_signed_cookie` (default empty).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let cookie = signring::django::SignedCookie::builder(&ring, "c").salt("sält").build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn salt(mut self, salt: impl Into<String>) -> Self {
        self.salt = salt.into();
        self
    }

    option_setters!();

    /// Django's `SIGNED_COOKIE_LEGACY_SALT_FALLBACK` (5.2.15+, 6.0.6+): whether a
    /// cookie that fails the v2 salt is tried with the legacy one. Default: on
    /// for 5.2 and 6.0, off for 6.1; meaningless before 5.2.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let cookie = signring::django::SignedCookie::builder(&ring, "c").legacy_salt_fallback(true).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn legacy_salt_fallback(mut self, fallback: bool) -> Self {
        self.legacy_salt_fallback = Some(fallback);
        self
    }

    /// The `max_age` of `get_signed_cookie` (default: none).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let cookie = signring::django::SignedCookie::builder(&ring, "c").max_age(signring::MaxAge::from_secs(60)).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_age(mut self, max_age: impl Into<MaxAge>) -> Self {
        self.max_age = Some(max_age.into());
        self
    }

    /// Derives the keys and builds the cookie signer.
    ///
    /// # Errors
    ///
    /// As [`SignerBuilder::build`](crate::SignerBuilder::build).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let cookie = signring::django::SignedCookie::builder(&ring, "c").build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> ConfigResult<SignedCookie> {
        let ring = cookie_ring(self.ring);
        let version = self.options.django;
        let signer = |salt: String| {
            let mut builder = TimestampSigner::builder(&ring)
                .salt(salt)
                .options(self.options.clone());
            if let Some(max_age) = self.max_age {
                builder = builder.max_age(max_age);
            }
            builder.build()
        };
        let has_v2 = version >= DjangoVersion::V5_2;
        let legacy_fallback = self
            .legacy_salt_fallback
            .unwrap_or(version < DjangoVersion::V6_1);
        let v2_salt = format!(
            "django.http.cookies.v2:{}:{}{}",
            self.salt.chars().count(),
            self.salt,
            self.name
        );
        let legacy_salt = format!("{}{}", self.name, self.salt);
        Ok(SignedCookie {
            v2: if has_v2 { Some(signer(v2_salt)?) } else { None },
            legacy: if !has_v2 || legacy_fallback {
                Some(signer(legacy_salt)?)
            } else {
                None
            },
        })
    }
}

impl SignedCookie {
    /// A builder for the cookie `name`, with Django's defaults.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let cookie = signring::django::SignedCookie::builder(&ring, "sessionid").build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder<'r>(ring: &'r KeyRing, name: impl Into<String>) -> SignedCookieBuilder<'r> {
        SignedCookieBuilder {
            ring,
            name: name.into(),
            salt: String::new(),
            options: Options::new(),
            legacy_salt_fallback: None,
            max_age: None,
        }
    }

    /// The signer salt of `variant` (`django.http.cookies.v2:…` or the legacy
    /// `name + salt`), when this cookie reads that variant.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{DjangoVersion, django::{SaltVariant, SignedCookie}};
    /// let cookie = SignedCookie::builder(&ring, "c").salt("s").django(DjangoVersion::V5_2).build()?;
    /// assert_eq!(cookie.salt(SaltVariant::V2), Some("django.http.cookies.v2:1:sc"));
    /// assert_eq!(cookie.salt(SaltVariant::Legacy), Some("cs"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn salt(&self, variant: SaltVariant) -> Option<&str> {
        match variant {
            SaltVariant::V2 => self.v2.as_ref(),
            SaltVariant::Legacy => self.legacy.as_ref(),
        }
        .map(|signer| signer.signer().salt())
    }

    /// The salt variant new cookies are signed with.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::django::{SaltVariant, SignedCookie};
    /// assert_eq!(SignedCookie::builder(&ring, "c").build()?.writes(), SaltVariant::V2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn writes(&self) -> SaltVariant {
        if self.v2.is_some() {
            SaltVariant::V2
        } else {
            SaltVariant::Legacy
        }
    }

    fn writer(&self) -> &TimestampSigner {
        match (&self.v2, &self.legacy) {
            (Some(v2), _) => v2,
            (None, Some(legacy)) => legacy,
            // build() always creates the v2 or the legacy signer.
            (None, None) => unreachable!("a cookie signer has a salt to write with"),
        }
    }

    /// The cookie value `set_signed_cookie` would set now (unquoted; see
    /// [`quote_cookie_value`] for the `Set-Cookie` text).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let cookie = signring::django::SignedCookie::builder(&ring, "c").build()?;
    /// assert!(cookie.sign("v").starts_with("v:"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sign(&self, value: &str) -> String {
        self.sign_at(value, self.writer().signer().clock().now())
    }

    /// The cookie value, as if the time were `now`.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let cookie = signring::django::SignedCookie::builder(&ring, "c").build()?;
    /// assert!(cookie.sign_at("v", signring::UnixTime::from_secs_f64(61.0)).starts_with("v:z:"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sign_at(&self, value: &str, now: UnixTime) -> String {
        self.writer().sign_at(value, now)
    }

    /// Verifies a cookie value as `get_signed_cookie` does now.
    ///
    /// # Errors
    ///
    /// As [`TimestampSigner::unsign`]. An expired v2 cookie is not retried with
    /// the legacy salt, as in Django.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let cookie = signring::django::SignedCookie::builder(&ring, "c").build()?;
    /// assert!(cookie.unsign("v:0:bad").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unsign<'a>(&self, cookie_value: &'a str) -> Result<VerifiedCookie<'a>> {
        self.unsign_at(cookie_value, self.writer().signer().clock().now())
    }

    /// Verifies a cookie value as if the time were `now`.
    ///
    /// # Errors
    ///
    /// As [`unsign`](SignedCookie::unsign).
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{DjangoVersion, KeyRing, UnixTime, django::{SaltVariant, SignedCookie}};
    /// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let now = UnixTime::from_secs_f64(1_600_000_000.0);
    /// let old = SignedCookie::builder(&ring, "name").django(DjangoVersion::V4_2).build()?.sign_at("value", now);
    /// let cookie = SignedCookie::builder(&ring, "name").django(DjangoVersion::V5_2).build()?;
    /// let verified = cookie.unsign_at(&old, now)?;
    /// // A legacy-salt match is reported, and is not stale by itself.
    /// assert_eq!((verified.salt_variant, verified.record.stale), (SaltVariant::Legacy, false));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unsign_at<'a>(
        &self,
        cookie_value: &'a str,
        now: UnixTime,
    ) -> Result<VerifiedCookie<'a>> {
        let mut first_error = None;
        if let Some(v2) = &self.v2 {
            match v2.unsign_at(cookie_value, now) {
                Ok(verified) => return Ok(self.verified(verified, SaltVariant::V2)),
                // Django retries only on BadSignature: not on expiry, not on
                // a malformed timestamp (ValueError).
                Err(
                    error @ (Error::Expired { .. }
                    | Error::Malformed(Malformed::NoTimestamp | Malformed::BadTimestamp)),
                ) => {
                    return Err(error);
                }
                Err(error) => first_error = Some(error),
            }
        }
        match &self.legacy {
            Some(legacy) => legacy
                .unsign_at(cookie_value, now)
                .map(|v| self.verified(v, SaltVariant::Legacy)),
            None => Err(first_error.unwrap_or(Error::BadSignature)),
        }
    }

    /// Signs a stale cookie's value again with the current key and algorithm,
    /// under the salt that verified it, keeping its timestamp. A cookie that
    /// is not stale comes back as it was. A legacy-salt cookie stays under the
    /// legacy salt: only the current key changes (see [`VerifiedCookie`]).
    ///
    /// # Errors
    ///
    /// [`Error::OtherSigner`] for a cookie another `SignedCookie` verified.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{DjangoVersion, KeyRing, UnixTime, django::{SaltVariant, SignedCookie}};
    /// let now = UnixTime::from_secs_f64(1_600_000_000.0);
    /// let mut ring = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let old = SignedCookie::builder(&ring, "n").build()?.sign_at("v", now);
    /// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// // Django 5.2 writes the v2 salt and still reads the legacy one.
    /// let cookie = SignedCookie::builder(&ring, "n").django(DjangoVersion::V5_2).build()?;
    /// let verified = cookie.unsign_at(&old, now)?;
    /// assert!(verified.record.stale);
    /// assert_eq!(cookie.resign(&verified)?, cookie.sign_at("v", now));
    ///
    /// // A legacy-salt cookie is moved to the new key, never to the v2 salt.
    /// let legacy = SignedCookie::builder(&KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?, "n")
    ///     .django(DjangoVersion::V4_2).build()?.sign_at("v", now);
    /// let verified = cookie.unsign_at(&legacy, now)?;
    /// assert_eq!(verified.salt_variant, SaltVariant::Legacy);
    /// let moved = cookie.resign(&verified)?;
    /// let new_legacy = SignedCookie::builder(&ring, "n").django(DjangoVersion::V4_2).build()?;
    /// assert_eq!(moved, new_legacy.sign_at("v", now));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resign(&self, verified: &VerifiedCookie<'_>) -> Result<String> {
        let signer = match verified.salt_variant {
            SaltVariant::V2 => self.v2.as_ref(),
            SaltVariant::Legacy => self.legacy.as_ref(),
        };
        signer.ok_or(Error::OtherSigner)?.resign(&verified.verified)
    }

    fn verified<'a>(
        &self,
        verified: Verified<'a, &'a str>,
        variant: SaltVariant,
    ) -> VerifiedCookie<'a> {
        VerifiedCookie {
            value: verified.value(),
            salt_variant: variant,
            record: verified.record().clone(),
            verified,
        }
    }
}
