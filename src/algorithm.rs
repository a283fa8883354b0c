//! Hash algorithms and Django's `salted_hmac` key derivation.

use core::fmt;
use core::str::FromStr;

use hmac::digest::Digest;
use hmac::{Hmac, KeyInit, Mac};
use zeroize::Zeroize;

use crate::encoding::{MAX_SIGNATURE_LEN, b64u_encode_digest};
use crate::error::ConfigError;

/// The hash behind an HMAC signature, named as Python's `hashlib` names it.
///
/// SHA-256 is Django's default since 3.1 (and the only one 4.0+ uses unless asked);
/// SHA-1 is what Django 2.2 signs with and what 3.1–3.2 still accept.
///
/// # Example
///
/// ```
/// use signring::Algorithm;
///
/// let alg: Algorithm = "sha512".parse()?;
/// assert_eq!(alg, Algorithm::Sha512);
/// assert_eq!(alg.to_string(), "sha512");
/// assert_eq!(Algorithm::default(), Algorithm::Sha256);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-1: Django ≤ 3.0, and the legacy form 3.1–3.2 still accept.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256: Django's default from 3.1.
    #[default]
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Algorithm {
    /// Every supported algorithm, in order of digest size.
    pub const ALL: [Algorithm; 5] = [
        Self::Sha1,
        Self::Sha224,
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
    ];

    /// The `hashlib` name Django uses (`"sha256"`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::Algorithm::Sha1.name(), "sha1");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// The digest size in bytes.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::Algorithm::Sha256.digest_len(), 32);
    /// ```
    #[must_use]
    pub const fn digest_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The length of a signature in unpadded base64 (`sha256` → 43 characters).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::Algorithm::Sha1.signature_len(), 27);
    /// ```
    #[must_use]
    pub const fn signature_len(self) -> usize {
        (self.digest_len() * 4).div_ceil(3)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = ConfigError;

    fn from_str(name: &str) -> Result<Self, ConfigError> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.name() == name)
            .ok_or(ConfigError::UnknownAlgorithm)
    }
}

/// A raw digest, on the stack, wiped on drop.
pub(crate) struct Tag {
    bytes: [u8; 64],
    len: usize,
}

impl Tag {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Lowercase hex, as Python's `hexdigest()`.
    #[cfg(feature = "django")]
    pub(crate) fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(self.len * 2);
        for &byte in self.as_bytes() {
            text.push(char::from(HEX[usize::from(byte >> 4)]));
            text.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        text
    }
}

impl Drop for Tag {
    fn drop(&mut self) {
        // Only the digest's bytes were ever written.
        self.bytes[..self.len].zeroize();
    }
}

/// An HMAC state already keyed with `H(key_salt ‖ secret)`: Django's
/// `salted_hmac` with the derivation done once. Cloning the state per message
/// costs no allocation and no hashing of the key. The states wipe themselves on
/// drop (`hmac`'s `zeroize` feature).
#[derive(Clone)]
pub(crate) enum MacKey {
    Sha1(Hmac<sha1::Sha1>),
    Sha224(Hmac<sha2::Sha224>),
    Sha256(Hmac<sha2::Sha256>),
    Sha384(Hmac<sha2::Sha384>),
    Sha512(Hmac<sha2::Sha512>),
}

fn keyed<D>(key_salt: &[u8], secret: &[u8]) -> Hmac<D>
where
    D: Digest + hmac::EagerHash,
{
    let mut derived = D::new()
        .chain_update(key_salt)
        .chain_update(secret)
        .finalize();
    // HMAC takes keys of any length, so this cannot fail.
    let mac = <Hmac<D> as KeyInit>::new_from_slice(&derived).unwrap_or_else(|_| unreachable!());
    derived.as_mut_slice().zeroize();
    mac
}

fn finish<M: Mac>(mac: M) -> Tag {
    let out = mac.finalize().into_bytes();
    let mut tag = Tag {
        bytes: [0; 64],
        len: out.len(),
    };
    tag.bytes[..out.len()].copy_from_slice(&out);
    tag
}

impl MacKey {
    /// `salted_hmac(key_salt, ·, secret, algorithm)` with the key derived now.
    pub(crate) fn derive(algorithm: Algorithm, key_salt: &[u8], secret: &[u8]) -> Self {
        match algorithm {
            Algorithm::Sha1 => Self::Sha1(keyed(key_salt, secret)),
            Algorithm::Sha224 => Self::Sha224(keyed(key_salt, secret)),
            Algorithm::Sha256 => Self::Sha256(keyed(key_salt, secret)),
            Algorithm::Sha384 => Self::Sha384(keyed(key_salt, secret)),
            Algorithm::Sha512 => Self::Sha512(keyed(key_salt, secret)),
        }
    }

