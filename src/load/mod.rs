//! Loading a key ring from where operators keep keys: Django's environment
//! variables, key files (mounted secrets), and serde configuration whose
//! secrets never serialize. Every loader refuses weak keys unless told not to.

mod config;
#[cfg(test)]
mod tests;

use std::path::Path;

use zeroize::Zeroize;

use crate::check::check_keys;
use crate::error::{ConfigError, ConfigResult};
use crate::json;
use crate::ring::{KeyRing, RingKey};
use crate::version::DjangoVersion;

use config::REDACTED;
pub use config::{ConfigSecret, KeyConfig, RingConfig};

/// Loads key rings, refusing any key that fails Django's weak-key check
/// (`security.W009` for `SECRET_KEY`, `W025` for a fallback: fewer than 50
/// characters, fewer than 5 distinct ones, or the `django-insecure-` prefix)
/// unless [`danger_allow_weak_keys`](KeyLoader::danger_allow_weak_keys) says
/// otherwise. Errors name the variable, line or entry, never a key.
///
/// # Example
///
/// ```
/// use signring::KeyLoader;
/// let text = "# rotated in 2026-11\n\
///             the-current-key-0123456789abcdefghijklmnopqrstuvwxyz\n\
///             the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz\n";
/// let ring = KeyLoader::new().keys_text(text)?;
/// assert_eq!(ring.key_count(), 2);
/// let weak = KeyLoader::new().keys_text("short-key\n").unwrap_err();
/// assert_eq!(weak.to_string(), "keys file line 1 is weak (Django's security.W009/W025 checks)");
/// assert!(KeyLoader::new().danger_allow_weak_keys().keys_text("short-key\n").is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub struct KeyLoader {
    django: DjangoVersion,
    allow_weak: bool,
}

impl KeyLoader {
    /// A loader that refuses weak keys by the newest Django's rules.
    ///
    /// # Example
    ///
    /// See [`KeyLoader`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Judges keys by `version`'s rules (2.2 does not know the
    /// `django-insecure-` prefix).
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{DjangoVersion, KeyLoader};
    /// let key = "django-insecure-0123456789abcdefghijklmnopqrstuvwxyz0123456789";
    /// assert!(KeyLoader::new().keys_text(key).is_err());
    /// assert!(KeyLoader::new().django(DjangoVersion::V2_2).keys_text(key).is_ok());
    /// ```
    pub fn django(mut self, version: DjangoVersion) -> Self {
        self.django = version;
        self
    }

    /// Accepts keys that fail Django's weak-key check (tests, fixtures, a
    /// legacy site that must keep reading an old weak key while it rotates
    /// away from it). [`check_keys`] still reports them.
    ///
    /// # Example
    ///
    /// See [`KeyLoader`].
    pub fn danger_allow_weak_keys(mut self) -> Self {
        self.allow_weak = true;
        self
    }

