//! `json::from_slice` / `json::from_str` into `Value`; what parses re-serializes
//! to bytes that parse to the same bytes again.
#![no_main]

use libfuzzer_sys::fuzz_target;
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
    }
});
