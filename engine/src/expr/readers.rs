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

/// `application/csv`: one object per record, keyed by the header record.
///
/// As in the reference engine, a field may be quoted (`"x,y"`, where a line break is part of
/// the field), an escape makes the next character plain text, a line ends at `\n`, `\r\n` or
/// a lone `\r`, a short record gives a short object, and a field beyond the header is named
/// `column_N` after its position. `headerLineNumber` and `bodyStartLineNumber` count physical
/// lines, so a line inside a quoted field counts, and a line they start on is read as the
/// start of a record even when it was inside one.
pub(crate) fn csv(text: &str, options: &CsvReadOptions) -> Value {
    let mut reader = CsvReader { text, pos: 0, line: 1, options };
    let header = if options.header {
        reader.skip_to_line(options.header_line.max(1));
        reader.next_record()
    } else {
        None
    };
    reader.skip_to_line(options.body_line);
    let mut rows = Vec::new();
    while let Some(fields) = reader.next_record() {
        let pairs = fields.into_iter().enumerate().map(|(idx, field)| {
            let name = header
                .as_ref()
                .and_then(|names| names.get(idx).cloned())
                .unwrap_or_else(|| format!("column_{idx}"));
            (Arc::<str>::from(name), Value::string(field))
        });
        rows.push(Value::Object(Arc::new(pairs.collect())));
    }
    Value::array(rows)
}

/// A cursor over CSV text that reads it record by record.
struct CsvReader<'a> {
    text: &'a str,
    /// Byte offset of the next character to read.
    pos: usize,
    /// The physical line `pos` is on, from 1.
    line: usize,
    options: &'a CsvReadOptions,
}

impl CsvReader<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' || (c == '\r' && self.peek() != Some('\n')) {
            self.line += 1;
        }
        Some(c)
    }

    /// Moves on to the start of physical line `line`, if it is ahead.
    fn skip_to_line(&mut self, line: usize) {
        while self.line < line && self.bump().is_some() {}
    }

    /// The next record's fields, skipping empty records (no text, or one blank or `""`
    /// field) unless `ignoreEmptyLine` is false; None at the end of the text.
    fn next_record(&mut self) -> Option<Vec<String>> {
        loop {
            if self.pos >= self.text.len() {
                return None;
            }
            let fields = self.record();
            let empty = fields.len() == 1 && fields[0].trim().is_empty();
            if !empty || !self.options.ignore_empty_lines {
                return Some(fields);
            }
        }
    }

    /// Reads one record up to an unquoted line break (consumed) or the end of the text.
    fn record(&mut self) -> Vec<String> {
        let mut fields = Vec::new();
        loop {
            let (field, more) = self.field();
            fields.push(field);
            if !more {
                return fields;
            }
        }
    }

    /// Reads one field; true when a separator follows it, false at the record's end.
    fn field(&mut self) -> (String, bool) {
        let opts = self.options;
        let mut field = String::new();
        // Blanks before an opening quote are dropped; elsewhere they are text.
        let blanks = self.text[self.pos..].find(|c: char| c != ' ' && c != '\t').unwrap_or(0);
        if self.text[self.pos + blanks..].starts_with(opts.quote) {
            self.pos += blanks;
            self.bump();
            // Inside quotes an escape makes only a quote or an escape plain text, and line
            // breaks are text; text after the closing quote, up to the separator, is dropped.
            while let Some(c) = self.bump() {
                if c == opts.escape
                    && matches!(self.peek(), Some(next) if next == opts.quote || next == c)
                {
                    field.extend(self.bump());
                } else if c == opts.quote {
                    break;
                } else {
                    field.push(c);
                }
            }
            loop {
                if let Some(more) = self.field_end() {
                    return (field, more);
                }
                self.bump();
            }
        }
        loop {
            if let Some(more) = self.field_end() {
                return (field, more);
            }
            let Some(c) = self.bump() else { return (field, false) };
            // An escape makes a separator, quote, escape or line break character that follows
            // it plain text (of `\r\n` only the `\r`), and stays itself before anything else
            // (`1\x2` is `1\x2`), as DataWeave reads it.
            let escaped = self.peek().filter(|&next| {
                next == opts.separator
                    || next == opts.quote
                    || next == c
                    || next == '\n'
                    || next == '\r'
            });
            match escaped {
                Some(next) if c == opts.escape => {
                    self.bump();
                    field.push(next);
                }
                _ => field.push(c),
            }
        }
    }

    /// At the end of a field (a separator, a line break or the end of the text): consumes
    /// the separator or line break and tells whether another field of the record follows.
    /// `None` anywhere else.
    fn field_end(&mut self) -> Option<bool> {
        match self.peek() {
            None => Some(false),
            Some(c) if c == self.options.separator => {
                self.bump();
                Some(true)
            }
            Some('\n' | '\r') => {
                self.line_break();
                Some(false)
            }
            Some(_) => None,
        }
    }

    /// Consumes a line break: `\n`, `\r\n` or a lone `\r`.
    fn line_break(&mut self) {
        if self.bump() == Some('\r') && self.peek() == Some('\n') {
            self.bump();
        }
    }
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
        let fields = |text: &str| CsvReader { text, pos: 0, line: 1, options: &options }.record();
        assert_eq!(fields(r#""x,y",a\,b,"q"z"#), ["x,y", "a,b", "q"]);
        assert_eq!(fields("1,"), ["1", ""]);
        assert_eq!(fields(r"1\x2"), [r"1\x2"]);
        assert_eq!(fields("\"a\r\nb\" ,c\\\r\nd"), ["a\r\nb", "c\r"]);
    }

    #[test]
    fn url_decoding_keeps_malformed_escapes() {
        assert_eq!(url_decode("a+b%41%zz%"), "a bA%zz%");
    }
}
