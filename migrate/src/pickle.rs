//! The session dict Django's cache backends store: a pickle.
//!
//! Django's `RedisCache` pickles every value but a plain `int` with
//! `pickle.HIGHEST_PROTOCOL` (5 on Python 3.8+); django-redis pickles with
//! `pickle.DEFAULT_PROTOCOL` (4) unless `PICKLE_VERSION` says otherwise. The
//! cache session engine stores the session dict unsigned, so the only value
//! that depends on the key is the `_auth_user_hash` string.
//!
//! Nothing here unpickles anything: a small reader walks the opcodes of
//! protocols 2 to 5 without running them (classes are never looked up, so a
//! hostile pickle can do nothing), keeps track of what is on the stack, and
//! finds the byte range of the top-level dict's `_auth_user_hash` string.
//! The hash is rewritten in place, which is safe exactly when:
//!
//! - the whole value is one pickle whose result is a dict (anything else —
//!   another serializer, compression, trailing bytes, an opcode the reader
//!   does not know — is refused);
//! - the key occurs once, its value is a `str` written literally, and that
//!   string object is not referenced again (through the memo or `DUP`), so
//!   changing its bytes changes nothing else;
//! - the new hash has the same length (same algorithm: 64 hex digits for
//!   SHA-256), so no length prefix or frame size changes.
//!
//! Python's `pickle.dumps` of the dict with the new hash gives the same bytes
//! (checked against pickles made by Django's session store with both
//! backends: `tests/data/`).

use std::collections::HashMap;
use std::ops::Range;

/// Why a cache value cannot be rewritten safely.
///
/// # Example
///
/// ```
/// use signring_migrate::pickle::{PickleError, SessionPickle};
/// assert_eq!(SessionPickle::parse(b"{\"json\": 1}").unwrap_err(), PickleError::NotPickle);
/// assert_eq!(PickleError::NotPickle.reason(), "not_pickle");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PickleError {
    /// Not a pickle of protocol 2 or later: another serializer (JSON,
    /// msgpack), compressed, or an `int` stored raw.
    #[error("not a pickle (another serializer, or compressed)")]
    NotPickle,
    /// A pickle this reader does not follow, truncated, or whose result is not
    /// a dict.
    #[error("a pickle that is not a plain session dict")]
    Unsupported,
    /// `_auth_user_hash` is not a `str` written once and used once.
    #[error("the auth hash cannot be rewritten in place")]
    UnsafeHash,
    /// `_auth_user_id` is not a `str`, or occurs twice.
    #[error("the user id is not a string")]
    UserId,
}

impl PickleError {
    /// A word for the report: `not_pickle`, `pickle_unsupported`,
    /// `auth_hash_unsafe` or `user_id`.
    #[must_use]
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotPickle => "not_pickle",
            Self::Unsupported => "pickle_unsupported",
            Self::UnsafeHash => "auth_hash_unsafe",
            Self::UserId => "user_id",
        }
    }
}

/// The parts of a pickled session dict the migration needs.
///
/// # Example
///
/// ```
/// use signring_migrate::pickle::SessionPickle;
/// // pickle.dumps({"_auth_user_id": "1", "_auth_user_hash": "ab"}, 4)
/// let value = b"\x80\x04\x95\x30\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x0d_auth_user_id\x94\x8c\x011\x94\x8c\x0f_auth_user_hash\x94\x8c\x02ab\x94u.";
/// let session = SessionPickle::parse(value)?;
/// assert_eq!(session.user_id.as_deref(), Some("1"));
/// assert_eq!(session.auth_hash.as_ref().map(|h| h.text.as_str()), Some("ab"));
/// let rewritten = session.with_auth_hash(value, "cd").unwrap();
/// assert_eq!(SessionPickle::parse(&rewritten)?.auth_hash.unwrap().text, "cd");
/// assert!(session.with_auth_hash(value, "longer").is_none());
/// # Ok::<(), signring_migrate::pickle::PickleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionPickle {
    /// `_auth_user_id`, when the session has a user.
    pub user_id: Option<String>,
    /// `_auth_user_hash`, when present.
    pub auth_hash: Option<AuthHashSpan>,
}

/// Where the `_auth_user_hash` string's bytes are.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthHashSpan {
    /// The byte range of the string's UTF-8 content in the pickle.
    pub range: Range<usize>,
    /// The string.
    pub text: String,
}

impl core::fmt::Debug for AuthHashSpan {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AuthHashSpan {{ range: {:?} }}", self.range)
    }
}

