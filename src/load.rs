//! Loading a key ring from where operators keep keys: Django's environment
//! variables, key files (mounted secrets), and serde configuration whose
//! secrets never serialize.

use core::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::clock::UnixTime;
use crate::error::{ConfigError, Error, Result};
use crate::json;
use crate::ring::{KeyRing, RingKey};

impl KeyRing {
    /// Reads Django's settings from the environment: `SECRET_KEY` is the
    /// current key, `SECRET_KEY_FALLBACKS` (optional) a JSON array of older
    /// keys, tried in order.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Source`] naming the variable that is missing or not what
    /// Django expects (never its value); [`ConfigError::DuplicateKey`].
    ///
    /// # Example
    ///
    /// ```
    /// use signring::KeyRing;
    /// let env = |name: &str| match name {
    ///     "SECRET_KEY" => Some("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz".to_owned()),
    ///     "SECRET_KEY_FALLBACKS" => Some(r#"["the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz"]"#.to_owned()),
    ///     _ => None,
    /// };
    /// let ring = KeyRing::from_env_with(env)?;
    /// assert_eq!(ring.key_count(), 2);
    /// # Ok::<(), signring::Error>(())
    /// ```
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`from_env`](KeyRing::from_env) over any lookup, for tests and other
    /// configuration sources.
    ///
    /// # Errors
    ///
    /// As [`from_env`](KeyRing::from_env).
    ///
    /// # Example
    ///
    /// See [`from_env`](KeyRing::from_env).
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let source = |what: &str| Error::Config(ConfigError::Source(what.to_owned()));
        let mut current = lookup("SECRET_KEY").ok_or_else(|| source("SECRET_KEY is not set"))?;
        let ring = KeyRing::new(&current).map_err(|_| source("SECRET_KEY is empty"));
        current.zeroize();
        let mut ring = ring?;
        if let Some(mut text) = lookup("SECRET_KEY_FALLBACKS") {
            // Each key is decoded into one buffer that never moves and is wiped
            // on drop (`json::from_str` grows its strings, leaving copies).
            let parsed = json::parse_secret_strings(&text);
            text.zeroize();
            let fallbacks = parsed
                .map_err(|_| source("SECRET_KEY_FALLBACKS is not a JSON array of strings"))?;
            let mut added = Ok(());
            for (index, key) in fallbacks.iter().enumerate() {
                match ring.clone().with_fallback(key.as_bytes()) {
                    Ok(next) => ring = next,
                    Err(Error::Config(ConfigError::EmptyKey)) => {
                        added = Err(source(&format!("SECRET_KEY_FALLBACKS[{index}] is empty")));
                        break;
                    }
                    Err(other) => {
                        added = Err(other);
                        break;
                    }
                }
            }
            drop(fallbacks);
            added?;
        }
        Ok(ring)
    }

    /// Reads a key file: the first line is the current key, each further
    /// non-empty line a fallback, in order. This is the shape of a Kubernetes
    /// secret mounted as a file, and of `signring --keys-file`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Source`] when the file cannot be read or has no current
    /// key; [`ConfigError::DuplicateKey`].
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::from_keys_text(
    ///     "the-current-key-0123456789abcdefghijklmnopqrstuvwxyz\nthe-previous-key-0123456789abcdefghijklmnopqrstuvwxyz\n")?;
    /// assert_eq!(ring.fallbacks().len(), 1);
    /// # Ok::<(), signring::Error>(())
    /// ```
    pub fn from_keys_file(path: impl AsRef<Path>) -> Result<Self> {
        let mut text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(ConfigError::Source(format!(
                "cannot read the keys file: {}",
                e.kind()
            )))
        })?;
        let ring = Self::from_keys_text(&text);
        text.zeroize();
        ring
    }

    /// [`from_keys_file`](KeyRing::from_keys_file) on text already read.
    ///
    /// # Errors
    ///
    /// As [`from_keys_file`](KeyRing::from_keys_file).
    ///
    /// # Example
    ///
    /// See [`from_keys_file`](KeyRing::from_keys_file).
    pub fn from_keys_text(text: &str) -> Result<Self> {
        let mut lines = text.lines();
        let current = lines
            .next()
            .filter(|line| !line.is_empty())
            .ok_or_else(|| {
                Error::Config(ConfigError::Source(
                    "the keys file has no current key on its first line".into(),
                ))
            })?;
        lines
            .filter(|line| !line.is_empty())
            .try_fold(KeyRing::new(current)?, |ring, line| {
                ring.with_fallback(line)
            })
    }
}

/// A secret in configuration: read from text, wiped on drop, and written back
/// only as `"[redacted]"`, so a configuration can be logged or re-serialized
/// without leaking it.
///
/// # Example
///
/// ```
/// use signring::ConfigSecret;
/// let secret: ConfigSecret = signring::json::from_str(r#""hunter2-but-longer""#)?;
/// assert_eq!(format!("{secret:?}"), "ConfigSecret(..)");
/// assert_eq!(signring::json::to_string(&secret)?, r#""[redacted]""#);
/// # Ok::<(), signring::json::Error>(())
/// ```
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct ConfigSecret(String);

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
        serializer.serialize_str("[redacted]")
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
    fn to_ring_key(&self) -> Result<RingKey> {
        let mut key = RingKey::new(&self.secret.0)?;
        if let Some(id) = &self.id {
            key = key.id(id.clone());
        }
        if let Some(at) = self.not_after {
            key = key.not_after(UnixTime::from_secs_f64(at));
        }
        Ok(key)
    }
}

impl RingConfig {
    /// Builds the ring.
    ///
    /// # Errors
    ///
    /// [`ConfigError::EmptyKey`] or [`ConfigError::DuplicateKey`].
    ///
    /// # Example
    ///
    /// See [`RingConfig`].
    pub fn to_ring(&self) -> Result<KeyRing> {
        let ring = KeyRing::from_ring_key(self.current.to_ring_key()?);
        let ring = self
            .fallbacks
            .iter()
            .try_fold(ring, |ring, key| ring.with_ring_key(key.to_ring_key()?))?;
        self.staged
            .iter()
            .try_fold(ring, |ring, key| ring.stage(key.to_ring_key()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_errors_name_the_variable_never_the_value() {
        let missing = KeyRing::from_env_with(|_| None).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "invalid configuration: SECRET_KEY is not set"
        );
        let bad = KeyRing::from_env_with(|name| match name {
            "SECRET_KEY" => Some("k".into()),
            _ => Some("not-json-secret".into()),
        })
        .unwrap_err();
        assert!(!bad.to_string().contains("not-json-secret"));
        let duplicate = KeyRing::from_env_with(|name| match name {
            "SECRET_KEY" => Some("k".into()),
            _ => Some(r#"["k"]"#.into()),
        });
        assert_eq!(
            duplicate.unwrap_err(),
            Error::Config(ConfigError::DuplicateKey)
        );
    }

    #[test]
    fn key_files_skip_blank_lines_and_need_a_first_line() {
        let ring = KeyRing::from_keys_text("k1\r\n\nk0\n").unwrap();
        assert_eq!(ring.key_count(), 2);
        assert!(KeyRing::from_keys_text("\nk0\n").is_err());
        assert!(KeyRing::from_keys_file("/nonexistent/signring/keys").is_err());
    }
}
