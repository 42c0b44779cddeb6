//! The parser: tokens to a [`Script`], by precedence climbing.
//!
//! Precedence, tightest first (see `DESIGN.md` for the reasons):
//! primary and selectors, prefix `-` `!`, `as`, `* /`, `+ -`, `< > <= >=`, `== != ~=`,
//! `and`, `or`, prefix `not`, then infix function calls (`++`, `map`, ...) and `default`,
//! all on one left-associative level. `if`/`else` branches and lambda bodies are full
//! expressions and so extend as far right as they can.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use bigdecimal::BigDecimal;

use crate::expr::ast::{
    BinOp, Case, Decl, Decls, Lambda, Loc, Member, Node, NodeKind, Pattern, Script, Selector,
};
use crate::expr::lex::{self, StrPart, Tok, Token};
use crate::expr::{funcs, period, time, zone};

/// A syntax error at a byte range of the script.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ParseError {
    /// What is wrong, in DataWeave's words where it has them.
    pub(crate) message: String,
    /// Where.
    pub(crate) loc: Loc,
}

type PResult<T> = Result<T, ParseError>;

/// Words that never name a value or an infix function.
const RESERVED: &[&str] = &[
    "and", "as", "async", "case", "default", "do", "else", "enum", "false", "for", "fun", "if",
    "import", "input", "is", "ns", "null", "or", "output", "private", "throw", "true", "type",
    "unless", "using", "var", "yield", "not", "match", "update",
];

/// Words DataWeave refuses as an unquoted key or selector name (`{type: 1}`, `a.type`), in
/// the order its message lists them.
pub(crate) const FIELD_RESERVED: &[&str] = &[
    "if", "else", "unless", "using", "---", "as", "is", "null", "true", "false", "default", "case",
    "fun", "input", "output", "ns", "type", "import", "var", "and", "or", "throw", "do", "for",
    "yield", "enum", "private", "async",
];

/// DataWeave's load error for a reserved word written as a key or selector name.
fn reserved_field(name: &str, loc: Loc) -> ParseError {
    let list: String = FIELD_RESERVED.iter().map(|word| format!("\n - {word}")).collect();
    let message = format!(
        "Invalid field name identifier. Reason: The name `{name}` is a reserved word. List of \
         reserved words: {list}. Possible solution wrap `{name}` into quotes e.g payload.'{name}'"
    );
    ParseError { message, loc }
}

/// DataWeave's load error for a name that cannot be an unquoted key or selector name
/// (`.*0`, `[*0]`).
fn invalid_field_name(name: &str, loc: Loc) -> ParseError {
    let message = format!(
        "Invalid field name identifier. Reason: The name `{name}` violates DataWeave field \
         naming rules. It should start with a `Alpha` Character followed by zero or more \
         `AlphaNumeric` or `_`. Possible solution wrap `{name}` into quotes e.g payload.'{name}'"
    );
    ParseError { message, loc }
}

/// Binary operator levels, loosest first; each level's operands are the next level.
const LEVELS: &[&[(&str, BinOp)]] = &[
    &[("or", BinOp::Or)],
    &[("and", BinOp::And)],
    &[("==", BinOp::Eq), ("!=", BinOp::Ne), ("~=", BinOp::Similar)],
    &[("<", BinOp::Lt), (">", BinOp::Gt), ("<=", BinOp::Le), (">=", BinOp::Ge)],
    &[("+", BinOp::Add), ("-", BinOp::Sub), ("<<", BinOp::Append), (">>", BinOp::Prepend)],
    &[("*", BinOp::Mul), ("/", BinOp::Div)],
];

mod header;
mod types;

pub(crate) use header::expand_format_id;

/// Parses a whole script: optional header, `---`, body; or just a body.
pub(crate) fn parse_script(src: &str) -> PResult<Script> {
    let tokens = lex_at(src, 0, src.len()).map_err(|err| {
        // `output */*` holds a comment's opening, which the lexer reports first.
        header::wildcard_output(src).filter(|wild| wild.loc.start <= err.loc.start).unwrap_or(err)
    })?;
    let mut parser = Parser {
        src,
        tokens,
        pos: 0,
        depth: 0,
        folds: 0,
        types: Vec::new(),
        paren_starts: HashMap::new(),
    };
    let mut script = Script {
        output: None,
        decls: Decls::default(),
        imports: Vec::new(),
        inputs: Vec::new(),
        body: Node::new(NodeKind::Null, Loc::default()),
    };
    // A bracket the header leaves open (`fun f(x`) hides its `---` from `separator`.
    let separator = header::separator(&parser.tokens).or_else(|| {
        header::directive_at_start(&parser.tokens)?;
        parser.tokens.iter().position(|t| t.tok == Tok::Punct("---"))
    });
    if let Some(sep_idx) = separator {
        parser.header(&mut script, sep_idx)?;
    } else if header::directive_at_start(&parser.tokens).is_some() {
        // `%dw 2.0` or `output ...` without a `---`: the body was run into the header, which
        // DataWeave reads on as more header, failing where that stops making sense (at the
        // body, as a rule) or, when it all reads as header, at the end.
        let eof = parser.tokens.len() - 1;
        parser.header(&mut script, eof)?;
        let end = parser.tokens[eof.saturating_sub(1)].end;
        let message = "Missing Mapping Expression ie. var a = 1 \n --- \n a ".to_owned();
        return Err(ParseError { message, loc: Loc { start: end, end } });
    }
    if parser.pos > 0
        && parser.tokens[parser.pos - 1].tok == Tok::Punct("---")
        && parser.at_closer()
    {
        return Err(parser.missing_here(MISSING_BODY));
    }
    script.body = parser.body()?;
    Ok(script)
}

/// Whether `node` is `attributes.headers` (or `message.attributes.headers`): Mule's HTTP
/// headers, a map whose keys ignore case.
fn is_headers(node: &Node) -> bool {
    let NodeKind::Select { target, selector: Selector::Key(key), .. } = &*node.kind else {
        return false;
    };
    if &**key != "headers" {
        return false;
    }
    match &*target.kind {
        NodeKind::Name(name) => &**name == "attributes",
        NodeKind::Select { target, selector: Selector::Key(key), .. } => {
            &**key == "attributes"
                && matches!(&*target.kind, NodeKind::Name(name) if &**name == "message")
        }
        _ => false,
    }
}

/// A selector of a header by name, made to ignore case. Header names are stored in lowercase
/// (the HTTP connector and `flowrun call --attribute headers=...` lowercase them, as Mule's
/// listener does), so a key written in the script is lowercased once, here, and selecting
/// costs nothing more when the script runs.
///
/// FIXME: the rule is about the selector as written, so the headers object stored in a
/// variable (`vars.h.'X-Api-Key'`) and keys computed at run time are case-sensitive, where
/// Mule's map ignores case wherever it goes; the value itself would have to say it is a
/// headers map (a kind of object the evaluator looks up without case) to fix that.
fn ignoring_case(selector: Selector) -> Selector {
    let lower = |key: &Arc<str>| -> Arc<str> { key.to_lowercase().into() };
    match selector {
        Selector::Key(key) => Selector::Key(lower(&key)),
        Selector::MultiKey(key) => Selector::MultiKey(lower(&key)),
        Selector::Dynamic(index) => match &*index.kind {
            NodeKind::Str(key) => {
                Selector::Dynamic(Node::new(NodeKind::Str(lower(key)), index.loc))
            }
            _ => Selector::Dynamic(index),
        },
        other => other,
    }
}

/// True when `name` is a keyword rather than a reference.
pub(crate) fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name)
}

