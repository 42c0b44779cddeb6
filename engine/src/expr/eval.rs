//! The evaluator: walks a parsed [`Script`] against one event's [`Scope`].
//!
//! This is the last stage of the pipeline (lex → parse → eval). Inputs that arrive as bytes
//! (`Value::Binary` with a JSON or text media type) are read when the script first refers
//! to them, once per evaluation. Failures are [`Fail`]s: DataWeave's message plus the
//! place in the script, which [`crate::expr`] turns into the excerpt DataWeave prints.

use std::cmp::Ordering;
use std::sync::Arc;

use bigdecimal::{BigDecimal, ToPrimitive};

use crate::expr::Scope;
use crate::expr::ast::{
    BinOp, Case, Decl, Decls, InputDirective, Lambda, Loc, Member, Node, NodeKind, Pattern, Script,
    Selector,
};
use crate::expr::{
    arity, coerce, funcs, json, num, period, range, readers, resolve, time, utf16, writers, zone,
};
use crate::value::{Function, MediaType, TypedValue, Value};

/// A failed evaluation before it is rendered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Fail {
    /// DataWeave's message.
    pub(crate) message: String,
    /// Which part of the script the rendered message quotes.
    pub(crate) place: Place,
    /// Raised by the function argument of a lazy function (`map`, `filter`...) whose result
    /// went on unread: DataWeave would only raise it when the value is written, after any
    /// `default` around it has returned (see [`Fail::caught_by_default`]).
    pub(crate) deferred: bool,
    /// The calls of named functions the failure came out of, innermost first: each
    /// function's name and where it was called. DataWeave's trace lists them
    /// (`at f (line: 3, column: 12)`, then `at main` where `f` was called).
    #[allow(
        clippy::box_collection,
        reason = "one word in every `EResult` instead of three, for a field rarely set"
    )]
    pub(crate) calls: Option<Box<Vec<Call>>>,
}

/// A call of a named function: its name, and where it was made.
pub(crate) type Call = (Arc<str>, Loc);

/// Where a failure happened, as far as its message should show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Not known yet: the caller that knows the failing expression fills it in.
    Unknown,
    /// A message DataWeave prints without a script excerpt (reader errors, which quote the
    /// input instead; an input read by the script gets a trace of where, see
    /// [`Fail::read_at`]).
    NoExcerpt,
    /// A message DataWeave prints with its trace but without an excerpt (failures of the
    /// readers and writers that `read` and `write` call); the caller fills in the place.
    TraceOnly(Option<Loc>),
    /// The script range to quote.
    At(Loc),
}

impl Fail {
    /// A failure quoting `loc`.
    pub(crate) fn at(loc: Loc, message: impl Into<String>) -> Fail {
        Fail { message: message.into(), place: Place::At(loc), deferred: false, calls: None }
    }

    /// A failure whose place the caller adds with [`Fail::or_at`].
    pub(crate) fn unplaced(message: impl Into<String>) -> Fail {
        Fail { message: message.into(), place: Place::Unknown, deferred: false, calls: None }
    }

    /// A failure printed without an excerpt.
    pub(crate) fn plain(message: impl Into<String>) -> Fail {
        Fail { message: message.into(), place: Place::NoExcerpt, deferred: false, calls: None }
    }

    /// A failure printed with the trace of the call that failed, but no excerpt.
    pub(crate) fn traced(message: impl Into<String>) -> Fail {
        Fail {
            message: message.into(),
            place: Place::TraceOnly(None),
            deferred: false,
            calls: None,
        }
    }

    /// Gives a failure whose place is unknown the place `loc`.
    pub(crate) fn or_at(self, loc: Loc) -> Fail {
        match self.place {
            Place::Unknown => Fail { place: Place::At(loc), ..self },
            Place::TraceOnly(None) => Fail { place: Place::TraceOnly(Some(loc)), ..self },
            _ => self,
        }
    }

    /// A reader failure of an input (its message quotes the input, not the script), traced
    /// to `loc`, where the script reads the input. DataWeave prints no trace there; flowrun
    /// says where the script read it too.
    fn read_at(self, loc: Loc) -> Fail {
        match self.place {
            Place::NoExcerpt => Fail { place: Place::TraceOnly(Some(loc)), ..self },
            _ => self,
        }
    }

    /// The failure as it leaves a call of the function `name` made at `loc`: a placed
    /// failure notes the call for its trace.
    pub(crate) fn through(mut self, name: &str, loc: Loc) -> Fail {
        if matches!(self.place, Place::At(_) | Place::TraceOnly(Some(_))) {
            let calls = self.calls.get_or_insert_with(Box::default);
            if calls.len() < MAX_CALL_DEPTH {
                calls.push((Arc::from(name), loc));
            }
        }
        self
    }

    /// Marks a failure of a lazy function's argument function (see [`Fail::deferred`]).
    pub(crate) fn deferred(self) -> Fail {
        Fail { deferred: true, ..self }
    }

    /// The failure as seen by an operation that reads the value that failed: DataWeave
    /// raises it there, not later.
    fn forced(self) -> Fail {
        Fail { deferred: false, ..self }
    }

    /// Whether `a default b` gives `b` when `a` fails this way. DataWeave's `default`
    /// absorbs two kinds of failure (checked against the reference engine):
    /// - failed coercions, `Cannot coerce ...`: `"abc" as Number`, `"x" > 1`, `1 and true`,
    ///   a key or interpolated part that is not text, `sum(["a"])`;
    /// - a function, operator or selector called with a `null` argument that none of its
    ///   signatures takes: `payload.missing + 1`, `null ++ "x"`, `abs(null)`, `[1][null]`.
    ///
    /// Everything else goes through: the same call errors without a null argument
    /// (`"x" + 1`), `Types ... can not be compared`, invalid `if` conditions, unmatched
    /// `match`, `!` on an absent key, division by zero, formatted number parsing
    /// (`Unable to coerce ...`), and failures of the function given to a lazy function
    /// whose result the left side returns unread ([`Fail::deferred`]).
    pub(crate) fn caught_by_default(&self) -> bool {
        if self.deferred {
            return false;
        }
        let message = self.message.as_str();
        if message.starts_with("Cannot coerce ") {
            return true;
        }
        // The arguments are listed one a line, `  2: Null (null)`.
        message.starts_with("You called the function ")
            && message.lines().any(|line| {
                line.trim_start()
                    .split_once(": ")
                    .is_some_and(|(n, arg)| n.parse::<usize>().is_ok() && arg == "Null (null)")
            })
    }
}

/// Result of evaluating part of a script.
pub(crate) type EResult<T> = Result<T, Fail>;

/// A name bound while evaluating, or an argument as a function receives it: a value, or
/// a function (a lambda, a `$` expression or a named `fun`).
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    /// A value.
    Value(Value),
    /// A function (lambda, `$` expression or named `fun`).
    Fun(Closure),
    /// A regular expression literal.
    Regex(Arc<crate::expr::java_regex::Regex>),
}

/// What a selector finds: a value (a present null too), or nothing (an absent key, an index
/// out of range), named by the key for the message of a later `!`.
#[derive(Clone, Debug)]
enum Found {
    /// A value.
    Value(Value),
    /// Nothing, looking for this key or index; a later `!` quotes this place.
    Nothing(Missing, Loc),
}

/// What a selector that found nothing was looking for.
#[derive(Clone, Debug)]
enum Missing {
    /// A key.
    Key(Arc<str>),
    /// Anything else, with the message a `!` gives for it.
    Other(Arc<str>),
}

impl From<&str> for Missing {
    fn from(key: &str) -> Missing {
        Missing::Key(key.into())
    }
}

impl Missing {
    /// What a `!` after the selector reports.
    fn message(&self) -> String {
        match self {
            Missing::Key(key) => format!("There is no key named '{key}'"),
            Missing::Other(message) => message.to_string(),
        }
    }
}

/// DataWeave's message for an index that a `!` requires and `len` items do not reach.
fn out_of_bounds(index: impl std::fmt::Display, last: impl std::fmt::Display) -> Missing {
    Missing::Other(
        format!("Index {index} is out of bounds. Boundary is defined as [0 to {last}].").into(),
    )
}

impl Found {
    /// Nothing found is placed at `loc`, the selector that found nothing.
    fn at(self, loc: Loc) -> Found {
        match self {
            Found::Nothing(key, _) => Found::Nothing(key, loc),
            value => value,
        }
    }
}

/// A function with the names it sees: those visible where it was defined.
///
/// Most functions never outlive the scope that defines them (a lambda handed to `map`, a
/// `fun` called by name), so they see their names where they are, on the locals stack
/// ([`Env::Stack`]), and making one copies nothing. A function that becomes a value
/// (stored in an array, returned, written where a value is read) captures the names it sees
/// first ([`Eval::capture`]), so that it can be called after its scope has ended.
#[derive(Clone, Debug)]
pub(crate) struct Closure {
    lambda: Arc<Lambda>,
    env: Env,
}

/// Where a function finds the names it was defined with.
#[derive(Clone, Debug)]
enum Env {
    /// On the locals stack: the first `len` bindings, as seen from inside the innermost of
    /// the first `frames` calls (that call's own names down to its start, then the names its
    /// function was defined with, and so on outwards). Valid while those calls run.
    Stack { len: u32, frames: u32 },
    /// Captured: the first `len` bindings of the captured names, then their parent's.
    Captured(Arc<Captured>, u32),
    /// Only inside [`Captured::bindings`]: the first `len` bindings of the same captured
    /// names. A `fun` sees itself, so a captured `fun` refers to the names it is captured
    /// with; naming them by position rather than by `Arc` keeps them free of cycles.
    Sibling(u32),
    /// A built-in or module function named where a function is expected (see
    /// [`named_function`]): it sees only its own parameters.
    Builtin,
}

/// The names a function captured when it became a value, outermost first.
#[derive(Debug)]
struct Captured {
    bindings: Vec<(Arc<str>, Arg)>,
    /// The captured names of the function whose call defined these, and how many of them
    /// were visible.
    parent: Option<(Arc<Captured>, u32)>,
}

/// A binding found by [`Eval::local`], with the captured names it was found in.
#[derive(Clone, Copy)]
struct Bound<'a> {
    arg: &'a Arg,
    owner: Option<&'a Arc<Captured>>,
}

impl Bound<'_> {
    /// The binding as an argument that can be passed on.
    fn to_arg(self) -> Arg {
        match self.arg {
            Arg::Fun(closure) => Arg::Fun(closure.found_in(self.owner)),
            other => other.clone(),
        }
    }
}

impl Closure {
    /// The closure as found among captured names `owner`: a [`Env::Sibling`] refers to them.
    fn found_in(&self, owner: Option<&Arc<Captured>>) -> Closure {
        match (&self.env, owner) {
            (Env::Sibling(len), Some(owner)) => {
                Closure { env: Env::Captured(owner.clone(), *len), ..self.clone() }
            }
            _ => self.clone(),
        }
    }

    /// Whether the closure was defined outside the innermost of `frames` calls, so that it
    /// does not need that call's names.
    fn outside_call(&self, frames: usize) -> bool {
        match self.env {
            Env::Stack { frames: defined_in, .. } => (defined_in as usize) < frames,
            Env::Captured(..) | Env::Sibling(_) | Env::Builtin => true,
        }
    }

    /// Whether it is a `$` lambda (`map $ + 1`), which takes up to three arguments.
    fn is_implicit(&self) -> bool {
        self.params.first().is_some_and(|param| &**param == "$")
    }

    /// DataWeave's run-time message for a call with `n_args` arguments that the function
    /// does not take.
    fn arity_error(&self, n_args: usize) -> Option<String> {
        let n_required = self.defaults.iter().filter(|d| d.is_none()).count();
        let (min, max) = if self.is_implicit() { (0, 3) } else { (n_required, self.params.len()) };
        let params = || self.params.iter().map(|p| &**p).collect::<Vec<_>>().join(", ");
        if n_args < min {
            Some(format!(
                "Not enough arguments ({n_args}) for function with parameters ({}).",
                params()
            ))
        } else if n_args > max {
            Some(format!(
                "Too many arguments ({n_args}) for function with parameters ({}).",
                params()
            ))
        } else {
            None
        }
    }
}

/// A count of bindings or calls as environments keep it (scripts are far from 4 billion of
/// either).
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A value as an argument: a function value is passed on as the function it holds.
fn value_arg(value: Value) -> Arg {
    match value {
        Value::Function(function) => match closure_of(&function) {
            Some(closure) => Arg::Fun(closure.clone()),
            None => Arg::Value(Value::Function(function)),
        },
        value => Arg::Value(value),
    }
}

/// The closure a function value holds.
pub(crate) fn closure_of(function: &Function) -> Option<&Closure> {
    function.downcast_ref::<Closure>()
}

/// A function value as a closure, or DataWeave's failure for calling anything else.
fn callable(value: &Value) -> Result<Closure, String> {
    match value {
        Value::Function(function) => {
            closure_of(function).cloned().ok_or_else(|| cannot_coerce(value, "Function"))
        }
        other => Err(cannot_coerce(other, "Function")),
    }
}

impl Closure {
    /// The same function with another body, seeing the same names: a part of the body
    /// evaluated on its own.
    pub(crate) fn with_body(&self, body: Node) -> Closure {
        let lambda = Lambda { body, is_fun: false, ..(*self.lambda).clone() };
        Closure { lambda: Arc::new(lambda), env: self.env.clone() }
    }
}

impl std::ops::Deref for Closure {
    type Target = Lambda;

    fn deref(&self) -> &Lambda {
        &self.lambda
    }
}

/// How deep calls of user functions may nest, as in DataWeave.
const MAX_CALL_DEPTH: usize = 256;

