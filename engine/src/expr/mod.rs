//! The expression language: the DataWeave subset that Mule flows are written in.
//!
//! Expressions appear in three forms in a flow file:
//! - an attribute whose whole value is `#[...]`, compiled with [`ValueExpr::compile`];
//! - a text template with embedded `#[...]` parts, such as a logger message ([`Template`]),
//!   or the `value` of `set-payload` and `set-variable` ([`ValueExpr::compile_mixed`]);
//! - a whole script (`ee:transform`), compiled with [`Expr::compile`].
//!
//! Everything is compiled when the app loads, so a syntax error is a load error with its
//! location, and evaluated per event against a [`Scope`]. Evaluation does no I/O.
//!
//! Compiling runs the lexer, the parser and name resolution once; [`Expr::eval`] walks the
//! tree, reading JSON or text inputs when the script first refers to them, and writes the
//! result as the script's `output` directive asks (a native value when there is none).
//! `DESIGN.md` beside this file lists the supported language and where it differs from
//! DataWeave.
//!
//! ```
//! use flowrun_engine::diag::Span;
//! use flowrun_engine::event::{Event, Message};
//! use flowrun_engine::expr::{Expr, Scope, Template, to_text};
//! use flowrun_engine::props::NoProperties;
//! use flowrun_engine::value::{MediaType, TypedValue, Value};
//!
//! let body = r#"{"data": {"data": {"openai_key": "sk-1"}}}"#;
//! let payload = TypedValue::new(Value::Binary(body.into()), MediaType::json());
//! let event = Event::new(Message::of(payload));
//! let scope = Scope::of(&event, &NoProperties);
//!
//! let key = Expr::compile("payload.data.data.openai_key", Span::default()).expect("compiles");
//! assert_eq!(to_text(&key.eval(&scope).expect("evaluates")), "sk-1");
//!
//! let body = Expr::compile(r#"output json --- {value: payload.data.data.openai_key}"#, Span::default())
//!     .expect("compiles");
//! assert_eq!(to_text(&body.eval(&scope).expect("evaluates")), "{\n  \"value\": \"sk-1\"\n}");
//!
//! let message = Template::compile("key=#[payload.data.data.openai_key]", Span::default()).expect("compiles");
//! assert_eq!(message.render(&scope).expect("renders"), "key=sk-1");
//! ```

mod arity;
mod arrays;
mod ast;
mod coerce;
#[cfg(test)]
mod corpus;
mod eval;
mod funcs;
mod inflection;
mod java_regex;
mod json;
mod lex;
mod modules;
mod num;
mod number_format;
mod parse;
mod period;
mod range;
mod readers;
mod resolve;
mod time;
mod time_pattern;
mod utf16;
mod writers;
mod zone;

use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use crate::diag::{Diagnostic, Span};
use crate::event::{Event, MuleError, Vars};
use crate::expr::ast::{Loc, NodeKind, Output, Script, Selector};
use crate::expr::parse::ParseError;
use crate::props::PropertyLookup;
use crate::value::{MediaType, TypedValue, Value};

/// The `tracing` target of DataWeave's `log` lines, whose message is `prefix - value` (the
/// value in DataWeave notation), or the value alone without a prefix.
pub const LOG_TARGET: &str = "flowrun::dataweave";

/// What an expression can see: the event's parts and the app's properties.
pub struct Scope<'a> {
    /// `payload`.
    pub payload: &'a TypedValue,
    /// `attributes`.
    pub attributes: &'a TypedValue,
    /// `vars`.
    pub vars: &'a Vars,
    /// `error`, inside an error handler.
    pub error: Option<&'a MuleError>,
    /// `correlationId`.
    pub correlation_id: &'a str,
    /// Answers `p('name')`.
    pub properties: &'a dyn PropertyLookup,
    /// Extra inputs visible by name, for scripts compiled with [`Expr::compile_with`] and
    /// [`ScriptOptions::inputs`] (`flowrun dw -i name=file`); empty inside flows.
    pub inputs: &'a [(String, TypedValue)],
    /// `app.name`: the app's name, empty when not known.
    pub app_name: &'a str,
    /// `flow.name`: the name of the flow running, empty when not known.
    pub flow_name: &'a str,
}

impl<'a> Scope<'a> {
    /// The scope of an event.
    pub fn of(event: &'a Event, properties: &'a dyn PropertyLookup) -> Scope<'a> {
        Scope {
            payload: &event.message.payload,
            attributes: &event.message.attributes,
            vars: &event.vars,
            error: event.error.as_deref(),
            correlation_id: &event.correlation_id,
            properties,
            inputs: &[],
            app_name: "",
            flow_name: "",
        }
    }

    /// The same scope, in flow `flow_name` of app `app_name` (`flow.name`, `app.name`).
    #[must_use]
    pub fn in_flow(self, app_name: &'a str, flow_name: &'a str) -> Scope<'a> {
        Scope { app_name, flow_name, ..self }
    }

    /// The scope of a script run outside any flow (`flowrun dw`, tests): `payload` and the
    /// named `inputs` only, no attributes, variables, error or properties.
    pub fn standalone(payload: &'a TypedValue, inputs: &'a [(String, TypedValue)]) -> Scope<'a> {
        static EMPTY: OnceLock<(TypedValue, Vars)> = OnceLock::new();
        let (null, vars) = EMPTY.get_or_init(|| (TypedValue::null(), Vars::new()));
        Scope {
            payload,
            attributes: null,
            vars,
            error: None,
            correlation_id: "",
            properties: &crate::props::NoProperties,
            inputs,
            app_name: "",
            flow_name: "",
        }
    }
}

/// How a script is compiled outside a flow (by `flowrun dw`): what [`Expr::compile`] does
/// for flows is `ScriptOptions::default()`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScriptOptions<'a> {
    /// Names of extra inputs the script may refer to; their values come from
    /// [`Scope::inputs`], read like `payload` (JSON parsed, text as a String).
    pub inputs: &'a [&'a str],
    /// The `output` to use when the script declares none (`"application/json"`); `None`
    /// gives a native value, as in Mule.
    pub default_output: Option<&'a str>,
    /// Outside Mule, as in MuleSoft's DataWeave CLI: `payload`, `attributes`, `vars` and the
    /// other Mule names, and Mule's `p`, are unknown names unless they are `inputs`; and a
    /// compile error's message is DataWeave's as it prints it (capital, period and all), not
    /// reworded as flowrun's diagnostics are.
    pub standalone: bool,
}

/// A failed evaluation, with DataWeave's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    /// The message as DataWeave words it.
    pub message: String,
}

