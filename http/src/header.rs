//! Reading `Cookie` request headers and the name of a `Set-Cookie` value.

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

/// The `name=value` pairs of one `Cookie` header, as Django's `parse_cookie`
/// reads them: split on `;`, then at the first `=` (a chunk without `=` is a
/// value with an empty name), both sides trimmed; empty chunks are skipped.
/// Values are returned as they are, still quoted or percent-encoded: each
/// format decodes its own.
///
/// # Example
///
/// ```
/// let pairs: Vec<_> = signring_http::cookie_pairs(" a=1; b = x=y ;;c").collect();
/// assert_eq!(pairs, [("a", "1"), ("b", "x=y"), ("", "c")]);
/// ```
pub fn cookie_pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    Pairs { rest: Some(header) }
}

/// [`cookie_pairs`]' iterator: one pass over the bytes per chunk (`;` and
/// the first `=` are ASCII, so every cut is on a character boundary).
struct Pairs<'h> {
    /// What is left after the last `;`; `None` once the last chunk is read.
    rest: Option<&'h str>,
}

impl<'h> Iterator for Pairs<'h> {
    type Item = (&'h str, &'h str);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.rest?;
            let end = find_semicolon(rest.as_bytes());
            let chunk_len = end.unwrap_or(rest.len());
            let equals = rest.as_bytes()[..chunk_len]
                .iter()
                .position(|&byte| byte == b'=');
            let chunk = match end {
                Some(end) => {
                    self.rest = Some(&rest[end + 1..]);
                    &rest[..end]
                }
                None => {
                    self.rest = None;
                    rest
                }
            };
            let (name, value) = match equals {
                Some(i) => (&chunk[..i], &chunk[i + 1..]),
                None => ("", chunk),
            };
            let (name, value) = (trim(name), trim(value));
            if !name.is_empty() || !value.is_empty() {
                return Some((name, value));
            }
        }
    }
}

/// The position of the first `;`, eight bytes at a time (cookie values are
/// long, separators few).
fn find_semicolon(bytes: &[u8]) -> Option<usize> {
    find_byte::<b';'>(bytes)
}

/// The position of the first `NEEDLE`, eight bytes at a time.
pub(crate) fn find_byte<const NEEDLE: u8>(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let needles = u64::from_le_bytes([NEEDLE; 8]);
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        // `chunks_exact(8)`: always eight bytes.
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or_default()) ^ needles;
        // The lowest flagged byte is the first zero byte, i.e. the first
        // needle (flags above it may be false: borrows only propagate upwards).
        let zeros = word.wrapping_sub(ONES) & !word & HIGHS;
        if zeros != 0 {
            return usize::try_from(zeros.trailing_zeros() / 8)
                .ok()
                .map(|i| offset + i);
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&byte| byte == NEEDLE)
        .map(|i| offset + i)
}

/// `str::trim`, with ASCII white space stripped byte by byte first: the
/// Unicode tables are only consulted when a non-ASCII byte is at an end.
fn trim(text: &str) -> &str {
    const fn space(byte: u8) -> bool {
        // The ASCII characters `char::is_whitespace` accepts.
        matches!(byte, b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | b' ')
    }
    let bytes = text.as_bytes();
    // Most names and values have nothing to trim.
    if let (Some(&first), Some(&last)) = (bytes.first(), bytes.last())
        && (b'!'..=b'~').contains(&first)
        && (b'!'..=b'~').contains(&last)
    {
        return text;
    }
    let mut start = 0;
    while start < bytes.len() && space(bytes[start]) {
        start += 1;
    }
    let mut end = bytes.len();
    while end > start && space(bytes[end - 1]) {
        end -= 1;
    }
    // Both cuts follow ASCII bytes: character boundaries.
    let text = &text[start..end];
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if !first.is_ascii() || !last.is_ascii() => text.trim(),
        _ => text,
    }
}

/// Every `Cookie` header of a request that is UTF-8 (HTTP/2 may send several).
pub(crate) fn cookie_headers(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    utf8(headers.get_all(COOKIE).iter())
}

/// The values that are UTF-8.
pub(crate) fn utf8<'h>(
    values: impl Iterator<Item = &'h HeaderValue>,
) -> impl Iterator<Item = &'h str> {
    values.filter_map(|v| core::str::from_utf8(v.as_bytes()).ok())
}

