//! The writers an `output` directive selects, other than JSON ([`json`](super::json)):
//! `text/plain`, `application/csv`, `application/x-www-form-urlencoded` and `application/dw`.
//!
//! Each turns a finished value into text, with the reference engine's defaults and
//! messages. A writer failure is a [`WriteError`], which the caller decorates with the
//! script excerpt the way DataWeave does.

use crate::expr::eval::{cannot_coerce, dw_repr, type_name, written_string};
use crate::expr::{json, range};
use crate::value::{MediaType, Value};

/// Why a value could not be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct WriteError {
    /// DataWeave's message.
    pub(crate) message: String,
    /// The writer's name in DataWeave's messages (`TextPlain`, `CSV`).
    pub(crate) writer: &'static str,
    /// True when DataWeave prints the script excerpt before `while writing` as well.
    pub(crate) excerpt_first: bool,
    /// For a value inside the written one that the writer cannot write as it is (`Cannot
    /// coerce Object to String` for a CSV field): where it sits, as the array indexes and
    /// object pair positions that lead to it. DataWeave reports such a failure as that
    /// value's own, placed where the script wrote it, without `while writing`.
    pub(crate) value_at: Option<Vec<usize>>,
}

impl WriteError {
    /// A failure of the writer with the value as a whole (`while writing CSV at ...`).
    fn whole(message: String, writer: &'static str) -> WriteError {
        WriteError { message, writer, excerpt_first: false, value_at: None }
    }

    /// A failure to coerce the value at `path` inside the written one.
    fn value(message: String, writer: &'static str, path: Vec<usize>) -> WriteError {
        WriteError { message, writer, excerpt_first: false, value_at: Some(path) }
    }
}

/// `text/plain`: strings, numbers, booleans and dates as text; null writes nothing.
pub(crate) fn text(value: &Value) -> Result<String, WriteError> {
    match value {
        Value::Null => Ok(String::new()),
        Value::Array(_) | Value::Range(_) | Value::Object(_) | Value::Function(_) => {
            Err(WriteError {
                message: format!(
                    "Text plain writer is unable to write {ty}.\nReason:\nCannot coerce {ty} to String",
                    ty = type_name(value)
                ),
                writer: "TextPlain",
                excerpt_first: true,
                value_at: None,
            })
        }
        other => Ok(written_string(other).unwrap_or_default()),
    }
}

/// `application/dw`: DataWeave's own notation, as `log` and the reference engine's default
/// output print values (`{\n  a: [\n    1, \n    2\n  ]\n}`).
///
/// # Errors
///
/// A range too long to write.
pub(crate) fn dw(value: &Value) -> Result<String, WriteError> {
    dw_indented(value, DW_INDENT)
}

/// The `application/dw` writer's default `indent`.
pub(crate) const DW_INDENT: &str = "  ";

/// `application/dw` with the writer property `indent`: the text each level is indented by;
/// an empty one writes everything on one line (`{a: 1,b: [1, 2]}`), as DataWeave does.
pub(crate) fn dw_indented(value: &Value, indent: &str) -> Result<String, WriteError> {
    let mut out = String::new();
    match write_dw(&mut out, value, 0, indent) {
        Ok(()) => Ok(out),
        Err(message) => Err(WriteError::whole(message, "DataWeave")),
    }
}

fn write_dw(out: &mut String, value: &Value, depth: usize, unit: &str) -> Result<(), String> {
    let indent = |out: &mut String, depth: usize| {
        if !unit.is_empty() {
            out.push('\n');
            out.push_str(&unit.repeat(depth));
        }
    };
    match value {
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(pairs) if pairs.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            out.push('[');
            for (idx, item) in items.iter().enumerate() {
                // DataWeave leaves a space after the comma of an array element.
                out.push_str(if idx > 0 { ", " } else { "" });
                indent(out, depth + 1);
                write_dw(out, item, depth + 1, unit)?;
            }
            indent(out, depth);
            out.push(']');
        }
        Value::Range(r) => write_dw(out, &range::to_array(r)?, depth, unit)?,
        Value::Object(pairs) => {
            out.push('{');
            for (idx, (key, item)) in pairs.iter().enumerate() {
                out.push_str(if idx > 0 { "," } else { "" });
                indent(out, depth + 1);
                out.push_str(&dw_key(key));
                out.push_str(": ");
                write_dw(out, item, depth + 1, unit)?;
            }
            indent(out, depth);
            out.push('}');
        }
        Value::String(text) => out.push_str(&dw_string(text)),
        other => out.push_str(&dw_repr(other)),
    }
    Ok(())
}

