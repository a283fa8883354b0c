//! Where the CLI finds its keys: never the command line.

use std::io::Read as _;
use std::path::Path;

use signring::{ConfigError, Error, KeyRing, json};
use zeroize::{Zeroize as _, Zeroizing};

/// Loads the ring from `--keys-file` if given, else from `SECRET_KEY` and
/// `SECRET_KEY_FALLBACKS` in the environment. Messages name the source (the
/// variable, the index, the line), never a key; a key given twice is refused
/// with the library's message. Copies of the key text are wiped.
pub(crate) fn load(keys_file: Option<&Path>) -> Result<KeyRing, String> {
    match keys_file {
        Some(path) => from_file(path),
        None => from_env(),
    }
}

/// `"{source}: {error}"`, except for an empty key, which keeps its short message.
fn refused(source: &str, error: &Error) -> String {
    match error {
        Error::Config(ConfigError::EmptyKey) => format!("{source} is empty"),
        other => format!("{source}: {other}"),
    }
}

fn from_env() -> Result<KeyRing, String> {
    let mut current = std::env::var("SECRET_KEY")
        .map_err(|_| "SECRET_KEY is not set (or not UTF-8)".to_owned())?;
    let ring = KeyRing::new(&current).map_err(|e| refused("SECRET_KEY", &e));
    current.zeroize();
    let ring = ring?;
    let Some(mut text) = crate::env_var("SECRET_KEY_FALLBACKS")? else {
        return Ok(ring);
    };
    let parsed = json::from_str::<Vec<String>>(&text);
    text.zeroize();
    let mut fallbacks =
        parsed.map_err(|_| "SECRET_KEY_FALLBACKS is not a JSON array of strings".to_owned())?;
    let ring = fallbacks
        .iter()
        .enumerate()
        .try_fold(ring, |ring, (index, key)| {
            ring.with_fallback(key)
                .map_err(|e| refused(&format!("SECRET_KEY_FALLBACKS[{index}]"), &e))
        });
    fallbacks.iter_mut().for_each(|key| key.zeroize());
    ring
}

/// The most a keys file may hold: far more than any ring needs, and a bound on
/// what `--keys-file /dev/zero` (or a wrong path) makes the CLI read.
const MAX_KEYS_FILE_LEN: u64 = 1 << 20;

/// First line current, each further non-empty line a fallback, in order.
fn from_file(path: &Path) -> Result<KeyRing, String> {
    let failed = |e: std::io::Error| format!("cannot read keys file: {}", e.kind());
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_KEYS_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_KEYS_FILE_LEN {
        return Err(format!(
            "keys file is larger than {MAX_KEYS_FILE_LEN} bytes"
        ));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| "cannot read keys file: invalid data".to_owned())?;
    from_lines(text)
}

fn from_lines(text: &str) -> Result<KeyRing, String> {
    let mut lines = text.lines();
    let current = lines
        .next()
        .filter(|line| !line.is_empty())
        .ok_or("keys file has no current key on its first line")?;
    let ring = KeyRing::new(current).map_err(|_| "keys file: current key is empty".to_owned())?;
    // Lines count from 1, the current key's being line 1.
    (2..)
        .zip(lines)
        .filter(|(_, line)| !line.is_empty())
        .try_fold(ring, |ring, (number, line)| {
            ring.with_fallback(line)
                .map_err(|e| refused(&format!("keys file line {number}"), &e))
        })
}