    /// Reads Django's settings from the environment: `SECRET_KEY` is the
    /// current key, `SECRET_KEY_FALLBACKS` (optional) a JSON array of older
    /// keys, tried in order. As in Django, a fallback may repeat
    /// `SECRET_KEY` or another fallback: the ring keeps it (it never changes
    /// a result) and [`check_keys`] still reports it.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Source`] naming the variable that is missing or not what
    /// Django expects (never its value); [`ConfigError::WeakKey`].
    ///
    /// # Example
    ///
    /// ```
    /// use signring::KeyLoader;
    /// let env = |name: &str| match name {
    ///     "SECRET_KEY" => Some("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz".to_owned()),
    ///     "SECRET_KEY_FALLBACKS" => Some(r#"["the-previous-key-0123456789abcdefghijklmnopqrstuvwxyz"]"#.to_owned()),
    ///     _ => None,
    /// };
    /// let ring = KeyLoader::new().env_with(env)?;
    /// assert_eq!(ring.key_count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn env_with(&self, lookup: impl Fn(&str) -> Option<String>) -> ConfigResult<KeyRing> {
        let source = |what: &str| ConfigError::Source(what.to_owned());
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
                match RingKey::new(key) {
                    Ok(key) => ring.push_fallback_allowing_duplicate(key),
                    Err(_) => {
                        added = Err(source(&format!("SECRET_KEY_FALLBACKS[{index}] is empty")));
                        break;
                    }
                }
            }
            drop(fallbacks);
            added?;
        }
        self.checked(ring, |setting| setting.to_owned())
    }

    /// [`env_with`](KeyLoader::env_with) on the process environment.
    ///
    /// # Errors
    ///
    /// As [`env_with`](KeyLoader::env_with).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let ring = signring::KeyLoader::new().env()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn env(&self) -> ConfigResult<KeyRing> {
        self.env_with(|name| std::env::var(name).ok())
    }

    /// Reads a keys file (a mounted secret, `signring --keys-file`):
    ///
    /// - one key per line, the first the current key, each further one a
    ///   fallback, in order; a trailing `\r` is dropped;
    /// - empty lines are skipped, and so are comments: lines that are `#` or
    ///   start with `# ` (Django's generated keys never contain a space);
    /// - a key is taken byte for byte and may not contain whitespace: a line
    ///   that only *looks* blank, has stray spaces, or is a comment without
    ///   its space is refused with its line number, never read as a key;
    /// - a key may not appear twice.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Source`] when the file cannot be read, has no key, or a
    /// line breaks the rules above; [`ConfigError::WeakKey`].
    ///
    /// # Example
    ///
    /// ```
    /// use signring::KeyLoader;
    /// let err = KeyLoader::new().keys_text("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz\n   \n").unwrap_err();
    /// assert_eq!(err.to_string(), "keys file line 2 holds whitespace (one key per line, no spaces; comments start with \"# \")");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keys_file(&self, path: impl AsRef<Path>) -> ConfigResult<KeyRing> {
        let mut text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Source(format!("cannot read the keys file: {}", e.kind())))?;
        let ring = self.keys_text(&text);
        text.zeroize();
        ring
    }

    /// [`keys_file`](KeyLoader::keys_file) on text already read.
    ///
    /// # Errors
    ///
    /// As [`keys_file`](KeyLoader::keys_file).
    ///
    /// # Example
    ///
    /// See [`KeyLoader`].
    pub fn keys_text(&self, text: &str) -> ConfigResult<KeyRing> {
        let mut ring: Option<KeyRing> = None;
        let mut lines = Vec::new();
        for (index, line) in text.split('\n').enumerate() {
            let number = index + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() || line == "#" || line.starts_with("# ") {
                continue;
            }
            if line.chars().any(char::is_whitespace) {
                return Err(ConfigError::Source(format!(
                    "keys file line {number} holds whitespace (one key per line, no spaces; \
                     comments start with \"# \")"
                )));
            }
            let key = RingKey::new(line)?;
            match &mut ring {
                None => ring = Some(KeyRing::from_ring_key(key)),
                Some(ring) => ring.add_fallback(key).map_err(|_| {
                    ConfigError::Source(format!("keys file line {number} repeats an earlier key"))
                })?,
            }
            lines.push(number);
        }
        let ring = ring.ok_or_else(|| ConfigError::Source("the keys file has no key".into()))?;
        self.checked(ring, |setting| {
            let position = match setting.strip_prefix("SECRET_KEY_FALLBACKS[") {
                Some(rest) => rest
                    .trim_end_matches(']')
                    .parse::<usize>()
                    .map_or(0, |i| i + 1),
                None => 0,
            };
            format!(
                "keys file line {}",
                lines.get(position).copied().unwrap_or(0)
            )
        })
    }

    /// Builds the ring a [`RingConfig`] describes.
    ///
    /// # Errors
    ///
    /// [`ConfigError::EmptyKey`], [`ConfigError::Source`] for a repeated key
    /// or a `not_after` that is not a finite number, [`ConfigError::WeakKey`].
    ///
    /// # Example
    ///
    /// See [`RingConfig`].
    pub fn ring_config(&self, config: &RingConfig) -> ConfigResult<KeyRing> {
        let mut ring = KeyRing::from_ring_key(config.current.to_ring_key("current")?);
        for (index, key) in config.fallbacks.iter().enumerate() {
            let what = format!("fallbacks[{index}]");
            ring.add_fallback(key.to_ring_key(&what)?)
                .map_err(|_| ConfigError::Source(format!("{what} repeats an earlier key")))?;
        }
        for (index, key) in config.staged.iter().enumerate() {
            let what = format!("staged[{index}]");
            ring.stage(key.to_ring_key(&what)?)
                .map_err(|_| ConfigError::Source(format!("{what} repeats an earlier key")))?;
        }
        let fallbacks = config.fallbacks.len();
        self.checked(ring, |setting| {
            match setting
                .strip_prefix("SECRET_KEY_FALLBACKS[")
                .and_then(|rest| rest.trim_end_matches(']').parse::<usize>().ok())
            {
                Some(i) if i < fallbacks => format!("fallbacks[{i}]"),
                Some(i) => format!("staged[{}]", i - fallbacks),
                None => "current".to_owned(),
            }
        })
    }

    /// Reads a [`RingConfig`] from a JSON file (`signring --ring`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Source`] when the file cannot be read or is not a ring
    /// configuration (the message gives the byte offset, never content); as
    /// [`ring_config`](KeyLoader::ring_config).
    ///
    /// # Example
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("signring-doc-ring-{}.json", std::process::id()));
    /// std::fs::write(&path, r#"{"current": {"id": "k1", "secret": "the-current-key-0123456789abcdefghijklmnopqrstuvwxyz"}}"#)?;
    /// let ring = signring::KeyLoader::new().ring_file(&path)?;
    /// assert_eq!(ring.id(0).unwrap().as_str(), "k1");
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ring_file(&self, path: impl AsRef<Path>) -> ConfigResult<KeyRing> {
        let mut text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Source(format!("cannot read the ring file: {}", e.kind())))?;
        let ring = self.ring_text(&text);
        text.zeroize();
        ring
    }

    /// [`ring_file`](KeyLoader::ring_file) on JSON text already read.
    ///
    /// # Errors
    ///
    /// As [`ring_file`](KeyLoader::ring_file); a configuration written back
    /// with its secrets redacted is named as such.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::KeyLoader;
    /// let err = KeyLoader::new().ring_text(r#"{"current": {"secret": "[redacted]"}}"#).unwrap_err();
    /// assert_eq!(err.to_string(), "the ring configuration holds a redacted secret: put the real secret back");
    /// ```
    pub fn ring_text(&self, text: &str) -> ConfigResult<KeyRing> {
        let config: core::result::Result<RingConfig, _> = json::from_str(text);
        let config = config.map_err(|e| {
            if text.contains(&format!("\"{REDACTED}\"")) {
                ConfigError::Source(
                    "the ring configuration holds a redacted secret: put the real secret back"
                        .into(),
                )
            } else {
                ConfigError::Source(format!("the ring file is not a ring configuration: {e}"))
            }
        })?;
        self.ring_config(&config)
    }

    /// Refuses `ring` if a key is weak, naming it with `name(setting)`.
    fn checked(&self, ring: KeyRing, name: impl Fn(&str) -> String) -> ConfigResult<KeyRing> {
        if self.allow_weak {
            return Ok(ring);
        }
        match check_keys(&ring, self.django).into_iter().next() {
            Some(warning) => Err(ConfigError::WeakKey(name(&warning.setting))),
            None => Ok(ring),
        }
    }
}

