//! Percent-encoding rules shared by the listener (decoding request paths and query strings)
//! and the requester (encoding uri parameters and query parameters).
//!
//! Mule decodes paths with plain percent-decoding but query parameters and uri parameters
//! with Java's `URLDecoder`, which also turns `+` into a space; both are here.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// What must be escaped inside one path segment: everything but RFC 3986 unreserved
/// characters and the sub-delimiters that are harmless in a path.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'[')
    .add(b']');

/// What must be escaped in a query key or value (`application/x-www-form-urlencoded` style,
/// but with `%20` for spaces).
const QUERY_COMPONENT: &AsciiSet = &PATH_SEGMENT.add(b'&').add(b'=').add(b'+').add(b';').add(b'\'');

/// Characters escaped when a whole path written by the user goes on the wire: only the ones
/// that cannot appear in a URI at all, so that existing `%xx` escapes and `/` stay.
const PATH_TEXT: &AsciiSet =
    &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`').add(b'{').add(b'}');

/// Percent-decodes a path (or one segment of it); `+` stays `+`.
pub(crate) fn decode_path(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

/// Decodes like Java's `URLDecoder`: `+` is a space, then percent-decoding.
pub(crate) fn decode_form(raw: &str) -> String {
    let spaced: Cow<'_, str> =
        if raw.contains('+') { Cow::Owned(raw.replace('+', " ")) } else { Cow::Borrowed(raw) };
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// Escapes a value for use as one path segment (a `{uriParam}` replacement).
pub(crate) fn encode_segment(value: &str) -> String {
    utf8_percent_encode(value, PATH_SEGMENT).to_string()
}

/// Escapes a query key or value.
pub(crate) fn encode_query(value: &str) -> String {
    utf8_percent_encode(value, QUERY_COMPONENT).to_string()
}

/// Escapes what cannot stand in a URI path (spaces become `%20`), leaving escapes alone.
pub(crate) fn encode_path_text(path: &str) -> String {
    utf8_percent_encode(path, PATH_TEXT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_path_keeps_plus_and_form_turns_it_into_space() {
        assert_eq!(decode_path("42%20x+y"), "42 x+y");
        assert_eq!(decode_form("c%2Bd+e"), "c+d e");
        assert_eq!(decode_path("bad%zz"), "bad%zz");
    }

    #[test]
    fn encoding_escapes_separators() {
        assert_eq!(encode_segment("a b/c?d"), "a%20b%2Fc%3Fd");
        assert_eq!(encode_query("x=1&y+z é"), "x%3D1%26y%2Bz%20%C3%A9");
        assert_eq!(encode_path_text("/a b/%41/{x}"), "/a%20b/%41/%7Bx%7D");
    }
}
