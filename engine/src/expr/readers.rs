//! The readers behind `read(text, mime)` other than JSON ([`json`](super::json)):
//! `application/csv` and `application/x-www-form-urlencoded`.
//!
//! Both follow the reference engine's defaults: every field is read as a String, and the
//! shape (an array of objects, one object) is the one its own readers give.

use std::sync::Arc;

use crate::value::Value;

/// The CSV reader's properties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CsvReadOptions {
    /// The first line names the columns (`header`, default true); without it columns are
    /// named `column_0`, `column_1`, ...
    pub(crate) header: bool,
    /// Field separator (`separator`, default `,`).
    pub(crate) separator: char,
}

impl CsvReadOptions {
    /// Options from reader properties; unknown ones are ignored.
    pub(crate) fn from_props(props: &[(String, String)]) -> CsvReadOptions {
        let mut options = CsvReadOptions { header: true, separator: ',' };
        for (name, value) in props {
            match name.as_str() {
                "header" => options.header = value != "false",
                "separator" => options.separator = value.chars().next().unwrap_or(','),
                _ => {}
            }
        }
        options
    }
}

/// `application/csv`: one object per non-empty line, keyed by the header line.
///
/// As in the reference engine, a field may be quoted (`"x,y"`), a backslash escapes the next
/// character, a short line gives a short object, and a field beyond the header is named
/// `column_N` after its position.
pub(crate) fn csv(text: &str, options: &CsvReadOptions) -> Value {
    let mut lines = text.lines().filter(|line| !line.is_empty());
    let header: Option<Vec<String>> = if options.header {
        lines.next().map(|line| csv_fields(line, options.separator))
    } else {
        None
    };
    let rows = lines.map(|line| {
        let fields = csv_fields(line, options.separator);
        let pairs = fields.into_iter().enumerate().map(|(idx, field)| {
            let name = header
                .as_ref()
                .and_then(|names| names.get(idx).cloned())
                .unwrap_or_else(|| format!("column_{idx}"));
            (Arc::<str>::from(name), Value::string(field))
        });
        Value::Object(Arc::new(pairs.collect()))
    });
    Value::array(rows.collect::<Vec<_>>())
}

/// The fields of one CSV line. Text after a closing quote, up to the next separator, is
/// dropped, as the reference engine drops it.
fn csv_fields(line: &str, separator: char) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars();
    let mut quoted = false;
    let mut after_quote = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => field.extend(chars.next()),
            '"' if quoted => {
                quoted = false;
                after_quote = true;
            }
            '"' if field.is_empty() && !after_quote => quoted = true,
            c if c == separator && !quoted => {
                fields.push(std::mem::take(&mut field));
                after_quote = false;
            }
            _ if after_quote => {}
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// `application/x-www-form-urlencoded`: `a=1&b=x+y` as `{a: "1", b: "x y"}`; a key without
/// `=` has a null value, and repeated keys stay repeated.
pub(crate) fn urlencoded(text: &str) -> Value {
    let pairs = text.split('&').filter(|part| !part.is_empty()).map(|part| {
        let (key, value) = match part.split_once('=') {
            Some((key, value)) => (key, Value::string(url_decode(value))),
            None => (part, Value::Null),
        };
        (Arc::<str>::from(url_decode(key)), value)
    });
    Value::Object(Arc::new(pairs.collect()))
}

/// Undoes Java's `URLEncoder`: `+` is a space and `%XX` a byte; a malformed escape stays.
fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while idx < bytes.len() {
        let hex = bytes.get(idx + 1..idx + 3).and_then(|digits| {
            std::str::from_utf8(digits).ok().and_then(|d| u8::from_str_radix(d, 16).ok())
        });
        match (bytes[idx], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(byte)) => {
                out.push(byte);
                idx += 2;
            }
            (byte, _) => out.push(byte),
        }
        idx += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_handle_quotes_and_escapes() {
        assert_eq!(csv_fields(r#""x,y",a\,b,"q"z"#, ','), ["x,y", "a,b", "q"]);
        assert_eq!(csv_fields("1,", ','), ["1", ""]);
    }

    #[test]
    fn url_decoding_keeps_malformed_escapes() {
        assert_eq!(url_decode("a+b%41%zz%"), "a bA%zz%");
    }
}
