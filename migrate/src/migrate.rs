//! The engine-agnostic migration loop: batches read after a cursor, the
//! batch's users looked up at once, each session verified and re-encoded
//! with the current key, compare-and-set writes in one transaction per batch,
//! the cursor recorded after each committed batch; counts, a rate limit and a
//! progress bar; a dry run that writes nothing.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use signring::django::{SessionAuthHash, SessionCodec};
use signring::{KeyRing, Options, UnixTime};

use crate::error::MigrateError;
use crate::fleet::FleetWatch;
use crate::parallel;
use crate::progress::Progress;
use crate::rate::RateLimit;
use crate::report::Report;
use crate::state::StateFile;
use crate::store::{SessionStore, ValueFormat};

/// The default number of sessions per batch (and per transaction).
pub const DEFAULT_BATCH_SIZE: usize = 1000;

/// How many times a batch that failed for a transient reason (a deadlock, a
/// busy database) is tried again before the run stops.
const TRANSIENT_RETRIES: u32 = 3;

/// Moves every stored session of a store to the ring's current key.
///
/// For each session: verified with any key of the ring; left exactly as it is
/// when no key verifies it (counted `undecodable`) or when the current or a
/// staged key did and its auth hash needs no rewrite (`fresh`); otherwise
/// re-encoded with the current key, keeping its signing timestamp, its
/// `_auth_user_hash` rewritten to the current key's hash, in the format the
/// Django profile writes ([`SessionCodec::rotate_at`]), and written back with
/// a compare-and-set (`skipped_concurrent` when the application changed it
/// meanwhile).
///
/// # Example
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use signring::{KeyRing, UnixTime};
/// use signring::django::SessionCodec;
/// use signring_migrate::{Migrator, SqliteStore, UserTable};
///
/// let old = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
/// let connection = rusqlite::Connection::open_in_memory()?;
/// connection.execute_batch(
///     "CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text, expire_date datetime);
///      CREATE TABLE auth_user (id integer PRIMARY KEY, password varchar(128));")?;
/// let data = SessionCodec::builder(&old).build()?.encode(&Default::default())?;
/// connection.execute("INSERT INTO django_session VALUES ('k0123456789', ?1, '2099-01-01')", [&data])?;
///
/// let mut ring = old.clone();
/// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
/// let mut store = SqliteStore::from_connection(connection, "django_session", UserTable::default())?;
/// let report = Migrator::builder(&ring).build()?.run(&mut store)?;
/// assert_eq!((report.scanned, report.resigned), (1, 1));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Migrator {
    pub(crate) codec: SessionCodec,
    pub(crate) auth: SessionAuthHash,
    key_ids: Vec<String>,
    options: Options,
    batch_size: usize,
    max_rate: Option<f64>,
    pub(crate) dry_run: bool,
    state: Option<PathBuf>,
    max_sessions: Option<u64>,
    progress: bool,
    pub(crate) threads: NonZeroUsize,
}

/// Builds a [`Migrator`].
///
/// # Example
///
/// ```
/// use signring::{DjangoVersion, KeyRing, Options};
/// let ring = KeyRing::new("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
/// let migrator = signring_migrate::Migrator::builder(&ring)
///     .options(Options::new().django(DjangoVersion::V4_2))
///     .batch_size(500)
///     .max_rate(2000.0)
///     .dry_run(true)
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a builder does nothing until built"]
#[derive(Debug, Clone)]
pub struct MigratorBuilder<'r> {
    ring: &'r KeyRing,
    options: Options,
    session_class: Option<String>,
    batch_size: usize,
    max_rate: Option<f64>,
    dry_run: bool,
    state: Option<PathBuf>,
    max_sessions: Option<u64>,
    progress: bool,
    threads: Option<NonZeroUsize>,
}

