//! The lexer: turns DataWeave source text into tokens, each with its byte range.
//!
//! This is the first stage of compiling an expression (lex → [`parse`](super::parse) →
//! [`eval`](super::eval)). Offsets are relative to the start of the script text; the
//! parser adds the script's own [`Span`](crate::diag::Span) when it reports an error.
//!
//! Strings are lexed whole: an interpolation such as `"a $(x + 1) b"` becomes one
//! [`Tok::Str`] whose parts record where the embedded expression's text lies, and the
//! parser compiles those parts on its own.

use std::fmt;

/// One token with its byte range in the script.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    /// What was read.
    pub(crate) tok: Tok,
    /// Offset of the first byte.
    pub(crate) start: usize,
    /// Offset one past the last byte.
    pub(crate) end: usize,
}

/// The kinds of token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A name or keyword, including `::`-qualified names such as `Mule::p`.
    Ident(String),
    /// A number literal as written.
    Num(String),
    /// A string literal, already unescaped, split at interpolations.
    Str(Vec<StrPart>),
    /// A date or time literal between bars, without the bars: `|2003-10-01|`.
    Temporal(String),
    /// A regular expression literal's pattern, without the slashes: `/\d+/`.
    Regex(String),
    /// `$`, `$$` or `$$$`: the implicit lambda parameters, by count of dollars.
    Dollar(usize),
    /// An operator or punctuation mark, such as `++`, `.*` or `{`.
    Punct(&'static str),
    /// End of input.
    Eof,
}

/// A piece of a string literal.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum StrPart {
    /// Literal text, escapes resolved.
    Text(String),
    /// An interpolated expression: `$(...)` or `$name`, as the byte range of its source.
    Expr {
        /// Offset of the expression's first byte.
        start: usize,
        /// Offset one past its last byte.
        end: usize,
    },
}

/// Why the source could not be split into tokens.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LexError {
    /// A string without its closing quote.
    #[error("Unexpected end of input, expected {quote} to close the string")]
    UnclosedString {
        /// The quote character that opened it.
        quote: char,
        /// Where the input ends.
        at: usize,
    },
    /// `$(` without its `)`.
    #[error("Unexpected end of input, expected ')' to close the interpolation")]
    UnclosedInterpolation {
        /// Offset of the `$(`.
        at: usize,
    },
    /// `|` without its closing `|`.
    #[error("Unexpected end of input, expected '|' to close the date")]
    UnclosedTemporal {
        /// Offset of the opening `|`.
        at: usize,
    },
    /// A regular expression without its closing `/`.
    #[error("Unexpected end of input, expected '/' to close the regular expression")]
    UnclosedRegex {
        /// Offset of the opening `/`.
        at: usize,
    },
    /// `/*` without `*/`.
    #[error("Unexpected end of input, expected '*/' to close the comment")]
    UnclosedComment {
        /// Offset of the `/*`.
        at: usize,
    },
    /// `\u` not followed by one to four hexadecimal digits (`"\uZZ"`).
    #[error("Invalid 'Unicode' escape expression `{escape}` at text `{text}`.")]
    BadUnicodeEscape {
        /// The escape: `\u` and up to four characters after it.
        escape: String,
        /// The text around it, up to the string's quotes or interpolations.
        text: String,
        /// Where DataWeave's excerpt starts: the whole string when it has no
        /// interpolation, else the text around the escape.
        at: usize,
        /// Where the excerpt ends.
        end: usize,
    },
    /// A character that starts no token.
    #[error("Invalid input '{found}'")]
    UnexpectedChar {
        /// The character.
        found: char,
        /// Its offset.
        at: usize,
    },
}

impl LexError {
    /// Where the problem is.
    pub(crate) fn offset(&self) -> usize {
        match self {
            LexError::UnclosedString { at, .. }
            | LexError::UnclosedInterpolation { at }
            | LexError::UnclosedComment { at }
            | LexError::UnclosedTemporal { at }
            | LexError::UnclosedRegex { at }
            | LexError::BadUnicodeEscape { at, .. }
            | LexError::UnexpectedChar { at, .. } => *at,
        }
    }

