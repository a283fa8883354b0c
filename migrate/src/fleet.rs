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

#[cfg(test)]
mod tests {
    use signring::{KeyRing, RingKey};

    use super::*;

    fn record(secret: &str, role_ring: &KeyRing, timestamp: i64) -> Verification {
        let signer = signring::TimestampSigner::builder(role_ring)
            .build()
            .unwrap();
        let signed = signring::TimestampSigner::builder(&KeyRing::new(secret).unwrap())
            .build()
            .unwrap()
            .sign_with_timestamp("v", timestamp);
        signer.unsign(&signed).unwrap().record().clone()
    }

    const NEW: &str = "the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123";
    const OLD: &str = "the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123";

    #[test]
    fn old_key_after_the_start_is_fatal_before_it_a_warning() {
        let ring = KeyRing::from_ring_key(RingKey::new(NEW).unwrap().id("new"))
            .with_ring_key(RingKey::new(OLD).unwrap().id("old"))
            .unwrap();
        let mut watch = FleetWatch::new(1_000);
        watch.observe(&record(NEW, &ring, 500)).unwrap();
        assert_eq!(watch.warning(), None);
        watch.observe(&record(OLD, &ring, 400)).unwrap();
        assert_eq!(
            watch.warning(),
            None,
            "older than the newest current-key value"
        );
        watch.observe(&record(OLD, &ring, 1_000)).unwrap();
        assert!(
            watch
                .warning()
                .unwrap()
                .contains("fallback key old (stamped 1000)")
        );
        let error = watch.observe(&record(OLD, &ring, 1_001)).unwrap_err();
        assert!(matches!(
            error,
            MigrateError::OldKeyStillSigning {
                timestamp: 1_001,
                started: 1_000,
                ..
            }
        ));
    }
}
