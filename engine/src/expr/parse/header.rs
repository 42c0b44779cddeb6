//! The script header: `%dw`, `output`, `import`, `var` and `fun` directives before `---`.
//!
//! Directives are line-based in DataWeave, so `output` and `import` are read from their
//! line's text; `var` and `fun` values are ordinary expressions.

use std::sync::Arc;

use crate::expr::ast::{Decl, Import, ImportNames, InputDirective, Lambda, Loc, Output, Script};
use crate::expr::lex::{Tok, Token};
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

/// The writer properties after an `output` media type: `name=value` pairs separated by
/// commas or spaces, each value a quoted text (with the escapes of string literals:
/// `separator="\t"`), a number, `true` or `false`; a name alone means `true`. `offset` is
/// where `text` starts in the script. Gives each name, its value as text and the name's place.
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

fn writer_properties(text: &str, offset: usize) -> PResult<Vec<Property>> {
    let mut props = Vec::new();
    let mut chars = text.char_indices().peekable();
    let error = |at: usize, message: String| ParseError {
        message,
        loc: Loc { start: offset + at, end: offset + at + 1 },
    };
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace() || *c == ',').is_some() {}
        let Some(&(name_start, _)) = chars.peek() else { break };
        let mut name = String::new();
        while let Some((_, c)) = chars.next_if(|(_, c)| c.is_alphanumeric() || *c == '_') {
            name.push(c);
        }
        if name.is_empty() {
            let (at, c) = chars.next().unwrap_or((name_start, ' '));
            return Err(error(at, format!("Invalid input '{c}', expected a writer property name")));
        }
        let name_loc = Loc { start: offset + name_start, end: offset + name_start + name.len() };
        while chars.next_if(|(_, c)| *c == ' ' || *c == '\t').is_some() {}
        if chars.next_if(|(_, c)| *c == '=').is_none() {
            let (kind, value_loc) = ("Boolean", name_loc);
            props.push(Property { name, value: "true".to_owned(), name_loc, kind, value_loc });
            continue;
        }
        while chars.next_if(|(_, c)| *c == ' ' || *c == '\t').is_some() {}
        let value_start = chars.peek().map_or(text.len(), |&(at, _)| at);
        let mut kind = "String";
        let value = match chars.next() {
            Some((at, quote @ ('"' | '\''))) => {
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some((_, c)) if c == quote => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, 't')) => value.push('\t'),
                            Some((_, 'n')) => value.push('\n'),
                            Some((_, 'r')) => value.push('\r'),
                            Some((_, 'u')) => {
                                let hex: String =
                                    (0..4).filter_map(|_| chars.next()).map(|(_, c)| c).collect();
                                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                                    Some(c) => value.push(c),
                                    None => {
                                        return Err(error(
                                            at,
                                            format!("Invalid unicode escape `\\u{hex}`"),
                                        ));
                                    }
                                }
                            }
                            Some((_, c)) => value.push(c),
                            None => break,
                        },
                        Some((_, c)) => value.push(c),
                        None => {
                            return Err(error(
                                at,
                                "Unclosed quote in a writer property".to_owned(),
                            ));
                        }
                    }
                }
                value
            }
            Some((at, c)) => {
                let mut value = String::from(c);
                while let Some((_, c)) = chars.next_if(|(_, c)| !c.is_whitespace() && *c != ',') {
                    value.push(c);
                }
                let number = value.parse::<f64>().is_ok();
                kind = if number { "Number" } else { "Boolean" };
                if !number && value != "true" && value != "false" {
                    return Err(error(
                        at,
                        format!(
                            "Invalid input '{value}', expected a value: a quoted text, a number, true or false"
                        ),
                    ));
                }
                value
            }
            None => {
                return Err(error(
                    text.len(),
                    "Missing directive expression. i.e output application/csv header=true"
                        .to_owned(),
                ));
            }
        };
        let value_end = chars.peek().map_or(text.len(), |&(at, _)| at);
        let value_text = text[value_start..value_end].trim_end();
        let value_loc =
            Loc { start: offset + value_start, end: offset + value_start + value_text.len() };
        props.push(Property { name, value, name_loc, kind, value_loc });
        // Properties are separated by commas, as DataWeave requires.
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        if let Some(&(at, c)) = chars.peek()
            && c != ','
        {
            return Err(error(at, format!("Invalid input '{c}', expected ','")));
        }
    }
    Ok(props)
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
                    let output = self.output_directive(&token, sep_start, false)?;
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
                    script.imports.push(self.import(&token, sep_start)?);
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
                Tok::Ident(word) if word == "ns" => self.skip_line(sep_start),
                Tok::Punct("@") if matches!(self.peek_at(1), Tok::Ident(_)) => {
                    self.skip_annotations();
                }
                _ => return Err(self.unexpected("a header directive or '---'")),
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
        while self.peek().start < end && self.peek().tok != Tok::Eof {
            self.pos += 1;
        }
    }

    /// `input payload application/json`: the media type flowrun reads the input as, which
    /// must be one it has a reader for.
    fn input_directive(&mut self, keyword: &Token, sep_start: usize) -> PResult<InputDirective> {
        let end = self.line_end(sep_start);
        let text = &self.src[keyword.end..end];
        let name_len =
            text.trim_start().find(char::is_whitespace).unwrap_or(text.trim_start().len());
        let name_start = keyword.end + (text.len() - text.trim_start().len());
        let name = &self.src[name_start..name_start + name_len];
        if name.is_empty() {
            self.bump();
            return Err(self.unexpected("an input name after 'input'"));
        }
        let rest = Token { start: name_start, end: name_start + name_len, ..keyword.clone() };
        let format = self.output_directive(&rest, sep_start, true)?;
        let media_type = read_format(&format)?;
        Ok(InputDirective { name: name.into(), media_type, loc: Loc { start: keyword.start, end } })
    }

    /// `output <mime> props`, or the format of an `input` directive (`reader`), whose
    /// properties are the reader's.
    fn output_directive(
        &mut self,
        keyword: &Token,
        sep_start: usize,
        reader: bool,
    ) -> PResult<Output> {
        let end = self.line_end(sep_start);
        let text = &self.src[keyword.end..end];
        let loc = Loc { start: keyword.start, end };
        let mime_offset = text.len() - text.trim_start().len();
        let mime = text[mime_offset..].split([',', ' ', '\t', '\r']).next().unwrap_or("");
        if mime.is_empty() {
            self.bump();
            return Err(self.missing_here(
                "Missing output definition i.e. output application/json or output json",
            ));
        }
        let mime_start = keyword.end + mime_offset;
        let mut mime_loc = Loc { start: mime_start, end: mime_start + mime.len() };
        let mut mime = expand_format_id(mime);
        let mut declared = None;
        // `output application/problem+json with json`: a media type of its own written by
        // the writer of a format id.
        let after_mime = &self.src[mime_loc.end..end];
        let with_len = after_mime.len() - after_mime.trim_start().len();
        if let Some(rest) = after_mime.trim_start().strip_prefix("with")
            && (rest.trim().is_empty() || rest.starts_with([' ', '\t']))
        {
            let id_offset = mime_loc.end + with_len + 4 + (rest.len() - rest.trim_start().len());
            let id_text = &self.src[id_offset..end];
            let id_len = id_text.len() - id_text.trim_start_matches(char::is_alphanumeric).len();
            if id_text.trim().is_empty() {
                let at = mime_loc.end + with_len + 4;
                let message =
                    "Missing output definition i.e. output application/csv with octet-stream";
                return Err(ParseError {
                    message: message.into(),
                    loc: Loc { start: at, end: at },
                });
            }
            if id_len == 0 || id_text[id_len..].starts_with(['/', '+']) {
                let at = id_offset + id_len;
                let message =
                    "Invalid input, expected a data format id such as `json` after `with`";
                return Err(ParseError {
                    message: message.into(),
                    loc: Loc { start: at, end: at + 1 },
                });
            }
            mime_loc = Loc { start: id_offset, end: id_offset + id_len };
            declared = Some(std::mem::replace(&mut mime, expand_format_id(&id_text[..id_len])));
        }
        let props_start = mime_loc.end;
        let props = writer_properties(&self.src[props_start..end], props_start)?;
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
        self.skip_line(sep_start);
        let props = props.into_iter().map(|prop| (prop.name, prop.value)).collect();
        Ok(Output { mime, declared, props, loc, mime_loc })
    }

    /// `import * from m`, `import a, b from m` or `import m`, read from the line's text.
    fn import(&mut self, keyword: &Token, sep_start: usize) -> PResult<Import> {
        let end = self.line_end(sep_start);
        let text = self.src[keyword.end..end].trim();
        if text.is_empty() || text.ends_with(" from") {
            // DataWeave places it where the module name should start and underlines up to
            // the next token.
            let start = if text.is_empty() { keyword.end } else { end };
            self.skip_line(sep_start);
            let message = if text.is_empty() {
                "Missing import module name. i.e import dw::core::Strings"
            } else {
                "Missing module name. i.e import charCode from dw::core::String"
            };
            let loc = Loc { start, end: self.peek().start.max(start) };
            return Err(ParseError { message: message.into(), loc });
        }
        if text == "from" || text.starts_with("from ") {
            let start = keyword.end + self.src[keyword.end..end].find("from").unwrap_or(0);
            let message = "Invalid input 'from', expected what to import before it \
                           (`import * from m`, `import f, g from m`) or a module (`import m`)";
            let loc = Loc { start, end: start + 4 };
            return Err(ParseError { message: message.into(), loc });
        }
        let (names, module) = match text.split_once(" from ") {
            Some(("*", module)) => (ImportNames::All, module),
            Some((names, module)) => {
                let names = names.split(',').map(|n| n.trim().to_owned()).collect();
                (ImportNames::Some(names), module)
            }
            None => (ImportNames::Qualified, text),
        };
        let module_name = module.trim();
        // A `dw::` module DataWeave lacks; others (an app's own modules, `dw::Runtime`) are
        // refused later as modules flowrun does not support yet.
        if module_name.starts_with("dw::")
            && !module_name.contains(' ')
            && !modules::exists_in_dataweave(module_name)
        {
            let start = keyword.end + self.src[keyword.end..end].rfind(module_name).unwrap_or(0);
            let message = format!("Unable to resolve module with identifier {module_name}.");
            return Err(ParseError { message, loc: Loc { start, end: start + module_name.len() } });
        }
        self.skip_line(sep_start);
        let loc = Loc { start: keyword.start, end };
        Ok(Import { module: module.trim().to_owned(), names, loc })
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