    /// Where the excerpt of the problem ends: past its offset.
    pub(crate) fn end(&self) -> usize {
        match self {
            LexError::BadUnicodeEscape { end, .. } => *end,
            other => other.offset() + 1,
        }
    }
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(name) => write!(f, "{name}"),
            Tok::Num(text) => write!(f, "{text}"),
            Tok::Str(_) => write!(f, "string"),
            Tok::Temporal(text) => write!(f, "|{text}|"),
            Tok::Regex(pattern) => write!(f, "/{pattern}/"),
            Tok::Dollar(n) => write!(f, "{}", "$".repeat(*n)),
            Tok::Punct(p) => write!(f, "{p}"),
            Tok::Eof => write!(f, "end of input"),
        }
    }
}

/// Operators and punctuation, longest first so that `---` wins over `--` and `-`.
const PUNCTS: &[&str] = &[
    "---", "++", "--", "->", "==", "!=", "~=", "<=", ">=", ">>", "<<", ".*", "..", "::", "+", "-",
    "*", "/", "<", ">", "=", "!", ".", ",", ":", "(", ")", "[", "]", "{", "}", "@", "^", "?", "%",
    "#", "&", "~",
];

/// Splits `source` into tokens, ending with [`Tok::Eof`].
pub(crate) fn lex(source: &str) -> Result<Vec<Token>, LexError> {
    let mut lexer = Lexer { src: source, pos: 0 };
    let mut tokens = Vec::new();
    loop {
        lexer.skip_trivia()?;
        let start = lexer.pos;
        let regex_allowed = starts_regex_after(&tokens);
        let tok = if regex_allowed && lexer.peek() == Some('/') {
            Tok::Regex(lexer.regex()?)
        } else if let Some(uri) = lexer.namespace_uri(&tokens, start) {
            Tok::Str(vec![StrPart::Text(uri)])
        } else {
            lexer.next_tok()?
        };
        let done = tok == Tok::Eof;
        tokens.push(Token { tok, start, end: lexer.pos });
        if done {
            return Ok(tokens);
        }
    }
}

/// Functions and keywords that take a regular expression on their right.
const REGEX_TAKERS: &[&str] = &[
    "splitBy",
    "replace",
    "matches",
    "match",
    "scan",
    "contains",
    "find",
    "with",
    "indexOf",
    "lastIndexOf",
];

/// Whether a `/` after `tokens` starts a regular expression rather than dividing: only where
/// no value can end, or after a function that takes one (`text splitBy /,/`, but not
/// `payload.match / 2`, where `match` is a key).
fn starts_regex_after(tokens: &[Token]) -> bool {
    let (prev, before) = match tokens {
        [.., before, prev] => (&prev.tok, Some(&before.tok)),
        [prev] => (&prev.tok, None),
        [] => return true,
    };
    match prev {
        Tok::Punct(p) => !matches!(*p, ")" | "]" | "}"),
        Tok::Ident(word) => {
            let is_key = matches!(before, Some(Tok::Punct("." | ".*" | "..")));
            REGEX_TAKERS.contains(&word.as_str()) && !is_key
        }
        _ => false,
    }
}