/// What a function body gives: a value, or a call in tail position still to be made.
enum Tail {
    Done(Value),
    /// The function, its arguments, and its name and where the call is, for traces.
    Call(Closure, Vec<Arg>, Arc<str>, Loc),
}

/// A call in progress: its names start at `start`; below that it sees `env`, the names its
/// function was defined with.
#[derive(Clone, Debug)]
struct Frame {
    start: usize,
    env: Env,
}

/// Evaluates a whole script to a native value.
pub(crate) fn run(script: &Script, scope: &Scope<'_>) -> EResult<Value> {
    let mut eval = Eval {
        scope,
        locals: Vec::new(),
        frames: Vec::new(),
        payload: None,
        attributes: None,
        declared: &script.inputs,
        imports: !script.imports.is_empty(),
    };
    eval.declare(&script.decls)?;
    eval.eval(&script.body)
}

/// Reads an input the way DataWeave does, by its media type: JSON parsed, CSV read (with
/// the media type's `header` and `separator`), forms (`application/x-www-form-urlencoded`)
/// read as an object, text bytes made a String. Bytes and Strings are read alike (a String
/// labelled `application/json`, as `set-variable mimeType` makes one, is parsed too);
/// anything else is taken as it is.
pub(crate) fn read_input(input: &TypedValue, name: &str) -> EResult<Value> {
    let media_type = &input.media_type;
    let Some(reader) = Reader::of(media_type) else { return Ok(input.value.clone()) };
    let text = match &input.value {
        Value::Binary(bytes) => decode_text(media_type, bytes, name)?,
        Value::String(text) => std::borrow::Cow::Borrowed(&**text),
        other => return Ok(other.clone()),
    };
    match reader {
        Reader::Json => json::read(text.as_bytes(), name).map_err(Fail::plain),
        Reader::Csv => {
            Ok(readers::csv(&text, &readers::CsvReadOptions::from_props(&media_type.params)))
        }
        Reader::Form => Ok(readers::urlencoded(&text)),
        Reader::Text => Ok(Value::string(text.as_ref())),
    }
}

/// Reads an input as `declared` says (the media type of its `input` directive), or by its
/// own media type when there is none. A declared type without a `charset` keeps the input's.
fn read_declared(input: &TypedValue, declared: Option<&MediaType>, name: &str) -> EResult<Value> {
    let Some(declared) = declared else { return read_input(input, name) };
    let media_type = match (declared.charset(), input.media_type.charset()) {
        (None, Some(charset)) => declared.clone().with_charset(charset),
        _ => declared.clone(),
    };
    read_input(&TypedValue::new(input.value.clone(), media_type), name)
}

/// The media type the `input` directive for `name` reads it as, if there is one.
fn declared_type<'a>(declared: &'a [InputDirective], name: &str) -> Option<&'a MediaType> {
    declared.iter().find(|input| &*input.name == name).map(|input| &input.media_type)
}

/// The readers inputs are read with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    Json,
    Csv,
    Form,
    Text,
}

impl Reader {
    /// The reader of a media type; `None` for types taken as they are (`application/java`,
    /// `*/*`, binary).
    fn of(media_type: &MediaType) -> Option<Reader> {
        if media_type.is_json() {
            return Some(Reader::Json);
        }
        match (&*media_type.primary, &*media_type.sub) {
            ("application" | "text", "csv") => Some(Reader::Csv),
            ("application", "x-www-form-urlencoded") => Some(Reader::Form),
            ("text", _) => Some(Reader::Text),
            _ => None,
        }
    }
}

/// Whether [`read_input`] would do more than copy the value.
fn needs_reading(input: &TypedValue) -> bool {
    match (&input.value, Reader::of(&input.media_type)) {
        (_, None) | (Value::String(_), Some(Reader::Text)) => false,
        (value, Some(_)) => matches!(value, Value::Binary(_) | Value::String(_)),
    }
}

/// Bytes as text in their media type's charset, or an error naming a charset we cannot read.
fn decode_text<'b>(
    media_type: &MediaType,
    bytes: &'b [u8],
    name: &str,
) -> EResult<std::borrow::Cow<'b, str>> {
    media_type.decode_text(bytes).map_err(|error| {
        Fail::plain(format!("{error} in the media type `{media_type}` of `{name}`"))
    })
}

/// The evaluation state of one run.
pub(crate) struct Eval<'s> {
    scope: &'s Scope<'s>,
    locals: Vec<(Arc<str>, Arg)>,
    frames: Vec<Frame>,
    payload: Option<Value>,
    attributes: Option<Value>,
    /// The script's `input` directives: media types that override the inputs' own.
    declared: &'s [InputDirective],
    /// Whether the script imports a module. Module functions are only reachable through
    /// an `import` (the resolver checks that), so without one a call is never theirs.
    imports: bool,
}