/// Lexes `src[start..end]`, with offsets counted from the start of `src`.
fn lex_at(src: &str, start: usize, end: usize) -> PResult<Vec<Token>> {
    let mut tokens = lex::lex(&src[start..end]).map_err(|err| {
        let message = err.to_string();
        ParseError { message, loc: Loc { start: start + err.offset(), end: start + err.end() } }
    })?;
    for token in &mut tokens {
        token.start += start;
        token.end += start;
        // The interpolations of a string nested in an interpolation are placed in `src` too.
        if let Tok::Str(parts) = &mut token.tok {
            for part in parts {
                if let StrPart::Expr { start: from, end: to } = part {
                    *from += start;
                    *to += start;
                }
            }
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    /// Operations folded into chains so far (see [`Parser::fold`]).
    folds: usize,
    /// `type` aliases declared so far, innermost last.
    types: Vec<(Arc<str>, types::TypeRef)>,
    /// Where the parentheses around an expression open, by the expression's own range (see
    /// [`Parser::operand_start`]).
    paren_starts: HashMap<(usize, usize), usize>,
}

/// `selector` as `form` (`Selector::Exists` for `k?`, `Selector::Required` for `k!`) when it
/// is a name selector `.k`, interpolated or not; the selector itself otherwise.
fn strict_form(selector: Selector, form: fn(Arc<str>) -> Selector) -> Result<Selector, Selector> {
    match selector {
        Selector::Key(key) => Ok(form(key)),
        Selector::Interpolated { name, form: inner } if matches!(*inner, Selector::Key(_)) => {
            Ok(Selector::Interpolated { name, form: Box::new(form("".into())) })
        }
        other => Err(other),
    }
}

/// DataWeave's message for a `---` with nothing after it.
const MISSING_BODY: &str = "Missing Body Expression. i.e dw 2.0\n --- \n true";

/// How deeply expressions may nest. The parser recurses per level; the limit turns a
/// pathological script into a load error instead of a crash.
const MAX_NESTING: usize = 100;

/// How many chained operations one script may hold: far more than real scripts, few enough
/// that a left-leaning tree of them can be dropped (and refused by the resolver's depth
/// limit) without exhausting the stack.
const MAX_FOLDS: usize = 20_000;

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)].tok
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if token.tok != Tok::Eof {
            self.pos += 1;
        }
        token
    }

    fn at_punct(&self, punct: &str) -> bool {
        matches!(self.peek().tok, Tok::Punct(p) if p == punct)
    }

    fn at_word(&self, word: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(w) if w == word)
    }

    fn eat_punct(&mut self, punct: &str) -> bool {
        let found = self.at_punct(punct);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect_punct(&mut self, punct: &str, context: &str) -> PResult<Token> {
        if self.at_punct(punct) {
            return Ok(self.bump());
        }
        let expected = format!("'{punct}' {context}");
        if matches!(punct, ")" | "]" | "}") && context.contains("for the") {
            return Err(self.unclosed(&expected));
        }
        Err(self.unexpected(&expected))
    }

    /// The error for a bracket that the current token does not close, or continue, as
    /// DataWeave's parser words it: at the first character after what the bracket holds so
    /// far, which is a space where one follows it (`[1 2]`: ``Invalid input ' ', expected
    /// ']' or ',' for the array expression.``).
    #[cold]
    #[inline(never)]
    fn unclosed(&self, expected: &str) -> ParseError {
        let token = self.peek();
        let after = self.tokens[self.pos.saturating_sub(1)].end;
        if token.tok == Tok::Eof || self.pos == 0 || after >= token.start {
            return self.unexpected(expected);
        }
        let c = self.src[after..].chars().next().unwrap_or(' ');
        let shown = match c {
            '\n' => "\\n".to_owned(),
            '\r' => "\\r".to_owned(),
            '\t' => "\\t".to_owned(),
            c => c.to_string(),
        };
        let message = format!("Invalid input '{shown}', expected {expected}");
        let end = if c == '\n' { after } else { after + c.len_utf8() };
        ParseError { message, loc: Loc { start: after, end } }
    }

    /// The error for the current token when `expected` should have come.
    fn unexpected(&self, expected: &str) -> ParseError {
        let token = self.peek();
        let loc = Loc { start: token.start, end: token.end.max(token.start + 1) };
        let after_name = self.pos > 0
            && matches!(self.tokens[self.pos - 1].tok, Tok::Ident(_))
            && self.tokens[self.pos - 1].end == token.start;
        let message = match &token.tok {
            Tok::Eof => format!("Unexpected end of input, expected {expected}"),
            // `ns0#name`: a name in an XML namespace, declared with `ns` in the header.
            Tok::Punct("#") if after_name => {
                "Invalid input '#': flowrun does not support XML namespaces (`prefix#name`) yet"
                    .to_owned()
            }
            _ => format!(
                "Invalid input '{}', expected {expected}",
                &self.src[token.start..token.end]
            ),
        };
        ParseError { message, loc }
    }

    /// Whether the current token closes a bracket, separates, ends a header or ends the
    /// script: where an operand should come (after an operator, `else`, `->`, a key's `:`),
    /// DataWeave then reports it missing in its own words (`Missing addition expression.`),
    /// placed between the two tokens ([`Parser::missing_here`]).
    ///
    /// A closing bracket counts only where it closes the innermost open one, a comma only
    /// inside a bracket, and the end of the script only outside all of them: `(1 +` is an
    /// unclosed parenthesis to DataWeave, and `(1 + }` a wrong closer.
    fn at_closer(&self) -> bool {
        let innermost = || self.innermost_open().map(|idx| self.tokens[idx].tok.clone());
        match self.peek().tok {
            Tok::Punct("---") => true,
            Tok::Eof => innermost().is_none(),
            Tok::Punct(",") => innermost().is_some(),
            Tok::Punct(")") => innermost() == Some(Tok::Punct("(")),
            Tok::Punct("]") => innermost() == Some(Tok::Punct("[")),
            Tok::Punct("}") => innermost() == Some(Tok::Punct("{")),
            _ => false,
        }
    }

    /// The index of the innermost bracket open before the current token, if any. It scans
    /// the tokens read so far, which only error paths ask for.
    #[inline(never)]
    fn innermost_open(&self) -> Option<usize> {
        let mut open = Vec::new();
        for (idx, token) in self.tokens[..self.pos].iter().enumerate() {
            match token.tok {
                Tok::Punct("(" | "[" | "{") => open.push(idx),
                Tok::Punct(")" | "]" | "}") => {
                    open.pop();
                }
                _ => {}
            }
        }
        open.pop()
    }

    /// What DataWeave says is expected to close the innermost open bracket (`')' for the
    /// function call.`), told by the token before the bracket.
    #[cold]
    #[inline(never)]
    fn closer_expected(&self) -> Option<&'static str> {
        let idx = self.innermost_open()?;
        let before = idx.checked_sub(1).map(|before| &self.tokens[before].tok);
        let word = |w: &str| matches!(before, Some(Tok::Ident(b)) if b == w);
        let ends_value = matches!(
            before,
            Some(Tok::Ident(_) | Tok::Num(_) | Tok::Str(_) | Tok::Punct(")" | "]" | "}"))
        );
        Some(match self.tokens[idx].tok {
            Tok::Punct("(") if word("if") => "')' for the if expression.",
            Tok::Punct("(") if matches!(before, Some(Tok::Ident(b)) if !is_reserved(b)) => {
                "')' for the function call."
            }
            Tok::Punct("(") => "')' for the enclosed expression.",
            Tok::Punct("[") if ends_value => "']' for the selector expression.",
            Tok::Punct("[") => "']' or ',' for the array expression.",
            Tok::Punct("{") if word("do") => "'}' for the do block",
            Tok::Punct("{") if word("match") => "'}' for the Pattern Matching.",
            _ => "`}` or ',' for the object expression.",
        })
    }

    /// Whether the current token can start an expression. Where one should come inside a
    /// bracket and cannot, DataWeave names the bracket's closer (`expected ']' or ',' for
    /// the array expression`) rather than the expression: [`Parser::unclosed`].
    fn starts_expr(&self) -> bool {
        match &self.peek().tok {
            Tok::Ident(word) => {
                !is_reserved(word)
                    || ["true", "false", "null", "if", "do", "using", "not"]
                        .contains(&word.as_str())
                    || (word == "match" && self.peek_at(1) == &Tok::Punct("("))
            }
            Tok::Num(_) | Tok::Str(_) | Tok::Temporal(_) | Tok::Regex(_) | Tok::Dollar(_) => true,
            Tok::Punct("++" | "--") => self.peek_at(1) == &Tok::Punct("("),
            Tok::Punct(p) => ["(", "[", "{", "-", "!"].contains(p),
            Tok::Eof => false,
        }
    }

    /// The error for a minus sign written apart from its number (`- 1`, `abs( - 1)`), which
    /// DataWeave refuses: a negative number is written against its digits, and a prefix
    /// minus takes other operands only (`- x`, `- (1)`). Worded as DataWeave words it where
    /// an operator or an open bracket comes before it.
    #[cold]
    #[inline(never)]
    fn spaced_minus(&self) -> ParseError {
        let minus = self.peek();
        let previous = self.pos.checked_sub(1).map(|idx| &self.tokens[idx].tok);
        let operator = LEVELS
            .iter()
            .flat_map(|level| level.iter())
            .find(|(text, _)| matches!(previous, Some(Tok::Punct(p)) if p == text));
        let message = match operator {
            Some(&(_, op @ (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div))) => {
                return self.missing_here(missing_operand(op));
            }
            _ => match self.closer_expected() {
                Some(closer) if matches!(previous, Some(Tok::Punct("(" | "," | "[" | ":"))) => {
                    format!("Invalid input '-', expected {closer}")
                }
                _ => "Invalid input '-': a negative number is written without a space after its \
                      sign (`-1`)"
                    .to_owned(),
            },
        };
        ParseError { message, loc: Loc { start: minus.start, end: minus.end } }
    }

    /// The error `message` placed after the token just read.
    #[cold]
    #[inline(never)]
    fn missing_here(&self, message: &str) -> ParseError {
        let after = self.tokens[self.pos.saturating_sub(1)].end;
        let next = self.peek();
        let loc = if next.tok == Tok::Eof && !self.src[after..next.start].trim().is_empty() {
            // Only comments follow: DataWeave places it at the end.
            Loc { start: next.start, end: next.start }
        } else {
            Loc { start: after, end: next.start.max(after) }
        };
        ParseError { message: message.to_owned(), loc }
    }

    fn loc_from(&self, start: usize) -> Loc {
        let end = self.tokens[self.pos.saturating_sub(1)].end;
        Loc { start, end: end.max(start) }
    }

    fn ident(&mut self, what: &str) -> PResult<Arc<str>> {
        match &self.peek().tok {
            Tok::Ident(name) if !is_reserved(name) => {
                let name = name.as_str().into();
                self.pos += 1;
                Ok(name)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn body(&mut self) -> PResult<Node> {
        let node = self.expr()?;
        if self.peek().tok != Tok::Eof {
            return Err(self.unexpected("end of input"));
        }
        Ok(node)
    }

    /// `key: value` without braces, after its key: an object with one pair.
    ///
    /// As in DataWeave, such a pair is a primary expression wherever one may stand (a body,
    /// an array element, a lambda body, the right operand of `mapObject`), its key a name, a
    /// string or a parenthesized expression, and its value a whole expression: `x: $ ++ "s"`
    /// is `{x: ($ ++ "s")}`, and `1 + a: 2` adds an object.
    fn bare_pair(&mut self, key: Node, start: usize) -> PResult<Node> {
        self.expect_punct(":", "after the key")?;
        let value = self.expr()?;
        let loc = self.loc_from(start);
        Ok(Node::new(NodeKind::Object(vec![Member::Pair { key, value }]), loc))
    }

    /// A full expression: infix function calls and `default` over `not`-level operands.
    pub(crate) fn expr(&mut self) -> PResult<Node> {
        if self.depth >= MAX_NESTING {
            return Err(self.unexpected(&format!("at most {MAX_NESTING} levels of nesting")));
        }
        self.depth += 1;
        let result = self.infix_chain();
        self.depth -= 1;
        result
    }

    /// Runs a prefix operator's operand one level deeper, failing past [`MAX_NESTING`] levels.
    fn nested(&mut self, step: fn(&mut Self) -> PResult<Node>) -> PResult<Node> {
        if self.depth >= MAX_NESTING {
            return Err(self.unexpected(&format!("at most {MAX_NESTING} levels of nesting")));
        }
        self.depth += 1;
        let result = step(self);
        self.depth -= 1;
        result
    }

    /// Counts one operation folded into a chain (`a + b + ...`, `a.b.c...`, `xs map f map g`):
    /// each makes the tree one level deeper, and a tree too deep would exhaust the stack
    /// when it is dropped, long before evaluation could refuse it.
    ///
    /// It returns only whether the limit is passed, to keep the recursive parsing functions'
    /// stack frames as small as they were; [`Parser::too_many_folds`] builds the error.
    fn fold(&mut self) -> bool {
        self.folds += 1;
        self.folds > MAX_FOLDS
    }

    #[inline(never)]
    fn too_many_folds(&self) -> ParseError {
        self.unexpected(&format!("at most {MAX_FOLDS} operations in one script"))
    }

    /// Infix function calls and `default` over `not`-level operands, left to right.
    fn infix_chain(&mut self) -> PResult<Node> {
        let mut lhs = self.not_expr()?;
        loop {
            if self.at_word("update") && self.peek_at(1) == &Tok::Punct("{") {
                let token = self.peek();
                let loc = Loc { start: token.start, end: token.end };
                let message = "flowrun does not support the `update` operator yet".to_owned();
                return Err(ParseError { message, loc });
            }
            if self.at_word("match") && self.peek_at(1) == &Tok::Punct("{") {
                self.bump();
                let cases = self.match_cases()?;
                let loc = self.loc_from(lhs.loc.start);
                if self.fold() {
                    return Err(self.too_many_folds());
                }
                lhs = Node::new(NodeKind::Match { value: lhs, cases }, loc);
                continue;
            }
            if self.at_word("with") && self.prefix_replace_with(&mut lhs)? {
                continue;
            }
            let token = self.peek().clone();
            let name: Arc<str> = match &token.tok {
                Tok::Ident(word) if word == "default" || word == "match" || !is_reserved(word) => {
                    word.as_str().into()
                }
                Tok::Punct(op @ ("++" | "--")) => (*op).into(),
                _ => return Ok(lhs),
            };
            self.bump();
            if matches!(token.tok, Tok::Ident(_)) && !self.at_closer() && !self.starts_expr() {
                // `{a: 1 b: 2}`: `b` takes no operand, and what holds `1` reports the `:` (no
                // construct goes on with a mark like it after an expression). Before a keyword
                // (`case`, `else`), it reports `b` itself, which it could otherwise take for
                // the end of the expression.
                if !matches!(self.peek().tok, Tok::Punct(_)) {
                    self.pos -= 1;
                }
                return Ok(lhs);
            }
            if self.at_closer() {
                return Err(self.missing_here(if &*name == "default" {
                    "Missing default expression."
                } else {
                    "Missing Expression"
                }));
            }
            let rhs = self.not_expr()?;
            let loc = lhs.loc.to(rhs.loc);
            let name_loc = Loc { start: token.start, end: token.end };
            let kind = if &*name == "default" {
                NodeKind::Default { value: lhs, fallback: rhs }
            } else {
                // DataWeave decides from the parameter's type, not from `$`: the right operand
                // of a function that takes a function there is one, whatever it is written
                // as (`[1, 2] map 1` is `[1, 1]`); a lambda literal is that function itself.
                let rhs = if funcs::takes_functions(&name) {
                    function_operand(rhs)
                } else if funcs::is_builtin(&name) {
                    rhs
                } else {
                    // A function of the script: its parameters have no types to go by.
                    implicit_lambda(rhs)
                };
                let mut args = vec![lhs, rhs];
                if &*name == "replace" && self.at_word("with") {
                    // `text replace /re/ with replacement` is one call with three arguments.
                    // The replacement is only evaluated for a match, as in DataWeave (`with
                    // (1 / 0)` fails only if something matched): it is the body of a lambda
                    // unless it names a function.
                    self.bump();
                    if self.at_closer() {
                        return Err(self.missing_here("Missing Expression"));
                    }
                    let replacement = self.not_expr()?;
                    args.push(replacement_operand(replacement));
                }
                NodeKind::Call { name, name_loc, args }
            };
            if self.fold() {
                return Err(self.too_many_folds());
            }
            lhs = Node::new(kind, loc);
        }
    }

    /// The prefix form `replace(text, /re/) with replacement`: `with` gives the replacement
    /// to the call, as it does after the infix form; false when `lhs` is no such call.
    /// Kept out of [`Parser::infix_chain`] so that its stack frame stays small.
    #[inline(never)]
    fn prefix_replace_with(&mut self, lhs: &mut Node) -> PResult<bool> {
        let NodeKind::Call { name, args, .. } = &mut *lhs.kind else { return Ok(false) };
        if &**name != "replace" || args.len() != 2 {
            return Ok(false);
        }
        self.bump();
        let replacement = self.not_expr()?;
        lhs.loc = lhs.loc.to(replacement.loc);
        args.push(replacement_operand(replacement));
        Ok(true)
    }

    /// At the prefix operator `not`: a `not` right before `(`, without a space, is instead a
    /// call of a function named `not`, as DataWeave reads it (`not(true)` is an unknown name).
    fn at_not(&self) -> bool {
        self.at_word("not")
            && !matches!(self.tokens.get(self.pos + 1),
                Some(next) if next.tok == Tok::Punct("(") && next.start == self.peek().end)
    }

    fn not_expr(&mut self) -> PResult<Node> {
        if !self.at_not() {
            return self.binary(0);
        }
        let start = self.bump().start;
        let operand = self.nested(Parser::not_expr)?;
        Ok(Node::new(NodeKind::Not(operand), self.loc_from(start)))
    }

    fn binary(&mut self, level: usize) -> PResult<Node> {
        let Some(ops) = LEVELS.get(level) else { return self.as_expr() };
        let mut lhs = self.binary(level + 1)?;
        loop {
            if ops[0].1 == BinOp::Lt && self.at_word("is") {
                self.bump();
                let (type_name, _) = self.tested_type("is")?;
                let loc = self.loc_from(self.operand_start(&lhs));
                if self.fold() {
                    return Err(self.too_many_folds());
                }
                lhs = Node::new(NodeKind::Is { value: lhs, type_name }, loc);
                continue;
            }
            let op = ops.iter().find(|(text, _)| match &self.peek().tok {
                Tok::Punct(p) => p == text,
                Tok::Ident(w) => w == text,
                _ => false,
            });
            let Some(&(_, op)) = op else { return Ok(lhs) };
            self.bump();
            if self.at_closer() {
                return Err(self.missing_here(missing_operand(op)));
            }
            let rhs = self.right_operand(level + 1)?;
            let loc = self.loc_from(self.operand_start(&lhs));
            if self.fold() {
                return Err(self.too_many_folds());
            }
            lhs = Node::new(NodeKind::Binary { op, lhs, rhs }, loc);
        }
    }

    /// `a or not b == c`: a right operand that starts with `not` is a whole `not` expression,
    /// which runs as far right as an `or` does. Kept out of [`Parser::binary`] so that its
    /// stack frame stays small.
    #[inline(never)]
    fn right_operand(&mut self, level: usize) -> PResult<Node> {
        if self.at_not() { self.not_expr() } else { self.binary(level) }
    }

    fn as_expr(&mut self) -> PResult<Node> {
        let mut value = self.unary()?;
        while self.at_word("as") {
            self.bump();
            let (type_name, type_props) = self.tested_type("as")?;
            let props = if self.at_punct("{") { Some(self.primary()?) } else { type_props };
            let loc = self.loc_from(self.operand_start(&value));
            value = Node::new(NodeKind::As { value, type_name, props }, loc);
        }
        Ok(value)
    }

    fn unary(&mut self) -> PResult<Node> {
        let start = self.peek().start;
        let negative_literal = self.at_punct("-")
            && matches!(self.peek_at(1), Tok::Num(_))
            && self.tokens.get(self.pos + 1).is_some_and(|t| t.start == self.peek().end);
        if negative_literal {
            // `-3["a"]` selects from the literal -3: a sign written against its digits is
            // part of the number, as in DataWeave.
            self.bump();
            let token = self.bump();
            let loc = Loc { start: token.start, end: token.end };
            let Tok::Num(text) = &token.tok else { return Err(self.unexpected("a number")) };
            let number = -number_literal(text, loc)?;
            let literal = Node::new(NodeKind::Number(number), self.loc_from(start));
            return self.selectors(literal);
        }
        if self.at_punct("-") && matches!(self.peek_at(1), Tok::Num(_)) {
            return Err(self.spaced_minus());
        }
        if self.eat_punct("-") {
            // Before anything but a number's digits, DataWeave's minus negates the whole
            // operator expression to its right, as `not` does: `-x + 1` is `-(x + 1)` and
            // `-x > 0` negates a Boolean. An infix function ends it: `-x ++ "a"` is
            // `(-x) ++ "a"`.
            let operand = self.nested(Parser::not_expr)?;
            let loc = self.loc_from(start);
            if let NodeKind::Number(n) = &*operand.kind {
                return Ok(Node::new(NodeKind::Number(-n), loc));
            }
            return Ok(Node::new(NodeKind::Neg(operand), loc));
        }
        if self.eat_punct("!") {
            let operand = self.nested(Parser::unary)?;
            return Ok(Node::new(NodeKind::Not(operand), self.loc_from(start)));
        }
        let primary = self.primary()?;
        self.selectors(primary)
    }

    fn selectors(&mut self, mut target: Node) -> PResult<Node> {
        // The first selector's target is a primary: a selector inside it was parenthesized.
        let mut chained = false;
        loop {
            let start = target.loc.start;
            if matches!(self.peek().tok, Tok::Punct("." | "[" | ".." | ".*" | "!" | "?" | "("))
                && self.fold()
            {
                return Err(self.too_many_folds());
            }
            let selector = if self.eat_punct(".") {
                if self.eat_punct("^") {
                    match &self.peek().tok {
                        Tok::Ident(_) | Tok::Str(_) => {
                            self.named(|name| Selector::Metadata(Some(name)))?
                        }
                        _ => Selector::Metadata(None),
                    }
                } else if matches!(self.peek().tok, Tok::Punct("@" | "#")) {
                    return Err(self.unexpected(
                        "a key name (attribute and namespace selectors are not supported)",
                    ));
                } else if self.eat_punct("&") {
                    self.named(Selector::KeyValue)?
                } else {
                    if self.at_closer() {
                        return Err(
                            self.missing_here("Missing Field Name for Selector Expression.")
                        );
                    }
                    self.named(Selector::Key)?
                }
            } else if self.eat_punct(".*") {
                if self.at_closer() {
                    // DataWeave places it after the `.`, as if `*` were the missing name.
                    let mut err = self.missing_here("Missing Field Name for Selector Expression.");
                    err.loc = Loc { start: err.loc.start - 1, end: err.loc.start };
                    return Err(err);
                }
                self.named(Selector::MultiKey)?
            } else if self.eat_punct("..") {
                self.descendants_selector()?
            } else if self.at_punct("[") {
                self.bracket_selector()?
            } else if self.at_punct("!") {
                // `a.k!` requires key `k`; a `!` after a complete selector cannot be a prefix.
                // Errors quote `a.k` without the `!`, as DataWeave's do.
                let loc = target.loc;
                let NodeKind::Select { target: inner, selector, chained } = *target.kind else {
                    return Err(self.unexpected("a key selector before '!'"));
                };
                let selector = match selector {
                    Selector::Metadata(_) | Selector::Exists(_) | Selector::Required(_) => {
                        return Err(self.unexpected("a selector before '!'"));
                    }
                    Selector::Interpolated { name, form } if !matches!(*form, Selector::Key(_)) => {
                        Selector::Interpolated { name, form: Box::new(Selector::Strict(form)) }
                    }
                    selector => match strict_form(selector, Selector::Required) {
                        Ok(selector) => selector,
                        Err(selector) => Selector::Strict(Box::new(selector)),
                    },
                };
                self.bump();
                let kind = NodeKind::Select { target: inner, selector, chained };
                target = Node::new(kind, loc);
                continue;
            } else if self.at_punct("?") {
                // `a.k?` asks whether `a` has key `k`: the key selector becomes a test.
                let NodeKind::Select { target: inner, selector, chained } = *target.kind else {
                    return Err(self.unexpected("a key selector before '?'"));
                };
                let Ok(selector) = strict_form(selector, Selector::Exists) else {
                    return Err(self.unexpected("a key selector before '?'"));
                };
                self.bump();
                let kind = NodeKind::Select { target: inner, selector, chained };
                target = Node::new(kind, self.loc_from(start));
                continue;
            } else if self.at_punct("(") {
                // A call of what the expression gives: `f(1)(2)`, `fns.inc(1)`, `xs[0](1)`.
                let args = self.call_args(false)?;
                target = Node::new(NodeKind::Apply { callee: target, args }, self.loc_from(start));
                chained = false;
                continue;
            } else {
                return Ok(target);
            };
            let selector = if is_headers(&target) { ignoring_case(selector) } else { selector };
            let kind = NodeKind::Select { target, selector, chained };
            target = Node::new(kind, self.loc_from(start));
            chained = true;
        }
    }

    /// The name after `.`, `.*` or `..`: a word (keywords allowed) or a quoted string.
    /// What follows `..`: `..k`, `..*k`, `..&k`, or nothing (`..` alone).
    #[inline(never)]
    fn descendants_selector(&mut self) -> PResult<Selector> {
        Ok(if self.eat_punct("*") {
            self.named(Selector::MultiDescendants)?
        } else if self.eat_punct("&") {
            self.named(Selector::DescendantKeyValues)?
        } else if matches!(self.peek().tok, Tok::Ident(_) | Tok::Str(_) | Tok::Num(_)) {
            self.named(Selector::Descendants)?
        } else {
            Selector::AllDescendants
        })
    }

    /// `[e]`, and `[*(name)]` and `[&(name)]`, which are `.*` and `.&` with a computed name.
    #[inline(never)]
    fn bracket_selector(&mut self) -> PResult<Selector> {
        self.bump();
        if self.at_punct("?") {
            let token = self.peek();
            let loc = Loc { start: token.start, end: token.end };
            let message = "flowrun does not support filter selectors (`[?(...)]`) yet".to_owned();
            return Err(ParseError { message, loc });
        }
        let form = if self.eat_punct("*") {
            if let Tok::Num(name) = &self.peek().tok {
                // `[*0]` is `.*0`, where a number is no name.
                let token = self.peek();
                return Err(invalid_field_name(name, Loc { start: token.start, end: token.end }));
            }
            Some(true)
        } else if self.eat_punct("&") {
            Some(false)
        } else {
            None
        };
        if !self.starts_expr() {
            return Err(self.unclosed("']' for the selector expression."));
        }
        let index = self.expr()?;
        self.expect_punct("]", "for the selector expression.")?;
        Ok(match form {
            Some(true) => Selector::DynamicMulti(index),
            Some(false) => Selector::DynamicKeyValue(index),
            None => Selector::Dynamic(index),
        })
    }

    /// The selector `form` makes of the name after `.`, `.*`, `..`, `.&` or `.^`: a word
    /// (keywords allowed), a quoted string, or an interpolated one (`."$(key)"`), whose name
    /// is computed when the selector runs.
    fn named(&mut self, form: fn(Arc<str>) -> Selector) -> PResult<Selector> {
        let token = self.peek().clone();
        if let Tok::Str(parts) = &token.tok
            && !matches!(parts.as_slice(), [StrPart::Text(_)])
        {
            self.bump();
            let loc = Loc { start: token.start, end: token.end };
            let name = Node::new(self.string(parts, loc)?, loc);
            return Ok(Selector::Interpolated { name, form: Box::new(form("".into())) });
        }
        Ok(form(self.key_name()?))
    }

    fn key_name(&mut self) -> PResult<Arc<str>> {
        match &self.peek().tok {
            Tok::Ident(name) if FIELD_RESERVED.contains(&name.as_str()) => {
                let token = self.peek();
                Err(reserved_field(name, Loc { start: token.start, end: token.end }))
            }
            Tok::Ident(name) => {
                let name = name.as_str().into();
                self.pos += 1;
                Ok(name)
            }
            Tok::Str(parts) => match parts.as_slice() {
                [StrPart::Text(text)] => {
                    let name = text.as_str().into();
                    self.pos += 1;
                    Ok(name)
                }
                _ => Err(self.unexpected("a key name without interpolation")),
            },
            Tok::Num(name) => {
                let token = self.peek();
                Err(invalid_field_name(name, Loc { start: token.start, end: token.end }))
            }
            _ => Err(self.unexpected("a key name")),
        }
    }

    fn primary(&mut self) -> PResult<Node> {
        let token = self.peek().clone();
        let loc = Loc { start: token.start, end: token.end };
        let kind = match &token.tok {
            Tok::Num(text) => {
                self.bump();
                NodeKind::Number(number_literal(text, loc)?)
            }
            Tok::Str(parts) => {
                self.bump();
                let kind = self.string(parts, loc)?;
                if self.at_punct(":") {
                    return self.bare_pair(Node::new(kind, loc), loc.start);
                }
                kind
            }
            Tok::Dollar(n) => {
                self.bump();
                NodeKind::Name("$".repeat(*n).into())
            }
            Tok::Regex(pattern) => {
                self.bump();
                NodeKind::Regex(compile_regex(pattern, loc)?)
            }
            Tok::Temporal(text) if text.starts_with('P') || zone::is_literal(text) => {
                let value = match text.starts_with('P') {
                    true => period::literal(text, loc)?,
                    false => zone::literal(text, loc)?,
                };
                self.bump();
                NodeKind::Temporal(value)
            }
            Tok::Temporal(text) => {
                let value = time::parse_iso(text).ok_or_else(|| {
                    // DataWeave's words for a date or time whose fields are out of range.
                    let message = if time::is_iso_shaped(text) {
                        format!("'{text}' is not valid")
                    } else {
                        format!(
                            "Invalid date literal '|{text}|': expected an ISO date or time \
                             (`|2003-10-01T23:57:59Z|`), a period (`|P1D|`) or an offset (`|-08:00|`)"
                        )
                    };
                    ParseError { message, loc }
                })?;
                self.bump();
                NodeKind::Temporal(crate::value::Value::Temporal(value))
            }
            Tok::Ident(word) if !is_reserved(word) && self.peek_at(1) == &Tok::Punct(":") => {
                self.bump();
                return self
                    .bare_pair(Node::new(NodeKind::Str(word.as_str().into()), loc), loc.start);
            }
            Tok::Ident(word) => return self.word(word.clone(), loc),
            Tok::Punct("(") => {
                let node = self.paren()?;
                let is_lambda = matches!(&*node.kind, NodeKind::Lambda(_));
                if self.at_punct(":") && !is_lambda {
                    return self.bare_pair(node, token.start);
                }
                return Ok(node);
            }
            Tok::Punct("[") => return self.array(),
            Tok::Punct("{") => return self.object(),
            // `++(a, b)`: the prefix form of an infix function written as an operator.
            Tok::Punct(op @ ("++" | "--")) if self.peek_at(1) == &Tok::Punct("(") => {
                let name = (*op).to_owned();
                self.bump();
                return self.call(name, loc);
            }
            // `(1 +` or `(1 + }`: DataWeave names the bracket that is left open.
            Tok::Eof | Tok::Punct(")" | "]" | "}") if !self.at_closer() => {
                let expected = self.closer_expected().unwrap_or("an expression");
                return Err(self.unexpected(expected));
            }
            _ => return Err(self.unexpected("an expression")),
        };
        Ok(Node::new(kind, loc))
    }

    fn string(&self, parts: &[StrPart], loc: Loc) -> PResult<NodeKind> {
        if let [StrPart::Text(text)] = parts {
            return Ok(NodeKind::Str(text.as_str().into()));
        }
        let mut nodes = Vec::new();
        for part in parts {
            match part {
                StrPart::Text(text) => {
                    nodes.push(Node::new(NodeKind::Str(text.as_str().into()), loc))
                }
                StrPart::Expr { start, end } => nodes.push(self.sub_expr(*start, *end)?),
            }
        }
        Ok(NodeKind::Interpolated(nodes))
    }

    /// Parses the embedded expression `src[start..end]` of an interpolation.
    fn sub_expr(&self, start: usize, end: usize) -> PResult<Node> {
        let tokens = lex_at(self.src, start, end)?;
        let mut parser = Parser {
            src: self.src,
            tokens,
            pos: 0,
            depth: self.depth,
            folds: self.folds,
            types: self.types.clone(),
            paren_starts: HashMap::new(),
        };
        let node = parser.expr()?;
        if parser.peek().tok != Tok::Eof {
            return Err(parser.unexpected("')' to close the interpolation"));
        }
        Ok(node)
    }

    fn word(&mut self, word: String, loc: Loc) -> PResult<Node> {
        self.bump();
        let kind = match word.as_str() {
            "true" => NodeKind::Bool(true),
            "false" => NodeKind::Bool(false),
            "null" => NodeKind::Null,
            "if" => return self.if_expr(loc.start),
            "do" => return self.do_block(loc.start),
            "using" => return self.using(loc.start),
            "not" | "match" if self.at_punct("(") => return self.call(word, loc),
            _ if is_reserved(&word) => {
                self.pos -= 1;
                return Err(self.unexpected("an expression"));
            }
            _ if self.at_punct("(") => return self.call(word, loc),
            _ if self.at_punct("<") && self.skip_call_type_args() => return self.call(word, loc),
            _ => NodeKind::Name(word.as_str().into()),
        };
        Ok(Node::new(kind, loc))
    }

    /// `f<Number>(x)`: type arguments at a call (DataWeave 2.5) are skipped, as flowrun
    /// does not check types; true when they were there, with `(` next.
    #[inline(never)]
    fn skip_call_type_args(&mut self) -> bool {
        let mut depth = 0usize;
        let mut ahead = 0;
        loop {
            match self.peek_at(ahead) {
                Tok::Punct("<") => depth += 1,
                Tok::Punct(">") => depth -= 1,
                Tok::Punct(">>") if depth >= 2 => depth -= 2,
                Tok::Ident(word) if !is_reserved(word) => {}
                Tok::Punct("," | "|" | "&" | "::") => {}
                _ => return false,
            }
            ahead += 1;
            if depth == 0 {
                break;
            }
        }
        if self.peek_at(ahead) != &Tok::Punct("(") {
            return false;
        }
        self.pos += ahead;
        true
    }

    fn call(&mut self, name: String, name_loc: Loc) -> PResult<Node> {
        let args = self.call_args(funcs::takes_functions(&name))?;
        let name = name.strip_prefix("Mule::").or(name.strip_prefix("dw::Core::")).unwrap_or(&name);
        let kind = NodeKind::Call { name: name.into(), name_loc, args };
        Ok(Node::new(kind, self.loc_from(name_loc.start)))
    }

    /// The arguments of a call, from its `(` to its `)`; where `takes_functions`, those after
    /// the first are lambdas when they use `$`.
    fn call_args(&mut self, takes_functions: bool) -> PResult<Vec<Node>> {
        self.bump();
        let mut args = Vec::new();
        while !self.at_punct(")") {
            if !self.starts_expr() {
                return Err(self.unclosed("')' for the function call."));
            }
            let arg = self.expr()?;
            // `map(xs, $ + 1)`: a `$` argument is a lambda only where a function is expected.
            args.push(if takes_functions && !args.is_empty() { implicit_lambda(arg) } else { arg });
            if !self.eat_punct(",") {
                break;
            }
            if self.at_punct(")") {
                return Err(self.missing_here("Missing Parameter Expression"));
            }
        }
        self.expect_punct(")", "for the function call.")?;
        Ok(args)
    }

    fn if_expr(&mut self, start: usize) -> PResult<Node> {
        self.expect_punct("(", "for the if expression.")?;
        if !self.starts_expr() {
            return Err(self.unclosed("')' for the if expression."));
        }
        let cond = self.expr()?;
        self.expect_punct(")", "for the if expression.")?;
        if self.at_closer() {
            return Err(self.missing_here("Missing If Body Expression"));
        }
        let then = self.expr()?;
        if !self.at_word("else") {
            return Err(self.missing_here("Missing Else"));
        }
        self.bump();
        if self.at_closer() {
            return Err(self.missing_here("Missing else Expression"));
        }
        let otherwise = self.expr()?;
        Ok(Node::new(NodeKind::If { cond, then, otherwise }, self.loc_from(start)))
    }

    /// `do { var a = 1  fun f(x) = x  --- body }`.
    fn do_block(&mut self, start: usize) -> PResult<Node> {
        self.expect_punct("{", "for the do block")?;
        if self.at_punct("---") {
            // A block without declarations has no `---` either (`do { 1 }`); DataWeave quotes
            // the `-` that starts it.
            let at = self.peek().start;
            let message = "Invalid input '-', expected '}' for the do block".to_owned();
            return Err(ParseError { message, loc: Loc { start: at, end: at + 1 } });
        }
        if self.at_punct("}") {
            return Err(self.missing_here(MISSING_BODY));
        }
        let mut decls = Vec::new();
        // Types declared in the block are not seen after it.
        let n_types = self.types.len();
        let mut declared = header::Declared::default();
        let has_header = self.tokens[self.pos..].iter().any(|t| t.tok == Tok::Punct("---"))
            || self.at_word("var")
            || self.at_word("fun");
        if has_header {
            loop {
                self.skip_annotations();
                if self.eat_punct("---") {
                    if self.at_punct("}") {
                        return Err(self.missing_here(MISSING_BODY));
                    }
                    break;
                } else if self.at_word("var") || self.at_word("fun") {
                    let is_var = self.at_word("var");
                    let keyword_start = self.bump().start;
                    let decl = if is_var { self.var_decl()? } else { self.fun_decl()? };
                    declared.add(&decl, self.loc_from(keyword_start))?;
                    decls.push(decl);
                } else if self.at_word("type") {
                    self.bump();
                    decls.extend(self.type_decl()?);
                } else if self.at_punct("}") {
                    return Err(self.missing_here(
                        "Missing Do Block Expression ie. do {\n var a = 1 \n --- \n a }",
                    ));
                } else {
                    return Err(self.unexpected("'var', 'fun', 'type' or '---'"));
                }
            }
        }
        if !self.starts_expr() {
            return Err(self.unclosed("'}' for the do block"));
        }
        let body = self.expr()?;
        self.expect_punct("}", "for the do block")?;
        self.types.truncate(n_types);
        Ok(Node::new(NodeKind::Do { decls: decls.into(), body }, self.loc_from(start)))
    }

    /// The legacy `using (a = 1, b = 2) body`.
    fn using(&mut self, start: usize) -> PResult<Node> {
        self.expect_punct("(", "after 'using'")?;
        let mut decls = Vec::new();
        while !self.at_punct(")") {
            decls.push(self.var_decl()?);
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct(")", "to close the 'using' declarations")?;
        let body = self.expr()?;
        Ok(Node::new(NodeKind::Do { decls: decls.into(), body }, self.loc_from(start)))
    }

    /// `{ case ... -> ... else -> ... }` after `match`.
    fn match_cases(&mut self) -> PResult<Vec<Case>> {
        self.expect_punct("{", "after 'match'")?;
        let mut cases = Vec::new();
        while !self.at_punct("}") {
            let pattern = if self.at_word("else") {
                self.bump();
                // `else value -> ...` names the value, as `case value -> ...` does.
                let bind = match &self.peek().tok {
                    Tok::Ident(name) if !is_reserved(name) => Some(self.ident("a name")?),
                    _ => None,
                };
                Pattern::Any { bind }
            } else if self.at_word("case") {
                self.bump();
                self.pattern()?
            } else if self.peek().tok == Tok::Eof {
                return Err(self.unexpected("'}' for the Pattern Matching."));
            } else {
                return Err(self.unexpected("'case', 'else' or '}'"));
            };
            self.expect_punct("->", "after the pattern")?;
            cases.push(Case { pattern, body: self.expr()? });
        }
        self.expect_punct("}", "for the Pattern Matching.")?;
        Ok(cases)
    }

    /// The value of a literal pattern (`case "a"`, `case x: 1`); an array or object there is
    /// no literal to DataWeave, but the start of a deconstruction (`case [head ~ tail]`).
    fn literal_pattern(&mut self) -> PResult<Node> {
        if self.at_punct("[") || self.at_punct("{") {
            return Err(self.unexpected(
                "a literal, a name, 'is', 'matches' or 'if' (flowrun does not support array and \
                 object patterns such as `case [head ~ tail]` yet)",
            ));
        }
        self.unary()
    }

    fn pattern(&mut self) -> PResult<Pattern> {
        if self.at_word("is") {
            self.bump();
            return Ok(Pattern::Is { bind: None, type_name: self.tested_type("is")?.0 });
        }
        if self.at_word("matches") && matches!(self.peek_at(1), Tok::Regex(_)) {
            // Without a name, the match and its groups are `$` in the case's body, as in
            // DataWeave.
            return self.matches_pattern("$".into());
        }
        let bind = match (&self.peek().tok, self.peek_at(1)) {
            (Tok::Ident(name), Tok::Punct(":" | "->") | Tok::Ident(_)) if !is_reserved(name) => {
                Some(self.ident("a name")?)
            }
            _ => None,
        };
        let Some(bind) = bind else {
            return Ok(Pattern::Equals { bind: None, value: self.literal_pattern()? });
        };
        if self.eat_punct(":") {
            return Ok(Pattern::Equals { bind: Some(bind), value: self.literal_pattern()? });
        }
        if self.at_word("is") {
            self.bump();
            return Ok(Pattern::Is { bind: Some(bind), type_name: self.tested_type("is")?.0 });
        }
        if self.at_word("if") {
            self.bump();
            return Ok(Pattern::Guard { bind, cond: self.expr()? });
        }
        if self.at_word("matches") {
            return self.matches_pattern(bind);
        }
        if self.at_punct("->") {
            return Ok(Pattern::Any { bind: Some(bind) });
        }
        Err(self.unexpected("'if', 'is', 'matches', ':' or '->'"))
    }

    /// `matches /re/` in a `case`, binding the match and its groups to `bind`.
    fn matches_pattern(&mut self, bind: Arc<str>) -> PResult<Pattern> {
        self.bump();
        let token = self.peek().clone();
        let Tok::Regex(pattern) = &token.tok else {
            return Err(self.unexpected("a regular expression after 'matches'"));
        };
        self.bump();
        let regex = compile_regex(pattern, Loc { start: token.start, end: token.end })?;
        Ok(Pattern::Matches { bind, regex })
    }

    fn paren(&mut self) -> PResult<Node> {
        let start = self.bump().start;
        if let Some(n_params) = self.lambda_ahead() {
            return self.lambda(start, n_params);
        }
        let inner = self.expr()?;
        self.expect_punct(")", "for the enclosed expression.")?;
        // Errors quote the expression inside the parentheses, as DataWeave's excerpts do; an
        // operator around it quotes the parentheses too (see `operand_start`).
        self.paren_starts.entry((inner.loc.start, inner.loc.end)).or_insert(start);
        Ok(inner)
    }

    /// Where an operator's excerpt starts at its left operand: at the operand, or at the
    /// parentheses around it (`(1) + "a"` is quoted whole), the innermost of several
    /// (`((1)) + "a"` from the second `(`), as DataWeave quotes them. Its end is the last
    /// token read, a closing parenthesis included (`1 + (("a"))`).
    fn operand_start(&self, operand: &Node) -> usize {
        let key = (operand.loc.start, operand.loc.end);
        self.paren_starts.get(&key).copied().unwrap_or(operand.loc.start)
    }

    /// After `(`: the number of parameters if a lambda `(a, b: T, c = 1) ->` follows.
    fn lambda_ahead(&self) -> Option<usize> {
        let mut ahead = 0;
        let mut n_params = 0;
        loop {
            match self.peek_at(ahead) {
                Tok::Punct(")") => break,
                Tok::Ident(name) if !is_reserved(name) => {
                    n_params += 1;
                    ahead += 1;
                    if self.peek_at(ahead) == &Tok::Punct(":") {
                        ahead = self.skip_type_ahead(ahead + 1)?;
                    }
                    if self.peek_at(ahead) == &Tok::Punct("=") {
                        ahead = self.skip_default(ahead + 1)?;
                    }
                    match self.peek_at(ahead) {
                        Tok::Punct(",") => ahead += 1,
                        Tok::Punct(")") => break,
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
        let mut after = ahead + 1;
        if self.peek_at(after) == &Tok::Punct(":") {
            after = self.skip_return_type_ahead(after + 1)?;
        }
        (self.peek_at(after) == &Tok::Punct("->")).then_some(n_params)
    }

    /// Where a lambda's return type (`(a): Array<Number> -> ...`) that starts `ahead` tokens
    /// on ends. Only type names, type arguments, `|` and `&` are taken, so that a pair with
    /// a computed key, `(k): v`, is not read as the start of a lambda.
    fn skip_return_type_ahead(&self, mut ahead: usize) -> Option<usize> {
        let mut depth = 0usize;
        if !matches!(self.peek_at(ahead), Tok::Ident(_)) {
            return None;
        }
        loop {
            match self.peek_at(ahead) {
                Tok::Ident(_) | Tok::Punct("|" | "&") => {}
                Tok::Punct("<") => depth += 1,
                Tok::Punct(">") => depth = depth.checked_sub(1)?,
                Tok::Punct(">>") => depth = depth.checked_sub(2)?,
                Tok::Punct(",") if depth > 0 => {}
                Tok::Punct("->") if depth == 0 => return Some(ahead),
                _ => return None,
            }
            ahead += 1;
        }
    }

    /// Skips a parameter default starting `ahead` tokens on, up to its `,` or `)`.
    fn skip_default(&self, mut ahead: usize) -> Option<usize> {
        let mut depth = 0usize;
        loop {
            match self.peek_at(ahead) {
                Tok::Eof => return None,
                Tok::Punct("(" | "[" | "{") => depth += 1,
                Tok::Punct(")" | "," | "]" | "}") if depth == 0 => return Some(ahead),
                Tok::Punct(")" | "]" | "}") => depth -= 1,
                _ => {}
            }
            ahead += 1;
        }
    }

    fn lambda(&mut self, start: usize, n_params: usize) -> PResult<Node> {
        let mut params = Vec::with_capacity(n_params);
        let mut defaults = Vec::with_capacity(n_params);
        let mut param_types = Vec::with_capacity(n_params);
        let mut param_locs = Vec::with_capacity(n_params);
        for _ in 0..n_params {
            let param_start = self.peek().start;
            params.push(self.ident("a parameter name")?);
            param_types.push(self.skip_type_annotation()?);
            defaults.push(if self.eat_punct("=") { Some(self.expr()?) } else { None });
            param_locs.push(self.loc_from(param_start));
            self.eat_punct(",");
        }
        self.expect_punct(")", "to close the parameters")?;
        header::check_default_places(&defaults, &param_locs)?;
        // A return type is not checked, as for a `fun`.
        self.skip_type_annotation()?;
        self.expect_punct("->", "after the parameters")?;
        if self.at_closer() {
            return Err(self.missing_here("Missing Lambda Expression."));
        }
        let body = self.expr()?;
        let lambda = Lambda { params, defaults, param_types, body, is_fun: false };
        Ok(Node::new(NodeKind::Lambda(Arc::new(lambda)), self.loc_from(start)))
    }

    fn array(&mut self) -> PResult<Node> {
        let start = self.bump().start;
        let mut members = Vec::new();
        while !self.at_punct("]") {
            if !self.starts_expr() {
                return Err(self.unclosed("']' or ',' for the array expression."));
            }
            let item = self.expr()?;
            members.push(self.conditional(Member::Item(item))?);
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct("]", "or ',' for the array expression.")?;
        Ok(Node::new(NodeKind::Array(members), self.loc_from(start)))
    }

    fn conditional(&mut self, member: Member) -> PResult<Member> {
        if !self.at_word("if") {
            return Ok(member);
        }
        self.bump();
        let cond = self.expr()?;
        Ok(Member::Conditional { member: Box::new(member), cond })
    }

    fn object(&mut self) -> PResult<Node> {
        let start = self.bump().start;
        let members = self.members("}")?;
        if !self.at_punct("}") {
            return Err(self.unclosed("`}` or ',' for the object expression."));
        }
        self.bump();
        Ok(Node::new(NodeKind::Object(members), self.loc_from(start)))
    }

    fn members(&mut self, close: &str) -> PResult<Vec<Member>> {
        let mut members = Vec::new();
        while !self.at_punct(close) {
            let member = if self.at_punct("(") { self.paren_member()? } else { self.pair()? };
            members.push(member);
            if !self.eat_punct(",") {
                break;
            }
        }
        Ok(members)
    }

    /// `(k: v)`, `(expr): v` or `(expr)` inside an object, each optionally `if cond`; one
    /// pair only, as DataWeave reads it (`{(a: 1, b: 2)}` is a syntax error there).
    fn paren_member(&mut self) -> PResult<Member> {
        let start = self.bump().start;
        let pair_inside = matches!(self.peek().tok, Tok::Ident(_) | Tok::Str(_))
            && self.peek_at(1) == &Tok::Punct(":");
        let member = if pair_inside {
            let pair = self.pair()?;
            self.expect_punct(")", "for object expression.")?;
            Member::Spread(Node::new(NodeKind::Object(vec![pair]), self.loc_from(start)))
        } else {
            let inner = self.expr()?;
            self.expect_punct(")", "for the enclosed expression.")?;
            if self.eat_punct(":") {
                if self.at_closer() {
                    return Err(
                        self.missing_here("Missing Object Field Expression. e.g {(myVar): 123}")
                    );
                }
                Member::Pair { key: inner, value: self.expr()? }
            } else {
                Member::Spread(inner)
            }
        };
        self.conditional(member)
    }

    fn pair(&mut self) -> PResult<Member> {
        let token = self.peek().clone();
        let loc = Loc { start: token.start, end: token.end };
        let key = match &token.tok {
            Tok::Ident(name) if FIELD_RESERVED.contains(&name.as_str()) => {
                return Err(reserved_field(name, loc));
            }
            Tok::Ident(name) => Node::new(NodeKind::Str(name.as_str().into()), loc),
            Tok::Str(parts) => Node::new(self.string(parts, loc)?, loc),
            _ => return Err(self.unexpected("a key")),
        };
        self.bump();
        self.expect_punct(":", "after the key")?;
        if self.at_closer() {
            return Err(self.missing_here("Missing Object Field Expression. e.g  {a: 123}"));
        }
        let value = self.expr()?;
        Ok(Member::Pair { key, value })
    }
}

fn number_literal(text: &str, loc: Loc) -> PResult<BigDecimal> {
    let number = BigDecimal::from_str(text)
        .map_err(|_| ParseError { message: format!("Invalid number '{text}'"), loc })?;
    if !crate::expr::num::in_range(&number) {
        let max = crate::expr::num::MAX_EXPONENT;
        let message = format!("Invalid number '{text}': flowrun reads exponents up to {max}");
        return Err(ParseError { message, loc });
    }
    Ok(number)
}

/// Compiles a regular expression literal; a bad one is a load error at the literal.
fn compile_regex(pattern: &str, loc: Loc) -> PResult<Arc<crate::expr::java_regex::Regex>> {
    crate::expr::java_regex::compile(pattern).map(Arc::new).map_err(|err| ParseError {
        message: format!("Invalid regular expression /{pattern}/: {err}"),
        loc,
    })
}

/// Wraps an argument that uses `$`, `$$` or `$$$` in a lambda with those parameters.
/// DataWeave's message for a binary operator without its right operand (`1 +`).
fn missing_operand(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "Missing addition expression.",
        BinOp::Sub => "Missing minus expression.",
        // DataWeave names both by the one rule that parses them.
        BinOp::Mul | BinOp::Div => "Missing Division Expression.",
        BinOp::Append | BinOp::Prepend => "Missing Shift Expression.",
        BinOp::And | BinOp::Or => "Missing Boolean Expression",
        _ => "Missing Expression",
    }
}

fn implicit_lambda(node: Node) -> Node {
    if !uses_dollar(&node) {
        return node;
    }
    function_operand(node)
}

/// The replacement after `with`: the body of a lambda unless it names a function.
fn replacement_operand(replacement: Node) -> Node {
    match &*replacement.kind {
        NodeKind::Name(name) if !name.starts_with('$') => replacement,
        _ => function_operand(replacement),
    }
}

/// The right operand of an infix function that takes a function there: a lambda literal as it
/// is, anything else the body of a lambda with parameters `$`, `$$` and `$$$`.
fn function_operand(node: Node) -> Node {
    if matches!(&*node.kind, NodeKind::Lambda(_)) {
        return node;
    }
    let params = vec!["$".into(), "$$".into(), "$$$".into()];
    let loc = node.loc;
    let lambda = Lambda {
        params,
        defaults: vec![None, None, None],
        param_types: Vec::new(),
        body: node,
        is_fun: false,
    };
    Node::new(NodeKind::Lambda(Arc::new(lambda)), loc)
}

/// True when the expression refers to `$`-parameters of its own (not of a nested lambda).
fn uses_dollar(node: &Node) -> bool {
    let any = |nodes: &[Node]| nodes.iter().any(uses_dollar);
    match &*node.kind {
        NodeKind::Name(name) => name.starts_with('$'),
        NodeKind::Null
        | NodeKind::Bool(_)
        | NodeKind::Number(_)
        | NodeKind::Str(_)
        | NodeKind::Temporal(_)
        | NodeKind::Regex(_) => false,
        NodeKind::Lambda(_) => false,
        NodeKind::Interpolated(parts) => any(parts),
        NodeKind::Array(members) | NodeKind::Object(members) => {
            members.iter().any(member_uses_dollar)
        }
        NodeKind::Select { target, selector, .. } => {
            uses_dollar(target) || selector.index_node().is_some_and(uses_dollar)
        }
        NodeKind::Binary { lhs, rhs, .. } => uses_dollar(lhs) || uses_dollar(rhs),
        NodeKind::Neg(inner) | NodeKind::Not(inner) => uses_dollar(inner),
        NodeKind::If { cond, then, otherwise } => {
            any(&[cond.clone(), then.clone(), otherwise.clone()])
        }
        NodeKind::Default { value, fallback } => uses_dollar(value) || uses_dollar(fallback),
        NodeKind::Call { args, .. } => any(args),
        NodeKind::Apply { callee, args } => uses_dollar(callee) || any(args),
        NodeKind::As { value, .. } | NodeKind::Is { value, .. } => uses_dollar(value),
        // Inside `match` cases `$` is the matched value, so only the matched expression
        // counts; a `do` block counts through its body and `var` values.
        NodeKind::Match { value, .. } => uses_dollar(value),
        NodeKind::Do { decls, body } => {
            let in_var =
                |decl: &Decl| matches!(decl, Decl::Var { value, .. } if uses_dollar(value));
            uses_dollar(body) || decls.iter().any(in_var)
        }
    }
}

fn member_uses_dollar(member: &Member) -> bool {
    match member {
        Member::Item(node) | Member::Spread(node) => uses_dollar(node),
        Member::Pair { key, value } => uses_dollar(key) || uses_dollar(value),
        Member::Conditional { member, cond } => member_uses_dollar(member) || uses_dollar(cond),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(src: &str) -> NodeKind {
        *parse_script(src).expect("parses").body.kind
    }

    #[test]
    fn xml_namespace_prefixes_say_they_are_not_supported() {
        for src in ["payload.ns0#r", "{ web#a: 1 }"] {
            let err = parse_script(src).expect_err("namespaces are not supported");
            assert!(
                err.message.contains("does not support XML namespaces"),
                "{src}: {}",
                err.message
            );
        }
        // A `#` that does not follow a name is still just unexpected.
        let err = parse_script("1 # 2").expect_err("not an operator");
        assert!(err.message.starts_with("Invalid input '#', expected"), "{}", err.message);
    }

    #[test]
    fn infix_calls_bind_looser_than_operators() {
        let NodeKind::Call { name, args, .. } = body(r#""a" ++ "b" == "ab""#) else { panic!() };
        assert_eq!(&*name, "++");
        assert!(matches!(&*args[1].kind, NodeKind::Binary { op: BinOp::Eq, .. }));
    }

    #[test]
    fn not_takes_a_whole_or_expression() {
        assert!(matches!(body("not true or true"), NodeKind::Not(_)));
        assert!(matches!(body("!true or true"), NodeKind::Binary { op: BinOp::Or, .. }));
    }

    #[test]
    fn header_output_and_vars() {
        let script =
            parse_script("%dw 2.0\noutput json indent=false\nvar a = 1\n---\na").expect("parses");
        let output = script.output.expect("output");
        assert_eq!(output.mime, "application/json");
        assert_eq!(output.props, [("indent".to_owned(), "false".to_owned())]);
        assert_eq!(script.decls.len(), 1);
    }

    #[test]
    fn dollar_arguments_become_lambdas() {
        let NodeKind::Call { args, .. } = body("[1] map $ + 1") else { panic!() };
        assert!(matches!(&*args[1].kind, NodeKind::Lambda(_)));
    }

    #[test]
    fn deep_nesting_is_a_load_error() {
        // The binary parses on 8 MiB stacks (its main thread and its workers), as this does:
        // the 100 levels allowed take about 0.5 MiB in an optimised build, and over four
        // times that in an unoptimised one, more than a test thread's default 2 MiB.
        let run = std::thread::Builder::new().stack_size(8 << 20).spawn(|| {
            let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
            let err = parse_script(&deep).expect_err("too deep");
            assert!(err.message.contains("levels of nesting"), "{}", err.message);
            let fine = format!("{}1{}", "[".repeat(50), "]".repeat(50));
            assert!(parse_script(&fine).is_ok());
        });
        run.expect("thread starts").join().expect("no stack overflow");
    }

    #[test]
    fn errors_point_at_the_token() {
        let err = parse_script("(1 + ").expect_err("unfinished");
        assert_eq!(err.loc.start, 5);
        assert!(err.message.starts_with("Unexpected end of input"), "{}", err.message);
    }

    #[test]
    fn a_header_without_separator_fails_where_dataweave_stops_reading_it() {
        // Where the body starts, after the name an `output` takes for a property, or at the
        // end when all of it reads as header; as DataWeave places these.
        for (src, message, at) in [
            ("%dw 2.0\noutput application/json\n{a: 1}", "Invalid input '{'", 32),
            ("import * from dw::core::Strings\nupper(\"a\")", "Invalid input 'upper'", 32),
            ("var x = 1\nx + 1", "Invalid input '+'", 12),
            ("%dw 2.0\noutput application/json\npayload", "Missing assignment token (=).", 39),
            (
                "output application/json indent=false\npayload",
                "Invalid input 'p', expected ','",
                37,
            ),
            ("%dw 2.0\nvar x = 1", "Missing Mapping Expression", 17),
        ] {
            let err = parse_script(src).expect_err(src);
            assert!(err.message.starts_with(message), "{src}: {}", err.message);
            assert_eq!(err.loc.start, at, "{src}");
        }
        // A body may read names that start a header elsewhere.
        assert!(parse_script("output").is_err_and(|e| !e.message.contains("---")));
        assert!(parse_script("{'output': 1}.'output'").is_ok());
        // As in DataWeave, a reserved word is no unquoted key or selector name.
        let err = parse_script("{output: 1}").expect_err("reserved key");
        assert!(err.message.starts_with("Invalid field name identifier."), "{}", err.message);
    }
}
