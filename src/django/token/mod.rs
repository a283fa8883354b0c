//! Password-reset tokens: Django's `PasswordResetTokenGenerator`.

#[cfg(test)]
mod tests;
mod user;

use core::fmt::Write as _;

use subtle::ConstantTimeEq;
use time::{Date, Month, PrimitiveDateTime, Time};

use crate::algorithm::{Algorithm, MacKey};
#[cfg(doc)]
use crate::error::ConfigError;
use crate::error::{ConfigResult, Error, Malformed, Result};
use crate::keyed::KeyedRing;
use crate::options::{Options, option_setters};
use crate::ring::KeyRing;
use crate::verified::Verification;
use crate::version::DjangoVersion;

pub use user::{ResetUser, parse_naive_datetime};

const KEY_SALT: &[u8] = b"django.contrib.auth.tokens.PasswordResetTokenGenerator";

/// Django's default `PASSWORD_RESET_TIMEOUT`: three days, in seconds.
pub const DEFAULT_PASSWORD_RESET_TIMEOUT: i64 = 259_200;

/// Makes and checks password-reset tokens as Django's `default_token_generator`.
///
/// `b36(ts) "-" hex(hmac)[::2]`, where `ts` counts days since 2001-01-01 in
/// Django 2.2 and seconds since 2001-01-01 00:00:00 from 3.1, and the HMAC
/// covers the user's pk, password hash, last login, `ts` and (from 3.2) e-mail.
/// All times are naive local times: pass `now` in the time zone Django runs in
/// (its `TIME_ZONE` setting).
///
/// # Example
///
/// ```
/// use signring::{KeyRing, django::{PasswordResetTokens, ResetUser}};
/// use time::macros::datetime;
///
/// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let tokens = PasswordResetTokens::builder(&ring).build()?;
/// let user = ResetUser::new("1", "pbkdf2_sha256$600000$salt$hash").email("a@example.com");
/// let now = datetime!(2020-09-13 12:26:40);
/// let token = tokens.make_token(&user, now)?;
/// assert_eq!(token, "aa518g-146e04a745ac3c480c258248aab4acaf");
/// assert_eq!(tokens.check_token(&user, &token, now)?.key_index, 0);
/// assert!(tokens.check_token(&user, "aa518g-0000", now).unwrap_err().is_bad_signature());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PasswordResetTokens {
    keys: KeyedRing,
    legacy_sha1: Option<MacKey>,
    version: DjangoVersion,
    /// Seconds, or days under 2.2.
    timeout: i64,
}

/// Builds [`PasswordResetTokens`].
///
/// # Example
///
/// ```
/// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// use signring::{DjangoVersion, django::PasswordResetTokens};
/// let tokens = PasswordResetTokens::builder(&ring).django(DjangoVersion::V4_2).timeout_seconds(3600).build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a builder does nothing until built"]
#[derive(Debug, Clone)]
pub struct PasswordResetTokensBuilder<'r> {
    ring: &'r KeyRing,
    options: Options,
    timeout_seconds: Option<i64>,
    timeout_days: Option<i64>,
}