impl Eval<'_> {
    /// Evaluates one expression.
    pub(crate) fn eval(&mut self, node: &Node) -> EResult<Value> {
        match &*node.kind {
            NodeKind::Null => Ok(Value::Null),
            NodeKind::Bool(b) => Ok(Value::Bool(*b)),
            NodeKind::Number(n) => Ok(Value::Number(n.clone())),
            NodeKind::Str(s) => Ok(Value::String(s.clone())),
            NodeKind::Temporal(value) => Ok(value.clone()),
            NodeKind::Regex(_) => Err(Fail::at(
                node.loc,
                "A regular expression can only be passed to a function in this version of flowrun",
            )),
            NodeKind::Interpolated(parts) => self.interpolate(parts),
            NodeKind::Name(name) => self.name(name, node.loc),
            NodeKind::Array(members) => self.array(members),
            NodeKind::Object(members) => self.object(members, node.loc),
            NodeKind::Select { target, selector, chained } => {
                self.select(target, selector, *chained, node.loc)
            }
            NodeKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, node.loc),
            NodeKind::Neg(operand) => {
                let value = self.read(operand)?;
                negate(value).map_err(|message| Fail::at(node.loc, message))
            }
            NodeKind::Not(operand) => {
                let value = self.read(operand)?;
                not(value).map_err(|message| Fail::at(node.loc, message))
            }
            NodeKind::If { cond, then, otherwise } => {
                let branch = if self.condition(cond)? { then } else { otherwise };
                self.eval(branch)
            }
            NodeKind::Default { value, fallback } => self.default(value, fallback),
            NodeKind::Call { name, name_loc, args } => self.call(name, *name_loc, args),
            NodeKind::As { value, type_name, props } => {
                self.coerce(value, type_name, props.as_ref(), node.loc)
            }
            NodeKind::Is { value, type_name } => {
                let value = self.read(value)?;
                is_type(&value, type_name, node.loc)
            }
            NodeKind::Do { decls, body } => self.do_block(decls, body),
            NodeKind::Match { value, cases } => self.match_cases(value, cases),
            NodeKind::Lambda(lambda) => {
                let closure = self.capture(&self.closure(lambda, 0));
                Ok(Value::Function(Function::new(closure)))
            }
            NodeKind::Apply { callee, args } => self.apply_expr(callee, args),
        }
    }

    // The evaluation of nested expressions recurses through `eval` and the helpers below.
    // Each keeps its own stack frame small (work on finished values is done in free
    // functions), so that deep scripts fit in the 2 MiB stacks of async runtime threads.

    /// Evaluates an operand that the operation reads at once, so that a deferred failure
    /// in it surfaces here (see [`Fail::deferred`]).
    fn read(&mut self, node: &Node) -> EResult<Value> {
        self.eval(node).map_err(Fail::forced)
    }

    fn default(&mut self, value: &Node, fallback: &Node) -> EResult<Value> {
        match self.eval(value) {
            Ok(Value::Null) => self.eval(fallback),
            Ok(value) => Ok(value),
            Err(fail) if fail.caught_by_default() => self.eval(fallback),
            Err(fail) => Err(fail),
        }
    }

    fn coerce(
        &mut self,
        value: &Node,
        type_name: &str,
        props: Option<&Node>,
        loc: Loc,
    ) -> EResult<Value> {
        let value_loc = value.loc;
        let value = self.read(value)?;
        let props = match props {
            Some(props) => Some(self.eval(props)?),
            None => None,
        };
        // DataWeave's excerpt of a String that is not a Boolean underlines the String only.
        let string_to_boolean = type_name == "Boolean" && matches!(value, Value::String(_));
        coerce_as(value, type_name, props.as_ref(), if string_to_boolean { value_loc } else { loc })
    }

    fn do_block(&mut self, decls: &Decls, body: &Node) -> EResult<Value> {
        let depth = self.locals.len();
        let result = self.declare(decls).and_then(|()| self.eval(body));
        self.locals.truncate(depth);
        result
    }

    /// The value of an `if` condition, which must be a Boolean.
    /// The value of an `if` condition: a Boolean, or the text `true` or `false` (a literal
    /// string is rejected by DataWeave's type checker, one read from the input is not).
    fn condition(&mut self, cond: &Node) -> EResult<bool> {
        match self.read(cond)? {
            Value::Bool(b) => Ok(b),
            Value::String(s) if &*s == "true" || &*s == "false" => Ok(&*s == "true"),
            other => Err(Fail::at(
                cond.loc,
                format!(
                    "Invalid if condition type. Expecting type `Boolean` but got `{}({})`",
                    type_name(&other),
                    dw_repr(&other)
                ),
            )),
        }
    }

    /// Binds header or `do` declarations, in order.
    fn declare(&mut self, decls: &Decls) -> EResult<()> {
        // Every name is bound before any value is computed, as each declaration sees all the
        // others; a function defined here sees them all. The values come in the order the
        // resolver worked out, each `var` after those it reads, so no placeholder is read.
        let start = self.locals.len();
        self.locals.extend(decls.iter().map(|decl| (decl.name().clone(), Arg::Value(Value::Null))));
        for index in decls.evaluation_order() {
            let bound = match &decls[index] {
                Decl::Var { value, .. } => match &*value.kind {
                    NodeKind::Lambda(lambda) => Arg::Fun(self.closure(lambda, 0)),
                    NodeKind::Name(_) | NodeKind::Regex(_) => self.arg(value)?,
                    NodeKind::As { type_name, props: None, .. } if &**type_name == "Regex" => {
                        self.arg(value)?
                    }
                    NodeKind::Call { name: callee, args, .. }
                        if args.len() == 1 && callee.rsplit("::").next() == Some("toRegex") =>
                    {
                        self.arg(value)?
                    }
                    _ => Arg::Value(self.eval(value)?),
                },
                Decl::Fun { lambda, .. } => Arg::Fun(self.closure(lambda, 0)),
            };
            self.locals[start + index].1 = bound;
        }
        Ok(())
    }

    /// Runs `inner` and then forgets the names it bound.
    fn scoped<T>(&mut self, inner: impl FnOnce(&mut Self) -> EResult<T>) -> EResult<T> {
        let depth = self.locals.len();
        let result = inner(self);
        self.locals.truncate(depth);
        result
    }

    fn match_cases(&mut self, value_node: &Node, cases: &[Case]) -> EResult<Value> {
        let value = self.eval(value_node)?;
        for case in cases {
            let outcome = self.scoped(|eval| {
                eval.locals.push(("$".into(), Arg::Value(value.clone())));
                if !eval.pattern_matches(&case.pattern, &value)? {
                    return Ok(None);
                }
                eval.eval(&case.body).map(Some)
            })?;
            if let Some(result) = outcome {
                return Ok(result);
            }
        }
        let shown = format!("{}({})", type_name(&value), dw_repr(&value));
        let message = format!(
            "None of the match cases matched: `{shown}`.\nTIP: Use `else -> <expression>` to match other cases."
        );
        Err(Fail::at(value_node.loc, message))
    }

    /// Tests one pattern, binding its name; the caller forgets the binding.
    fn pattern_matches(&mut self, pattern: &Pattern, value: &Value) -> EResult<bool> {
        let (bind, matched) = match pattern {
            // A literal case matches as `~=` does (`1 match { case "1" -> ... }`).
            Pattern::Equals { bind, value: expected } => {
                (bind, similar(&self.eval(expected)?, value))
            }
            Pattern::Is { bind, type_name } => {
                let matched = coerce::is_type(value, type_name).map_err(Fail::unplaced)?;
                (bind, matched)
            }
            Pattern::Any { bind } => (bind, true),
            Pattern::Matches { bind, regex } => {
                // A scalar is matched as its text, as DataWeave does (`12`, `true`).
                let scalar_text;
                let text = match value.as_str() {
                    Some(text) => Some(text),
                    None => {
                        scalar_text = coerce_string(value);
                        scalar_text.as_deref()
                    }
                };
                let groups = text.and_then(|text| funcs::full_match(regex, text));
                let Some(groups) = groups else { return Ok(false) };
                self.locals.push((bind.clone(), Arg::Value(groups)));
                return Ok(true);
            }
            Pattern::Guard { bind, cond } => {
                self.locals.push((bind.clone(), Arg::Value(value.clone())));
                return Ok(matches!(self.eval(cond)?, Value::Bool(true)));
            }
        };
        if let Some(bind) = bind {
            self.locals.push((bind.clone(), Arg::Value(value.clone())));
        }
        Ok(matched)
    }

    /// A closure over the names visible now, plus the next `extra` ones.
    fn closure(&self, lambda: &Arc<Lambda>, extra: usize) -> Closure {
        let env =
            Env::Stack { len: count(self.locals.len() + extra), frames: count(self.frames.len()) };
        Closure { lambda: lambda.clone(), env }
    }

    /// Visits the bindings visible now, innermost group first: the current call's names,
    /// then those its function was defined with, and so on outwards (into captured names
    /// where a function value was called). Stops when `visit` returns true.
    fn walk<'a>(
        &'a self,
        mut visit: impl FnMut(&'a [(Arc<str>, Arg)], Option<&'a Arc<Captured>>) -> bool,
    ) {
        let mut len = self.locals.len();
        let mut n_frames = self.frames.len();
        loop {
            let Some(frame) = n_frames.checked_sub(1).and_then(|idx| self.frames.get(idx)) else {
                visit(&self.locals[..len], None);
                return;
            };
            if visit(&self.locals[frame.start.min(len)..len], None) {
                return;
            }
            match &frame.env {
                Env::Stack { len: defined_len, frames } => {
                    len = (*defined_len as usize).min(self.locals.len());
                    n_frames = *frames as usize;
                }
                Env::Captured(captured, captured_len) => {
                    let mut captured = captured;
                    let mut len = *captured_len as usize;
                    loop {
                        let bindings = &captured.bindings[..len.min(captured.bindings.len())];
                        if visit(bindings, Some(captured)) {
                            return;
                        }
                        let Some((parent, parent_len)) = &captured.parent else { return };
                        (captured, len) = (parent, *parent_len as usize);
                    }
                }
                Env::Sibling(_) | Env::Builtin => return,
            }
        }
    }

    /// The innermost visible binding of `name`: the walk of [`Eval::walk`], written out
    /// because every name a script reads goes through it.
    fn local(&self, name: &str) -> Option<Bound<'_>> {
        let mut len = self.locals.len();
        let mut n_frames = self.frames.len();
        while let Some(frame) = n_frames.checked_sub(1).and_then(|idx| self.frames.get(idx)) {
            if let Some(arg) = find_local(&self.locals[frame.start.min(len)..len], name) {
                return Some(Bound { arg, owner: None });
            }
            match &frame.env {
                Env::Stack { len: defined_len, frames } => {
                    len = (*defined_len as usize).min(self.locals.len());
                    n_frames = *frames as usize;
                }
                Env::Captured(..) => return self.local_captured(name),
                Env::Sibling(_) | Env::Builtin => return None,
            }
        }
        find_local(&self.locals[..len], name).map(|arg| Bound { arg, owner: None })
    }

    /// [`Eval::local`] once the walk reaches captured names.
    #[inline(never)]
    fn local_captured(&self, name: &str) -> Option<Bound<'_>> {
        let mut found = None;
        self.walk(|bindings, owner| {
            found = find_local(bindings, name).map(|arg| Bound { arg, owner });
            found.is_some()
        });
        found
    }

    /// A function as a value that may outlive the scope that defined it.
    pub(crate) fn function_value(&self, closure: &Closure) -> Value {
        Value::Function(Function::new(self.capture(closure)))
    }

    /// The closure as a function value: with the names it sees captured, so that it can
    /// be called after the scope that defined it has ended.
    fn capture(&self, closure: &Closure) -> Closure {
        match closure.env {
            Env::Stack { len, frames } => {
                Closure { env: self.capture_env(len as usize, frames as usize), ..closure.clone() }
            }
            Env::Captured(..) | Env::Sibling(_) | Env::Builtin => closure.clone(),
        }
    }

    /// Copies the bindings visible from `Env::Stack { len, frames }`, outermost first. The
    /// functions among them are captured too: one defined among these same bindings (a
    /// `fun`, which sees itself) as an [`Env::Sibling`], any other by its own capture.
    fn capture_env(&self, len: usize, frames: usize) -> Env {
        // The stack ranges the walk visits, innermost first, with the frame count that
        // identifies each.
        let mut ranges: Vec<(usize, usize, usize)> = Vec::new();
        let mut parent = None;
        let (mut len, mut n_frames) = (len.min(self.locals.len()), frames);
        loop {
            let Some(frame) = n_frames.checked_sub(1).and_then(|idx| self.frames.get(idx)) else {
                ranges.push((0, len, 0));
                break;
            };
            ranges.push((frame.start.min(len), len, n_frames));
            match &frame.env {
                Env::Stack { len: defined_len, frames } => {
                    len = (*defined_len as usize).min(self.locals.len());
                    n_frames = *frames as usize;
                }
                Env::Captured(captured, captured_len) => {
                    parent = Some((captured.clone(), *captured_len));
                    break;
                }
                Env::Sibling(_) | Env::Builtin => break,
            }
        }
        ranges.reverse();
        let mut offsets = Vec::with_capacity(ranges.len());
        let mut total = 0;
        for (start, end, _) in &ranges {
            offsets.push(total);
            total += end - start;
        }
        let mut bindings = Vec::with_capacity(total);
        for &(start, end, _) in &ranges {
            for (name, arg) in &self.locals[start..end] {
                let arg = match arg {
                    Arg::Fun(closure) => {
                        let sibling = match closure.env {
                            Env::Stack { len: at, frames } => {
                                let (at, frames) = (at as usize, frames as usize);
                                ranges.iter().zip(&offsets).find_map(|(range, offset)| {
                                    let (start, end, n_frames) = *range;
                                    (n_frames == frames && (start..=end).contains(&at))
                                        .then(|| count(offset + at - start))
                                })
                            }
                            _ => None,
                        };
                        Arg::Fun(match sibling {
                            Some(len) => Closure { env: Env::Sibling(len), ..closure.clone() },
                            None => self.capture(closure),
                        })
                    }
                    other => other.clone(),
                };
                bindings.push((name.clone(), arg));
            }
        }
        Env::Captured(Arc::new(Captured { bindings, parent }), count(total))
    }

    /// The function a call of `name` with `args` runs. Functions declared with the same
    /// name overload it by arity and by declared parameter types (`fun f(a: String)` and
    /// `fun f(a: Number)`): the first declared whose parameters fit the arguments; else the
    /// first declared whose parameters take them once coerced, as DataWeave does (`"12"`
    /// for a `Number`); when only the arity fits, the first declared of those (whose
    /// coercion then fails), or DataWeave's message listing every overload when there are
    /// several; else the innermost of them all.
    fn overload(&self, name: &str, args: &[Arg]) -> Result<Option<Closure>, String> {
        let Some(Bound { arg: Arg::Fun(innermost), owner }) = self.local(name) else {
            return Ok(None);
        };
        let innermost = innermost.found_in(owner);
        let fits_arity = |closure: &Closure| {
            let n_required = closure.defaults.iter().filter(|d| d.is_none()).count();
            (n_required..=closure.params.len()).contains(&args.len())
        };
        let fits_types = |closure: &Closure| {
            let param_types = &closure.param_types[closure.n_head_defaults(args.len())..];
            param_types.iter().zip(args).all(|(param_type, arg)| match (param_type, arg) {
                (Some(type_name), Arg::Value(value)) => {
                    coerce::is_type(value, type_name).unwrap_or(true)
                }
                _ => true,
            })
        };
        // Every visible function of that name, innermost first.
        let mut all: Vec<Closure> = Vec::new();
        self.walk(|bindings, owner| {
            for (n, arg) in bindings.iter().rev() {
                if let (true, Arg::Fun(closure)) = (&**n == name, arg) {
                    all.push(closure.found_in(owner));
                }
            }
            false
        });
        if all.len() < 2 {
            // Calls of a `fun` are checked when the script loads; a function passed as an
            // argument (`fun apply(f) = f(1)`) only now, with DataWeave's run-time message.
            if let Some(message) = innermost.arity_error(args.len()) {
                return Err(message);
            }
            return Ok(Some(innermost));
        }
        let candidates: Vec<&Closure> = all.iter().filter(|closure| fits_arity(closure)).collect();
        // The walk went innermost first, so within one header the last declared came first;
        // DataWeave tries overloads in the order they were declared.
        let typed = candidates.iter().rev().find(|closure| fits_types(closure));
        let coercible = || {
            let coerces = |closure: &&&Closure| coerce_params(name, closure, args.to_vec()).is_ok();
            candidates.iter().rev().find(coerces)
        };
        if let Some(closure) = typed.or_else(coercible) {
            return Ok(Some((*closure).clone()));
        }
        let described: Vec<String> = args.iter().map(describe_arg).collect();
        // DataWeave lists the overloads in alphabetical order.
        let mut combinations: Vec<String> = all
            .iter()
            .map(|closure: &Closure| {
                let types = closure.param_types.iter().map(|t| t.as_deref().unwrap_or("Any"));
                format!("({})", types.collect::<Vec<_>>().join(", ").replace('|', " | "))
            })
            .collect();
        combinations.sort();
        let combinations: Vec<&str> = combinations.iter().map(String::as_str).collect();
        Err(call_error(name, &described, &combinations))
    }

    fn name(&mut self, name: &str, loc: Loc) -> EResult<Value> {
        if let Some(bound) = self.local(name) {
            return match bound.arg {
                Arg::Value(value) => Ok(value.clone()),
                Arg::Fun(closure) => {
                    let closure = self.capture(&closure.found_in(bound.owner));
                    Ok(Value::Function(Function::new(closure)))
                }
                Arg::Regex(_) => Err(Fail::at(
                    loc,
                    "A regular expression can only be passed to a function in this version of flowrun",
                )),
            };
        }
        let read = match name {
            "payload" => self.payload(),
            "attributes" => self.attributes(),
            "vars" => {
                let mut pairs = Vec::with_capacity(self.scope.vars.len());
                for (var_name, typed) in self.scope.vars {
                    pairs.push((Arc::from(var_name.as_str()), read_input(typed, var_name)?));
                }
                Ok(Value::Object(Arc::new(pairs)))
            }
            "error" => Ok(self.scope.error.map_or(Value::Null, |e| e.to_value())),
            "correlationId" => Ok(Value::string(self.scope.correlation_id)),
            // Mule's `flow` and `app` bindings, as far as flowrun has them.
            "flow" => Ok(Value::object([("name", Value::string(self.scope.flow_name))])),
            "app" => Ok(Value::object([
                ("name", Value::string(self.scope.app_name)),
                ("encoding", Value::string("UTF-8")),
                ("standalone", Value::Bool(false)),
            ])),
            "message" => {
                let payload = self.payload()?;
                let attributes = self.attributes()?;
                Ok(Value::object([("payload", payload), ("attributes", attributes)]))
            }
            _ => match self.scope.inputs.iter().find(|(input, _)| input == name) {
                Some((_, typed)) => read_declared(typed, declared_type(self.declared, name), name),
                None if resolve::TYPE_NAMES.contains(&name) => Ok(Value::Type(name.into())),
                None if resolve::is_function_name(name) => {
                    Ok(Value::Function(Function::new(named_function(&Arc::from(name), loc))))
                }
                None => Err(Fail::at(loc, format!("Unable to resolve reference of: `{name}`."))),
            },
        };
        read.map_err(|fail| fail.read_at(loc))
    }

    fn payload(&mut self) -> EResult<Value> {
        self.payload_ref().cloned()
    }

    /// The payload as scripts see it, read once per evaluation (see [`read_input`]); a
    /// payload that needs no reading is not copied at all.
    fn payload_ref(&mut self) -> EResult<&Value> {
        let input = self.scope.payload;
        let declared = declared_type(self.declared, "payload");
        if declared.is_none() && !needs_reading(input) {
            return Ok(&input.value);
        }
        if self.payload.is_none() {
            self.payload = Some(read_declared(input, declared, "payload")?);
        }
        Ok(self.payload.as_ref().expect("read above"))
    }

    fn attributes(&mut self) -> EResult<Value> {
        self.attributes_ref().cloned()
    }

    /// The attributes as scripts see them, like [`Eval::payload_ref`].
    fn attributes_ref(&mut self) -> EResult<&Value> {
        let input = self.scope.attributes;
        let declared = declared_type(self.declared, "attributes");
        if declared.is_none() && !needs_reading(input) {
            return Ok(&input.value);
        }
        if self.attributes.is_none() {
            self.attributes = Some(read_declared(input, declared, "attributes")?);
        }
        Ok(self.attributes.as_ref().expect("read above"))
    }

    /// A string with `$(...)` parts. DataWeave coerces a lone part to a String, and joins
    /// several with its `Append` function, left to right, so a part that is not text fails
    /// as a coercion or as a call of `Append` with what was joined so far.
    fn interpolate(&mut self, parts: &[Node]) -> EResult<Value> {
        let mut joined: Option<Value> = None;
        for part in parts {
            let value = self.read(part)?;
            joined = Some(match joined {
                None => value,
                Some(so_far) => match (text_part(&so_far), text_part(&value)) {
                    (Some(a), Some(b)) => {
                        let len = a.len() + b.len();
                        crate::expr::modules::check_length(len)
                            .map_err(|err| Fail::at(part.loc, err))?;
                        Value::string(a + &b)
                    }
                    _ => return Err(append_error(so_far, value)),
                },
            });
        }
        // A lone part is coerced where it is written.
        let loc = parts.first().map_or_else(Loc::default, |part| part.loc);
        match joined {
            None => Ok(Value::string("")),
            Some(value) => match text_part(&value) {
                Some(text) => Ok(Value::string(text)),
                None if matches!(value, Value::Null) => {
                    Err(Fail::at(loc, "Cannot coerce Null to String"))
                }
                None => Err(Fail::at(loc, cannot_coerce(&value, "String"))),
            },
        }
    }

    fn array(&mut self, members: &[Member]) -> EResult<Value> {
        let mut items = Vec::with_capacity(members.len());
        for member in members {
            let Some(member) = self.keep(member)? else { continue };
            match member {
                Member::Item(node) | Member::Spread(node) => items.push(self.eval(node)?),
                Member::Pair { key, value } => {
                    let key = self.key(key)?;
                    items.push(Value::Object(Arc::new(vec![(key, self.eval(value)?)])));
                }
                Member::Conditional { .. } => {}
            }
        }
        Ok(Value::Array(Arc::new(items)))
    }

    /// The member itself, or `None` when it is conditional and its condition is false.
    fn keep<'m>(&mut self, member: &'m Member) -> EResult<Option<&'m Member>> {
        let Member::Conditional { member, cond } = member else { return Ok(Some(member)) };
        match self.read(cond)? {
            Value::Bool(true) => self.keep(member),
            Value::Bool(false) => Ok(None),
            Value::String(s) if text_boolean(&s) == Some(true) => self.keep(member),
            Value::String(s) if text_boolean(&s) == Some(false) => Ok(None),
            other => Err(Fail::at(cond.loc, cannot_coerce(&other, "Boolean"))),
        }
    }

    fn object(&mut self, members: &[Member], loc: Loc) -> EResult<Value> {
        let mut pairs = Vec::with_capacity(members.len());
        for member in members {
            let Some(member) = self.keep(member)? else { continue };
            match member {
                Member::Pair { key, value } => {
                    let key = self.key(key)?;
                    pairs.push((key, self.eval(value)?));
                }
                Member::Spread(node) | Member::Item(node) => {
                    let value = self.eval(node)?;
                    spread_into(&mut pairs, value, node.loc, loc)?;
                }
                Member::Conditional { .. } => {}
            }
        }
        Ok(Value::Object(Arc::new(pairs)))
    }

    fn key(&mut self, key: &Node) -> EResult<Arc<str>> {
        if let NodeKind::Str(text) = &*key.kind {
            return Ok(text.clone());
        }
        let value = self.read(key)?;
        if let Value::Type(name) = &value {
            return Err(Fail::at(key.loc, format!("Type `Type<{name}>` cannot be used as Key")));
        }
        match text_part(&value) {
            Some(text) => Ok(text.into()),
            None => Err(Fail::at(key.loc, cannot_coerce(&value, "Key"))),
        }
    }

    fn select(
        &mut self,
        target: &Node,
        selector: &Selector,
        chained: bool,
        loc: Loc,
    ) -> EResult<Value> {
        if let Selector::Key(key) = selector
            && let Some(found) = self.key_path(target, key, chained)
        {
            return found;
        }
        Ok(match self.select_found(target, selector, chained, loc)? {
            Found::Value(value) => value,
            Found::Nothing(..) => Value::Null,
        })
    }

    /// The common path `payload.a.b.c`, every selector a `.key` and every value on the way
    /// an object, walked by reference so that only the value found is copied. `None` when
    /// the chain is not of that shape, or meets anything but an object on the way: the
    /// general [`Eval::select_found`] then runs it (evaluation has no side effects, so
    /// starting again is safe).
    fn key_path(&mut self, target: &Node, last: &str, chained: bool) -> Option<EResult<Value>> {
        // The keys, innermost first, and the node they are selected from.
        let mut keys: [&str; 8] = [""; 8];
        let mut depth = 0;
        let mut base = target;
        let mut in_chain = chained;
        while in_chain
            && let NodeKind::Select { target, selector: Selector::Key(key), chained } = &*base.kind
        {
            if depth == keys.len() - 1 {
                return None;
            }
            keys[depth] = key;
            depth += 1;
            base = target;
            in_chain = *chained;
        }
        let NodeKind::Name(name) = &*base.kind else { return None };
        keys[..depth].reverse();
        keys[depth] = last;
        let mut keys = &keys[..=depth];
        let mut value = match self.local(name) {
            Some(Bound { arg: Arg::Value(value), .. }) => value,
            Some(_) => return None,
            None => match &**name {
                "payload" => match self.payload_ref() {
                    Ok(value) => value,
                    Err(fail) => return Some(Err(fail.read_at(base.loc))),
                },
                "attributes" => match self.attributes_ref() {
                    Ok(value) => value,
                    Err(fail) => return Some(Err(fail.read_at(base.loc))),
                },
                "vars" => {
                    // `vars.x` reads only the variable it names.
                    let var = self.scope.vars.get(keys[0]);
                    keys = &keys[1..];
                    match var {
                        Some(typed) if !needs_reading(typed) => &typed.value,
                        Some(_) => return None,
                        None => return Some(Ok(Value::Null)),
                    }
                }
                _ => return None,
            },
        };
        for key in keys {
            let Value::Object(pairs) = value else { return None };
            match pairs.iter().find(|(k, _)| &**k == *key) {
                Some((_, found)) => value = found,
                // Nothing found ends the chain: the whole path is null.
                None => return Some(Ok(Value::Null)),
            }
        }
        Some(Ok(value.clone()))
    }

    /// Runs a selector, telling a value (a present null too) from nothing found. Nothing
    /// found by the previous selector of a chain makes the whole chain nothing, so that later
    /// selectors do not run; a final `!` reports the key that was missing.
    fn select_found(
        &mut self,
        target: &Node,
        selector: &Selector,
        chained: bool,
        loc: Loc,
    ) -> EResult<Found> {
        if let Selector::Interpolated { name, form } = selector {
            let key = coerce_string(&self.read(name)?).unwrap_or_default();
            return self.select_found(target, &form.named(key.into()), chained, loc);
        }
        if let (NodeKind::Name(name), Selector::Key(key)) = (&*target.kind, selector)
            && &**name == "vars"
            && self.local("vars").is_none()
        {
            // `vars.x` reads only the variable it names.
            return match self.scope.vars.get(&**key) {
                Some(typed) => {
                    let value = read_input(typed, key).map_err(|fail| fail.read_at(loc))?;
                    Ok(Found::Value(value))
                }
                None => Ok(Found::Nothing(Missing::Key(key.clone()), target.loc.to(loc))),
            };
        }
        if let Selector::Metadata(name) = selector {
            return self.metadata(target, name.as_deref()).map(Found::Value);
        }
        let value = match &*target.kind {
            NodeKind::Select { target: inner, selector: previous, chained: inner_chained }
                if chained =>
            {
                let found = self.select_found(inner, previous, *inner_chained, target.loc);
                match found.map_err(Fail::forced)? {
                    Found::Value(value) => value,
                    Found::Nothing(missing, at)
                        if matches!(selector, Selector::Required(_) | Selector::Strict(_)) =>
                    {
                        return Err(Fail::at(at, missing.message()));
                    }
                    Found::Nothing(..) if matches!(selector, Selector::Exists(_)) => {
                        return Ok(Found::Value(Value::Bool(false)));
                    }
                    nothing @ Found::Nothing(..) => return Ok(nothing),
                }
            }
            _ => self.read(target)?,
        };
        let (selector, strict) = match selector {
            Selector::Strict(_) if matches!(value, Value::Null) => {
                return Err(Fail::at(loc, "Strict selection over null value."));
            }
            Selector::Strict(inner) => (&**inner, true),
            selector => (selector, false),
        };
        if let Selector::Dynamic(index) = selector
            && let NodeKind::Call { name, args, name_loc } = &*index.kind
            && &**name == "to"
            && args.len() == 2
        {
            let from = self.read(&args[0])?;
            let to = self.read(&args[1])?;
            let (Some(from), Some(to)) = (as_index(&from), as_index(&to)) else {
                let message = typed_call_error("to", &[from, to], &["Number", "Number"]);
                return Err(Fail::at(*name_loc, message));
            };
            return match select_range(&value, from, to) {
                Ok(Found::Nothing(missing, _)) if strict => Err(Fail::at(loc, missing.message())),
                found => found.map(|f| f.at(loc)).map_err(|m| Fail::at(loc, m)),
            };
        }
        // An index reads a range's element from its bounds, and a key finds nothing in its
        // numbers; other selectors read the range as the array it is.
        let value = match value {
            Value::Range(r) if !matches!(selector, Selector::Dynamic(_) | Selector::Key(_)) => {
                range::to_array(&r).map_err(|message| Fail::at(loc, message))?
            }
            value => value,
        };
        let found = match selector {
            Selector::Key(key) => find_key(&value, key),
            Selector::MultiKey(key) => select_multi(&value, key).map(|v| found_unless_null(v, key)),
            Selector::Descendants(key) => match select_descendants(&value, key) {
                Err(message) => {
                    // DataWeave's excerpt of this failure leaves out the name's last character.
                    let end = loc.end.saturating_sub(1).max(loc.start);
                    return Err(Fail::at(Loc { end, ..loc }, message));
                }
                found => found,
            },
            Selector::MultiDescendants(key) => {
                select_all_descendants(&value, Some(key)).map(|v| found_unless_empty(v, key))
            }
            Selector::AllDescendants => select_all_descendants(&value, None).map(Found::Value),
            Selector::KeyValue(key) => select_key_value(&value, key),
            Selector::DescendantKeyValues(key) => {
                select_descendant_key_values(&value, key).map(|v| found_unless_empty(v, key))
            }
            Selector::DynamicMulti(name) | Selector::DynamicKeyValue(name) => {
                let name = self.read(name)?;
                let key = coerce_string(&name).unwrap_or_default();
                if matches!(selector, Selector::DynamicMulti(_)) {
                    select_multi(&value, &key).map(|v| found_unless_null(v, &key))
                } else {
                    select_key_value(&value, &key)
                }
            }
            Selector::Required(key) => match (&value, find_key(&value, key)) {
                (Value::Null, _) => Err("Strict selection over null value.".to_owned()),
                (_, Ok(Found::Nothing(..))) => Err(format!("There is no key named '{key}'")),
                (_, found) => found,
            },
            Selector::Exists(key) => Ok(Found::Value(Value::Bool(has_key(&value, key)))),
            // An interpolated name was read above, and metadata of a selected part is null.
            Selector::Metadata(_) | Selector::Interpolated { .. } => Ok(Found::Value(Value::Null)),
            // `!` of `!` cannot be written.
            Selector::Strict(_) => Ok(Found::Value(Value::Null)),
            Selector::Dynamic(index) => match self.read(index)? {
                // DataWeave lists only the forms that take the index it was given.
                Value::Number(n) if matches!(value, Value::Function(_)) => Err(call_error(
                    "Dynamic Selector",
                    &[describe(&value), describe(&Value::Number(n))],
                    &[
                        "(Array, Number)",
                        "(Binary, Number)",
                        "(Object, Number)",
                        "(String, Number)",
                    ],
                )),
                Value::String(key) | Value::Key(key) => find_key(&value, &key),
                Value::Number(n) => Ok(select_index(&value, &n)),
                // A range held in a name selects as one written in the brackets.
                Value::Range(r) => {
                    let whole = |n: &BigDecimal| n.with_scale(0).to_i64();
                    match (whole(&r.start), whole(&r.end)) {
                        (Some(from), Some(to)) => select_range(&value, from, to),
                        _ => Ok(Found::Nothing(
                            dw_repr(&Value::Range(r)).as_str().into(),
                            Loc::default(),
                        )),
                    }
                }
                // A Boolean names a key of an object (or of the objects of an array).
                Value::Bool(b) if matches!(value, Value::Array(_) | Value::Object(_)) => {
                    find_key(&value, if b { "true" } else { "false" })
                }
                other => Err(call_error(
                    "Dynamic Selector",
                    &[describe(&value), describe(&other)],
                    DYNAMIC_SELECTOR_COMBINATIONS,
                )),
            },
        };
        match found {
            Ok(Found::Nothing(missing, _)) if strict => Err(Fail::at(loc, missing.message())),
            found => found.map(|found| found.at(loc)).map_err(|message| Fail::at(loc, message)),
        }
    }

    /// `target.^name`: an input's metadata, the format a value was read with, or null.
    fn metadata(&mut self, target: &Node, name: Option<&str>) -> EResult<Value> {
        let input = match &*target.kind {
            NodeKind::Name(input) if self.local(input).is_none() => match &**input {
                "payload" => Some(self.scope.payload),
                "attributes" => Some(self.scope.attributes),
                other => self.scope.inputs.iter().find(|(n, _)| n == other).map(|(_, typed)| typed),
            },
            NodeKind::Select { target: vars, selector: Selector::Key(key), .. }
                if matches!(&*vars.kind, NodeKind::Name(n) if &**n == "vars")
                    && self.local("vars").is_none() =>
            {
                self.scope.vars.get(&**key)
            }
            _ => None,
        };
        if let Some(input) = input {
            return Ok(input_metadata(input, name));
        }
        let value = self.eval(target)?;
        let format = match &value {
            Value::Temporal(t) => t.format.as_ref().map(|f| Value::string(f.pattern.as_str())),
            _ => None,
        };
        Ok(match (name, format) {
            (Some("format"), Some(format)) => format,
            (None, Some(format)) => Value::object([("format", format)]),
            (None, None) => Value::object(Vec::<(&str, Value)>::new()),
            (Some(_), _) => Value::Null,
        })
    }

    fn binary(&mut self, op: BinOp, lhs: &Node, rhs: &Node, loc: Loc) -> EResult<Value> {
        if matches!(op, BinOp::And | BinOp::Or) {
            let left = self.boolean(lhs)?;
            if left == (op == BinOp::Or) {
                return Ok(Value::Bool(left));
            }
            return Ok(Value::Bool(self.boolean(rhs)?));
        }
        let left = self.read(lhs)?;
        let right = self.read(rhs)?;
        if matches!(op, BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge) {
            // A String compared with a Number is read as one; the excerpt quotes the operand
            // that is not one (DataWeave quotes it when it was written in the script).
            let numeric = matches!(
                (&left, &right),
                (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_))
            );
            let operands = [(&left, lhs.loc), (&right, rhs.loc)];
            if let Some((text, text_loc)) =
                operands.into_iter().find(|(value, _)| numeric && coerce_number(value).is_none())
            {
                return Err(Fail::at(text_loc, cannot_coerce(text, "Number")));
            }
            let left = as_other_operand(left, &right, lhs.loc)?;
            let right = as_other_operand(right, &left, rhs.loc)?;
            return combine(op, left, right, loc);
        }
        combine(op, left, right, loc)
    }

    fn boolean(&mut self, node: &Node) -> EResult<bool> {
        match self.read(node)? {
            Value::Bool(b) => Ok(b),
            Value::String(s) => text_boolean(&s)
                .ok_or_else(|| Fail::plain(format!("Cannot coerce String ({s}) to Boolean"))),
            other => Err(Fail::at(node.loc, cannot_coerce(&other, "Boolean"))),
        }
    }

    fn call(&mut self, name: &str, name_loc: Loc, arg_nodes: &[Node]) -> EResult<Value> {
        // A name bound to a value: a function value is called, anything else fails as
        // DataWeave fails (`Cannot coerce Number (1) to Function`).
        let bound = self.local(name).map(|bound| bound.arg);
        if let Some(Arg::Value(value)) = bound {
            let closure = callable(value).map_err(|message| Fail::at(name_loc, message))?;
            return self.call_function(closure, name_loc, arg_nodes, Some(name));
        }
        if let Some(Arg::Regex(_)) = bound {
            return Err(Fail::at(name_loc, "Cannot coerce Regex to Function"));
        }
        // A built-in reads its arguments, except those that pass them on unread; a function
        // of the script only passes them on.
        let builtin = bound.is_none();
        let reads = builtin && !funcs::keeps_deferred(name);
        let mut args = Vec::with_capacity(arg_nodes.len());
        for node in arg_nodes {
            let arg = self.arg(node);
            args.push(if reads { arg.map_err(Fail::forced)? } else { arg? });
        }
        let chosen = if builtin {
            None
        } else {
            self.overload(name, &args).map_err(|m| Fail::at(name_loc, m))?
        };
        if let Some(closure) = chosen {
            let args = coerce_params(name, &closure, args).map_err(|m| Fail::at(name_loc, m))?;
            return self.apply_args(&closure, args).map_err(|fail| fail.through(name, name_loc));
        }
        // DataWeave's excerpt underlines the function's name, prefix or infix.
        funcs::call(self, name, args).map_err(|fail| {
            // A failure of the function given to one of these comes out through a call of
            // it in DataWeave's trace (`at reduce (...)`, then `at main` at the call).
            let from_argument = !matches!(fail.place, Place::Unknown | Place::TraceOnly(None));
            let fail = fail.or_at(name_loc);
            match name {
                "reduce" | "groupBy" | "orderBy" | "firstWith" if from_argument => {
                    fail.through(name, name_loc)
                }
                _ => fail,
            }
        })
    }

    /// Calls a function value with the arguments written at a call, checking their number
    /// as DataWeave does when it runs (`Too many arguments (2) for function with ...`).
    /// `name` is the name the function is called by, if any, for traces.
    fn call_function(
        &mut self,
        closure: Closure,
        loc: Loc,
        arg_nodes: &[Node],
        name: Option<&str>,
    ) -> EResult<Value> {
        if let Some(message) = closure.arity_error(arg_nodes.len()) {
            return Err(Fail::at(loc, message));
        }
        let mut args = Vec::with_capacity(arg_nodes.len());
        for node in arg_nodes {
            args.push(self.arg(node)?);
        }
        let args = coerce_params("AnonymousFunction", &closure, args)
            .map_err(|message| Fail::at(loc, message))?;
        let result = self.apply_args(&closure, args);
        match name {
            Some(name) => result.map_err(|fail| fail.through(name, loc)),
            None => result,
        }
    }

    /// A call of anything but a name: `f(1)(2)`, `fns.inc(1)`, `((x) -> x)(1)`. A chain of
    /// selectors that finds nothing (`{}.f(1)`) makes the call null, as the chain is.
    fn apply_expr(&mut self, callee: &Node, arg_nodes: &[Node]) -> EResult<Value> {
        let value = match &*callee.kind {
            NodeKind::Select { target, selector, chained } => {
                let found = self.select_found(target, selector, *chained, callee.loc);
                match found.map_err(Fail::forced)? {
                    Found::Value(value) => value,
                    Found::Nothing(..) => return Ok(Value::Null),
                }
            }
            _ => self.read(callee)?,
        };
        let closure = callable(&value).map_err(|message| Fail::at(callee.loc, message))?;
        // DataWeave's trace names a function called other than by its name so.
        self.call_function(closure, callee.loc, arg_nodes, Some("AnonymousFunction"))
    }

    fn arg(&mut self, node: &Node) -> EResult<Arg> {
        match &*node.kind {
            NodeKind::Lambda(lambda) => Ok(Arg::Fun(self.closure(lambda, 0))),
            NodeKind::Regex(regex) => Ok(Arg::Regex(regex.clone())),
            // `text as Regex` (or `toRegex(text)` of `dw::util::Coercions`): a regular
            // expression built when the script runs.
            NodeKind::As { value, type_name, props: None } if &**type_name == "Regex" => {
                self.regex_of(value, node.loc)
            }
            NodeKind::Call { name, args, .. }
                if args.len() == 1 && name.rsplit("::").next() == Some("toRegex") =>
            {
                self.regex_of(&args[0], node.loc)
            }
            NodeKind::Name(name) => match self.local(name) {
                Some(bound @ Bound { arg: Arg::Fun(_) | Arg::Regex(_), .. }) => Ok(bound.to_arg()),
                None if resolve::is_function_name(name)
                    && !self.scope.inputs.iter().any(|(input, _)| **input == **name) =>
                {
                    Ok(Arg::Fun(named_function(name, node.loc)))
                }
                _ => self.eval(node).map(value_arg),
            },
            _ => self.eval(node).map(value_arg),
        }
    }

    /// The regular expression a String spells, built when the script runs.
    fn regex_of(&mut self, text: &Node, loc: Loc) -> EResult<Arg> {
        let pattern = match self.read(text)? {
            Value::String(text) | Value::Key(text) => text,
            other => return Err(Fail::at(loc, cannot_coerce(&other, "Regex"))),
        };
        let regex = crate::expr::java_regex::compile(&pattern).map_err(|err| {
            Fail::at(loc, format!("Invalid regular expression `{pattern}`: {err}"))
        })?;
        Ok(Arg::Regex(Arc::new(regex)))
    }

    /// Calls a function with arguments; missing ones take their default or null.
    pub(crate) fn apply(&mut self, closure: &Closure, args: Vec<Value>) -> EResult<Value> {
        self.apply_args(closure, args.into_iter().map(Arg::Value).collect())
    }

    /// Evaluates the default of parameter `idx` of `closure` in the closure's own scope.
    pub(crate) fn apply_default(&mut self, closure: &Closure, idx: usize) -> EResult<Value> {
        let Some(Some(default)) = closure.defaults.get(idx) else { return Ok(Value::Null) };
        let frame = Frame { start: self.locals.len(), env: closure.env.clone() };
        self.frames.push(frame);
        let result = self.eval(default);
        self.frames.pop();
        result
    }

    /// Like [`Eval::apply`], for arguments that may be functions themselves.
    ///
    /// A call in tail position to a function defined outside this call replaces the call
    /// instead of nesting in it, so tail recursion runs in constant space, as in DataWeave.
    fn apply_args(&mut self, closure: &Closure, args: Vec<Arg>) -> EResult<Value> {
        if self.frames.len() >= MAX_CALL_DEPTH {
            let message = format!("Stack Overflow. Max stack is {MAX_CALL_DEPTH}");
            return Err(Fail::at(closure.body.loc, message));
        }
        let start = self.locals.len();
        self.frames.push(Frame { start, env: closure.env.clone() });
        let mut closure = closure.clone();
        let mut args = args;
        // Calls that replaced the one before them, for the trace of a failure: DataWeave
        // lists a call of another function, not a function's call of itself.
        let mut replaced = Vec::new();
        let result = loop {
            match self.bind_and_run(&closure, args) {
                Ok(Tail::Call(next, next_args, name, loc)) => {
                    if !Arc::ptr_eq(&next.lambda, &closure.lambda)
                        && replaced.len() < MAX_CALL_DEPTH
                    {
                        replaced.push((name, loc));
                    }
                    self.locals.truncate(start);
                    *self.frames.last_mut().expect("pushed above") =
                        Frame { start, env: next.env.clone() };
                    (closure, args) = (next, next_args);
                }
                Ok(Tail::Done(value)) => break Ok(value),
                Err(fail) => break Err(fail),
            }
        };
        self.frames.pop();
        self.locals.truncate(start);
        result.map_err(|fail| {
            replaced.iter().rev().fold(fail, |fail, (name, loc)| fail.through(name, *loc))
        })
    }

    fn bind_and_run(&mut self, lambda: &Lambda, args: Vec<Arg>) -> EResult<Tail> {
        let n_head_defaults = lambda.n_head_defaults(args.len());
        let mut args = args.into_iter();
        for (idx, param) in lambda.params.iter().enumerate() {
            let arg = if idx < n_head_defaults { None } else { args.next() };
            let arg = match (arg, lambda.defaults.get(idx).and_then(Option::as_ref)) {
                (Some(arg), _) => arg,
                (None, Some(default)) => Arg::Value(self.eval(default)?),
                (None, None) => Arg::Value(Value::Null),
            };
            self.locals.push((param.clone(), arg));
        }
        self.eval_tail(&lambda.body)
    }

    /// Evaluates a function body, returning a call in tail position unevaluated when it can
    /// replace the current call: its function and its function arguments were defined outside
    /// the current call, so nothing refers to the current call's names any more.
    fn eval_tail(&mut self, node: &Node) -> EResult<Tail> {
        match &*node.kind {
            NodeKind::If { cond, then, otherwise } => {
                let branch = if self.condition(cond)? { then } else { otherwise };
                self.eval_tail(branch)
            }
            NodeKind::Do { decls, body } => {
                // The declarations stay bound until the call ends, which is soon enough.
                self.declare(decls)?;
                self.eval_tail(body)
            }
            NodeKind::Call { name, name_loc, args: arg_nodes } => {
                let n_frames = self.frames.len();
                // Only a `fun` called by name: a function value or a parameter given a
                // function nests its call, as in DataWeave, whose recursion through one
                // overflows at 256 calls.
                match self.local(name).map(|bound| bound.arg) {
                    Some(Arg::Fun(closure)) if closure.is_fun && closure.outside_call(n_frames) => {
                    }
                    _ => return self.eval(node).map(Tail::Done),
                }
                let mut args = Vec::with_capacity(arg_nodes.len());
                for arg in arg_nodes {
                    args.push(self.arg(arg)?);
                }
                // The overload that takes the arguments, as for any call; overloads are
                // declared before the last of them, so each is outside this call too.
                let chosen = self.overload(name, &args).map_err(|m| Fail::at(*name_loc, m))?;
                let Some(closure) = chosen else {
                    return self.eval(node).map(Tail::Done);
                };
                let args =
                    coerce_params(name, &closure, args).map_err(|m| Fail::at(*name_loc, m))?;
                // A lambda argument written in this call needs this call's names: no tail call.
                let captures_frame =
                    args.iter().any(|arg| matches!(arg, Arg::Fun(c) if !c.outside_call(n_frames)));
                if captures_frame {
                    return self.apply_args(&closure, args).map(Tail::Done);
                }
                Ok(Tail::Call(closure, args, name.clone(), *name_loc))
            }
            _ => self.eval(node).map(Tail::Done),
        }
    }

    /// Whether a call may be to an imported module's function.
    pub(crate) fn imports_modules(&self) -> bool {
        self.imports
    }

    /// Reads `p('name')`.
    pub(crate) fn property(&self, key: &str) -> Option<String> {
        self.scope.properties.property(key)
    }
}

