//! Text encodings Django uses: URL-safe base64 without padding, Python's lenient
//! base64 decoder, and base62 timestamps.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The longest signature text: a 64-byte digest (SHA-512, BLAKE2b, SHA3-512)
/// in unpadded base64.
pub(crate) const MAX_SIGNATURE_LEN: usize = 86;

/// The longest digest: 64 bytes (SHA-512, BLAKE2b, SHA3-512).
pub(crate) const MAX_DIGEST_LEN: usize = 64;

/// Decodes a received signature without allocating. Only the canonical
/// unpadded URL-safe form decodes (no `=`, no stray low bits in the last
/// character), so two signatures decode to the same bytes exactly when their
/// texts are equal, which is what Django compares.
pub(crate) fn b64u_decode_signature<'b>(
    text: &[u8],
    out: &'b mut [u8; MAX_DIGEST_LEN + 2],
) -> Option<&'b [u8]> {
    let len = URL_SAFE_NO_PAD.decode_slice(text, &mut out[..]).ok()?;
    Some(&out[..len])
}

/// `b64u(bytes)`: URL-safe alphabet, trailing `=` removed.
pub(crate) fn b64u_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Encodes a digest into `out` without allocating and returns the text.
pub(crate) fn b64u_encode_digest<'b>(
    digest: &[u8],
    out: &'b mut [u8; MAX_SIGNATURE_LEN],
) -> &'b [u8] {
    // A digest of at most 64 bytes always fits in 86 characters.
    let len = URL_SAFE_NO_PAD
        .encode_slice(digest, &mut out[..])
        .unwrap_or(0);
    &out[..len]
}

/// Decodes base64 the way Django's `b64_decode` does: pad to a multiple of four
/// (counted on the raw input), accept both alphabets, and silently drop every
/// other byte, as Python's non-strict `binascii.a2b_base64` does.
///
/// Returns `None` where Python raises `binascii.Error`.
pub fn python_b64decode(input: &[u8]) -> Option<Vec<u8>> {
    // What Django writes is canonical unpadded base64url, which the strict
    // decoder reads quickly and, when it succeeds, exactly as Python does.
    if let Ok(bytes) = URL_SAFE_NO_PAD.decode(input) {
        return Some(bytes);
    }
    let padding = (4 - input.len() % 4) % 4;
    a2b_base64(
        input
            .iter()
            .copied()
            .chain(core::iter::repeat_n(b'=', padding)),
        url_safe_sextet,
    )
}

/// Python's `base64.b64decode(data)`: the standard alphabet only, no added
/// padding, other bytes dropped (the legacy session format).
#[cfg(feature = "django")]
pub(crate) fn python_std_b64decode(input: &[u8]) -> Option<Vec<u8>> {
    a2b_base64(input.iter().copied(), |byte| match byte {
        b'-' | b'_' => None,
        other => url_safe_sextet(other),
    })
}

/// CPython's non-strict `binascii.a2b_base64`, over any byte source.
fn a2b_base64(input: impl Iterator<Item = u8>, sextet: fn(u8) -> Option<u8>) -> Option<Vec<u8>> {
    let (lower, _) = input.size_hint();
    let mut out = Vec::with_capacity(lower / 4 * 3 + 3);
    let mut quad_pos = 0u8;
    let mut left = 0u8;
    let mut pads = 0usize;
    for byte in input {
        if byte == b'=' {
            // Enough padding after two or three data characters ends the data.
            if quad_pos >= 2 {
                pads += 1;
                if usize::from(quad_pos) + pads >= 4 {
                    return Some(out);
                }
            }
            continue;
        }
        let Some(value) = sextet(byte) else {
            continue;
        };
        pads = 0;
        match quad_pos {
            0 => {
                left = value;
                quad_pos = 1;
            }
            1 => {
                out.push((left << 2) | (value >> 4));
                left = value & 0x0f;
                quad_pos = 2;
            }
            2 => {
                out.push((left << 4) | (value >> 2));
                left = value & 0x03;
                quad_pos = 3;
            }
            _ => {
                out.push((left << 6) | value);
                quad_pos = 0;
            }
        }
    }
    (quad_pos == 0).then_some(out)
}

/// The value of one base64 character in either alphabet (`-` and `+` are 62,
/// `_` and `/` are 63), as Django translates `-_` to `+/` before decoding.
fn url_safe_sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Encodes an integer in base62, most significant digit first, `-` for negatives.
#[must_use]
pub fn b62_encode(n: i64) -> String {
    if n == 0 {
        return "0".to_owned();
    }
    let mut digits = [0u8; 12];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    while rest > 0 {
        at -= 1;
        // rest % 62 < 62, so the index is in bounds.
        digits[at] = BASE62[(rest % 62) as usize];
        rest /= 62;
    }
    let mut text = String::with_capacity(digits.len() - at + 1);
    if n < 0 {
        text.push('-');
    }
    text.extend(digits[at..].iter().map(|&d| char::from(d)));
    text
}

