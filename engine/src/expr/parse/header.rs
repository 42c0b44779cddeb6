//! The script header: `%dw`, `output`, `import`, `var` and `fun` directives before `---`.
//!
//! `output` and `input` are read from the script's text (a media type such as
//! `application/json` is no expression), `import` from its tokens (a module name is one),
//! and `var` and `fun` values as ordinary expressions. As in DataWeave, a directive is not
//! bound to its line: it ends where the next one starts, and comments count as white space
//! inside it.

use std::sync::Arc;

use crate::expr::ast::{Decl, Import, ImportNames, InputDirective, Lambda, Loc, Output, Script};
use crate::expr::lex::{Tok, Token, is_ident_char};
use crate::expr::parse::{PResult, ParseError, Parser};
use crate::expr::{modules, writers};
use crate::value::MediaType;

/// The index of the `---` that ends the header: the first one outside any brackets (a
/// `do { ... --- ... }` block has its own).
pub(super) fn separator(tokens: &[Token]) -> Option<usize> {
    let mut depth = 0usize;
    for (idx, token) in tokens.iter().enumerate() {
        match token.tok {
            Tok::Punct("(" | "[" | "{") => depth += 1,
            Tok::Punct(")" | "]" | "}") => depth = depth.saturating_sub(1),
            Tok::Punct("---") if depth == 0 => return Some(idx),
            _ => {}
        }
    }
    None
}

/// One `name=value` property of an `output` or `input` directive.
struct Property {
    name: String,
    /// The value as text (a quoted value without its quotes).
    value: String,
    name_loc: Loc,
    /// The value's type as DataWeave names it: `String` (quoted), `Number` or `Boolean`.
    kind: &'static str,
    value_loc: Loc,
}

/// The words that start a header directive. A directive read from the text (`output`,
/// `input`, `import`, `ns`) ends where the next one starts, on its line or the next.
const DIRECTIVE_WORDS: &[&str] = &["output", "input", "import", "ns", "var", "fun", "type"];