/// True for characters that may continue a name.
pub(crate) fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// The URI of an `ns prefix uri` directive, read up to white space as one string:
    /// `ns soap http://schemas.xmlsoap.org/soap/envelope/` holds a `//` that does not start
    /// a comment. `start` is where the URI starts, after its white space (and comments, as
    /// the URI cannot start with `//`). `ns` is a reserved word, so it is followed by a name
    /// only in the directive; the URI must have a scheme (a `:`), as DataWeave requires.
    fn namespace_uri(&mut self, tokens: &[Token], start: usize) -> Option<String> {
        let [.., ns, prefix] = tokens else { return None };
        let is_directive =
            matches!(&ns.tok, Tok::Ident(w) if w == "ns") && matches!(prefix.tok, Tok::Ident(_));
        if !is_directive || start == prefix.end {
            return None;
        }
        let len = self.src[start..].find(char::is_whitespace).unwrap_or(self.src.len() - start);
        let uri = &self.src[start..start + len];
        if !uri.contains(':') || uri.starts_with(['"', '\'', '`']) {
            return None;
        }
        self.pos = start + len;
        Some(uri.to_owned())
    }

    fn skip_trivia(&mut self) -> Result<(), LexError> {
        loop {
            let rest = self.rest();
            let n_spaces = rest.len() - rest.trim_start().len();
            self.pos += n_spaces;
            let trimmed = self.rest();
            if trimmed.starts_with("//") {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if trimmed.starts_with("/*") {
                let at = self.pos;
                let close = trimmed.find("*/").ok_or(LexError::UnclosedComment { at })?;
                self.pos += close + 2;
            } else {
                return Ok(());
            }
        }
    }

    fn next_tok(&mut self) -> Result<Tok, LexError> {
        let Some(c) = self.peek() else { return Ok(Tok::Eof) };
        if c.is_ascii_digit() {
            return Ok(Tok::Num(self.number()));
        }
        if c.is_alphabetic() || c == '_' {
            return Ok(Tok::Ident(self.ident()));
        }
        if c == '"' || c == '\'' || c == '`' {
            return self.string(c).map(Tok::Str);
        }
        let starts_temporal = |rest: &str| {
            let mut after = rest[1..].chars();
            match after.next() {
                Some('P') => {
                    after.next().is_some_and(|c| c.is_ascii_digit() || c == 'T' || c == '-')
                }
                Some('Z') => after.next() == Some('|'),
                Some(c) => c.is_ascii_digit() || c == '-' || c == '+',
                None => false,
            }
        };
        if c == '|' && !starts_temporal(self.rest()) {
            // Outside a date literal, a bar separates the members of a union type
            // (`String | Number`); DataWeave has no `|` operator.
            self.pos += 1;
            return Ok(Tok::Punct("|"));
        }
        if c == '|' {
            // `|2003-10-01|`, `|23:57:59|`, `|P1D|`.
            let at = self.pos;
            let len = self.rest()[1..].find('|').ok_or(LexError::UnclosedTemporal { at })?;
            let text = self.rest()[1..1 + len].to_owned();
            self.pos += len + 2;
            return Ok(Tok::Temporal(text));
        }
        if c == '$' {
            let n_dollars = self.rest().chars().take_while(|&c| c == '$').count().min(3);
            self.pos += n_dollars;
            return Ok(Tok::Dollar(n_dollars));
        }
        match PUNCTS.iter().find(|p| self.rest().starts_with(**p)) {
            Some(punct) => {
                self.pos += punct.len();
                Ok(Tok::Punct(punct))
            }
            None => Err(LexError::UnexpectedChar { found: c, at: self.pos }),
        }
    }

    /// `/pattern/` on one line; `\/` stands for a slash, other escapes stay for the regex.
    fn regex(&mut self) -> Result<String, LexError> {
        let at = self.pos;
        self.pos += 1;
        let mut pattern = String::new();
        loop {
            match self.peek() {
                None | Some('\n') => return Err(LexError::UnclosedRegex { at }),
                Some('/') => {
                    self.pos += 1;
                    return Ok(pattern);
                }
                Some('\\') if self.rest()[1..].starts_with('/') => {
                    self.pos += 2;
                    pattern.push('/');
                }
                Some('\\') => {
                    self.pos += 1;
                    pattern.push('\\');
                    if let Some(next) = self.peek() {
                        self.pos += next.len_utf8();
                        pattern.push(next);
                    }
                }
                Some(c) => {
                    self.pos += c.len_utf8();
                    pattern.push(c);
                }
            }
        }
    }

    fn take_while(&mut self, pred: impl Fn(char) -> bool) -> &str {
        let start = self.pos;
        let len = self.rest().find(|c: char| !pred(c)).unwrap_or(self.rest().len());
        self.pos += len;
        &self.src[start..self.pos]
    }

    fn number(&mut self) -> String {
        let start = self.pos;
        self.take_while(|c| c.is_ascii_digit());
        let rest = self.rest().as_bytes();
        if rest.first() == Some(&b'.') && rest.get(1).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
            self.take_while(|c| c.is_ascii_digit());
        }
        let rest = self.rest().as_bytes();
        if matches!(rest.first(), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(rest.get(1), Some(b'+' | b'-')));
            if rest.get(1 + sign).is_some_and(u8::is_ascii_digit) {
                self.pos += 1 + sign;
                self.take_while(|c| c.is_ascii_digit());
            }
        }
        self.src[start..self.pos].to_owned()
    }

    /// A name; `a::b::c` is read as one name, as DataWeave's qualified references are.
    fn ident(&mut self) -> String {
        let start = self.pos;
        loop {
            self.take_while(is_ident_char);
            let rest = self.rest();
            let qualified = rest.starts_with("::")
                && rest[2..].chars().next().is_some_and(|c| c.is_alphabetic() || c == '_');
            if !qualified {
                return self.src[start..self.pos].to_owned();
            }
            self.pos += 2;
        }
    }

    fn string(&mut self, quote: char) -> Result<Vec<StrPart>, LexError> {
        let open = self.pos;
        self.pos += 1;
        let mut parts = Vec::new();
        let mut text = String::new();
        // Where the text since the last interpolation starts, which a bad escape quotes.
        let mut text_start = self.pos;
        loop {
            let Some(c) = self.peek() else {
                // Reported where the input ends, as DataWeave does.
                return Err(LexError::UnclosedString { quote, at: self.pos });
            };
            self.pos += c.len_utf8();
            match c {
                _ if c == quote => break,
                '\\' => {
                    if !self.escape(&mut text, quote) {
                        return Err(self.bad_unicode_escape(quote, open, text_start));
                    }
                }
                '$' => {
                    let part = self.interpolation()?;
                    text_start = self.pos;
                    if !text.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut text)));
                    }
                    parts.push(part);
                }
                _ => text.push(c),
            }
        }
        if !text.is_empty() || parts.is_empty() {
            parts.push(StrPart::Text(text));
        }
        Ok(parts)
    }

    /// Reads the escape after a backslash; false for a `\u` without hexadecimal digits.
    /// Unknown escapes keep their backslash, as the reference runtime does (`"a\sb"` is the
    /// four characters `a\sb`).
    fn escape(&mut self, text: &mut String, quote: char) -> bool {
        let Some(c) = self.peek() else {
            text.push('\\');
            return true;
        };
        self.pos += c.len_utf8();
        match c {
            'n' => text.push('\n'),
            't' => text.push('\t'),
            'r' => text.push('\r'),
            'b' => text.push('\u{8}'),
            'f' => text.push('\u{c}'),
            // A quote is escaped only inside its own kind of string (`'\"'` is `\"`).
            '\\' | '$' | '/' => text.push(c),
            c if c == quote => text.push(c),
            'u' => {
                // One to four hexadecimal digits, as DataWeave reads them: `"\u12"` is
                // U+0012, and fewer digits than four end only at the end of the text.
                let src = self.src;
                let digits = &src[self.pos..self.pos + self.unicode_escape_len(quote)];
                match u32::from_str_radix(digits, 16) {
                    Ok(code) if digits.chars().all(|c| c.is_ascii_hexdigit()) => {
                        self.pos += digits.len();
                        text.push(self.surrogate_pair(code).unwrap_or('?'));
                    }
                    _ => return false,
                }
            }
            _ => {
                text.push('\\');
                text.push(c);
            }
        }
        true
    }

    /// The character of a `\u` escape's `code`. A high surrogate followed by the escape of
    /// a low one is one character (the second escape is consumed); a lone half of a pair is
    /// `None`, which DataWeave writes as `?` (see `utf16.rs`).
    fn surrogate_pair(&mut self, code: u32) -> Option<char> {
        if !(0xD800..0xDC00).contains(&code) {
            return char::from_u32(code);
        }
        let low = self.rest().strip_prefix("\\u")?.get(..4)?;
        let low = u32::from_str_radix(low, 16).ok().filter(|low| (0xDC00..0xE000).contains(low))?;
        self.pos += 6;
        char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
    }

    /// The up to four characters after `\u` that belong to the same text: before the
    /// closing quote or an interpolation.
    fn unicode_escape_len(&self, quote: char) -> usize {
        self.rest()
            .char_indices()
            .take_while(|&(_, c)| c != quote && c != '$')
            .take(4)
            .last()
            .map_or(0, |(idx, c)| idx + c.len_utf8())
    }

    /// DataWeave's error for a bad `\u` escape just read (the position is after `\u`): it
    /// quotes the escape and the text around it, up to the quotes or interpolations.
    fn bad_unicode_escape(&self, quote: char, open: usize, text_start: usize) -> LexError {
        let escape_start = self.pos - 2;
        let escape_end = self.pos + self.unicode_escape_len(quote);
        // The text runs on to the closing quote or the next interpolation.
        let mut text_end = self.src.len();
        let mut chars = self.src[self.pos..].char_indices();
        while let Some((idx, c)) = chars.next() {
            if c == quote || c == '$' {
                text_end = self.pos + idx;
                break;
            }
            if c == '\\' {
                chars.next();
            }
        }
        let whole = text_start == open + 1 && self.src[text_end..].starts_with(quote);
        let (at, end) = if whole && quote != '`' {
            (open, text_end + quote.len_utf8())
        } else {
            (text_start, text_end)
        };
        LexError::BadUnicodeEscape {
            escape: self.src[escape_start..escape_end].to_owned(),
            text: self.src[text_start..text_end].to_owned(),
            at,
            end,
        }
    }

    /// After a `$` inside a string: `$(expr)`, `$name`, or the implicit parameter `$`
    /// (`$$`, `$$$`) itself, as in DataWeave, where `"cost $5"` reads `$` and a literal
    /// dollar sign needs `\$`.
    fn interpolation(&mut self) -> Result<StrPart, LexError> {
        let rest = self.rest();
        if rest.starts_with('(') {
            let at = self.pos - 1;
            let len = matching_paren(rest).ok_or(LexError::UnclosedInterpolation { at })?;
            let part = StrPart::Expr { start: self.pos + 1, end: self.pos + len - 1 };
            self.pos += len;
            return Ok(part);
        }
        if rest.starts_with(|c: char| c.is_alphabetic() || c == '_') {
            let start = self.pos;
            self.take_while(is_ident_char);
            return Ok(StrPart::Expr { start, end: self.pos });
        }
        let start = self.pos - 1;
        self.pos += rest.chars().take_while(|&c| c == '$').take(2).count();
        Ok(StrPart::Expr { start, end: self.pos })
    }
}

