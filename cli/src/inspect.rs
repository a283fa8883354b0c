//! `signring inspect VALUE`: which format, salt and key verified a value.
//!
//! Every known format is tried in a fixed order, each under the `--django`
//! profile plus the older formats that profile no longer reads (inspecting is
//! diagnostic). Nothing is checked against a `max_age`: the timestamp and the
//! age are reported instead. The first format that verifies wins.

use signring::django::{
    MessagesCookie, MessagesFormat, SessionBackend, SessionCodec, SessionFormat, SignedCookie,
    unquote_cookie_value,
};
use signring::json::{Map, Value};
use signring::{
    Algorithm, ConfigError, DUMPS_SALT, DjangoVersion, Error, KeyRing, Signer, TimestampSigner,
    UnixTime,
};

use crate::django::{entries_json, hashing_algorithm};
use crate::{Failure, print_json};

/// What verified the value.
struct Found {
    format: &'static str,
    salt: String,
    key_index: usize,
    stale: bool,
    timestamp: Option<i64>,
    value: Value,
    /// A remark for the human output only.
    note: Option<String>,
}

/// The signers and codecs tried, built once.
struct Inspector<'r> {
    ring: &'r KeyRing,
    version: DjangoVersion,
    algorithm: Option<Algorithm>,
    now: UnixTime,
}

pub(crate) fn run(
    ring: &KeyRing,
    version: DjangoVersion,
    value: &str,
    name: Option<&str>,
    salt: Option<&str>,
    json: bool,
) -> Result<(), Failure> {
    let inspector = Inspector {
        ring,
        version,
        algorithm: hashing_algorithm(version)?,
        now: UnixTime::now(),
    };
    let found = inspector.find(value, name, salt)?;
    let Some(found) = found else {
        return Err(Failure::Verification(Error::BadSignature, json));
    };
    let key_id = ring
        .id(found.key_index)
        .map_or(String::new(), |id| id.as_str().to_owned());
    if json {
        let mut map = Map::new();
        map.insert("ok".into(), Value::Bool(true));
        map.insert("format".into(), text(found.format));
        map.insert("salt".into(), text(&found.salt));
        map.insert("key_index".into(), Value::Integer(found.key_index as i128));
        map.insert("key_id".into(), text(&key_id));
        map.insert("stale".into(), Value::Bool(found.stale));
        map.insert(
            "timestamp".into(),
            found
                .timestamp
                .map_or(Value::Null, |t| Value::Integer(t.into())),
        );
        map.insert("value".into(), found.value);
        print_json(&Value::Object(map));
        return Ok(());
    }
    let role = ring.role(found.key_index).map_or("?", |r| r.as_str());
    println!("format: {}", found.format);
    println!("salt: {}", found.salt);
    println!("key_index: {}", found.key_index);
    println!("key_id: {key_id}");
    println!("key_role: {role}");
    println!("stale: {}", found.stale);
    match found.timestamp {
        Some(timestamp) => {
            let age = age(inspector.now, timestamp);
            println!(
                "timestamp: {timestamp} ({})",
                crate::plan::iso_utc(timestamp)
            );
            println!("age: {age} s");
        }
        None => println!("timestamp: none"),
    }
    match &found.value {
        Value::String(text) => println!("value: {text}"),
        other => {
            let text = signring::json::to_string(other).unwrap_or_default();
            println!("value: {text}");
        }
    }
    if let Some(note) = found.note {
        println!("note: {note}");
    }
    Ok(())
}

fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

/// Whole seconds from `timestamp` to `now`, negative for a timestamp in the
/// future. Computed in `i128`, where the difference of two `i64` always fits:
/// a verified timestamp may be anything down to `i64::MIN` or up to
/// `i64::MAX` (base62 beyond 64 bits saturates).
fn age(now: UnixTime, timestamp: i64) -> i128 {
    let now = crate::whole_secs(now.as_secs_f64());
    i128::from(now) - i128::from(timestamp)
}

