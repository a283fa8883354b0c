//! The user fields a token depends on, and the naive date-times Django keeps.

use time::{Date, Month, PrimitiveDateTime, Time};

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
