//! Hash algorithms and Django's `salted_hmac` key derivation.

use core::fmt;
use core::str::FromStr;

use hmac::digest::Digest;
use hmac::{Hmac, KeyInit, Mac};
use zeroize::Zeroize;

use crate::encoding::{MAX_DIGEST_LEN, MAX_SIGNATURE_LEN, b64u_encode_digest};
use crate::error::ConfigError;
use crate::simple_hmac::SimpleHmac;

/// The hash behind an HMAC signature, named as Python's `hashlib` names it.
///
/// Django takes any `hashlib` attribute with a fixed-size digest (`Signer(algorithm=...)`,
/// `salted_hmac(..., algorithm=...)`); signring has every one of them: MD5,
/// SHA-1, the SHA-2 and SHA-3 families, BLAKE2b (64-byte digest, `hashlib`'s
/// default) and BLAKE2s (32 bytes). `shake_128` and `shake_256` have no fixed
/// digest size, and Django's `salted_hmac` fails with them.
///
/// SHA-256 is Django's default since 3.1 (and the only one 4.0+ uses unless asked);
/// SHA-1 is what Django 2.2 signs with and what 3.1–3.2 still accept.
///
/// # Weak algorithms
///
/// MD5 and SHA-1 are broken as collision-resistant hashes. HMAC-MD5 and
/// HMAC-SHA1 are not known to be forgeable, since HMAC does not rely on
/// collision resistance, but both are legacy: they are here to read (and keep
/// writing, during a migration) what an existing Django deployment made with
/// them. Do not choose them for new data; SHA-256 (the default), SHA-512, a
/// SHA-3 or a BLAKE2 are all sound choices.
///
/// # Example
///
/// ```
/// use signring::Algorithm;
///
/// let alg: Algorithm = "sha512".parse()?;
/// assert_eq!(alg, Algorithm::Sha512);
/// assert_eq!(alg.to_string(), "sha512");
/// assert_eq!("sha3_256".parse::<Algorithm>()?, Algorithm::Sha3_256);
/// assert_eq!(Algorithm::default(), Algorithm::Sha256);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// MD5 (`"md5"`). **Legacy:** broken as a hash (collisions); HMAC-MD5 is
    /// not known to be forgeable, but do not choose it for new data.
    Md5,
    /// SHA-1 (`"sha1"`): Django ≤ 3.0, and the legacy form 3.1–3.2 still
    /// accept. **Legacy:** broken as a hash (collisions); HMAC-SHA1 is not
    /// known to be forgeable, but do not choose it for new data.
    Sha1,
    /// SHA-224 (`"sha224"`).
    Sha224,
    /// SHA-256 (`"sha256"`): Django's default from 3.1.
    #[default]
    Sha256,
    /// SHA-384 (`"sha384"`).
    Sha384,
    /// SHA-512 (`"sha512"`).
    Sha512,
    /// BLAKE2b with a 64-byte digest (`"blake2b"`, `hashlib.blake2b`'s default).
    Blake2b,
    /// BLAKE2s with a 32-byte digest (`"blake2s"`, `hashlib.blake2s`'s default).
    Blake2s,
    /// SHA3-224 (`"sha3_224"`).
    Sha3_224,
    /// SHA3-256 (`"sha3_256"`).
    Sha3_256,
    /// SHA3-384 (`"sha3_384"`).
    Sha3_384,
    /// SHA3-512 (`"sha3_512"`).
    Sha3_512,
}

impl Algorithm {
    /// Every supported algorithm: MD5, SHA-1, SHA-2, BLAKE2, then SHA-3, each
    /// family in order of digest size.
    pub const ALL: [Algorithm; 12] = [
        Self::Md5,
        Self::Sha1,
        Self::Sha224,
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
        Self::Blake2b,
        Self::Blake2s,
        Self::Sha3_224,
        Self::Sha3_256,
        Self::Sha3_384,
        Self::Sha3_512,
    ];

