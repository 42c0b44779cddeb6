//! Regular expressions written in Java's syntax, as DataWeave reads them, run on the `regex`
//! crate.
//!
//! The two syntaxes look alike but mean different things: Java's `\w`, `\d`, `\s` and `\b`
//! are ASCII-only and its `(?i)` folds only ASCII letters unless the `u` or `U` flag says
//! otherwise, where the crate's are Unicode-aware; `[[:alpha:]]` is a POSIX class in the crate
//! and a class of the characters `:alph` in Java; `\v` is vertical whitespace in Java and a
//! vertical tab in the crate; Java's `.` stops at `\r`, U+0085, U+2028 and U+2029 as well as
//! at `\n`. [`compile`] rewrites a pattern into the crate's syntax with Java's meaning, and
//! refuses what the crate cannot do (possessive quantifiers, atomic groups, look-around,
//! backreferences, Unicode blocks), so that a pattern either means what it means in
//! DataWeave or is an error, never a different match.

use std::fmt::Write as _;

/// Java's `\w` (letters, digits and `_`, ASCII only).
const WORD: &str = "0-9A-Za-z_";
/// Java's `\s`: space, `\t`, `\n`, vertical tab, form feed and `\r`.
const SPACE: &str = r"\t\n\x0B\x0C\r ";
/// Java's `\h`: horizontal whitespace.
const HSPACE: &str = r" \t\xA0\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}";
/// Java's `\v`: vertical whitespace.
const VSPACE: &str = r"\n\x0B\x0C\r\x{85}\x{2028}\x{2029}";
/// Java's `.` without the `s` flag: anything but a line terminator.
const DOT: &str = r"[^\n\r\x{85}\x{2028}\x{2029}]";

/// A compiled regular expression that remembers the Java pattern it was written as.
///
/// It dereferences to the `regex` crate's engine; [`Regex::as_str`] gives the pattern as
/// written, which DataWeave uses where it reads a regular expression as text (`indexOf`).
#[derive(Clone, Debug)]
pub(crate) struct Regex {
    compiled: regex::Regex,
    source: Box<str>,
}

impl Regex {
    /// The pattern as written in the script.
    pub(crate) fn as_str(&self) -> &str {
        &self.source
    }

    /// The matches one after another, as Java's `Matcher.find` gives them: like the `regex`
    /// crate's, except that an empty match right where a non-empty one ends is found too
    /// (`"abc" scan /b*/` finds `""`, `"b"`, `""` and `""`), as `scan`, `find`, `replace` and
    /// `splitBy` find them in DataWeave.
    pub(crate) fn java_captures<'t>(&self, text: &'t str) -> Vec<regex::Captures<'t>> {
        let mut out = Vec::new();
        let mut from = 0;
        while from <= text.len() {
            let Some(captures) = self.compiled.captures_at(text, from) else { break };
            let whole = captures.get(0).expect("group 0 is the whole match");
            from = match whole.is_empty() {
                // After an empty match the search goes on one character further.
                true => whole.end() + text[whole.end()..].chars().next().map_or(1, char::len_utf8),
                false => whole.end(),
            };
            out.push(captures);
        }
        out
    }

    /// A regular expression that finds `text` literally.
    pub(crate) fn literal(text: &str) -> Regex {
        let compiled = regex::Regex::new(&regex::escape(text)).expect("escaped text is valid");
        Regex { compiled, source: text.into() }
    }
}

impl std::ops::Deref for Regex {
    type Target = regex::Regex;

    fn deref(&self) -> &regex::Regex {
        &self.compiled
    }
}

/// Builds a regular expression written in Java's syntax; the error says what is wrong with it.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    let translated = translate(pattern)?;
    let compiled = regex::Regex::new(&translated).map_err(|err| match err {
        // The crate's message quotes the translated pattern; its last line says what is wrong.
        regex::Error::Syntax(text) => {
            let last = text.lines().last().unwrap_or_default();
            last.strip_prefix("error: ").unwrap_or(last).to_owned()
        }
        other => other.to_string(),
    })?;
    Ok(Regex { compiled, source: pattern.into() })
}

