//! The `file` engine: one file per session, `SESSION_COOKIE_NAME` followed by
//! the session key, in `SESSION_FILE_PATH`.

use std::collections::HashMap;
use std::fs::{self, File, FileTimes};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::engine::Engine;
use crate::error::{MigrateError, StoreError};
use crate::file_swap;
use crate::store::{Batch, Rewrite, SessionStore, StoredSession};
use crate::users::PasswordLookup;

/// Files larger than this are not Django sessions: read as empty (and so
/// counted undecodable), never held in memory.
const MAX_FILE_LEN: u64 = 64 << 20;

/// Sessions of Django's `file` engine.
///
/// The session files are listed once and taken in key order (the cursor is
/// the last key done). Each rewrite writes a temporary file in the same
/// directory with the original's permissions, owner and modification time
/// (Django's expiry clock), then renames it over the original, after checking
/// that the original still has the content and modification time read:
/// a file Django changed meanwhile is skipped. Each file is replaced whole or
/// not at all; a batch is not one transaction.
///
/// # Example
///
/// ```
/// use signring_migrate::{FileStore, SessionStore};
/// let dir = std::env::temp_dir().join(format!("signring-doc-files-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("sessionidabcdefgh12345678"), "data")?;
/// std::fs::write(dir.join("not-a-session"), "x")?;
/// let mut store = FileStore::open(&dir, "sessionid", None)?;
/// let batch = store.read_batch(None, 10)?;
/// assert_eq!(batch.sessions.len(), 1);
/// assert_eq!(batch.sessions[0].key, "abcdefgh12345678");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FileStore {
    dir: PathBuf,
    cookie_name: String,
    keys: Option<Vec<String>>,
    users: Option<Box<dyn PasswordLookup>>,
    /// Whether the directory's file system exchanges names atomically.
    can_exchange: bool,
    warnings: Vec<String>,
}

impl core::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "FileStore({})", self.target())
    }
}

impl FileStore {
    /// The sessions in `dir` whose files are named `cookie_name` + key;
    /// password hashes from `users` (a database store), without which
    /// sessions with a user count as if the user were gone.
    ///
    /// # Errors
    ///
    /// [`MigrateError::Store`] when `dir` is not a readable directory,
    /// [`MigrateError::Config`] for an empty cookie name.
    pub fn open(
        dir: impl AsRef<Path>,
        cookie_name: &str,
        users: Option<Box<dyn PasswordLookup>>,
    ) -> Result<Self, MigrateError> {
        let dir = dir.as_ref().to_owned();
        if cookie_name.is_empty() || cookie_name.contains(['/', '\0']) {
            return Err(MigrateError::Config(
                "the cookie name must be SESSION_COOKIE_NAME, not empty and without '/'".into(),
            ));
        }
        let metadata = fs::metadata(&dir)
            .map_err(|e| StoreError::connect(dir.display().to_string(), e.kind().to_string()))?;
        if !metadata.is_dir() {
            return Err(StoreError::connect(dir.display().to_string(), "not a directory").into());
        }
        Ok(Self {
            dir,
            cookie_name: cookie_name.to_owned(),
            keys: None,
            users,
            can_exchange: true,
            warnings: Vec::new(),
        })
    }

    fn error(&self, what: &str, error: &std::io::Error) -> StoreError {
        StoreError::query(self.target(), format!("{what}: {}", error.kind()), false)
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{}{key}", self.cookie_name))
    }

