//! Password-reset tokens: Django's `PasswordResetTokenGenerator`.

use core::fmt::Write as _;

use subtle::ConstantTimeEq;
use time::{Date, Month, PrimitiveDateTime, Time};

use crate::algorithm::{Algorithm, MacKey};
use crate::error::{ConfigResult, Error, Malformed, Result};
use crate::keyed::{Found, KeyedRing};
use crate::options::{Options, option_setters};
use crate::ring::KeyRing;
use crate::verified::Verification;
use crate::version::DjangoVersion;

const KEY_SALT: &[u8] = b"django.contrib.auth.tokens.PasswordResetTokenGenerator";

/// Django's default `PASSWORD_RESET_TIMEOUT`: three days, in seconds.
pub const DEFAULT_PASSWORD_RESET_TIMEOUT: i64 = 259_200;

/// The user fields a reset token depends on.
///
/// Times are naive local times, as Django's are: `last_login` is taken with its
/// microseconds dropped and any time zone removed *without* conversion.
///
/// # Example
///
/// ```
/// use signring::django::ResetUser;
/// let user = ResetUser::new("1", "pbkdf2_sha256$600000$salt$hash").email("a@example.com");
/// assert_eq!(user.pk, "1");
/// ```
///
/// `Debug` shows the pk, `last_login` and whether there is an e-mail address,
/// never the password hash (nor the address).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResetUser {
    /// `str(user.pk)`: decimal for integers, hyphenated for UUIDs.
    pub pk: String,
    /// The stored password hash (`user.password`), not the password.
    pub password: String,
    /// `user.last_login`, if the user ever logged in.
    pub last_login: Option<PrimitiveDateTime>,
    /// The e-mail address (`EMAIL_FIELD`), empty when none; used from 3.2.
    pub email: String,
}

impl core::fmt::Debug for ResetUser {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ResetUser")
            .field("pk", &self.pk)
            .field("password", &"[redacted]")
            .field("last_login", &self.last_login)
            .field("has_email", &!self.email.is_empty())
            .finish()
    }
}

impl ResetUser {
    /// A user who never logged in and has no e-mail address.
    ///
    /// # Example
    ///
    /// ```
    /// let user = signring::django::ResetUser::new("42", "!unusable");
    /// assert!(user.last_login.is_none());
    /// ```
    #[must_use]
    pub fn new(pk: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            password: password.into(),
            last_login: None,
            email: String::new(),
        }
    }

    /// Sets `last_login`.
    ///
    /// # Example
    ///
    /// ```
    /// use time::macros::datetime;
    /// let user = signring::django::ResetUser::new("1", "x").last_login(datetime!(2020-09-13 12:00:00.5));
    /// assert!(user.last_login.is_some());
    /// ```
    #[must_use]
    pub fn last_login(mut self, at: PrimitiveDateTime) -> Self {
        self.last_login = Some(at);
        self
    }

    /// Sets the e-mail address.
    ///
    /// # Example
    ///
    /// ```
    /// let user = signring::django::ResetUser::new("1", "x").email("a@example.com");
    /// assert_eq!(user.email, "a@example.com");
    /// ```
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = email.into();
        self
    }
}

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

/// Reads an ISO 8601 date-time as Django's naive local time:
/// `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM[:SS[.ffffff]]`.
/// A trailing `Z` or `±HH:MM` offset is dropped without conversion, as Django
/// drops `tzinfo` from `last_login`. Returns `None` for anything else.
///
/// # Example
///
/// ```
/// use signring::django::parse_naive_datetime;
/// use time::macros::datetime;
/// assert_eq!(parse_naive_datetime("2020-09-13T12:26:40.5+02:00"), Some(datetime!(2020-09-13 12:26:40.5)));
/// assert_eq!(parse_naive_datetime("2020-09-13"), Some(datetime!(2020-09-13 0:00)));
/// assert_eq!(parse_naive_datetime("13/09/2020"), None);
/// ```
#[must_use]
pub fn parse_naive_datetime(text: &str) -> Option<PrimitiveDateTime> {
    let text = text.trim();
    let (date, rest) = text.split_at_checked(10)?;
    let mut parts = date.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    let date = Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()?;
    let time = match rest.strip_prefix(['T', ' ']) {
        None if rest.is_empty() => Time::MIDNIGHT,
        None => return None,
        Some(clock) => {
            let clock = clock.strip_suffix('Z').unwrap_or(clock);
            let clock = clock
                .rfind(['+', '-'])
                .map_or(clock, |offset| &clock[..offset]);
            let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
            let fields: Vec<u8> = hms
                .split(':')
                .map(|f| f.parse().ok())
                .collect::<Option<_>>()?;
            let (hour, minute, second) = match fields[..] {
                [h, m] => (h, m, 0),
                [h, m, s] => (h, m, s),
                _ => return None,
            };
            let micros = if fraction.is_empty() {
                0
            } else if fraction.len() <= 6 && fraction.bytes().all(|b| b.is_ascii_digit()) {
                format!("{fraction:0<6}").parse().ok()?
            } else {
                return None;
            };
            Time::from_hms_micro(hour, minute, second, micros).ok()?
        }
    };
    Some(PrimitiveDateTime::new(date, time))
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
        let algorithm = self.keys.current().algorithm();
        let found = match self.keys.find(at, matches) {
            Some(index) => {
                self.keys.observe(Some(index), false);
                self.keys.record(Found { index, algorithm }, false)
            }
            // Django 3.2's legacy SHA-1 token, with the current key while it lasts.
            None => match &self.legacy_sha1 {
                Some(legacy) if bool::from(matches(legacy)) && self.keys.usable(0, at) => {
                    self.keys.observe(Some(0), true);
                    let algorithm = Algorithm::Sha1;
                    self.keys.record(
                        Found {
                            index: 0,
                            algorithm,
                        },
                        true,
                    )
                }
                _ => {
                    self.keys.observe(None, false);
                    return Err(Error::BadSignature);
                }
            },
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base36_round_trips() {
        for n in [0, 1, 35, 36, 621_692_800, 7195] {
            assert_eq!(parse_base36(&base36(n)), Some(n));
        }
        assert_eq!(base36(7195), "5jv");
        assert_eq!(parse_base36("5JV"), None);
        assert_eq!(parse_base36("zzzzzzzzzzzzzz"), None);
    }

    #[test]
    fn debug_redacts_the_password_hash() {
        let at = time::macros::datetime!(2020-09-13 12:26:40);
        let user = ResetUser::new("42", "pbkdf2_sha256$600000$s3cr3tsalt$h4sh")
            .email("someone@example.com")
            .last_login(at);
        let shown = format!("{user:?}");
        assert!(!shown.contains("pbkdf2"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("someone@example.com"), "{shown}");
        assert!(shown.contains(r#"pk: "42""#), "{shown}");
        assert!(shown.contains("password: \"[redacted]\""), "{shown}");
        assert!(shown.contains("has_email: true"), "{shown}");
        assert!(shown.contains("2020-09-13"), "{shown}");
        let pretty = format!("{user:#?}");
        assert!(!pretty.contains("h4sh"), "{pretty}");
        let bare = format!("{:?}", ResetUser::new("7", "!unusable"));
        assert!(!bare.contains("unusable"), "{bare}");
        assert!(bare.contains("has_email: false") && bare.contains("last_login: None"));
    }
}