/// A compiled expression or script.
///
/// Compiling parses the text and checks its names once; [`Expr::eval`] then only walks the
/// tree, so evaluating per event does not re-read the script.
#[derive(Clone, Debug)]
pub struct Expr {
    source: Arc<str>,
    script: Arc<Script>,
    output: OutputFormat,
    charset: Charset,
    passthrough: Option<Input>,
}

/// The charset written output is encoded in: UTF-8 unless the `output` directive names
/// another with `encoding` (`output application/json encoding="ISO-8859-1"`).
#[derive(Clone, Debug)]
struct Charset {
    /// Java's name for the charset, which the result's media type carries.
    name: Option<String>,
    encoding: &'static encoding_rs::Encoding,
    /// For ISO-8859-1 and US-ASCII, which `encoding_rs` reads as windows-1252: the first
    /// code point they cannot hold (written `?`, as Java writes it).
    byte_limit: Option<u32>,
}

impl Charset {
    fn of(output: Option<&Output>) -> Result<Charset, ParseError> {
        let utf8 = Charset { name: None, encoding: encoding_rs::UTF_8, byte_limit: None };
        let Some(output) = output else { return Ok(utf8) };
        let Some((_, name)) = output.props.iter().find(|(prop, _)| prop == "encoding") else {
            return Ok(utf8);
        };
        let encoding = encoding_rs::Encoding::for_label(name.as_bytes()).ok_or_else(|| {
            ParseError { message: format!("Charset {name} is not supported"), loc: output.loc }
        })?;
        // Java's canonical names, which the media type carries (`latin1` is `ISO-8859-1`).
        let lower = name.trim().to_ascii_lowercase();
        let (canonical, byte_limit) = match lower.as_str() {
            "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "iso8859_1" | "8859_1" | "latin1"
            | "l1" | "cp819" | "ibm819" | "iso-ir-100" | "csisolatin1" => {
                ("ISO-8859-1", Some(0x100))
            }
            "us-ascii" | "ascii" | "iso646-us" | "us" | "cp367" | "ibm367" | "csascii"
            | "ansi_x3.4-1968" | "ansi_x3.4-1986" | "iso-ir-6" | "646" => ("US-ASCII", Some(0x80)),
            "utf-16" | "utf16" => ("UTF-16", None),
            _ => (encoding.name(), None),
        };
        Ok(Charset { name: Some(canonical.to_owned()), encoding, byte_limit })
    }

    /// The media type's `charset` parameter.
    fn label(&self) -> &str {
        self.name.as_deref().unwrap_or("UTF-8")
    }

    /// `text` in this charset; a character it cannot hold becomes `?`, as in Java.
    fn encode(&self, text: String) -> Bytes {
        let encoding = self.encoding;
        if encoding == encoding_rs::UTF_8 {
            return Bytes::from(text);
        }
        if let Some(limit) = self.byte_limit {
            let byte = |c: char| u8::try_from(c as u32).ok().filter(|_| (c as u32) < limit);
            return text.chars().map(|c| byte(c).unwrap_or(b'?')).collect();
        }
        if encoding == encoding_rs::UTF_16BE || encoding == encoding_rs::UTF_16LE {
            // Java's `UTF-16` writes big-endian after a byte-order mark.
            let plain_utf16 = self.label().eq_ignore_ascii_case("UTF-16");
            let big_endian = plain_utf16 || encoding == encoding_rs::UTF_16BE;
            let mut out = Vec::with_capacity(text.len() * 2 + 2);
            if plain_utf16 {
                out.extend_from_slice(&[0xFE, 0xFF]);
            }
            for unit in text.encode_utf16() {
                let bytes = if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() };
                out.extend_from_slice(&bytes);
            }
            return Bytes::from(out);
        }
        let mut encoder = encoding.new_encoder();
        let mut out = Vec::with_capacity(text.len() + 16);
        let mut rest = text.as_str();
        loop {
            let (result, read) =
                encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
            rest = &rest[read..];
            match result {
                encoding_rs::EncoderResult::InputEmpty => break,
                encoding_rs::EncoderResult::Unmappable(_) => out.push(b'?'),
                encoding_rs::EncoderResult::OutputFull => out.reserve(rest.len() + 16),
            }
        }
        Bytes::from(out)
    }
}

/// An input that a script only hands on (`#[payload]`, `#[vars.x]`).
///
/// Such a script returns the input as it is, media type and all, as Mule does: a JSON body
/// stays the same bytes (nothing is parsed), so logging or forwarding it is cheap and exact.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Input {
    Payload,
    Attributes,
    Var(Arc<str>),
}

/// What an expression's result is written as.
#[derive(Clone, Debug, PartialEq, Eq)]
enum OutputFormat {
    /// No `output` directive, or `application/java`: a native value.
    Native,
    /// `application/json`, pretty-printed unless `indent=false`.
    Json {
        /// The writer properties.
        options: json::WriterOptions,
        /// The media type as declared (`application/json`, `application/problem+json`...).
        media_type: MediaType,
    },
    /// `text/plain`.
    Text,
    /// `application/csv`.
    Csv(writers::CsvOptions),
    /// `application/x-www-form-urlencoded`.
    UrlEncoded,
    /// `application/dw`, with the text each level is indented by.
    Dw { indent: String },
}

impl Expr {
    /// Compiles DataWeave source. `span` is where `source` starts in its file, so that syntax
    /// errors point into the flow file.
    ///
    /// # Errors
    ///
    /// A syntax error, an unknown name or an unsupported `output` format, located at the
    /// offending characters.
    pub fn compile(source: &str, span: Span) -> Result<Expr, Diagnostic> {
        Expr::compile_with(source, span, ScriptOptions::default())
    }

