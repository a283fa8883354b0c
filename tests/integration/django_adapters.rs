//! Known answers for the `django` adapters, produced by real Django with
//! `tests/django/gen_adapter_vectors.py`: sessions, the auth hash and
//! `get_user`, reset tokens, signed cookies, messages and key checks.

use std::collections::BTreeMap;

use serde_json::Value as Case;
use signring::django::{
    GetUser, Message, MessageEntry, MessagesCookie, PasswordResetTokens, ResetUser, SaltVariant,
    SessionAuthHash, SessionBackend, SessionCodec, SignedCookie, check_keys, parse_naive_datetime,
    quote_cookie_value,
};
use signring::json::{self, Map};
use signring::{Algorithm, DjangoVersion, KeyRing, MaxAge, Options, SecretKey, UnixTime};

const FILES: [(&str, DjangoVersion); 7] = [
    ("adapters-2.2.json", DjangoVersion::V2_2),
    ("adapters-3.2.json", DjangoVersion::V3_2),
    ("adapters-3.2-sha1.json", DjangoVersion::V3_2),
    ("adapters-4.2.json", DjangoVersion::V4_2),
    ("adapters-5.2.json", DjangoVersion::V5_2),
    ("adapters-6.0.json", DjangoVersion::V6_0),
    ("adapters-6.1.json", DjangoVersion::V6_1),
];

struct Vectors {
    version: DjangoVersion,
    algorithm: Option<Algorithm>,
    keys: Vec<SecretKey>,
}

impl Vectors {
    fn options(&self, algorithm: Option<Algorithm>) -> Options {
        let options = Options::new().django(self.version);
        match algorithm {
            Some(algorithm) => options.algorithm(algorithm),
            None => options,
        }
    }

    fn ring(&self) -> KeyRing {
        self.keys[1..]
            .iter()
            .fold(KeyRing::from_key(self.keys[0].clone()), |r, k| {
                r.with_fallback_key(k.clone()).unwrap()
            })
    }

    fn signing_ring(&self, case: &Case) -> KeyRing {
        let index = case["signed_with"].as_u64().unwrap_or(0) as usize;
        KeyRing::from_key(self.keys[index].clone())
    }

    /// Django < 4.1 has no fallbacks; signring honours them everywhere.
    fn fallback_difference(&self, case: &Case) -> bool {
        self.version < DjangoVersion::V4_2 && case["signed_with"].as_u64().is_some_and(|i| i > 0)
    }

    fn session_codec(&self, ring: &KeyRing, case: &Case) -> SessionCodec {
        let backend: SessionBackend = case["backend"].as_str().unwrap_or("db").parse().unwrap();
        let mut builder = SessionCodec::builder(ring)
            .backend(backend)
            .django(self.version);
        if let Some(class) = case["session_class"].as_str() {
            builder = builder.session_class(class);
        }
        if let Some(age) = case.get("session_cookie_age").and_then(Case::as_i64) {
            builder = builder.session_cookie_age(age);
        }
        if let Some(algorithm) = self.algorithm {
            builder = builder.algorithm(algorithm);
        }
        builder.build().unwrap()
    }

    fn tokens(&self, ring: &KeyRing, case: &Case) -> PasswordResetTokens {
        let mut builder = PasswordResetTokens::builder(ring).django(self.version);
        if let Some(algorithm) = self.algorithm {
            builder = builder.algorithm(algorithm);
        }
        if let Some(timeout) = case.get("timeout").and_then(Case::as_i64) {
            builder = if self.version == DjangoVersion::V2_2 {
                builder.timeout_days(timeout)
            } else {
                builder.timeout_seconds(timeout)
            };
        }
        if let Some(days) = case.get("timeout_days").and_then(Case::as_i64) {
            builder = builder.timeout_days(days);
        }
        builder.build().unwrap()
    }

    fn cookie(&self, ring: &KeyRing, case: &Case) -> SignedCookie {
        let mut builder = SignedCookie::builder(ring, case["name"].as_str().unwrap())
            .salt(case["salt"].as_str().unwrap_or(""))
            .django(self.version);
        if let Some(fallback) = case.get("legacy_salt_fallback").and_then(Case::as_bool) {
            builder = builder.legacy_salt_fallback(fallback);
        }
        if let Some(max_age) = case.get("max_age").and_then(Case::as_f64) {
            builder = builder.max_age(MaxAge::from_secs_f64(max_age));
        }
        if let Some(algorithm) = self.algorithm {
            builder = builder.algorithm(algorithm);
        }
        builder.build().unwrap()
    }