/// A part of an interpolated string as text: strings, numbers, booleans and dates.
fn text_part(value: &Value) -> Option<String> {
    match value {
        Value::String(_)
        | Value::Key(_)
        | Value::Type(_)
        | Value::Number(_)
        | Value::Bool(_)
        | Value::Temporal(_)
        | Value::Period(_)
        | Value::TimeZone(_) => coerce_string(value),
        _ => None,
    }
}

/// A binary operator other than `and`/`or` applied to its operands' values.
fn combine(op: BinOp, left: Value, right: Value, loc: Loc) -> EResult<Value> {
    // A range is the array of its elements where an operator takes an array (`<<`, `+`, `-`);
    // the other operand, an element, stays what it is, and comparisons tell the two apart.
    let as_array = |value| range::as_array(value).map_err(|message| Fail::at(loc, message));
    let (left, right) = match op {
        BinOp::Eq | BinOp::Ne | BinOp::Similar | BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => {
            (left, right)
        }
        BinOp::Prepend => (left, as_array(right)?),
        _ => (as_array(left)?, right),
    };
    match op {
        BinOp::Eq => Ok(Value::Bool(dw_equal(&left, &right))),
        BinOp::Ne => Ok(Value::Bool(!dw_equal(&left, &right))),
        BinOp::Similar => Ok(Value::Bool(similar(&left, &right))),
        BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => {
            let ordering = compare_operands(&left, &right).map_err(|fail| fail.or_at(loc))?;
            let result = match op {
                BinOp::Lt => ordering == Ordering::Less,
                BinOp::Gt => ordering == Ordering::Greater,
                BinOp::Le => ordering != Ordering::Greater,
                _ => ordering != Ordering::Less,
            };
            Ok(Value::Bool(result))
        }
        BinOp::Append => match left {
            Value::Array(items) => {
                let mut items = Arc::unwrap_or_clone(items);
                items.push(right);
                Ok(Value::array(items))
            }
            left => Err(Fail::at(loc, typed_call_error("<<", &[left, right], &["Array", "Any"]))),
        },
        BinOp::Prepend => match right {
            Value::Array(items) => {
                let mut with_first = Vec::with_capacity(items.len() + 1);
                with_first.push(left);
                with_first.extend(items.iter().cloned());
                Ok(Value::array(with_first))
            }
            // The other form of `>>` shifts a DateTime to a time zone.
            right => match zone::shift(&left, &right) {
                Some(shifted) => shifted.map_err(|message| Fail::at(loc, message)),
                None => Err(Fail::at(loc, zone::shift_error([describe(&left), describe(&right)]))),
            },
        },
        _ => arithmetic(op, left, right).map_err(|message| Fail::at(loc, message)),
    }
}