    /// Compiles DataWeave source as [`Expr::compile`] does, with extra input names and a
    /// default `output`.
    ///
    /// # Errors
    ///
    /// As [`Expr::compile`]; an unknown `default_output` is reported at the start of `span`.
    pub fn compile_with(
        source: &str,
        span: Span,
        options: ScriptOptions<'_>,
    ) -> Result<Expr, Diagnostic> {
        let to_diagnostic = |err: ParseError| {
            // Diagnostics read like the rest of flowrun's: lowercase, no trailing period.
            let message = if options.standalone {
                err.message
            } else {
                lowercase_first(err.message.trim_end_matches('.'))
            };
            Diagnostic::error(span.sub(err.loc.start, err.loc.end), message)
        };
        let script = parse::parse_script(source).map_err(to_diagnostic)?;
        resolve::check(&script, options.inputs, !options.standalone).map_err(to_diagnostic)?;
        let default_output = options.default_output.map(|mime| ast::Output {
            mime: mime.to_owned(),
            declared: None,
            props: Vec::new(),
            loc: Loc { start: 0, end: 0 },
            mime_loc: Loc { start: 0, end: 0 },
        });
        let declared = script.output.as_ref().or(default_output.as_ref());
        let mut output = output_format(declared).map_err(to_diagnostic)?;
        let charset = Charset::of(declared).map_err(to_diagnostic)?;
        if let OutputFormat::Json { media_type, .. } = &mut output {
            *media_type = media_type.clone().with_charset(charset.label());
        }
        let passthrough = passthrough(&script, &output);
        Ok(Expr { source: source.into(), script: Arc::new(script), output, charset, passthrough })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates the expression against an event.
    ///
    /// # Errors
    ///
    /// DataWeave's message for the failure, with the script excerpt and trace it prints.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<TypedValue, EvalError> {
        match &self.passthrough {
            Some(Input::Payload) => return Ok(scope.payload.clone()),
            Some(Input::Attributes) => return Ok(scope.attributes.clone()),
            Some(Input::Var(name)) => {
                let var = scope.vars.get(&**name).cloned();
                return Ok(var.unwrap_or_else(|| TypedValue::java(Value::Null)));
            }
            None => {}
        }
        let value = eval::run(&self.script, scope).map_err(|fail| self.render(fail))?;
        match &self.output {
            OutputFormat::Native => match without_keys(value) {
                Ok(value) => Ok(TypedValue::java(value)),
                Err(fail) => Err(self.render(fail.or_at(self.script.body.loc))),
            },
            OutputFormat::Json { options, media_type } => {
                let text = json::write_limited(&value, *options, MAX_OUTPUT)
                    .map_err(|fail| self.render(fail.or_at(self.script.body.loc)))?;
                let bytes = self.charset.encode(text);
                Ok(TypedValue::new(Value::Binary(bytes), media_type.clone()))
            }
            OutputFormat::Text => self.written(&value, writers::text(&value), MediaType::text()),
            // These write a function inside the value as DataWeave does: not at all.
            OutputFormat::Csv(_) | OutputFormat::UrlEncoded
                if let Some(function) = eval::find_function(&value) =>
            {
                Err(self.render(eval::unwritable_function(function)))
            }
            OutputFormat::Csv(options) => {
                let media_type = MediaType::new("application", "csv");
                self.written(&value, writers::csv(&value, options), media_type)
            }
            OutputFormat::Dw { indent } => {
                let written = writers::dw_indented(&value, indent);
                self.written(&value, written, MediaType::new("application", "dw"))
            }
            OutputFormat::UrlEncoded => {
                let media_type = MediaType::new("application", "x-www-form-urlencoded");
                self.written(&value, writers::urlencoded(&value), media_type)
            }
        }
    }

    /// DataWeave's rendering of a failure: the message, then the script line with the
    /// failing part underlined, then the trace.
    fn render(&self, fail: eval::Fail) -> EvalError {
        if let eval::Place::TraceOnly(Some(loc)) = fail.place {
            let trace = self.trace(loc, &fail);
            return EvalError { message: format!("{}\n{trace}", fail.message) };
        }
        let eval::Place::At(loc) = fail.place else { return EvalError { message: fail.message } };
        let (_, _, excerpt) = excerpt(&self.source, loc);
        let trace = self.trace(loc, &fail);
        EvalError { message: format!("{}\n\n{excerpt}\n{trace}", fail.message) }
    }

    /// The `Trace:` of a failure at `loc`: the function it happened in, then each call it
    /// came out of, named by the function that made it (`main` for the script's body); at
    /// most 15 lines, as DataWeave prints.
    fn trace(&self, loc: ast::Loc, fail: &eval::Fail) -> String {
        let calls = fail.calls.as_deref().map_or(&[][..], Vec::as_slice);
        let name_of = |idx: usize| calls.get(idx).map_or("main", |(name, _)| &**name);
        let (line, column) = line_column(&self.source, loc);
        let mut trace = format!("Trace:\n  at {} (line: {line}, column: {column})", name_of(0));
        for (idx, (_, call)) in calls.iter().enumerate().take(14) {
            let (line, column) = line_column(&self.source, *call);
            trace
                .push_str(&format!("\n  at {} (line: {line}, column: {column})", name_of(idx + 1)));
        }
        trace
    }

    /// A writer's text as the result, or its failure worded as DataWeave words it: the
    /// message, where the writer was at, and the excerpt with its trace; or, for a value
    /// inside `value` that it cannot write, that value's coercion failure, placed where the
    /// script wrote the value.
    fn written(
        &self,
        value: &Value,
        text: Result<String, writers::WriteError>,
        media_type: MediaType,
    ) -> Result<TypedValue, EvalError> {
        let err = match text {
            Ok(text) => {
                let media_type = media_type.with_charset(self.charset.label());
                return Ok(TypedValue::new(Value::Binary(self.charset.encode(text)), media_type));
            }
            Err(err) => err,
        };
        // DataWeave knows no place for a null (`at main (Unknown)`), and quotes nothing for
        // a value that came from an input.
        let unknown = "\nTrace:\n  at main (Unknown)";
        let is_null = |path: &[usize]| matches!(value_at(value, path), Some(Value::Null));
        if let Some(path) = &err.value_at {
            let message = match self.value_origin(path) {
                _ if is_null(path) => format!("{}{unknown}", err.message),
                Origin::Script(loc) => self.render(eval::Fail::at(loc, err.message)).message,
                Origin::Input => err.message,
            };
            return Err(EvalError { message });
        }
        if is_null(&[]) {
            let message = format!("{}, while writing {}.{unknown}", err.message, err.writer);
            return Err(EvalError { message });
        }
        let loc = match self.value_origin(&[]) {
            Origin::Script(loc) => loc,
            // A value of an input is not quoted: DataWeave names the input when the body is
            // nothing but its name, and nothing else.
            // A built-in function named as the body is no input.
            Origin::Input if matches!(&*self.script.body.kind, NodeKind::Name(name) if funcs::is_builtin(name)) => {
                self.script.body.loc
            }
            Origin::Input => {
                let message = match &*self.script.body.kind {
                    NodeKind::Name(name) => {
                        format!("{}, while writing {} at {name}.", err.message, err.writer)
                    }
                    _ => format!("{}, while writing {}.", err.message, err.writer),
                };
                return Err(EvalError { message });
            }
        };
        let (line, column, excerpt) = excerpt(&self.source, loc);
        let trace = format!("\n\n{excerpt}\nTrace:\n  at main (line: {line}, column: {column})");
        let first = if err.excerpt_first { trace.as_str() } else { "" };
        let message =
            format!("{}{first}, while writing {} at \n{excerpt}.{trace}", err.message, err.writer);
        Err(EvalError { message })
    }
}

