//! A JSON value as Python's `json` module sees it: objects keep insertion order,
//! floats may be `NaN` or infinite, integers are not floats.

use core::fmt;
use std::collections::HashMap;

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
    /// This looks through the keys in order, so it takes time linear in the
    /// size of the map: to build a large map, [`collect`](Iterator::collect)
    /// its entries instead, which takes linear time in all, duplicates or not.
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
        let found = self.entries.iter_mut().find(|(k, _)| {
            work::step();
            *k == key
        });
        match found {
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
    /// last value, as Python's `dict` does with a list of pairs (and so
    /// `json.loads` with duplicate keys). Linear time whatever the duplicates:
    /// a hash index over the keys finds each one's first occurrence.
    pub(crate) fn from_entries(entries: Vec<(String, Value)>) -> Self {
        /// Up to this many entries, comparing every pair costs less than hashing.
        const SMALL: usize = 8;

        if entries.len() <= SMALL {
            let duplicate = entries.iter().enumerate().any(|(i, (key, _))| {
                entries[..i].iter().any(|(earlier, _)| {
                    work::step();
                    earlier == key
                })
            });
            if !duplicate {
                return Map { entries };
            }
            // At most SMALL entries: inserting one by one is bounded.
            let mut map = Map::new();
            for (key, value) in entries {
                map.insert(key, value);
            }
            return map;
        }

        // first[i]: the index of the first entry whose key is entry i's. The
        // standard hasher is keyed at random, so crafted keys cannot make the
        // index probes collide.
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
        let mut first: Vec<usize> = entries
            .iter()
            .enumerate()
            .map(|(i, (key, _))| {
                work::step();
                *index.entry(key.as_str()).or_insert(i)
            })
            .collect();
        let distinct = index.len();
        drop(index);
        if distinct == entries.len() {
            return Map { entries };
        }

        let mut merged: Vec<(String, Value)> = Vec::with_capacity(distinct);
        for (i, (key, value)) in entries.into_iter().enumerate() {
            let f = first[i];
            if f == i {
                // A first occurrence: from now on, first[i] is its place in
                // `merged`. Only first[i] itself changes, and later entries
                // read only the slots of earlier first occurrences.
                first[i] = merged.len();
                merged.push((key, value));
            } else {
                // A repeat (f < i): the last value wins, in the first place.
                // first[f] was set to a place in `merged` when entry f went in.
                merged[first[f]].1 = value;
            }
        }
        Map { entries: merged }
    }
}

/// A count of the key comparisons and index probes made while building maps,
/// so that tests can check that the work grows linearly with the input.
#[cfg(test)]
pub(crate) mod work {
    use std::cell::Cell;

    thread_local! {
        static STEPS: Cell<u64> = const { Cell::new(0) };
    }

    pub(crate) fn step() {
        STEPS.with(|steps| steps.set(steps.get() + 1));
    }

    /// The steps counted on this thread since the last call.
    pub(crate) fn take() -> u64 {
        STEPS.with(|steps| steps.replace(0))
    }
}

#[cfg(not(test))]
mod work {
    #[inline(always)]
    pub(super) fn step() {}
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What Python's `dict(pairs)` does: one assignment after another.
    fn by_insertion(entries: &[(String, Value)]) -> Map {
        let mut map = Map::new();
        for (key, value) in entries {
            map.insert(key.clone(), value.clone());
        }
        map
    }

    /// Entries with these keys, each valued by its index.
    fn numbered<'k>(keys: impl IntoIterator<Item = &'k str>) -> Vec<(String, Value)> {
        keys.into_iter()
            .zip(0..)
            .map(|(key, i)| (key.to_owned(), Value::Integer(i)))
            .collect()
    }

    fn pairs(map: &Map) -> Vec<(&str, i128)> {
        map.iter()
            .map(|(key, value)| match value {
                Value::Integer(n) => (key.as_str(), *n),
                _ => panic!("not an integer"),
            })
            .collect()
    }

    #[test]
    fn duplicates_keep_the_first_place_and_the_last_value() {
        // Python: dict([("a",0),("b",1),("a",2),("c",3),("b",4),("a",5)])
        //   == {'a': 5, 'b': 4, 'c': 3}, in that order.
        let map = Map::from_entries(numbered(["a", "b", "a", "c", "b", "a"]));
        assert_eq!(pairs(&map), [("a", 5), ("b", 4), ("c", 3)]);
        // The same past the small-map path (more than 8 entries).
        let keys = [
            "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k3", "k0", "k9",
        ];
        let map: Map = numbered(keys).into_iter().collect();
        assert_eq!(
            pairs(&map),
            [
                ("k0", 10),
                ("k1", 1),
                ("k2", 2),
                ("k3", 9),
                ("k4", 4),
                ("k5", 5),
                ("k6", 6),
                ("k7", 7),
                ("k8", 8),
                ("k9", 11)
            ]
        );
        assert_eq!(map, by_insertion(&numbered(keys)));
    }

    proptest! {
        #[test]
        fn from_entries_is_python_dict_of_pairs(keys in proptest::collection::vec("[a-e]{0,2}", 0..48)) {
            let entries = numbered(keys.iter().map(String::as_str));
            prop_assert_eq!(Map::from_entries(entries.clone()), by_insertion(&entries));
        }
    }

    /// The work counted while collecting `entries` into a map.
    fn work_to_collect(entries: Vec<(String, Value)>) -> u64 {
        work::take();
        let map: Map = entries.into_iter().collect();
        core::hint::black_box(&map);
        work::take()
    }

    #[test]
    fn collecting_a_map_takes_linear_work_whatever_the_duplicates() {
        type Shape = fn(usize) -> Vec<String>;
        let shapes: [(&str, Shape); 4] = [
            ("distinct keys, then the first again", |n| {
                let mut keys: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
                keys.push("k0".into());
                keys
            }),
            ("every key twice, in two runs", |n| {
                (0..2 * n).map(|i| format!("k{}", i % n)).collect()
            }),
            ("each key twice in a row", |n| {
                (0..2 * n).map(|i| format!("k{}", i / 2)).collect()
            }),
            ("one key over and over", |n| vec!["k".to_owned(); n]),
        ];
        for (shape, keys) in shapes {
            let work = |n: usize| {
                let keys = keys(n);
                let len = keys.len() as u64;
                let steps = work_to_collect(numbered(keys.iter().map(String::as_str)));
                assert!(steps <= 2 * len, "{shape}: {steps} steps for {len} entries");
                steps
            };
            let (small, large) = (work(2_000), work(8_000));
            assert!(
                large <= 5 * small,
                "{shape}: 4 times the entries took {large} steps against {small}"
            );
        }
    }
}
