//! JSON reading and writing in DataWeave's manner.
//!
//! The reader turns a payload's bytes into a [`Value`], keeping key order, duplicate keys
//! and each number's digits (serde_json's map would drop duplicates, so this is a small
//! hand-written reader). It follows the rules of DataWeave's default (non-streaming) JSON
//! reader, and its errors use the reference runtime's wording, such as
//! ``Unexpected end-of-input at payload@[1:6] (line:column), expected ']', while reading `payload` as Json.``
//! without the excerpt of the input that DataWeave adds (it may be the whole body).
//!
//! The writer prints what DataWeave's JSON writer prints: with `indent` (the default) two
//! spaces per level and `"key": value`; an empty object or array still gets its own
//! (blank) inner line, as the reference runtime does. Without `indent` the output is one
//! line with `"key": value` pairs separated by a bare `,`.

use std::borrow::Cow;

use bigdecimal::BigDecimal;

use crate::expr::eval::{self, Fail, dw_repr};
use crate::expr::{num, period, range, time, zone};
use crate::value::Value;

/// Parses JSON `bytes` read as input `name` (`payload`, a variable name). Positions in
/// errors count bytes, and a character that is not ASCII is named by its first byte, as
/// DataWeave's reader of an input does. A byte-order mark alone is empty input.
pub(crate) fn read(bytes: &[u8], name: &str) -> Result<Value, String> {
    // A byte-order mark before the text is skipped, as DataWeave skips it.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    read_with(&String::from_utf8_lossy(bytes), name, false)
}

/// Parses JSON `text`, a String given to `read`: DataWeave then counts positions in
/// characters and names a character as it is.
pub(crate) fn read_text(text: &str, name: &str) -> Result<Value, String> {
    read_with(text, name, true)
}

fn read_with(text: &str, name: &str, chars: bool) -> Result<Value, String> {
    let mut reader = Reader { text, bytes: text.as_bytes(), pos: 0, name, depth: 0, chars };
    if text.is_empty() {
        return Err(format!(
            "Unable to parse empty input, while reading `{name}` as Json.\n \n1| \n   ^"
        ));
    }
    let value = reader.value()?;
    reader.skip_ws();
    if let Some(found) = reader.found() {
        return Err(reader.fail(&format!("Expecting end of input but got `{found}")));
    }
    Ok(value)
}

/// The JSON writer's properties (`output application/json indent=false, skipNullOn="arrays"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WriterOptions {
    /// Pretty-print with two spaces per level (`indent`, default true).
    pub(crate) indent: bool,
    /// Leave out null values of objects (`skipNullOn="objects"` or `"everywhere"`).
    pub(crate) skip_null_in_objects: bool,
    /// Leave out null elements of arrays (`skipNullOn="arrays"` or `"everywhere"`).
    pub(crate) skip_null_in_arrays: bool,
    /// Write the values of a key repeated in an object as one array, at the key's first
    /// place (`duplicateKeyAsArray=true`).
    pub(crate) duplicate_key_as_array: bool,
}

impl WriterOptions {
    /// The writer's defaults, with or without indentation.
    pub(crate) fn indented(indent: bool) -> WriterOptions {
        WriterOptions {
            indent,
            skip_null_in_objects: false,
            skip_null_in_arrays: false,
            duplicate_key_as_array: false,
        }
    }

    /// Options from `output` properties; unknown properties are ignored, as DataWeave's
    /// reader-only and encoding properties do not change the text.
    pub(crate) fn from_props(props: &[(String, String)]) -> WriterOptions {
        let mut options = WriterOptions::indented(true);
        for (name, value) in props {
            match (name.as_str(), value.as_str()) {
                // Read as Java's `Boolean.parseBoolean`: `true` in any case, else false.
                ("indent", value) => options.indent = value.eq_ignore_ascii_case("true"),
                ("duplicateKeyAsArray", value) => {
                    options.duplicate_key_as_array = value.eq_ignore_ascii_case("true");
                }
                ("skipNullOn", "objects") => options.skip_null_in_objects = true,
                ("skipNullOn", "arrays") => options.skip_null_in_arrays = true,
                ("skipNullOn", "everywhere") => {
                    options.skip_null_in_objects = true;
                    options.skip_null_in_arrays = true;
                }
                _ => {}
            }
        }
        options
    }
}

/// Writes `value` as JSON text; `indent` pretty-prints with two spaces per level.
pub(crate) fn write(value: &Value, indent: bool) -> String {
    write_with(value, WriterOptions::indented(indent))
}

