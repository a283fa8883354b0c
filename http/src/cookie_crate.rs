//! The `cookie` crate's signed format, verified with a ring of keys.
//!
//! `cookie::SignedJar` (cookie 0.18, `src/secure/signed.rs`) stores
//! `base64(HMAC-SHA256(key.signing(), value)) + value`: standard base64 with
//! padding (44 characters), then the value as it is. The MAC covers the value
//! only — not the cookie's name. On the wire, axum-extra and tower-cookies
//! read values with `Cookie::parse_encoded` (percent-decoded); axum-extra also
//! percent-encodes what it writes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use sha2::Sha256;
use signring::{KeyRole, Outcome, UnixTime, VerifyObserver};
use std::borrow::Cow;
use std::sync::Arc;

use crate::cookie_keys::CookieKeyRing;
use crate::header::find_byte;

/// Length of the base64 digest in front of the value.
pub(crate) const DIGEST_LEN: usize = 44;

/// cookie-rs's percent-encoding set for names and values (RFC 6265 §4.1.1
/// plus `(`, `)` and `,`), as `Cookie::encoded()` applies it.
const COOKIE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'#')
    .add(b'?')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'=')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'|')
    .add(b'%')
    .add(b'(')
    .add(b')')
    .add(b',');

/// [`COOKIE`] as one bit per ASCII byte (every non-ASCII byte is encoded).
const ENCODED: u128 = {
    let mut set = 1u128 << 0x7F;
    let mut byte = 0;
    while byte < 0x20 {
        set |= 1 << byte;
        byte += 1;
    }
    let listed = b" \"<>`#?{}/:;=@[\\]^|%(),";
    let mut i = 0;
    while i < listed.len() {
        set |= 1 << listed[i];
        i += 1;
    }
    set
};

const fn encoded(byte: u8) -> bool {
    byte >= 0x80 || (ENCODED >> byte) & 1 == 1
}

/// Percent-encodes a cookie value as `cookie::Cookie::encoded()` does
/// (`utf8_percent_encode(value, COOKIE)`): one pass, one allocation when
/// something is encoded.
pub(crate) fn percent_encode(value: &str) -> Cow<'_, str> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = value.as_bytes();
    let Some(first) = bytes.iter().position(|&b| encoded(b)) else {
        return Cow::Borrowed(value);
    };
    // Base64 digests encode a few characters: room for four escapes.
    let mut out = Vec::with_capacity(bytes.len() + 8);
    let mut rest = bytes;
    let mut at = Some(first);
    while let Some(i) = at {
        out.extend_from_slice(&rest[..i]);
        let byte = rest[i];
        out.extend_from_slice(&[
            b'%',
            HEX[usize::from(byte >> 4)],
            HEX[usize::from(byte & 0xF)],
        ]);
        rest = &rest[i + 1..];
        at = rest.iter().position(|&b| encoded(b));
    }
    out.extend_from_slice(rest);
    // Only ASCII was written: always UTF-8.
    String::from_utf8(out).map_or_else(|_| utf8_percent_encode(value, COOKIE).into(), Cow::Owned)
}

/// The value of one hex digit (either case).
const fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes a cookie value as `cookie::Cookie::parse_encoded` does
/// (`percent_encoding::percent_decode_str(..).decode_utf8()`: `%` and two hex
/// digits is a byte, any other `%` is itself); `None` when the result is not
/// UTF-8 (cookie-rs drops such cookies). One allocation, of the input's
/// length, when there is a `%`.
pub(crate) fn percent_decode(value: &str) -> Option<Cow<'_, str>> {
    let bytes = value.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == b'%') else {
        return Some(Cow::Borrowed(value));
    };
    let mut out = Vec::with_capacity(bytes.len());
    // Runs without `%` are copied whole.
    let mut rest = bytes;
    let mut at = Some(first);
    while let Some(i) = at {
        out.extend_from_slice(&rest[..i]);
        let escaped = rest
            .get(i + 1)
            .and_then(|&b| hex(b))
            .zip(rest.get(i + 2).and_then(|&b| hex(b)));
        if let Some((high, low)) = escaped {
            out.push(high << 4 | low);
            rest = &rest[i + 3..];
        } else {
            out.push(b'%');
            rest = &rest[i + 1..];
        }
        at = rest.iter().position(|&b| b == b'%');
    }
    out.extend_from_slice(rest);
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// What verified a cookie-crate value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Match {
    pub(crate) index: usize,
    pub(crate) role: KeyRole,
}