impl PasswordResetTokensBuilder<'_> {
    option_setters!();

    /// `PASSWORD_RESET_TIMEOUT` in seconds (3.1+; default three days).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let tokens = signring::django::PasswordResetTokens::builder(&ring).timeout_seconds(60).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timeout_seconds(mut self, seconds: i64) -> Self {
        self.timeout_seconds = Some(seconds);
        self
    }

    /// `PASSWORD_RESET_TIMEOUT_DAYS` (≤ 3.2; under 3.2 it becomes
    /// `days × 86400` seconds, as Django converts it; ignored from 4.0).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{DjangoVersion, django::PasswordResetTokens};
    /// let tokens = PasswordResetTokens::builder(&ring).django(DjangoVersion::V2_2).timeout_days(7).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timeout_days(mut self, days: i64) -> Self {
        self.timeout_days = Some(days);
        self
    }

    /// Derives the keys.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Unsupported`] for an algorithm other than SHA-1 under 2.2.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let tokens = signring::django::PasswordResetTokens::builder(&ring).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    /// Derives the keys.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Unsupported`](crate::ConfigError::Unsupported) for an
    /// algorithm other than SHA-1 under 2.2.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let tokens = signring::django::PasswordResetTokens::builder(&ring).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> ConfigResult<PasswordResetTokens> {
        let algorithm = self.options.resolved_algorithm()?;
        let version = self.options.django;
        let timeout = match version {
            DjangoVersion::V2_2 => self.timeout_days.unwrap_or(3),
            DjangoVersion::V3_2 => match self.timeout_days {
                Some(days) => days.saturating_mul(86_400),
                None => self
                    .timeout_seconds
                    .unwrap_or(DEFAULT_PASSWORD_RESET_TIMEOUT),
            },
            _ => self
                .timeout_seconds
                .unwrap_or(DEFAULT_PASSWORD_RESET_TIMEOUT),
        };
        let keys = KeyedRing::derive(self.ring, algorithm, KEY_SALT, &self.options);
        let legacy_sha1 = (version == DjangoVersion::V3_2 && algorithm != Algorithm::Sha1)
            .then(|| MacKey::derive(Algorithm::Sha1, KEY_SALT, self.ring.current().as_bytes()));
        Ok(PasswordResetTokens {
            keys,
            legacy_sha1,
            version,
            timeout,
        })
    }
}

fn epoch() -> PrimitiveDateTime {
    // 2001-01-01 is a valid date.
    let date = Date::from_calendar_date(2001, Month::January, 1).unwrap_or(Date::MIN);
    PrimitiveDateTime::new(date, Time::MIDNIGHT)
}