/// Where the script wrote a value of its result (see [`Expr::value_origin`]).
enum Origin {
    /// The expression that gave it.
    Script(Loc),
    /// It came from an input, which DataWeave does not quote.
    Input,
}

impl Expr {
    /// Where the script wrote the value at `path` (array indexes and object pair positions)
    /// inside its result. DataWeave remembers where each value was made; flowrun follows
    /// the path through the array and object literals of the body and the header `var`s
    /// they name, and otherwise gives the expression that the path leads into
    /// (`[{a: {b: 1}}]` gives `{b: 1}`; `payload map f` gives the whole `map`).
    fn value_origin(&self, mut path: &[usize]) -> Origin {
        let mut node = &self.script.body;
        // A `var` may name another; the bound stops a cycle the resolver let through.
        for _ in 0..64 {
            let next = match &*node.kind {
                NodeKind::Name(name) => match self.header_var(name) {
                    Some(value) => value,
                    None => return Origin::Input,
                },
                NodeKind::Select { .. } => {
                    // `payload.items` is part of an input; a selection from anything else is
                    // quoted whole.
                    let mut root = node;
                    while let NodeKind::Select { target, .. } = &*root.kind {
                        root = target;
                    }
                    return match &*root.kind {
                        NodeKind::Name(name) if self.header_var(name).is_none() => Origin::Input,
                        _ => Origin::Script(node.loc),
                    };
                }
                NodeKind::Array(members) | NodeKind::Object(members) if !path.is_empty() => {
                    let plain = members.iter().all(|member| {
                        matches!(member, ast::Member::Item(_) | ast::Member::Pair { .. })
                    });
                    let member = if plain { members.get(path[0]) } else { None };
                    match member {
                        Some(ast::Member::Item(value) | ast::Member::Pair { value, .. }) => {
                            path = &path[1..];
                            value
                        }
                        _ => return Origin::Script(node.loc),
                    }
                }
                _ => return Origin::Script(node.loc),
            };
            node = next;
        }
        Origin::Script(node.loc)
    }

    /// The value of the header `var` named `name`.
    fn header_var(&self, name: &str) -> Option<&ast::Node> {
        self.script.decls.iter().find_map(|decl| match decl {
            ast::Decl::Var { name: var, value } if **var == *name => Some(value),
            _ => None,
        })
    }
}

/// The value at `path` (array indexes and object pair positions) inside `value`.
fn value_at<'a>(value: &'a Value, path: &[usize]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, &idx| match value {
        Value::Array(items) => items.get(idx),
        Value::Object(pairs) => pairs.get(idx).map(|(_, value)| value),
        _ => None,
    })
}

/// The 1-based line and column of `loc.start`, and the excerpt `N| line` with `^` markers.
fn excerpt(source: &str, loc: Loc) -> (usize, usize, String) {
    let start = loc.start.min(source.len());
    let line_start = source[..start].rfind('\n').map_or(0, |idx| idx + 1);
    let line_end = source[start..].find('\n').map_or(source.len(), |idx| start + idx);
    let (line, column) = line_column(source, loc);
    let end = loc.end.clamp(start, line_end);
    // A script with Windows line ends shows its lines without their `\r`.
    let n_carets = source[start..end].trim_end_matches('\r').encode_utf16().count().max(1);
    let prefix = format!("{line}| ");
    let pad = " ".repeat(prefix.len() + column - 1);
    let shown = source[line_start..line_end].trim_end_matches('\r');
    let text = format!("{prefix}{shown}\n{pad}{}", "^".repeat(n_carets));
    (line, column, text)
}