/// Writes `value` as JSON text with the given writer properties.
pub(crate) fn write_with(value: &Value, options: WriterOptions) -> String {
    let mut writer = Writer { out: String::new(), options, error: None, limit: usize::MAX };
    writer.value(value, 0);
    writer.out
}

/// Like [`write_with`], but fails as DataWeave's writer does when a date's remembered
/// pattern cannot write it (`HH` on a Date) or on a function, and once the text grows
/// beyond `limit` bytes, before a value that shares its parts (`[a, a]` built again and
/// again) exhausts memory.
pub(crate) fn write_limited(
    value: &Value,
    options: WriterOptions,
    limit: usize,
) -> Result<String, Fail> {
    let mut writer = Writer { out: String::new(), options, error: None, limit };
    writer.value(value, 0);
    match writer.error {
        Some(error) => Err(error),
        None => Ok(writer.out),
    }
}

/// Writes a string literal with JSON escapes.
pub(crate) fn write_string(out: &mut String, text: &str) {
    out.push('"');
    let mut plain = 0;
    for (idx, c) in text.char_indices() {
        if !is_escaped(c) {
            continue;
        }
        out.push_str(&text[plain..idx]);
        plain = idx + c.len_utf8();
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
    }
    out.push_str(&text[plain..]);
    out.push('"');
}

/// Whether DataWeave's JSON writer (and its `application/dw` writer) escapes `c`: quotes,
/// backslashes, control characters (C0, DEL and C1), and the invisible or reserved
/// characters U+00AD, U+0600–U+0604, U+070F, U+17B4–U+17B5, U+200C–U+200F,
/// U+2060–U+206F, U+FEFF and U+FFF0–U+FFFF. Every code point was written through the
/// reference engine to find this set; nothing outside the Basic Multilingual Plane is in it.
fn is_escaped(c: char) -> bool {
    match c {
        ' '..='~' => c == '"' || c == '\\',
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{ad}' => true,
        '\u{a0}'..='\u{5ff}' => false,
        '\u{600}'..='\u{604}'
        | '\u{70f}'
        | '\u{17b4}'..='\u{17b5}'
        | '\u{200c}'..='\u{200f}'
        | '\u{2060}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff0}'..='\u{ffff}' => true,
        _ => false,
    }
}

struct Writer {
    out: String,
    options: WriterOptions,
    /// The first date that its remembered pattern could not write, the first function
    /// (which has no JSON form), or the size limit.
    error: Option<Fail>,
    /// Writing stops once the text is longer than this many bytes.
    limit: usize,
}

impl Writer {
    fn value(&mut self, value: &Value, depth: usize) {
        match value {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => self.out.push_str(&num::to_dw_string(n)),
            Value::String(s) | Value::Key(s) | Value::Type(s) => write_string(&mut self.out, s),
            Value::Binary(bytes) => write_string(&mut self.out, &String::from_utf8_lossy(bytes)),
            Value::Period(p) => write_string(&mut self.out, &period::to_iso(p)),
            Value::TimeZone(offset) => write_string(&mut self.out, &zone::to_text(*offset)),
            Value::Function(function) => {
                self.error.get_or_insert_with(|| eval::unwritable_function(function));
                self.out.push_str("null");
            }
            Value::Temporal(t) => match time::written(t) {
                Ok(text) => write_string(&mut self.out, &text),
                Err(reason) => {
                    let shown = format!("{} ({})", time::type_name(t.kind), dw_repr(value));
                    let error = format!("Cannot coerce {shown} to String, caused by: {reason}");
                    self.error.get_or_insert(Fail::unplaced(error));
                    write_string(&mut self.out, &time::to_iso(t));
                }
            },
            Value::Range(r) => match range::to_array(r) {
                Ok(items) => self.value(&items, depth),
                Err(error) => {
                    self.error.get_or_insert(Fail::unplaced(error));
                    self.out.push_str("[]");
                }
            },
            Value::Array(items) => {
                let skip = self.options.skip_null_in_arrays;
                let items = items.iter().filter(|v| !(skip && **v == Value::Null));
                self.container(('[', ']'), items.map(|item| (None, Entry::One(item))), depth);
            }
            Value::Object(pairs) => {
                let skip = self.options.skip_null_in_objects;
                let pairs = pairs.iter().filter(|(_, v)| !(skip && *v == Value::Null));
                if self.options.duplicate_key_as_array {
                    // Each key once, at its first place, with all its values.
                    let mut grouped: Vec<(&str, Vec<&Value>)> = Vec::new();
                    for (key, value) in pairs {
                        match grouped.iter_mut().find(|(k, _)| *k == &**key) {
                            Some((_, values)) => values.push(value),
                            None => grouped.push((key, vec![value])),
                        }
                    }
                    let entries = grouped.into_iter().map(|(key, mut values)| {
                        let entry = if values.len() == 1 {
                            Entry::One(values.remove(0))
                        } else {
                            Entry::Many(values)
                        };
                        (Some(key), entry)
                    });
                    self.container(('{', '}'), entries, depth);
                } else {
                    let entries = pairs.map(|(k, v)| (Some(&**k), Entry::One(v)));
                    self.container(('{', '}'), entries, depth);
                }
            }
        }
    }

