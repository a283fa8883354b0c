//! `signring resign`: re-sign a stream of values with the current key.
//!
//! One value per input line, one output line per input line, so line numbers
//! stay aligned: the value itself when it is fresh (byte for byte), the value
//! re-signed with the current key when it is stale, `!error KIND` when it does
//! not verify. The signed text is kept as it was, so a re-signed value keeps
//! its timestamp and expires when the original would have. A line longer than
//! [`DEFAULT_MAX_INPUT_LEN`] (which the library would refuse as malformed) is
//! never held in memory: it is skipped up to its newline and gives
//! `!error malformed`.
//!
//! Sessions are re-signed without touching their contents: a signed-format
//! session keeps its payload and timestamp and gets a new signature
//! (`TimestampSigner::resign` with the backend's salt, once the codec has
//! decoded it); a session that has to change format (legacy to signed, or to
//! legacy under a profile that writes it) is decoded and encoded again, at the
//! current time since the legacy format has no timestamp. `_auth_user_hash` is
//! not rewritten: that needs the user's password hash (`signring django
//! session rotate`).

use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal as _, Read as _, Write as _};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use signring::django::{
    SessionBackend, SessionCodec, SessionFormat, SignedCookie, quote_cookie_value,
    unquote_cookie_value,
};
use signring::{
    DEFAULT_MAX_INPUT_LEN, DUMPS_SALT, DjangoVersion, KeyRing, Signer, TimestampSigner, UnixTime,
};

use crate::django::{bool_setting, hashing_algorithm, setting};
use crate::{Common, Failure, configure, error_kind};

/// What the values on stdin are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// `Signer` (default salt `django.core.signing.Signer`).
    Signer,
    /// `TimestampSigner` (default salt `django.core.signing.TimestampSigner`).
    Timestamp,
    /// `signing.dumps` (default salt `django.core.signing`); payloads are checked.
    Dumps,
    /// Session data of the `--backend` session backend.
    Session,
    /// The signed cookie `--name` (`--salt` is its salt argument).
    Cookie,
}

impl Format {
    /// `--format`, with `--timestamp` as a shorthand for `--format timestamp`.
    pub(crate) fn choose(format: Option<Format>, timestamp: bool) -> Result<Format, Failure> {
        match (format, timestamp) {
            (None, false) => Ok(Format::Signer),
            (None, true) => Ok(Format::Timestamp),
            (Some(Format::Signer), true) => Err(Failure::Config(
                "--timestamp contradicts --format signer".into(),
            )),
            (Some(format), _) => Ok(format),
        }
    }
}

/// The options of `signring resign`.
#[derive(Debug)]
pub(crate) struct Options<'a> {
    pub(crate) format: Format,
    pub(crate) salt: Option<&'a str>,
    pub(crate) name: Option<&'a str>,
    pub(crate) backend: SessionBackend,
}