    /// The `hashlib` name Django uses (`"sha256"`, `"sha3_256"`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::Algorithm::Sha1.name(), "sha1");
    /// assert_eq!(signring::Algorithm::Sha3_512.name(), "sha3_512");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
            Self::Blake2b => "blake2b",
            Self::Blake2s => "blake2s",
            Self::Sha3_224 => "sha3_224",
            Self::Sha3_256 => "sha3_256",
            Self::Sha3_384 => "sha3_384",
            Self::Sha3_512 => "sha3_512",
        }
    }

    /// The digest size in bytes (`hashlib`'s `digest_size`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::Algorithm::Sha256.digest_len(), 32);
    /// assert_eq!(signring::Algorithm::Blake2b.digest_len(), 64);
    /// ```
    #[must_use]
    pub const fn digest_len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha224 | Self::Sha3_224 => 28,
            Self::Sha256 | Self::Blake2s | Self::Sha3_256 => 32,
            Self::Sha384 | Self::Sha3_384 => 48,
            Self::Sha512 | Self::Blake2b | Self::Sha3_512 => 64,
        }
    }

    /// The length of a signature in unpadded base64 (`sha256` → 43 characters).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::Algorithm::Sha1.signature_len(), 27);
    /// assert_eq!(signring::Algorithm::Md5.signature_len(), 22);
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
    bytes: [u8; MAX_DIGEST_LEN],
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
/// drop (`hmac`'s `zeroize` feature and the hash crates'; [`SimpleHmac`] wipes
/// its outer key itself).
///
/// HMAC's block size is the hash's, as in Python's `hmac` module: 64 bytes for
/// MD5, SHA-1, SHA-224, SHA-256 and BLAKE2s; 128 for SHA-384, SHA-512 and
/// BLAKE2b; the sponge rate for SHA-3 (144, 136, 104, 72).
#[derive(Clone)]
pub(crate) enum MacKey {
    Md5(Hmac<md5::Md5>),
    Sha1(Hmac<sha1::Sha1>),
    Sha224(Hmac<sha2::Sha224>),
    Sha256(Hmac<sha2::Sha256>),
    Sha384(Hmac<sha2::Sha384>),
    Sha512(Hmac<sha2::Sha512>),
    // BLAKE2 buffers lazily and SHA-3 has no block-level core, which
    // `hmac::Hmac` needs.
    Blake2b(SimpleHmac<blake2::Blake2b512>),
    Blake2s(SimpleHmac<blake2::Blake2s256>),
    Sha3_224(SimpleHmac<sha3::Sha3_224>),
    Sha3_256(SimpleHmac<sha3::Sha3_256>),
    Sha3_384(SimpleHmac<sha3::Sha3_384>),
    Sha3_512(SimpleHmac<sha3::Sha3_512>),
}

/// Runs `$body` with `$mac` bound to the keyed state, whatever its type.
macro_rules! with_mac {
    ($key:expr, $mac:ident => $body:expr) => {
        match $key {
            MacKey::Md5($mac) => $body,
            MacKey::Sha1($mac) => $body,
            MacKey::Sha224($mac) => $body,
            MacKey::Sha256($mac) => $body,
            MacKey::Sha384($mac) => $body,
            MacKey::Sha512($mac) => $body,
            MacKey::Blake2b($mac) => $body,
            MacKey::Blake2s($mac) => $body,
            MacKey::Sha3_224($mac) => $body,
            MacKey::Sha3_256($mac) => $body,
            MacKey::Sha3_384($mac) => $body,
            MacKey::Sha3_512($mac) => $body,
        }
    };
}

/// `HMAC_D` keyed with `D(key_salt ‖ secret)`.
fn keyed<D: Digest, M: KeyInit>(key_salt: &[u8], secret: &[u8]) -> M {
    let mut derived = D::new()
        .chain_update(key_salt)
        .chain_update(secret)
        .finalize();
    // HMAC takes keys of any length, so this cannot fail.
    let mac = M::new_from_slice(&derived).unwrap_or_else(|_| unreachable!());
    derived.as_mut_slice().zeroize();
    mac
}

