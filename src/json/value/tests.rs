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