/// The first offset at or after `at` that is neither white space nor a comment: in a
/// directive, as anywhere in DataWeave, comments count as white space.
fn skip_trivia(src: &str, mut at: usize) -> usize {
    loop {
        let rest = &src[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        if trimmed.starts_with("//") {
            at += trimmed.find('\n').unwrap_or(trimmed.len());
        } else if trimmed.starts_with("/*") {
            at += trimmed.find("*/").map_or(trimmed.len(), |close| close + 2);
        } else {
            return at;
        }
    }
}

/// Whether another directive starts at `at`: a directive word, `%dw` or an annotation.
fn directive_starts(src: &str, at: usize) -> bool {
    let rest = &src[at..];
    if rest.starts_with(['%', '@']) {
        return true;
    }
    let word = rest.find(|c| !is_ident_char(c)).map_or(rest, |len| &rest[..len]);
    DIRECTIVE_WORDS.contains(&word)
}

/// The end of the word-like run starting at `at` (a media type, a bare property value):
/// up to white space, a comma, a comment or `limit`; `at` itself when it is at or past
/// `limit`.
fn run_end(src: &str, at: usize, limit: usize) -> usize {
    let mut end = at;
    for (offset, c) in src[at..limit.max(at)].char_indices() {
        let rest = &src[at + offset..];
        if c.is_whitespace() || c == ',' || rest.starts_with("//") || rest.starts_with("/*") {
            break;
        }
        end = at + offset + c.len_utf8();
    }
    end
}

/// The properties after the media type of an `output` or `input` directive, from `from`
/// up to the next directive or `limit` (the `---`): `name=value` pairs separated by commas,
/// each value a quoted text (with the escapes of string literals: `separator="\t"`), a
/// number, `true` or `false`. Gives them with the offset where the directive ends.
fn directive_properties(
    src: &str,
    from: usize,
    limit: usize,
    reader: bool,
) -> PResult<(Vec<Property>, usize)> {
    let error = |at: usize, message: String| ParseError {
        message,
        loc: Loc { start: at, end: at + src[at..].chars().next().map_or(1, char::len_utf8) },
    };
    let mut props = Vec::new();
    let mut end = from;
    let mut at = skip_trivia(src, from);
    while at < limit && !directive_starts(src, at) {
        let name_len = src[at..limit].find(|c| !is_ident_char(c)).unwrap_or(limit - at);
        if name_len == 0 {
            let c = src[at..].chars().next().unwrap_or(' ');
            let what = if reader { "a reader property name" } else { "a writer property name" };
            return Err(error(at, format!("Invalid input '{c}', expected {what}")));
        }
        let name = src[at..at + name_len].to_owned();
        let name_loc = Loc { start: at, end: at + name_len };
        at = skip_trivia(src, name_loc.end);
        if at < limit && src[at..].starts_with(char::is_alphanumeric) && !directive_starts(src, at)
        {
            // Another name: DataWeave's message names the character, where `=` should be.
            let c = src[at..].chars().next().unwrap_or(' ');
            return Err(error(at, format!("Invalid input '{c}', expected '='")));
        }
        if !src[at..limit].starts_with('=') {
            // DataWeave places it right after the name.
            let message = "Missing assignment token (=).  i.e output application/csv header=true";
            let loc = Loc { start: name_loc.end, end: name_loc.end };
            return Err(ParseError { message: message.to_owned(), loc });
        }
        let after_equals = at + 1;
        at = skip_trivia(src, after_equals);
        if at >= limit || directive_starts(src, at) {
            let message = "Missing directive expression. i.e output application/csv header=true";
            let loc = Loc { start: after_equals, end: after_equals };
            return Err(ParseError { message: message.to_owned(), loc });
        }
        let (value, kind, value_end) = property_value(src, at, limit)?;
        let value_loc = Loc { start: at, end: value_end };
        props.push(Property { name, value, name_loc, kind, value_loc });
        end = value_end;
        at = skip_trivia(src, value_end);
        if src[at..limit].starts_with(',') {
            at += 1;
            end = at;
            at = skip_trivia(src, at);
        } else if at < limit && !directive_starts(src, at) {
            let c = src[at..].chars().next().unwrap_or(' ');
            return Err(error(at, format!("Invalid input '{c}', expected ','")));
        }
    }
    Ok((props, end))
}

/// A property's value starting at `at`: its text (a quoted one unescaped), its type as
/// DataWeave names it and where it ends.
fn property_value(src: &str, at: usize, limit: usize) -> PResult<(String, &'static str, usize)> {
    let error = |message: String| ParseError { message, loc: Loc { start: at, end: at + 1 } };
    let quote = src[at..].chars().next().filter(|c| matches!(c, '"' | '\''));
    let Some(quote) = quote else {
        let end = run_end(src, at, limit);
        let value = &src[at..end];
        if value.parse::<f64>().is_ok() {
            return Ok((value.to_owned(), "Number", end));
        }
        if value == "true" || value == "false" {
            return Ok((value.to_owned(), "Boolean", end));
        }
        return Err(error(format!(
            "Invalid input '{value}', expected a value: a quoted text, a number, true or false"
        )));
    };
    let mut value = String::new();
    let mut chars = src[at + 1..].char_indices();
    loop {
        match chars.next() {
            Some((offset, c)) if c == quote => return Ok((value, "String", at + 1 + offset + 1)),
            Some((_, '\\')) => match chars.next() {
                Some((_, 't')) => value.push('\t'),
                Some((_, 'n')) => value.push('\n'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, 'u')) => {
                    let hex: String = (0..4).filter_map(|_| chars.next()).map(|(_, c)| c).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(c) => value.push(c),
                        None => return Err(error(format!("Invalid unicode escape `\\u{hex}`"))),
                    }
                }
                Some((_, c)) => value.push(c),
                None => return Err(error("Unclosed quote in a writer property".to_owned())),
            },
            Some((_, c)) => value.push(c),
            None => return Err(error("Unclosed quote in a writer property".to_owned())),
        }
    }
}

