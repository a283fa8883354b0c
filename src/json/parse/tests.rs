use super::*;

fn ok(text: &str) -> Value {
    parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn python_extensions_are_accepted() {
    assert!(matches!(ok("NaN"), Value::Float(x) if x.is_nan()));
    assert_eq!(
        ok("[Infinity,-Infinity]"),
        Value::Array(vec![
            Value::Float(f64::INFINITY),
            Value::Float(f64::NEG_INFINITY)
        ])
    );
    assert_eq!(ok(" \t\n1\r "), Value::Integer(1));
    assert_eq!(ok("1E400"), Value::Float(f64::INFINITY));
    assert_eq!(ok("-0"), Value::Integer(0));
    assert!(matches!(ok("-0.0"), Value::Float(x) if x == 0.0 && x.is_sign_negative()));
}

#[test]
fn duplicate_keys_keep_the_first_place_and_the_last_value() {
    let Value::Object(map) = ok(r#"{"a":1,"b":2,"a":3}"#) else {
        panic!()
    };
    let entries: Vec<_> = map.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    assert_eq!(
        entries,
        [("a", Value::Integer(3)), ("b", Value::Integer(2))]
    );
}

#[test]
fn duplicate_keys_read_as_python_reads_them_through_every_path() {
    use std::collections::{BTreeMap, HashMap};

    use crate::json::{self, Map};

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Pair {
        a: i64,
        b: Value,
    }

    // python3 -c 'import json; print(json.dumps(json.loads(t), separators=(",", ":")))'
    let cases = [
        (r#"{"a":1,"b":2,"a":3}"#, r#"{"a":3,"b":2}"#),
        (
            r#"{"a":1,"b":{"x":1,"y":2,"x":3},"a":3}"#,
            r#"{"a":3,"b":{"x":3,"y":2}}"#,
        ),
        (
            r#"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k3":"x","k0":null,"k10":10,"k3":[1]}"#,
            r#"{"k0":null,"k1":1,"k2":2,"k3":[1],"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10}"#,
        ),
    ];
    for (text, python) in cases {
        let value: Value = json::from_str(text).unwrap();
        assert_eq!(json::to_string(&value).unwrap(), python, "from_str: {text}");
        let value: Value = json::from_slice(text.as_bytes()).unwrap();
        assert_eq!(
            json::to_string(&value).unwrap(),
            python,
            "from_slice: {text}"
        );
        let map: Map = json::from_str(text).unwrap();
        assert_eq!(json::to_string(&map).unwrap(), python, "Map: {text}");
        // Another serde format hands the duplicates to `Map` one by one.
        let map: Map = serde_json::from_str(text).unwrap();
        assert_eq!(json::to_string(&map).unwrap(), python, "serde_json: {text}");
    }

    let pair: Pair = json::from_str(r#"{"a":1,"b":{"x":1,"y":2,"x":3},"a":3}"#).unwrap();
    assert_eq!(pair.a, 3);
    assert_eq!(json::to_string(&pair.b).unwrap(), r#"{"x":3,"y":2}"#);
    let hashed: HashMap<String, i64> = json::from_str(r#"{"a":1,"b":2,"a":3}"#).unwrap();
    assert_eq!(hashed, HashMap::from([("a".into(), 3), ("b".into(), 2)]));
    let sorted: BTreeMap<String, i64> = json::from_str(r#"{"a":1,"b":2,"a":3}"#).unwrap();
    assert_eq!(sorted, BTreeMap::from([("a".into(), 3), ("b".into(), 2)]));
}

#[test]
fn a_megabyte_object_with_one_duplicate_key_takes_linear_work() {
    use crate::json::value::work;

    // {"k0":0,"k1":1,…,"k{n-1}":n-1,"k0":-1}: Python reads k0 as -1, first.
    let work_for = |n: usize| {
        let mut text = String::from("{");
        for i in 0..n {
            text.push_str(&format!("\"k{i}\":{i},"));
        }
        text.push_str("\"k0\":-1}");
        work::take();
        let value = parse(text.as_bytes()).unwrap();
        let steps = work::take();
        let Value::Object(map) = &value else {
            panic!("not an object")
        };
        assert_eq!(map.len(), n);
        let (first, last) = (map.iter().next(), map.iter().last());
        assert_eq!(first, Some(&("k0".to_owned(), Value::Integer(-1))));
        assert_eq!(
            last,
            Some(&(format!("k{}", n - 1), Value::Integer(n as i128 - 1)))
        );
        let entries = n as u64 + 1;
        assert!(steps <= 2 * entries, "{steps} steps for {entries} entries");
        (text.len(), steps)
    };
    let (_, small) = work_for(17_500);
    let (size, large) = work_for(70_000);
    assert!(size > 1_000_000, "{size} bytes");
    assert!(
        large <= 5 * small,
        "4 times the keys took {large} steps against {small}"
    );
}

#[test]
fn bytes_are_latin1() {
    assert_eq!(
        ok("\"\u{e9}\""),
        Value::String("\u{c3}\u{a9}".into()),
        "UTF-8 é reads as mojibake"
    );
    assert_eq!(parse(b"\"\xe9\"").unwrap(), Value::String("é".into()));
    assert_eq!(ok(r#""\ud83d\ude00\u00E9""#), Value::String("😀é".into()));
}

#[test]
fn text_reads_non_ascii_as_itself() {
    assert_eq!(
        parse_text("[\"é😀\", \"a\"]").unwrap(),
        Value::Array(vec![Value::String("é😀".into()), Value::String("a".into())])
    );
}

#[test]
fn what_python_refuses_is_refused() {
    for bad in [
        "",
        "[1,]",
        "{\"a\":1,}",
        "01",
        "1.",
        "-",
        ".5",
        "+1",
        "nan",
        "-NaN",
        "{1:2}",
        "'a'",
        "\"\t\"",
        "\"\\x\"",
        "[1] 2",
        "\"\\ud800\"",
        "\"\\u12\"",
        "tru",
        "[",
        "{\"a\"",
        "\u{a0}1",
    ] {
        assert!(parse(bad.as_bytes()).is_err(), "{bad:?} should fail");
    }
}

#[test]
fn the_deepest_accepted_document_fits_a_two_mib_stack() {
    let parse_deepest = || {
        let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        let value: Value = crate::json::from_slice(deep.as_bytes()).unwrap();
        let nested: Vec<Value> = crate::json::from_slice(deep.as_bytes()).unwrap();
        drop((value, nested));
    };
    let thread = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(parse_deepest)
        .unwrap();
    thread.join().unwrap();
}

/// The secret parser and `from_str::<Vec<String>>` on `text`.
fn both_string_lists(text: &str) -> (Option<Vec<String>>, Option<Vec<String>>) {
    let secret = parse_secret_strings(text)
        .ok()
        .map(|strings| strings.iter().map(|s| s.as_str().to_owned()).collect());
    let plain = crate::json::from_str::<Vec<String>>(text).ok();
    (secret, plain)
}

#[test]
fn secret_strings_read_what_a_list_of_strings_reads() {
    // Checked against python3's json.loads.
    for text in [
        "[]",
        " \t\n\r[ \n ] \r\n",
        r#"["a"]"#,
        r#"[ "a" , "b" ,"" ]"#,
        r#"["\"\\\/\b\f\n\r\t"]"#,
        r#"["\u00e9\u00E9\u0000\uffff"]"#,
        r#"["\ud83d\ude00", "x\uD83D\uDE00y"]"#,
        "[\"é😀\u{7f}\"]",
        "[\"a\"]\n",
    ] {
        let (secret, plain) = both_string_lists(text);
        assert!(secret.is_some(), "{text:?} is refused");
        assert_eq!(secret, plain, "{text:?}");
    }
    // Refused, as Python refuses them (or, for lone surrogates, as the rest
    // of this parser does), or not a list of strings.
    for text in [
        "",
        "[",
        "]",
        "[\"a\"",
        "[\"a\",]",
        "[,\"a\"]",
        "[\"a\" \"b\"]",
        "[\"a\"] []",
        "[\"a\"]x",
        "[\"a]",
        "[\"a\\\"]",
        "[\"\\x\"]",
        "[\"\\u12\"]",
        "[\"\\u12g4\"]",
        "[\"\\ud800\"]",
        "[\"\\udc00\"]",
        "[\"\\ud800\\u0041\"]",
        "[\"\\ud800\\\"]",
        "[\"\t\"]",
        "[\"\n\"]",
        "['a']",
        "[1]",
        "[\"a\", null]",
        "[[\"a\"]]",
        "{\"a\": \"b\"}",
        "\"a\"",
        "null",
        "\u{a0}[]",
        "\u{feff}[]",
    ] {
        assert_eq!(both_string_lists(text), (None, None), "{text:?}");
    }
}

#[test]
fn secret_strings_fill_one_buffer_of_their_raw_length() {
    let strings =
        parse_secret_strings(r#"["plain", "\u00e9\n", "é😀", "\ud83d\ude00", ""]"#).unwrap();
    let sizes: Vec<_> = strings.iter().map(|s| (s.len(), s.capacity())).collect();
    // A buffer that had grown would have at least doubled its first size.
    assert_eq!(sizes, [(5, 5), (3, 8), (6, 6), (4, 12), (0, 0)]);
}

proptest::proptest! {
    #[test]
    fn secret_strings_agree_with_from_str(
        pieces in proptest::collection::vec(proptest::sample::select(&[
            "[", "]", ",", " ", "\"", "\\", "\\\"", "\\\\", "\\n", "\\u", "\\u00e9", "\\ud83d",
            "\\ude00", "d800", "a", "é", "😀", "\t", "1", "null",
        ][..]), 0..24),
    ) {
        let text: String = pieces.concat();
        let (secret, plain) = both_string_lists(&text);
        proptest::prop_assert_eq!(secret, plain, "{:?}", text);
    }
}

#[test]
fn nesting_is_bounded() {
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert!(parse(deep.as_bytes()).is_err());
    let fine = "[".repeat(100) + &"]".repeat(100);
    assert!(parse(fine.as_bytes()).is_ok());
}
