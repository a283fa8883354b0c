//! Planning one batch: which sessions verify, with which key, and what each
//! is rewritten to, before anything is written.

use std::collections::{BTreeSet, HashMap};

use signring::Error;
use signring::UnixTime;
use signring::django::{DecodedSession, RotateError, SESSION_USER_ID_KEY};
use signring::json::{Map, Value};

use crate::error::MigrateError;
use crate::fleet::FleetWatch;
use crate::migrate::{Migrator, whole_secs};
use crate::parallel;
use crate::pickle;
use crate::report::Report;
use crate::store::{Rewrite, SessionStore, StoredSession};

/// What one batch comes to, before it is written.
pub(crate) struct Plan {
    pub(crate) tally: Report,
    pub(crate) rewrites: Vec<Rewrite>,
    pub(crate) hash_rewritten: Vec<bool>,
    /// Keys of the sessions that verified and are not rewritten.
    pub(crate) fresh_keys: Vec<String>,
}

/// A session after the first pass.
enum Read<'a> {
    Verified {
        session: &'a StoredSession,
        text: &'a str,
        found: DecodedSession,
    },
    Undecodable(&'static str),
}

/// What becomes of a verified session.
enum Outcome {
    Fresh,
    Rewrite {
        value: Vec<u8>,
        hash: bool,
    },
    Undecodable(&'static str),
    /// Logged out by Django whatever the key: the data re-signed when stale.
    LoggedOut {
        users_missing: bool,
        value: Option<Result<Vec<u8>, &'static str>>,
    },
}

impl Migrator {
    /// Signed sessions (`db`, `cached_db`, `file`): verified and re-encoded
    /// over the migrator's threads; the fleet check, the counts and the
    /// user lookup in order on this one.
    pub(crate) fn plan_signed(
        &self,
        sessions: &[StoredSession],
        store: &mut dyn SessionStore,
        fleet: &mut FleetWatch,
        now: UnixTime,
    ) -> Result<Plan, MigrateError> {
        let mut plan = self.empty_plan();
        let read = parallel::map(sessions.iter().collect(), self.threads, |session| {
            let Ok(text) = std::str::from_utf8(&session.value) else {
                return Read::Undecodable("not_utf8");
            };
            match self.codec.decode_at(text, now) {
                Ok(found) => Read::Verified {
                    session,
                    text,
                    found,
                },
                Err(error) => Read::Undecodable(error_reason(&error)),
            }
        });
        let mut user_ids = BTreeSet::new();
        for read in &read {
            match read {
                Read::Verified { found, .. } => {
                    fleet.observe(&found.record)?;
                    *plan
                        .tally
                        .by_key
                        .entry(found.record.key_id.to_string())
                        .or_default() += 1;
                    if let Some(id) = user_id(&found.session) {
                        user_ids.insert(id);
                    }
                }
                Read::Undecodable(reason) => plan.tally.count_undecodable(reason),
            }
        }
        let passwords = lookup(store, user_ids)?;
        let outcomes = parallel::map(read, self.threads, |read| match read {
            Read::Verified {
                session,
                text,
                found,
            } => Some((session, self.outcome(text, found, &passwords, now))),
            // Counted above.
            Read::Undecodable(_) => None,
        });
        for (session, outcome) in outcomes.into_iter().flatten() {
            match outcome {
                Outcome::Fresh => plan.fresh(session),
                Outcome::Rewrite { value, hash } => plan.rewrite(session, value, hash),
                Outcome::Undecodable(reason) => plan.tally.count_undecodable(reason),
                Outcome::LoggedOut {
                    users_missing,
                    value,
                } => {
                    plan.tally.logged_out += 1;
                    plan.tally.users_missing += u64::from(users_missing);
                    match value {
                        None => plan.fresh(session),
                        Some(Ok(value)) => plan.rewrite(session, value, false),
                        Some(Err(reason)) => plan.tally.count_undecodable(reason),
                    }
                }
            }
        }
        Ok(plan)
    }