/// The inline flags in effect (`(?i)`, `(?m)`, ...).
#[derive(Clone, Copy, Default, PartialEq)]
struct Flags {
    /// `i`: case-insensitive, ASCII letters only unless `u` or `U` is set.
    case_insensitive: bool,
    /// `m`: `^` and `$` match at line terminators.
    multiline: bool,
    /// `s`: `.` matches line terminators too.
    dot_all: bool,
    /// `u`: case folding covers all of Unicode.
    unicode_case: bool,
    /// `U`: `\w`, `\d`, `\s`, `\b` and POSIX classes are Unicode-aware (implies `u`).
    unicode_classes: bool,
}

impl Flags {
    /// Whether the translation folds ASCII letters itself (the crate's `i` stays off).
    fn ascii_fold(self) -> bool {
        self.case_insensitive && !self.unicode_case && !self.unicode_classes
    }

    /// The crate's flag group that gives these flags' effect on the crate's own matching.
    fn crate_flags(self) -> String {
        let native_fold = self.case_insensitive && !self.ascii_fold();
        let (mut on, mut off) = (String::new(), String::new());
        (if native_fold { &mut on } else { &mut off }).push('i');
        if self.multiline {
            // Java's `^` and `$` see `\r` as a line terminator too.
            on.push_str("mR");
        } else {
            off.push('m');
        }
        if off.is_empty() { format!("(?{on}") } else { format!("(?{on}-{off}") }
    }
}

/// What an escape sequence stands for.
enum Escape {
    /// One character.
    Char(char),
    /// A set of characters, written as a bracketed class of the crate.
    Class(String),
    /// A zero-width assertion (`\b`, `\A`), only valid outside a class.
    Assertion(&'static str),
    /// `\Q...\E`: the characters between, taken literally.
    Quoted(Vec<char>),
}

struct Translator {
    chars: Vec<char>,
    pos: usize,
    out: String,
    /// The flags of each open group, innermost last.
    stack: Vec<Flags>,
}

/// Rewrites a Java pattern into the `regex` crate's syntax.
fn translate(pattern: &str) -> Result<String, String> {
    let mut t = Translator {
        chars: pattern.chars().collect(),
        pos: 0,
        out: String::with_capacity(pattern.len() + 16),
        stack: vec![Flags::default()],
    };
    while let Some(c) = t.next() {
        t.outside(c)?;
    }
    Ok(t.out)
}

impl Translator {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        self.pos += usize::from(c.is_some());
        c
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn flags(&self) -> Flags {
        self.stack.last().copied().unwrap_or_default()
    }

    /// Translates one element that starts with `c`, outside any class.
    fn outside(&mut self, c: char) -> Result<(), String> {
        match c {
            '\\' => match self.escape()? {
                Escape::Char(c) => self.literal(c),
                Escape::Class(class) => self.out.push_str(&class),
                Escape::Assertion(text) => self.out.push_str(text),
                Escape::Quoted(text) => text.into_iter().for_each(|c| self.literal(c)),
            },
            '[' => self.class()?,
            '(' => self.group()?,
            ')' => {
                if self.stack.len() > 1 {
                    self.stack.pop();
                }
                self.out.push(')');
            }
            '.' => {
                let dot = if self.flags().dot_all { "(?s:.)" } else { DOT };
                self.out.push_str(dot);
            }
            '*' | '+' | '?' => {
                self.out.push(c);
                self.quantifier_mode()?;
            }
            '{' => match self.chars[self.pos..].iter().position(|&c| c == '}') {
                Some(len)
                    if self.chars[self.pos..self.pos + len]
                        .iter()
                        .all(|c| c.is_ascii_digit() || *c == ',') =>
                {
                    self.out.push('{');
                    self.out.extend(&self.chars[self.pos..=self.pos + len]);
                    self.pos += len + 1;
                    self.quantifier_mode()?;
                }
                _ => return Err("Illegal repetition".to_owned()),
            },
            '^' | '$' | '|' => self.out.push(c),
            other => self.literal(other),
        }
        Ok(())
    }