impl PasswordResetTokens {
    /// A builder with Django's defaults for the newest release.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let tokens = signring::django::PasswordResetTokens::builder(&ring).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(ring: &KeyRing) -> PasswordResetTokensBuilder<'_> {
        PasswordResetTokensBuilder {
            ring,
            options: Options::new(),
            timeout_seconds: None,
            timeout_days: None,
        }
    }

    /// Django's timestamp for `now`: days (2.2) or seconds since 2001-01-01.
    fn timestamp(&self, now: PrimitiveDateTime) -> i64 {
        if self.version == DjangoVersion::V2_2 {
            (now.date() - epoch().date()).whole_days()
        } else {
            (now - epoch()).whole_seconds()
        }
    }

    /// A token for `user`, made at the naive local time `now`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Unsupported`] for a clock before 2001-01-01, where Django
    /// raises `ValueError` (a negative base36 timestamp).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::django::{PasswordResetTokens, ResetUser};
    /// use time::macros::datetime;
    /// let tokens = PasswordResetTokens::builder(&ring).build()?;
    /// let token = tokens.make_token(&ResetUser::new("1", "x"), datetime!(2030-01-01 0:00))?;
    /// assert!(token.starts_with("f4utc0-"));
    /// assert!(tokens.make_token(&ResetUser::new("1", "x"), datetime!(2000-12-31 23:59:59)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn make_token(&self, user: &ResetUser, now: PrimitiveDateTime) -> Result<String> {
        let timestamp = self.timestamp(now);
        if timestamp < 0 {
            return Err(Error::Unsupported("a clock before 2001-01-01"));
        }
        Ok(self.token(self.keys.current(), user, timestamp))
    }

    fn token(&self, key: &MacKey, user: &ResetUser, timestamp: i64) -> String {
        let mut value =
            String::with_capacity(user.pk.len() + user.password.len() + user.email.len() + 40);
        value.push_str(&user.pk);
        value.push_str(&user.password);
        if let Some(login) = user.last_login {
            let _ = write!(
                value,
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                login.year(),
                u8::from(login.month()),
                login.day(),
                login.hour(),
                login.minute(),
                login.second()
            );
        }
        let _ = write!(value, "{timestamp}");
        if self.version >= DjangoVersion::V3_2 {
            value.push_str(&user.email);
        }
        let hex = key.tag(value.as_bytes()).to_hex();
        let mut token = base36(timestamp);
        token.push('-');
        token.extend(hex.chars().step_by(2));
        token
    }

    /// Checks `token` for `user` at the naive local time `now`: current key
    /// first, then each fallback (and 3.x's legacy SHA-1).
    ///
    /// # Errors
    ///
    /// [`Malformed::Token`] when the token is not `b36-hash`,
    /// [`Error::BadSignature`] when no key made it for this user (or the user
    /// changed: password, last login or e-mail), [`Error::Expired`] past the
    /// timeout (seconds, or days under 2.2).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{Error, django::{PasswordResetTokens, ResetUser}};
    /// use time::macros::datetime;
    /// let tokens = PasswordResetTokens::builder(&ring).build()?;
    /// let user = ResetUser::new("1", "x");
    /// let token = tokens.make_token(&user, datetime!(2030-01-01 0:00))?;
    /// assert!(tokens.check_token(&user, &token, datetime!(2030-01-04 0:00)).is_ok());
    /// assert!(matches!(tokens.check_token(&user, &token, datetime!(2030-01-04 0:00:01)), Err(Error::Expired { .. })));
    /// let changed = ResetUser::new("1", "y");
    /// assert_eq!(tokens.check_token(&changed, &token, datetime!(2030-01-01 0:00)), Err(Error::BadSignature));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_token(
        &self,
        user: &ResetUser,
        token: &str,
        now: PrimitiveDateTime,
    ) -> Result<Verification> {
        let mut parts = token.split('-');
        let (Some(ts_b36), Some(_), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Error::Malformed(Malformed::Token));
        };
        let timestamp = parse_base36(ts_b36).ok_or(Error::Malformed(Malformed::Token))?;
        let matches = |key: &MacKey| {
            self.token(key, user, timestamp)
                .as_bytes()
                .ct_eq(token.as_bytes())
        };
        // Key expiry is judged on the configured clock; `now` (naive local
        // time, as Django's) only ages the token.
        let at = self.keys.clock().now();
        // Django 3.2 also accepts the legacy SHA-1 token of the current key.
        let found = self
            .keys
            .verify(at, matches, self.legacy_sha1.as_ref(), false)
            .ok_or(Error::BadSignature)?;
        let mut made = timestamp;
        if self.version == DjangoVersion::V3_2 && ts_b36.len() < 4 {
            // A pre-3.1 day token: 3.1.3+ count it from today's midnight.
            made = made
                .saturating_mul(86_400)
                .saturating_add((now.time() - Time::MIDNIGHT).whole_seconds());
        }
        let age = self.timestamp(now).saturating_sub(made);
        if age > self.timeout {
            #[allow(clippy::cast_precision_loss)] // ages and timeouts are far below 2^53
            return Err(Error::Expired {
                age: age as f64,
                max_age: self.timeout as f64,
            });
        }
        Ok(found)
    }
}

/// Lowercase base36 without leading zeros, as Django's `int_to_base36`.
fn base36(n: i64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut rest = n.unsigned_abs();
    let mut out = Vec::new();
    loop {
        // The remainder is below 36.
        out.push(DIGITS[(rest % 36) as usize]);
        rest /= 36;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.iter().rev().map(|&b| char::from(b)).collect()
}

/// Django's `base36_to_int`: at most 13 characters. Python's `int(s, 36)` is
/// more lenient, but the token is then compared with its canonical re-encoding,
/// so anything non-canonical fails either way.
fn parse_base36(text: &str) -> Option<i64> {
    if text.is_empty()
        || text.len() > 13
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    {
        return None;
    }
    i64::from_str_radix(text, 36).ok()
}