    /// The values of a repeated key as one array. DataWeave writes its elements and its
    /// closing bracket at the key's own depth, not one deeper.
    fn grouped(&mut self, values: &[&Value], depth: usize) {
        self.out.push('[');
        for (idx, value) in values.iter().enumerate() {
            if idx > 0 {
                self.out.push(',');
            }
            if self.options.indent {
                newline(&mut self.out, depth);
            }
            self.value(value, depth);
        }
        if self.options.indent {
            newline(&mut self.out, depth);
        }
        self.out.push(']');
    }

    fn container<'v>(
        &mut self,
        (open, close): (char, char),
        entries: impl Iterator<Item = (Option<&'v str>, Entry<'v>)>,
        depth: usize,
    ) {
        let indent = self.options.indent;
        self.out.push(open);
        let mut is_empty = true;
        for (key, value) in entries {
            if self.out.len() > self.limit {
                let limit = self.limit;
                self.error =
                    Some(Fail::unplaced(format!("flowrun writes texts of at most {limit} bytes")));
                return;
            }
            if !is_empty {
                self.out.push(',');
            }
            is_empty = false;
            if indent {
                newline(&mut self.out, depth + 1);
            }
            if let Some(key) = key {
                write_string(&mut self.out, key);
                self.out.push_str(": ");
            }
            match value {
                Entry::One(value) => self.value(value, depth + 1),
                Entry::Many(values) => self.grouped(&values, depth + 1),
            }
        }
        if indent {
            if is_empty {
                newline(&mut self.out, depth + 1);
            }
            newline(&mut self.out, depth);
        }
        self.out.push(close);
    }
}