/// DataWeave joins an interpolated string with its `Append` function, and reports a part
/// that is not text as a failed call of it, without a script excerpt.
fn append_error(so_far: Value, part: Value) -> Fail {
    let args = [so_far, part];
    let message = typed_call_error("Append", &args, &["String", "String"]);
    Fail::plain(format!("{message}\nTrace:\n  at main (Unknown)"))
}

fn negate(value: Value) -> Result<Value, String> {
    match coerce_number(&value) {
        Some(n) => Ok(Value::Number(-n)),
        None => Err(typed_call_error("-", &[value], &["Number"])),
    }
}

/// A String read as a Boolean where DataWeave coerces one (`and`, `or`, `not`, filters,
/// conditional members): `true` or `false` in any case. An `if` condition is stricter.
pub(crate) fn text_boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn not(value: Value) -> Result<Value, String> {
    match value {
        Value::Bool(b) => Ok(Value::Bool(!b)),
        Value::String(ref s) if text_boolean(s).is_some() => {
            Ok(Value::Bool(text_boolean(s) == Some(false)))
        }
        other => Err(typed_call_error("not", &[other], &["Boolean"])),
    }
}

fn coerce_as(value: Value, type_name: &str, props: Option<&Value>, loc: Loc) -> EResult<Value> {
    coerce::coerce_as(value, type_name, props).map_err(|message| Fail::at(loc, message))
}

