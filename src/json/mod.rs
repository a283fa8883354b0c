//! JSON exactly as Django's `JSONSerializer` writes and reads it.
//!
//! Django signs the bytes of `json.dumps(obj, separators=(",", ":"))` and reads
//! them back with `json.loads(data.decode("latin-1"))`. Matching those bytes
//! takes more than standard JSON (django-compat.md §2.6):
//!
//! - object keys stay in insertion order;
//! - every non-ASCII character is escaped as `\uXXXX` with lowercase hex, and
//!   characters above U+FFFF as surrogate pairs;
//! - floats print as Python's `repr` (`3.0`, `1e+16`, `1e-05`), and `NaN`,
//!   `Infinity`, `-Infinity` are written and read as bare words;
//! - non-string map keys become strings the way Python converts them;
//! - reading takes each byte as one Latin-1 character, so raw UTF-8 reads as
//!   mojibake, as it does in Django.
//!
//! Differences from Python, all outside what Django writes: integers beyond
//! 128 bits and lone surrogate escapes (`"\ud800"`) are refused.
//!
//! # Example
//!
//! ```
//! use signring::json;
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! struct Cart { item: String, price: f64 }
//!
//! let cart = Cart { item: "café".into(), price: 3.0 };
//! let bytes = json::to_vec(&cart)?;
//! assert_eq!(bytes, br#"{"item":"caf\u00e9","price":3.0}"#);
//! assert_eq!(json::from_slice::<Cart>(&bytes)?, cart);
//! # Ok::<(), json::Error>(())
//! ```

mod parse;
mod ser;
mod value;

use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use value::{Map, Value};

/// Writes `value` as the exact bytes Django's JSON serializer produces.
///
/// # Errors
///
/// A map key that Python could not have had: a sequence, a map or bytes.
///
/// # Example
///
/// ```
/// let bytes = signring::json::to_vec(&vec![(1, 0.5), (2, 1e16)])?;
/// assert_eq!(bytes, b"[[1,0.5],[2,1e+16]]");
/// # Ok::<(), signring::json::Error>(())
/// ```
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(128);
    ser::write(value, &mut out)?;
    Ok(out)
}

/// Like [`to_vec`], as text (the output is always ASCII).
///
/// # Errors
///
/// As [`to_vec`].
///
/// # Example
///
/// ```
/// assert_eq!(signring::json::to_string(&"é")?, r#""\u00e9""#);
/// # Ok::<(), signring::json::Error>(())
/// ```
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let bytes = to_vec(value)?;
    // The writer emits printable ASCII only.
    String::from_utf8(bytes).map_err(|_| Error::key_not_supported())
}

/// Reads `bytes` as Django does: each byte a Latin-1 character, then Python's
/// lenient JSON.
///
/// # Errors
///
/// What Python's `json.loads` refuses, nesting deeper than 512 levels, and
/// JSON that does not fit `T`.
///
/// # Example
///
/// ```
/// use signring::json::{self, Value};
///
/// let value: Value = json::from_slice(b"[1, 2.0, Infinity]")?;
/// assert_eq!(value, Value::Array(vec![Value::Integer(1), Value::Float(2.0), Value::Float(f64::INFINITY)]));
/// # Ok::<(), json::Error>(())
/// ```
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    T::deserialize(parse_value(bytes)?)
}

/// [`from_slice`] into the tree itself, skipping the serde pass.
pub(crate) fn parse_value(bytes: &[u8]) -> Result<Value, Error> {
    parse::parse(bytes)
}

/// Reads JSON text that must be an array of strings, as
/// [`from_str::<Vec<String>>`](from_str) does, for secret keys: each string is
/// decoded once into a buffer that never moves and wipes itself on drop, so no
/// unwiped copy of a key is left in freed memory (as a growing `String` would).
pub(crate) fn parse_secret_strings(text: &str) -> Result<Vec<zeroize::Zeroizing<String>>, Error> {
    parse::parse_secret_strings(text)
}

/// Reads JSON text, as Python's `json.loads` of a `str` does: non-ASCII
/// characters are themselves (use [`from_slice`] for signed payload bytes).
///
/// # Errors
///
/// As [`from_slice`].
///
/// # Example
///
/// ```
/// let n: u32 = signring::json::from_str(" 42 ")?;
/// assert_eq!(n, 42);
/// # Ok::<(), signring::json::Error>(())
/// ```
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let value = parse::parse_text(text)?;
    T::deserialize(value)
}

/// Why JSON could not be written or read. Messages never quote the data.
///
/// # Example
///
/// ```
/// let err = signring::json::from_str::<u32>("[1,]").unwrap_err();
/// assert_eq!(err.to_string(), "expecting value at byte 3");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ErrorKind {
    Syntax { reason: &'static str, offset: usize },
    Type,
    KeyNotSupported,
    Unserializable,
}

impl Error {
    pub(crate) fn syntax(reason: &'static str, offset: usize) -> Self {
        Self {
            kind: ErrorKind::Syntax { reason, offset },
        }
    }

    pub(crate) fn type_mismatch() -> Self {
        Self {
            kind: ErrorKind::Type,
        }
    }

    pub(crate) fn key_not_supported() -> Self {
        Self {
            kind: ErrorKind::KeyNotSupported,
        }
    }

    /// The payload error this becomes inside a signed object.
    pub(crate) fn into_payload_error(self) -> crate::PayloadError {
        match self.kind {
            ErrorKind::Syntax { reason, offset } => crate::PayloadError::Json { reason, offset },
            ErrorKind::Type => crate::PayloadError::Type,
            ErrorKind::KeyNotSupported | ErrorKind::Unserializable => {
                crate::PayloadError::Serialize
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::Syntax { reason, offset } => write!(f, "{reason} at byte {offset}"),
            ErrorKind::Type => f.write_str("json does not match the requested type"),
            ErrorKind::KeyNotSupported => {
                f.write_str("map key must be a string, number, bool or null")
            }
            ErrorKind::Unserializable => f.write_str("value cannot be serialized"),
        }
    }
}

impl std::error::Error for Error {}

impl serde::de::Error for Error {
    /// serde's messages quote the offending value, so they are dropped.
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Self::type_mismatch()
    }
}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Self {
            kind: ErrorKind::Unserializable,
        }
    }
}
