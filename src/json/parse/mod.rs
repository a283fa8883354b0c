//! A parser for what Python's `json.loads(data.decode("latin-1"))` accepts:
//! standard JSON plus `NaN`, `Infinity`, `-Infinity`, duplicate keys (the last
//! one wins, in the first one's place), and every byte read as one Latin-1
//! character.

mod secret;
#[cfg(test)]
mod tests;

use super::Error;
use super::value::{Map, Value};

pub(crate) use secret::parse_secret_strings;

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