/// A media type with a `*` (`output */*`, `output text/*`): DataWeave's parser stops at the
/// `*` that starts it or at the `/` before one, as it takes no wildcard there.
fn wildcard_media_type(mime: &str, start: usize) -> Option<ParseError> {
    let star = mime.find('*')?;
    let at = match mime[..star].strip_suffix('/') {
        Some(before) => before.len(),
        None => star,
    };
    let shown = if at == star { "*" } else { "/*" };
    let message = format!(
        "Invalid input '{shown}', expected a media type (`application/json`) or a data format (`json`)"
    );
    Some(ParseError { message, loc: Loc { start: start + at, end: start + at + shown.len() } })
}

/// The first `output` directive of the header of `src` whose media type has a `*`, read
/// from the text, for where the lexer fails on it first (`*/*` holds a comment's opening).
pub(super) fn wildcard_output(src: &str) -> Option<ParseError> {
    let header_end = src.find("---").unwrap_or(src.len());
    let header = &src[..header_end];
    let mut from = 0;
    while let Some(found) = header[from..].find("output") {
        let at = from + found;
        from = at + "output".len();
        let after = &header[from..];
        let starts_word = header[..at].chars().next_back().is_none_or(char::is_whitespace);
        if !starts_word || !after.starts_with([' ', '\t']) {
            continue;
        }
        let mime_start = from + (after.len() - after.trim_start_matches([' ', '\t']).len());
        let mime = header[mime_start..].split([' ', '\t', '\r', '\n', ',']).next()?;
        if let Some(err) = wildcard_media_type(mime, mime_start) {
            return Some(err);
        }
    }
    None
}

/// The directive a script starts with, when it starts like a header (`%dw 2.0`, `output`,
/// `var x =`, `fun f(`, `import`, `type T =`, `ns`), for the error of a missing `---`.
pub(super) fn directive_at_start(tokens: &[Token]) -> Option<&'static str> {
    let word = |idx: usize| match tokens.get(idx).map(|t| &t.tok) {
        Some(Tok::Ident(w)) => Some(w.as_str()),
        _ => None,
    };
    let next_is =
        |punct: &str| matches!(tokens.get(2).map(|t| &t.tok), Some(Tok::Punct(p)) if *p == punct);
    match (tokens.first().map(|t| &t.tok), word(1)) {
        (Some(Tok::Punct("%")), Some("dw")) => Some("%dw"),
        _ => match word(0) {
            // A body may read a name `output` or `ns`; a header line goes on with a media
            // type or a namespace prefix and its URI.
            Some("output") if word(1).is_some() => Some("output"),
            Some("import")
                if word(1).is_some()
                    || matches!(tokens.get(1).map(|t| &t.tok), Some(Tok::Punct("*"))) =>
            {
                Some("import")
            }
            Some("var") if word(1).is_some() && next_is("=") => Some("var"),
            Some("fun") if word(1).is_some() && next_is("(") => Some("fun"),
            Some("type") if word(1).is_some() && next_is("=") => Some("type"),
            _ => None,
        },
    }
}