/// What became of one value.
enum Outcome {
    /// Verified with the current key and format: printed unchanged.
    Fresh,
    /// Verified otherwise: printed re-signed.
    Resigned(String),
    /// Did not verify: `!error KIND`.
    Failed(&'static str),
}

/// One signer (or codec) per run, built before the first line is read.
enum Resigner {
    Plain(Signer),
    Timed(TimestampSigner),
    Object(TimestampSigner),
    Session {
        codec: SessionCodec,
        signer: TimestampSigner,
    },
    Cookie(SignedCookie),
}

impl Resigner {
    fn new(ring: &KeyRing, version: DjangoVersion, options: &Options<'_>) -> Result<Self, Failure> {
        if options.name.is_some() && options.format != Format::Cookie {
            return Err(Failure::Config(
                "--name applies to --format cookie only".into(),
            ));
        }
        let common = Common {
            salt: options.salt.map(str::to_owned),
            sep: ":".to_owned(),
            algorithm: None,
        };
        let algorithm = hashing_algorithm(version)?;
        Ok(match options.format {
            Format::Signer => {
                Self::Plain(configure(Signer::builder(ring), &common, None, version)?.build()?)
            }
            Format::Timestamp => Self::Timed(
                configure(TimestampSigner::builder(ring), &common, None, version)?.build()?,
            ),
            Format::Dumps => Self::Object(
                configure(
                    TimestampSigner::builder(ring),
                    &common,
                    Some(DUMPS_SALT),
                    version,
                )?
                .build()?,
            ),
            Format::Session => {
                if options.salt.is_some() {
                    return Err(Failure::Config(
                        "--salt does not apply to --format session (the backend decides it)".into(),
                    ));
                }
                let mut builder = SessionCodec::builder(ring)
                    .backend(options.backend)
                    .django(version);
                if let Some(age) = setting::<i64>("SESSION_COOKIE_AGE")? {
                    builder = builder.session_cookie_age(age);
                }
                if let Some(algorithm) = algorithm {
                    builder = builder.algorithm(algorithm);
                }
                let codec = builder.build()?;
                // The codec's own salt: what it verifies is what this signer re-signs.
                let mut signer = TimestampSigner::builder(ring)
                    .salt(codec.salt())
                    .django(version);
                if let Some(algorithm) = algorithm {
                    signer = signer.algorithm(algorithm);
                }
                Self::Session {
                    codec,
                    signer: signer.build()?,
                }
            }
            Format::Cookie => {
                let name = options
                    .name
                    .ok_or_else(|| Failure::Config("--format cookie needs --name".into()))?;
                let mut builder = SignedCookie::builder(ring, name)
                    .salt(options.salt.unwrap_or(""))
                    .django(version);
                if let Some(fallback) = bool_setting("SIGNED_COOKIE_LEGACY_SALT_FALLBACK")? {
                    builder = builder.legacy_salt_fallback(fallback);
                }
                if let Some(algorithm) = algorithm {
                    builder = builder.algorithm(algorithm);
                }
                Self::Cookie(builder.build()?)
            }
        })
    }