    /// After a quantifier: `?` makes it lazy, as in the crate; `+` (possessive) cannot be kept.
    fn quantifier_mode(&mut self) -> Result<(), String> {
        match self.peek() {
            Some('?') => {
                self.pos += 1;
                self.out.push('?');
                Ok(())
            }
            Some('+') => Err(unsupported("possessive quantifiers (`*+`, `++`, `?+`)")),
            _ => Ok(()),
        }
    }

    /// A group, after its `(`.
    fn group(&mut self) -> Result<(), String> {
        let outer = self.flags();
        if self.peek() != Some('?') {
            self.stack.push(outer);
            self.out.push('(');
            return Ok(());
        }
        self.pos += 1;
        match (self.peek(), self.peek_at(1)) {
            (Some(':'), _) => {
                self.pos += 1;
                self.stack.push(outer);
                self.out.push_str("(?:");
            }
            (Some('=' | '!'), _) | (Some('<'), Some('=' | '!')) => {
                return Err(unsupported("look-around (`(?=`, `(?!`, `(?<=`, `(?<!`)"));
            }
            (Some('>'), _) => return Err(unsupported("atomic groups (`(?>...)`)")),
            (Some('<'), _) => {
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                    self.pos += 1;
                }
                if self.peek() != Some('>') || start == self.pos {
                    return Err("named capturing group is missing trailing '>'".to_owned());
                }
                let name: String = self.chars[start..self.pos].iter().collect();
                self.pos += 1;
                self.stack.push(outer);
                let _ = write!(self.out, "(?<{name}>");
            }
            _ => {
                let flags = self.inline_flags(outer)?;
                let changes = flags != outer;
                match self.next() {
                    Some(')') => {
                        if let Some(top) = self.stack.last_mut() {
                            *top = flags;
                        }
                        if changes {
                            let _ = write!(self.out, "{})", flags.crate_flags());
                        }
                    }
                    Some(':') => {
                        self.stack.push(flags);
                        let _ = write!(self.out, "{}:", flags.crate_flags());
                    }
                    _ => return Err("Unknown inline modifier".to_owned()),
                }
            }
        }
        Ok(())
    }

    /// Reads inline flags such as `i`, `-i` or `is-m` and applies them to `flags`.
    fn inline_flags(&mut self, mut flags: Flags) -> Result<Flags, String> {
        let mut on = true;
        while let Some(c) = self.peek() {
            let field = match c {
                '-' => {
                    on = false;
                    self.pos += 1;
                    continue;
                }
                'i' => &mut flags.case_insensitive,
                'm' => &mut flags.multiline,
                's' => &mut flags.dot_all,
                'u' => &mut flags.unicode_case,
                'U' => &mut flags.unicode_classes,
                'd' | 'x' => return Err(unsupported(&format!("the `{c}` flag"))),
                _ => break,
            };
            *field = on;
            self.pos += 1;
        }
        Ok(flags)
    }

    /// A character class, after its `[`; Java's classes may nest and intersect (`&&`).
    fn class(&mut self) -> Result<(), String> {
        self.out.push('[');
        if self.peek() == Some('^') {
            self.pos += 1;
            self.out.push('^');
        }
        let mut first = true;
        loop {
            let Some(c) = self.next() else {
                return Err("Unclosed character class".to_owned());
            };
            let item_first = std::mem::replace(&mut first, false);
            let low = match c {
                ']' if !item_first => {
                    self.out.push(']');
                    return Ok(());
                }
                '[' => {
                    self.class()?;
                    continue;
                }
                '&' if self.peek() == Some('&') => {
                    self.pos += 1;
                    self.out.push_str("&&");
                    continue;
                }
                '\\' => match self.escape()? {
                    Escape::Char(c) => c,
                    Escape::Class(class) => {
                        self.out.push_str(&class);
                        continue;
                    }
                    Escape::Quoted(text) => {
                        text.into_iter().for_each(|c| self.class_char(c));
                        continue;
                    }
                    Escape::Assertion(_) => {
                        return Err("Illegal escape in a character class".to_owned());
                    }
                },
                other => other,
            };
            if self.peek() == Some('-') && !matches!(self.peek_at(1), Some(']' | '[') | None) {
                self.pos += 1;
                let high = match self.next() {
                    Some('\\') => match self.escape()? {
                        Escape::Char(c) => c,
                        _ => return Err("Illegal character range".to_owned()),
                    },
                    Some(c) => c,
                    None => return Err("Unclosed character class".to_owned()),
                };
                self.range(low, high)?;
            } else {
                self.class_char(low);
            }
        }
    }