/// A string literal as DataWeave writes it: JSON escapes, and `$` escaped too.
fn dw_string(text: &str) -> String {
    let mut out = String::new();
    json::write_string(&mut out, text);
    out.replace('$', "\\$")
}

/// A key as DataWeave's `application/dw` writer writes it: bare or quoted (see
/// [`is_bare_key`]), so that it reads back as the same key.
pub(crate) fn dw_key(key: &str) -> String {
    if is_bare_key(key) { key.to_owned() } else { dw_string(key) }
}

/// Whether DataWeave writes `key` without quotes: an ASCII letter, then ASCII letters,
/// digits and `_`, and not one of the words it reserves (`"true"`, `"if"`, `"_x"` and `"ñ"`
/// are quoted).
pub(crate) fn is_bare_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !DW_RESERVED.contains(&key)
}

/// The words the reference engine's `application/dw` writer quotes as keys, found by
/// writing keywords of DataWeave, Java, Scala, JavaScript, Kotlin and Rust through it.
const DW_RESERVED: &[&str] = &[
    "and", "as", "async", "case", "default", "do", "else", "enum", "false", "for", "fun", "if",
    "import", "input", "is", "ns", "null", "or", "output", "private", "throw", "true", "type",
    "unless", "using", "var", "yield",
];

/// The writer properties DataWeave accepts for `mime`, as its error lists them; `None` for a
/// media type whose writer flowrun does not have (reported elsewhere).
pub(crate) fn writer_options(mime: &str) -> Option<&'static [&'static str]> {
    const JSON: &[&str] = &[
        "writeAttributes",
        "indent",
        "encoding",
        "bufferSize",
        "skipNullOn",
        "deferred",
        "duplicateKeyAsArray",
    ];
    const CSV: &[&str] = &[
        "separator",
        "encoding",
        "quote",
        "escape",
        "lineSeparator",
        "bufferSize",
        "bodyStartLineNumber",
        "ignoreEmptyLine",
        "header",
        "quoteHeader",
        "headerLineNumber",
        "quoteValues",
        "deferred",
    ];
    const TEXT: &[&str] = &["encoding", "bufferSize", "deferred"];
    const DW: &[&str] =
        &["indent", "ignoreSchema", "onlyData", "maxCollectionSize", "bufferSize", "deferred"];
    let media_type = MediaType::parse(mime)?;
    if media_type.is_json() {
        return Some(JSON);
    }
    match media_type.essence().as_str() {
        "application/csv" | "text/csv" => Some(CSV),
        "text/plain" | "application/x-www-form-urlencoded" => Some(TEXT),
        "application/dw" => Some(DW),
        _ => None,
    }
}

/// The CSV writer's properties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CsvOptions {
    /// Write the keys of the first row as a header line (`header`, default true).
    pub(crate) header: bool,
    /// Field separator (`separator`, default `,`).
    pub(crate) separator: char,
    /// Wrap every value in quotes (`quoteValues`, default false).
    pub(crate) quote_values: bool,
    /// Wrap every header name in quotes (`quoteHeader`, default false).
    pub(crate) quote_header: bool,
    /// The quote character (`quote`, default `"`).
    pub(crate) quote: char,
    /// The character written before special characters (`escape`, default `\`).
    pub(crate) escape: char,
    /// What ends each line (`lineSeparator`, default a line feed).
    pub(crate) line_separator: String,
}

impl CsvOptions {
    /// Options from `output` properties; those that do not change the text are ignored.
    pub(crate) fn from_props(props: &[(String, String)]) -> CsvOptions {
        let mut options = CsvOptions {
            header: true,
            separator: ',',
            quote_values: false,
            quote_header: false,
            quote: '"',
            escape: '\\',
            line_separator: "\n".to_owned(),
        };
        for (name, value) in props {
            let first = value.chars().next();
            match name.as_str() {
                "header" => options.header = value != "false",
                "separator" => options.separator = first.unwrap_or(','),
                "quoteValues" => options.quote_values = value == "true",
                "quoteHeader" => options.quote_header = value == "true",
                "quote" => options.quote = first.unwrap_or('"'),
                "escape" => options.escape = first.unwrap_or('\\'),
                "lineSeparator" => options.line_separator.clone_from(value),
                _ => {}
            }
        }
        options
    }

    fn quoted(&self, text: String, quote: bool) -> String {
        if quote { format!("{q}{text}{q}", q = self.quote) } else { text }
    }
}