    fn resign(&self, value: &str, now: UnixTime) -> Outcome {
        match self {
            Self::Plain(signer) => match signer.unsign(value) {
                Ok(verified) if !verified.is_stale() => Outcome::Fresh,
                Ok(verified) => resigned(signer.resign(&verified)),
                Err(error) => Outcome::Failed(error_kind(&error)),
            },
            Self::Timed(signer) => match signer.unsign_at(value, now) {
                Ok(verified) if !verified.is_stale() => Outcome::Fresh,
                Ok(verified) => resigned(signer.resign(&verified)),
                Err(error) => Outcome::Failed(error_kind(&error)),
            },
            // The payload is parsed (without building a tree) so that what
            // `loads` refuses is reported, not carried over.
            Self::Object(signer) => {
                match signer.unsign_object_at::<serde::de::IgnoredAny>(value, now) {
                    Ok(verified) if !verified.is_stale() => Outcome::Fresh,
                    Ok(verified) => resigned(signer.resign(&verified)),
                    Err(error) => Outcome::Failed(error_kind(&error)),
                }
            }
            Self::Session { codec, signer } => resign_session(codec, signer, value, now),
            Self::Cookie(cookie) => {
                let quoted = value.starts_with('"');
                let unquoted;
                let cookie_value = if quoted {
                    unquoted = unquote_cookie_value(value);
                    unquoted.as_str()
                } else {
                    value
                };
                match cookie.unsign_at(cookie_value, now) {
                    Ok(verified) if !verified.record.stale => Outcome::Fresh,
                    Ok(verified) => match cookie.resign(&verified) {
                        Ok(fresh) if quoted => Outcome::Resigned(quote_cookie_value(&fresh)),
                        result => resigned(result),
                    },
                    Err(error) => Outcome::Failed(error_kind(&error)),
                }
            }
        }
    }
}

/// The outcome of re-signing a stale value.
fn resigned(result: Result<String, signring::Error>) -> Outcome {
    match result {
        Ok(fresh) => Outcome::Resigned(fresh),
        Err(error) => Outcome::Failed(error_kind(&error)),
    }
}

fn resign_session(
    codec: &SessionCodec,
    signer: &TimestampSigner,
    value: &str,
    now: UnixTime,
) -> Outcome {
    let decoded = match codec.decode_at(value, now) {
        Ok(decoded) if !decoded.record.stale => return Outcome::Fresh,
        Ok(decoded) => decoded,
        Err(error) => return Outcome::Failed(error_kind(&error)),
    };
    if decoded.format == SessionFormat::Signed && codec.writes() == SessionFormat::Signed {
        // Same format: a new signature over the same payload and timestamp.
        return match signer.unsign_at(value, now) {
            Ok(verified) => resigned(signer.resign(&verified)),
            Err(error) => Outcome::Failed(error_kind(&error)),
        };
    }
    match codec.encode_at(&decoded.session, now) {
        Ok(data) => Outcome::Resigned(data),
        Err(error) => Outcome::Failed(error_kind(&error)),
    }
}

/// How often the progress line may be redrawn, and how many lines go by
/// between looks at the clock.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);
const PROGRESS_CHECK_LINES: u64 = 4096;

#[derive(Default)]
struct Totals {
    read: u64,
    fresh: u64,
    resigned: u64,
    failed: u64,
}

impl Totals {
    fn summary(&self) -> String {
        format!(
            "resign: {} read, {} fresh, {} re-signed, {} failed",
            self.read, self.fresh, self.resigned, self.failed
        )
    }
}

pub(crate) fn run(
    ring: &KeyRing,
    version: DjangoVersion,
    options: &Options<'_>,
) -> Result<(), Failure> {
    let resigner = Resigner::new(ring, version, options)?;
    let now = UnixTime::now();
    let progress = std::io::stderr().is_terminal();
    let mut input = BufReader::with_capacity(1 << 16, std::io::stdin().lock());
    let mut output = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut totals = Totals::default();
    let mut line = Vec::with_capacity(256);
    let mut last_drawn = Instant::now();
    let written = (|| -> std::io::Result<()> {
        loop {
            let outcome = match read_line(&mut input, &mut line, DEFAULT_MAX_INPUT_LEN)? {
                Line::End => break,
                // What the library says of an input over its limit.
                Line::TooLong => Outcome::Failed("malformed"),
                Line::Value => match std::str::from_utf8(&line) {
                    Ok(text) => resigner.resign(text, now),
                    Err(_) => Outcome::Failed("malformed"),
                },
            };
            let value = line.as_slice();
            totals.read += 1;
            match outcome {
                Outcome::Fresh => {
                    totals.fresh += 1;
                    output.write_all(value)?;
                }
                Outcome::Resigned(signed) => {
                    totals.resigned += 1;
                    output.write_all(signed.as_bytes())?;
                }
                Outcome::Failed(kind) => {
                    totals.failed += 1;
                    output.write_all(b"!error ")?;
                    output.write_all(kind.as_bytes())?;
                }
            }
            output.write_all(b"\n")?;
            if progress
                && totals.read % PROGRESS_CHECK_LINES == 0
                && last_drawn.elapsed() >= PROGRESS_EVERY
            {
                last_drawn = Instant::now();
                eprint!("\r{}", totals.summary());
            }
        }
        output.flush()
    })();
    if progress {
        // Clear the progress line before the totals.
        eprint!("\r\x1b[K");
    }
    eprintln!("{}", totals.summary());
    match written {
        Ok(()) if totals.failed == 0 => Ok(()),
        Ok(()) => Err(Failure::Silent),
        // A reader that went away (`| head`) is not an error worth a message.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::Silent),
        Err(error) => Err(Failure::Config(format!(
            "resign: I/O error: {}",
            error.kind()
        ))),
    }
}

/// What [`read_line`] found.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// The end of the input.
    End,
    /// A line of at most the limit, now in the buffer without its `\n` or `\r\n`.
    Value,
    /// A line longer than the limit, skipped up to and including its `\n`;
    /// the buffer is empty.
    TooLong,
}