impl Parser<'_> {
    pub(super) fn header(&mut self, script: &mut Script, sep_idx: usize) -> PResult<()> {
        let sep_start = self.tokens[sep_idx].start;
        let mut declared = Declared::default();
        while self.pos < sep_idx {
            let token = self.peek().clone();
            match &token.tok {
                // `%dw 2.0`: the version is all it holds, and more directives may follow on
                // the same line (`%dw 2.0 output text/plain --- ...`).
                Tok::Punct("%") if matches!(self.peek_at(1), Tok::Ident(w) if w == "dw") => {
                    self.pos += 2;
                    if !matches!(self.peek().tok, Tok::Num(_)) || self.pos >= sep_idx {
                        let loc = Loc { start: token.start, end: self.peek().start };
                        return Err(ParseError { message: "Missing Version major".into(), loc });
                    }
                    if let Tok::Num(version) = &self.peek().tok
                        && self.pos < sep_idx
                    {
                        check_version(version, Loc { start: token.start, end: self.peek().end })?;
                        self.pos += 1;
                    }
                }
                Tok::Punct("%") => self.skip_line(sep_start),
                Tok::Ident(word) if word == "output" => {
                    // A second `output` is read (and checked) but, as in DataWeave, the first
                    // one counts.
                    self.bump();
                    let output = self.output_directive(token.start, token.end, sep_start, false)?;
                    script.output.get_or_insert(output);
                }
                Tok::Ident(word) if word == "var" => {
                    self.bump();
                    let decl = self.var_decl()?;
                    declared.add(&decl, self.loc_from(token.start))?;
                    script.decls.push(decl);
                }
                Tok::Ident(word) if word == "fun" => {
                    self.bump();
                    let decl = self.fun_decl()?;
                    declared.add(&decl, self.loc_from(token.start))?;
                    script.decls.push(decl);
                }
                Tok::Ident(word) if word == "import" => {
                    script.imports.push(self.import(sep_idx)?);
                }
                Tok::Ident(word) if word == "type" => {
                    self.bump();
                    script.decls.extend(self.type_decl()?);
                }
                Tok::Ident(word) if word == "input" => {
                    let input = self.input_directive(&token, sep_start)?;
                    // DataWeave reports every directive of the name; flowrun the first.
                    if let Some(first) = script.inputs.iter().find(|known| known.name == input.name)
                    {
                        let message = format!("Duplicated variable: `{}`.", input.name);
                        return Err(ParseError { message, loc: first.loc });
                    }
                    script.inputs.push(input);
                }
                Tok::Ident(word) if word == "ns" => self.ns_directive(),
                Tok::Punct("@") if matches!(self.peek_at(1), Tok::Ident(_)) => {
                    self.skip_annotations();
                }
                _ => return Err(self.unexpected("a header directive or '---' before the body")),
            }
        }
        if self.pos > sep_idx {
            // A declaration ran past the separator, such as `var x = ---`.
            let token = &self.tokens[sep_idx];
            let loc = Loc { start: token.start, end: token.end };
            return Err(ParseError {
                message: "Invalid input '---', expected an expression".into(),
                loc,
            });
        }
        self.pos = sep_idx + 1;
        Ok(())
    }

    /// Where the header line holding the current token ends (a newline or the `---`).
    fn line_end(&self, sep_start: usize) -> usize {
        let start = self.peek().start;
        self.src[start..sep_start].find('\n').map_or(sep_start, |idx| start + idx)
    }

    fn skip_line(&mut self, sep_start: usize) {
        let end = self.line_end(sep_start);
        self.skip_to(end);
    }

    /// Moves past the tokens that start before `end`, where a directive read from the text
    /// ends.
    fn skip_to(&mut self, end: usize) {
        while self.peek().start < end && self.peek().tok != Tok::Eof {
            self.pos += 1;
        }
    }

    /// `ns prefix uri`, which the lexer reads as a name and a string (see `lex::lex`).
    fn ns_directive(&mut self) {
        self.bump();
        if matches!(self.peek().tok, Tok::Ident(_)) {
            self.bump();
            if matches!(self.peek().tok, Tok::Str(_)) {
                self.bump();
            }
        }
    }

    /// `input payload application/json`: the media type flowrun reads the input as, which
    /// must be one it has a reader for.
    fn input_directive(&mut self, keyword: &Token, sep_start: usize) -> PResult<InputDirective> {
        let name_start = skip_trivia(self.src, keyword.end);
        let name_end = run_end(self.src, name_start, sep_start);
        let name = &self.src[name_start..name_end];
        if name.is_empty() {
            self.bump();
            return Err(self.unexpected("an input name after 'input'"));
        }
        if !name.starts_with(char::is_alphabetic) || !name.chars().all(is_ident_char) {
            let message = format!(
                "Invalid variable name identifier. Reason: The name `{name}` violates DataWeave \
                 naming rules. It should start with a `Alpha` Character followed by zero or more \
                 `AlphaNumeric` or `_`"
            );
            return Err(ParseError { message, loc: Loc { start: name_start, end: name_end } });
        }
        let format = self.output_directive(keyword.start, name_end, sep_start, true)?;
        let media_type = read_format(&format)?;
        let loc = Loc { start: keyword.start, end: format.loc.end };
        Ok(InputDirective { name: name.into(), media_type, loc })
    }

    /// `output <mime> props` (the directive starting at `start`, its media type after
    /// `from`), or the format of an `input` directive (`reader`), whose properties are the
    /// reader's. It ends where its last property does: another directive may follow on
    /// the same line.
    fn output_directive(
        &mut self,
        start: usize,
        from: usize,
        sep_start: usize,
        reader: bool,
    ) -> PResult<Output> {
        let mime_start = skip_trivia(self.src, from);
        let mime_end = run_end(self.src, mime_start, sep_start);
        if mime_start == mime_end {
            let message = "Missing output definition i.e. output application/json or output json";
            let loc = Loc { start: from, end: mime_start };
            return Err(ParseError { message: message.to_owned(), loc });
        }
        let mut mime_loc = Loc { start: mime_start, end: mime_end };
        if let Some(err) = wildcard_media_type(&self.src[mime_start..mime_end], mime_start) {
            return Err(err);
        }
        let mut mime = expand_format_id(&self.src[mime_start..mime_end]);
        let mut declared = None;
        let mut props_from = mime_end;
        // `output application/problem+json with json`: a media type of its own written by
        // the writer of a format id.
        let after = skip_trivia(self.src, mime_end);
        if after < sep_start
            && self.src[after..].starts_with("with")
            && self.src[after + 4..].starts_with(char::is_whitespace)
        {
            let id_start = skip_trivia(self.src, after + 4);
            let id_end = run_end(self.src, id_start, sep_start);
            let id = &self.src[id_start..id_end];
            if id.is_empty() {
                let at = after + 4;
                let message =
                    "Missing output definition i.e. output application/csv with octet-stream";
                return Err(ParseError {
                    message: message.into(),
                    loc: Loc { start: at, end: at },
                });
            }
            let id_len = id.len() - id.trim_start_matches(char::is_alphanumeric).len();
            if id_len < id.len() {
                let at = id_start + id_len;
                let message =
                    "Invalid input, expected a data format id such as `json` after `with`";
                return Err(ParseError {
                    message: message.into(),
                    loc: Loc { start: at, end: at + 1 },
                });
            }
            mime_loc = Loc { start: id_start, end: id_end };
            declared = Some(std::mem::replace(&mut mime, expand_format_id(id)));
            props_from = id_end;
        }
        let (props, end) = directive_properties(self.src, props_from, sep_start, reader)?;
        let valid = if reader { reader_options(&mime) } else { writers::writer_options(&mime) };
        if let Some(valid) = valid {
            for prop in &props {
                if !valid.contains(&prop.name.as_str()) {
                    let mut message = format!("Option `{}` is not valid.", prop.name);
                    if !valid.is_empty() {
                        let listed: Vec<String> = valid.iter().map(|o| format!("`{o}`")).collect();
                        message.push_str(&format!(" Valid options are: {}", listed.join(", ")));
                    }
                    return Err(ParseError { message, loc: prop.name_loc });
                }
                let expected = option_type(&prop.name, &mime);
                if expected != prop.kind {
                    let message = format!(
                        "Option `{}` expects '{expected}' but was '{}'",
                        prop.name, prop.kind
                    );
                    return Err(ParseError { message, loc: prop.value_loc });
                }
            }
        }
        self.skip_to(end.max(props_from));
        let props = props.into_iter().map(|prop| (prop.name, prop.value)).collect();
        Ok(Output { mime, declared, props, loc: Loc { start, end: end.max(props_from) }, mime_loc })
    }

    /// `import * from m`, `import a, b from m` or `import m`, read from its tokens (a
    /// module's name, `dw::core::Strings`, is one); a name renamed with `as` is kept as
    /// written (`f as g`), for the resolver to refuse.
    fn import(&mut self, sep_idx: usize) -> PResult<Import> {
        let keyword = self.bump();
        let ends_here = |parser: &Self| {
            parser.pos >= sep_idx
                || matches!(&parser.peek().tok, Tok::Ident(w) if DIRECTIVE_WORDS.contains(&w.as_str()))
        };
        if ends_here(self) {
            // DataWeave places it where the module name should start and underlines up to
            // the next token.
            let message = "Missing import module name. i.e import dw::core::Strings";
            let loc = Loc { start: keyword.end, end: self.peek().start.max(keyword.end) };
            return Err(ParseError { message: message.into(), loc });
        }
        if self.at_word("from") {
            let message = "Invalid input 'from', expected what to import before it \
                           (`import * from m`, `import f, g from m`) or a module (`import m`)";
            let token = self.peek();
            return Err(ParseError {
                message: message.into(),
                loc: Loc { start: token.start, end: token.end },
            });
        }
        let mut names = Vec::new();
        let mut name_locs = Vec::new();
        let mut first_loc = Loc::default();
        let all = self.eat_punct("*");
        if !all {
            loop {
                let Tok::Ident(name) = &self.peek().tok else {
                    return Err(self.unexpected("a name to import"));
                };
                let mut name = name.clone();
                let token = self.bump();
                if names.is_empty() {
                    first_loc = Loc { start: token.start, end: token.end };
                }
                name_locs.push(Loc { start: token.start, end: token.end });
                if self.at_word("as") && matches!(self.peek_at(1), Tok::Ident(_)) {
                    self.bump();
                    name = format!("{name} as {}", self.bump().tok);
                }
                names.push(name);
                if !self.eat_punct(",") {
                    break;
                }
            }
        }
        let (names, module, module_loc) = if self.at_word("from") {
            let from = self.bump();
            let Tok::Ident(module) = &self.peek().tok else {
                let message = "Missing module name. i.e import charCode from dw::core::String";
                let loc = Loc { start: from.end, end: self.peek().start.max(from.end) };
                return Err(ParseError { message: message.into(), loc });
            };
            let module = module.clone();
            let module_token = self.bump();
            let names = if all { ImportNames::All } else { ImportNames::Some(names) };
            (names, module, Loc { start: module_token.start, end: module_token.end })
        } else if all || names.len() != 1 {
            return Err(self.unexpected("'from' and a module"));
        } else {
            (ImportNames::Qualified, names.pop().unwrap_or_default(), first_loc)
        };
        // A `dw::` module DataWeave lacks; others (an app's own modules, `dw::Runtime`) are
        // refused later as modules flowrun does not support yet.
        if module.starts_with("dw::")
            && !module.contains(' ')
            && !modules::exists_in_dataweave(&module)
        {
            let message = format!("Unable to resolve module with identifier {module}.");
            return Err(ParseError { message, loc: module_loc });
        }
        if !matches!(names, ImportNames::Some(_)) {
            name_locs.clear();
        }
        let end = self.tokens[self.pos - 1].end;
        Ok(Import { module, names, name_locs, module_loc, loc: Loc { start: keyword.start, end } })
    }

    pub(super) fn var_decl(&mut self) -> PResult<Decl> {
        if self.at_punct("=") {
            return Err(self.missing_here("Missing variable name. i.e var a = 1"));
        }
        let name = self.ident("a variable name")?;
        self.skip_type_annotation()?;
        self.expect_punct("=", "after the variable name")?;
        if self.at_closer() {
            return Err(self.missing_here("Missing Variable Expression i.e var a = 1"));
        }
        let value = self.expr()?;
        Ok(Decl::Var { name, value })
    }

    pub(super) fn fun_decl(&mut self) -> PResult<Decl> {
        let name = self.ident("a function name")?;
        if self.at_punct("<") {
            // Type parameters (`fun f<T>(a: T)`) are not checked in this version.
            self.skip_balanced();
        }
        self.expect_punct("(", "to open the parameter list")?;
        let mut params = Vec::new();
        let mut defaults = Vec::new();
        let mut param_types = Vec::new();
        let mut param_locs = Vec::new();
        while !self.at_punct(")") {
            self.skip_annotations();
            let start = self.peek().start;
            params.push(self.ident("a parameter name")?);
            param_types.push(self.skip_type_annotation()?);
            defaults.push(if self.eat_punct("=") { Some(self.expr()?) } else { None });
            param_locs.push(self.loc_from(start));
            if !self.eat_punct(",") {
                break;
            }
        }
        if !self.eat_punct(")") {
            return Err(self.unclosed("missing `)` for the function parameters. fun a() = 1"));
        }
        check_default_places(&defaults, &param_locs)?;
        self.skip_type_annotation()?;
        self.expect_punct("=", "before the function body")?;
        if self.at_closer() {
            return Err(self.missing_here(
                "Missing Function Body Expression. i.e fun a(name: String) = 'DW Rock $(a)'",
            ));
        }
        let body = self.expr()?;
        let lambda = Lambda { params, defaults, param_types, body, is_fun: true };
        Ok(Decl::Fun { name, lambda: Arc::new(lambda) })
    }
}