/// A [`CookieKeyRing`] with every key's HMAC state derived once.
#[derive(Clone)]
pub(crate) struct CookieCrateCodec {
    macs: Vec<(Hmac<Sha256>, KeyRole, Option<UnixTime>)>,
    any_expiry: bool,
    observer: Option<Arc<dyn VerifyObserver>>,
}

impl CookieCrateCodec {
    pub(crate) fn new(ring: &CookieKeyRing, observer: Option<Arc<dyn VerifyObserver>>) -> Self {
        let macs: Vec<_> = (0..ring.key_count())
            .filter_map(|i| {
                let key = ring.key(i)?;
                // Every `Key` has a 32-byte signing half; HMAC takes any length.
                let mac = Hmac::<Sha256>::new_from_slice(key.signing()).ok()?;
                Some((mac, ring.role(i)?, ring.not_after(i)))
            })
            .collect();
        let any_expiry = macs.iter().any(|(_, _, t)| t.is_some());
        Self {
            macs,
            any_expiry,
            observer,
        }
    }

    /// The signed text for `value`, with the current key (not percent-encoded).
    pub(crate) fn sign(&self, value: &str) -> String {
        let mut out = String::with_capacity(DIGEST_LEN + value.len());
        if let Some((mac, _, _)) = self.macs.first() {
            let mut mac = mac.clone();
            mac.update(value.as_bytes());
            // 32 bytes are 44 base64 characters: encoded on the stack.
            let mut digest = [0u8; DIGEST_LEN];
            let written = STANDARD
                .encode_slice(mac.finalize().into_bytes(), &mut digest)
                .unwrap_or(0);
            out.push_str(core::str::from_utf8(&digest[..written]).unwrap_or_default());
        }
        out.push_str(value);
        out
    }

    /// Verifies a signed text (already percent-decoded): the value and which
    /// key matched. The current key is tried first, then fallbacks, then
    /// staged keys; keys past their `not_after` verify nothing.
    pub(crate) fn verify<'a>(
        &self,
        signed: &'a str,
        now: impl Fn() -> UnixTime,
    ) -> Option<(&'a str, Match)> {
        // cookie-rs: `is_char_boundary(44)`, then split.
        let found = if !signed.is_char_boundary(DIGEST_LEN) || signed.len() < DIGEST_LEN {
            None
        } else {
            let (digest, value) = signed.split_at(DIGEST_LEN);
            self.find(digest.as_bytes(), value, now).map(|m| (value, m))
        };
        self.observe(found.map(|(_, m)| m));
        found
    }

    /// Verifies a value whose digest was split off already (see
    /// [`split_encoded`]).
    pub(crate) fn verify_split(
        &self,
        digest: &[u8; DIGEST_LEN],
        value: &str,
        now: impl Fn() -> UnixTime,
    ) -> Option<Match> {
        let found = self.find(digest, value, now);
        self.observe(found);
        found
    }

    fn observe(&self, found: Option<Match>) {
        if let Some(observer) = &self.observer {
            match found {
                Some(m) => observer.observe(outcome(m.role), Some(m.index)),
                None => observer.observe(Outcome::Failed, None),
            }
        }
    }

    fn find(&self, digest: &[u8], value: &str, now: impl Fn() -> UnixTime) -> Option<Match> {
        // The digest is decoded by base64's standard engine (canonical,
        // padded); 44 padded characters hold at most 33 bytes, a SHA-256 MAC
        // is 32.
        let mut buffer = [0u8; 33];
        let length = STANDARD.decode_slice(digest, &mut buffer).ok()?;
        let digest = &buffer[..length];
        let now = if self.any_expiry { Some(now()) } else { None };
        for (index, (mac, role, not_after)) in self.macs.iter().enumerate() {
            if let (Some(t), Some(now)) = (not_after, now)
                && t.as_secs_f64() < now.as_secs_f64()
            {
                continue;
            }
            let mut mac = mac.clone();
            mac.update(value.as_bytes());
            if mac.verify_slice(digest).is_ok() {
                return Some(Match { index, role: *role });
            }
        }
        None
    }
}

