//! New keys in the shape `startproject` makes them, from the OS CSPRNG.

/// Django's `get_random_secret_key` alphabet.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";
const LENGTH: usize = 50;

/// Key text, wiped when dropped.
pub(crate) struct Key(String);

impl Key {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// 50 characters drawn uniformly from the alphabet (rejection sampling, so no
/// character is more likely than another).
pub(crate) fn generate() -> Result<Key, String> {
    // The largest multiple of the alphabet size that fits in a byte.
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut key = String::with_capacity(LENGTH);
    let mut buf = [0u8; 64];
    while key.len() < LENGTH {
        getrandom::fill(&mut buf).map_err(|e| format!("OS random generator failed: {e}"))?;
        for &byte in buf.iter().filter(|&&b| b < limit) {
            if key.len() == LENGTH {
                break;
            }
            key.push(char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]));
        }
    }
    zeroize::Zeroize::zeroize(&mut buf);
    Ok(Key(key))
}