/// The media type an `input` directive reads its input as, with its reader properties as
/// parameters; formats flowrun has no reader for are load errors, worded as for `output`.
/// The reader properties DataWeave takes in an `input` directive for `mime`, in the order
/// its error lists them; `None` where flowrun does not check them.
fn reader_options(mime: &str) -> Option<&'static [&'static str]> {
    let media_type = MediaType::parse(mime)?;
    if media_type.is_json() {
        return Some(&["streaming"]);
    }
    match media_type.essence().as_str() {
        "application/csv" | "text/csv" => Some(crate::expr::readers::CSV_READ_OPTIONS),
        "text/plain" | "application/x-www-form-urlencoded" => Some(&[]),
        _ => None,
    }
}

/// The type DataWeave's readers and writers expect for the property `name` (the same for
/// every format, but for `indent`: a Boolean for JSON, the indentation text for `application/dw`).
fn option_type(name: &str, mime: &str) -> &'static str {
    match name {
        "indent" if mime == "application/dw" => "String",
        "bufferSize" | "bodyStartLineNumber" | "headerLineNumber" | "maxCollectionSize" => "Number",
        "encoding" | "skipNullOn" | "separator" | "quote" | "escape" | "lineSeparator" => "String",
        _ => "Boolean",
    }
}

fn read_format(format: &Output) -> PResult<MediaType> {
    let unknown = || {
        let message = format!(
            "Unknown content type `{}`. Supported content types are: `application/json`, `application/java`, `application/csv`, `text/plain`, \
             `application/x-www-form-urlencoded`",
            format.mime
        );
        ParseError { message, loc: format.mime_loc }
    };
    let mut media_type = MediaType::parse(&format.mime).ok_or_else(unknown)?;
    let essence = media_type.essence();
    let readable = media_type.is_json()
        || media_type.is_text()
        || media_type.is_java()
        || ["application/csv", "application/x-www-form-urlencoded"].contains(&essence.as_str());
    if !readable {
        let known = [
            "application/xml",
            "application/octet-stream",
            "multipart/form-data",
            "application/dw",
        ];
        if known.contains(&essence.as_str()) {
            let message = format!("flowrun cannot read input `{}` yet", format.mime);
            return Err(ParseError { message, loc: format.mime_loc });
        }
        return Err(unknown());
    }
    let params = std::sync::Arc::make_mut(&mut media_type.params);
    params.extend(
        format.props.iter().map(|(name, value)| (name.to_ascii_lowercase(), value.clone())),
    );
    Ok(media_type)
}