    /// The algorithm this state computes.
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self {
            Self::Sha1(_) => Algorithm::Sha1,
            Self::Sha224(_) => Algorithm::Sha224,
            Self::Sha256(_) => Algorithm::Sha256,
            Self::Sha384(_) => Algorithm::Sha384,
            Self::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// The HMAC of `message`.
    pub(crate) fn tag(&self, message: &[u8]) -> Tag {
        match self {
            Self::Sha1(mac) => finish(mac.clone().chain_update(message)),
            Self::Sha224(mac) => finish(mac.clone().chain_update(message)),
            Self::Sha256(mac) => finish(mac.clone().chain_update(message)),
            Self::Sha384(mac) => finish(mac.clone().chain_update(message)),
            Self::Sha512(mac) => finish(mac.clone().chain_update(message)),
        }
    }

    /// The HMAC of `message` in unpadded URL-safe base64, written into `out`
    /// straight from the digest (no intermediate copy).
    pub(crate) fn signature<'o>(
        &self,
        message: &[u8],
        out: &'o mut [u8; MAX_SIGNATURE_LEN],
    ) -> &'o [u8] {
        match self {
            Self::Sha1(mac) => b64u_encode_digest(
                &mac.clone().chain_update(message).finalize().into_bytes(),
                out,
            ),
            Self::Sha224(mac) => b64u_encode_digest(
                &mac.clone().chain_update(message).finalize().into_bytes(),
                out,
            ),
            Self::Sha256(mac) => b64u_encode_digest(
                &mac.clone().chain_update(message).finalize().into_bytes(),
                out,
            ),
            Self::Sha384(mac) => b64u_encode_digest(
                &mac.clone().chain_update(message).finalize().into_bytes(),
                out,
            ),
            Self::Sha512(mac) => b64u_encode_digest(
                &mac.clone().chain_update(message).finalize().into_bytes(),
                out,
            ),
        }
    }

    /// Whether `expected` is the HMAC of `message`, compared in constant time
    /// by the `hmac` crate without copying the tag out.
    pub(crate) fn verify(&self, message: &[u8], expected: &[u8]) -> bool {
        match self {
            Self::Sha1(mac) => mac
                .clone()
                .chain_update(message)
                .verify_slice(expected)
                .is_ok(),
            Self::Sha224(mac) => mac
                .clone()
                .chain_update(message)
                .verify_slice(expected)
                .is_ok(),
            Self::Sha256(mac) => mac
                .clone()
                .chain_update(message)
                .verify_slice(expected)
                .is_ok(),
            Self::Sha384(mac) => mac
                .clone()
                .chain_update(message)
                .verify_slice(expected)
                .is_ok(),
            Self::Sha512(mac) => mac
                .clone()
                .chain_update(message)
                .verify_slice(expected)
                .is_ok(),
        }
    }
}

impl fmt::Debug for MacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MacKey({}, ..)", self.algorithm())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    const DOC_KEY: &[u8] = b"doc-example-secret-key-not-used-anywhere-else-0123456789";

    #[test]
    fn derived_keys_match_the_spec_examples() {
        // django-compat.md §13: the derived key for salt "django.core.signing.Signersigner".
        let salt = b"django.core.signing.Signersigner";
        let sha1 = sha1::Sha1::new()
            .chain_update(salt)
            .chain_update(DOC_KEY)
            .finalize();
        assert_eq!(hex(&sha1), "55592a94a0124397c7e0d3f36927f4ce0f6233de");
        let sha256 = sha2::Sha256::new()
            .chain_update(salt)
            .chain_update(DOC_KEY)
            .finalize();
        assert_eq!(
            hex(&sha256),
            "3f2c54530235945db5c9698d5153e1309129bcb227a937e3e871c82cf64e088a"
        );
    }

    #[test]
    fn auth_hash_example_matches_the_spec() {
        // django-compat.md §13: the session auth hash is a salted_hmac in hex.
        let salt = b"django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";
        let password = b"pbkdf2_sha256$600000$salt$hash";
        let sha1 = MacKey::derive(Algorithm::Sha1, salt, DOC_KEY).tag(password);
        assert_eq!(
            hex(sha1.as_bytes()),
            "2e3dacf25bd0e7f75593d6218e9107d78bb040cc"
        );
        let sha256 = MacKey::derive(Algorithm::Sha256, salt, DOC_KEY).tag(password);
        assert_eq!(
            hex(sha256.as_bytes()),
            "21d743acc9eb29afa39f6dc72882d056fb4890fb1e04f3a6af1bd448ebb1d40f"
        );
    }

    #[test]
    fn names_round_trip_and_unknown_names_fail() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.name().parse::<Algorithm>(), Ok(alg));
            assert_eq!(
                alg.signature_len(),
                crate::encoding::b64u_encode(&vec![0; alg.digest_len()]).len()
            );
        }
        assert!("md5".parse::<Algorithm>().is_err());
        assert!("SHA256".parse::<Algorithm>().is_err());
    }
}