fn finish<M: Mac>(mac: M) -> Tag {
    let out = mac.finalize().into_bytes();
    let mut tag = Tag {
        bytes: [0; MAX_DIGEST_LEN],
        len: out.len(),
    };
    tag.bytes[..out.len()].copy_from_slice(&out);
    tag
}

impl MacKey {
    /// `salted_hmac(key_salt, ·, secret, algorithm)` with the key derived now.
    pub(crate) fn derive(algorithm: Algorithm, key_salt: &[u8], secret: &[u8]) -> Self {
        match algorithm {
            Algorithm::Md5 => Self::Md5(keyed::<md5::Md5, _>(key_salt, secret)),
            Algorithm::Sha1 => Self::Sha1(keyed::<sha1::Sha1, _>(key_salt, secret)),
            Algorithm::Sha224 => Self::Sha224(keyed::<sha2::Sha224, _>(key_salt, secret)),
            Algorithm::Sha256 => Self::Sha256(keyed::<sha2::Sha256, _>(key_salt, secret)),
            Algorithm::Sha384 => Self::Sha384(keyed::<sha2::Sha384, _>(key_salt, secret)),
            Algorithm::Sha512 => Self::Sha512(keyed::<sha2::Sha512, _>(key_salt, secret)),
            Algorithm::Blake2b => Self::Blake2b(keyed::<blake2::Blake2b512, _>(key_salt, secret)),
            Algorithm::Blake2s => Self::Blake2s(keyed::<blake2::Blake2s256, _>(key_salt, secret)),
            Algorithm::Sha3_224 => Self::Sha3_224(keyed::<sha3::Sha3_224, _>(key_salt, secret)),
            Algorithm::Sha3_256 => Self::Sha3_256(keyed::<sha3::Sha3_256, _>(key_salt, secret)),
            Algorithm::Sha3_384 => Self::Sha3_384(keyed::<sha3::Sha3_384, _>(key_salt, secret)),
            Algorithm::Sha3_512 => Self::Sha3_512(keyed::<sha3::Sha3_512, _>(key_salt, secret)),
        }
    }

    /// The algorithm this state computes.
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self {
            Self::Md5(_) => Algorithm::Md5,
            Self::Sha1(_) => Algorithm::Sha1,
            Self::Sha224(_) => Algorithm::Sha224,
            Self::Sha256(_) => Algorithm::Sha256,
            Self::Sha384(_) => Algorithm::Sha384,
            Self::Sha512(_) => Algorithm::Sha512,
            Self::Blake2b(_) => Algorithm::Blake2b,
            Self::Blake2s(_) => Algorithm::Blake2s,
            Self::Sha3_224(_) => Algorithm::Sha3_224,
            Self::Sha3_256(_) => Algorithm::Sha3_256,
            Self::Sha3_384(_) => Algorithm::Sha3_384,
            Self::Sha3_512(_) => Algorithm::Sha3_512,
        }
    }

    /// The HMAC of `message`.
    pub(crate) fn tag(&self, message: &[u8]) -> Tag {
        with_mac!(self, mac => finish(mac.clone().chain_update(message)))
    }

    /// The HMAC of `message` in unpadded URL-safe base64, written into `out`
    /// straight from the digest (no intermediate copy).
    pub(crate) fn signature<'o>(
        &self,
        message: &[u8],
        out: &'o mut [u8; MAX_SIGNATURE_LEN],
    ) -> &'o [u8] {
        with_mac!(self, mac => b64u_encode_digest(
            &mac.clone().chain_update(message).finalize().into_bytes(),
            out,
        ))
    }

    /// Whether `expected` is the HMAC of `message`, compared in constant time
    /// by the `hmac` crate without copying the tag out.
    pub(crate) fn verify(&self, message: &[u8], expected: &[u8]) -> bool {
        with_mac!(self, mac => mac
            .clone()
            .chain_update(message)
            .verify_slice(expected)
            .is_ok())
    }

    /// HMAC's block size for this hash (its key size), for the tests that
    /// compare it with Python's.
    #[cfg(test)]
    fn block_size(&self) -> usize {
        fn of<M: hmac::digest::common::KeySizeUser>(_: &M) -> usize {
            M::key_size()
        }
        with_mac!(self, mac => of(mac))
    }
}

