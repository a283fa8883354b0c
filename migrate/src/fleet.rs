//! Is the current key the signing key everywhere? What the stored sessions'
//! timestamps tell.
//!
//! The ring does not record when the current key was promoted, but every
//! signed session carries the time it was last saved. Two rules:
//!
//! - **Fatal**: a session a *fallback* key signed is stamped after this
//!   migration started. Some server signed it while the migration was
//!   running, so a server still signs with the old key: migrating now would
//!   not be the end of it, and retiring the old key afterwards would log out
//!   that server's users. The batch is not written and the run stops (exit 2).
//!   Timestamps are whole seconds and a session written before the start is
//!   stamped at or before it, so a clock that agrees with the servers' never
//!   trips this; a server whose clock runs ahead of this machine's by more
//!   than the time since its last old-key write can (fix the clock).
//! - **Warning**: the newest fallback-signed session is newer than the newest
//!   current-key session seen. When it was written, a server still signed
//!   with the old key (normal during a rolling promotion); if the promotion is
//!   finished everywhere, nothing is wrong.
//!
//! Legacy-format sessions (Django ≤ 3.0) carry no timestamp and tell nothing.

use signring::{KeyRole, Verification};

use crate::error::MigrateError;

#[derive(Debug)]
pub(crate) struct FleetWatch {
    started: i64,
    newest_current: Option<i64>,
    newest_fallback: Option<(i64, String)>,
}

impl FleetWatch {
    pub(crate) fn new(started: i64) -> Self {
        Self {
            started,
            newest_current: None,
            newest_fallback: None,
        }
    }

    /// Takes one verified session into account.
    pub(crate) fn observe(&mut self, record: &Verification) -> Result<(), MigrateError> {
        let Some(timestamp) = record.timestamp else {
            return Ok(());
        };
        match record.role {
            KeyRole::Current => {
                self.newest_current = self.newest_current.max(Some(timestamp));
            }
            KeyRole::Fallback => {
                if timestamp > self.started {
                    return Err(MigrateError::OldKeyStillSigning {
                        key_id: record.key_id.to_string(),
                        timestamp,
                        started: self.started,
                    });
                }
                if self
                    .newest_fallback
                    .as_ref()
                    .is_none_or(|(t, _)| timestamp > *t)
                {
                    self.newest_fallback = Some((timestamp, record.key_id.to_string()));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The warning, if the newest old-key session is newer than the newest
    /// current-key one.
    pub(crate) fn warning(&self) -> Option<String> {
        let (fallback, key_id) = self.newest_fallback.as_ref()?;
        let current = self.newest_current?;
        (*fallback > current).then(|| {
            format!(
                "the newest session signed by fallback key {key_id} (stamped {fallback}) is newer \
                 than the newest one the current key signed (stamped {current}): when it was \
                 written, a server still signed with the old key. Make sure every server has \
                 promoted the current key before retiring the old one"
            )
        })
    }
}
