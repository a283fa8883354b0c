//! What a migration did, counted.

use std::collections::BTreeMap;

use crate::engine::Engine;

/// The counts of a migration run (or, with `dry_run`, of what it would do).
///
/// Every session scanned lands in exactly one of `fresh`, `resigned`,
/// `undecodable` and `skipped_concurrent`.
///
/// # Example
///
/// ```
/// use signring_migrate::{Engine, Report};
/// let report = Report::new(Engine::Db, false);
/// assert!(report.is_clean());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The engine migrated.
    pub engine: Engine,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Sessions read.
    pub scanned: u64,
    /// Sessions left as they are because the current key or a staged key
    /// verified them and nothing needed rewriting (and, in the `cache`
    /// engine, sessions with nothing that depends on a key).
    pub fresh: u64,
    /// Sessions moved to the current key (written, or that would be in a
    /// dry run).
    pub resigned: u64,
    /// Of `resigned`, those whose `_auth_user_hash` was rewritten.
    pub hash_rewritten: u64,
    /// Sessions left exactly as they are because no key verifies them, they
    /// are corrupt, or (`cache` engine) they cannot be rewritten safely.
    pub undecodable: u64,
    /// Sessions that changed between the read and the compare-and-set write,
    /// left as the application wrote them; a second run migrates them.
    pub skipped_concurrent: u64,
    /// For each key id of the ring, how many values it verified (zero
    /// included).
    pub by_key: BTreeMap<String, u64>,
    /// Why values were counted `undecodable`: `bad_signature`, `malformed`,
    /// `payload`, `not_utf8`, `not_pickle`, `pickle_unsupported`,
    /// `auth_hash_unsafe`, `auth_hash_length`, `password_changed`, `user_id`.
    pub undecodable_reasons: BTreeMap<&'static str, u64>,
    /// Sessions Django logs out whatever the key (the user no longer exists,
    /// the session has no auth hash, or the password changed); their data
    /// is re-signed all the same, the auth hash left alone, so Django treats
    /// them after the migration exactly as before it.
    pub logged_out: u64,
    /// Of `logged_out`, sessions whose user is not in the user table: many
    /// of them may mean the wrong `--user-table`.
    pub users_missing: u64,
    /// Whether the run reached the end of the store.
    pub complete: bool,
    /// Things the operator should know (stderr in the CLI).
    pub warnings: Vec<String>,
}

impl Report {
    /// An empty report.
    #[must_use]
    pub fn new(engine: Engine, dry_run: bool) -> Self {
        Self {
            engine,
            dry_run,
            scanned: 0,
            fresh: 0,
            resigned: 0,
            hash_rewritten: 0,
            undecodable: 0,
            skipped_concurrent: 0,
            by_key: BTreeMap::new(),
            undecodable_reasons: BTreeMap::new(),
            logged_out: 0,
            users_missing: 0,
            complete: false,
            warnings: Vec::new(),
        }
    }

    /// Whether every session was migrated or fresh: nothing undecodable and
    /// nothing skipped (the CLI's exit code 0 rather than 1).
    ///
    /// # Example
    ///
    /// ```
    /// let mut report = signring_migrate::Report::new(signring_migrate::Engine::Db, false);
    /// report.skipped_concurrent = 1;
    /// assert!(!report.is_clean());
    /// ```
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.undecodable == 0 && self.skipped_concurrent == 0
    }

    pub(crate) fn count_undecodable(&mut self, reason: &'static str) {
        self.undecodable += 1;
        *self.undecodable_reasons.entry(reason).or_default() += 1;
    }
}
