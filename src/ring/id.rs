//! Key ids: names safe to log, given or derived from the key.

use core::fmt;
use std::sync::Arc;

use hmac::digest::Digest;

use crate::key::SecretKey;

/// A key's name: safe to log, never derived reversibly from the secret.
///
/// Give keys ids of your own (`"2026-11"`); a key without one gets a
/// fingerprint, the first 8 hex digits of SHA-256 over a fixed label and the
/// key, which identifies it across servers without revealing it.
///
/// # Example
///
/// ```
/// use signring::{KeyId, KeyRing};
/// let ring = KeyRing::new("a-secret-key-of-at-least-fifty-characters-0123456789")?;
/// assert_eq!(ring.id(0).unwrap().as_str().len(), 8);
/// assert_eq!(KeyId::new("2026-11").as_str(), "2026-11");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(Arc<str>);

impl KeyId {
    /// An id of your choosing.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::KeyId::new("k1").to_string(), "k1");
    /// ```
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self(Arc::from(id.into()))
    }

    /// The fingerprint of `key`.
    pub(super) fn fingerprint(key: &SecretKey) -> Self {
        let digest = sha2::Sha256::new()
            .chain_update(b"signring key id\0")
            .chain_update(key.as_bytes())
            .finalize();
        let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self(Arc::from(hex))
    }

    /// The id as text.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::KeyId::new("k1").as_str(), "k1");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