    /// A range `low-high` inside a class; under ASCII case folding, with its other case.
    fn range(&mut self, low: char, high: char) -> Result<(), String> {
        if low > high {
            return Err(format!("Illegal character range {low}-{high}"));
        }
        let _ = write!(self.out, "{}-{}", class_text(low), class_text(high));
        if self.flags().ascii_fold() {
            for (from, to) in [('a', 'z'), ('A', 'Z')] {
                let (lo, hi) = (low.max(from), high.min(to));
                if lo <= hi {
                    let flip = |c: char| {
                        if c.is_ascii_lowercase() {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    };
                    let _ = write!(self.out, "{}-{}", flip(lo), flip(hi));
                }
            }
        }
        Ok(())
    }

    /// One character inside a class.
    fn class_char(&mut self, c: char) {
        self.out.push_str(&class_text(c));
        if self.flags().ascii_fold() && c.is_ascii_alphabetic() {
            self.out.push(swap_case(c));
        }
    }

    /// One character outside a class.
    fn literal(&mut self, c: char) {
        if self.flags().ascii_fold() && c.is_ascii_alphabetic() {
            let _ = write!(self.out, "[{c}{}]", swap_case(c));
        } else {
            self.out.push_str(&class_text(c));
        }
    }

    /// An escape sequence, after its `\`.
    fn escape(&mut self) -> Result<Escape, String> {
        let Some(c) = self.next() else {
            return Err("Unexpected internal error (a trailing `\\`)".to_owned());
        };
        let unicode = self.flags().unicode_classes;
        let class = |ascii: &str, negated: bool, native: &str| {
            Escape::Class(match (unicode, negated) {
                (true, _) if !native.is_empty() => native.to_owned(),
                (_, false) => format!("[{ascii}]"),
                (_, true) => format!("[^{ascii}]"),
            })
        };
        Ok(match c {
            't' => Escape::Char('\t'),
            'n' => Escape::Char('\n'),
            'r' => Escape::Char('\r'),
            'f' => Escape::Char('\x0C'),
            'a' => Escape::Char('\x07'),
            'e' => Escape::Char('\x1B'),
            'c' => match self.next() {
                Some(c) => Escape::Char(char::from_u32(c as u32 ^ 64).unwrap_or(c)),
                None => return Err("Illegal control escape sequence".to_owned()),
            },
            '0' => {
                let mut value = 0u32;
                let mut digits = 0;
                while digits < 3 && self.peek().is_some_and(|c| c.is_digit(8)) {
                    let next = value * 8 + self.peek().and_then(|c| c.to_digit(8)).unwrap_or(0);
                    if next > 0o377 {
                        break;
                    }
                    value = next;
                    digits += 1;
                    self.pos += 1;
                }
                if digits == 0 {
                    return Err("Illegal octal escape sequence".to_owned());
                }
                Escape::Char(char::from_u32(value).unwrap_or('\0'))
            }
            'x' => Escape::Char(self.hex_escape()?),
            'u' => Escape::Char(self.unicode_escape()?),
            '1'..='9' | 'k' => return Err(unsupported("backreferences (`\\1`, `\\k<name>`)")),
            'w' => class(WORD, false, r"\w"),
            'W' => class(WORD, true, r"\W"),
            'd' => class("0-9", false, r"\d"),
            'D' => class("0-9", true, r"\D"),
            's' => class(SPACE, false, r"\s"),
            'S' => class(SPACE, true, r"\S"),
            'h' => class(HSPACE, false, ""),
            'H' => class(HSPACE, true, ""),
            'v' => class(VSPACE, false, ""),
            'V' => class(VSPACE, true, ""),
            'b' if self.peek() == Some('{') => return Err(unsupported("`\\b{...}` boundaries")),
            'b' => Escape::Assertion(if unicode { r"\b" } else { r"(?-u:\b)" }),
            'B' => Escape::Assertion(if unicode { r"\B" } else { r"(?-u:\B)" }),
            'A' => Escape::Assertion(r"\A"),
            'z' => Escape::Assertion(r"\z"),
            'p' | 'P' => Escape::Class(self.property(c == 'P')?),
            'Q' => {
                let start = self.pos;
                let end = (start..self.chars.len())
                    .find(|&i| self.chars[i] == '\\' && self.chars.get(i + 1) == Some(&'E'));
                self.pos = end.map_or(self.chars.len(), |end| end + 2);
                Escape::Quoted(self.chars[start..end.unwrap_or(self.chars.len())].to_vec())
            }
            'Z' | 'G' | 'R' | 'X' | 'N' => return Err(unsupported(&format!("`\\{c}`"))),
            c if c.is_ascii_alphabetic() => {
                return Err(format!("Illegal/unsupported escape sequence `\\{c}`"));
            }
            c => Escape::Char(c),
        })
    }

    /// `\xhh` or `\x{h...h}`, after the `x`.
    fn hex_escape(&mut self) -> Result<char, String> {
        let digits: String = if self.peek() == Some('{') {
            let end = self.chars[self.pos..].iter().position(|&c| c == '}');
            let Some(end) = end else {
                return Err("Unclosed hexadecimal escape sequence".to_owned());
            };
            let text = self.chars[self.pos + 1..self.pos + end].iter().collect();
            self.pos += end + 1;
            text
        } else {
            let text: String = self.chars[self.pos..].iter().take(2).collect();
            self.pos += text.chars().count();
            text
        };
        u32::from_str_radix(&digits, 16)
            .ok()
            .filter(|_| !digits.is_empty() && digits.len() <= 8)
            .and_then(char::from_u32)
            .ok_or_else(|| "Illegal hexadecimal escape sequence".to_owned())
    }

    /// Four hexadecimal digits of a `\u` escape.
    fn utf16_unit(&mut self) -> Result<u32, String> {
        let text: String = self.chars[self.pos..].iter().take(4).collect();
        self.pos += text.chars().count();
        u32::from_str_radix(&text, 16)
            .ok()
            .filter(|_| text.len() == 4)
            .ok_or_else(|| "Illegal Unicode escape sequence".to_owned())
    }

    /// `\uhhhh`, after the `u`; a surrogate pair written as two escapes is one character.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let high = self.utf16_unit()?;
        let mut code = high;
        if (0xD800..0xDC00).contains(&high)
            && self.peek() == Some('\\')
            && self.peek_at(1) == Some('u')
        {
            self.pos += 2;
            let low = self.utf16_unit()?;
            code = 0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF);
        }
        char::from_u32(code).ok_or_else(|| "Illegal Unicode escape sequence".to_owned())
    }

    /// `\p{Name}` or `\pL`, after the `p` (or `P`): Java's POSIX names are ASCII classes,
    /// general categories and scripts are the crate's Unicode classes.
    fn property(&mut self, negated: bool) -> Result<String, String> {
        let name: String = if self.peek() == Some('{') {
            let end = self.chars[self.pos..].iter().position(|&c| c == '}');
            let Some(end) = end else { return Err("Unclosed character family".to_owned()) };
            let text = self.chars[self.pos + 1..self.pos + end].iter().collect();
            self.pos += end + 1;
            text
        } else {
            self.next().map(String::from).unwrap_or_default()
        };
        let posix = match name.as_str() {
            "Lower" => Some("a-z"),
            "Upper" => Some("A-Z"),
            "ASCII" => Some(r"\x00-\x7F"),
            "Alpha" => Some("a-zA-Z"),
            "Digit" => Some("0-9"),
            "Alnum" => Some("a-zA-Z0-9"),
            "Punct" => Some(r"\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E"),
            "Graph" => Some(r"\x21-\x7E"),
            "Print" => Some(r"\x20-\x7E"),
            "Blank" => Some(r" \t"),
            "Cntrl" => Some(r"\x00-\x1F\x7F"),
            "XDigit" => Some("0-9a-fA-F"),
            "Space" => Some(SPACE),
            _ => None,
        };
        if let Some(set) = posix {
            if self.flags().unicode_classes {
                return Err(unsupported(&format!("`\\p{{{name}}}` with the `U` flag")));
            }
            let set = if self.flags().ascii_fold() && matches!(name.as_str(), "Lower" | "Upper") {
                "a-zA-Z"
            } else {
                set
            };
            return Ok(format!("[{}{set}]", if negated { "^" } else { "" }));
        }
        let unicode = name
            .strip_prefix("Is")
            .or_else(|| name.strip_prefix("general_category="))
            .or_else(|| name.strip_prefix("gc="))
            .or_else(|| name.strip_prefix("script="))
            .or_else(|| name.strip_prefix("sc="))
            .unwrap_or(&name);
        let plain = unicode.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if name.starts_with("In") || name.starts_with("java") || !plain || unicode.is_empty() {
            return Err(unsupported(&format!("the character property `{name}`")));
        }
        Ok(format!("\\{}{{{unicode}}}", if negated { 'P' } else { 'p' }))
    }
}

