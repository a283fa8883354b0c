//! The session-store abstraction: what the migration loop needs from a
//! backend, and nothing engine-specific.

use std::time::SystemTime;

use crate::engine::Engine;
use crate::error::StoreError;
use crate::users::PasswordLookup;

/// How a store's values depend on the key.
///
/// # Example
///
/// ```
/// assert_ne!(signring_migrate::ValueFormat::Signed, signring_migrate::ValueFormat::Pickle);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueFormat {
    /// Django's encoded session (`db`, `cached_db`, `file`): signed, re-signed
    /// with the current key.
    Signed,
    /// A pickled dict (`cache`): unsigned; only `_auth_user_hash` depends on
    /// the key, and it is rewritten in place.
    Pickle,
}

/// One stored session, as read.
///
/// # Example
///
/// ```
/// let session = signring_migrate::StoredSession::new("k1", b"data".to_vec());
/// assert_eq!((session.key.as_str(), session.modified), ("k1", None));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredSession {
    /// The session key (for the `cache` engine: the whole cache key).
    pub key: String,
    /// The stored value, byte for byte.
    pub value: Vec<u8>,
    /// The file's modification time (`file` engine), compared before a
    /// rewrite and restored after it.
    pub modified: Option<SystemTime>,
}

impl StoredSession {
    /// A session read from a store.
    #[must_use]
    pub fn new(key: impl Into<String>, value: Vec<u8>) -> Self {
        Self {
            key: key.into(),
            value,
            modified: None,
        }
    }

    /// With the file's modification time.
    #[must_use]
    pub fn modified(mut self, modified: SystemTime) -> Self {
        self.modified = Some(modified);
        self
    }
}

impl core::fmt::Debug for StoredSession {
    /// Session keys and data are secrets: only the length shows.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "StoredSession {{ {} bytes }}", self.value.len())
    }
}

/// One read: the sessions, and where the next read starts.
///
/// # Example
///
/// ```
/// let batch = signring_migrate::Batch { sessions: Vec::new(), next: None };
/// assert!(batch.is_end());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The sessions read, in the store's order.
    pub sessions: Vec<StoredSession>,
    /// The cursor the next read starts after (the last session key read, or
    /// a Redis `SCAN` cursor); `None` when the store has nothing more.
    pub next: Option<String>,
}

impl Batch {
    /// Whether the store has nothing more to read.
    #[must_use]
    pub fn is_end(&self) -> bool {
        self.next.is_none()
    }
}

/// A compare-and-set write: store `new` under `key` only if the value is
/// still `old` (and, for files, still has the same modification time).
///
/// # Example
///
/// ```
/// use signring_migrate::{Rewrite, StoredSession};
/// let read = StoredSession::new("k", b"old".to_vec());
/// let rewrite = Rewrite::of(&read, b"new".to_vec());
/// assert_eq!((rewrite.old.as_slice(), rewrite.new.as_slice()), (&b"old"[..], &b"new"[..]));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rewrite {
    /// The session key (as in [`StoredSession::key`]).
    pub key: String,
    /// The value as read.
    pub old: Vec<u8>,
    /// The value to store.
    pub new: Vec<u8>,
    /// The modification time as read (`file` engine).
    pub modified: Option<SystemTime>,
}

impl Rewrite {
    /// Rewrites `read` to `new`.
    #[must_use]
    pub fn of(read: &StoredSession, new: Vec<u8>) -> Self {
        Self {
            key: read.key.clone(),
            old: read.value.clone(),
            new,
            modified: read.modified,
        }
    }
}

impl core::fmt::Debug for Rewrite {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Rewrite {{ {} -> {} bytes }}",
            self.old.len(),
            self.new.len()
        )
    }
}

/// Where sessions are stored: one implementation per engine and backend.
///
/// The migration loop reads batches in the store's order (keyset pagination
/// on the session key for databases and files, a `SCAN` cursor for Redis),
/// looks the batch's users up, and hands back the compare-and-set writes.
pub trait SessionStore: PasswordLookup {
    /// The engine this store serves.
    fn engine(&self) -> Engine;

    /// How its values depend on the key (default: signed).
    fn format(&self) -> ValueFormat {
        ValueFormat::Signed
    }

    /// What the store is, for messages and the state file: the URL with its
    /// password redacted, the table or directory. Never a secret.
    fn target(&self) -> String;

    /// Reads up to `limit` sessions after the cursor `after` (`None`: from
    /// the start).
    ///
    /// # Errors
    ///
    /// When the read fails.
    fn read_batch(&mut self, after: Option<&str>, limit: usize) -> Result<Batch, StoreError>;

    /// Applies the writes as compare-and-set, all in one transaction where the
    /// store has transactions; for each, whether it was written (`false`: the
    /// value changed meanwhile and was left as it is).
    ///
    /// # Errors
    ///
    /// When a write fails; where the store has transactions, nothing of the
    /// batch was written then.
    fn write_batch(&mut self, rewrites: &[Rewrite]) -> Result<Vec<bool>, StoreError>;

    /// Called after a batch was written, with the keys of every session in
    /// it that verified (written or left fresh): `cached_db` drops their
    /// cache entries here. Nothing by default.
    ///
    /// # Errors
    ///
    /// When the follow-up fails.
    fn settle(&mut self, verified: &[&str]) -> Result<(), StoreError> {
        let _ = verified;
        Ok(())
    }

    /// How many sessions remain after `after`, when cheap to know (for the
    /// progress bar).
    fn remaining(&mut self, after: Option<&str>) -> Option<u64> {
        let _ = after;
        None
    }

    /// Called once before the first batch of a run that writes (never in a
    /// dry run): repairs what an interrupted run left behind (the `file`
    /// store: its temporary files). Nothing by default.
    ///
    /// # Errors
    ///
    /// When the repair fails.
    fn recover(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// What the store has to tell the operator since it was last asked (the
    /// `file` store: temporary files an interrupted run left behind, cleaned
    /// up). Nothing by default.
    fn take_warnings(&mut self) -> Vec<String> {
        Vec::new()
    }
}
