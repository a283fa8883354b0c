//! A JSON value as Python's `json` module sees it: objects keep insertion order,
//! floats may be `NaN` or infinite, integers are not floats.

mod map;
mod serde_impls;
#[cfg(test)]
mod tests;

pub use map::Map;
// The parser's tests count the work of building maps too.
#[cfg(test)]
pub(crate) use map::work;

/// Any JSON value Django can sign.
///
/// # Example
///
/// ```
/// use signring::json::{self, Value};
///
/// let value: Value = json::from_slice(br#"{"b":1,"a":[NaN,2.5,"x"]}"#)?;
/// assert_eq!(value["a"][1], Value::Float(2.5));
/// // Key order and Python's NaN survive a round trip.
/// assert_eq!(json::to_vec(&value)?, br#"{"b":1,"a":[NaN,2.5,"x"]}"#);
/// # Ok::<(), json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum Value {
    /// `null` (Python's `None`).
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer. Python's integers are unbounded; signring reads those that fit
    /// in 128 bits.
    Integer(i128),
    /// A float, including `NaN`, `Infinity` and `-Infinity`.
    Float(f64),
    /// A string.
    String(String),
    /// An array (a Python list).
    Array(Vec<Value>),
    /// An object (a Python dict), in insertion order.
    Object(Map),
}

static NULL: Value = Value::Null;

impl core::ops::Index<&str> for Value {
    type Output = Value;

    /// The member named `key`, or `Null` when there is none or this is not an
    /// object.
    fn index(&self, key: &str) -> &Value {
        match self {
            Value::Object(map) => map.get(key).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
}

impl core::ops::Index<usize> for Value {
    type Output = Value;

    /// The element at `index`, or `Null` when there is none or this is not an
    /// array.
    fn index(&self, index: usize) -> &Value {
        match self {
            Value::Array(items) => items.get(index).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
}
