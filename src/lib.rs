#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod algorithm;
mod check;
mod clock;
mod encoding;
mod error;
mod key;
mod keyed;
mod load;
mod object;
mod observe;
mod options;
mod ring;
mod rotation;
mod signer;
mod simple_hmac;
mod timed;
mod verified;
mod version;

#[cfg(feature = "django")]
#[cfg_attr(docsrs, doc(cfg(feature = "django")))]
pub mod django;
pub mod json;

// The public interface is:
pub use algorithm::Algorithm;
pub use check::{KeyWarning, check_keys};
pub use clock::{Clock, FixedClock, MaxAge, SystemClock, UnixTime};
pub use error::{ConfigError, Error, Malformed, PayloadError};
pub use key::SecretKey;
pub use load::{ConfigSecret, KeyConfig, KeyLoader, RingConfig};
pub use observe::{CountReport, KeyCount, Outcome, VerifyCounters, VerifyObserver};
pub use options::Options;
pub use ring::{KeyId, KeyRing, KeyRole, RingKey};
pub use rotation::{RotationPhase, RotationPlan};
pub use signer::{
    DEFAULT_MAX_INPUT_LEN, DEFAULT_MAX_PAYLOAD_SIZE, SIGNER_SALT, Signer, SignerBuilder,
};
pub use timed::{DUMPS_SALT, TIMESTAMP_SIGNER_SALT, TimestampSigner};
pub use verified::{Verification, Verified};
pub use version::DjangoVersion;

/// Building blocks exposed for the fuzz targets and the Django vector tests.
///
/// Not part of the stable API: anything here may change in any release.
#[doc(hidden)]
pub mod internal {
    pub use crate::algorithm::salted_hmac;
    pub use crate::encoding::{b62_decode, b62_encode, python_b64decode};
    pub use crate::object::zlib_decompress;

    /// The reader of `SECRET_KEY_FALLBACKS`: what `json::from_str::<Vec<String>>`
    /// reads, into buffers that never move and are wiped on drop.
    ///
    /// # Errors
    ///
    /// When the text is not a JSON array of strings.
    pub fn parse_secret_strings(
        text: &str,
    ) -> Result<Vec<zeroize::Zeroizing<String>>, crate::json::Error> {
        crate::json::parse_secret_strings(text)
    }
}