fn is_type(value: &Value, type_name: &str, loc: Loc) -> EResult<Value> {
    coerce::is_type(value, type_name).map(Value::Bool).map_err(|message| Fail::at(loc, message))
}

/// The last binding of `name` among `locals`.
/// A built-in or imported function named where a function is expected
/// (`partition(xs, isEven)`, `var f = upper`): a lambda that calls it with as many
/// arguments as its shortest form takes ([`arity::of_function`]). Extra arguments a caller
/// passes (`map` gives an index too) are dropped, as for any lambda.
fn named_function(name: &Arc<str>, loc: Loc) -> Closure {
    let short = name.rsplit("::").next().unwrap_or(name);
    let n_params = arity::of_function(short).map_or(1, |arity| arity.min);
    let params: Vec<Arc<str>> = (0..n_params).map(|i| Arc::from(format!("arg{i}"))).collect();
    let args = params.iter().map(|p| Node::new(NodeKind::Name(p.clone()), loc)).collect();
    let body = Node::new(NodeKind::Call { name: name.clone(), name_loc: loc, args }, loc);
    let n = params.len();
    let lambda =
        Lambda { params, defaults: vec![None; n], param_types: vec![None; n], body, is_fun: false };
    // It sees nothing of the script: only its own parameters.
    Closure { lambda: Arc::new(lambda), env: Env::Builtin }
}

fn find_local<'l>(locals: &'l [(Arc<str>, Arg)], name: &str) -> Option<&'l Arg> {
    locals.iter().rev().find(|(n, _)| &**n == name).map(|(_, arg)| arg)
}

/// Coerces the arguments of a `fun` call to the parameters' declared types, as DataWeave
/// does (`fun f(a: Number)` called with `"12"` sees `12`); an argument that cannot be
/// coerced fails with DataWeave's call error.
fn coerce_params(name: &str, closure: &Closure, mut args: Vec<Arg>) -> Result<Vec<Arg>, String> {
    if closure.param_types.iter().all(Option::is_none) {
        return Ok(args);
    }
    let param_types = &closure.param_types[closure.n_head_defaults(args.len())..];
    for (arg, param_type) in args.iter_mut().zip(param_types) {
        let (Arg::Value(value), Some(type_name)) = (&*arg, param_type) else { continue };
        // Types `is` cannot test (type parameters, functions) are not checked.
        if coerce::is_type(value, type_name).unwrap_or(true) {
            continue;
        }
        let coerced = type_name
            .split('|')
            .find_map(|member| coerce::coerce_as(value.clone(), member, None).ok());
        match coerced {
            Some(coerced) => *arg = Arg::Value(coerced),
            None => {
                let values: Vec<Value> = args
                    .iter()
                    .map(|arg| match arg {
                        Arg::Value(value) => value.clone(),
                        Arg::Fun(_) | Arg::Regex(_) => Value::Null,
                    })
                    .collect();
                let types: Vec<String> = closure
                    .param_types
                    .iter()
                    .map(|t| t.as_deref().map_or("Any".to_owned(), |t| t.replace('|', " | ")))
                    .collect();
                let types: Vec<&str> = types.iter().map(String::as_str).collect();
                return Err(typed_call_error(name, &values, &types));
            }
        }
    }
    Ok(args)
}

/// The metadata of an input, as `payload.^name` gives it: `mediaType` (with parameters,
/// as Java writes them: `application/json;charset=UTF-8`), `mimeType` (without them, as the
/// Mule runtime gives it), `encoding` (the charset, UTF-8 by default) and `raw` (the bytes
/// as received); `.^` alone gives `raw`, `encoding` and `mediaType`.
fn input_metadata(input: &TypedValue, name: Option<&str>) -> Value {
    let media_type = &input.media_type;
    let raw = || match &input.value {
        Value::Binary(bytes) => Value::Binary(bytes.clone()),
        Value::String(text) => Value::Binary(bytes::Bytes::copy_from_slice(text.as_bytes())),
        _ => Value::Null,
    };
    let encoding = || Value::string(media_type.charset().unwrap_or("UTF-8"));
    let full_type = || {
        let mut text = media_type.essence();
        for (param, value) in media_type.params.iter() {
            text.push_str(&format!(";{param}={value}"));
        }
        Value::string(text)
    };
    match name {
        None => {
            Value::object([("raw", raw()), ("encoding", encoding()), ("mediaType", full_type())])
        }
        Some("mediaType") => full_type(),
        Some("mimeType") => Value::string(media_type.essence()),
        Some("encoding") => encoding(),
        Some("raw") => raw(),
        Some(_) => Value::Null,
    }
}

/// Adds the pairs of an object, or of each object in an array, to `pairs`.
///
/// DataWeave expands the array when it writes the object, so a failure there is deferred
/// past a `default` around the object (see [`Fail::deferred`]).
/// A wrong element is reported at the whole object, `object`; a wrong value at itself, `loc`
/// (with the parentheses around it, as DataWeave quotes it).
fn spread_into(
    pairs: &mut Vec<(Arc<str>, Value)>,
    value: Value,
    loc: Loc,
    object: Loc,
) -> EResult<()> {
    match value {
        Value::Object(more) => pairs.extend(more.iter().cloned()),
        Value::Array(items) => {
            for item in items.iter() {
                match item {
                    Value::Object(more) => pairs.extend(more.iter().cloned()),
                    other => {
                        return Err(Fail::at(object, cannot_coerce(other, "Object")).deferred());
                    }
                }
            }
        }
        Value::Null => {}
        other => {
            let message = format!(
                "Invalid type provided for object expansion.\n\nExpected: Array<Object> or Object\nActual: {}",
                describe(&other)
            );
            let parenthesized = Loc { start: loc.start.saturating_sub(1), end: loc.end + 1 };
            return Err(Fail::at(parenthesized.to(parenthesized), message));
        }
    }
    crate::expr::modules::check_items(pairs.len(), "objects").map_err(|err| Fail::at(loc, err))
}

/// `.key`: the first value with that key; over arrays, that of every object element.
/// `value.key?`: whether an object (or an object element of an array) has the key, even with
/// a null value, as DataWeave answers (`{a: null}.a?` is true).
fn has_key(value: &Value, key: &str) -> bool {
    match value {
        Value::Object(pairs) => pairs.iter().any(|(k, _)| &**k == key),
        Value::Array(items) => items.iter().any(|item| item.get(key).is_some()),
        other => !matches!(select_key(other, key), Ok(Value::Null) | Err(_)),
    }
}

/// `.key` telling a present value from nothing: an object without the key, an array none of
/// whose objects has it, a null or a number.
fn find_key(value: &Value, key: &str) -> Result<Found, String> {
    match value {
        Value::Object(pairs) => Ok(match pairs.iter().find(|(k, _)| &**k == key) {
            Some((_, v)) => Found::Value(v.clone()),
            None => Found::Nothing(key.into(), Loc::default()),
        }),
        other => select_key(other, key).map(|v| found_unless_null(v, key)),
    }
}

/// A selection result other than an object's value: null stands for nothing found.
fn found_unless_null(value: Value, key: &str) -> Found {
    match value {
        Value::Null => Found::Nothing(key.into(), Loc::default()),
        value => Found::Value(value),
    }
}

pub(crate) fn select_key(value: &Value, key: &str) -> Result<Value, String> {
    match value {
        Value::Object(pairs) => {
            Ok(pairs.iter().find(|(k, _)| &**k == key).map_or(Value::Null, |(_, v)| v.clone()))
        }
        Value::Array(items) => {
            let found: Vec<Value> =
                items.iter().filter_map(|item| item.get(key).cloned()).collect();
            Ok(if found.is_empty() { Value::Null } else { Value::array(found) })
        }
        // A range's elements are Numbers, which have no keys.
        Value::Null | Value::Range(_) => Ok(Value::Null),
        // A Number is read as seconds since the epoch, in UTC (`1.year` is 1970), as `as
        // DateTime` reads it; one too big for a date fails as a selector without a date.
        Value::Number(_)
            if let Ok(date @ Value::Temporal(_)) =
                coerce::coerce_as(value.clone(), "DateTime", None) =>
        {
            select_key(&date, key)
        }
        Value::Temporal(t) if key == "timezone" => {
            Ok(if t.has_offset() { Value::TimeZone(t.offset_seconds) } else { Value::Null })
        }
        Value::Temporal(t) => {
            Ok(time::field(t, key).map_or(Value::Null, |n| Value::Number(BigDecimal::from(n))))
        }
        Value::Period(p) => Ok(period::field(p, key)),
        other => Err(call_error(
            "Value Selector",
            &[describe(other), format!("Name (\"{key}\")")],
            &[
                "(Array, Name)",
                "(Array, String)",
                "(Date, Name)",
                "(DateTime, Name)",
                "(LocalDateTime, Name)",
                "(LocalTime, Name)",
                "(Object, Name)",
                "(Object, String)",
                "(Period, Name)",
                "(Time, Name)",
            ],
        )),
    }
}

/// `.*key`: every value with that key.
fn select_multi(value: &Value, key: &str) -> Result<Value, String> {
    let mut found = Vec::new();
    match value {
        Value::Object(pairs) => {
            found.extend(pairs.iter().filter(|(k, _)| &**k == key).map(|(_, v)| v.clone()))
        }
        Value::Array(items) => {
            for item in items.iter() {
                if let Value::Object(pairs) = item {
                    found.extend(pairs.iter().filter(|(k, _)| &**k == key).map(|(_, v)| v.clone()));
                }
            }
        }
        Value::Null => {}
        other => {
            return Err(call_error(
                "MultiValue Selector (.*)",
                &[describe(other), format!("Name (\"{key}\")")],
                &["(Array, Name)", "(Object, Name)"],
            ));
        }
    }
    Ok(if found.is_empty() { Value::Null } else { Value::array(found) })
}

/// `..key`: every value with that key at any depth, parents before children; only arrays and
/// objects have descendants.
fn select_descendants(value: &Value, key: &str) -> Result<Found, String> {
    fn walk(value: &Value, key: &str, found: &mut Vec<Value>) {
        match value {
            Value::Object(pairs) => {
                // Only the first value with the key, as `.key` would select it.
                found.extend(pairs.iter().find(|(k, _)| &**k == key).map(|(_, v)| v.clone()));
                for (_, child) in pairs.iter() {
                    walk(child, key, found);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, key, found)),
            _ => {}
        }
    }
    if !matches!(value, Value::Array(_) | Value::Object(_)) {
        let args = [describe(value)];
        return Err(call_error("Descendants Selector ..", &args, &["(Array)", "(Object)"]));
    }
    let mut found = Vec::new();
    walk(value, key, &mut found);
    Ok(if found.is_empty() {
        Found::Nothing(key.into(), Loc::default())
    } else {
        Found::Value(Value::array(found))
    })
}

/// `..*key` (every value with that key at any depth) and `..` (every value at any depth),
/// parents before children.
fn select_all_descendants(value: &Value, key: Option<&str>) -> Result<Value, String> {
    fn walk(value: &Value, key: Option<&str>, found: &mut Vec<Value>) {
        match value {
            Value::Object(pairs) => {
                for (k, child) in pairs.iter() {
                    if key.is_none_or(|key| &**k == key) {
                        found.push(child.clone());
                    }
                    if key.is_none() {
                        walk(child, key, found);
                    }
                }
                if key.is_some() {
                    pairs.iter().for_each(|(_, child)| walk(child, key, found));
                }
            }
            Value::Array(items) => {
                for item in items.iter() {
                    if key.is_none() {
                        found.push(item.clone());
                    }
                    walk(item, key, found);
                }
            }
            _ => {}
        }
    }
    if !matches!(value, Value::Array(_) | Value::Object(_)) {
        let args = [describe(value)];
        return Err(call_error("Descendants Selector ..", &args, &["(Array)", "(Object)"]));
    }
    let mut found = Vec::new();
    walk(value, key, &mut found);
    Ok(Value::array(found))
}

