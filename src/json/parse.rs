//! A parser for what Python's `json.loads(data.decode("latin-1"))` accepts:
//! standard JSON plus `NaN`, `Infinity`, `-Infinity`, duplicate keys (the last
//! one wins, in the first one's place), and every byte read as one Latin-1
//! character.

use zeroize::Zeroizing;

use super::Error;
use super::value::{Map, Value};

/// Python refuses nesting near its recursion limit of 1000 frames; signring
/// stops at 512, so that parsing, converting and dropping a tree stays within a
/// 2 MiB thread stack even in debug builds. Django never writes such depth for
/// sessions, cookies or messages.
pub(crate) const MAX_DEPTH: usize = 512;

/// Parses one JSON document, surrounded by optional whitespace, reading each
/// byte as one Latin-1 character (Django's payload decoding).
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, Error> {
    parse_with(bytes, None)
}

/// Parses JSON text whose non-ASCII characters are themselves (Python's
/// `json.loads` of a `str`).
pub(crate) fn parse_text(text: &str) -> Result<Value, Error> {
    parse_with(text.as_bytes(), Some(text))
}

fn parse_with(bytes: &[u8], text: Option<&str>) -> Result<Value, Error> {
    let mut parser = Parser {
        bytes,
        text,
        at: 0,
        depth: 0,
    };
    parser.skip_whitespace();
    let value = parser.value()?;
    parser.skip_whitespace();
    if parser.at != bytes.len() {
        return Err(parser.error("extra data"));
    }
    Ok(value)
}

/// Parses JSON text that must be an array of strings (Python's `json.loads` of
/// a `str`, then a check that it got a list of strings), for secret keys.
///
/// Each string is decoded into a buffer allocated once with room for all of
/// it, so the buffer never moves and leaves no copy of its bytes behind, and
/// every buffer wipes itself when dropped, whether the caller takes the result
/// or parsing fails halfway. Nothing else holds decoded bytes on the heap.
pub(crate) fn parse_secret_strings(text: &str) -> Result<Vec<Zeroizing<String>>, Error> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        text: Some(text),
        at: 0,
        depth: 0,
    };
    let mut strings = Vec::new();
    parser.skip_whitespace();
    if !parser.eat(b"[") {
        return Err(parser.error("expecting an array of strings"));
    }
    parser.skip_whitespace();
    if !parser.eat(b"]") {
        loop {
            if parser.peek() != Some(b'"') {
                return Err(parser.error("expecting a string"));
            }
            // Decoding text never lengthens a string: an escape is longer than
            // the character it stands for (`\n` is 2 bytes for 1, `\u00e9` 6
            // for 2, a surrogate pair 12 for 4), and any other character is
            // copied as its own UTF-8 bytes. So the raw length is room enough.
            let mut string = Zeroizing::new(String::with_capacity(parser.raw_string_len()));
            let room = string.capacity();
            let result = parser.string_into(&mut string);
            debug_assert!(string.capacity() == room, "a secret string was moved");
            result?;
            strings.push(string);
            parser.skip_whitespace();
            if parser.eat(b"]") {
                break;
            }
            if !parser.eat(b",") {
                return Err(parser.error("expecting ',' delimiter"));
            }
            parser.skip_whitespace();
        }
    }
    parser.skip_whitespace();
    if parser.at != parser.bytes.len() {
        return Err(parser.error("extra data"));
    }
    Ok(strings)
}