/// Splits a value as it is on the wire (percent-encoded) into its digest,
/// percent-decoded onto the stack, and the rest, still encoded — so that a
/// value with nothing to decode is verified and kept without a copy. `None`
/// unless the decoded digest is ASCII (cookie-rs's own digests always are):
/// the caller then decodes the whole value, which keeps cookie-rs's reading
/// of odd input (a character across byte 44, invalid UTF-8) exactly.
pub(crate) fn split_encoded(wire: &str) -> Option<([u8; DIGEST_LEN], &str)> {
    let bytes = wire.as_bytes();
    let mut digest = [0u8; DIGEST_LEN];
    let (mut read, mut written) = (0, 0);
    while written < DIGEST_LEN {
        // Runs without `%` are copied whole.
        let rest = bytes.get(read..)?;
        let room = (DIGEST_LEN - written).min(rest.len());
        let run = find_byte::<b'%'>(&rest[..room]).unwrap_or(room);
        digest[written..written + run].copy_from_slice(&rest[..run]);
        written += run;
        read += run;
        if written == DIGEST_LEN {
            break;
        }
        // A `%`, or the end of the input (then `?`).
        let escaped = hex(*bytes.get(read + 1)?).zip(bytes.get(read + 2).and_then(|&b| hex(b)));
        if let Some((high, low)) = escaped {
            digest[written] = high << 4 | low;
            read += 3;
        } else {
            digest[written] = b'%';
            read += 1;
        }
        written += 1;
    }
    // Only ASCII bytes and three-byte escapes were read: `read` is a
    // character boundary.
    (digest.is_ascii() && wire.is_char_boundary(read)).then(|| (digest, &wire[read..]))
}

