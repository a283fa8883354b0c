//! Key rings as serde configuration, whose secrets never serialize.

use core::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::KeyLoader;
use crate::clock::UnixTime;
use crate::error::{ConfigError, ConfigResult};
use crate::ring::{KeyRing, RingKey};

/// The text a [`ConfigSecret`] serializes as.
pub(super) const REDACTED: &str = "[redacted]";

/// A secret in configuration: read from text, wiped on drop, and written back
/// only as `"[redacted]"`, so a configuration can be logged or re-serialized
/// without leaking it. Reading `"[redacted]"` back is refused, so a
/// re-serialized configuration can never load as a ring keyed with that text.
///
/// # Example
///
/// ```
/// use signring::ConfigSecret;
/// let secret: ConfigSecret = signring::json::from_str(r#""hunter2-but-longer""#)?;
/// assert_eq!(format!("{secret:?}"), "ConfigSecret(..)");
/// assert_eq!(signring::json::to_string(&secret)?, r#""[redacted]""#);
/// assert!(signring::json::from_str::<ConfigSecret>(r#""[redacted]""#).is_err());
/// # Ok::<(), signring::json::Error>(())
/// ```
#[derive(Clone)]
pub struct ConfigSecret(pub(super) String);

impl<'de> Deserialize<'de> for ConfigSecret {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> core::result::Result<Self, D::Error> {
        let secret = ConfigSecret(String::deserialize(deserializer)?);
        if secret.0 == REDACTED {
            return Err(serde::de::Error::custom(
                "a redacted secret cannot be loaded: put the real secret back",
            ));
        }
        Ok(secret)
    }
}

impl Drop for ConfigSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for ConfigSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConfigSecret(..)")
    }
}

impl Serialize for ConfigSecret {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> core::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

/// One key in a [`RingConfig`].
///
/// # Example
///
/// See [`RingConfig`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyConfig {
    /// The key's id (safe to log); a fingerprint when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The secret.
    pub secret: ConfigSecret,
    /// Unix seconds after which the key stops verifying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<f64>,
}

/// A key ring as configuration (any serde format: JSON, TOML, YAML…).
/// Serializing it writes every secret as `"[redacted]"`.
///
/// # Example
///
/// ```
/// use signring::{RingConfig, json};
/// let config: RingConfig = json::from_str(r#"{
///     "current": {"id": "2026-11", "secret": "the-current-key-0123456789abcdefghijklmnopqrstuvwxyz"},
///     "fallbacks": [{"id": "2026-05", "secret": "the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz",
///                    "not_after": 1800000000}],
///     "staged": []
/// }"#)?;
/// let shown = json::to_string(&config)?;
/// assert!(!shown.contains("the-current-key") && shown.contains("[redacted]"));
/// assert!(json::from_str::<RingConfig>(&shown).is_err(), "a redacted copy never loads");
/// let ring = config.to_ring()?;
/// assert_eq!(ring.id(1).unwrap().as_str(), "2026-05");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RingConfig {
    /// The key that signs.
    pub current: KeyConfig,
    /// Keys that only verify, in order.
    #[serde(default)]
    pub fallbacks: Vec<KeyConfig>,
    /// Keys that verify before they sign.
    #[serde(default)]
    pub staged: Vec<KeyConfig>,
}

impl KeyConfig {
    pub(super) fn to_ring_key(&self, what: &str) -> ConfigResult<RingKey> {
        let mut key = RingKey::new(&self.secret.0)?;
        if let Some(id) = &self.id {
            key = key.id(id.clone());
        }
        if let Some(at) = self.not_after {
            if !at.is_finite() {
                return Err(ConfigError::Source(format!(
                    "{what}.not_after is not a finite number"
                )));
            }
            key = key.not_after(UnixTime::from_secs_f64(at));
        }
        Ok(key)
    }
}

impl RingConfig {
    /// Builds the ring with the default policy (weak keys refused).
    ///
    /// # Errors
    ///
    /// As [`KeyLoader::ring_config`].
    ///
    /// # Example
    ///
    /// See [`RingConfig`].
    pub fn to_ring(&self) -> ConfigResult<KeyRing> {
        KeyLoader::new().ring_config(self)
    }
}
