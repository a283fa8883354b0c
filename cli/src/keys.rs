//! Where the CLI finds its keys: never the command line. Loading goes through
//! the library's `KeyLoader`, so the CLI accepts exactly what the library does
//! (weak keys refused unless `--allow-weak-keys`; keys files with comments and
//! line numbers in errors; ring files with roles and expiries).

use std::io::Read as _;
use std::path::Path;

use signring::{ConfigError, DjangoVersion, KeyLoader, KeyRing};
use zeroize::Zeroizing;

/// Where the keys come from.
pub(crate) enum Source<'a> {
    /// `SECRET_KEY` and `SECRET_KEY_FALLBACKS`, as Django reads them.
    Environment,
    /// `--keys-file`: one key per line.
    KeysFile(&'a Path),
    /// `--ring`: a JSON ring configuration (roles, ids, `not_after`).
    RingFile(&'a Path),
}

/// Loads the ring. Messages name the source (the variable, the index, the
/// line, the entry), never a key; copies of the key text are wiped.
pub(crate) fn load(
    source: Source<'_>,
    version: DjangoVersion,
    allow_weak: bool,
) -> Result<KeyRing, String> {
    let mut loader = KeyLoader::new().django(version);
    if allow_weak {
        loader = loader.danger_allow_weak_keys();
    }
    let shown = |error: ConfigError| match error {
        ConfigError::WeakKey(setting) => format!(
            "{setting} is weak (Django's security.W009/W025 checks); \
             pass --allow-weak-keys (or set SIGNRING_ALLOW_WEAK_KEYS=1) to use it anyway"
        ),
        other => other.to_string(),
    };
    match source {
        Source::Environment => {
            for name in ["SECRET_KEY", "SECRET_KEY_FALLBACKS"] {
                crate::env_var(name)?;
            }
            loader.env().map_err(shown)
        }
        Source::KeysFile(path) => {
            let text = read_bounded(path, "keys file")?;
            loader.keys_text(&text).map_err(shown)
        }
        Source::RingFile(path) => {
            let text = read_bounded(path, "ring file")?;
            loader.ring_text(&text).map_err(shown)
        }
    }
}

/// The most a keys or ring file may hold: far more than any ring needs, and a
/// bound on what `--keys-file /dev/zero` (or a wrong path) makes the CLI read.
const MAX_KEYS_FILE_LEN: u64 = 1 << 20;

/// Reads a file of at most `MAX_KEYS_FILE_LEN` bytes into wiped storage.
fn read_bounded(path: &Path, what: &str) -> Result<Zeroizing<String>, String> {
    let failed = |e: std::io::Error| format!("cannot read {what}: {}", e.kind());
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_KEYS_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_KEYS_FILE_LEN {
        return Err(format!("{what} is larger than {MAX_KEYS_FILE_LEN} bytes"));
    }
    let text =
        std::str::from_utf8(&bytes).map_err(|_| format!("cannot read {what}: invalid data"))?;
    Ok(Zeroizing::new(text.to_owned()))
}
