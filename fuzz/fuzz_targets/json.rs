//! `json::from_slice` / `json::from_str` into `Value`; what parses re-serializes
//! to bytes that parse to the same bytes again (so no object keeps a duplicate
//! key: writing it would not survive a second parse). The reader of
//! `SECRET_KEY_FALLBACKS` reads what `from_str::<Vec<String>>` reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signring::internal::parse_secret_strings;
use signring::json::{self, Value};

fuzz_target!(|data: &[u8]| {
    let from_bytes = json::from_slice::<Value>(data);
    if let Ok(value) = &from_bytes {
        let bytes = json::to_vec(value).expect("a parsed value serializes");
        let again: Value = json::from_slice(&bytes).expect("serialized JSON parses");
        assert_eq!(json::to_vec(&again).expect("serializes"), bytes);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let from_text = json::from_str::<Value>(text);
        if text.is_ascii() {
            // Latin-1 and UTF-8 agree on ASCII.
            let bytes = |v: &Value| json::to_vec(v).expect("serializes");
            assert_eq!(
                from_text.as_ref().ok().map(bytes),
                from_bytes.as_ref().ok().map(bytes)
            );
        }
        let secrets = parse_secret_strings(text).ok();
        let secrets = secrets.map(|keys| keys.iter().map(|k| k.as_str().to_owned()).collect());
        assert_eq!(secrets, json::from_str::<Vec<String>>(text).ok());
    }
});