/// The length of `text` up to and including the `)` that closes its leading `(`, skipping
/// over nested brackets and string literals; `None` when it is never closed.
pub(crate) fn matching_paren(text: &str) -> Option<usize> {
    matching_close(text, '(', ')')
}

/// Like [`matching_paren`] for any pair of brackets; used for `#[...]` in templates too.
pub(crate) fn matching_close(text: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = text.char_indices();
    while let Some((idx, c)) = chars.next() {
        match c {
            '"' | '\'' | '`' => skip_string(&mut chars, c)?,
            _ if c == open => depth += 1,
            _ if c == close => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(idx + c.len_utf8());
                }
            }
            _ => {}
        }
    }
    None
}

fn skip_string(chars: &mut std::str::CharIndices<'_>, quote: char) -> Option<()> {
    while let Some((_, c)) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c == quote {
            return Some(());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<Tok> {
        lex(source).expect("lexes").into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn splits_operators_longest_first() {
        let toks = kinds("a ++ b --- c.*d");
        assert_eq!(toks[1], Tok::Punct("++"));
        assert_eq!(toks[3], Tok::Punct("---"));
        assert_eq!(toks[5], Tok::Punct(".*"));
    }

    #[test]
    fn numbers_keep_their_text_and_stop_before_selectors() {
        assert_eq!(kinds("1.50")[0], Tok::Num("1.50".into()));
        assert_eq!(kinds("1e3")[0], Tok::Num("1e3".into()));
        assert_eq!(
            kinds("5.x")[..3],
            [Tok::Num("5".into()), Tok::Punct("."), Tok::Ident("x".into())]
        );
    }

    #[test]
    fn strings_record_interpolations() {
        let toks = kinds(r#""a\n$(f("x)")) $name \$""#);
        let Tok::Str(parts) = &toks[0] else { panic!("string expected") };
        assert_eq!(parts[0], StrPart::Text("a\n".into()));
        assert_eq!(parts[1], StrPart::Expr { start: 6, end: 13 });
        assert_eq!(parts[3], StrPart::Expr { start: 16, end: 20 });
        assert_eq!(parts[4], StrPart::Text(" $".into()));
    }

    #[test]
    fn slashes_divide_after_values_and_start_regexes_elsewhere() {
        assert_eq!(kinds("a / 2")[1], Tok::Punct("/"));
        assert_eq!(kinds("(1) / 2")[3], Tok::Punct("/"));
        assert_eq!(kinds("a.match / 2")[3], Tok::Punct("/"));
        assert_eq!(kinds(r"x splitBy /[,\/]/")[2], Tok::Regex(r"[,/]".into()));
        assert_eq!(kinds(r"[/\d+/]")[1], Tok::Regex(r"\d+".into()));
    }

    #[test]
    fn comments_and_qualified_names() {
        assert_eq!(kinds("Mule::p /* c */ // d\n")[..2], [Tok::Ident("Mule::p".into()), Tok::Eof]);
    }

    #[test]
    fn unclosed_string_is_reported_where_the_input_ends() {
        assert_eq!(lex("1 ++ 'abc").expect_err("unclosed string").offset(), 9);
    }
}