/// Django's `salted_hmac(key_salt, value, secret, algorithm=...).digest()`, for
/// the vector tests (`signring::internal`).
#[must_use]
pub fn salted_hmac(algorithm: Algorithm, key_salt: &[u8], value: &[u8], secret: &[u8]) -> Vec<u8> {
    MacKey::derive(algorithm, key_salt, secret)
        .tag(value)
        .as_bytes()
        .to_vec()
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
        // getattr(hashlib, name) is case-sensitive; SHAKE has no fixed digest
        // size (Django's salted_hmac fails with it); hashlib.new's OpenSSL-only
        // names are not module attributes.
        for name in [
            "SHA256",
            "MD5",
            "sha3-256",
            "blake2b512",
            "shake_128",
            "shake_256",
            "sha512_256",
            "ripemd160",
            "",
        ] {
            assert!(name.parse::<Algorithm>().is_err(), "{name}");
        }
    }

    #[test]
    fn every_algorithm_is_listed_once_with_its_digest_size() {
        for (i, alg) in Algorithm::ALL.into_iter().enumerate() {
            assert!(!Algorithm::ALL[..i].contains(&alg), "{alg} twice");
            let key = MacKey::derive(alg, b"salt", b"secret");
            assert_eq!(key.algorithm(), alg);
            assert_eq!(key.tag(b"m").as_bytes().len(), alg.digest_len(), "{alg}");
            assert!(alg.digest_len() <= crate::encoding::MAX_DIGEST_LEN);
            assert!(alg.signature_len() <= MAX_SIGNATURE_LEN);
            let mut out = [0; MAX_SIGNATURE_LEN];
            assert_eq!(key.signature(b"m", &mut out).len(), alg.signature_len());
        }
    }

    #[test]
    fn hmac_block_sizes_are_pythons() {
        // hashlib.new(name).block_size in CPython 3.11, which Python's hmac
        // module pads the key to.
        let python = [
            (Algorithm::Md5, 64),
            (Algorithm::Sha1, 64),
            (Algorithm::Sha224, 64),
            (Algorithm::Sha256, 64),
            (Algorithm::Sha384, 128),
            (Algorithm::Sha512, 128),
            (Algorithm::Blake2b, 128),
            (Algorithm::Blake2s, 64),
            (Algorithm::Sha3_224, 144),
            (Algorithm::Sha3_256, 136),
            (Algorithm::Sha3_384, 104),
            (Algorithm::Sha3_512, 72),
        ];
        assert_eq!(python.len(), Algorithm::ALL.len());
        for (alg, block_size) in python {
            let key = MacKey::derive(alg, b"salt", b"secret");
            assert_eq!(key.block_size(), block_size, "{alg}");
        }
    }

    #[test]
    fn verify_takes_exactly_the_tag() {
        for alg in Algorithm::ALL {
            let key = MacKey::derive(alg, b"salt", b"secret");
            let tag = key.tag(b"message");
            assert!(key.verify(b"message", tag.as_bytes()), "{alg}");
            assert!(!key.verify(b"messagf", tag.as_bytes()), "{alg}");
            let mut flipped = tag.as_bytes().to_vec();
            flipped[0] ^= 0x80;
            assert!(!key.verify(b"message", &flipped), "{alg}");
            assert!(!key.verify(b"message", &tag.as_bytes()[1..]), "{alg}");
        }
    }
}