/// `application/csv`: an array of objects (or one object), one line per object.
///
/// As in the reference engine, the header comes from the first object, later rows are
/// written by position, and special characters are escaped with a backslash.
pub(crate) fn csv(value: &Value, options: &CsvOptions) -> Result<String, WriteError> {
    // The path to a row inside the value: its index, or nothing for a lone object.
    let (rows, in_array): (Vec<&Value>, bool) = match value {
        Value::Array(items) => (items.iter().collect(), true),
        Value::Object(_) => (vec![value], false),
        other => {
            let message = format!(
                "CSV Structure should be either an `Array<Object>` or an `Object` but got {}",
                type_name(other)
            );
            return Err(WriteError::whole(message, "CSV"));
        }
    };
    let row_path = |idx: usize| if in_array { vec![idx] } else { Vec::new() };
    let mut out = String::new();
    for (idx, row) in rows.iter().enumerate() {
        let Value::Object(pairs) = row else {
            return Err(WriteError::value(cannot_coerce(row, "Object"), "CSV", row_path(idx)));
        };
        if idx == 0 && options.header {
            let keys: Vec<String> = pairs
                .iter()
                .map(|(k, _)| {
                    options
                        .quoted(escape_csv(k, options, options.quote_header), options.quote_header)
                })
                .collect();
            push_line(&mut out, &keys, options);
        }
        let mut fields = Vec::with_capacity(pairs.len());
        for (position, (_, field)) in pairs.iter().enumerate() {
            fields.push(csv_field(field, options).map_err(|message| {
                let mut path = row_path(idx);
                path.push(position);
                WriteError::value(message, "CSV", path)
            })?);
        }
        push_line(&mut out, &fields, options);
    }
    Ok(out)
}

/// A field as text, or DataWeave's message for a value that is none.
fn csv_field(value: &Value, options: &CsvOptions) -> Result<String, String> {
    let text = match value {
        Value::Null => String::new(),
        other => written_string(other).ok_or_else(|| cannot_coerce(other, "String"))?,
    };
    Ok(options.quoted(escape_csv(&text, options, options.quote_values), options.quote_values))
}

/// A field with its special characters escaped; a separator needs no escape in quotes.
fn escape_csv(text: &str, options: &CsvOptions, quoted: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if (c == options.separator && !quoted)
            || c == options.quote
            || c == options.escape
            || matches!(c, '\n' | '\r')
        {
            out.push(options.escape);
        }
        out.push(c);
    }
    out
}

fn push_line(out: &mut String, fields: &[String], options: &CsvOptions) {
    out.push_str(&fields.join(&options.separator.to_string()));
    out.push_str(&options.line_separator);
}

/// `application/x-www-form-urlencoded`: `key=value` pairs joined by `&`, encoded as Java's
/// `URLEncoder` does; a null value writes the key alone, an array repeats the key.
pub(crate) fn urlencoded(value: &Value) -> Result<String, WriteError> {
    let Value::Object(pairs) = value else {
        return Err(WriteError::value(cannot_coerce(value, "Object"), "UrlEncoded", Vec::new()));
    };
    let mut parts = Vec::new();
    for (position, (key, field)) in pairs.iter().enumerate() {
        // An array repeats the key, each element at its own place.
        let values: Vec<(&Value, Option<usize>)> = match field {
            Value::Array(items) => items.iter().enumerate().map(|(i, v)| (v, Some(i))).collect(),
            other => vec![(other, None)],
        };
        for (value, element) in values {
            let part = match value {
                Value::Null => url_encode(key),
                other => {
                    let text = written_string(other).ok_or_else(|| {
                        let path = std::iter::once(position).chain(element).collect();
                        WriteError::value(cannot_coerce(other, "String"), "UrlEncoded", path)
                    })?;
                    format!("{}={}", url_encode(key), url_encode(&text))
                }
            };
            parts.push(part);
        }
    }
    Ok(parts.join("&"))
}

/// Java's `URLEncoder.encode` with UTF-8: letters, digits and `.-*_` stay, a space becomes
/// `+`, every other byte `%XX`.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_escapes_with_backslashes() {
        let row = Value::object([("a", Value::string("x,y")), ("b", Value::string("q\"r\n"))]);
        let options = CsvOptions::from_props(&[]);
        assert_eq!(csv(&Value::array([row]), &options).expect("writes"), "a,b\nx\\,y,q\\\"r\\\n\n");
    }

    #[test]
    fn urlencoded_follows_java() {
        let form = Value::object([("a b", Value::string("~*.-_!é")), ("n", Value::Null)]);
        assert_eq!(urlencoded(&form).expect("writes"), "a+b=%7E*.-_%21%C3%A9&n");
    }
}
