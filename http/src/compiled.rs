//! A declared cookie with its keys derived: verifies the value on the wire,
//! re-signs stale ones, signs new ones.

use std::borrow::Cow;
use std::sync::Arc;

use http::HeaderValue;
use signring::django::{
    Message, MessagesCookie, SignedCookie, quote_cookie_value, unquote_cookie_value,
};
use signring::json::{Map, Value};
use signring::{KeyRing, KeyRole, MaxAge, Options, TimestampSigner, UnixTime, VerifyObserver};

use crate::cookie_crate::{CookieCrateCodec, percent_decode, percent_encode, split_encoded};
use crate::cookie_keys::CookieKeyRing;
use crate::error::BuildError;
use crate::record::{CookieRecord, CookieValue, Failure, Stored, VerifiedCookie};
use crate::spec::{CookieSpec, Format};

/// The salt of Django's `signed_cookies` session backend.
const SESSION_SALT: &str = "django.contrib.sessions.backends.signed_cookies";

#[derive(Debug, Clone)]
enum Verifier {
    // Built once per ring generation; boxed to keep the enum small.
    DjangoSigned(Box<SignedCookie>),
    Session(TimestampSigner),
    /// The second one re-encodes single-value cookies: `rotate_at` decodes
    /// them again, so it reports to no observer (one cookie, one observed
    /// verification).
    Messages(MessagesCookie, Box<MessagesCookie>),
    Signring(TimestampSigner),
    CookieCrate(CookieCrateCodec, Arc<CookieKeyRing>),
}

impl core::fmt::Debug for CookieCrateCodec {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CookieCrateCodec(..)")
    }
}

/// A verified cookie and, when it is stale, its value re-signed with the
/// current key, ready for `Set-Cookie`.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub(crate) cookie: VerifiedCookie,
    pub(crate) reissue: Option<String>,
}

/// One declared cookie, ready to verify and sign.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub(crate) spec: CookieSpec,
    verifier: Verifier,
    options: Options,
}

impl Compiled {
    pub(crate) fn build(
        spec: &CookieSpec,
        ring: Option<&KeyRing>,
        cookie_keys: Option<&Arc<CookieKeyRing>>,
        options: &Options,
        observer: Option<&Arc<dyn VerifyObserver>>,
    ) -> Result<Self, BuildError> {
        let need_ring = || ring.ok_or_else(|| BuildError::NoRing(spec.name().to_owned()));
        let max_age = spec.declared_max_age().map(MaxAge::from_secs);
        let verifier = match spec.format() {
            Format::DjangoSigned { salt } => {
                let mut builder = SignedCookie::builder(need_ring()?, spec.name())
                    .salt(salt.clone())
                    .options(options.clone());
                if let Some(max_age) = max_age {
                    builder = builder.max_age(max_age);
                }
                Verifier::DjangoSigned(Box::new(builder.build()?))
            }
            Format::DjangoSession => {
                let mut builder = TimestampSigner::builder(need_ring()?)
                    .salt(SESSION_SALT)
                    .options(options.clone());
                if let Some(max_age) = max_age {
                    builder = builder.max_age(max_age);
                }
                Verifier::Session(builder.build()?)
            }
            Format::DjangoMessages => {
                let silent = options.clone().observer(Arc::new(Silent));
                Verifier::Messages(
                    MessagesCookie::builder(need_ring()?)
                        .options(options.clone())
                        .build()?,
                    Box::new(
                        MessagesCookie::builder(need_ring()?)
                            .options(silent)
                            .build()?,
                    ),
                )
            }
            Format::Signring { salt } => {
                let mut builder = TimestampSigner::builder(need_ring()?)
                    .salt(salt.clone())
                    .options(options.clone());
                if let Some(max_age) = max_age {
                    builder = builder.max_age(max_age);
                }
                Verifier::Signring(builder.build()?)
            }
            Format::CookieCrate => {
                let keys =
                    cookie_keys.ok_or_else(|| BuildError::NoCookieKeys(spec.name().to_owned()))?;
                Verifier::CookieCrate(
                    CookieCrateCodec::new(keys, observer.cloned()),
                    Arc::clone(keys),
                )
            }
        };
        Ok(Self {
            spec: spec.clone(),
            verifier,
            options: options.clone(),
        })
    }