/// The last value of cookie `name` in these `Cookie` headers (Django's and
/// cookie-rs's readers both let the last one win), with the header it is in.
pub(crate) fn last_value<'h>(
    headers: impl Iterator<Item = &'h HeaderValue>,
    name: &str,
) -> Option<(&'h HeaderValue, &'h str)> {
    headers
        .filter_map(|h| Some((h, core::str::from_utf8(h.as_bytes()).ok()?)))
        .flat_map(|(h, text)| cookie_pairs(text).map(move |pair| (h, pair)))
        .filter(|(_, (n, _))| *n == name)
        .last()
        .map(|(h, (_, v))| (h, v))
}

/// A `Set-Cookie` value split into its trimmed name, its raw value and the
/// rest (from the first `;`, attributes verbatim).
pub(crate) fn split_set_cookie(text: &str) -> Option<(&str, &str, &str)> {
    let end = text.find(';').unwrap_or(text.len());
    let (pair, rest) = text.split_at(end);
    let (name, value) = pair.split_once('=')?;
    Some((name.trim(), value.trim(), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_follow_django() {
        let pairs: Vec<_> = cookie_pairs("a=\"q;\"; =x; y=; ; z").collect();
        assert_eq!(
            pairs,
            [("a", "\"q"), ("", "\""), ("", "x"), ("y", ""), ("", "z")]
        );
    }

    /// The reading `cookie_pairs` must keep: Django's `parse_cookie` as
    /// first written here with `str` methods.
    fn reference(header: &str) -> Vec<(&str, &str)> {
        header
            .split(';')
            .filter_map(|chunk| {
                let (name, value) = chunk.split_once('=').unwrap_or(("", chunk));
                let (name, value) = (name.trim(), value.trim());
                (!name.is_empty() || !value.is_empty()).then_some((name, value))
            })
            .collect()
    }

    #[test]
    fn pairs_match_the_reference_reading() {
        const PIECES: [&str; 16] = [
            "a", "=", ";", " ", "\t", "\u{b}", "\u{c}", "\r\n", "\u{85}", "\u{a0}", "\u{3000}",
            "é", "\"", "%3D", "x=y", "\u{1c}",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut header = String::new();
            for _ in 0..next() % 12 {
                let pick = usize::try_from(next() % 16).unwrap();
                header.push_str(PIECES[pick]);
            }
            assert_eq!(
                cookie_pairs(&header).collect::<Vec<_>>(),
                reference(&header),
                "{header:?}"
            );
        }
        for header in [
            "",
            ";",
            "a",
            "a;",
            ";a",
            " a = 1 ; b=2;",
            "\u{a0}a\u{a0}=\u{85}",
        ] {
            assert_eq!(cookie_pairs(header).collect::<Vec<_>>(), reference(header));
        }
    }

    #[test]
    fn semicolons_are_found_in_any_word_position() {
        for len in 0..40 {
            for at in 0..=len {
                let mut bytes = vec![b'x'; len];
                if at < len {
                    bytes[at] = b';';
                    // A later one, and a byte that borrows into the next.
                    if at + 2 < len {
                        bytes[at + 1] = b';' + 1;
                        bytes[at + 2] = b';';
                    }
                }
                let expected = bytes.iter().position(|&b| b == b';');
                assert_eq!(find_semicolon(&bytes), expected, "{len} {at}");
            }
        }
        assert_eq!(find_semicolon(&[0x3A, 0x3B]), Some(1));
        assert_eq!(find_semicolon(&[0xBB; 9]), None);
        assert_eq!(find_byte::<b'%'>(b"abcdefgh%3D"), Some(8));
        assert_eq!(find_byte::<b'%'>(b"a;b"), None);
    }

    #[test]
    fn last_value_wins_across_headers() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, "a=1; b=2".parse().unwrap());
        headers.append(COOKIE, "a=3".parse().unwrap());
        let value = |name| last_value(headers.get_all(COOKIE).iter(), name).map(|(_, v)| v);
        assert_eq!(value("a"), Some("3"));
        assert_eq!(value("b"), Some("2"));
        assert_eq!(value("c"), None);
    }

    #[test]
    fn set_cookie_split_keeps_attributes_verbatim() {
        assert_eq!(
            split_set_cookie("id = v=1 ; Path=/; HttpOnly"),
            Some(("id", "v=1", "; Path=/; HttpOnly"))
        );
        assert_eq!(split_set_cookie("novalue"), None);
    }
}