    fn messages_cookie(&self, ring: &KeyRing) -> MessagesCookie {
        let mut builder = MessagesCookie::builder(ring).django(self.version);
        if let Some(algorithm) = self.algorithm {
            builder = builder.algorithm(algorithm);
        }
        builder.build().unwrap()
    }
}

fn now(case: &Case) -> UnixTime {
    UnixTime::from_secs_f64(case["now"].as_f64().unwrap_or(1_600_000_000.0))
}

fn python_json(text: &str) -> Vec<u8> {
    json::to_vec(&json::from_str::<json::Value>(text).unwrap()).unwrap()
}

fn user(case: &Case) -> ResetUser {
    let user = &case["user"];
    let pk = match &user["pk"] {
        Case::String(pk) => pk.clone(),
        other => other.to_string(),
    };
    let mut out = ResetUser::new(pk, user["password"].as_str().unwrap());
    if let Some(email) = user["email"].as_str() {
        out = out.email(email);
    }
    if let Some(at) = user["last_login"].as_str() {
        out = out.last_login(parse_naive_datetime(at).unwrap());
    }
    out
}

fn messages(list: &Case) -> (Vec<Message>, bool) {
    let (entries, not_finished) = entries(list);
    let messages = entries
        .into_iter()
        .map(|entry| match entry {
            MessageEntry::Message(message) => message,
            other => panic!("not a message: {other:?}"),
        })
        .collect();
    (messages, not_finished)
}

/// A vector's entry list: message objects, `{"other": value}` (the value as
/// Django writes it back) and a trailing not-finished sentinel.
fn entries(list: &Case) -> (Vec<MessageEntry>, bool) {
    let mut out = Vec::new();
    let mut not_finished = false;
    for item in list.as_array().unwrap() {
        if item.as_str() == Some(signring::django::NOT_FINISHED) {
            not_finished = true;
            continue;
        }
        if let Some(other) = item.get("other") {
            // serde_json's text, in Python's bytes (floats, escapes).
            let text = String::from_utf8(python_json(&other.to_string())).unwrap();
            out.push(MessageEntry::Other(text));
            continue;
        }
        let mut message = Message::new(
            item["level"].as_i64().unwrap(),
            item["message"].as_str().unwrap(),
        );
        message.extra_tags = item["extra_tags"].as_str().map(str::to_owned);
        message.safe = item["safe"].as_bool().unwrap_or(false);
        out.push(MessageEntry::Message(message));
    }
    (out, not_finished)
}

/// The JSON Django's `MessageEncoder` writes for decoded entries (a list, or
/// the one value of a non-list cookie).
fn entries_json(entries: &[MessageEntry], single: bool, version: DjangoVersion) -> String {
    let texts: Vec<String> = entries
        .iter()
        .map(|entry| match entry {
            MessageEntry::Message(m) => {
                let mut fields = vec![
                    json::Value::String("__json_message".into()),
                    json::Value::Integer(i128::from(m.safe)),
                    json::Value::Integer(m.level.into()),
                    json::Value::String(m.message.clone()),
                ];
                if let Some(tags) = &m.extra_tags
                    && (version >= DjangoVersion::V4_2 || !tags.is_empty())
                {
                    fields.push(json::Value::String(tags.clone()));
                }
                json::to_string(&json::Value::Array(fields)).unwrap()
            }
            MessageEntry::Other(text) => text.clone(),
            other => panic!("unknown entry {other:?}"),
        })
        .collect();
    if single {
        assert_eq!(texts.len(), 1);
        texts[0].clone()
    } else {
        format!("[{}]", texts.join(","))
    }
}