/// A character as the crate reads it literally, inside or outside a class.
fn class_text(c: char) -> String {
    if c.is_alphanumeric() || c == '_' || c == ' ' {
        c.to_string()
    } else {
        format!("\\x{{{:X}}}", c as u32)
    }
}

fn swap_case(c: char) -> char {
    if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }
}

fn unsupported(what: &str) -> String {
    format!("flowrun does not support {what} in regular expressions")
}

#[cfg(test)]
mod tests {
    use super::compile;

    fn is_match(pattern: &str, text: &str) -> bool {
        compile(pattern).unwrap_or_else(|err| panic!("{pattern}: {err}")).is_match(text)
    }

    #[test]
    fn classes_are_ascii_as_in_java() {
        assert!(!is_match(r"\w", "é"));
        assert!(is_match(r"(?U)\w", "é"));
        assert!(!is_match(r"\d", "١"));
        assert!(!is_match(r"\s", "\u{a0}"));
        assert!(is_match(r"\p{L}", "é"));
        assert!(!is_match(r"\p{Alpha}", "é"));
        assert!(!is_match("[[:alpha:]]", "x"));
        assert!(is_match("^[[:alpha:]]$", ":"));
        assert!(is_match(r"^\v$", "\u{0b}"));
        assert!(!is_match("^.$", "\r"));
    }

    #[test]
    fn case_folding_is_ascii_unless_unicode() {
        assert!(is_match("^(?i)ecole$", "ECOLE"));
        assert!(!is_match("^(?i)école$", "ÉCOLE"));
        assert!(is_match("^(?iu)école$", "ÉCOLE"));
        assert!(is_match("^(?i)[a-c]$", "B"));
        assert!(!is_match("^(?i)[^b]$", "B"));
        assert!(is_match("^(?i:a)b$", "Ab"));
        assert!(!is_match("^(?i:a)b$", "AB"));
    }

    #[test]
    fn quoting_and_refusals() {
        assert!(is_match(r"^a\Q.*\Eb$", "a.*b"));
        assert!(!is_match(r"^a\Q.\Eb$", "axb"));
        for bad in [r"a*+", "a++", "(?>a)", "(?=a)", r"(a)\1", r"\p{InGreek}", "(?x)a"] {
            let err = compile(bad).expect_err(bad);
            assert!(err.contains("flowrun does not support"), "{bad}: {err}");
        }
    }
}
