//! The script header: `%dw`, `output`, `import`, `var` and `fun` directives before `---`.
//!
//! Directives are line-based in DataWeave, so `output` and `import` are read from their
//! line's text; `var` and `fun` values are ordinary expressions.

use std::sync::Arc;

use crate::expr::ast::{Decl, Import, ImportNames, Lambda, Loc, Output, Script};
use crate::expr::lex::{Tok, Token};
use crate::expr::parse::{PResult, ParseError, Parser};

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

impl Parser<'_> {
    pub(super) fn header(&mut self, script: &mut Script, sep_idx: usize) -> PResult<()> {
        let sep_start = self.tokens[sep_idx].start;
        while self.pos < sep_idx {
            let token = self.peek().clone();
            match &token.tok {
                // `%dw 2.0`: the version is all it holds, and more directives may follow on
                // the same line (`%dw 2.0 output text/plain --- ...`).
                Tok::Punct("%") if matches!(self.peek_at(1), Tok::Ident(w) if w == "dw") => {
                    self.pos += 2;
                    if matches!(self.peek().tok, Tok::Num(_)) && self.pos < sep_idx {
                        self.pos += 1;
                    }
                }
                Tok::Punct("%") => self.skip_line(sep_start),
                Tok::Ident(word) if word == "output" => {
                    script.output = Some(self.output_directive(&token, sep_start)?);
                }
                Tok::Ident(word) if word == "var" => {
                    self.bump();
                    script.decls.push(self.var_decl()?);
                }
                Tok::Ident(word) if word == "fun" => {
                    self.bump();
                    script.decls.push(self.fun_decl()?);
                }
                Tok::Ident(word) if word == "import" => {
                    script.imports.push(self.import(&token, sep_start));
                }
                Tok::Ident(word) if word == "type" => {
                    self.bump();
                    script.decls.extend(self.type_decl()?);
                }
                Tok::Ident(word) if ["ns", "input"].contains(&word.as_str()) => {
                    self.skip_line(sep_start);
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

    fn output_directive(&mut self, keyword: &Token, sep_start: usize) -> PResult<Output> {
        let end = self.line_end(sep_start);
        let text = &self.src[keyword.end..end];
        // Properties are separated by commas; whitespace alone is accepted too.
        let mut words =
            text.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty());
        let loc = Loc { start: keyword.start, end };
        let Some(mime) = words.next() else {
            self.bump();
            return Err(self.unexpected("a media type after 'output'"));
        };
        let mut props = Vec::new();
        for word in words {
            let (name, value) = word.split_once('=').unwrap_or((word, "true"));
            props.push((name.to_owned(), value.trim_matches(|c| c == '"' || c == '\'').to_owned()));
        }
        self.skip_line(sep_start);
        Ok(Output { mime: expand_format_id(mime), props, loc })
    }

    /// `import * from m`, `import a, b from m` or `import m`, read from the line's text.
    fn import(&mut self, keyword: &Token, sep_start: usize) -> Import {
        let end = self.line_end(sep_start);
        let text = self.src[keyword.end..end].trim();
        let (names, module) = match text.split_once(" from ") {
            Some(("*", module)) => (ImportNames::All, module),
            Some((names, module)) => {
                let names = names.split(',').map(|n| n.trim().to_owned()).collect();
                (ImportNames::Some(names), module)
            }
            None => (ImportNames::Qualified, text),
        };
        self.skip_line(sep_start);
        let loc = Loc { start: keyword.start, end };
        Import { module: module.trim().to_owned(), names, loc }
    }

    pub(super) fn var_decl(&mut self) -> PResult<Decl> {
        let name = self.ident("a variable name")?;
        self.skip_type_annotation()?;
        self.expect_punct("=", "after the variable name")?;
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
            let start = self.peek().start;
            params.push(self.ident("a parameter name")?);
            param_types.push(self.skip_type_annotation()?);
            defaults.push(if self.eat_punct("=") { Some(self.expr()?) } else { None });
            param_locs.push(self.loc_from(start));
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct(")", "to close the parameter list")?;
        check_default_places(&defaults, &param_locs)?;
        self.skip_type_annotation()?;
        self.expect_punct("=", "before the function body")?;
        let body = self.expr()?;
        let lambda = Lambda { params, defaults, param_types, body };
        Ok(Decl::Fun { name, lambda: Arc::new(lambda) })
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

/// Expands DataWeave's short format ids (`json`) to media types.
pub(crate) fn expand_format_id(mime: &str) -> String {
    let full = match mime {
        "json" => "application/json",
        "java" => "application/java",
        "text" => "text/plain",
        "xml" => "application/xml",
        "csv" => "application/csv",
        "dw" => "application/dw",
        "yaml" => "application/yaml",
        "urlencoded" => "application/x-www-form-urlencoded",
        "multipart" => "multipart/form-data",
        "ndjson" => "application/x-ndjson",
        other => other,
    };
    full.to_owned()
}