impl KeyRing {
    /// [`KeyLoader::env`] with the default policy (weak keys refused).
    ///
    /// # Errors
    ///
    /// As [`KeyLoader::env_with`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// let ring = signring::KeyRing::from_env()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_env() -> ConfigResult<Self> {
        KeyLoader::new().env()
    }

    /// [`KeyLoader::env_with`] with the default policy.
    ///
    /// # Errors
    ///
    /// As [`KeyLoader::env_with`].
    ///
    /// # Example
    ///
    /// See [`KeyLoader::env_with`].
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> ConfigResult<Self> {
        KeyLoader::new().env_with(lookup)
    }

    /// [`KeyLoader::keys_file`] with the default policy.
    ///
    /// # Errors
    ///
    /// As [`KeyLoader::keys_file`].
    ///
    /// # Example
    ///
    /// ```
    /// assert!(signring::KeyRing::from_keys_file("/nonexistent/keys").is_err());
    /// ```
    pub fn from_keys_file(path: impl AsRef<Path>) -> ConfigResult<Self> {
        KeyLoader::new().keys_file(path)
    }

    /// [`KeyLoader::keys_text`] with the default policy.
    ///
    /// # Errors
    ///
    /// As [`KeyLoader::keys_file`].
    ///
    /// # Example
    ///
    /// ```
    /// let ring = signring::KeyRing::from_keys_text(
    ///     "the-current-key-0123456789abcdefghijklmnopqrstuvwxyz\nthe-previous-key-0123456789abcdefghijklmnopqrstuvwxyz\n")?;
    /// assert_eq!(ring.fallbacks().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_keys_text(text: &str) -> ConfigResult<Self> {
        KeyLoader::new().keys_text(text)
    }
}
