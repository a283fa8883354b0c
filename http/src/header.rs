//! Reading `Cookie` request headers and the name of a `Set-Cookie` value.

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

/// The `name=value` pairs of one `Cookie` header, as Django's `parse_cookie`
/// reads them: split on `;`, then at the first `=` (a chunk without `=` is a
/// value with an empty name), both sides trimmed; empty chunks are skipped.
/// Values are returned as they are, still quoted or percent-encoded: each
/// format decodes its own.
///
/// # Example
///
/// ```
/// let pairs: Vec<_> = signring_http::cookie_pairs(" a=1; b = x=y ;;c").collect();
/// assert_eq!(pairs, [("a", "1"), ("b", "x=y"), ("", "c")]);
/// ```
pub fn cookie_pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    header.split(';').filter_map(|chunk| {
        let (name, value) = chunk.split_once('=').unwrap_or(("", chunk));
        let (name, value) = (name.trim(), value.trim());
        (!name.is_empty() || !value.is_empty()).then_some((name, value))
    })
}

/// Every `Cookie` header of a request that is UTF-8 (HTTP/2 may send several).
pub(crate) fn cookie_headers(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    utf8(headers.get_all(COOKIE).iter())
}

fn utf8<'h>(values: impl Iterator<Item = &'h HeaderValue>) -> impl Iterator<Item = &'h str> {
    values.filter_map(|v| core::str::from_utf8(v.as_bytes()).ok())
}

/// The last value of cookie `name` in these `Cookie` headers (Django's and
/// cookie-rs's readers both let the last one win).
pub(crate) fn last_value<'h>(
    headers: impl Iterator<Item = &'h HeaderValue>,
    name: &str,
) -> Option<&'h str> {
    utf8(headers)
        .flat_map(cookie_pairs)
        .filter(|(n, _)| *n == name)
        .last()
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value split into its trimmed name, its raw value and the
/// rest (from the first `;`, attributes verbatim).
pub(crate) fn split_set_cookie(text: &str) -> Option<(&str, &str, &str)> {
    let end = text.find(';').unwrap_or(text.len());
    let (pair, rest) = text.split_at(end);
    let (name, value) = pair.split_once('=')?;
    Some((name.trim(), value.trim(), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_follow_django() {
        let pairs: Vec<_> = cookie_pairs("a=\"q;\"; =x; y=; ; z").collect();
        assert_eq!(
            pairs,
            [("a", "\"q"), ("", "\""), ("", "x"), ("y", ""), ("", "z")]
        );
    }

    #[test]
    fn last_value_wins_across_headers() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, "a=1; b=2".parse().unwrap());
        headers.append(COOKIE, "a=3".parse().unwrap());
        assert_eq!(last_value(headers.get_all(COOKIE).iter(), "a"), Some("3"));
        assert_eq!(last_value(headers.get_all(COOKIE).iter(), "b"), Some("2"));
        assert_eq!(last_value(headers.get_all(COOKIE).iter(), "c"), None);
    }

    #[test]
    fn set_cookie_split_keeps_attributes_verbatim() {
        assert_eq!(
            split_set_cookie("id = v=1 ; Path=/; HttpOnly"),
            Some(("id", "v=1", "; Path=/; HttpOnly"))
        );
        assert_eq!(split_set_cookie("novalue"), None);
    }
}
