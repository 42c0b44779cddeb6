//! JSON reading and writing in DataWeave's manner.
//!
//! The reader turns a payload's bytes into a [`Value`], keeping key order, duplicate keys
//! and each number's digits (serde_json's map would drop duplicates, so this is a small
//! hand-written reader). Its errors use the reference runtime's wording, such as
//! ``Unexpected end-of-input at payload@[1:6] (line:column), expected ']', while reading `payload` as Json.``
//!
//! The writer prints what DataWeave's JSON writer prints: with `indent` (the default) two
//! spaces per level and `"key": value`; an empty object or array still gets its own
//! (blank) inner line, as the reference runtime does. Without `indent` the output is one
//! line with `"key": value` pairs separated by a bare `,`.

use bigdecimal::BigDecimal;

use crate::expr::eval::{self, Fail, dw_repr};
use crate::expr::{num, period, range, time, zone};
use crate::value::Value;

/// Parses JSON `bytes` read as input `name` (`payload`, a variable name).
pub(crate) fn read(bytes: &[u8], name: &str) -> Result<Value, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut reader = Reader { text: &text, pos: 0, name, depth: 0 };
    if text.is_empty() {
        return Err(format!(
            "Unable to parse empty input, while reading `{name}` as Json.\n \n1| \n   ^"
        ));
    }
    let value = reader.value()?;
    reader.skip_ws();
    if reader.pos < text.len() {
        let found = reader.peek().unwrap_or(' ');
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
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' || (c >= '\u{7f}' && escaped_in_json(c)) => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The characters besides the controls that DataWeave's JSON writer escapes: the C1 controls
/// and invisible format characters (soft hyphen, zero-width joiners, byte-order mark) and the
/// specials block (`\ufffd`), the list of `json2.js` without U+2028 to U+202F.
fn escaped_in_json(c: char) -> bool {
    matches!(
        c,
        '\u{7f}'..='\u{9f}'
            | '\u{ad}'
            | '\u{600}'..='\u{604}'
            | '\u{70f}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{200c}'..='\u{200f}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff0}'..='\u{ffff}'
    )
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
    pos: usize,
    name: &'a str,
    depth: usize,
}

/// How deeply arrays and objects may nest in input. The reader recurses per level, and input
/// comes from the network, so the limit keeps a hostile body from exhausting the stack.
const MAX_DEPTH: usize = 512;

/// What a value may start with, in the reference runtime's words.
const VALUE_EXPECTED: &str = "false or true or null or {...} or [...] or number but was ";

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn skip_ws(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
    }

    /// The reader error at the current position.
    fn fail(&self, expected: &str) -> String {
        let before = &self.text[..self.pos];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |idx| idx + 1);
        let column = before[line_start..].chars().count() + 1;
        let what = match self.peek() {
            Some(c) if c < ' ' => format!("Unexpected character '\\u{:04x}'", c as u32),
            Some(c) => format!("Unexpected character '{c}'"),
            None => "Unexpected end-of-input".to_owned(),
        };
        let line_text = self.text[line_start..].lines().next().unwrap_or("");
        let caret = format!("{}^", " ".repeat(column - 1 + line.to_string().len() + 2));
        format!(
            "{what} at {name}@[{line}:{column}] (line:column), expected {expected}, while reading `{name}` as Json.\n \n{line}| {line_text}\n{caret}",
            name = self.name
        )
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            return Ok(());
        }
        Err(self.fail(&format!("'{c}'")))
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_ws();
        match self.peek() {
            Some('{' | '[') if self.depth >= MAX_DEPTH => {
                Err(self.fail(&format!("at most {MAX_DEPTH} levels of nesting")))
            }
            Some('{') => self.nested(Reader::object),
            Some('[') => self.nested(Reader::array),
            Some('"') => self.string().map(Value::string),
            Some('t') => self.word("true", Value::Bool(true)),
            Some('f') => self.word("false", Value::Bool(false)),
            Some('n') => self.word("null", Value::Null),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            _ => Err(self.fail(VALUE_EXPECTED)),
        }
    }

    fn nested(&mut self, read: fn(&mut Self) -> Result<Value, String>) -> Result<Value, String> {
        self.depth += 1;
        let result = read(self);
        self.depth -= 1;
        result
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, String> {
        for expected in word.chars() {
            if self.peek() != Some(expected) {
                return Err(self.fail(&format!("'{expected}'")));
            }
            self.pos += 1;
        }
        Ok(value)
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        if self.peek() == Some('0') {
            // A leading zero stands alone, as JSON requires: `01` stops after the `0`.
            self.pos += 1;
        } else {
            self.digits()?;
        }
        if self.peek() == Some('.') {
            self.pos += 1;
            self.digits()?;
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
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
        let rest = &self.text[self.pos..];
        let n_digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if n_digits == 0 {
            return Err(self.fail("readDigit"));
        }
        self.pos += n_digits;
        Ok(())
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect('"')?;
        let mut text = String::new();
        loop {
            let Some(c) = self.peek() else { return Err(self.fail("'\"'")) };
            if c < ' ' {
                // A control character must be escaped inside a string, as JSON requires.
                return Err(self.fail("'\"'"));
            }
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(text),
                '\\' => self.escape(&mut text)?,
                c => text.push(c),
            }
        }
    }

    fn escape(&mut self, text: &mut String) -> Result<(), String> {
        let Some(c) = self.peek() else { return Err(self.fail("'\"'")) };
        self.pos += c.len_utf8();
        let decoded = match c {
            '"' | '\\' | '/' => c,
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'u' => return self.unicode_escape(text),
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

    fn unicode_escape(&mut self, text: &mut String) -> Result<(), String> {
        let mut code = self.hex4()?;
        // A high surrogate joins the low one escaped after it; a lone half is `?`, as Java
        // encodes it.
        while (0xD800..0xDC00).contains(&code) && self.text[self.pos..].starts_with("\\u") {
            self.pos += 2;
            let next = self.hex4()?;
            if (0xDC00..0xE000).contains(&next) {
                let combined = 0x10000 + ((code - 0xD800) << 10) + (next - 0xDC00);
                text.push(char::from_u32(combined).unwrap_or('?'));
                return Ok(());
            }
            text.push('?');
            code = next;
        }
        text.push(char::from_u32(code).unwrap_or('?'));
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let hex = self.text.get(self.pos..self.pos + 4).ok_or_else(|| self.fail("hex digit"))?;
        let code = u32::from_str_radix(hex, 16).map_err(|_| self.fail("hex digit"))?;
        self.pos += 4;
        Ok(code)
    }

    fn array(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(Value::array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {
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
        if self.peek() == Some('}') {
            self.pos += 1;
            return Ok(Value::Object(pairs.into()));
        }
        loop {
            let key = self.string()?;
            self.expect(':')?;
            let value = self.value()?;
            pairs.push((key.into(), value));
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
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
    fn escapes_control_characters() {
        let mut out = String::new();
        write_string(&mut out, "a\"\u{1}\u{7f}é/\u{85}\u{feff}\u{fffd}\u{2028}");
        assert_eq!(out, "\"a\\\"\\u0001\\u007fé/\\u0085\\ufeff\\ufffd\u{2028}\"");
    }
}