impl Inspector<'_> {
    /// A `TimestampSigner` with `salt` that also reads the SHA-1 signatures
    /// Django 3.1–3.2 accepted.
    fn timestamp_signer(&self, salt: &str) -> Result<TimestampSigner, ConfigError> {
        let mut builder = TimestampSigner::builder(self.ring)
            .salt(salt)
            .django(self.version)
            .accept_legacy_sha1(true);
        if let Some(algorithm) = self.algorithm {
            builder = builder.algorithm(algorithm);
        }
        builder.build()
    }

    fn signer(&self, salt: &str) -> Result<Signer, ConfigError> {
        let mut builder = Signer::builder(self.ring)
            .salt(salt)
            .django(self.version)
            .accept_legacy_sha1(true);
        if let Some(algorithm) = self.algorithm {
            builder = builder.algorithm(algorithm);
        }
        builder.build()
    }

    /// Tries each format in turn; `None` when nothing verified.
    fn find(
        &self,
        value: &str,
        name: Option<&str>,
        salt: Option<&str>,
    ) -> Result<Option<Found>, Failure> {
        let cookie_value = unquote_cookie_value(value);
        if let Some(salt) = salt {
            if let Some(found) = self.timestamped(value, salt)? {
                return Ok(Some(found));
            }
            if let Some(found) = self.plain(value, salt)? {
                return Ok(Some(found));
            }
        }
        if let Some(found) = self.plain(value, "")? {
            return Ok(Some(found));
        }
        if let Some(found) = self.timestamped(value, "")? {
            return Ok(Some(found));
        }
        if let Some(found) = self.dumps(value)? {
            return Ok(Some(found));
        }
        if let Some(found) = self.session(value, SessionBackend::Db)? {
            return Ok(Some(found));
        }
        if let Some(found) = self.session(&cookie_value, SessionBackend::SignedCookies)? {
            return Ok(Some(found));
        }
        if let Some(name) = name
            && let Some(found) = self.cookie(&cookie_value, name, salt.unwrap_or(""))?
        {
            return Ok(Some(found));
        }
        if let Some(found) = self.messages(&cookie_value)? {
            return Ok(Some(found));
        }
        // A signature that checks out under an object format's salt, over a
        // payload that format cannot read.
        let session_salt = |backend| -> Result<String, Failure> {
            let codec = SessionCodec::builder(self.ring).backend(backend).build()?;
            Ok(codec.salt().to_owned())
        };
        for (salt, format, input) in [
            (DUMPS_SALT.to_owned(), "dumps", value),
            (session_salt(SessionBackend::Db)?, "session", value),
            (
                session_salt(SessionBackend::SignedCookies)?,
                "signed_cookies_session",
                &cookie_value,
            ),
        ] {
            if let Some(mut found) = self.timestamped(input, &salt)? {
                found.note = Some(format!(
                    "the signature checks out with the {format} salt but the payload is not {format} data"
                ));
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// `Signer(salt=salt)` ("" is the default salt).
    fn plain(&self, value: &str, salt: &str) -> Result<Option<Found>, Failure> {
        let signer = self.signer(salt)?;
        Ok(signer.unsign(value).ok().map(|verified| Found {
            format: "signer",
            salt: signer.salt().to_owned(),
            key_index: verified.key_index(),
            stale: verified.is_stale(),
            timestamp: None,
            value: text(verified.value()),
            note: None,
        }))
    }

    /// `TimestampSigner(salt=salt)` ("" is the default salt), without max_age.
    fn timestamped(&self, value: &str, salt: &str) -> Result<Option<Found>, Failure> {
        let signer = self.timestamp_signer(salt)?;
        Ok(signer
            .unsign_at(value, self.now)
            .ok()
            .map(|verified| Found {
                format: "timestamp_signer",
                salt: signer.signer().salt().to_owned(),
                key_index: verified.key_index(),
                stale: verified.is_stale(),
                timestamp: verified.timestamp(),
                value: text(verified.value()),
                note: None,
            }))
    }

    /// `signing.loads(value)`, without max_age.
    fn dumps(&self, value: &str) -> Result<Option<Found>, Failure> {
        let signer = self.timestamp_signer(DUMPS_SALT)?;
        Ok(signer
            .unsign_object_at::<Value>(value, self.now)
            .ok()
            .map(|verified| Found {
                format: "dumps",
                salt: DUMPS_SALT.to_owned(),
                key_index: verified.key_index(),
                stale: verified.is_stale(),
                timestamp: verified.timestamp(),
                value: verified.into_value(),
                note: None,
            }))
    }

    /// Session data of `backend`, both formats, without the age check.
    fn session(&self, value: &str, backend: SessionBackend) -> Result<Option<Found>, Failure> {
        let cookies = backend == SessionBackend::SignedCookies;
        let mut builder = SessionCodec::builder(self.ring)
            .backend(backend)
            .django(self.version)
            .read_legacy(true)
            // Report the age instead of refusing old signed_cookies sessions.
            .session_cookie_age(i64::MAX);
        if let Some(algorithm) = self.algorithm {
            builder = builder.algorithm(algorithm);
        }
        let codec = builder.build()?;
        let Ok(decoded) = codec.decode_at(value, self.now) else {
            return Ok(None);
        };
        let (format, salt) = match (cookies, decoded.format) {
            (true, _) => ("signed_cookies_session", codec.salt()),
            (false, SessionFormat::Legacy) => ("session_legacy", codec.legacy_salt()),
            (false, _) => ("session", codec.salt()),
        };
        Ok(Some(Found {
            format,
            salt: salt.to_owned(),
            key_index: decoded.record.key_index,
            stale: decoded.record.stale,
            timestamp: decoded.record.timestamp,
            value: Value::Object(decoded.session),
            note: None,
        }))
    }

    /// The signed cookie `name` with the salt argument `salt`, both variants.
    fn cookie(&self, value: &str, name: &str, salt: &str) -> Result<Option<Found>, Failure> {
        let mut builder = SignedCookie::builder(self.ring, name)
            .salt(salt)
            .django(self.version)
            .legacy_salt_fallback(true);
        if let Some(algorithm) = self.algorithm {
            builder = builder.algorithm(algorithm);
        }
        let cookie = builder.build()?;
        let Ok(verified) = cookie.unsign_at(value, self.now) else {
            return Ok(None);
        };
        let salt = cookie
            .salt(verified.salt_variant)
            .unwrap_or_default()
            .to_owned();
        Ok(Some(Found {
            format: "signed_cookie",
            salt,
            key_index: verified.record.key_index,
            stale: verified.record.stale,
            timestamp: verified.record.timestamp,
            value: text(verified.value),
            note: Some(format!("salt variant {}", verified.salt_variant.as_str())),
        }))
    }

    /// The messages cookie, all three formats.
    fn messages(&self, value: &str) -> Result<Option<Found>, Failure> {
        let mut builder = MessagesCookie::builder(self.ring)
            .django(self.version)
            .read_older_formats(true);
        if let Some(algorithm) = self.algorithm {
            builder = builder.algorithm(algorithm);
        }
        let cookie = builder.build()?;
        let Ok(decoded) = cookie.decode_at(value, self.now) else {
            return Ok(None);
        };
        let (format, timestamp) = match decoded.format {
            MessagesFormat::Legacy => ("messages_legacy", None),
            MessagesFormat::Raw => ("messages_raw", signed_timestamp(value)),
            _ => ("messages", signed_timestamp(value)),
        };
        Ok(Some(Found {
            format,
            salt: cookie.salt().to_owned(),
            key_index: decoded.record.key_index,
            stale: decoded.record.stale,
            timestamp,
            value: entries_json(&decoded.entries, decoded.not_finished),
            note: None,
        }))
    }
}

/// The timestamp of a verified `value:timestamp:signature` (the library's
/// messages decoder does not report it).
fn signed_timestamp(signed: &str) -> Option<i64> {
    let mut fields = signed.rsplitn(3, ':');
    fields.next()?;
    b62_decode(fields.next()?)
}

/// Django's `b62_decode`, refusing anything that is not base62. Numbers beyond
/// 64 bits saturate, as the library's timestamps do, so the timestamp shown is
/// the one the library checked.
fn b62_decode(text: &str) -> Option<i64> {
    // Python indexes `s[0]` first, so "" is an error; "-" is 0.
    if text.is_empty() {
        return None;
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut value: i64 = 0;
    for byte in digits.bytes() {
        let digit = i64::from(match byte {
            b'0'..=b'9' => byte - b'0',
            b'A'..=b'Z' => byte - b'A' + 10,
            b'a'..=b'z' => byte - b'a' + 36,
            _ => return None,
        });
        // Accumulated with the sign, so that i64::MIN is reached exactly.
        value = if negative {
            value.saturating_mul(62).saturating_sub(digit)
        } else {
            value.saturating_mul(62).saturating_add(digit)
        };
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_matches_django() {
        assert_eq!(b62_decode("1kHR5c"), Some(1_600_000_000));
        assert_eq!(b62_decode("-1"), Some(-1));
        assert_eq!(b62_decode("z"), Some(61));
        assert_eq!(b62_decode(""), None);
        assert_eq!(b62_decode("a-b"), None);
        assert_eq!(signed_timestamp("W10:1kHR5c:sig"), Some(1_600_000_000));
        assert_eq!(signed_timestamp("nosep"), None);
    }

    #[test]
    fn base62_saturates_beyond_64_bits() {
        assert_eq!(b62_decode("AzL8n0Y58m7"), Some(i64::MAX));
        assert_eq!(b62_decode("-AzL8n0Y58m8"), Some(i64::MIN));
        assert_eq!(b62_decode("zzzzzzzzzzzzzzzzzzzzzzzz"), Some(i64::MAX));
        assert_eq!(b62_decode("-zzzzzzzzzzzzzzzzzzzzzzzz"), Some(i64::MIN));
        assert_eq!(b62_decode("-"), Some(0), "as Python's");
        for extreme in [i64::MIN, i64::MAX, i64::MIN + 1, 0, -1] {
            let text = signring::internal::b62_encode(extreme);
            assert_eq!(b62_decode(&text), Some(extreme), "{text}");
            assert_eq!(
                b62_decode(&text),
                signring::internal::b62_decode(&text),
                "{text}"
            );
        }
    }

    #[test]
    fn age_never_overflows() {
        let at = UnixTime::from_secs_f64;
        assert_eq!(age(at(100.0), 40), 60);
        assert_eq!(age(at(100.9), 40), 60, "whole seconds");
        assert_eq!(age(at(0.0), i64::MIN), 1i128 << 63);
        assert_eq!(age(at(0.0), i64::MAX), -(i128::from(i64::MAX)));
        assert_eq!(age(at(1.0e300), i64::MIN), (1i128 << 64) - 1);
        assert_eq!(age(at(-1.0e300), i64::MAX), -(1i128 << 64) + 1);
        assert_eq!(age(at(f64::NAN), i64::MIN), 1i128 << 63);
        assert_eq!(age(at(f64::INFINITY), i64::MAX), 0);
    }
}
