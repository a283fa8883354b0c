//! `--state FILE`: where a migration resumes after a crash or Ctrl-C.
//!
//! The file holds the engine, the target (no secrets: URLs are redacted) and
//! the cursor after the last batch whose writes were committed. It is
//! rewritten atomically (a temporary file in the same directory, synced, then
//! renamed over it) after each committed batch, so it never names a batch
//! that was rolled back: a rerun starts right after the last committed one,
//! and what was rolled back is read again. A run that reached the end marks
//! the file `complete`; the next run with it starts a new pass from the
//! beginning (sessions migrated already are then fresh and left alone).
//!
//! The cursor is a session key, which is a secret: the file is created
//! readable by its owner only.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::MigrateError;

/// The state file's format version.
const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    version: u32,
    engine: String,
    target: String,
    cursor: Option<String>,
    complete: bool,
}

/// A state file for one engine and target.
#[derive(Debug)]
pub(crate) struct StateFile {
    path: PathBuf,
    engine: String,
    target: String,
}

impl StateFile {
    pub(crate) fn new(path: &Path, engine: &str, target: &str) -> Self {
        Self {
            path: path.to_owned(),
            engine: engine.to_owned(),
            target: target.to_owned(),
        }
    }

    /// The cursor to resume after: `None` to start from the beginning (no
    /// file, or a complete pass).
    pub(crate) fn resume(&self) -> Result<Option<String>, MigrateError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(MigrateError::State(format!("cannot read it: {}", e.kind()))),
        };
        let state: State = signring::json::from_str(&text)
            .map_err(|_| MigrateError::State("not a signring migration state file".into()))?;
        if state.version != VERSION {
            return Err(MigrateError::State(format!(
                "format version {} is not {VERSION}",
                state.version
            )));
        }
        if state.engine != self.engine || state.target != self.target {
            return Err(MigrateError::State(format!(
                "it belongs to the {} engine on {}, not {} on {}: give another --state file",
                state.engine, state.target, self.engine, self.target
            )));
        }
        Ok(if state.complete { None } else { state.cursor })
    }

    /// Records the cursor after a committed batch, atomically.
    pub(crate) fn save(&self, cursor: Option<&str>, complete: bool) -> Result<(), MigrateError> {
        let state = State {
            version: VERSION,
            engine: self.engine.clone(),
            target: self.target.clone(),
            cursor: cursor.map(str::to_owned),
            complete,
        };
        let mut bytes = signring::json::to_vec(&state)
            .map_err(|_| MigrateError::State("cannot serialize".into()))?;
        bytes.push(b'\n');
        let failed =
            |e: std::io::Error| MigrateError::State(format!("cannot write it: {}", e.kind()));
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let result = (|| {
            let mut file = options.open(&temp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&temp, &self.path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result.map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumes_after_the_saved_cursor_and_restarts_after_a_complete_pass() {
        let dir = std::env::temp_dir().join(format!("signring-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let state = StateFile::new(&path, "db", "sqlite:///x");
        assert_eq!(state.resume().unwrap(), None);
        state.save(Some("abc"), false).unwrap();
        assert_eq!(state.resume().unwrap().as_deref(), Some("abc"));
        state.save(Some("abc"), true).unwrap();
        assert_eq!(state.resume().unwrap(), None);
        let other = StateFile::new(&path, "db", "sqlite:///y");
        assert!(matches!(other.resume(), Err(MigrateError::State(_))));
        std::fs::write(&path, "garbage").unwrap();
        assert!(state.resume().is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