    /// Every session key in the directory, sorted.
    fn list(&self) -> Result<Vec<String>, StoreError> {
        let entries = fs::read_dir(&self.dir).map_err(|e| self.error("listing", &e))?;
        let mut keys = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.error("listing", &e))?;
            let name = entry.file_name();
            let Some(key) = name
                .to_str()
                .and_then(|n| n.strip_prefix(&self.cookie_name))
            else {
                continue;
            };
            // Django's VALID_KEY_CHARS: lower-case letters and digits.
            if !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                keys.push(key.to_owned());
            }
        }
        keys.sort_unstable();
        Ok(keys)
    }

    /// Replaces one file if it is still as read; `Ok(false)` when it changed.
    fn replace(&mut self, rewrite: &Rewrite) -> Result<bool, StoreError> {
        let path = self.path(&rewrite.key);
        if !file_swap::as_read(&path, rewrite).map_err(|e| self.error("reading", &e))? {
            return Ok(false);
        }
        let metadata = match fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(self.error("reading", &e)),
        };
        let name = |stage| file_swap::temp_name(&self.cookie_name, &rewrite.key, stage);
        let (draft, temp) = (
            self.dir.join(name(file_swap::DRAFT)),
            self.dir.join(name(file_swap::READY)),
        );
        // Complete, with the modification time read, before it takes the
        // name a later run may put back (see `file_swap::recover`).
        let written = write_temp(&draft, rewrite, &metadata)
            .and_then(|()| fs::rename(&draft, &temp))
            .and_then(|()| file_swap::commit(&temp, &path, rewrite, &mut self.can_exchange));
        written.map_err(|e| {
            let _ = fs::remove_file(&draft);
            let _ = fs::remove_file(&temp);
            self.error("rewriting", &e)
        })
    }

    /// Cleans up after a killed run.
    fn clean_up(&mut self) -> Result<(), StoreError> {
        let recovered = file_swap::recover(&self.dir, &self.cookie_name)
            .map_err(|e| self.error("cleaning up after an earlier run", &e))?;
        if recovered.removed > 0 {
            let restored = match recovered.restored {
                0 => String::new(),
                n => format!(
                    " ({n} of them newer saves of Django's that the interrupted run had put \
                     aside: put back)"
                ),
            };
            self.warnings.push(format!(
                "removed {} temporary files an interrupted run left in {}{restored}",
                recovered.removed,
                self.dir.display(),
            ));
        }
        Ok(())
    }
}

/// Writes the rewrite to the new file `temp` with the original's owner,
/// permissions and modification time (Django's expiry clock), synced.
fn write_temp(temp: &Path, rewrite: &Rewrite, original: &fs::Metadata) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file: File = options.open(temp)?;
    file.write_all(&rewrite.new)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let ours = file.metadata()?;
        if (ours.uid(), ours.gid()) != (original.uid(), original.gid()) {
            std::os::unix::fs::fchown(&file, Some(original.uid()), Some(original.gid()))?;
        }
    }
    file.set_permissions(original.permissions())?;
    if let Some(modified) = rewrite.modified {
        let mut times = FileTimes::new().set_modified(modified);
        if let Ok(accessed) = original.accessed() {
            times = times.set_accessed(accessed);
        }
        file.set_times(times)?;
    }
    file.sync_all()
}

impl SessionStore for FileStore {
    fn engine(&self) -> Engine {
        Engine::File
    }

    fn target(&self) -> String {
        format!("{}/{}*", self.dir.display(), self.cookie_name)
    }

    fn read_batch(&mut self, after: Option<&str>, limit: usize) -> Result<Batch, StoreError> {
        if self.keys.is_none() {
            self.keys = Some(self.list()?);
        }
        let keys = self.keys.as_deref().unwrap_or_default();
        let start = match after {
            Some(after) => keys.partition_point(|key| key.as_str() <= after),
            None => 0,
        };
        let end = start.saturating_add(limit).min(keys.len());
        let mut sessions = Vec::with_capacity(end - start);
        for key in &keys[start..end] {
            let path = self.path(key);
            let metadata = match fs::metadata(&path) {
                Ok(metadata) => metadata,
                // Deleted since the listing (a logout, clearsessions).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.error("reading", &e)),
            };
            let value = if metadata.len() > MAX_FILE_LEN {
                Vec::new()
            } else {
                match fs::read(&path) {
                    Ok(value) => value,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(self.error("reading", &e)),
                }
            };
            let mut session = StoredSession::new(key.clone(), value);
            session.modified = metadata.modified().ok();
            sessions.push(session);
        }
        // `end > start` whenever `end < keys.len()`, as `limit` is at least 1.
        let next = (end < keys.len() && end > 0).then(|| keys[end - 1].clone());
        Ok(Batch { sessions, next })
    }

    fn write_batch(&mut self, rewrites: &[Rewrite]) -> Result<Vec<bool>, StoreError> {
        rewrites
            .iter()
            .map(|rewrite| self.replace(rewrite))
            .collect()
    }

    fn recover(&mut self) -> Result<(), StoreError> {
        self.clean_up()
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    fn remaining(&mut self, after: Option<&str>) -> Option<u64> {
        if self.keys.is_none() {
            self.keys = self.list().ok();
        }
        let keys = self.keys.as_deref()?;
        let start = after.map_or(0, |after| keys.partition_point(|key| key.as_str() <= after));
        Some((keys.len() - start) as u64)
    }
}

impl PasswordLookup for FileStore {
    fn password_hashes(
        &mut self,
        user_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        match &mut self.users {
            Some(users) => users.password_hashes(user_ids),
            None => Ok(HashMap::new()),
        }
    }
}
