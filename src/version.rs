//! Django releases whose behaviour differs, as an explicit compatibility setting.

use core::fmt;
use core::str::FromStr;

use crate::algorithm::Algorithm;
use crate::error::ConfigError;

/// The Django release on the other side; each is the newest patch of its line.
///
/// The differences that matter to signing (django-compat.md §3, §14):
///
/// | version | signs with | also accepts |
/// | --- | --- | --- |
/// | 2.2 | SHA-1, no `algorithm` option | — |
/// | 3.2 | `DEFAULT_HASHING_ALGORITHM` (SHA-256 unless set to `sha1`) | SHA-1 signatures made with the current key (stale) |
/// | 4.2, 5.2, 6.0, 6.1 | SHA-256 | — |
///
/// Fallback keys are honoured under every version: they are signring's, even
/// where that Django release has no `SECRET_KEY_FALLBACKS`. The newest version is
/// the default.
///
/// # Example
///
/// ```
/// use signring::{Algorithm, DjangoVersion};
///
/// let v: DjangoVersion = "2.2".parse()?;
/// assert_eq!(v.default_algorithm(), Algorithm::Sha1);
/// assert_eq!(DjangoVersion::default(), DjangoVersion::V6_1);
/// assert!(DjangoVersion::V3_2.accepts_legacy_sha1());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[non_exhaustive]
pub enum DjangoVersion {
    /// Django 2.2 (2.2.28).
    V2_2,
    /// Django 3.2 (3.2.25).
    V3_2,
    /// Django 4.2 (4.2.30).
    V4_2,
    /// Django 5.2 (5.2.19).
    V5_2,
    /// Django 6.0.
    V6_0,
    /// Django 6.1, the newest.
    #[default]
    V6_1,
}

impl DjangoVersion {
    /// Every modelled version, oldest first.
    pub const ALL: [DjangoVersion; 6] = [
        Self::V2_2,
        Self::V3_2,
        Self::V4_2,
        Self::V5_2,
        Self::V6_0,
        Self::V6_1,
    ];

    /// The release line as Django writes it (`"4.2"`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::DjangoVersion::V4_2.as_str(), "4.2");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V2_2 => "2.2",
            Self::V3_2 => "3.2",
            Self::V4_2 => "4.2",
            Self::V5_2 => "5.2",
            Self::V6_0 => "6.0",
            Self::V6_1 => "6.1",
        }
    }

    /// The algorithm signers use when none is given: SHA-1 for 2.2, SHA-256 from
    /// 3.1 on (3.2 users who set `DEFAULT_HASHING_ALGORITHM = "sha1"` pass
    /// [`Algorithm::Sha1`] explicitly).
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{Algorithm, DjangoVersion};
    /// assert_eq!(DjangoVersion::V3_2.default_algorithm(), Algorithm::Sha256);
    /// ```
    #[must_use]
    pub const fn default_algorithm(self) -> Algorithm {
        match self {
            Self::V2_2 => Algorithm::Sha1,
            _ => Algorithm::Sha256,
        }
    }

    /// Whether this release takes an `algorithm` argument at all (3.1+).
    ///
    /// # Example
    ///
    /// ```
    /// assert!(!signring::DjangoVersion::V2_2.has_algorithm_option());
    /// ```
    #[must_use]
    pub const fn has_algorithm_option(self) -> bool {
        !matches!(self, Self::V2_2)
    }

    /// Whether this release also accepts SHA-1 signatures made with the current
    /// key, whatever the signer's algorithm (3.1–3.2's transition path).
    ///
    /// # Example
    ///
    /// ```
    /// assert!(!signring::DjangoVersion::V4_2.accepts_legacy_sha1());
    /// ```
    #[must_use]
    pub const fn accepts_legacy_sha1(self) -> bool {
        matches!(self, Self::V3_2)
    }
}

impl fmt::Display for DjangoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DjangoVersion {
    type Err = ConfigError;

    fn from_str(name: &str) -> Result<Self, ConfigError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == name)
            .ok_or(ConfigError::UnknownDjangoVersion)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in DjangoVersion::ALL {
            assert_eq!(v.as_str().parse::<DjangoVersion>(), Ok(v));
        }
        assert!("4.1".parse::<DjangoVersion>().is_err());
    }

    #[test]
    fn versions_are_ordered_oldest_first() {
        assert!(DjangoVersion::ALL.windows(2).all(|w| w[0] < w[1]));
    }
}
