//! `Signer`: Django's `django.core.signing.Signer`, verifying with a key ring.

mod builder;
#[cfg(test)]
mod tests;

use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::Choice;

use crate::algorithm::{Algorithm, MacKey};
use crate::clock::UnixTime;
use crate::encoding::{MAX_DIGEST_LEN, MAX_SIGNATURE_LEN, b64u_decode_signature};
use crate::error::{Error, Malformed, Result};
use crate::keyed::{Found, KeyedRing};
use crate::object;
use crate::ring::KeyRing;
use crate::verified::{Purpose, Verified};

pub use builder::SignerBuilder;

/// The default salt of Django's `Signer`.
pub const SIGNER_SALT: &str = "django.core.signing.Signer";

/// The largest decompressed object payload accepted by default (16 MiB).
pub const DEFAULT_MAX_PAYLOAD_SIZE: usize = 16 << 20;

/// The longest signed input accepted by default (4 MiB): far above any cookie
/// or session Django writes, low enough that hashing it once per key stays
/// cheap.
pub const DEFAULT_MAX_INPUT_LEN: usize = 4 << 20;

/// Signs and verifies values as Django's `Signer` does: `value SEP signature`.
///
/// The signature is `b64u(HMAC(H(salt + "signer" + key), value))`. Key
/// derivation happens once, when the signer is built; signing and verifying
/// never allocate for the HMAC. Verification tries the current key, then each
/// fallback in order, and compares in constant time.
///
/// # Example
///
/// ```
/// use signring::{KeyRing, Signer};
///
/// let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
/// let signer = Signer::builder(&ring).salt("my-app.emails").build()?;
/// let signed = signer.sign("user@example.com");
/// let verified = signer.unsign(&signed)?;
/// assert_eq!(*verified.value(), "user@example.com");
/// assert!(!verified.is_stale());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    /// One keyed state per ring key, current first, with their roles, the
    /// clock and the observer.
    keys: KeyedRing,
    /// SHA-1 with the current key, where Django 3.1–3.2's legacy path applies.
    legacy_sha1: Option<MacKey>,
    algorithm: Algorithm,
    sep: Box<str>,
    salt: Box<str>,
    max_payload_size: usize,
    max_input_len: usize,
    purpose: Purpose,
}

