//! Secret keys as a JSON array of strings, decoded into buffers that never
//! move and are wiped on drop.

use zeroize::Zeroizing;

use super::Parser;
use crate::json::Error;

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
