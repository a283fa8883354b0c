//! Where the CLI finds its keys: never the command line.

use std::path::Path;

use signring::{KeyRing, json};

/// Loads the ring from `--keys-file` if given, else from `SECRET_KEY` and
/// `SECRET_KEY_FALLBACKS` in the environment. Messages name the source, never
/// a key.
pub(crate) fn load(keys_file: Option<&Path>) -> Result<KeyRing, String> {
    match keys_file {
        Some(path) => from_file(path),
        None => from_env(),
    }
}

fn from_env() -> Result<KeyRing, String> {
    let current = std::env::var("SECRET_KEY")
        .map_err(|_| "SECRET_KEY is not set (or not UTF-8)".to_owned())?;
    let mut ring = KeyRing::new(&current).map_err(|_| "SECRET_KEY is empty".to_owned())?;
    if let Ok(fallbacks) = std::env::var("SECRET_KEY_FALLBACKS") {
        let fallbacks: Vec<String> = json::from_str(&fallbacks)
            .map_err(|_| "SECRET_KEY_FALLBACKS is not a JSON array of strings".to_owned())?;
        for (index, key) in fallbacks.iter().enumerate() {
            ring = ring
                .with_fallback(key)
                .map_err(|_| format!("SECRET_KEY_FALLBACKS[{index}] is empty"))?;
        }
    }
    Ok(ring)
}

/// First line current, each further non-empty line a fallback, in order.
fn from_file(path: &Path) -> Result<KeyRing, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read keys file: {}", e.kind()))?;
    let mut lines = text.lines();
    let current = lines
        .next()
        .filter(|line| !line.is_empty())
        .ok_or("keys file has no current key on its first line")?;
    let mut ring =
        KeyRing::new(current).map_err(|_| "keys file: current key is empty".to_owned())?;
    for line in lines.filter(|line| !line.is_empty()) {
        ring = ring
            .with_fallback(line)
            .map_err(|_| "keys file: empty key".to_owned())?;
    }
    Ok(ring)
}