struct Parser<'b> {
    bytes: &'b [u8],
    /// The same input as text, when non-ASCII bytes are UTF-8 rather than Latin-1.
    text: Option<&'b str>,
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &'static str) -> Error {
        Error::syntax(reason, self.at)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn eat(&mut self, literal: &[u8]) -> bool {
        let matched = self.bytes[self.at..].starts_with(literal);
        if matched {
            self.at += literal.len();
        }
        matched
    }

    fn value(&mut self) -> Result<Value, Error> {
        match self.peek() {
            Some(b'"') => self.string().map(Value::String),
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ if self.eat(b"null") => Ok(Value::Null),
            _ if self.eat(b"true") => Ok(Value::Bool(true)),
            _ if self.eat(b"false") => Ok(Value::Bool(false)),
            _ if self.eat(b"NaN") => Ok(Value::Float(f64::NAN)),
            _ if self.eat(b"Infinity") => Ok(Value::Float(f64::INFINITY)),
            _ => Err(self.error("expecting value")),
        }
    }

    fn nested(&mut self, parse: fn(&mut Self) -> Result<Value, Error>) -> Result<Value, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        self.depth += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    fn array(&mut self) -> Result<Value, Error> {
        self.at += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.eat(b"]") {
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            if self.eat(b"]") {
                return Ok(Value::Array(items));
            }
            if !self.eat(b",") {
                return Err(self.error("expecting ',' delimiter"));
            }
            self.skip_whitespace();
        }
    }

    fn object(&mut self) -> Result<Value, Error> {
        self.at += 1;
        let mut entries = Vec::new();
        self.skip_whitespace();
        if self.eat(b"}") {
            return Ok(Value::Object(Map::new()));
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.error("expecting property name enclosed in double quotes"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if !self.eat(b":") {
                return Err(self.error("expecting ':' delimiter"));
            }
            self.skip_whitespace();
            let value = self.value()?;
            entries.push((key, value));
            self.skip_whitespace();
            if self.eat(b"}") {
                return Ok(Value::Object(Map::from_entries(entries)));
            }
            if !self.eat(b",") {
                return Err(self.error("expecting ',' delimiter"));
            }
            self.skip_whitespace();
        }
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.at;
        if self.eat(b"-Infinity") {
            return Ok(Value::Float(f64::NEG_INFINITY));
        }
        self.eat(b"-");
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => {
                self.at = start;
                return Err(self.error("expecting value"));
            }
        }
        let mut is_float = false;
        // A fraction or exponent only counts when digits follow, as in Python's
        // number pattern; otherwise the integer ends here.
        if self.peek() == Some(b'.') && self.bytes.get(self.at + 1).is_some_and(u8::is_ascii_digit)
        {
            self.at += 1;
            self.digits();
            is_float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            let mark = self.at;
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.digits();
                is_float = true;
            } else {
                self.at = mark;
            }
        }
        // The slice is ASCII digits and signs, so it is valid UTF-8.
        let text = core::str::from_utf8(&self.bytes[start..self.at])
            .map_err(|_| self.error("expecting value"))?;
        if is_float {
            text.parse()
                .map(Value::Float)
                .map_err(|_| Error::syntax("bad number", start))
        } else {
            text.parse()
                .map(Value::Integer)
                .map_err(|_| Error::syntax("integer too large", start))
        }
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }

    /// The number of bytes between the opening quote at `at` and its closing
    /// quote (or the end of the input), stepping over escapes as `string_into`
    /// does. UTF-8 continuation bytes are never a quote or a backslash.
    fn raw_string_len(&self) -> usize {
        let start = self.at + 1;
        let mut end = start;
        while let Some(&byte) = self.bytes.get(end) {
            match byte {
                b'"' => break,
                b'\\' => end += 2,
                _ => end += 1,
            }
        }
        end.min(self.bytes.len()).saturating_sub(start)
    }

    fn string(&mut self) -> Result<String, Error> {
        let mut text = String::new();
        self.string_into(&mut text)?;
        Ok(text)
    }

    /// Decodes the string starting at the opening quote onto the end of `text`.
    /// Each piece is pushed once, and no other buffer is used.
    fn string_into(&mut self, text: &mut String) -> Result<(), Error> {
        self.at += 1;
        loop {
            let Some(byte) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            if let b' '..=b'~' = byte
                && byte != b'"'
                && byte != b'\\'
            {
                // Copy a run of plain ASCII at once.
                let start = self.at;
                let run = self.bytes[start..]
                    .iter()
                    .position(|&b| !(b' '..=b'~').contains(&b) || b == b'"' || b == b'\\')
                    .unwrap_or(self.bytes.len() - start);
                // Printable ASCII is valid UTF-8.
                text.push_str(
                    core::str::from_utf8(&self.bytes[start..start + run]).unwrap_or_default(),
                );
                self.at += run;
                continue;
            }
            self.at += 1;
            match byte {
                b'"' => return Ok(()),
                b'\\' => self.escape(text)?,
                0x00..=0x1f => {
                    self.at -= 1;
                    return Err(self.error("invalid control character"));
                }
                0x80.. if self.text.is_some() => {
                    // `at - 1` is the start of a character: everything before it
                    // was consumed whole.
                    let ch = self
                        .text
                        .and_then(|t| t.get(self.at - 1..))
                        .and_then(|rest| rest.chars().next());
                    let ch = ch.ok_or_else(|| self.error("invalid utf-8"))?;
                    self.at += ch.len_utf8() - 1;
                    text.push(ch);
                }
                // Latin-1: every byte is the code point of the same value.
                _ => text.push(char::from(byte)),
            }
        }
    }

    fn escape(&mut self, text: &mut String) -> Result<(), Error> {
        let Some(byte) = self.peek() else {
            return Err(self.error("unterminated string"));
        };
        self.at += 1;
        let ch = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(text),
            _ => {
                self.at -= 2;
                return Err(self.error("invalid \\escape"));
            }
        };
        text.push(ch);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u16, Error> {
        let start = self.at;
        let digits = self
            .bytes
            .get(start..start + 4)
            .ok_or_else(|| self.error("invalid \\uXXXX escape"))?;
        let mut unit = 0u16;
        for &digit in digits {
            let value = match digit {
                b'0'..=b'9' => digit - b'0',
                b'a'..=b'f' => digit - b'a' + 10,
                b'A'..=b'F' => digit - b'A' + 10,
                _ => return Err(Error::syntax("invalid \\uXXXX escape", start)),
            };
            unit = unit * 16 + u16::from(value);
        }
        self.at += 4;
        Ok(unit)
    }

    fn unicode_escape(&mut self, text: &mut String) -> Result<(), Error> {
        let start = self.at - 2;
        let first = self.hex4()?;
        let ch = match first {
            0xd800..=0xdbff if self.bytes[self.at..].starts_with(b"\\u") => {
                let mark = self.at;
                self.at += 2;
                let second = self.hex4()?;
                if (0xdc00..=0xdfff).contains(&second) {
                    let code = 0x10000
                        + ((u32::from(first) - 0xd800) << 10)
                        + (u32::from(second) - 0xdc00);
                    char::from_u32(code)
                } else {
                    self.at = mark;
                    None
                }
            }
            _ => char::from_u32(u32::from(first)),
        };
        // Python keeps lone surrogates in its strings; Rust strings cannot.
        let ch = ch.ok_or_else(|| Error::syntax("lone surrogate escape", start))?;
        text.push(ch);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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
}