/// What a container writes after a key (or for an element).
enum Entry<'v> {
    One(&'v Value),
    /// The values of a key repeated in an object, under `duplicateKeyAsArray`.
    Many(Vec<&'v Value>),
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

struct Reader<'a> {
    text: &'a str,
    /// The bytes of `text`: the reader walks bytes, and positions (columns too) count
    /// bytes, as DataWeave's JSON reader counts them.
    bytes: &'a [u8],
    pos: usize,
    name: &'a str,
    depth: usize,
    /// Whether errors count characters rather than bytes (see [`read_text`]).
    chars: bool,
}

/// How deeply arrays and objects may nest in input. The reader recurses per level, and input
/// comes from the network, so the limit keeps a hostile body from exhausting the stack.
const MAX_DEPTH: usize = 512;

/// What a value may start with, in the reference runtime's words.
const VALUE_EXPECTED: &str = "false or true or null or {...} or [...] or number but was ";

/// A character as DataWeave's reader names it in a message: a control character as `\u0009`.
fn shown(c: char) -> String {
    if c.is_control() { format!("\\u{:04x}", c as u32) } else { c.to_string() }
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The character at the current position as a message names it: in an input, a
    /// character that is not ASCII by its first byte as Latin-1 (`é` is `Ã`).
    fn found(&self) -> Option<String> {
        if self.chars {
            return self.text[self.pos..].chars().next().map(shown);
        }
        self.peek().map(|byte| shown(char::from(byte)))
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The reader error at the current position. It says what and where, and quotes no
    /// input: DataWeave would follow it with the whole input line, which for a minified
    /// body is the whole body, personal data and secrets included.
    fn fail(&self, expected: &str) -> String {
        let before = &self.bytes[..self.pos];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |idx| idx + 1);
        let column = if self.chars {
            self.text[line_start..self.pos].chars().count() + 1
        } else {
            self.pos - line_start + 1
        };
        let what = match self.found() {
            Some(found) => format!("Unexpected character '{found}'"),
            None => "Unexpected end-of-input".to_owned(),
        };
        format!(
            "{what} at {name}@[{line}:{column}] (line:column), expected {expected}, while reading `{name}` as Json.",
            name = self.name
        )
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            return Ok(());
        }
        Err(self.fail(&format!("'{}'", char::from(c))))
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_ws();
        match self.peek() {
            Some(b'{' | b'[') if self.depth >= MAX_DEPTH => {
                Err(self.fail(&format!("at most {MAX_DEPTH} levels of nesting")))
            }
            Some(b'{') => self.nested(Reader::object),
            Some(b'[') => self.nested(Reader::array),
            Some(b'"') => self.string().map(|text| Value::string(&*text)),
            Some(b't') => self.word(b"true", Value::Bool(true)),
            Some(b'f') => self.word(b"false", Value::Bool(false)),
            Some(b'n') => self.word(b"null", Value::Null),
            Some(c) if c == b'-' || c.is_ascii_digit() => self.number(),
            _ => Err(self.fail(VALUE_EXPECTED)),
        }
    }

    fn nested(&mut self, read: fn(&mut Self) -> Result<Value, String>) -> Result<Value, String> {
        self.depth += 1;
        let result = read(self);
        self.depth -= 1;
        result
    }

    fn word(&mut self, word: &[u8], value: Value) -> Result<Value, String> {
        for &expected in word {
            if self.peek() != Some(expected) {
                return Err(self.fail(&format!("'{}'", char::from(expected))));
            }
            self.pos += 1;
        }
        Ok(value)
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.peek() == Some(b'0') {
            // A leading zero stands alone, as JSON requires: `01` stops after the `0`.
            self.pos += 1;
        } else {
            self.digits()?;
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.digits()?;
        }
        let text = &self.text[start..self.pos];
        let number: BigDecimal = text.parse().map_err(|_| self.fail("number"))?;
        if !crate::expr::num::in_range(&number) {
            let max = crate::expr::num::MAX_EXPONENT;
            return Err(format!(
                "The number {text} in `{}` has an exponent beyond {max}, which flowrun does not read.",
                self.name
            ));
        }
        Ok(Value::Number(number))
    }

    /// One or more digits.
    fn digits(&mut self) -> Result<(), String> {
        let n_digits = self.bytes[self.pos..].iter().take_while(|b| b.is_ascii_digit()).count();
        if n_digits == 0 {
            return Err(self.fail("readDigit"));
        }
        self.pos += n_digits;
        Ok(())
    }

    /// A string, borrowed from the input when it has no escapes. A control character
    /// (below U+0020) must be escaped, as DataWeave requires: a raw one is an error.
    fn string(&mut self) -> Result<Cow<'a, str>, String> {
        self.expect(b'"')?;
        let mut start = self.pos;
        let mut unescaped: Option<String> = None;
        loop {
            let rest = &self.bytes[self.pos..];
            let Some(run) = rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20) else {
                self.pos = self.bytes.len();
                return Err(self.fail("'\"'"));
            };
            self.pos += run;
            let part = &self.text[start..self.pos];
            match self.bytes[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(match unescaped {
                        None => Cow::Borrowed(part),
                        Some(mut text) => {
                            text.push_str(part);
                            Cow::Owned(text)
                        }
                    });
                }
                b'\\' => {
                    let text = unescaped.get_or_insert_with(String::new);
                    text.push_str(part);
                    self.pos += 1;
                    self.escape(text)?;
                    start = self.pos;
                }
                _ => return Err(self.fail("'\"'")),
            }
        }
    }

    fn escape(&mut self, text: &mut String) -> Result<(), String> {
        let Some(c) = self.text[self.pos..].chars().next() else {
            return Err(self.fail("'\"'"));
        };
        self.pos += c.len_utf8();
        let decoded = match c {
            '"' | '\\' | '/' => c,
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'u' => {
                text.push(self.unicode_escape()?);
                return Ok(());
            }
            _ => {
                return Err(format!(
                    "Unexpected character {c}, while reading `{}` as Json.",
                    self.name
                ));
            }
        };
        text.push(decoded);
        Ok(())
    }

    /// The character of `\uXXXX`, after the `u`. A surrogate pair written as two escapes is
    /// one character; a lone half of one is `?`, which is what DataWeave writes for it.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let code = self.hex4()?;
        if (0xD800..0xDC00).contains(&code) && self.bytes[self.pos..].starts_with(b"\\u") {
            let after = self.pos;
            self.pos += 2;
            match self.hex4() {
                Ok(low @ 0xDC00..0xE000) => {
                    let combined = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    return Ok(char::from_u32(combined).unwrap_or('?'));
                }
                // Not a low half: that escape is read on its own.
                _ => self.pos = after,
            }
        }
        Ok(char::from_u32(code).unwrap_or('?'))
    }

    /// Four characters read as a hexadecimal number, as Java's `Integer.parseInt` reads
    /// them; DataWeave's message names the four characters (an end of input as U+FFFF).
    fn hex4(&mut self) -> Result<u32, String> {
        let hex = self.bytes.get(self.pos..self.pos + 4).filter(|hex| hex.is_ascii());
        if let Some(code) =
            hex.and_then(|hex| u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok())
        {
            self.pos += 4;
            return Ok(code);
        }
        let mut shown: String = self.text[self.pos..].chars().take(4).collect();
        while shown.chars().count() < 4 {
            shown.push('\u{ffff}');
        }
        Err(format!("Unable to parse {shown} as numbe, while reading `{}` as Json.", self.name))
    }

    fn array(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::array(items));
                }
                _ => return Err(self.fail("']'")),
            }
        }
    }

    fn object(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut pairs: Vec<(std::sync::Arc<str>, Value)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(pairs.into()));
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            let value = self.value()?;
            pairs.push((std::sync::Arc::from(&*key), value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(pairs.into()));
                }
                _ => return Err(self.fail("'}'")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str, indent: bool) -> String {
        write(&read(text.as_bytes(), "payload").expect("valid json"), indent)
    }

    #[test]
    fn keeps_order_duplicates_and_digits() {
        assert_eq!(
            round_trip(r#"{"b": 1.50, "a": [true, null], "b": "x"}"#, false),
            r#"{"b": 1.5,"a": [true,null],"b": "x"}"#
        );
    }

    #[test]
    fn pretty_prints_like_dataweave() {
        assert_eq!(
            round_trip(r#"{"a": [1, {}], "b": []}"#, true),
            "{\n  \"a\": [\n    1,\n    {\n      \n    }\n  ],\n  \"b\": [\n    \n  ]\n}"
        );
    }

    #[test]
    fn errors_name_the_place() {
        let err = read(b"[1, 2", "payload").expect_err("unclosed array");
        assert!(
            err.starts_with("Unexpected end-of-input at payload@[1:6] (line:column), expected ']'"),
            "{err}"
        );
        let err = read(b"", "payload").expect_err("empty input");
        assert!(err.starts_with("Unable to parse empty input"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = read(deep.as_bytes(), "payload").expect_err("too deep");
        assert!(err.contains("at most 512 levels of nesting"), "{err}");
        let fine = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert!(read(fine.as_bytes(), "payload").is_ok());
    }

    #[test]
    fn errors_quote_no_input() {
        // A long minified body with a secret: the message says where, not what was there.
        let body = format!("{{\"key\": \"secret-123\", \"pad\": \"{}\" x}}", "p".repeat(100_000));
        let err = read(body.as_bytes(), "payload").expect_err("missing comma");
        assert_eq!(
            err,
            "Unexpected character 'x' at payload@[1:100033] (line:column), expected '}', while reading `payload` as Json."
        );
    }

    #[test]
    fn raw_control_characters_in_strings_are_refused() {
        for c in ['\u{0}', '\u{1}', '\t', '\n', '\r', '\u{1f}'] {
            let err = read(format!("[\"a{c}b\"]").as_bytes(), "payload").expect_err("raw control");
            let shown = format!("'\\u{:04x}'", c as u32);
            assert!(
                err.starts_with(&format!("Unexpected character {shown} at payload@[1:4]")),
                "{err}"
            );
        }
        assert_eq!(round_trip("[\"a\u{7f}b\"]", false), "[\"a\\u007fb\"]");
    }

    #[test]
    fn lone_surrogates_read_as_question_marks() {
        assert_eq!(
            round_trip(r#"["\ud800", "\ud83d\u0041", "\udc00\ud83d", "\ud83d\ude00"]"#, false),
            "[\"?\",\"?A\",\"??\",\"\u{1f600}\"]"
        );
    }

    #[test]
    fn escapes_what_dataweave_escapes() {
        let mut out = String::new();
        write_string(
            &mut out,
            "\u{85}\u{a0}\u{ad}\u{605}\u{200b}\u{200c}\u{2028}\u{2060}\u{feff}\u{fffd}\u{ffff}\u{e0001}",
        );
        assert_eq!(
            out,
            "\"\\u0085\u{a0}\\u00ad\u{605}\u{200b}\\u200c\u{2028}\\u2060\\ufeff\\ufffd\\uffff\u{e0001}\""
        );
    }

    #[test]
    fn escapes_control_characters() {
        let mut out = String::new();
        write_string(&mut out, "a\"\u{1}\u{7f}é/\u{85}\u{feff}\u{fffd}\u{2028}");
        assert_eq!(out, "\"a\\\"\\u0001\\u007fé/\\u0085\\ufeff\\ufffd\u{2028}\"");
    }
}