/// The newest language version flowrun follows, as DataWeave names it.
const NEWEST_VERSION: (u32, u32) = (2, 12);

/// `%dw 2.0` up to the newest 2.x version DataWeave has; others are DataWeave's load errors.
fn check_version(version: &str, loc: Loc) -> PResult<()> {
    let Some((major, minor)) = version.split_once('.') else {
        return Err(ParseError { message: "Missing version separator i.e. %dw 2.0".into(), loc });
    };
    let (newest_major, newest_minor) = NEWEST_VERSION;
    let supported = major.parse() == Ok(newest_major)
        && minor.parse::<u32>().is_ok_and(|minor| minor <= newest_minor);
    if supported {
        return Ok(());
    }
    // DataWeave's message ends in a stray backtick (`2.12``); flowrun leaves it out.
    let message = format!(
        "Invalid weave version `{version}`. Supported version is `{newest_major}.{newest_minor}`"
    );
    Err(ParseError { message, loc })
}

/// The `var`s and `fun`s of one header or `do` block so far, to reject a name declared
/// twice as DataWeave does (`fun`s of one name are overloads).
#[derive(Default)]
pub(super) struct Declared {
    names: Vec<(Arc<str>, bool, Loc)>,
}

impl Declared {
    /// Records `decl`, written at `loc`; an error when a variable of its name exists, or it
    /// is a variable and a function of its name does.
    pub(super) fn add(&mut self, decl: &Decl, loc: Loc) -> PResult<()> {
        let (name, is_fun) = match decl {
            Decl::Var { name, .. } => (name, false),
            Decl::Fun { name, .. } => (name, true),
        };
        let earlier = self
            .names
            .iter()
            .find(|(n, earlier_is_fun, _)| n == name && !(is_fun && *earlier_is_fun));
        if let Some((_, earlier_is_fun, earlier_loc)) = earlier {
            // DataWeave reports both declarations; its first message is about the earlier
            // variable, or the function of the two.
            return Err(match (is_fun, earlier_is_fun) {
                (false, false) => ParseError {
                    message: format!("Duplicated variable: `{name}`."),
                    loc: *earlier_loc,
                },
                (true, _) => ParseError {
                    message: format!("Function `{name}` is already used by a variable."),
                    loc,
                },
                (false, true) => ParseError {
                    message: format!("Function `{name}` is already used by a variable."),
                    loc: *earlier_loc,
                },
            });
        }
        self.names.push((name.clone(), is_fun, loc));
        Ok(())
    }
}

