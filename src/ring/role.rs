//! What a key in a ring may do.

/// What a key in the ring may do.
///
/// # Example
///
/// ```
/// use signring::{KeyRing, KeyRole};
/// let ring = KeyRing::new("the-current-key-0123456789abcdefghijklmnopqrstuvwxyz")?;
/// assert_eq!(ring.role(0), Some(KeyRole::Current));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyRole {
    /// Signs and verifies. Exactly one per ring.
    Current,
    /// Verifies only, until its `not_after`; values it verifies are stale.
    Fallback,
    /// Verifies only, before it becomes current: values it verifies came from a
    /// server that already promoted it, so they are not stale.
    Staged,
}

impl KeyRole {
    /// `"current"`, `"fallback"` or `"staged"`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::KeyRole::Staged.as_str(), "staged");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Fallback => "fallback",
            Self::Staged => "staged",
        }
    }
}
