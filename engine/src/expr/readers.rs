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
    /// The character that quotes a field (`quote`, default `"`).
    pub(crate) quote: char,
    /// The character that makes the next one literal (`escape`, default `\`).
    pub(crate) escape: char,
    /// Empty lines are skipped (`ignoreEmptyLine`, default true); otherwise each is a row of
    /// one empty field.
    pub(crate) ignore_empty_lines: bool,
    /// The line of the header, counted from 1 among the lines read (`headerLineNumber`;
    /// 0, the default, is the first line too).
    pub(crate) header_line: usize,
    /// The first line of the body, counted the same way (`bodyStartLineNumber`); the body
    /// never starts before the line after the header.
    pub(crate) body_line: usize,
}

/// The reader properties `read` takes for CSV, in the order DataWeave lists them.
pub(crate) const CSV_READ_OPTIONS: &[&str] = &[
    "streaming",
    "separator",
    "quote",
    "escape",
    "bodyStartLineNumber",
    "ignoreEmptyLine",
    "header",
    "headerLineNumber",
];

impl CsvReadOptions {
    /// Options from reader properties; unknown ones are ignored.
    pub(crate) fn from_props(props: &[(String, String)]) -> CsvReadOptions {
        let mut options = CsvReadOptions {
            header: true,
            separator: ',',
            quote: '"',
            escape: '\\',
            ignore_empty_lines: true,
            header_line: 0,
            body_line: 0,
        };
        let line_number = |value: &str| value.trim().parse::<usize>().unwrap_or(0);
        for (name, value) in props {
            match name.as_str() {
                "header" => options.header = value != "false",
                "separator" => options.separator = value.chars().next().unwrap_or(','),
                "quote" => options.quote = value.chars().next().unwrap_or('"'),
                "escape" => options.escape = value.chars().next().unwrap_or('\\'),
                "ignoreEmptyLine" => options.ignore_empty_lines = value != "false",
                "headerLineNumber" => options.header_line = line_number(value),
                "bodyStartLineNumber" => options.body_line = line_number(value),
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
    let lines: Vec<&str> =
        text.lines().filter(|line| !options.ignore_empty_lines || !line.is_empty()).collect();
    let (header, body_from) = if options.header {
        let at = options.header_line.max(1) - 1;
        let header = lines.get(at).map(|line| csv_fields(line, options));
        (header, at + 1)
    } else {
        (None, 0)
    };
    let body_from = body_from.max(options.body_line.saturating_sub(1));
    let rows = lines.iter().skip(body_from).map(|line| {
        let fields = csv_fields(line, options);
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
fn csv_fields(line: &str, options: &CsvReadOptions) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars();
    let mut quoted = false;
    let mut after_quote = false;
    while let Some(c) = chars.next() {
        match c {
            // An escape makes a separator, quote or escape that follows it plain text, and
            // stays itself before anything else (`1\x2` is `1\x2`), as DataWeave reads it.
            c if c == options.escape => match chars.clone().next() {
                Some(next) if next == options.separator || next == options.quote || next == c => {
                    field.push(next);
                    chars.next();
                }
                _ => field.push(c),
            },
            c if c == options.quote && quoted => {
                quoted = false;
                after_quote = true;
            }
            c if c == options.quote && field.is_empty() && !after_quote => quoted = true,
            c if c == options.separator && !quoted => {
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
        let options = CsvReadOptions::from_props(&[]);
        assert_eq!(csv_fields(r#""x,y",a\,b,"q"z"#, &options), ["x,y", "a,b", "q"]);
        assert_eq!(csv_fields("1,", &options), ["1", ""]);
        assert_eq!(csv_fields(r"1\x2", &options), [r"1\x2"]);
    }

    #[test]
    fn url_decoding_keeps_malformed_escapes() {
        assert_eq!(url_decode("a+b%41%zz%"), "a bA%zz%");
    }
}
