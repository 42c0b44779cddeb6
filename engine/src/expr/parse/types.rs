//! Types in scripts: `type` declarations, the types after `as`, `is` and `case is`, and
//! the annotations of variables and parameters (`fun f(a: Array<String>): String`).
//!
//! Types are not checked in this version: an annotation is skipped, and `as`/`is` get a
//! type name with any `type` alias resolved where the script is parsed, so that evaluation
//! never sees an alias. A union of simple types is the name `String|Number`.

use std::sync::Arc;

use crate::expr::ast::{Decl, Loc, Node, NodeKind};
use crate::expr::lex::Tok;
use crate::expr::parse::{PResult, ParseError, Parser};
use crate::expr::resolve::TYPE_NAMES;

/// What a type expression names, as far as `as` and `is` can use it.
#[derive(Clone, Debug)]
pub(crate) struct TypeRef {
    /// A built-in type's name, or `A|B` for a union of them; `None` for a shape flowrun
    /// cannot test (object and function types, intersections, literal types).
    pub(crate) name: Option<Arc<str>>,
    /// The `{format: ...}` properties a declaration gave its type.
    pub(crate) props: Option<Node>,
    /// Where the type is written.
    pub(crate) loc: Loc,
}

impl Parser<'_> {
    /// `type Name = Type` or `type Name<T> = Type`, after the keyword.
    ///
    /// Schema properties (`type T = String {format: fmt}`) see the names of the place the type
    /// is declared, not of the places it is used, as in DataWeave: they become a variable
    /// declared here (named `type T`, which no script can write), and uses of the alias
    /// refer to it. That declaration is returned, to be put in order with the others.
    pub(super) fn type_decl(&mut self) -> PResult<Option<Decl>> {
        let name = self.ident("a type name")?;
        if self.at_punct("<") {
            self.skip_balanced();
        }
        self.expect_punct("=", "after the type name")?;
        if self.at_closer() {
            return Err(self.missing_here("Missing Type Expression e.g String."));
        }
        let mut alias = self.type_expr(true, true)?;
        let decl = alias.props.take().map(|props| {
            let var_name: Arc<str> = format!("type {name}").into();
            alias.props = Some(Node::new(NodeKind::Name(var_name.clone()), props.loc));
            Decl::Var { name: var_name, value: props }
        });
        self.types.push((name, alias));
        Ok(decl)
    }

    /// The type after `as`, `is` or `case is`: a name `as`/`is` can test, or a load error.
    pub(super) fn tested_type(&mut self, after: &str) -> PResult<(Arc<str>, Option<Node>)> {
        if !matches!(self.peek().tok, Tok::Ident(_) | Tok::Punct("{" | "(")) {
            return Err(self.unexpected(&format!("a type name after '{after}'")));
        }
        let type_ref = self.type_expr(false, true)?;
        match type_ref.name {
            Some(name) => Ok((name, type_ref.props)),
            None => Err(ParseError {
                message: format!(
                    "flowrun does not support `{after} {}` yet: only named types and their unions",
                    &self.src[type_ref.loc.start..type_ref.loc.end]
                ),
                loc: type_ref.loc,
            }),
        }
    }

    /// A type expression: members joined by `|` (or `&`), each optionally followed by
    /// schema properties `{format: ...}` when `with_props`. Unknown names are an error when
    /// `check_names`; annotations may name type parameters (`fun f<T>(a: T)`).
    fn type_expr(&mut self, with_props: bool, check_names: bool) -> PResult<TypeRef> {
        let start = self.peek().start;
        let mut names = Vec::new();
        let mut props = None;
        let mut testable = true;
        loop {
            let member = self.type_member(with_props, check_names)?;
            match member.name {
                Some(name) => names.push(name),
                None => testable = false,
            }
            props = props.or(member.props);
            if self.eat_punct("&") {
                testable = false;
            } else if !self.eat_punct("|") {
                break;
            }
        }
        let loc = self.loc_from(start);
        let name = (testable && !names.is_empty()).then(|| {
            let mut names: Vec<&str> = names.iter().flat_map(|n| n.split('|')).collect();
            names.dedup();
            Arc::from(names.join("|"))
        });
        // A union keeps no properties; a single member keeps its own.
        let props = if names.len() == 1 { props } else { None };
        Ok(TypeRef { name, props, loc })
    }

    fn type_member(&mut self, with_props: bool, check_names: bool) -> PResult<TypeRef> {
        let token = self.peek().clone();
        let start = token.start;
        match &token.tok {
            Tok::Ident(word) => {
                self.bump();
                let mut word = word.clone();
                // Qualified names such as `dw::core::Strings::Foo` are not resolved.
                let mut qualified = false;
                while self.eat_punct("::") {
                    qualified = true;
                    word = self.ident("a type name")?.to_string();
                }
                if self.type_arguments_ahead() {
                    self.skip_balanced();
                }
                let loc = self.loc_from(start);
                let props =
                    if with_props && self.at_punct("{") { Some(self.primary()?) } else { None };
                if qualified {
                    return Ok(TypeRef { name: None, props, loc });
                }
                if let Some((_, alias)) = self.types.iter().rev().find(|(name, _)| **name == *word)
                {
                    let alias = alias.clone();
                    return Ok(TypeRef { props: props.or(alias.props), loc, ..alias });
                }
                // `Dictionary<T>` is a type here, but a function as a value, so it is not one
                // of the type names that are values too.
                if !TYPE_NAMES.contains(&word.as_str()) && word != "Dictionary" {
                    if !check_names {
                        return Ok(TypeRef { name: None, props, loc });
                    }
                    return Err(ParseError {
                        message: format!("Unable to resolve reference of: `{word}`."),
                        loc,
                    });
                }
                Ok(TypeRef { name: Some(word.as_str().into()), props, loc })
            }
            Tok::Punct("(")
                if self.peek_at(1) != &Tok::Punct(")") && !self.function_type_ahead() =>
            {
                self.bump();
                let inner = self.type_expr(with_props, check_names)?;
                self.expect_punct(")", "to close the type")?;
                Ok(inner)
            }
            Tok::Punct("{" | "(" | "[") => {
                self.skip_balanced();
                if self.eat_punct("->") {
                    self.type_member(false, false)?;
                }
                Ok(TypeRef { name: None, props: None, loc: self.loc_from(start) })
            }
            Tok::Str(_) | Tok::Num(_) => {
                self.bump();
                Ok(TypeRef { name: None, props: None, loc: self.loc_from(start) })
            }
            _ => Err(self.unexpected("a type")),
        }
    }

    /// True at the `<` of type arguments (`Array<String>`), which must start with a type:
    /// in `x as Number < 5` the `<` compares.
    fn type_arguments_ahead(&self) -> bool {
        let starts_type = match self.peek_at(1) {
            Tok::Ident(word) => word.starts_with(|c: char| c.is_ascii_uppercase()),
            Tok::Punct("{" | "(") => true,
            _ => false,
        };
        self.at_punct("<") && starts_type
    }

    /// After `(`: true when the parentheses are a function type's parameters.
    fn function_type_ahead(&self) -> bool {
        let mut depth = 0usize;
        let mut ahead = 0;
        loop {
            match self.peek_at(ahead) {
                Tok::Eof => return false,
                Tok::Punct("(" | "[" | "{") => depth += 1,
                Tok::Punct(")" | "]" | "}") => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return self.peek_at(ahead + 1) == &Tok::Punct("->");
                    }
                }
                _ => {}
            }
            ahead += 1;
        }
    }

    /// Skips a bracketed group starting at the current token: `<...>`, `(...)`, `[...]`
    /// or `{...}`, with whatever nests inside.
    pub(super) fn skip_balanced(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek().tok {
                Tok::Eof => return,
                // `<:` bounds a type parameter (`<T <: Number>`); it opens nothing.
                Tok::Punct("<") if self.peek_at(1) == &Tok::Punct(":") && depth > 0 => {}
                Tok::Punct("(" | "[" | "{" | "<") => depth += 1,
                Tok::Punct(")" | "]" | "}" | ">") => depth = depth.saturating_sub(1),
                Tok::Punct(">>") => depth = depth.saturating_sub(2),
                _ => {}
            }
            self.bump();
            if depth == 0 {
                return;
            }
        }
    }

    /// Skips annotations (`@TailRec()`, `@StreamCapable`): flowrun runs the same with or
    /// without them.
    pub(super) fn skip_annotations(&mut self) {
        while self.at_punct("@") && matches!(self.peek_at(1), Tok::Ident(_)) {
            self.pos += 2;
            if self.at_punct("(") {
                self.skip_balanced();
            }
        }
    }

    /// Skips `: Type` after a variable, a parameter or a parameter list (values are not
    /// checked against it in this version); returns the type when `is` can test it.
    pub(super) fn skip_type_annotation(&mut self) -> PResult<Option<Arc<str>>> {
        if !self.eat_punct(":") {
            return Ok(None);
        }
        Ok(self.type_expr(false, false)?.name)
    }

    /// Where a `: Type` annotation that starts `ahead` tokens on ends: at the first `,`,
    /// `)` or `=` outside brackets. Used to look ahead for lambdas.
    pub(super) fn skip_type_ahead(&self, mut ahead: usize) -> Option<usize> {
        let mut depth = 0usize;
        loop {
            match self.peek_at(ahead) {
                Tok::Eof => return None,
                Tok::Punct("," | ")" | "=") if depth == 0 => return Some(ahead),
                Tok::Punct("(" | "[" | "{" | "<") => depth += 1,
                Tok::Punct(")" | "]" | "}" | ">") => depth = depth.checked_sub(1)?,
                _ => {}
            }
            ahead += 1;
        }
    }
}