/// The line and column where `loc` starts, as DataWeave counts them: columns in UTF-16
/// units (an emoji is two).
fn line_column(source: &str, loc: Loc) -> (usize, usize) {
    let start = loc.start.min(source.len());
    let line_start = source[..start].rfind('\n').map_or(0, |idx| idx + 1);
    let line = source[..start].matches('\n').count() + 1;
    (line, source[line_start..start].encode_utf16().count() + 1)
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The input a script returns unchanged, if it is nothing but `payload`, `attributes` or
/// `vars.name` and asks for no particular output.
fn passthrough(script: &Script, output: &OutputFormat) -> Option<Input> {
    if *output != OutputFormat::Native || !script.decls.is_empty() || !script.inputs.is_empty() {
        return None;
    }
    match &*script.body.kind {
        NodeKind::Name(name) if &**name == "payload" => Some(Input::Payload),
        NodeKind::Name(name) if &**name == "attributes" => Some(Input::Attributes),
        NodeKind::Select { target, selector: Selector::Key(key), .. } => match &*target.kind {
            NodeKind::Name(name) if &**name == "vars" => Some(Input::Var(key.clone())),
            _ => None,
        },
        _ => None,
    }
}

/// The writer an `output` directive selects; formats flowrun cannot write are load errors.
fn output_format(output: Option<&Output>) -> Result<OutputFormat, ParseError> {
    let Some(output) = output else { return Ok(OutputFormat::Native) };
    let unsupported = || unsupported_output(output);
    let media_type = MediaType::parse(&output.mime).ok_or_else(unsupported)?;
    if media_type.is_java() {
        return Ok(OutputFormat::Native);
    }
    if media_type.is_json() {
        let options = json::WriterOptions::from_props(&output.props);
        // The result carries the media type declared before `with`, as Mule labels it.
        let declared = output.declared.as_deref().and_then(MediaType::parse);
        let media_type = declared.unwrap_or(media_type);
        return Ok(OutputFormat::Json { options, media_type: media_type.with_charset("UTF-8") });
    }
    if media_type.is_text() && &*media_type.sub == "plain" {
        return Ok(OutputFormat::Text);
    }
    match media_type.essence().as_str() {
        "application/csv" | "text/csv" => {
            return Ok(OutputFormat::Csv(writers::CsvOptions::from_props(&output.props)));
        }
        "application/x-www-form-urlencoded" => return Ok(OutputFormat::UrlEncoded),
        "application/dw" => {
            let indent = output.props.iter().rev().find(|(name, _)| name == "indent");
            let indent = indent.map_or(writers::DW_INDENT, |(_, text)| text.as_str());
            return Ok(OutputFormat::Dw { indent: indent.to_owned() });
        }
        _ => {}
    }
    Err(unsupported())
}

/// The error for an `output` flowrun cannot write. A format DataWeave has but flowrun lacks
/// (XML) says so; any other (`application/yaml`, which the reference engine does not have
/// either) gets DataWeave's message, listing what flowrun writes.
fn unsupported_output(output: &ast::Output) -> ParseError {
    const WRITTEN: &str = "`application/dw`, `application/json`, `application/java`, \
        `application/csv`, `text/plain`, `application/x-www-form-urlencoded`";
    const DATAWEAVE_ONLY: &[&str] = &[
        "application/xml",
        "text/xml",
        "application/octet-stream",
        "multipart/form-data",
        "text/x-java-properties",
    ];
    let mime = output.mime.as_str();
    let essence = MediaType::parse(mime).map(|media_type| media_type.essence());
    let message = match essence {
        Some(essence) if DATAWEAVE_ONLY.contains(&essence.as_str()) => {
            format!("flowrun cannot write output `{mime}` yet; it writes {WRITTEN}")
        }
        Some(_) => {
            format!("Unknown content type `{mime}`. Supported content types are: {WRITTEN}")
        }
        None if !mime.contains('/') => {
            let ids = "`csv`, `dw`, `java`, `json`, `text`, `urlencoded`";
            let message =
                format!("Unknown data format `{mime}`. Supported data formats are: {ids}");
            return ParseError { message, loc: output.loc };
        }
        None => format!("Unknown content type `{mime}`. Supported content types are: {WRITTEN}"),
    };
    ParseError { message, loc: output.mime_loc }
}

/// An attribute value: either literal text or a `#[...]` expression.
#[derive(Clone, Debug)]
pub enum ValueExpr {
    /// Plain text, used as a String.
    Literal(Arc<str>),
    /// An expression.
    Expr(Expr),
    /// Text with embedded expressions, whose result is a String (see
    /// [`ValueExpr::compile_mixed`]).
    Template(Template),
}

impl ValueExpr {
    /// Compiles an attribute value: `#[...]` (after trimming) is an expression, anything else
    /// is literal text.
    ///
    /// # Errors
    ///
    /// An expression that does not compile, or a value that opens with `#[` and never closes
    /// it (surely a mistake, rather than text).
    pub fn compile(text: &str, span: Span) -> Result<ValueExpr, Diagnostic> {
        let trimmed = text.trim();
        match trimmed.strip_prefix("#[").map(|rest| rest.strip_suffix(']')) {
            Some(Some(inner)) => {
                let offset = text.find("#[").unwrap_or(0) + 2;
                Ok(ValueExpr::Expr(Expr::compile(inner, span.sub(offset, offset + inner.len()))?))
            }
            Some(None) => Err(unclosed(text, span)),
            None => Ok(ValueExpr::Literal(text.into())),
        }
    }

    /// Compiles the value of an attribute that Mule reads as literal text, one expression or
    /// a template, as its `set-payload` and `set-variable` do: a value that is one `#[...]`
    /// is an expression, text holding `#[...]` parts is a template (`Hello #[payload.name]!`,
    /// a String), other text is literal. Mule trims such a value; so does flowrun, except
    /// for literal text.
    ///
    /// # Errors
    ///
    /// An expression that does not compile, or a `#[` never closed (which Mule would take as
    /// literal text, but is surely a mistake).
    pub fn compile_mixed(text: &str, span: Span) -> Result<ValueExpr, Diagnostic> {
        if !text.contains("#[") {
            return Ok(ValueExpr::Literal(text.into()));
        }
        let lead = text.len() - text.trim_start().len();
        let template = Template::compile(text.trim(), span.sub(lead, text.len()))?;
        match template.parts.as_slice() {
            [TemplatePart::Expr(expr)] => Ok(ValueExpr::Expr(expr.clone())),
            _ => Ok(ValueExpr::Template(template)),
        }
    }

    /// The expression as written (without `#[...]`), the template, or the literal text.
    pub fn source(&self) -> &str {
        match self {
            ValueExpr::Literal(text) => text,
            ValueExpr::Expr(expr) => expr.source(),
            ValueExpr::Template(template) => template.source(),
        }
    }

    /// Evaluates the value; a literal or a template is a String.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<TypedValue, EvalError> {
        match self {
            ValueExpr::Literal(text) => Ok(TypedValue::java(Value::String(text.clone()))),
            ValueExpr::Expr(expr) => expr.eval(scope),
            ValueExpr::Template(template) => {
                Ok(TypedValue::java(Value::string(template.render(scope)?)))
            }
        }
    }
}

/// The error for a `#[` in `text` (which starts at `span`) that no `]` closes.
pub fn unclosed(text: &str, span: Span) -> Diagnostic {
    let open = text.find("#[").unwrap_or(0);
    Diagnostic::error(span.sub(open, open + 2), "unclosed `#[`: a `]` is missing")
}

/// Text with embedded `#[...]` expressions, such as a logger message.
#[derive(Clone, Debug)]
pub struct Template {
    parts: Vec<TemplatePart>,
    source: Arc<str>,
}

#[derive(Clone, Debug)]
enum TemplatePart {
    Text(Arc<str>),
    Expr(Expr),
}

impl Template {
    /// Compiles a template: text with any number of embedded `#[...]` expressions. Brackets
    /// and string literals inside an expression are skipped when looking for its `]`.
    ///
    /// # Errors
    ///
    /// An unclosed `#[` or an expression that does not compile.
    pub fn compile(text: &str, span: Span) -> Result<Template, Diagnostic> {
        let mut parts = Vec::new();
        let mut rest_start = 0;
        while let Some(found) = text[rest_start..].find("#[") {
            let open = rest_start + found;
            if open > rest_start {
                parts.push(TemplatePart::Text(text[rest_start..open].into()));
            }
            let Some(len) = lex::matching_close(&text[open + 1..], '[', ']') else {
                return Err(Diagnostic::error(
                    span.sub(open, open + 2),
                    "unclosed `#[`: a `]` is missing",
                ));
            };
            let inner_start = open + 2;
            let inner_end = open + len;
            let inner = &text[inner_start..inner_end];
            parts.push(TemplatePart::Expr(Expr::compile(inner, span.sub(inner_start, inner_end))?));
            rest_start = inner_end + 1;
        }
        if rest_start < text.len() || parts.is_empty() {
            parts.push(TemplatePart::Text(text[rest_start..].into()));
        }
        Ok(Template { parts, source: text.into() })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates every embedded expression and joins the parts into one string.
    ///
    /// # Errors
    ///
    /// The first embedded expression that fails.
    pub fn render(&self, scope: &Scope<'_>) -> Result<String, EvalError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(text) => out.push_str(text),
                TemplatePart::Expr(expr) => out.push_str(&to_text(&expr.eval(scope)?)),
            }
        }
        Ok(out)
    }
}

