//! `Map`: a JSON object, in insertion order, read as Python's `dict` reads
//! pairs.

use std::collections::HashMap;

use super::Value;

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