/// An array of what a selector found: empty stands for nothing found.
fn found_unless_empty(value: Value, key: &str) -> Found {
    match &value {
        Value::Array(items) if items.is_empty() => Found::Nothing(key.into(), Loc::default()),
        _ => Found::Value(value),
    }
}

/// `..&key`: an object of the pairs with that key for each object at any depth that has it,
/// parents before children.
fn select_descendant_key_values(value: &Value, key: &str) -> Result<Value, String> {
    fn walk(value: &Value, key: &str, found: &mut Vec<Value>) {
        match value {
            Value::Object(pairs) => {
                let kept: Vec<(Arc<str>, Value)> =
                    pairs.iter().filter(|(k, _)| &**k == key).cloned().collect();
                if !kept.is_empty() {
                    found.push(Value::Object(Arc::new(kept)));
                }
                pairs.iter().for_each(|(_, child)| walk(child, key, found));
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, key, found)),
            _ => {}
        }
    }
    if !matches!(value, Value::Array(_) | Value::Object(_)) {
        let args = [describe(value)];
        return Err(call_error("Descendants Selector ..", &args, &["(Array)", "(Object)"]));
    }
    let mut found = Vec::new();
    walk(value, key, &mut found);
    Ok(Value::array(found))
}

/// `.&key`: the pairs with that key, as an object; on an array, one such object for each
/// object element that has the key.
fn select_key_value(value: &Value, key: &str) -> Result<Found, String> {
    let pairs_of = |pairs: &[(Arc<str>, Value)]| -> Option<Value> {
        let kept: Vec<(Arc<str>, Value)> =
            pairs.iter().filter(|(k, _)| &**k == key).cloned().collect();
        (!kept.is_empty()).then(|| Value::Object(Arc::new(kept)))
    };
    let found = match value {
        Value::Object(pairs) => pairs_of(pairs),
        Value::Array(items) => {
            let found: Vec<Value> = items
                .iter()
                .filter_map(|item| match item {
                    Value::Object(pairs) => pairs_of(pairs),
                    _ => None,
                })
                .collect();
            (!found.is_empty()).then(|| Value::array(found))
        }
        Value::Null => None,
        other => {
            return Err(call_error(
                "Object Key Filter (.&)",
                &[describe(other), format!("Name (\"{key}\")")],
                &["(Array, Name)", "(Object, Name)", "(Object, Number)", "(Object, String)"],
            ));
        }
    };
    Ok(found.map_or_else(|| Found::Nothing(key.into(), Loc::default()), Found::Value))
}

/// `[n]`: an element, a character, or the n-th value of an object; negative counts from
/// the end; out of range is nothing.
fn select_index(value: &Value, index: &BigDecimal) -> Found {
    let nothing = || {
        let len = match value {
            Value::Array(items) => items.len(),
            Value::Range(r) => usize::try_from(range::len_u64(r)).unwrap_or(usize::MAX),
            Value::Object(pairs) => pairs.len(),
            other => coerce_string(other).map_or(0, |text| utf16::units(&text).len()),
        };
        Found::Nothing(out_of_bounds(num::to_dw_string(index), len), Loc::default())
    };
    let index = index.with_scale(0).to_string().parse::<i64>().unwrap_or(i64::MAX);
    let pick = |len: usize| -> Option<usize> {
        let len = i64::try_from(len).ok()?;
        let idx = if index < 0 { len + index } else { index };
        (0..len).contains(&idx).then(|| usize::try_from(idx).ok()).flatten()
    };
    let found = match value {
        Value::Array(items) => pick(items.len()).map(|i| items[i].clone()),
        Value::Range(r) => {
            let len = usize::try_from(range::len_u64(r)).unwrap_or(usize::MAX);
            pick(len).map(|i| range::get(r, i as u64))
        }
        Value::Object(pairs) => pick(pairs.len()).map(|i| pairs[i].1.clone()),
        Value::String(_)
        | Value::Key(_)
        | Value::Type(_)
        | Value::Number(_)
        | Value::Bool(_)
        | Value::Temporal(_)
        | Value::Period(_)
        | Value::TimeZone(_) => {
            let units = utf16::units(&coerce_string(value).unwrap_or_default());
            pick(units.len()).map(|i| Value::string(utf16::to_text(&units[i..=i])))
        }
        _ => None,
    };
    found.map_or_else(nothing, Found::Value)
}

/// `[a to b]` on an array or string; `a > b` reverses; out of range is nothing.
fn select_range(value: &Value, from: i64, to: i64) -> Result<Found, String> {
    // A `!` reports the end if it is out of range, else the start, from the end when
    // negative, with the last index as the boundary, as DataWeave does.
    let nothing = || {
        let len = match value {
            Value::Array(items) => items.len(),
            Value::Range(r) => usize::try_from(range::len_u64(r)).unwrap_or(usize::MAX),
            other => coerce_string(other).map_or(0, |text| utf16::units(&text).len()),
        };
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        let norm = |i: i64| if i < 0 { len + i } else { i };
        let (a, b) = (norm(from), norm(to));
        let bad = if (0..len).contains(&b) { a } else { b };
        Found::Nothing(out_of_bounds(bad, len - 1), Loc::default())
    };
    let slice = |len: usize| -> Option<(usize, usize, bool)> {
        let len = i64::try_from(len).ok()?;
        let norm = |i: i64| if i < 0 { len + i } else { i };
        let (a, b) = (norm(from), norm(to));
        let in_range = |i: i64| (0..len).contains(&i);
        (in_range(a) && in_range(b)).then(|| (a.min(b) as usize, a.max(b) as usize, a > b))
    };
    match value {
        Value::Array(items) => Ok(slice(items.len()).map_or_else(nothing, |(a, b, reverse)| {
            let mut part = items[a..=b].to_vec();
            if reverse {
                part.reverse();
            }
            Found::Value(Value::array(part))
        })),
        Value::Range(r) => {
            let len = usize::try_from(range::len_u64(r)).unwrap_or(usize::MAX);
            match slice(len) {
                Some((a, b, reverse)) => {
                    let (from, to) = if reverse { (b, a) } else { (a, b) };
                    range::part(r, from as u64, to as u64).map(Found::Value)
                }
                None => Ok(nothing()),
            }
        }
        Value::String(_) | Value::Key(_) | Value::Type(_) | Value::Number(_) | Value::Bool(_) => {
            let units = utf16::units(&coerce_string(value).unwrap_or_default());
            Ok(slice(units.len()).map_or_else(nothing, |(a, b, reverse)| {
                let mut part = units[a..=b].to_vec();
                if reverse {
                    part.reverse();
                }
                Found::Value(Value::string(utf16::to_text(&part)))
            }))
        }
        other => {
            let range = Value::array([Value::Number(from.into()), Value::Number(to.into())]);
            let args = [describe(other), format!("Range ({})", dw_repr(&range))];
            Err(call_error("Dynamic Selector", &args, DYNAMIC_SELECTOR_COMBINATIONS))
        }
    }
}

/// The signatures of `[...]` selection, as DataWeave lists them.
const DYNAMIC_SELECTOR_COMBINATIONS: &[&str] = &[
    "(Array, Range)",
    "(Array, Number)",
    "(Array, Name)",
    "(Array, String)",
    "(Binary, Range)",
    "(Binary, Number)",
    "(Date, Name)",
    "(DateTime, Name)",
    "(LocalDateTime, Name)",
    "(LocalTime, Name)",
    "(Object, Name)",
    "(Object, Number)",
    "(Object, String)",
    "(Period, Name)",
    "(String, Range)",
    "(String, Number)",
    "(Time, Name)",
];

fn as_index(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.with_scale(0).to_string().parse().ok(),
        _ => None,
    }
}

/// `==`: same type and value; numbers compare by value (`1 == 1.0`).
pub(crate) fn dw_equal(lhs: &Value, rhs: &Value) -> bool {
    match (lhs, rhs) {
        // DataWeave never finds functions equal, not even a function with itself.
        (Value::Function(_), _) | (_, Value::Function(_)) => false,
        (Value::Number(a), Value::Number(b)) => a == b,
        // The same kind at the same instant: `|10:00Z| == |11:00+01:00|`, but a DateTime is
        // never equal to a LocalDateTime.
        (Value::Temporal(a), Value::Temporal(b)) => {
            a.kind == b.kind && time::compare(a, b) == Some(Ordering::Equal)
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| dw_equal(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter().zip(b.iter()).all(|((ka, va), (kb, vb))| ka == kb && dw_equal(va, vb))
        }
        // Two ranges are equal when their bounds are (`(1 to 3) == (1 to 3.5)` is false); a
        // range never equals an array.
        (Value::Range(a), Value::Range(b)) => a.start == b.start && a.end == b.end,
        _ => lhs == rhs,
    }
}

/// `~=`: equal after coercing one side to the other's type.
pub(crate) fn similar(lhs: &Value, rhs: &Value) -> bool {
    if dw_equal(lhs, rhs) {
        return true;
    }
    match (lhs, rhs) {
        (Value::Number(a), other) | (other, Value::Number(a)) => {
            number_operand(other).is_some_and(|b| *a == *b)
        }
        // The String read as a Boolean, in any case (`"TRUE" ~= true`).
        (Value::Bool(b), Value::String(s)) | (Value::String(s), Value::Bool(b)) => {
            s.eq_ignore_ascii_case(if *b { "true" } else { "false" })
        }
        (Value::String(a), other) | (other, Value::String(a)) => {
            coerce_string(other).is_some_and(|b| **a == *b)
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| similar(x, y))
        }
        // Pairs in order, as for `==`, their values `~=` (`{a: 1} ~= {a: "1"}`).
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter().zip(b.iter()).all(|((ka, va), (kb, vb))| ka == kb && similar(va, vb))
        }
        // A range is like the array of its elements, though never equal to it.
        (Value::Range(r), Value::Array(items)) | (Value::Array(items), Value::Range(r)) => {
            range::len_u64(r) == items.len() as u64
                && items
                    .iter()
                    .enumerate()
                    .all(|(idx, item)| similar(&range::get(r, idx as u64), item))
        }
        // Either side as the other's kind: `|2024-01-05| ~= |2024-01-05T10:00:00Z|` either
        // way round (the date-time as a Date).
        (Value::Temporal(_), Value::Temporal(_)) => {
            let as_kind_of = |value: &Value, other: &Value| {
                coerce::coerce_as(value.clone(), type_name(other), None)
                    .is_ok_and(|value| dw_equal(&value, other))
            };
            as_kind_of(rhs, lhs) || as_kind_of(lhs, rhs)
        }
        _ => false,
    }
}

/// Orders the operands of `< > <= >=`, which DataWeave coerces where `orderBy` does not: a
/// Date is compared with a date-time as its midnight (in UTC, as with `as DateTime`); see
/// also [`as_other_operand`].
fn compare_operands(lhs: &Value, rhs: &Value) -> EResult<Ordering> {
    match (lhs, rhs) {
        (Value::Temporal(a), Value::Temporal(b)) if a.has_date() && b.has_date() => {
            Ok(time::compare_instants(a, b))
        }
        _ => compare(lhs, rhs),
    }
}

/// An operand of `< > <= >=` as the other operand reads it: a String compared with a date or
/// time is coerced to that type, failing at the String (`|2024-01-05| > "x"`).
fn as_other_operand(value: Value, other: &Value, loc: Loc) -> EResult<Value> {
    match (&value, other) {
        (Value::String(_), Value::Temporal(_)) => coerce_as(value, type_name(other), None, loc),
        _ => Ok(value),
    }
}

