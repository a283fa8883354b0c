//! New keys in the shape `startproject` makes them, from the OS CSPRNG, that
//! pass Django's key checks.

use signring::django::check_keys;
use signring::{DjangoVersion, KeyRing};

/// Django's `get_random_secret_key` alphabet.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";
const LENGTH: usize = 50;
/// Candidates drawn before giving up. A 50-character key from this alphabet
/// fails a check with probability below 1e-20, so reaching this means the
/// generator is broken, not unlucky.
const ATTEMPTS: usize = 16;

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

/// A new key that passes Django's checks (`security.W009`: 50 characters, 5
/// distinct, no `django-insecure-` prefix) under `version`: candidates are
/// drawn until one passes.
pub(crate) fn generate(version: DjangoVersion) -> Result<Key, String> {
    first_strong(version, random_key)
}

/// The first candidate that passes the checks, out of at most [`ATTEMPTS`].
fn first_strong(
    version: DjangoVersion,
    mut candidate: impl FnMut() -> Result<Key, String>,
) -> Result<Key, String> {
    for _ in 0..ATTEMPTS {
        let key = candidate()?;
        if is_strong(&key, version) {
            return Ok(key);
        }
    }
    Err(format!(
        "no key out of {ATTEMPTS} passed Django's checks: the random generator is broken"
    ))
}

/// Whether a ring made of `key` alone passes [`check_keys`].
fn is_strong(key: &Key, version: DjangoVersion) -> bool {
    KeyRing::new(key.as_str()).is_ok_and(|ring| check_keys(&ring, version).is_empty())
}

/// 50 characters drawn uniformly from the alphabet (rejection sampling, so no
/// character is more likely than another).
fn random_key() -> Result<Key, String> {
    // The largest multiple of the alphabet size up to 256, the number of byte
    // values: bytes below it map onto the alphabet uniformly.
    let limit = 256 / ALPHABET.len() * ALPHABET.len();
    let mut key = String::with_capacity(LENGTH);
    let mut buf = [0u8; 64];
    while key.len() < LENGTH {
        getrandom::fill(&mut buf).map_err(|e| format!("OS random generator failed: {e}"))?;
        for &byte in buf.iter().filter(|&&b| usize::from(b) < limit) {
            if key.len() == LENGTH {
                break;
            }
            key.push(char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]));
        }
    }
    zeroize::Zeroize::zeroize(&mut buf);
    Ok(Key(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_candidates_are_drawn_again() {
        let weak = [
            "a".repeat(50),                                                  // 1 distinct
            "abcd".repeat(13),                                               // 4 distinct
            "short".to_owned(),                                              // < 50
            format!("django-insecure-{}", "0123456789abcdefghij".repeat(2)), // prefix
        ];
        let strong = "0123456789abcdefghijklmnopqrstuvwxyz!@#$%^&*(-_=+)";
        let mut candidates = weak.iter().cloned().chain([strong.to_owned()]).map(Key);
        let mut drawn = 0;
        let key = first_strong(DjangoVersion::default(), || {
            drawn += 1;
            candidates.next().ok_or_else(|| "exhausted".to_owned())
        });
        assert_eq!(key.map(|k| k.as_str().to_owned()), Ok(strong.to_owned()));
        assert_eq!(drawn, weak.len() + 1);
    }

    #[test]
    fn a_generator_that_only_makes_weak_keys_is_an_error() {
        let mut drawn = 0;
        let result = first_strong(DjangoVersion::default(), || {
            drawn += 1;
            Ok(Key("a".repeat(50)))
        });
        assert!(result.is_err());
        assert_eq!(drawn, ATTEMPTS);
    }

    #[test]
    fn generated_keys_pass_every_profile() {
        for version in DjangoVersion::ALL {
            let key = generate(version).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(key.as_str().len(), LENGTH);
            assert!(is_strong(&key, version));
        }
    }
}