impl SessionPickle {
    /// Reads a pickled session dict.
    ///
    /// # Errors
    ///
    /// [`PickleError`] for anything that is not a plain pickled dict, or
    /// whose auth hash or user id cannot be used safely.
    pub fn parse(value: &[u8]) -> Result<Self, PickleError> {
        let mut reader = Reader::new(value)?;
        let dict = reader.run()?;
        let mut user_id = None;
        let mut auth_hash = None;
        for (key, item) in &reader.dicts[dict] {
            let Item::Str { start, end, .. } = key else {
                continue;
            };
            match &value[*start..*end] {
                b"_auth_user_id" => {
                    let Item::Str { start, end, .. } = item else {
                        return Err(PickleError::UserId);
                    };
                    let text = std::str::from_utf8(&value[*start..*end])
                        .map_err(|_| PickleError::UserId)?;
                    if user_id.replace(text.to_owned()).is_some() {
                        return Err(PickleError::UserId);
                    }
                }
                b"_auth_user_hash" => {
                    let Item::Str { id, start, end } = item else {
                        return Err(PickleError::UnsafeHash);
                    };
                    let text = std::str::from_utf8(&value[*start..*end])
                        .map_err(|_| PickleError::UnsafeHash)?;
                    let span = AuthHashSpan {
                        range: *start..*end,
                        text: text.to_owned(),
                    };
                    if reader.uses[*id] != 1 || auth_hash.replace(span).is_some() {
                        return Err(PickleError::UnsafeHash);
                    }
                }
                _ => {}
            }
        }
        Ok(Self { user_id, auth_hash })
    }

    /// `value` with the auth hash replaced by `hash`; `None` when there is no
    /// hash or `hash` has another length in bytes.
    #[must_use]
    pub fn with_auth_hash(&self, value: &[u8], hash: &str) -> Option<Vec<u8>> {
        let span = self.auth_hash.as_ref()?;
        if span.range.len() != hash.len() || span.range.end > value.len() {
            return None;
        }
        let mut out = value.to_vec();
        out[span.range.clone()].copy_from_slice(hash.as_bytes());
        Some(out)
    }
}

/// What the reader keeps on its stack.
#[derive(Debug, Clone)]
enum Item {
    Mark,
    /// A `str`: object number (for counting references) and content bytes.
    Str {
        id: usize,
        start: usize,
        end: usize,
    },
    /// A dict, by number in `Reader::dicts`.
    Dict(usize),
    /// Anything else.
    Other,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Item>,
    memo: HashMap<u64, Item>,
    /// For each `str` object, how many times it was pushed.
    uses: Vec<u32>,
    /// The items set in each dict, in order.
    dicts: Vec<Vec<(Item, Item)>>,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Result<Self, PickleError> {
        match data {
            [0x80, 2..=5, ..] => Ok(Self {
                data,
                pos: 2,
                stack: Vec::new(),
                memo: HashMap::new(),
                uses: Vec::new(),
                dicts: Vec::new(),
            }),
            _ => Err(PickleError::NotPickle),
        }
    }

