//! The quoting Python's `http.cookies` applies to cookie values, and its undoing.

/// Reads a cookie value as Django's cookie parser does: a value in double
/// quotes loses them and has its `\ooo` octal and `\x` escapes undone; any
/// other value is returned as it is.
///
/// # Example
///
/// ```
/// use signring::django::{quote_cookie_value, unquote_cookie_value};
/// assert_eq!(unquote_cookie_value(r#""a b\054c\073\351\"""#), "a b,c;é\"");
/// assert_eq!(unquote_cookie_value("plain"), "plain");
/// let value = "x;y\\z ü";
/// assert_eq!(unquote_cookie_value(&quote_cookie_value(value)), value);
/// ```
#[must_use]
pub fn unquote_cookie_value(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        // `\ooo` with the first digit 0-3 is an octal byte; `\x` is x.
        let digits: String = chars.clone().take(3).collect();
        let octal = digits.len() == 3
            && digits.starts_with(|d: char| ('0'..='3').contains(&d))
            && digits.chars().all(|d| ('0'..='7').contains(&d));
        if octal {
            let code = u32::from_str_radix(&digits, 8).unwrap_or(0);
            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            chars.nth(2);
        } else if let Some(next) = chars.next() {
            out.push(next);
        } else {
            out.push('\\');
        }
    }
    out
}

/// The text Python's `http.cookies` writes after `name=` in `Set-Cookie`.
///
/// Values made only of letters, digits and ``!#$%&'*+-.^_`|~:`` go out as
/// they are (every signed value Django makes does); anything else is quoted,
/// with `"` and `\` escaped and other characters below U+0100 outside
/// `` ()/<=>?@[]{}`` and space written as `\ooo` octal.
///
/// # Example
///
/// ```
/// use signring::django::quote_cookie_value;
/// assert_eq!(quote_cookie_value("abc:1kHR5c:sig"), "abc:1kHR5c:sig");
/// assert_eq!(quote_cookie_value("a b,c;é\""), r#""a b\054c\073\351\"""#);
/// assert_eq!(quote_cookie_value(""), r#""""#);
/// ```
#[must_use]
pub fn quote_cookie_value(value: &str) -> String {
    const LEGAL: &str = "!#$%&'*+-.^_`|~:";
    const UNESCAPED: &str = " ()/<=>?@[]{}";
    let legal = |c: char| c.is_ascii_alphanumeric() || LEGAL.contains(c);
    if !value.is_empty() && value.chars().all(legal) {
        return value.to_owned();
    }
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if legal(c) || UNESCAPED.contains(c) || u32::from(c) >= 256 => quoted.push(c),
            c => quoted.push_str(&format!("\\{:03o}", u32::from(c))),
        }
    }
    quoted.push('"');
    quoted
}