fn outcome(role: KeyRole) -> Outcome {
    match role {
        KeyRole::Current => Outcome::Current,
        KeyRole::Staged => Outcome::Staged,
        _ => Outcome::Fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cookie::{Cookie, CookieJar, Key};

    fn jar_signed(key: &Key, name: &str, value: &str) -> String {
        let mut jar = CookieJar::new();
        jar.signed_mut(key)
            .add(Cookie::new(name.to_owned(), value.to_owned()));
        jar.get(name)
            .map(|c| c.value().to_owned())
            .unwrap_or_default()
    }

    #[test]
    fn signs_exactly_as_cookie_rs_signed_jar() {
        let key = Key::from(&[3u8; 64]);
        let codec = CookieCrateCodec::new(&CookieKeyRing::new(key.clone()), None);
        for value in [
            "",
            "v",
            "hello world",
            "ünïcode;=,",
            "x".repeat(300).as_str(),
        ] {
            assert_eq!(codec.sign(value), jar_signed(&key, "name", value));
        }
    }

    #[test]
    fn verifies_what_cookie_rs_signs_with_any_key_of_the_ring() {
        let old = Key::from(&[1u8; 64]);
        let new = Key::from(&[2u8; 64]);
        let ring = CookieKeyRing::new(new.clone())
            .with_fallback(old.clone())
            .unwrap();
        let codec = CookieCrateCodec::new(&ring, None);
        let now = || UnixTime::from_secs_f64(0.0);
        let signed_old = jar_signed(&old, "n", "value");
        let (value, m) = codec.verify(&signed_old, now).unwrap();
        assert_eq!((value, m.index, m.role), ("value", 1, KeyRole::Fallback));
        let signed_new = jar_signed(&new, "n", "value");
        assert_eq!(codec.verify(&signed_new, now).unwrap().1.index, 0);
        // cookie-rs's own SignedJar with the new key refuses the old value;
        // the ring accepts it as stale.
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new("n", signed_old.clone()));
        assert!(jar.signed(&new).get("n").is_none());
        assert!(jar.signed(&old).get("n").is_some());
    }

    #[test]
    fn refuses_tampering_and_short_or_odd_input() {
        let key = Key::from(&[1u8; 64]);
        let codec = CookieCrateCodec::new(&CookieKeyRing::new(key.clone()), None);
        let now = || UnixTime::from_secs_f64(0.0);
        let signed = jar_signed(&key, "n", "value");
        let mut tampered = signed.clone();
        tampered.push('x');
        assert!(codec.verify(&tampered, now).is_none());
        assert!(codec.verify(&signed[..43], now).is_none());
        assert!(codec.verify("", now).is_none());
        assert!(codec.verify(&format!("{}é", "A".repeat(43)), now).is_none());
        // A valid MAC moved to another cookie name still verifies: the
        // format does not bind the name (as in cookie-rs).
        assert!(
            codec
                .verify(&jar_signed(&key, "other", "value"), now)
                .is_some()
        );
    }

    #[test]
    fn percent_decoding_matches_the_percent_encoding_crate() {
        let reference = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .ok()
                .map(Cow::into_owned)
        };
        for text in [
            "",
            "plain",
            "%",
            "%4",
            "%41",
            "%4g",
            "%g4",
            "%%41",
            "a%2Fb%3d%3D",
            "%FF",
            "%C3%A9",
            "%C3",
            "é%20",
            "%e2%82%ac",
            "100%",
            "x%",
            "%%",
            "%41%",
        ] {
            assert_eq!(
                percent_decode(text).map(Cow::into_owned),
                reference(text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn split_digest_reads_as_decoding_the_whole_value() {
        let key = Key::from(&[5u8; 64]);
        let codec = CookieCrateCodec::new(&CookieKeyRing::new(key.clone()), None);
        let now = || UnixTime::from_secs_f64(0.0);
        // The whole-value reading (decode, then split at byte 44) is the
        // reference; a split must give the same digest, value and verdict.
        let check = |wire: &str| {
            let whole = percent_decode(wire);
            if let Some((digest, rest)) = split_encoded(wire) {
                let digest_text = core::str::from_utf8(&digest).unwrap();
                let rest = percent_decode(rest);
                let joined = rest.as_ref().map(|rest| format!("{digest_text}{rest}"));
                assert_eq!(joined.as_deref(), whole.as_deref(), "{wire:?}");
                if let (Some(whole), Some(rest)) = (whole, rest) {
                    let (value, m) = codec.verify(&whole, now).unzip();
                    assert_eq!(m, codec.verify_split(&digest, &rest, now), "{wire:?}");
                    if let Some(value) = value {
                        assert_eq!(value, rest, "{wire:?}");
                    }
                }
            }
        };
        let signed = Cookie::new("n", jar_signed(&key, "n", "a b/é%"))
            .encoded()
            .to_string();
        let signed = &signed[2..];
        check(signed);
        for cut in 0..signed.len() {
            if signed.is_char_boundary(cut) {
                check(&signed[..cut]);
            }
        }
        const PIECES: [&str; 12] = [
            "A", "/", "%2F", "%2f", "%3D", "%", "%4", "%g1", "é", "%C3%A9", "%FF", "=",
        ];
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..5_000 {
            let mut wire = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for _ in 0..(state % 60) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                wire.push_str(PIECES[usize::try_from(state % 12).unwrap()]);
            }
            check(&wire);
        }
        assert!(split_encoded(&"A".repeat(43)).is_none());
        assert_eq!(
            split_encoded(&format!("{}%3Dxyz", "A".repeat(43))).map(|(_, rest)| rest),
            Some("xyz")
        );
    }

    #[test]
    fn percent_encoding_matches_the_percent_encoding_crate() {
        let reference = |text: &str| utf8_percent_encode(text, COOKIE).to_string();
        let mut every: String = (0u8..0x80).map(char::from).collect();
        every.push_str("é€\u{10FFFF}\u{80}");
        for text in ["", "plain", "a b", "%", "x=y;z", &every] {
            assert_eq!(percent_encode(text), reference(text), "{text:?}");
        }
        for c in every.chars() {
            let text = format!("a{c}b{c}{c}");
            assert_eq!(percent_encode(&text), reference(&text), "{c:?}");
        }
    }

    #[test]
    fn percent_encoding_matches_cookie_rs() {
        for value in ["plain", "a b;c=d/e+f%g", "é\"\\,()"] {
            let expected = Cookie::new("n", value).encoded().to_string();
            assert_eq!(format!("n={}", percent_encode(value)), expected);
            assert_eq!(percent_decode(&percent_encode(value)).unwrap(), value);
        }
    }
}