/// Parameters with defaults must come first or last, as in DataWeave: after the first
/// parameter, the first one that breaks that order is an error.
pub(super) fn check_default_places<T>(defaults: &[Option<T>], param_locs: &[Loc]) -> PResult<()> {
    let head = defaults.first().is_some_and(Option::is_some);
    // With defaults first, the first required parameter ends them; with defaults last, the
    // first default starts them.
    let Some(turn) = defaults.iter().position(|default| default.is_some() != head) else {
        return Ok(());
    };
    match defaults[turn..].iter().position(|default| default.is_some() == head) {
        Some(offset) => Err(ParseError {
            message: "Functions can only have head or tail default function values.".into(),
            loc: param_locs[turn + offset],
        }),
        None => Ok(()),
    }
}

/// Expands DataWeave's short format ids (`json`) to media types; an id DataWeave does not
/// have (`yaml`) stays as it is.
pub(crate) fn expand_format_id(mime: &str) -> String {
    let full = match mime {
        "json" => "application/json",
        "java" => "application/java",
        "text" => "text/plain",
        "xml" => "application/xml",
        "csv" => "application/csv",
        "dw" => "application/dw",
        "binary" => "application/octet-stream",
        "properties" => "text/x-java-properties",
        "urlencoded" => "application/x-www-form-urlencoded",
        "multipart" => "multipart/form-data",
        other => other,
    };
    full.to_owned()
}
