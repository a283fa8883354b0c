use super::python::python_str;
use super::*;
use crate::clock::UnixTime;
use crate::json::{self, Value};

fn value(text: &str) -> Value {
    json::from_str(text).unwrap()
}

#[test]
fn mark_safe_of_non_text_is_python_str() {
    for (json_text, python) in [
        ("5", "5"),
        ("2.5", "2.5"),
        ("1e16", "1e+16"),
        ("NaN", "nan"),
        ("-Infinity", "-inf"),
        ("null", "None"),
        ("true", "True"),
        (
            r#"[1,"a'b","x\"y","q'\"",{"k":[]}]"#,
            r#"[1, "a'b", 'x"y', 'q\'"', {'k': []}]"#,
        ),
        (r#"["\t\u0001\u00a0\u00e9\\"]"#, r"['\t\x01\xa0é\\']"),
    ] {
        assert_eq!(
            python_str(&value(json_text)).as_deref(),
            Some(python),
            "{json_text}"
        );
    }
    // repr beyond Latin-1 needs Unicode's printable table.
    assert_eq!(python_str(&value(r#"["\u4e2d"]"#)), None);
}

#[test]
fn entries_round_trip_through_rotation() {
    let ring = KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789").unwrap();
    let now = UnixTime::from_secs_f64(1_600_000_000.0);
    for version in DjangoVersion::ALL {
        let cookie = MessagesCookie::builder(&ring)
            .django(version)
            .build()
            .unwrap();
        let entries = vec![
            MessageEntry::Other(r#""bare""#.into()),
            // Tags that every release writes back (≤ 4.0 drop "").
            MessageEntry::Message(Message {
                extra_tags: Some("t".into()),
                ..Message::new(20, "m")
            }),
            MessageEntry::Other(r#"{"k":["__json_message",0,30,"n"]}"#.into()),
        ];
        let value = cookie.encode_entries_at(&entries, true, now).unwrap();
        let decoded = cookie.decode(&value).unwrap();
        assert_eq!(
            (decoded.entries, decoded.not_finished, decoded.single),
            (entries, true, false)
        );
        assert_eq!(cookie.rotate_at(&value, now).unwrap(), value, "{version}");
    }
}