impl MigratorBuilder<'_> {
    /// Threads that verify and re-encode each batch (default: the
    /// machine's parallelism, at most 8; reading and writing stay on the
    /// calling thread's connection). Batches under 128 sessions stay on one
    /// thread.
    pub fn threads(mut self, threads: NonZeroUsize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// The options every codec shares: Django version (which decides the
    /// format written: legacy for 2.2), algorithm, clock, observer.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// A custom `SessionStore` class name (the salt follows it).
    pub fn session_class(mut self, name: impl Into<String>) -> Self {
        self.session_class = Some(name.into());
        self
    }

    /// Sessions per batch and per transaction (default
    /// [`DEFAULT_BATCH_SIZE`]).
    pub fn batch_size(mut self, sessions: usize) -> Self {
        self.batch_size = sessions;
        self
    }

    /// At most `sessions_per_second` sessions a second, on average.
    pub fn max_rate(mut self, sessions_per_second: f64) -> Self {
        self.max_rate = Some(sessions_per_second);
        self
    }

    /// Write nothing (not even the state file); report what would be done.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Resume from, and record progress in, this state file.
    pub fn state_file(mut self, path: impl AsRef<Path>) -> Self {
        self.state = Some(path.as_ref().to_owned());
        self
    }

    /// Stop after this many sessions (Redis `SCAN` may hand over a few
    /// more), as an interrupted run would: the report is not `complete` and
    /// the state file resumes after it.
    pub fn max_sessions(mut self, sessions: u64) -> Self {
        self.max_sessions = Some(sessions);
        self
    }

    /// Show a progress bar on stderr (off by default; the CLI turns it on
    /// when stderr is a terminal and `--json` is off).
    pub fn progress(mut self, shown: bool) -> Self {
        self.progress = shown;
        self
    }

    /// Derives the keys.
    ///
    /// # Errors
    ///
    /// [`MigrateError::Config`] for a zero batch size, a rate that is not a
    /// positive number, or options the codecs refuse.
    pub fn build(self) -> Result<Migrator, MigrateError> {
        if self.batch_size == 0 {
            return Err(MigrateError::Config(
                "the batch size must be at least 1".into(),
            ));
        }
        if self
            .max_rate
            .is_some_and(|rate| !(rate.is_finite() && rate > 0.0))
        {
            return Err(MigrateError::Config(
                "the rate limit must be a positive number of sessions per second".into(),
            ));
        }
        let config =
            |e: signring::ConfigError| MigrateError::Config(format!("invalid configuration: {e}"));
        let mut codec = SessionCodec::builder(self.ring).options(self.options.clone());
        if let Some(class) = &self.session_class {
            codec = codec.session_class(class.clone());
        }
        let codec = codec.build().map_err(config)?;
        let auth = SessionAuthHash::new(self.ring, &self.options).map_err(config)?;
        let key_ids = (0..self.ring.key_count())
            .filter_map(|i| self.ring.id(i).map(ToString::to_string))
            .collect();
        Ok(Migrator {
            codec,
            auth,
            key_ids,
            options: self.options,
            batch_size: self.batch_size,
            max_rate: self.max_rate,
            dry_run: self.dry_run,
            state: self.state,
            max_sessions: self.max_sessions,
            progress: self.progress,
            threads: self.threads.unwrap_or_else(parallel::default_threads),
        })
    }
}