    /// What becomes of one verified session.
    fn outcome(
        &self,
        text: &str,
        found: DecodedSession,
        passwords: &HashMap<String, String>,
        now: UnixTime,
    ) -> Outcome {
        let stale = found.record.stale;
        let timestamp = found.record.timestamp;
        let rotated = self.codec.rotate_decoded(
            text,
            found,
            &self.auth,
            |id| passwords.get(id).cloned(),
            now,
        );
        match rotated {
            Ok(rotated) if !rotated.was_stale => Outcome::Fresh,
            Ok(rotated) => Outcome::Rewrite {
                value: rotated.data.into_bytes(),
                hash: rotated.hash_rewritten,
            },
            Err(RotateError::Decode(error)) => Outcome::Undecodable(error_reason(&error)),
            // Django logs these out whatever the key: re-sign the data (the
            // user may keep anonymous data), leave the hash alone.
            Err(other) => Outcome::LoggedOut {
                users_missing: matches!(other, RotateError::UserGone),
                // Decoded again: rare (the user is gone, has no hash or
                // changed the password).
                value: stale.then(|| {
                    self.codec
                        .decode_at(text, now)
                        .and_then(|found| {
                            let timestamp = timestamp.unwrap_or_else(|| whole_secs(now));
                            self.codec.encode_with_timestamp(&found.session, timestamp)
                        })
                        .map(String::into_bytes)
                        .map_err(|error| error_reason(&error))
                }),
            },
        }
    }

    /// Pickled sessions (`cache`): only `_auth_user_hash` depends on a key.
    pub(crate) fn plan_pickled(
        &self,
        sessions: &[StoredSession],
        store: &mut dyn SessionStore,
        now: UnixTime,
    ) -> Result<Plan, MigrateError> {
        let mut plan = self.empty_plan();
        let mut parsed = Vec::with_capacity(sessions.len());
        let mut user_ids = BTreeSet::new();
        for session in sessions {
            match pickle::SessionPickle::parse(&session.value) {
                Ok(found) => {
                    if let (Some(id), Some(_)) = (&found.user_id, &found.auth_hash) {
                        user_ids.insert(id.clone());
                    }
                    parsed.push((session, found));
                }
                Err(error) => plan.tally.count_undecodable(error.reason()),
            }
        }
        let passwords = lookup(store, user_ids)?;
        for (session, found) in parsed {
            let (Some(id), Some(stored)) = (&found.user_id, &found.auth_hash) else {
                // Anonymous, or a user without a hash (which Django logs out):
                // nothing here depends on a key.
                plan.tally.logged_out += u64::from(found.user_id.is_some());
                plan.tally.fresh += 1;
                continue;
            };
            let Some(password) = passwords.get(id) else {
                plan.tally.logged_out += 1;
                plan.tally.users_missing += 1;
                plan.tally.fresh += 1;
                continue;
            };
            let Some(record) = self.auth.verify_at(&stored.text, password, now) else {
                // The password changed: Django logs it out whatever the key.
                plan.tally.logged_out += 1;
                plan.tally.fresh += 1;
                continue;
            };
            *plan
                .tally
                .by_key
                .entry(record.key_id.to_string())
                .or_default() += 1;
            if !record.stale {
                plan.fresh(session);
                continue;
            }
            match found.with_auth_hash(&session.value, &self.auth.hash(password)) {
                Some(value) => plan.rewrite(session, value, true),
                None => plan.tally.count_undecodable("auth_hash_length"),
            }
        }
        Ok(plan)
    }

    fn empty_plan(&self) -> Plan {
        Plan {
            tally: Report::new(crate::Engine::Db, self.dry_run),
            rewrites: Vec::new(),
            hash_rewritten: Vec::new(),
            fresh_keys: Vec::new(),
        }
    }
}

impl Plan {
    fn fresh(&mut self, session: &StoredSession) {
        self.tally.fresh += 1;
        self.fresh_keys.push(session.key.clone());
    }

    fn rewrite(&mut self, session: &StoredSession, new: Vec<u8>, hash_rewritten: bool) {
        self.rewrites.push(Rewrite::of(session, new));
        self.hash_rewritten.push(hash_rewritten);
    }
}

/// The batch's users' password hashes, in one lookup.
fn lookup(
    store: &mut dyn SessionStore,
    user_ids: BTreeSet<String>,
) -> Result<HashMap<String, String>, MigrateError> {
    if user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = user_ids.into_iter().collect();
    Ok(store.password_hashes(&ids)?)
}

/// `_auth_user_id` as text, as `rotate_at` reads it.
fn user_id(session: &Map) -> Option<String> {
    match session.get(SESSION_USER_ID_KEY)? {
        Value::String(text) => Some(text.clone()),
        other => signring::json::to_string(other).ok(),
    }
}

/// The report's word for why a value does not decode.
fn error_reason(error: &Error) -> &'static str {
    match error {
        Error::BadSignature => "bad_signature",
        Error::Payload(_) => "payload",
        Error::Expired { .. } => "expired",
        _ => "malformed",
    }
}
