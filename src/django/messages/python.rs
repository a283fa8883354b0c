//! Python's `str`, `repr`, `bool` and `int` of decoded JSON, as Django's
//! decoder applies them to a message's fields.

use crate::json::{self, Value};

/// Python's `str(value)` for what `mark_safe` gets: text as is, anything else
/// as its `repr`. `None` where that needs Unicode's printable table (a string
/// inside a list or object with a character above U+00FF), which signring
/// does not carry.
pub(super) fn python_str(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        other => {
            let mut out = String::new();
            python_repr(other, &mut out)?;
            Some(out)
        }
    }
}

/// Python's `repr` of a decoded JSON value.
fn python_repr(value: &Value, out: &mut String) -> Option<()> {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Integer(n) => out.push_str(&n.to_string()),
        Value::Float(x) if x.is_nan() => out.push_str("nan"),
        Value::Float(x) if x.is_infinite() => out.push_str(if *x > 0.0 { "inf" } else { "-inf" }),
        // JSON writes finite floats with Python's repr.
        Value::Float(_) => out.push_str(&json::to_string(value).ok()?),
        Value::String(text) => python_str_repr(text, out)?,
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_repr(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_str_repr(key, out)?;
                out.push_str(": ");
                python_repr(item, out)?;
            }
            out.push('}');
        }
    }
    Some(())
}

/// Python's `repr(str)`, for text up to U+00FF: single quotes unless the text
/// has a `'` and no `"`; `\\`, the quote, `\t \n \r` escaped; other
/// non-printable characters (C0, DEL, C1, U+00A0, U+00AD) as `\xNN`.
fn python_str_repr(text: &str, out: &mut String) -> Option<()> {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{a0}' | '\u{ad}' => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            '\u{20}'..='\u{ff}' => out.push(c),
            _ => return None,
        }
    }
    out.push(quote);
    Some(())
}

/// Python's `bool(value)`: Django tests the safe flag for truth.
pub(super) fn python_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Integer(n) => *n != 0,
        Value::Float(x) => *x != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// Python's `int(value)`, which `Message` applies to the level: integers,
/// booleans, finite floats (truncated) and decimal text.
pub(super) fn python_int(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(n) => i64::try_from(*n).ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        // Truncation toward zero is Python's int(float); the range check keeps it exact.
        #[allow(clippy::cast_possible_truncation)]
        Value::Float(x) if x.is_finite() && x.abs() < 9.0e18 => Some(x.trunc() as i64),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}
