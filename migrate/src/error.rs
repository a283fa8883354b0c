//! What can stop a migration. Every variant is a usage, configuration or
//! connection problem (the CLI's exit code 2); values that cannot be migrated
//! are not errors but counts in the [`Report`](crate::Report).

/// Why a migration stopped before the end.
///
/// Messages never contain keys, session data, or passwords from URLs.
///
/// # Example
///
/// ```
/// use signring_migrate::MigrateError;
/// let error = MigrateError::Config("--batch-size must be at least 1".into());
/// assert_eq!(error.to_string(), "--batch-size must be at least 1");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// A usage or configuration mistake, found before anything was written.
    #[error("{0}")]
    Config(String),
    /// The store failed: connection, query or file system. The batch in
    /// progress was rolled back.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The state file cannot be read, written, or belongs to another target.
    #[error("state file: {0}")]
    State(String),
    /// A fallback key signed a value after the migration started: a server
    /// still signs with the old key, so migrating now would not be the end of
    /// it. The batch that found it was not written.
    #[error(
        "a session signed by fallback key {key_id} is stamped {timestamp}, after this migration \
         started ({started}): a server still signs with the old key. Promote the current key on \
         every server, then run the migration again (with --state it resumes where it stopped)"
    )]
    OldKeyStillSigning {
        /// The fallback key's id.
        key_id: String,
        /// The value's signing time (Unix seconds).
        timestamp: i64,
        /// When the migration started (Unix seconds).
        started: i64,
    },
}

/// A store operation that failed.
///
/// # Example
///
/// ```
/// use signring_migrate::StoreError;
/// let error = StoreError::connect("postgres://app:***@db/site", "connection refused");
/// assert_eq!(error.to_string(), "cannot connect to postgres://app:***@db/site: connection refused");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Connecting (or opening the file or directory) failed.
    #[error("cannot connect to {target}: {message}")]
    Connect {
        /// The target, its password redacted.
        target: String,
        /// The driver's message, the password scrubbed.
        message: String,
    },
    /// A query or command failed.
    #[error("{target}: {message}")]
    Query {
        /// The target, its password redacted.
        target: String,
        /// The driver's message, the password scrubbed.
        message: String,
        /// Whether running the batch again may succeed (a deadlock, a busy
        /// database, a serialization failure).
        transient: bool,
    },
}

impl StoreError {
    /// A connection failure.
    ///
    /// # Example
    ///
    /// ```
    /// let error = signring_migrate::StoreError::connect("sqlite:///x", "no such file");
    /// assert!(!error.is_transient());
    /// ```
    #[must_use]
    pub fn connect(target: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Connect {
            target: target.into(),
            message: message.into(),
        }
    }

    /// A failed query.
    ///
    /// # Example
    ///
    /// ```
    /// let error = signring_migrate::StoreError::query("sqlite:///x", "database is locked", true);
    /// assert!(error.is_transient());
    /// ```
    #[must_use]
    pub fn query(target: impl Into<String>, message: impl Into<String>, transient: bool) -> Self {
        Self::Query {
            target: target.into(),
            message: message.into(),
            transient,
        }
    }

    /// Whether running the batch again may succeed.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Query {
                transient: true,
                ..
            }
        )
    }
}
