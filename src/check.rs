//! Django's `SECRET_KEY` system checks (`manage.py check --deploy`), and the
//! policy that refuses weak keys.

use crate::key::SecretKey;
use crate::ring::KeyRing;
use crate::version::DjangoVersion;

const MIN_LENGTH: usize = 50;
const MIN_UNIQUE: usize = 5;
const INSECURE_PREFIX: &str = "django-insecure-";

/// One failed key check, named as Django names it.
///
/// # Example
///
/// ```
/// use signring::{KeyRing, check_keys};
/// let ring = KeyRing::new("short")?;
/// let warnings = check_keys(&ring, Default::default());
/// assert_eq!(warnings[0].id, "security.W009");
/// assert_eq!(warnings[0].setting, "SECRET_KEY");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyWarning {
    /// `security.W009` for the current key, `security.W025` for a fallback.
    pub id: &'static str,
    /// `SECRET_KEY` or `SECRET_KEY_FALLBACKS[i]` (counted from 0, as Django).
    pub setting: String,
    /// Django's message.
    pub message: String,
}

/// Runs Django's checks on every key of the ring: at least 50 characters, at
/// least 5 distinct ones, and (from 3.2) no `django-insecure-` prefix. Staged
/// keys are checked as the fallbacks they are in Django's terms, numbered
/// after them; a key repeated in the ring is reported at each place, as
/// Django reports it.
///
/// Fallbacks are checked under every version (Django checks them from 4.1, when
/// they appeared; signring honours them everywhere). Keys are counted in code
/// points when they are UTF-8, in bytes otherwise. Messages never contain a key.
///
/// # Example
///
/// ```
/// use signring::{DjangoVersion, KeyRing, check_keys};
/// let ring = KeyRing::new("django-insecure-0123456789abcdefghijklmnopqrstuvwxyz0123456789")?
///     .with_fallback("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")?;
/// let ids: Vec<_> = check_keys(&ring, DjangoVersion::V4_2).into_iter().map(|w| (w.id, w.setting)).collect();
/// assert_eq!(ids, [("security.W009", "SECRET_KEY".to_owned()), ("security.W025", "SECRET_KEY_FALLBACKS[0]".to_owned())]);
/// assert_eq!(check_keys(&ring, DjangoVersion::V2_2).len(), 1, "2.2 did not check the prefix");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn check_keys(ring: &KeyRing, version: DjangoVersion) -> Vec<KeyWarning> {
    let mut warnings = Vec::new();
    if is_weak(ring.current(), version) {
        warnings.push(KeyWarning {
            id: "security.W009",
            setting: "SECRET_KEY".to_owned(),
            message: message(version, "SECRET_KEY"),
        });
    }
    // Staged keys are fallbacks in Django's terms: they are checked too,
    // numbered after the fallbacks.
    for (index, key) in ring.keys().skip(1).enumerate() {
        if is_weak(key, version) {
            let setting = format!("SECRET_KEY_FALLBACKS[{index}]");
            let message = message(version, &setting);
            warnings.push(KeyWarning {
                id: "security.W025",
                setting,
                message,
            });
        }
    }
    warnings
}

fn is_weak(key: &SecretKey, version: DjangoVersion) -> bool {
    let (length, unique, insecure) = match core::str::from_utf8(key.as_bytes()) {
        Ok(text) => {
            let mut chars: Vec<char> = text.chars().collect();
            let length = chars.len();
            chars.sort_unstable();
            chars.dedup();
            (length, chars.len(), text.starts_with(INSECURE_PREFIX))
        }
        Err(_) => {
            let mut bytes = key.as_bytes().to_vec();
            let length = bytes.len();
            bytes.sort_unstable();
            bytes.dedup();
            (length, bytes.len(), false)
        }
    };
    length < MIN_LENGTH || unique < MIN_UNIQUE || (insecure && version >= DjangoVersion::V3_2)
}

fn message(version: DjangoVersion, setting: &str) -> String {
    match version {
        DjangoVersion::V2_2 => format!(
            "Your {setting} has less than {MIN_LENGTH} characters or less than {MIN_UNIQUE} unique characters. \
             Please generate a long and random {setting}, otherwise many of Django's security-critical features \
             will be vulnerable to attack."
        ),
        DjangoVersion::V3_2 => format!(
            "Your {setting} has less than {MIN_LENGTH} characters, less than {MIN_UNIQUE} unique characters, or \
             it's prefixed with '{INSECURE_PREFIX}' indicating that it was generated automatically by Django. \
             Please generate a long and random {setting}, otherwise many of Django's security-critical features \
             will be vulnerable to attack."
        ),
        _ => format!(
            "Your {setting} has less than {MIN_LENGTH} characters, less than {MIN_UNIQUE} unique characters, or \
             it's prefixed with '{INSECURE_PREFIX}' indicating that it was generated automatically by Django. \
             Please generate a long and random value, otherwise many of Django's security-critical features will \
             be vulnerable to attack."
        ),
    }
}

impl KeyRing {
    /// Refuses a ring with any key Django's checks call weak (the policy for
    /// services that must not start with a weak key; use [`check_keys`] to
    /// only warn).
    ///
    /// # Errors
    ///
    /// [`ConfigError::WeakKey`](crate::ConfigError::WeakKey) naming the first
    /// weak key's setting (`SECRET_KEY` or `SECRET_KEY_FALLBACKS[i]`).
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{DjangoVersion, KeyRing};
    /// let weak = KeyRing::new("short")?;
    /// assert!(weak.require_strong_keys(DjangoVersion::default()).is_err());
    /// let strong = KeyRing::new("x9$kP2#mQ7!vL4@nR8%tW1^yZ6&bC3*dF5(gH0)jK-_=+qsuoiea")?;
    /// assert!(strong.require_strong_keys(DjangoVersion::default()).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn require_strong_keys(self, version: DjangoVersion) -> crate::error::ConfigResult<Self> {
        match check_keys(&self, version).into_iter().next() {
            Some(warning) => Err(crate::ConfigError::WeakKey(warning.setting)),
            None => Ok(self),
        }
    }
}