/// Orders two values for `< > <= >=`; a String compared with a Number is read as a Number.
pub(crate) fn compare(lhs: &Value, rhs: &Value) -> EResult<Ordering> {
    if let (Value::Key(_), _) | (_, Value::Key(_)) = (lhs, rhs) {
        return compare(&key_as_string(lhs), &key_as_string(rhs));
    }
    let number = |value: &Value| -> EResult<BigDecimal> {
        coerce_number(value).ok_or_else(|| Fail::plain(cannot_coerce(value, "Number")))
    };
    match (lhs, rhs) {
        (Value::String(a), Value::String(b)) => Ok(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Ok(a.cmp(b)),
        // A String compared with a Boolean is read as a Boolean, as DataWeave does.
        (Value::String(_), Value::Bool(_)) | (Value::Bool(_), Value::String(_)) => {
            let boolean = |value: &Value| match value {
                Value::Bool(b) => Ok(*b),
                Value::String(s) if &**s == "true" || &**s == "false" => Ok(&**s == "true"),
                other => Err(Fail::unplaced(cannot_coerce(other, "Boolean"))),
            };
            Ok(boolean(lhs)?.cmp(&boolean(rhs)?))
        }
        (Value::Temporal(a), Value::Temporal(b)) if time::compare(a, b).is_some() => {
            Ok(time::compare(a, b).unwrap_or(Ordering::Equal))
        }
        // As java.time's ZoneOffset: the greatest offset first (`|Z| < |-08:00|`).
        (Value::TimeZone(a), Value::TimeZone(b)) => Ok(b.cmp(a)),
        (Value::Number(_) | Value::String(_), Value::Number(_) | Value::String(_)) => {
            Ok(number(lhs)?.cmp(&number(rhs)?))
        }
        // A String compared with a null, an array, an object or a type is coerced to that
        // type, which fails as a coercion (`Cannot coerce String ("a") to Array`).
        (
            Value::String(s),
            other @ (Value::Null | Value::Array(_) | Value::Object(_) | Value::Type(_)),
        )
        | (
            other @ (Value::Null | Value::Array(_) | Value::Object(_) | Value::Type(_)),
            Value::String(s),
        ) => Err(Fail::unplaced(format!(
            "Cannot coerce String ({}) to {}",
            dw_repr(&Value::String(s.clone())),
            type_name(other)
        ))),
        _ => Err(Fail::unplaced(incomparable(lhs, rhs))),
    }
}

/// DataWeave's message for two values that `<` or `orderBy` cannot order.
pub(crate) fn incomparable(lhs: &Value, rhs: &Value) -> String {
    let (lhs, rhs) = (type_name(lhs), type_name(rhs));
    if lhs == rhs {
        format!("You cannot compare a value of type :{lhs}")
    } else {
        format!("Types `{lhs}` and `{rhs}` can not be compared.")
    }
}

/// `+ - * /` on numbers (Strings that hold numbers are read as numbers), and `+`/`-` on
/// arrays and objects.
fn arithmetic(op: BinOp, left: Value, right: Value) -> Result<Value, String> {
    match (op, &left) {
        (BinOp::Add, Value::Array(items)) => {
            let mut items = items.to_vec();
            items.push(right);
            return Ok(Value::array(items));
        }
        (BinOp::Sub, Value::Array(items)) => {
            return Ok(Value::array(items.iter().filter(|item| !dw_equal(item, &right)).cloned()));
        }
        (BinOp::Sub, Value::Object(pairs)) if is_removable_key(&right) => {
            let key = coerce_string(&right).unwrap_or_default();
            let key = key.as_str();
            return Ok(Value::Object(Arc::new(
                pairs.iter().filter(|(k, _)| &**k != key).cloned().collect(),
            )));
        }
        (BinOp::Add | BinOp::Sub, _) => {
            if let Some(result) = period::arithmetic(op == BinOp::Add, &left, &right) {
                return result;
            }
        }
        _ => {}
    }
    let (Some(a), Some(b)) = (number_operand(&left), number_operand(&right)) else {
        return Err(arithmetic_error(op, left, right));
    };
    let result = match op {
        BinOp::Add => num::add(&a, &b),
        BinOp::Sub => num::subtract(&a, &b),
        BinOp::Mul => num::multiply(&a, &b),
        _ => num::divide(&a, &b).ok_or("Division by zero")?,
    };
    Ok(Value::Number(result))
}

/// Whether `object - value` takes `value` as a key: DataWeave's `(Object, Name)` and
/// `(Object, String)`, with the values a String is coerced from (`{"1": 1} - 1`,
/// `{"2020-01-01": 1} - |2020-01-01|`).
pub(crate) fn is_removable_key(value: &Value) -> bool {
    matches!(
        value,
        Value::String(_) | Value::Key(_) | Value::Number(_) | Value::Bool(_) | Value::Temporal(_)
    )
}

/// The failure of `left op right` on operands it does not take, with its overloads.
pub(crate) fn arithmetic_error(op: BinOp, left: Value, right: Value) -> String {
    const ADD: &[&str] = &[
        "(Array, Any)",
        "(Date, Period)",
        "(DateTime, Period)",
        "(LocalDateTime, Period)",
        "(LocalTime, Period)",
        "(Number, Number)",
        "(Period, DateTime)",
        "(Period, LocalDateTime)",
        "(Period, Time)",
        "(Period, Date)",
        "(Period, LocalTime)",
        "(Time, Period)",
    ];
    const SUB: &[&str] = &[
        "(Array, Any)",
        "(Date, Period)",
        "(Date, Date)",
        "(DateTime, DateTime)",
        "(DateTime, Period)",
        "(LocalDateTime, LocalDateTime)",
        "(LocalDateTime, Period)",
        "(LocalTime, Period)",
        "(LocalTime, LocalTime)",
        "(Number, Number)",
        "(Object, Name)",
        "(Object, String)",
        "(Period, DateTime)",
        "(Period, LocalDateTime)",
        "(Period, Time)",
        "(Period, Date)",
        "(Period, LocalTime)",
        "(Time, Time)",
        "(Time, Period)",
    ];
    let args = [describe(&left), describe(&right)];
    match op {
        BinOp::Add => call_error("+", &args, ADD),
        BinOp::Sub => call_error("-", &args, SUB),
        _ => typed_call_error(op.symbol(), &[left, right], &["Number", "Number"]),
    }
}

/// Reads a value as a Number where DataWeave would: numbers, and strings holding one.
/// An operand of arithmetic as a number, borrowed when it is one already.
fn number_operand(value: &Value) -> Option<std::borrow::Cow<'_, BigDecimal>> {
    match value {
        Value::Number(n) => Some(std::borrow::Cow::Borrowed(n)),
        // `|PT1H| * 2` is 7200: a period is a number of seconds (or months) here.
        Value::Period(p) => Some(std::borrow::Cow::Owned(period::as_number(p))),
        other => coerce_number(other).map(std::borrow::Cow::Owned),
    }
}

pub(crate) fn coerce_number(value: &Value) -> Option<BigDecimal> {
    match value {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) | Value::Key(s) => num::parse(s),
        _ => None,
    }
}

/// A Key as the String it holds; other values as they are.
pub(crate) fn key_as_string(value: &Value) -> Value {
    match value {
        Value::Key(key) => Value::String(key.clone()),
        other => other.clone(),
    }
}

/// Reads a value as a String where DataWeave would: strings, numbers, booleans.
pub(crate) fn coerce_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) | Value::Key(s) | Value::Type(s) => Some(String::from(&**s)),
        Value::Number(n) => Some(num::to_dw_string(n)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Binary(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::Temporal(t) => Some(time::to_iso(t)),
        Value::Period(p) => Some(period::to_iso(p)),
        Value::TimeZone(offset) => Some(zone::to_text(*offset)),
        _ => None,
    }
}

/// A scalar as writers write it: like [`coerce_string`], except that a date read with a
/// `format` is written in it.
pub(crate) fn written_string(value: &Value) -> Option<String> {
    match value {
        Value::Temporal(t) => Some(time::to_written(t)),
        other => coerce_string(other),
    }
}

/// DataWeave's name for a value's type.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Key(_) => "Key",
        Value::Type(_) => "Type",
        Value::Array(_) => "Array",
        Value::Range(_) => "Range",
        Value::Object(_) => "Object",
        Value::Binary(_) => "Binary",
        Value::Temporal(t) => time::type_name(t.kind),
        Value::Period(_) => "Period",
        Value::TimeZone(_) => "TimeZone",
        Value::Function(_) => "Function",
    }
}

/// A function as DataWeave writes it in its own notation: its parameters with their types
/// (`Any` where none is declared), and `???` for the body: `(x:Any, y:Number) -> ???`.
/// Built-in functions are written with DataWeave's parameter names `arg0`, `arg1`... of
/// their shortest form, typed `Any`.
pub(crate) fn function_notation(function: &Function) -> String {
    let Some(closure) = closure_of(function) else { return "() -> ???".to_owned() };
    let params: Vec<String> = closure
        .params
        .iter()
        .enumerate()
        .map(|(idx, param)| {
            let declared = closure.param_types.get(idx).and_then(Option::as_deref);
            format!("{param}:{}", declared.unwrap_or("Any").replace('|', " | "))
        })
        .collect();
    format!("({}) -> ???", params.join(", "))
}

/// DataWeave's failure for a function where a writer needs text (`{a: upper}` written as
/// JSON): at the function's body, or, for a built-in function, with no place in the script.
pub(crate) fn unwritable_function(function: &Function) -> Fail {
    const MESSAGE: &str = "Cannot coerce Function to String";
    match closure_of(function) {
        Some(closure) if !matches!(closure.env, Env::Builtin) => {
            Fail::at(closure.body.loc, MESSAGE)
        }
        _ => Fail::plain(format!("{MESSAGE}\nTrace:\n  at main (Unknown)")),
    }
}

/// The first function inside a value, if any.
pub(crate) fn find_function(value: &Value) -> Option<&Function> {
    // Containers are shared, so a value built by doubling (`[acc, acc]`, a hundred times)
    // holds few distinct arrays but exponentially many paths: each is searched once.
    fn search<'v>(
        value: &'v Value,
        searched: &mut std::collections::HashSet<*const ()>,
    ) -> Option<&'v Function> {
        match value {
            Value::Function(function) => Some(function),
            Value::Array(items) if searched.insert(Arc::as_ptr(items).cast()) => {
                items.iter().find_map(|item| search(item, searched))
            }
            Value::Object(pairs) if searched.insert(Arc::as_ptr(pairs).cast()) => {
                pairs.iter().find_map(|(_, v)| search(v, searched))
            }
            _ => None,
        }
    }
    search(value, &mut std::collections::HashSet::new())
}

/// `Cannot coerce String (abc) to Number`; when the target is a String, containers are
/// named without their content, as DataWeave does.
pub(crate) fn cannot_coerce(value: &Value, target: &str) -> String {
    match value {
        Value::Array(_)
        | Value::Range(_)
        | Value::Object(_)
        | Value::Binary(_)
        | Value::Function(_)
            if target == "String" =>
        {
            format!("Cannot coerce {} to {target}", type_name(value))
        }
        // Quoted where the target is a structure (`Cannot coerce String ("a") to Object`).
        Value::String(s) if target != "Object" && target != "Array" => {
            format!("Cannot coerce String ({s}) to {target}")
        }
        other => format!("Cannot coerce {} ({}) to {target}", type_name(other), dw_repr(other)),
    }
}

/// `String ("abc")`: how DataWeave lists an argument in a call error.
/// An argument as [`describe`] gives it; a function or regular expression as DataWeave
/// names its type.
fn describe_arg(arg: &Arg) -> String {
    match arg {
        Arg::Value(value) => describe(value),
        Arg::Fun(_) => "Function".to_owned(),
        Arg::Regex(_) => "Regex".to_owned(),
    }
}

pub(crate) fn describe(value: &Value) -> String {
    format!("{} ({})", type_name(value), truncate(&dw_repr(value)))
}

fn truncate(text: &str) -> String {
    const LIMIT: usize = 80;
    match text.char_indices().nth(LIMIT) {
        Some((idx, _)) => format!("{}...", &text[..idx]),
        None => text.to_owned(),
    }
}

/// A value in DataWeave's compact `application/dw` form, as error messages show it.
pub(crate) fn dw_repr(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => num::to_dw_string(n),
        Value::String(s) | Value::Key(s) | Value::Type(s) => {
            let mut out = String::new();
            json::write_string(&mut out, s);
            out
        }
        // As DataWeave writes a Binary: its bytes in base 64.
        Value::Binary(bytes) => {
            format!("\"{}\" as Binary {{base: \"64\"}}", crate::expr::modules::to_base64(bytes))
        }
        Value::Temporal(t) => match &t.format {
            Some(format) => {
                let mut quoted = String::new();
                json::write_string(&mut quoted, &format.pattern);
                let type_name = time::type_name(t.kind);
                format!("|{}| as {type_name} {{format: {quoted}}}", time::to_iso(t))
            }
            None => format!("|{}|", time::to_iso(t)),
        },
        Value::Period(p) => format!("|{}|", period::to_iso(p)),
        Value::TimeZone(offset) => format!("|{}|", zone::to_text(*offset)),
        Value::Function(function) => function_notation(function),
        Value::Array(items) => {
            format!("[{}]", items.iter().map(dw_repr).collect::<Vec<_>>().join(", "))
        }
        // A range too long to build shows its first elements only.
        Value::Range(r) => {
            let shown = range::len_u64(r).min(range::MAX_RANGE);
            let mut items: Vec<String> =
                (0..shown).map(|idx| dw_repr(&range::get(r, idx))).collect();
            if shown < range::len_u64(r) {
                items.push("...".into());
            }
            format!("[{}]", items.join(", "))
        }
        Value::Object(pairs) => {
            let pairs: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}: {}", writers::dw_key(k), dw_repr(v)))
                .collect();
            format!("{{{}}}", pairs.join(","))
        }
    }
}

/// `You called the function 'f' with these arguments: ... But it expects one of these combinations: ...`
pub(crate) fn call_error(function: &str, args: &[String], combinations: &[&str]) -> String {
    let mut out = format!("You called the function '{function}' with these arguments: \n");
    for (idx, arg) in args.iter().enumerate() {
        out.push_str(&format!("  {}: {arg}\n", idx + 1));
    }
    out.push_str("\nBut it expects one of these combinations:\n");
    let combos: Vec<String> = combinations.iter().map(|c| format!("  {c}")).collect();
    out.push_str(&combos.join("\n"));
    out
}

/// The call error of a function with a single signature: `But it expects arguments of these types: ...`.
pub(crate) fn typed_call_error(function: &str, args: &[Value], types: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(describe).collect();
    described_call_error(function, &args, types)
}

/// [`typed_call_error`] with the arguments already described (`Regex (/a/)` is no value).
pub(crate) fn described_call_error(function: &str, args: &[String], types: &[&str]) -> String {
    let mut out = format!("You called the function '{function}' with these arguments: \n");
    for (idx, arg) in args.iter().enumerate() {
        out.push_str(&format!("  {}: {arg}\n", idx + 1));
    }
    out.push_str("\nBut it expects arguments of these types:\n");
    for (idx, ty) in types.iter().enumerate() {
        out.push_str(&format!("  {}: {ty}\n", idx + 1));
    }
    out
}