/// Reads a value the way a script reads an input: JSON text is parsed, text bytes become a
/// String, anything else is taken as it is.
///
/// # Errors
///
/// The JSON reader's message, or an unknown charset.
pub fn read_value(input: &TypedValue) -> Result<Value, EvalError> {
    eval::read_input(input, "payload").map_err(|fail| EvalError { message: fail.message })
}

/// Whether `name` is one of DataWeave's reserved words (`if`, `match`, `true`...), which
/// no script can use as a name.
pub fn is_reserved_word(name: &str) -> bool {
    parse::is_reserved(name)
}

/// DataWeave's name for a value's type, such as `String` or `Object`.
pub fn type_name(value: &Value) -> &'static str {
    eval::type_name(value)
}

/// The longest JSON text a script's result is written as: a value built by doubling
/// (`[acc, acc]`, a hundred times) is small in memory and vast as text, and fails here with
/// a message instead of exhausting memory. Far above any body flowrun reads or sends.
const MAX_OUTPUT: usize = 1 << 30;

/// The value with its Keys and Types made Strings and its Ranges Arrays, as DataWeave's Java
/// writer gives them: they exist only inside a script (`keysOf(payload)` stored in a
/// variable is a list of Strings, `typeOf(payload)` the String of the type's name).
///
/// A function fails as it fails to be written as JSON: it never leaves the script, as the
/// flow could do nothing with it.
fn without_keys(value: Value) -> Result<Value, eval::Fail> {
    /// Whether a Key, Type or function is inside, or `None` once more than `budget` values
    /// have been looked at: containers are shared, so a value built by doubling
    /// (`[acc, acc]`, a hundred times) has few distinct parts but exponentially many paths,
    /// and a walk along all of them would never end.
    fn has_keys(value: &Value, budget: &mut usize) -> Option<bool> {
        *budget = budget.checked_sub(1)?;
        match value {
            Value::Key(_) | Value::Type(_) | Value::Range(_) | Value::Function(_) => Some(true),
            Value::Array(items) => {
                for item in items.iter() {
                    if has_keys(item, budget)? {
                        return Some(true);
                    }
                }
                Some(false)
            }
            Value::Object(pairs) => {
                for (_, v) in pairs.iter() {
                    if has_keys(v, budget)? {
                        return Some(true);
                    }
                }
                Some(false)
            }
            _ => Some(false),
        }
    }
    fn strip(value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::Key(text) | Value::Type(text) => Value::String(text.clone()),
            Value::Range(r) => range::to_array(r)?,
            Value::Array(items) => {
                Value::Array(Arc::new(items.iter().map(strip).collect::<Result<_, _>>()?))
            }
            Value::Object(pairs) => Value::Object(Arc::new(
                pairs
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), strip(v)?)))
                    .collect::<Result<_, String>>()?,
            )),
            other => other.clone(),
        })
    }
    let mut budget = modules::MAX_ITEMS;
    match has_keys(&value, &mut budget) {
        Some(false) => return Ok(value),
        Some(true) => {}
        None => {
            let message = format!(
                "flowrun hands on values of at most {} elements and pairs",
                modules::MAX_ITEMS
            );
            return Err(eval::Fail::unplaced(message));
        }
    }
    if let Some(function) = eval::find_function(&value) {
        return Err(eval::unwritable_function(function));
    }
    strip(&value).map_err(eval::Fail::unplaced)
}

/// Converts a value to the text a logger prints: strings as they are, numbers in plain
/// decimal, written JSON or text as its text, objects and arrays as JSON.
pub fn to_text(value: &TypedValue) -> String {
    match &value.value {
        Value::String(s) | Value::Key(s) | Value::Type(s) => s.to_string(),
        // An unknown charset reads as UTF-8 here; expressions that read the value report it.
        Value::Binary(bytes) => match value.media_type.decode_text(bytes) {
            Ok(text) => text.into_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        },
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => num::to_dw_string(n),
        Value::Temporal(t) => time::to_written(t),
        Value::Period(p) => period::to_iso(p),
        Value::TimeZone(offset) => zone::to_text(*offset),
        Value::Function(function) => eval::function_notation(function),
        structured @ (Value::Array(_) | Value::Range(_) | Value::Object(_)) => {
            json::write(structured, true)
        }
    }
}