/// Decodes base62 as Django's `b62_decode`: an optional `-`, then digits, leading
/// zeros allowed. Returns `None` for an empty string or any other character.
///
/// Python keeps numbers beyond 64 bits exactly; they saturate here. Timestamps
/// that far from now are accepted (future) or expired (past) alike either way.
#[must_use]
pub fn b62_decode(text: &str) -> Option<i64> {
    if text == "0" {
        return Some(0);
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        // Python indexes `s[0]` first, so the empty string is an error.
        None if text.is_empty() => return None,
        None => (false, text),
    };
    let mut value: i64 = 0;
    for byte in digits.bytes() {
        let digit = match byte {
            b'0'..=b'9' => byte - b'0',
            b'A'..=b'Z' => byte - b'A' + 10,
            b'a'..=b'z' => byte - b'a' + 36,
            _ => return None,
        };
        // Accumulate with the sign so that i64::MIN is reachable exactly.
        value = if negative {
            value.saturating_mul(62).saturating_sub(i64::from(digit))
        } else {
            value.saturating_mul(62).saturating_add(i64::from(digit))
        };
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_known_answers() {
        for (n, text) in [
            (0, "0"),
            (1, "1"),
            (61, "z"),
            (62, "10"),
            (1_600_000_000, "1kHR5c"),
            (1_700_000_000, "1r31eq"),
        ] {
            assert_eq!(b62_encode(n), text);
            assert_eq!(b62_decode(text), Some(n));
        }
        assert_eq!(b62_encode(-61), "-z");
    }

    #[test]
    fn base62_decoding_is_as_lenient_as_django() {
        assert_eq!(b62_decode("-z"), Some(-61));
        assert_eq!(b62_decode("00z"), Some(61));
        assert_eq!(b62_decode("-"), Some(0));
        assert_eq!(b62_decode(""), None);
        assert_eq!(b62_decode("!"), None);
        assert_eq!(b62_decode("é"), None);
        assert_eq!(
            b62_decode("zzzzzzzzzzzzzzzzzzzz"),
            Some(i64::MAX),
            "overflow saturates, never wraps"
        );
        assert_eq!(b62_decode("-zzzzzzzzzzzzzzzzzzzz"), Some(i64::MIN));
    }

    #[test]
    fn base62_round_trips_the_extremes() {
        for n in [i64::MAX, i64::MIN, -1, 1] {
            assert_eq!(b62_decode(&b62_encode(n)), Some(n));
        }
    }

    #[test]
    fn signatures_decode_only_in_canonical_form() {
        let mut out = [0u8; MAX_DIGEST_LEN + 2];
        let canonical = b64u_encode(&[0xff; 32]);
        assert_eq!(
            b64u_decode_signature(canonical.as_bytes(), &mut out),
            Some(&[0xff; 32][..])
        );
        // The last of 43 characters carries 4 bits and 2 unused ones.
        let mut stray = canonical.clone().into_bytes();
        *stray.last_mut().unwrap() = b'_';
        assert_eq!(b64u_decode_signature(&stray, &mut out), None);
        assert_eq!(
            b64u_decode_signature(format!("{canonical}=").as_bytes(), &mut out),
            None
        );
        assert_eq!(
            b64u_decode_signature(canonical.replace('_', "/").as_bytes(), &mut out),
            None
        );
        let longest = b64u_encode(&[7; 64]);
        assert_eq!(
            b64u_decode_signature(longest.as_bytes(), &mut out),
            Some(&[7; 64][..])
        );
    }

    #[test]
    fn b64u_has_no_padding() {
        assert_eq!(b64u_encode(b"a"), "YQ");
        assert_eq!(b64u_encode(&[0xfb, 0xff]), "-_8");
    }

    #[cfg(feature = "django")]
    #[test]
    fn standard_decoding_neither_pads_nor_takes_the_url_alphabet() {
        assert_eq!(python_std_b64decode(b"YQ=="), Some(b"a".to_vec()));
        assert_eq!(python_std_b64decode(b"YQ"), None, "no padding is added");
        assert_eq!(
            python_std_b64decode(b"-_8A"),
            None,
            "'-' and '_' are dropped, leaving two characters"
        );
        assert_eq!(python_std_b64decode(b"+/8A"), Some(vec![0xfb, 0xff, 0x00]));
    }

    #[test]
    fn lenient_decoding_mimics_python() {
        assert_eq!(python_b64decode(b"YQ").as_deref(), Some(&b"a"[..]));
        assert_eq!(python_b64decode(b"YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(python_b64decode(b"-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(python_b64decode(b"+/8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(
            python_b64decode(b"Y!!Q").as_deref(),
            None,
            "junk counts for padding only"
        );
        assert_eq!(python_b64decode(b"Y!Q!").as_deref(), None);
        assert_eq!(python_b64decode(b"YQ!!").as_deref(), None);
        assert_eq!(
            python_b64decode(b"Y*Q*YQ").as_deref(),
            Some(&b"a\x06\x10"[..]),
            "junk is dropped"
        );
        assert_eq!(
            python_b64decode(b"YWJj=ZA"),
            None,
            "padding with too little data"
        );
        assert_eq!(
            python_b64decode(b"YQ==YQ").as_deref(),
            Some(&b"a"[..]),
            "data ends at padding"
        );
        assert_eq!(
            python_b64decode(b"Y"),
            None,
            "one character more than a multiple of four"
        );
        assert_eq!(python_b64decode(b""), Some(Vec::new()));
    }
}