impl Signer {
    /// A builder with Django's `Signer` defaults: salt
    /// `django.core.signing.Signer`, separator `:`, the newest Django version.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::Signer::builder(&ring).build()?;
    /// assert_eq!(signer.sign("hello"), "hello:esiZUAzOvXgS5j7ODtFQJLmMnwCZEmD2I0T5k40jYG8");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(ring: &KeyRing) -> SignerBuilder<'_, Signer> {
        SignerBuilder::new(ring, SIGNER_SALT)
    }

    /// Django's default `Signer()`, which cannot fail to build.
    pub(crate) fn with_defaults(ring: &KeyRing) -> Self {
        match Self::builder(ring).build() {
            Ok(signer) => signer,
            // The default separator and algorithm are always valid.
            Err(_) => unreachable!("the default signer configuration is valid"),
        }
    }

    /// The salt in use (the default when none was given).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::Signer::builder(&ring).salt("s").build()?;
    /// assert_eq!(signer.salt(), "s");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The separator in use.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// assert_eq!(signring::Signer::builder(&ring).build()?.sep(), ":");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sep(&self) -> &str {
        &self.sep
    }

    /// The algorithm new signatures use.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// assert_eq!(signring::Signer::builder(&ring).build()?.algorithm(), signring::Algorithm::Sha256);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Signs `value` with the current key: `value SEP signature`.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::Signer::builder(&ring).build()?;
    /// assert_eq!(signer.sign("a:b"), format!("a:b:{}", &signer.sign("a:b")[4..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sign(&self, value: &str) -> String {
        let mut signature = [0u8; MAX_SIGNATURE_LEN];
        let signature = self
            .keys
            .current()
            .signature(value.as_bytes(), &mut signature);
        let mut signed = String::with_capacity(value.len() + self.sep.len() + signature.len());
        signed.push_str(value);
        signed.push_str(&self.sep);
        // Base64 output is ASCII, so this never falls back to the empty string.
        signed.push_str(core::str::from_utf8(signature).unwrap_or_default());
        signed
    }

    /// Verifies `signed` and returns the value, borrowed from the input.
    ///
    /// The input is split at the **last** separator, so values may contain it.
    ///
    /// # Errors
    ///
    /// [`Malformed::NoSeparator`] when the separator is missing (Django raises
    /// `BadSignature` there); [`Error::BadSignature`] when no key verifies it.
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::Signer::builder(&ring).build()?;
    /// let signed = signer.sign("hello");
    /// assert_eq!(*signer.unsign(&signed)?.value(), "hello");
    /// assert!(signer.unsign(&signed.replace("hello", "jello")).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unsign<'a>(&self, signed: &'a str) -> Result<Verified<'a, &'a str>> {
        let (message, found) = self.verify(signed, self.keys.now())?;
        Ok(self.verified(message, signed, message, found))
    }

    /// Serializes `value` as Django's JSON, optionally compresses it, and signs
    /// it: Django's `Signer.sign_object(obj, compress=compress)`.
    ///
    /// Compression is kept only when it saves at least two bytes; it is marked by
    /// a leading `.`, which the signature covers.
    ///
    /// # Errors
    ///
    /// [`Error::Payload`] when `value` cannot be written as JSON (a map key that
    /// is neither a string, a number, a bool nor null).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::Signer::builder(&ring).build()?;
    /// let signed = signer.sign_object(&[1, 2, 3], false)?;
    /// assert!(signed.starts_with("WzEsMiwzXQ:"));
    /// assert_eq!(signer.unsign_object::<Vec<u8>>(&signed)?.into_value(), [1, 2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign_object<T: Serialize + ?Sized>(&self, value: &T, compress: bool) -> Result<String> {
        Ok(self.sign(&object::encode(value, compress)?))
    }

    /// Verifies `signed`, then decodes its payload into `T`: Django's
    /// `Signer.unsign_object`. Nothing is decompressed or parsed before the
    /// signature checks out.
    ///
    /// # Errors
    ///
    /// As [`unsign`](Signer::unsign), then [`Error::Payload`] when the payload
    /// is not base64, zlib or JSON of the right shape, or inflates past the
    /// size limit.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::json::Value;
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// let signer = signring::Signer::builder(&ring).build()?;
    /// let signed = signer.sign_object(&serde_json_like(), true)?;
    /// let value: Value = signer.unsign_object(&signed)?.into_value();
    /// assert_eq!(value["user"], Value::String("ada".into()));
    /// # fn serde_json_like() -> std::collections::BTreeMap<&'static str, &'static str> {
    /// #     [("user", "ada")].into_iter().collect()
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unsign_object<'a, T: DeserializeOwned>(
        &self,
        signed: &'a str,
    ) -> Result<Verified<'a, T>> {
        let (message, found) = self.verify(signed, self.keys.now())?;
        let value = object::decode(message, self.max_payload_size)?;
        Ok(self.verified(value, signed, message, found))
    }

    /// Re-signs a stale value with the current key and algorithm, keeping the
    /// signed text (and so any timestamp) exactly as it was: re-signing never
    /// extends a value's lifetime. A value that is not stale (the current or
    /// a staged key verified it) comes back as it was.
    ///
    /// # Errors
    ///
    /// [`Error::OtherSigner`] when `verified` came from another signer (another
    /// salt, separator or kind): a value verified for one purpose is never
    /// re-signed for another.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::{Error, KeyRing, Signer};
    ///
    /// let mut ring = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let signed_long_ago = ring.sign("v");
    /// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
    /// let signer = Signer::builder(&ring).build()?;
    /// let verified = signer.unsign(&signed_long_ago)?;
    /// assert!(verified.is_stale());
    /// let fresh = signer.resign(&verified)?;
    /// assert!(!signer.unsign(&fresh)?.is_stale());
    /// assert_eq!(fresh, signer.sign("v"));
    ///
    /// let sessions = Signer::builder(&ring).salt("sessions").build()?;
    /// assert_eq!(sessions.resign(&verified), Err(Error::OtherSigner));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resign<T>(&self, verified: &Verified<'_, T>) -> Result<String> {
        if verified.purpose() != self.purpose {
            return Err(Error::OtherSigner);
        }
        if !verified.is_stale() {
            return Ok(verified.input().to_owned());
        }
        Ok(self.sign(verified.signed_part()))
    }

    /// Refuses input longer than the configured limit, before any HMAC: the
    /// check every format of every adapter makes first.
    pub(crate) fn check_input_len(&self, input: &str) -> Result<()> {
        if input.len() > self.max_input_len {
            return Err(Error::Malformed(Malformed::TooLong {
                limit: self.max_input_len,
            }));
        }
        Ok(())
    }

    pub(crate) fn max_payload_size(&self) -> usize {
        self.max_payload_size
    }

    /// The verified value with its record, bound to this signer.
    pub(crate) fn verified<'a, T>(
        &self,
        value: T,
        input: &'a str,
        message: &'a str,
        found: Found,
    ) -> Verified<'a, T> {
        let record = self.keys.record(found, found.algorithm != self.algorithm);
        Verified::new(value, record, input, message, self.purpose)
    }

    /// The clock the signer reads.
    pub(crate) fn clock(&self) -> &dyn crate::clock::Clock {
        self.keys.clock()
    }

    /// Checks the signature at `now` (compared with the keys' `not_after`)
    /// and returns the signed part and the key and algorithm that matched.
    pub(crate) fn verify<'a>(&self, signed: &'a str, now: UnixTime) -> Result<(&'a str, Found)> {
        let result = self.verify_unobserved(signed, now);
        self.keys.observe(
            result.as_ref().ok().map(|(_, found)| found.index),
            matches!(&result, Ok((_, found)) if found.algorithm != self.algorithm),
        );
        result
    }

    fn verify_unobserved<'a>(&self, signed: &'a str, now: UnixTime) -> Result<(&'a str, Found)> {
        self.check_input_len(signed)?;
        let (message, signature) = self
            .split(signed)
            .ok_or(Error::Malformed(Malformed::NoSeparator))?;
        // Lengths are public: a signature of the wrong length cannot match, so
        // no HMAC is computed for it. Decoding is strict (no padding, no stray
        // bits), so equal bytes mean exactly the text Django compares.
        let mut decoded = [0u8; MAX_DIGEST_LEN + 2];
        if signature.len() == self.algorithm.signature_len()
            && let Some(expected) = b64u_decode_signature(signature.as_bytes(), &mut decoded)
            && let Some(index) = self
                .keys
                .find(now, |key| tag_matches(key, message, expected))
        {
            let algorithm = self.algorithm;
            return Ok((message, Found { index, algorithm }));
        }
        // Django 3.1–3.2 also accept SHA-1 with the current key, which must
        // still be within its own expiry.
        if let Some(legacy) = &self.legacy_sha1
            && signature.len() == Algorithm::Sha1.signature_len()
            && let Some(expected) = b64u_decode_signature(signature.as_bytes(), &mut decoded)
            && bool::from(tag_matches(legacy, message, expected))
            && self.keys.usable(0, now)
        {
            let algorithm = Algorithm::Sha1;
            return Ok((
                message,
                Found {
                    index: 0,
                    algorithm,
                },
            ));
        }
        Err(Error::BadSignature)
    }
}

impl Signer {
    /// What this signer's values are verified for (kind, salt, separator).
    #[cfg(feature = "django")]
    pub(crate) fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// Splits at the last separator; a one-byte separator is found with a
    /// byte search, which is faster than a substring search.
    fn split<'a>(&self, signed: &'a str) -> Option<(&'a str, &'a str)> {
        match self.sep.as_bytes() {
            [byte] if byte.is_ascii() => {
                let at = signed.as_bytes().iter().rposition(|b| b == byte)?;
                // An ASCII byte is a character boundary on both sides.
                Some((signed.get(..at)?, signed.get(at + 1..)?))
            }
            _ => signed.rsplit_once(&*self.sep),
        }
    }
}

fn tag_matches(key: &MacKey, message: &str, expected: &[u8]) -> Choice {
    Choice::from(u8::from(key.verify(message.as_bytes(), expected)))
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("salt", &self.salt)
            .field("sep", &self.sep)
            .field("algorithm", &self.algorithm)
            .field("keys", &self.keys.len())
            .field("legacy_sha1", &self.legacy_sha1.is_some())
            .finish()
    }
}