    /// Runs to `STOP`; the number of the dict it returns.
    fn run(&mut self) -> Result<usize, PickleError> {
        use PickleError::Unsupported as Bad;
        loop {
            let op = self.byte()?;
            match op {
                b'.' => {
                    let result = self.pop()?;
                    return match result {
                        Item::Dict(dict)
                            if self.stack.is_empty() && self.pos == self.data.len() =>
                        {
                            Ok(dict)
                        }
                        _ => Err(Bad),
                    };
                }
                0x95 => {
                    self.take(8)?; // FRAME: a length hint
                }
                b'(' => self.stack.push(Item::Mark),
                b'}' => self.new_dict(Vec::new()),
                b'd' => {
                    let items = self.pop_mark()?;
                    let pairs = pairs(items)?;
                    self.new_dict(pairs);
                }
                b's' => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    self.set_items(vec![(key, value)])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let pairs = pairs(items)?;
                    self.set_items(pairs)?;
                }
                b']' | b')' | 0x8f | b'N' | 0x88 | 0x89 => self.stack.push(Item::Other),
                b'l' | b't' | 0x91 => {
                    self.pop_mark()?;
                    self.stack.push(Item::Other);
                }
                b'a' => {
                    self.pop()?;
                    self.top()?;
                }
                b'e' | 0x90 => {
                    self.pop_mark()?;
                    self.top()?;
                }
                0x85..=0x87 => {
                    for _ in 0..(op - 0x84) {
                        self.pop()?;
                    }
                    self.stack.push(Item::Other);
                }
                b'K' | 0x82 => self.other(1)?,
                b'M' | 0x83 => self.other(2)?,
                b'J' | 0x84 => self.other(4)?,
                b'G' => self.other(8)?,
                0x8a => {
                    let n = self.le(1)?;
                    self.other(n)?;
                }
                0x8b => {
                    let n = self.le(4)?;
                    self.other(n)?;
                }
                0x8c => {
                    let n = self.le(1)?;
                    self.string(n)?;
                }
                b'X' => {
                    let n = self.le(4)?;
                    self.string(n)?;
                }
                0x8d => {
                    let n = self.le(8)?;
                    self.string(n)?;
                }
                b'C' | b'U' => {
                    let n = self.le(1)?;
                    self.other(n)?;
                }
                b'B' | b'T' => {
                    let n = self.le(4)?;
                    self.other(n)?;
                }
                0x8e | 0x96 => {
                    let n = self.le(8)?;
                    self.other(n)?;
                }
                0x94 => {
                    let item = self.top()?.clone();
                    let index = self.memo.len() as u64;
                    self.memo.insert(index, item);
                }
                b'q' => {
                    let index = self.le(1)? as u64;
                    let item = self.top()?.clone();
                    self.memo.insert(index, item);
                }
                b'r' => {
                    let index = self.le(4)? as u64;
                    let item = self.top()?.clone();
                    self.memo.insert(index, item);
                }
                b'h' => {
                    let index = self.le(1)? as u64;
                    self.get(index)?;
                }
                b'j' => {
                    let index = self.le(4)? as u64;
                    self.get(index)?;
                }
                b'2' => {
                    let item = self.top()?.clone();
                    self.push_again(item);
                }
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'c' => {
                    // GLOBAL: module and name, each ending in a newline.
                    for _ in 0..2 {
                        let rest = self.data.get(self.pos..).ok_or(Bad)?;
                        let newline = rest.iter().position(|&b| b == b'\n').ok_or(Bad)?;
                        self.pos += newline + 1;
                    }
                    self.stack.push(Item::Other);
                }
                0x93 | b'R' | 0x81 => {
                    // STACK_GLOBAL, REDUCE, NEWOBJ: two in, one out; nothing runs.
                    self.pop()?;
                    self.pop()?;
                    self.stack.push(Item::Other);
                }
                0x92 => {
                    for _ in 0..3 {
                        self.pop()?;
                    }
                    self.stack.push(Item::Other);
                }
                b'b' => {
                    self.pop()?;
                    if !matches!(self.top()?, Item::Other) {
                        return Err(Bad);
                    }
                }
                _ => return Err(Bad),
            }
        }
    }

    fn byte(&mut self) -> Result<u8, PickleError> {
        let byte = *self.data.get(self.pos).ok_or(PickleError::Unsupported)?;
        self.pos += 1;
        Ok(byte)
    }

    fn take(&mut self, n: usize) -> Result<Range<usize>, PickleError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len())
            .ok_or(PickleError::Unsupported)?;
        let range = self.pos..end;
        self.pos = end;
        Ok(range)
    }

    /// A little-endian unsigned integer of `n` bytes.
    fn le(&mut self, n: usize) -> Result<usize, PickleError> {
        let range = self.take(n)?;
        let mut value: u64 = 0;
        for (i, byte) in self.data[range].iter().enumerate() {
            value |= u64::from(*byte) << (8 * i);
        }
        usize::try_from(value).map_err(|_| PickleError::Unsupported)
    }

    fn other(&mut self, n: usize) -> Result<(), PickleError> {
        self.take(n)?;
        self.stack.push(Item::Other);
        Ok(())
    }

    fn string(&mut self, n: usize) -> Result<(), PickleError> {
        let range = self.take(n)?;
        let id = self.uses.len();
        self.uses.push(1);
        self.stack.push(Item::Str {
            id,
            start: range.start,
            end: range.end,
        });
        Ok(())
    }

    fn new_dict(&mut self, pairs: Vec<(Item, Item)>) {
        self.dicts.push(pairs);
        self.stack.push(Item::Dict(self.dicts.len() - 1));
    }

    fn set_items(&mut self, pairs: Vec<(Item, Item)>) -> Result<(), PickleError> {
        match self.top()? {
            Item::Dict(dict) => {
                let dict = *dict;
                self.dicts[dict].extend(pairs);
                Ok(())
            }
            Item::Other => Ok(()),
            _ => Err(PickleError::Unsupported),
        }
    }

    fn get(&mut self, index: u64) -> Result<(), PickleError> {
        let item = self
            .memo
            .get(&index)
            .cloned()
            .ok_or(PickleError::Unsupported)?;
        self.push_again(item);
        Ok(())
    }

    /// Pushes an object already seen: a string used twice can no longer be
    /// rewritten alone.
    fn push_again(&mut self, item: Item) {
        if let Item::Str { id, .. } = item {
            self.uses[id] = self.uses[id].saturating_add(1);
        }
        self.stack.push(item);
    }

    fn pop(&mut self) -> Result<Item, PickleError> {
        match self.stack.pop() {
            Some(Item::Mark) | None => Err(PickleError::Unsupported),
            Some(item) => Ok(item),
        }
    }

    fn top(&self) -> Result<&Item, PickleError> {
        match self.stack.last() {
            Some(Item::Mark) | None => Err(PickleError::Unsupported),
            Some(item) => Ok(item),
        }
    }

    fn pop_mark(&mut self) -> Result<Vec<Item>, PickleError> {
        let mark = self
            .stack
            .iter()
            .rposition(|item| matches!(item, Item::Mark))
            .ok_or(PickleError::Unsupported)?;
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        Ok(items)
    }
}