    pub(crate) fn name(&self) -> &str {
        self.spec.name()
    }

    /// The value as the format's reader sees it: Python's unquoting for the
    /// Django and signring formats, percent-decoding for the `cookie` crate.
    pub(crate) fn decode_wire<'a>(&self, wire: &'a str) -> Option<Cow<'a, str>> {
        match self.verifier {
            Verifier::CookieCrate(..) => percent_decode(wire),
            _ if wire.starts_with('"') => Some(Cow::Owned(unquote_cookie_value(wire))),
            _ => Some(Cow::Borrowed(wire)),
        }
    }

    /// The value as the format's writer puts it on the wire.
    pub(crate) fn encode_wire<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.verifier {
            Verifier::CookieCrate(..) => percent_encode(text),
            _ => Cow::Owned(quote_cookie_value(text)),
        }
    }

    /// Verifies the value found on the wire; `header` is the `Cookie` header
    /// it was read from, where a value carried as it is stays.
    pub(crate) fn verify(
        &self,
        wire: &str,
        header: Option<&HeaderValue>,
    ) -> Result<Checked, Failure> {
        if let Verifier::CookieCrate(codec, keys) = &self.verifier
            && let Some((digest, encoded)) = split_encoded(wire)
        {
            // The digest decoded apart: the value is decoded (copied) only
            // when it has something to decode.
            let value = percent_decode(encoded).ok_or(Failure::Malformed)?;
            let found = codec
                .verify_split(&digest, &value, || self.options.now())
                .ok_or(Failure::BadSignature)?;
            let stored = match value {
                Cow::Borrowed(value) => Stored::text(header, value),
                Cow::Owned(value) => Stored::Value(CookieValue::Text(value)),
            };
            return Ok(self.cookie_crate_checked(codec, keys, stored, found));
        }
        let text = self.decode_wire(wire).ok_or(Failure::Malformed)?;
        let (value, record, salt_variant, resigned) = match &self.verifier {
            Verifier::DjangoSigned(cookie) => {
                let verified = cookie.unsign(&text).map_err(|e| Failure::of(&e))?;
                let resigned = wanted(verified.record.stale, verified.record.role)
                    .then(|| cookie.resign(&verified).ok())
                    .flatten();
                (
                    Stored::text(header, verified.value),
                    CookieRecord::from_verification(&verified.record),
                    Some(verified.salt_variant),
                    resigned,
                )
            }
            Verifier::Session(signer) => {
                let verified = signer
                    .unsign_value_at(&text, self.options.now())
                    .map_err(|e| Failure::of(&e))?;
                let record = CookieRecord::from_verification(verified.record());
                let resigned = wanted(record.stale, record.role)
                    .then(|| signer.resign(&verified).ok())
                    .flatten();
                let Value::Object(map) = verified.into_value() else {
                    // Django's session would fail on it: not a session.
                    return Err(Failure::Payload);
                };
                (
                    Stored::Value(CookieValue::Session(map)),
                    record,
                    None,
                    resigned,
                )
            }
            Verifier::Messages(cookie, rotator) => {
                let decoded = cookie.decode(&text).map_err(|e| Failure::of(&e))?;
                let record = CookieRecord::from_verification(&decoded.record);
                let resigned = if wanted(record.stale, record.role) {
                    // Whole-second timestamps are far below 2^53: exact as f64.
                    #[allow(clippy::cast_precision_loss)]
                    let at = record
                        .timestamp
                        .map_or_else(|| self.options.now(), |t| UnixTime::from_secs_f64(t as f64));
                    if decoded.single {
                        rotator.rotate_at(&text, at).ok()
                    } else {
                        cookie
                            .encode_entries_at(&decoded.entries, decoded.not_finished, at)
                            .ok()
                    }
                } else {
                    None
                };
                (
                    Stored::Value(CookieValue::Messages(decoded)),
                    record,
                    None,
                    resigned,
                )
            }
            Verifier::Signring(signer) => {
                let verified = signer.unsign(&text).map_err(|e| Failure::of(&e))?;
                let record = CookieRecord::from_verification(verified.record());
                let resigned = wanted(record.stale, record.role)
                    .then(|| signer.resign(&verified).ok())
                    .flatten();
                (
                    Stored::text(header, verified.value()),
                    record,
                    None,
                    resigned,
                )
            }
            Verifier::CookieCrate(codec, keys) => {
                let (value, found) = codec
                    .verify(&text, || self.options.now())
                    .ok_or(Failure::BadSignature)?;
                // The value is the end of the text, after the digest: a
                // percent-decoded text's own allocation becomes the value.
                let start = text.len() - value.len();
                let value = match text {
                    Cow::Owned(mut owned) => {
                        owned.drain(..start);
                        owned
                    }
                    Cow::Borrowed(text) => text[start..].to_owned(),
                };
                let stored = Stored::Value(CookieValue::Text(value));
                return Ok(self.cookie_crate_checked(codec, keys, stored, found));
            }
        };
        Ok(Checked {
            reissue: resigned.map(|r| self.encode_wire(&r).into_owned()),
            cookie: VerifiedCookie {
                value,
                record,
                salt_variant,
            },
        })
    }

    /// A verified `cookie` crate value with its record and, when stale, its
    /// re-signed value.
    fn cookie_crate_checked(
        &self,
        codec: &CookieCrateCodec,
        keys: &CookieKeyRing,
        value: Stored,
        found: crate::cookie_crate::Match,
    ) -> Checked {
        let stale = found.role == KeyRole::Fallback;
        let cookie = VerifiedCookie {
            value,
            record: CookieRecord {
                key_index: found.index,
                key_id: keys
                    .id(found.index)
                    .cloned()
                    .unwrap_or_else(|| signring::KeyId::new("?")),
                role: found.role,
                timestamp: None,
                stale,
                verification: None,
            },
            salt_variant: None,
        };
        let reissue = wanted(stale, found.role)
            .then(|| {
                cookie
                    .text()
                    .map(|text| self.encode_wire(&codec.sign(text)).into_owned())
            })
            .flatten();
        Checked { cookie, reissue }
    }

    /// A text value signed with the current key, encoded for the wire.
    pub(crate) fn sign_text(&self, value: &str) -> Option<String> {
        let signed = match &self.verifier {
            Verifier::DjangoSigned(cookie) => cookie.sign(value),
            Verifier::Signring(signer) => signer.sign(value),
            Verifier::CookieCrate(codec, _) => codec.sign(value),
            Verifier::Session(_) | Verifier::Messages(..) => return None,
        };
        Some(self.encode_wire(&signed).into_owned())
    }

    /// Session data signed with the current key, as Django's signed-cookie
    /// backend writes it (compressed when that saves two bytes or more).
    pub(crate) fn sign_session(&self, session: &Map) -> Option<String> {
        match &self.verifier {
            Verifier::Session(signer) => signer
                .sign_object(session, true)
                .ok()
                .map(|s| self.encode_wire(&s).into_owned()),
            _ => None,
        }
    }

    /// Messages as Django's `CookieStorage` writes them (everything in the
    /// cookie: drop what does not fit before calling).
    pub(crate) fn sign_messages(&self, messages: &[Message]) -> Option<String> {
        match &self.verifier {
            Verifier::Messages(cookie, _) => cookie
                .encode_at(messages, false, self.options.now())
                .ok()
                .map(|s| self.encode_wire(&s).into_owned()),
            _ => None,
        }
    }

    /// The seconds left until a value signed at `timestamp` expires.
    // Timestamps and lifetimes are far below 2^53 seconds, where i64 and f64
    // agree; the float is Django's own arithmetic (`time.time() - ts`), and
    // `as` is Rust's only float-to-integer conversion (it saturates).
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    pub(crate) fn remaining(&self, timestamp: Option<i64>, now: UnixTime) -> Option<i64> {
        let max_age = self.spec.declared_max_age()?;
        let Some(timestamp) = timestamp else {
            // No timestamp in the format: the declared lifetime.
            return Some(max_age);
        };
        let left = (timestamp as f64 + max_age as f64 - now.as_secs_f64()).floor();
        // Verified values are not expired (clamp anything else to "now"), and
        // a timestamp from the future (Django accepts them) never earns more
        // than the declared lifetime.
        Some(if left > 0.0 {
            (left as i64).min(max_age)
        } else {
            0
        })
    }

    pub(crate) fn now(&self) -> UnixTime {
        self.options.now()
    }
}