fn run_case(v: &Vectors, case: &Case, ctx: &str, counts: &mut BTreeMap<String, usize>) {
    let op = case["op"].as_str().unwrap();
    let mut count = |what: &str| *counts.entry(what.to_owned()).or_default() += 1;
    match op {
        "session_encode" => {
            let ring = v.signing_ring(case);
            let session: Map = json::from_str(case["session_json"].as_str().unwrap()).unwrap();
            let data = v
                .session_codec(&ring, case)
                .encode_at(&session, now(case))
                .unwrap();
            assert_eq!(data, case["data"].as_str().unwrap(), "{ctx}");
        }
        "session_decode" => {
            let result = v
                .session_codec(&v.ring(), case)
                .decode_at(case["data"].as_str().unwrap(), now(case));
            match (case["result"]["ok"].as_bool().unwrap(), result) {
                (true, Ok(decoded)) => {
                    let expected = python_json(case["result"]["session_json"].as_str().unwrap());
                    assert_eq!(json::to_vec(&decoded.session).unwrap(), expected, "{ctx}");
                    if let Some(index) = case["signed_with"].as_u64() {
                        assert_eq!(decoded.record.key_index, index as usize, "{ctx}");
                    }
                }
                (false, Ok(decoded)) if v.fallback_difference(case) => {
                    assert!(decoded.record.stale, "{ctx}");
                    count("DIFFERENCE: fallback accepted before 4.1");
                }
                (true, Err(signring::Error::Payload(signring::PayloadError::Type)))
                    if !case["result"]["session_json"]
                        .as_str()
                        .unwrap()
                        .starts_with('{') =>
                {
                    // Django hands back any JSON and fails later; a session is an object.
                    count("DIFFERENCE: non-object session refused");
                }
                (false, Err(_)) => count("refused"),
                (true, Err(e)) => panic!("{ctx}: django decoded it, signring said {e:?}"),
                (false, Ok(_)) => panic!("{ctx}: django refused it, signring decoded it"),
            }
        }
        "auth_hash" => {
            let algorithm = case["algorithm"].as_str().map(|a| a.parse().unwrap());
            let auth =
                SessionAuthHash::new(&v.signing_ring(case), &v.options(algorithm.or(v.algorithm)))
                    .unwrap();
            assert_eq!(
                auth.hash(case["password"].as_str().unwrap()),
                case["hash"].as_str().unwrap(),
                "{ctx}"
            );
        }
        "get_user" => {
            let auth = SessionAuthHash::new(&v.ring(), &v.options(v.algorithm)).unwrap();
            let outcome = auth.django_get_user(
                case["stored_hash"].as_str(),
                case["password"].as_str().unwrap(),
            );
            let ours = match outcome {
                GetUser::LoggedIn { rehashed: false } => "logged_in",
                GetUser::LoggedIn { rehashed: true } => "logged_in_rehashed",
                _ => "logged_out",
            };
            assert_eq!(ours, case["outcome"].as_str().unwrap(), "{ctx}");
        }
        "reset_token_make" => {
            let tokens = v.tokens(&v.signing_ring(case), case);
            let at = parse_naive_datetime(case["now"].as_str().unwrap()).unwrap();
            match case["token"].as_str() {
                Some(token) => {
                    assert_eq!(tokens.make_token(&user(case), at).unwrap(), token, "{ctx}")
                }
                None => assert!(tokens.make_token(&user(case), at).is_err(), "{ctx}"),
            }
        }
        "reset_token_check" => {
            let tokens = v.tokens(&v.ring(), case);
            let at = parse_naive_datetime(case["now"].as_str().unwrap()).unwrap();
            let result = tokens.check_token(&user(case), case["token"].as_str().unwrap(), at);
            match (case["result"].as_bool().unwrap(), result) {
                (true, Ok(found)) => {
                    if let Some(index) = case["signed_with"].as_u64() {
                        assert_eq!(found.key_index, index as usize, "{ctx}");
                    }
                }
                (false, Ok(_)) if v.fallback_difference(case) => {
                    count("DIFFERENCE: fallback accepted before 4.1")
                }
                (false, Err(_)) => count("refused"),
                (expected, result) => panic!("{ctx}: django said {expected}, signring {result:?}"),
            }
        }
        "cookie_set" => {
            let cookie = v.cookie(&v.signing_ring(case), case);
            let value = cookie.sign_at(case["value"].as_str().unwrap(), now(case));
            assert_eq!(value, case["cookie_value"].as_str().unwrap(), "{ctx}");
            assert_eq!(
                quote_cookie_value(&value),
                case["set_cookie_value"].as_str().unwrap(),
                "{ctx}"
            );
        }
        "cookie_get" => {
            let cookie = v.cookie(&v.ring(), case);
            let result = cookie.unsign_at(case["cookie_value"].as_str().unwrap(), now(case));
            match (case["result"]["ok"].as_bool().unwrap(), result) {
                (true, Ok(verified)) => {
                    assert_eq!(
                        verified.value,
                        case["result"]["value"].as_str().unwrap(),
                        "{ctx}"
                    );
                    let variant = match case["result"]["salt_variant"].as_str() {
                        Some("v2") => SaltVariant::V2,
                        _ => SaltVariant::Legacy,
                    };
                    assert_eq!(verified.salt_variant, variant, "{ctx}");
                    if let Some(index) = case["signed_with"].as_u64() {
                        assert_eq!(verified.record.key_index, index as usize, "{ctx}");
                    }
                }
                (false, Ok(_)) if v.fallback_difference(case) => {
                    count("DIFFERENCE: fallback accepted before 4.1")
                }
                (false, Err(_)) => count("refused"),
                (expected, result) => panic!("{ctx}: django ok={expected}, signring {result:?}"),
            }
        }
        "messages_encode" => {
            let (list, not_finished) = entries(&case["messages"]);
            let not_finished = not_finished || case["not_finished"].as_bool().unwrap_or(false);
            let Some(expected) = case["data"].as_str() else {
                // Django's _encode stores nothing for no messages unless asked.
                assert!(
                    list.is_empty()
                        && !not_finished
                        && !case["encode_empty"].as_bool().unwrap_or(false),
                    "{ctx}"
                );
                count("nothing to store");
                return;
            };
            let cookie = v.messages_cookie(&v.signing_ring(case));
            let data = cookie
                .encode_entries_at(&list, not_finished, now(case))
                .unwrap();
            assert_eq!(data, expected, "{ctx}");
            let typed: Vec<Message> = list
                .iter()
                .filter_map(|e| match e {
                    MessageEntry::Message(m) => Some(m.clone()),
                    _ => None,
                })
                .collect();
            if typed.len() == list.len() {
                let data = cookie.encode_at(&typed, not_finished, now(case)).unwrap();
                assert_eq!(data, expected, "{ctx}");
            } else {
                count("entries beside messages");
            }
            if let Some(quoted) = case.get("set_cookie_value").and_then(Case::as_str) {
                assert_eq!(quote_cookie_value(&data), quoted, "{ctx}");
            }
        }
        "messages_store" => {
            let (list, _) = messages(&case["messages"]);
            let remove_oldest = case["remove_oldest"].as_bool().unwrap_or(true);
            let stored = v
                .messages_cookie(&v.signing_ring(case))
                .store_at(&list, remove_oldest, now(case))
                .unwrap();
            assert_eq!(
                stored.cookie_value.as_deref(),
                case["cookie_value"].as_str(),
                "{ctx}"
            );
            assert_eq!(stored.unstored, messages(&case["unstored"]).0, "{ctx}");
        }
        "messages_decode" => {
            let result = v
                .messages_cookie(&v.ring())
                .decode(case["data"].as_str().unwrap());
            match (case["result"]["ok"].as_bool().unwrap(), result) {
                (true, Ok(decoded)) => {
                    let r = &case["result"];
                    let (list, not_finished) = entries(&r["messages"]);
                    assert_eq!(decoded.entries, list, "{ctx}");
                    let typed: Vec<Message> = list
                        .iter()
                        .filter_map(|e| match e {
                            MessageEntry::Message(m) => Some(m.clone()),
                            _ => None,
                        })
                        .collect();
                    assert_eq!(decoded.messages, typed, "{ctx}");
                    let expected_not_finished =
                        not_finished || r["not_finished"].as_bool().unwrap_or(false);
                    assert_eq!(decoded.not_finished, expected_not_finished, "{ctx}");
                    let single = r["single"].as_bool().unwrap_or(false);
                    assert_eq!(decoded.single, single, "{ctx}");
                    assert_eq!(
                        entries_json(&decoded.entries, single, v.version),
                        r["entries_json"].as_str().unwrap(),
                        "{ctx}"
                    );
                    if typed.len() != list.len() {
                        count("entries beside messages");
                    }
                    if single {
                        count("single value, not a list");
                    }
                }
                (false, Ok(_)) if v.fallback_difference(case) => {
                    count("DIFFERENCE: fallback accepted before 4.1")
                }
                (false, Err(_)) => count("refused"),
                (true, Err(signring::Error::Payload(signring::PayloadError::Type)))
                    if case["note"]
                        .as_str()
                        .is_some_and(|n| n.contains("beyond Latin-1")) =>
                {
                    // mark_safe(list) is str(list): Python's repr, whose escapes
                    // follow Unicode's printable table.
                    count("DIFFERENCE: repr beyond Latin-1 refused");
                }
                (expected, result) => panic!("{ctx}: django ok={expected}, signring {result:?}"),
            }
        }
        "messages_reencode" => {
            let cookie = v.messages_cookie(&v.ring());
            let data = case["data"].as_str().unwrap();
            let at = now(case);
            let (added, _) = messages(&case["add"]);
            let result = if added.is_empty() {
                cookie.rotate_at(data, at)
            } else {
                // A request that reads the cookie and adds messages: Django's
                // _get drops the sentinel, _store writes the rest back.
                cookie.decode(data).and_then(|decoded| {
                    let mut list = decoded.entries;
                    list.extend(added.iter().cloned().map(MessageEntry::Message));
                    cookie.encode_entries_at(&list, false, at)
                })
            };
            let expected = &case["result"];
            match (expected["ok"].as_bool().unwrap(), result) {
                (true, Ok(value)) => {
                    assert_eq!(value, expected["data"].as_str().unwrap(), "{ctx}");
                    if added.is_empty() {
                        count("rotated");
                    }
                }
                (false, Ok(value)) if v.fallback_difference(case) => {
                    // Django with that fallback as SECRET_KEY, re-encoded with the current key.
                    assert_eq!(
                        value,
                        case["ring_result"]["data"].as_str().unwrap(),
                        "{ctx}"
                    );
                    count("DIFFERENCE: fallback accepted before 4.1")
                }
                (false, Err(_)) => count("refused"),
                (true, Err(signring::Error::Payload(signring::PayloadError::Type)))
                    if case["note"]
                        .as_str()
                        .is_some_and(|n| n.contains("beyond Latin-1")) =>
                {
                    count("DIFFERENCE: repr beyond Latin-1 refused");
                }
                (expected, result) => panic!("{ctx}: django ok={expected}, signring {result:?}"),
            }
        }
        "check_key" => {
            let keys: Vec<&str> = std::iter::once(&case["secret_key"])
                .chain(case["fallbacks"].as_array().unwrap())
                .map(|k| k.as_str().unwrap())
                .collect();
            if keys.contains(&"") {
                // Django warns about an empty key; signring cannot hold one.
                assert!(
                    KeyRing::new(keys[0])
                        .and_then(|r| keys[1..].iter().try_fold(r, |r, k| r.with_fallback(k)))
                        .is_err()
                );
                count("DIFFERENCE: empty key refused at construction");
                return;
            }
            let ring = keys[1..]
                .iter()
                .fold(KeyRing::new(keys[0]).unwrap(), |r, k| {
                    r.with_fallback(k).unwrap()
                });
            let mut ours = check_keys(&ring, v.version);
            if v.version < DjangoVersion::V4_2 && ours.iter().any(|w| w.id == "security.W025") {
                // signring checks fallbacks under every version.
                ours.retain(|w| w.id != "security.W025");
                count("DIFFERENCE: W025 before 4.1");
            }
            let ids: Vec<&str> = ours.iter().map(|w| w.id).collect();
            let theirs: Vec<&str> = case["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap())
                .collect();
            assert_eq!(ids, theirs, "{ctx}");
            if let Some(messages) = case.get("messages").and_then(Case::as_array) {
                let messages: Vec<&str> = messages.iter().map(|m| m.as_str().unwrap()).collect();
                let texts: Vec<&str> = ours.iter().map(|w| w.message.as_str()).collect();
                assert_eq!(texts, messages, "{ctx}");
            }
        }
        other => panic!("{ctx}: unknown op {other}"),
    }
    count(op);
}

#[test]
fn every_django_adapter_vector_holds() {
    crate::vector_files::check_files(
        &FILES,
        100,
        "Django adapter vectors",
        |p| Vectors {
            version: p.version,
            // DEFAULT_HASHING_ALGORITHM exists in 3.1-3.2 only.
            algorithm: p
                .default_hashing_algorithm
                .filter(|_| p.version == DjangoVersion::V3_2),
            keys: p.keys,
        },
        run_case,
    );
}