/// Key-value pairs from a flat list.
fn pairs(items: Vec<Item>) -> Result<Vec<(Item, Item)>, PickleError> {
    if !items.len().is_multiple_of(2) {
        return Err(PickleError::Unsupported);
    }
    let mut pairs = Vec::with_capacity(items.len() / 2);
    let mut items = items.into_iter();
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        pairs.push((key, value));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pickle.dumps({"_auth_user_id": "1", "_auth_user_hash": "ab"}, 5)`
    const SIMPLE: &[u8] = b"\x80\x05\x95\x30\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x0d_auth_user_id\x94\x8c\x011\x94\x8c\x0f_auth_user_hash\x94\x8c\x02ab\x94u.";

    #[test]
    fn finds_the_hash_and_user() {
        let session = SessionPickle::parse(SIMPLE).unwrap();
        assert_eq!(session.user_id.as_deref(), Some("1"));
        let span = session.auth_hash.unwrap();
        assert_eq!(&SIMPLE[span.range], b"ab");
    }

    #[test]
    fn refuses_what_it_cannot_rewrite_safely() {
        // Truncated, trailing bytes, not a dict.
        assert_eq!(
            SessionPickle::parse(&SIMPLE[..SIMPLE.len() - 1]),
            Err(PickleError::Unsupported)
        );
        let mut trailing = SIMPLE.to_vec();
        trailing.push(b'.');
        assert_eq!(
            SessionPickle::parse(&trailing),
            Err(PickleError::Unsupported)
        );
        assert_eq!(
            SessionPickle::parse(b"\x80\x04N."),
            Err(PickleError::Unsupported)
        );
        // An int stored raw, zlib, JSON, protocol 0.
        for value in [&b"42"[..], b"\x78\x9c\x01", b"{}", b"(dp0\n."] {
            assert_eq!(SessionPickle::parse(value), Err(PickleError::NotPickle));
        }
        // The hash string referenced a second time through the memo.
        let shared = b"\x80\x04}\x94(\x8c\x0f_auth_user_hash\x94\x8c\x02ab\x94\x8c\x01x\x94h\x02u.";
        assert_eq!(SessionPickle::parse(shared), Err(PickleError::UnsafeHash));
        // The hash as bytes, not str.
        let bytes = b"\x80\x04}\x94(\x8c\x0f_auth_user_hash\x94C\x02ab\x94u.";
        assert_eq!(SessionPickle::parse(bytes), Err(PickleError::UnsafeHash));
    }

    #[test]
    fn opaque_objects_are_walked_not_run() {
        // {"when": datetime.datetime(2024, 1, 1), "_auth_user_hash": "ab"}, protocol 4
        let value = b"\x80\x04\x95\x4c\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x04when\x94\x8c\x08datetime\x94\x8c\x08datetime\x94\x93\x94C\x0a\x07\xe8\x01\x01\x00\x00\x00\x00\x00\x00\x94\x85\x94R\x94\x8c\x0f_auth_user_hash\x94\x8c\x02ab\x94u.";
        let session = SessionPickle::parse(value).unwrap();
        assert_eq!(session.auth_hash.unwrap().text, "ab");
    }

    #[test]
    fn never_panics_on_any_prefix_or_byte_flip() {
        for end in 0..SIMPLE.len() {
            let _ = SessionPickle::parse(&SIMPLE[..end]);
        }
        for i in 0..SIMPLE.len() {
            for bit in 0..8 {
                let mut flipped = SIMPLE.to_vec();
                flipped[i] ^= 1 << bit;
                let _ = SessionPickle::parse(&flipped);
            }
        }
    }
}