/// An observer that ignores everything.
#[derive(Debug)]
struct Silent;

impl VerifyObserver for Silent {
    fn observe(&self, _: signring::Outcome, _: Option<usize>) {}
}

/// Re-issue only stale values, and never what a staged key verified.
fn wanted(stale: bool, role: KeyRole) -> bool {
    stale && role != KeyRole::Staged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(max_age: Option<i64>) -> Compiled {
        let ring = KeyRing::new("unit-test-key-0123456789abcdefghijklmnopqrstuvwxyz-0123").unwrap();
        let mut spec = CookieSpec::signring("c", "s");
        if let Some(max_age) = max_age {
            spec = spec.max_age(max_age);
        }
        Compiled::build(&spec, Some(&ring), None, &Options::new(), None).unwrap()
    }

    #[test]
    fn a_stale_single_value_messages_cookie_is_verified_once() {
        use core::sync::atomic::{AtomicUsize, Ordering};
        #[derive(Debug, Default)]
        struct Count(AtomicUsize);
        impl VerifyObserver for Count {
            fn observe(&self, _: signring::Outcome, _: Option<usize>) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        const OLD: &str = "unit-test-old-key-0123456789abcdefghijklmnopqrstuvwxyz";
        let old = KeyRing::new(OLD).unwrap();
        let mut ring = old.clone();
        ring.rotate("unit-test-new-key-0123456789abcdefghijklmnopqrstuvwxyz")
            .unwrap();
        // One message, not a list of them (Django's `_decode` reads it), signed
        // as Django's cookie signer does: key "django.http.cookies" + key.
        let single: Value = signring::json::from_str(r#"["__json_message",0,20,"Hi"]"#).unwrap();
        let cookie_signer = KeyRing::new(format!("django.http.cookies{OLD}")).unwrap();
        let salt = MessagesCookie::builder(&old)
            .build()
            .unwrap()
            .salt()
            .to_owned();
        let value = TimestampSigner::builder(&cookie_signer)
            .salt(salt)
            .build()
            .unwrap()
            .sign_object(&single, true)
            .unwrap();
        let count = Arc::new(Count::default());
        let options = Options::new().observer(count.clone());
        let compiled = Compiled::build(
            &CookieSpec::django_messages(),
            Some(&ring),
            None,
            &options,
            None,
        )
        .unwrap();
        let checked = compiled.verify(&value, None).unwrap();
        assert!(checked.cookie.messages().is_some_and(|m| m.single));
        assert!(checked.reissue.is_some());
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
        // The re-issued value reads the same with the new key alone.
        let new_only = MessagesCookie::builder(&ring.without_fallbacks())
            .build()
            .unwrap();
        let reissued = unquote_cookie_value(&checked.reissue.unwrap());
        let decoded = new_only.decode(&reissued).unwrap();
        assert_eq!((decoded.single, decoded.entries.len()), (true, 1));
    }

    #[test]
    fn remaining_lifetime_is_whole_seconds_never_more_than_declared() {
        let c = compiled(Some(100));
        let now = UnixTime::from_secs_f64(1_000.5);
        assert_eq!(c.remaining(Some(950), now), Some(49));
        assert_eq!(c.remaining(Some(900), now), Some(0));
        assert_eq!(c.remaining(Some(800), now), Some(0));
        assert_eq!(
            c.remaining(Some(5_000), now),
            Some(100),
            "a future timestamp"
        );
        assert_eq!(
            c.remaining(None, now),
            Some(100),
            "no timestamp: the declared lifetime"
        );
        assert_eq!(
            compiled(None).remaining(Some(950), now),
            None,
            "a browser-session cookie"
        );
    }
}