/// Serialises a value for the wire (an HTTP body), with the media type to announce: bytes
/// as they are, strings as UTF-8 text, other native values as JSON.
///
/// # Errors
///
/// Never today; kept fallible for writers that can fail (such as XML).
pub fn to_bytes(value: &TypedValue) -> Result<(Bytes, MediaType), EvalError> {
    let text_type = || {
        if value.media_type.is_java() || value.media_type.is_any() {
            MediaType::text().with_charset("UTF-8")
        } else {
            value.media_type.clone()
        }
    };
    match &value.value {
        Value::Binary(bytes) => Ok((bytes.clone(), value.media_type.clone())),
        Value::String(s) | Value::Key(s) | Value::Type(s) => {
            Ok((Bytes::from(s.to_string()), text_type()))
        }
        Value::Null => Ok((Bytes::new(), value.media_type.clone())),
        other => {
            let text = json::write(other, true);
            Ok((Bytes::from(text), MediaType::json().with_charset("UTF-8")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::FileId;
    use crate::event::{ErrorType, Message};

    struct OneProperty;

    impl PropertyLookup for OneProperty {
        fn property(&self, key: &str) -> Option<String> {
            (key == "http.port").then(|| "8081".to_owned())
        }
    }

    fn event(payload: &str) -> Event {
        let media_type = MediaType::json().with_charset("UTF-8");
        let payload = TypedValue::new(Value::Binary(Bytes::from(payload.to_owned())), media_type);
        let mut event = Event::with_correlation_id(Message::of(payload), "corr-42".into());
        event.vars.insert("id".into(), TypedValue::java(Value::string("7")));
        event
    }

    fn eval_in(source: &str, event: &Event) -> Result<TypedValue, EvalError> {
        let expr = Expr::compile(source, Span::new(FileId(0), 100, 100 + source.len()))
            .map_err(|diag| EvalError { message: diag.message })?;
        expr.eval(&Scope::of(event, &OneProperty))
    }

    fn text(source: &str) -> String {
        to_text(&eval_in(source, &event(r#"{"a": {"b": [1, 2]}}"#)).expect("evaluates"))
    }

    #[test]
    fn compiled_expressions_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Expr>();
        shareable::<ValueExpr>();
        shareable::<Template>();
    }

    #[test]
    fn output_is_written_in_the_encoding_the_directive_names() {
        let event = event("{}");
        let written = |source: &str| eval_in(source, &event).expect("evaluates");
        let latin = written("output application/json encoding=\"ISO-8859-1\" --- {a: \"\u{e9}\"}");
        assert_eq!(latin.value, Value::Binary(Bytes::from_static(b"{\n  \"a\": \"\xe9\"\n}")));
        assert_eq!(latin.media_type.to_string(), "application/json; charset=ISO-8859-1");
        // Java's `UTF-16`: a byte-order mark, then big-endian units.
        let utf16 = written("output text/plain encoding=\"UTF-16\" --- \"\u{e9}\"");
        assert_eq!(utf16.value, Value::Binary(Bytes::from_static(&[0xFE, 0xFF, 0x00, 0xE9])));
        assert_eq!(utf16.media_type.to_string(), "text/plain; charset=UTF-16");
        // Characters the charset lacks become `?`.
        let latin = written("output text/plain encoding=\"ISO-8859-1\" --- \"a\u{3a9}\"");
        assert_eq!(latin.value, Value::Binary(Bytes::from_static(b"a?")));
        // ISO-8859-1 and US-ASCII as Java writes them (not windows-1252, which holds `€`),
        // named as Java names them.
        let latin = written("output text/plain encoding=\"latin1\" --- \"\u{e9}\u{20ac}\u{fc}\"");
        assert_eq!(latin.value, Value::Binary(Bytes::from_static(b"\xe9?\xfc")));
        assert_eq!(latin.media_type.to_string(), "text/plain; charset=ISO-8859-1");
        let ascii =
            written("output text/plain encoding=\"ascii\" --- \"\u{e9}\u{20ac}\u{fc}\u{1f600}\"");
        assert_eq!(ascii.value, Value::Binary(Bytes::from_static(b"????")));
        assert_eq!(ascii.media_type.to_string(), "text/plain; charset=US-ASCII");
        let err = eval_in("output application/json encoding=\"nope\" --- 1", &event)
            .expect_err("unknown charset");
        assert_eq!(err.message, "charset nope is not supported");
    }

    #[test]
    fn mule_bindings() {
        assert_eq!(text("correlationId"), "corr-42");
        assert_eq!(text("vars.id ++ '/' ++ p('http.port')"), "7/8081");
        assert_eq!(text("Mule::p('missing') default 'none'"), "none");
        assert_eq!(text("error default 'no error'"), "no error");
        assert_eq!(text("sizeOf(vars)"), "1");
        assert_eq!(text("message.payload.a.b[-1]"), "2");
    }

    #[test]
    fn native_results_give_keys_as_strings() {
        let event = event(r#"{"a": {"b": [1, 2]}}"#);
        let keys = eval_in("{n: [keysOf(payload)[0]], k: keysOf(payload)[0] == 'a'}", &event);
        let expected =
            Value::object([("n", Value::array([Value::string("a")])), ("k", Value::Bool(false))]);
        assert_eq!(keys, Ok(TypedValue::java(expected)));
    }

    #[test]
    fn error_binding_inside_handlers() {
        let mut event = event("{}");
        let error = MuleError::new(ErrorType::new("HTTP", "NOT_FOUND"), "not there");
        event.error = Some(Arc::new(error));
        let result = eval_in("error.errorType.identifier ++ ': ' ++ error.description", &event);
        assert_eq!(to_text(&result.expect("evaluates")), "NOT_FOUND: not there");
    }

    #[test]
    fn bare_inputs_pass_through_unread() {
        let event = event("{not json");
        let payload = eval_in("payload", &event).expect("not parsed");
        assert_eq!(payload, event.message.payload);
        assert_eq!(eval_in("vars.id", &event), Ok(event.vars["id"].clone()));
        assert_eq!(eval_in("vars.nope", &event), Ok(TypedValue::java(Value::Null)));
        assert!(eval_in("payload.a", &event).is_err());
    }

    #[test]
    fn native_and_written_results() {
        let native = eval_in("payload.a", &event(r#"{"a": 1.50}"#)).expect("evaluates");
        assert_eq!(native, TypedValue::java(Value::Number("1.50".parse().expect("number"))));
        let java = eval_in("output application/java --- [1]", &event("{}")).expect("evaluates");
        assert!(java.media_type.is_java());
        let json = eval_in("output json indent=false --- {a: payload.a}", &event(r#"{"a": 1}"#));
        let json = json.expect("evaluates");
        assert_eq!(json.media_type.to_string(), "application/json; charset=UTF-8");
        assert_eq!(json.value, Value::Binary(Bytes::from_static(br#"{"a": 1}"#)));
    }

    #[test]
    fn named_inputs_and_a_default_output() {
        let options = ScriptOptions {
            inputs: &["user"],
            default_output: Some("application/json"),
            standalone: false,
        };
        let expr = Expr::compile_with("{n: user.name, t: tag}", Span::default(), options);
        assert_eq!(
            expr.expect_err("`tag` is not an input").message,
            "unable to resolve reference of: `tag`"
        );
        let expr =
            Expr::compile_with("{n: user.name}", Span::default(), options).expect("compiles");
        let user = TypedValue::new(
            Value::Binary(Bytes::from_static(br#"{"name": "ann"}"#)),
            MediaType::json(),
        );
        let inputs = [("user".to_owned(), user)];
        let event = event("{}");
        let scope = Scope { inputs: &inputs, ..Scope::of(&event, &OneProperty) };
        let result = expr.eval(&scope).expect("evaluates");
        assert_eq!(to_text(&result), "{\n  \"n\": \"ann\"\n}");
        assert!(result.media_type.is_json());
        // The script's own `output` wins over the default; without inputs the name is unknown.
        let text = Expr::compile_with("output text/plain --- user.name", Span::default(), options);
        assert_eq!(to_text(&text.expect("compiles").eval(&scope).expect("evaluates")), "ann");
        assert!(Expr::compile("user.name", Span::default()).is_err());
    }

    #[test]
    fn syntax_errors_point_into_the_file() {
        let diag = Expr::compile("payload.a ++ (1 + ", Span::new(FileId(0), 100, 118))
            .expect_err("unfinished");
        assert_eq!(diag.span.map(|s| s.start), Some(118));
        assert!(diag.message.starts_with("unexpected end of input"), "{}", diag.message);
        let diag =
            Expr::compile("vars.x ++ nope", Span::new(FileId(0), 10, 24)).expect_err("unknown");
        assert_eq!(diag.span.map(|s| (s.start, s.end)), Some((20, 24)));
        assert_eq!(diag.message, "unable to resolve reference of: `nope`");
    }

    #[test]
    fn attribute_values_are_literal_text_or_one_expression() {
        let span = Span::new(FileId(0), 20, 40);
        let event = event(r#"{"a": 5}"#);
        let scope = Scope::of(&event, &OneProperty);
        let literal = ValueExpr::compile("\"abc\"", span).expect("compiles");
        assert_eq!(literal.eval(&scope), Ok(TypedValue::java(Value::string("\"abc\""))));
        let expr = ValueExpr::compile("  #[payload.a + 1] ", span).expect("compiles");
        let result = expr.eval(&scope).expect("evaluates");
        assert_eq!(to_text(&result), "6");
        let diag = ValueExpr::compile(" #[payload.a +] ", span).expect_err("bad expression");
        assert_eq!(diag.span.map(|s| s.start), Some(20 + 14), "the `]` after the operator");
    }

    #[test]
    fn scripts_too_deep_or_too_long_are_load_errors_not_crashes() {
        // The binary compiles on 8 MiB stacks (its main thread and its workers); so does this.
        std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(deep_scripts)
            .expect("spawn")
            .join()
            .expect("no panic");
    }

    fn deep_scripts() {
        let chain = vec!["1"; 3000].join(" + ");
        let diag = Expr::compile(&chain, Span::default()).expect_err("too deep");
        assert!(diag.message.contains("nests more than 400 operations"), "{}", diag.message);
        let chain = vec!["1"; 30_000].join("+");
        let diag = Expr::compile(&chain, Span::default()).expect_err("too long");
        assert!(diag.message.contains("at most 20000 operations"), "{}", diag.message);
        let nots = "!".repeat(5000) + "true";
        let diag = Expr::compile(&nots, Span::default()).expect_err("too nested");
        assert!(diag.message.contains("levels of nesting"), "{}", diag.message);
        let sum = vec!["1"; 300].join(" + ");
        assert!(Expr::compile(&sum, Span::default()).is_ok());
    }

    #[test]
    fn huge_exponents_are_refused_where_numbers_are_read() {
        let diag = Expr::compile("1e999999999 + 1", Span::default()).expect_err("huge literal");
        assert!(diag.message.contains("exponents up to 10000"), "{}", diag.message);
        let payload =
            TypedValue::new(Value::Binary(r#"{"n": 1e999999999}"#.into()), MediaType::json());
        let expr = Expr::compile("payload.n + 1", Span::default()).expect("compiles");
        let err = expr.eval(&Scope::standalone(&payload, &[])).expect_err("huge input");
        assert!(err.message.contains("exponent beyond 10000"), "{}", err.message);
        assert!(Expr::compile("1e300 * 2", Span::default()).is_ok());
    }

    #[test]
    fn values_that_keep_doubling_stop_at_the_size_limits() {
        let cases = [
            (
                r#"(1 to 100) reduce (i, acc = "x") -> acc ++ acc"#,
                "strings of at most 67108864 bytes",
            ),
            (
                "(1 to 100) reduce (i, acc = [1]) -> acc ++ acc",
                "arrays of at most 10000000 elements",
            ),
            (
                "(1 to 100) reduce (i, acc = {a: 1}) -> acc ++ acc",
                "objects of at most 10000000 pairs",
            ),
            ("(1 to 100) reduce (i, acc = {a: 1}) -> {(acc), (acc)}", "objects of at most"),
            (r#"(1 to 100) reduce (i, acc = "x") -> "$(acc)$(acc)""#, "strings of at most"),
            (r#"(1 to 100) reduce (i, acc = "x") -> [acc, acc] joinBy ''"#, "strings of at most"),
            (
                r#"(1 to 100) reduce (i, acc = "xy") -> acc replace /./ with acc"#,
                "strings of at most",
            ),
            (
                r#"write((1 to 100) reduce (i, acc = [1]) -> [acc, acc], "application/json")"#,
                "texts of at most 67108864 bytes",
            ),
        ];
        let payload = TypedValue::null();
        let native_and_output = [(
            "(1 to 100) reduce (i, acc = [1]) -> [acc, acc]",
            "values of at most 10000000 elements and pairs",
        )];
        for (script, expected) in cases.into_iter().chain(native_and_output) {
            let expr = Expr::compile(script, Span::default()).expect("compiles");
            let err = expr.eval(&Scope::standalone(&payload, &[])).expect_err(script);
            assert!(err.message.contains(expected), "{script}: {}", err.message);
        }
    }

    #[test]
    fn unsupported_output_is_a_load_error() {
        let diag =
            Expr::compile("output application/xml --- {}", Span::default()).expect_err("xml");
        assert!(diag.message.contains("cannot write output `application/xml`"), "{}", diag.message);
    }

    #[test]
    fn templates_embed_expressions() {
        let span = Span::new(FileId(0), 50, 90);
        let template = Template::compile("id=#[payload.a.b[0]] s=#['x]' ++ \"]\"] end", span)
            .expect("compiles");
        let event = event(r#"{"a": {"b": [3]}}"#);
        assert_eq!(
            template.render(&Scope::of(&event, &OneProperty)).expect("renders"),
            "id=3 s=x]] end"
        );
        let diag = Template::compile("a #[payload", span).expect_err("unclosed");
        assert_eq!(diag.span.map(|s| s.start), Some(52));
        let diag = Template::compile("ok #[1 +] x", span).expect_err("bad expression");
        assert_eq!(diag.span.map(|s| s.start), Some(58));
    }

    #[test]
    fn text_for_logging() {
        assert_eq!(text("1.50"), "1.5");
        assert_eq!(text("true"), "true");
        assert_eq!(text("null"), "null");
        assert_eq!(text("{a: [1]}"), "{\n  \"a\": [\n    1\n  ]\n}");
        assert_eq!(text("output json --- 'x'"), "\"x\"");
    }

    #[test]
    fn bytes_for_the_wire() {
        let (bytes, media_type) = to_bytes(&TypedValue::java(Value::string("hi"))).expect("writes");
        assert_eq!(
            (&bytes[..], media_type.to_string().as_str()),
            (&b"hi"[..], "text/plain; charset=UTF-8")
        );
        let object = TypedValue::java(Value::object([("a", Value::Bool(true))]));
        let (bytes, media_type) = to_bytes(&object).expect("writes");
        assert_eq!(&bytes[..], b"{\n  \"a\": true\n}");
        assert!(media_type.is_json());
        let raw = TypedValue::new(Value::Binary(Bytes::from_static(b"\x01")), MediaType::any());
        assert_eq!(to_bytes(&raw).expect("writes").0, Bytes::from_static(b"\x01"));
    }
}