/// Reads the next line into `line`, holding at most `limit` bytes of it (plus
/// the line ending) in memory: a longer line is skipped without being buffered,
/// so a single huge line cannot exhaust memory, and reading goes on after it.
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>, limit: usize) -> io::Result<Line> {
    line.clear();
    // The value, a `\r` and the `\n`.
    let most = u64::try_from(limit.saturating_add(2)).unwrap_or(u64::MAX);
    let read = input.by_ref().take(most).read_until(b'\n', line)?;
    if read == 0 {
        return Ok(Line::End);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    } else if u64::try_from(read).unwrap_or(u64::MAX) >= most {
        // Cut short by the limit: drop the rest of the line unread.
        input.skip_until(b'\n')?;
        line.clear();
        return Ok(Line::TooLong);
    } else if line.last() == Some(&b'\r') {
        // The last line, without a `\n`.
        line.pop();
    }
    if line.len() > limit {
        line.clear();
        return Ok(Line::TooLong);
    }
    Ok(Line::Value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line `read_line` finds in `input`, with what the buffer held.
    fn lines(input: &[u8], limit: usize) -> Vec<(Line, Vec<u8>)> {
        let mut reader = BufReader::with_capacity(4, input);
        let mut line = Vec::new();
        let mut found = Vec::new();
        loop {
            match read_line(&mut reader, &mut line, limit).unwrap() {
                Line::End => return found,
                kind => found.push((kind, line.clone())),
            }
        }
    }

    #[test]
    fn lines_up_to_the_limit_are_read_and_longer_ones_skipped() {
        let value = |text: &str| (Line::Value, text.as_bytes().to_vec());
        let too_long = || (Line::TooLong, Vec::new());
        assert_eq!(
            lines(b"12345678\n123456789\nabc\n", 8),
            [value("12345678"), too_long(), value("abc")]
        );
        // The line ending does not count, whichever it is.
        assert_eq!(
            lines(b"12345678\r\n123456789\r\n\r\n", 8),
            [value("12345678"), too_long(), value("")]
        );
        // Far over the limit, and the last line without a newline.
        let mut input = vec![b'x'; 10_000];
        input.extend_from_slice(b"\nok\n");
        input.extend_from_slice(&[b'y'; 9]);
        assert_eq!(lines(&input, 8), [too_long(), value("ok"), too_long()]);
        assert_eq!(lines(b"12345678", 8), [value("12345678")]);
        assert_eq!(lines(b"12345678\r", 8), [value("12345678")]);
        assert_eq!(lines(b"123456789\r", 8), [too_long()]);
        assert_eq!(lines(b"1234567890", 8), [too_long()]);
        assert_eq!(lines(b"", 8), []);
        assert_eq!(lines(b"\n\n", 0), [value(""), value("")]);
        assert_eq!(lines(b"a\n", 0), [too_long()]);
    }

    #[test]
    fn an_over_long_line_is_never_held_in_memory() {
        let mut input = vec![b'x'; 1 << 20];
        input.extend_from_slice(b"\nnext\n");
        let mut reader = BufReader::with_capacity(64, input.as_slice());
        let mut line = Vec::new();
        assert_eq!(
            read_line(&mut reader, &mut line, 16).unwrap(),
            Line::TooLong
        );
        assert!(line.capacity() <= 64, "{}", line.capacity());
        assert_eq!(read_line(&mut reader, &mut line, 16).unwrap(), Line::Value);
        assert_eq!(line, b"next");
    }
}