impl Migrator {
    /// A builder for `ring`: the current key signs, every key verifies.
    pub fn builder(ring: &KeyRing) -> MigratorBuilder<'_> {
        MigratorBuilder {
            ring,
            options: Options::new(),
            session_class: None,
            batch_size: DEFAULT_BATCH_SIZE,
            max_rate: None,
            dry_run: false,
            state: None,
            max_sessions: None,
            progress: false,
            threads: None,
        }
    }

    /// Migrates every session of `store`.
    ///
    /// # Errors
    ///
    /// As [`run_into`](Migrator::run_into).
    pub fn run(&self, store: &mut dyn SessionStore) -> Result<Report, MigrateError> {
        let mut report = Report::new(store.engine(), self.dry_run);
        self.run_into(store, &mut report)?;
        Ok(report)
    }

    /// Migrates every session of `store`, counting into `report`, which keeps
    /// the counts of the batches committed before an error.
    ///
    /// # Errors
    ///
    /// [`MigrateError`] when the store fails (the batch in progress is rolled
    /// back), the state file cannot be used, or a server still signs with a
    /// fallback key (see [`MigrateError::OldKeyStillSigning`]).
    pub fn run_into(
        &self,
        store: &mut dyn SessionStore,
        report: &mut Report,
    ) -> Result<(), MigrateError> {
        report.engine = store.engine();
        report.dry_run = self.dry_run;
        for id in &self.key_ids {
            report.by_key.entry(id.clone()).or_default();
        }
        let state = self
            .state
            .as_deref()
            .map(|path| StateFile::new(path, store.engine().as_str(), &store.target()));
        let mut cursor = match &state {
            Some(state) => state.resume()?,
            None => None,
        };
        if !self.dry_run {
            store.recover()?;
        }
        let started = self.options.now();
        let mut fleet = FleetWatch::new(whole_secs(started));
        let total = if self.progress {
            store.remaining(cursor.as_deref())
        } else {
            None
        };
        let progress = Progress::new(self.progress, total);
        let mut rate = self.max_rate.map(RateLimit::new);
        let result = loop {
            let limit = match self.max_sessions {
                Some(max) if report.scanned >= max => break Ok(false),
                Some(max) => self
                    .batch_size
                    .min(usize::try_from(max - report.scanned).unwrap_or(usize::MAX)),
                None => self.batch_size,
            };
            let (scanned, next) =
                match self.batch(store, cursor.as_deref(), limit, &mut fleet, report) {
                    Ok(done) => done,
                    Err(error) => break Err(error),
                };
            cursor = next;
            if let (Some(state), false) = (&state, self.dry_run)
                && let Err(error) = state.save(cursor.as_deref(), false)
            {
                break Err(error);
            }
            progress.update(report);
            if cursor.is_none() {
                break Ok(true);
            }
            if let Some(rate) = &mut rate {
                rate.after(scanned);
            }
        };
        progress.finish();
        report.warnings.extend(store.take_warnings());
        let complete = result?;
        report.complete = complete;
        if let (Some(state), true, false) = (&state, complete, self.dry_run) {
            state.save(cursor.as_deref(), true)?;
        }
        report.warnings.extend(fleet.warning());
        if report.users_missing > 0 {
            report.warnings.push(format!(
                "{} sessions name a user that is not in the user table: Django logs them out \
                 anyway (their data was kept); if that is most sessions, the site may use a \
                 custom user model: give its table and columns",
                report.users_missing
            ));
        }
        Ok(())
    }

    /// Reads, plans, writes and settles one batch, trying it again after a
    /// transient failure; returns how many sessions it read and the cursor
    /// after it.
    fn batch(
        &self,
        store: &mut dyn SessionStore,
        cursor: Option<&str>,
        limit: usize,
        fleet: &mut FleetWatch,
        report: &mut Report,
    ) -> Result<(u64, Option<String>), MigrateError> {
        let mut attempt = 0;
        loop {
            match self.try_batch(store, cursor, limit, fleet) {
                Ok((tally, next)) => {
                    let scanned = tally.scanned;
                    merge(report, tally);
                    return Ok((scanned, next));
                }
                Err(MigrateError::Store(error))
                    if error.is_transient() && attempt < TRANSIENT_RETRIES =>
                {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(100 << (2 * attempt)));
                }
                Err(error) => return Err(error),
            }
        }
    }

    fn try_batch(
        &self,
        store: &mut dyn SessionStore,
        cursor: Option<&str>,
        limit: usize,
        fleet: &mut FleetWatch,
    ) -> Result<(Report, Option<String>), MigrateError> {
        let batch = store.read_batch(cursor, limit)?;
        let now = self.options.now();
        let mut plan = match store.format() {
            ValueFormat::Signed => self.plan_signed(&batch.sessions, store, fleet, now)?,
            ValueFormat::Pickle => self.plan_pickled(&batch.sessions, store, now)?,
        };
        plan.tally.scanned = batch.sessions.len() as u64;
        let written = if self.dry_run || plan.rewrites.is_empty() {
            vec![true; plan.rewrites.len()]
        } else {
            store.write_batch(&plan.rewrites)?
        };
        let mut settled: Vec<&str> = plan.fresh_keys.iter().map(String::as_str).collect();
        for ((rewrite, written), hash) in
            plan.rewrites.iter().zip(&written).zip(&plan.hash_rewritten)
        {
            if *written {
                plan.tally.resigned += 1;
                plan.tally.hash_rewritten += u64::from(*hash);
                settled.push(&rewrite.key);
            } else {
                plan.tally.skipped_concurrent += 1;
            }
        }
        if !self.dry_run {
            store.settle(&settled)?;
        }
        Ok((plan.tally, batch.next))
    }
}

/// Adds a batch's counts to the run's.
fn merge(report: &mut Report, tally: Report) {
    report.scanned += tally.scanned;
    report.fresh += tally.fresh;
    report.resigned += tally.resigned;
    report.hash_rewritten += tally.hash_rewritten;
    report.undecodable += tally.undecodable;
    report.skipped_concurrent += tally.skipped_concurrent;
    report.logged_out += tally.logged_out;
    report.users_missing += tally.users_missing;
    for (id, count) in tally.by_key {
        *report.by_key.entry(id).or_default() += count;
    }
    for (reason, count) in tally.undecodable_reasons {
        *report.undecodable_reasons.entry(reason).or_default() += count;
    }
}

/// The whole seconds a timestamp records, truncated as Python's
/// `int(time.time())` (saturating far beyond any clock).
pub(crate) fn whole_secs(time: UnixTime) -> i64 {
    // Float to integer conversion is only `as` in Rust: it truncates toward
    // zero, saturates and maps NaN to 0, which is what is wanted here.
    #[allow(clippy::cast_possible_truncation)]
    let secs = time.as_secs_f64().trunc() as i64;
    secs
}
