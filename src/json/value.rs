//! A JSON value as Python's `json` module sees it: objects keep insertion order,
//! floats may be `NaN` or infinite, integers are not floats.

use core::fmt;

use serde::de::value::{MapAccessDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};
use serde::ser::{SerializeMap as _, SerializeSeq as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Error;

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

/// A JSON object: string keys in insertion order, each key once.
///
/// # Example
///
/// ```
/// use signring::json::{Map, Value};
///
/// let mut map = Map::new();
/// map.insert("b".into(), Value::Integer(1));
/// map.insert("a".into(), Value::Integer(2));
/// map.insert("b".into(), Value::Integer(3));
/// let keys: Vec<&str> = map.iter().map(|(k, _)| k.as_str()).collect();
/// assert_eq!(keys, ["b", "a"]);
/// assert_eq!(map.get("b"), Some(&Value::Integer(3)));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

impl Map {
    /// An empty object.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(signring::json::Map::new().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`: a new key goes last, an existing key keeps its
    /// place (as a Python dict does). Returns the previous value.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::json::{Map, Value};
    /// let mut map = Map::new();
    /// assert_eq!(map.insert("k".into(), Value::Null), None);
    /// assert_eq!(map.insert("k".into(), Value::Bool(true)), Some(Value::Null));
    /// ```
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => Some(core::mem::replace(slot, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// The value of `key`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::json::Map::new().get("k"), None);
    /// ```
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The entries in insertion order.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::json::Map::new().iter().count(), 0);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &(String, Value)> {
        self.entries.iter()
    }

    /// The number of keys.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(signring::json::Map::new().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the object has no keys.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(signring::json::Map::new().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Map {
    /// Builds a map from entries in order, keeping each key's first place and
    /// last value, in linear time when the keys are distinct (the usual case).
    pub(crate) fn from_entries(entries: Vec<(String, Value)>) -> Self {
        let distinct = entries.len() <= 1 || {
            let mut seen = std::collections::HashSet::with_capacity(entries.len());
            entries.iter().all(|(key, _)| seen.insert(key.as_str()))
        };
        if distinct {
            return Map { entries };
        }
        let mut map = Map::new();
        for (key, value) in entries {
            map.insert(key, value);
        }
        map
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Map::from_entries(iter.into_iter().collect())
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Integer(n) => match i64::try_from(*n) {
                Ok(small) => serializer.serialize_i64(small),
                Err(_) => serializer.serialize_i128(*n),
            },
            Value::Float(x) => serializer.serialize_f64(*x),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(map) => map.serialize(serializer),
        }
    }
}

impl Serialize for Map {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self.iter() {
            out.serialize_entry(key, value)?;
        }
        out.end()
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Integer(i128::from(v)))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Integer(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Integer(i128::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(4096));
        while let Some(entry) = access.next_entry()? {
            entries.push(entry);
        }
        Ok(Value::Object(Map::from_entries(entries)))
    }
}

impl<'de> IntoDeserializer<'de, Error> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

impl<'de> Deserializer<'de> for Value {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Integer(n) => {
                if let Ok(small) = i64::try_from(n) {
                    visitor.visit_i64(small)
                } else if let Ok(unsigned) = u64::try_from(n) {
                    visitor.visit_u64(unsigned)
                } else {
                    visitor.visit_i128(n)
                }
            }
            Value::Float(x) => visitor.visit_f64(x),
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter());
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Value::Object(map) => {
                let mut access = MapDeserializer::new(map.into_iter());
                let value = visitor.visit_map(&mut access)?;
                access.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Value::String(variant) => visitor.visit_enum(variant.into_deserializer()),
            Value::Object(map) if map.len() == 1 => visitor.visit_enum(MapAccessDeserializer::new(
                MapDeserializer::new(map.into_iter()),
            )),
            _ => Err(Error::type_mismatch()),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> Deserialize<'de> for Map {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Map, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Object(map) => Ok(map),
            _ => Err(de::Error::custom("expected a JSON object")),
        }
    }
}
