//! The syntax tree the [parser](super::parse) builds and the [evaluator](super::eval) walks.
//!
//! Every node carries the byte range of its source text (relative to the script start), so
//! that run-time errors can quote the script the way DataWeave does.

use std::sync::{Arc, OnceLock};

use bigdecimal::BigDecimal;

use crate::value::{MediaType, Value};

/// A byte range inside the script text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Loc {
    /// Offset of the first byte.
    pub(crate) start: usize,
    /// Offset one past the last byte.
    pub(crate) end: usize,
}

impl Loc {
    /// The range from the start of `self` to the end of `other`.
    pub(crate) fn to(self, other: Loc) -> Loc {
        Loc { start: self.start, end: other.end.max(self.start) }
    }
}

/// A whole script: header directives and one body expression.
#[derive(Clone, Debug)]
pub(crate) struct Script {
    /// The `output` directive, if any.
    pub(crate) output: Option<Output>,
    /// `var` and `fun` declarations.
    pub(crate) decls: Decls,
    /// `import` directives.
    pub(crate) imports: Vec<Import>,
    /// `input` directives: the media type each named input is read as.
    pub(crate) inputs: Vec<InputDirective>,
    /// The body.
    pub(crate) body: Node,
}

/// `input <name> <mime> [name=value ...]`: read the input `name` as `mime` says, with the
/// reader properties as the media type's parameters, whatever media type it came with.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct InputDirective {
    /// The input's name (`payload`).
    pub(crate) name: Arc<str>,
    /// The media type to read it as, with the reader properties as parameters.
    pub(crate) media_type: MediaType,
    /// Where the directive is.
    pub(crate) loc: Loc,
}

/// `output <mime> [name=value ...]`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Output {
    /// The media type as written, with short ids (`json`) already expanded.
    pub(crate) mime: String,
    /// The media type written before `with` (`output application/problem+json with json`),
    /// whose writer is then `mime`'s.
    pub(crate) declared: Option<String>,
    /// Writer properties such as `indent=false`.
    pub(crate) props: Vec<(String, String)>,
    /// Where the directive is.
    pub(crate) loc: Loc,
    /// Where the media type (or short id) is written.
    pub(crate) mime_loc: Loc,
}

/// `import * from dw::core::Strings`, `import a, b from m` or `import m`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Import {
    /// The module path, such as `dw::core::Strings`.
    pub(crate) module: String,
    /// Which names become usable without qualification.
    pub(crate) names: ImportNames,
    /// Where each name of `import a, b from m` is, in order (empty for the other forms).
    pub(crate) name_locs: Vec<Loc>,
    /// Where the module's name is.
    pub(crate) module_loc: Loc,
    /// Where the directive is.
    pub(crate) loc: Loc,
}

/// What an `import` brings in unqualified.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ImportNames {
    /// `import * from m`.
    All,
    /// `import a, b from m`.
    Some(Vec<String>),
    /// `import m`: only `m::f` (or `Last::f`) names.
    Qualified,
}

/// The `var` and `fun` declarations of a header or a `do` block, as written, and the order
/// their values are computed in.
///
/// Every declaration sees every other one of its group, as in DataWeave: a `fun` may call
/// one declared below it, and `var a = b + 1` may come before `var b = 1`. The resolver
/// works out the order ([`Decls::evaluation_order`]) when the script loads.
#[derive(Clone, Debug, Default)]
pub(crate) struct Decls {
    list: Vec<Decl>,
    /// Indexes into `list`; set once by the resolver.
    order: OnceLock<Box<[u32]>>,
}

impl Decls {
    /// The order in which the declarations' values are computed: functions as written,
    /// then each `var` after the `var`s it reads, directly or through functions. Before
    /// the resolver has run, the order as written.
    pub(crate) fn evaluation_order(&self) -> impl Iterator<Item = usize> + '_ {
        let order = self.order.get().map(|order| order.iter().map(|&i| i as usize));
        let written = order.is_none().then_some(0..self.list.len());
        order.into_iter().flatten().chain(written.into_iter().flatten())
    }

    /// Records the order the resolver worked out; a second call changes nothing.
    pub(crate) fn set_order(&self, order: Box<[u32]>) {
        let _ = self.order.set(order);
    }
}

impl From<Vec<Decl>> for Decls {
    fn from(list: Vec<Decl>) -> Decls {
        Decls { list, order: OnceLock::new() }
    }
}

impl std::ops::Deref for Decls {
    type Target = Vec<Decl>;

    fn deref(&self) -> &Vec<Decl> {
        &self.list
    }
}

impl std::ops::DerefMut for Decls {
    fn deref_mut(&mut self) -> &mut Vec<Decl> {
        &mut self.list
    }
}

/// A header declaration.
#[derive(Clone, Debug)]
pub(crate) enum Decl {
    /// `var name = value`.
    Var {
        /// The name.
        name: Arc<str>,
        /// The value expression.
        value: Node,
    },
    /// `fun name(params) = body`.
    Fun {
        /// The name.
        name: Arc<str>,
        /// The function itself, as a lambda.
        lambda: Arc<Lambda>,
    },
}

impl Decl {
    /// The name declared.
    pub(crate) fn name(&self) -> &Arc<str> {
        match self {
            Decl::Var { name, .. } | Decl::Fun { name, .. } => name,
        }
    }

    /// Whether binding the declaration computes nothing: a `fun`, or a `var` bound to a
    /// lambda written out.
    pub(crate) fn is_function(&self) -> bool {
        match self {
            Decl::Fun { .. } => true,
            Decl::Var { value, .. } => matches!(*value.kind, NodeKind::Lambda(_)),
        }
    }
}

/// A function literal: `(a, b) -> body`, or an implicit `$` lambda.
#[derive(Clone, Debug)]
pub(crate) struct Lambda {
    /// Parameter names; an implicit lambda has `$`, `$$`, `$$$`.
    pub(crate) params: Vec<Arc<str>>,
    /// Defaults of leading or trailing parameters, by position.
    pub(crate) defaults: Vec<Option<Node>>,
    /// The declared types of the parameters, by position, where `is` can test them
    /// (`String`, `String|Number`); overloads of a `fun` are chosen by them.
    pub(crate) param_types: Vec<Option<Arc<str>>>,
    /// The body.
    pub(crate) body: Node,
    /// Declared by `fun`: only a call of such a function by its name may replace the
    /// current call (a tail call), as in DataWeave.
    pub(crate) is_fun: bool,
}

impl Lambda {
    /// How many leading parameters take their default when `n_args` arguments are given.
    /// Defaults come first or last (the parser checks); when they come first, DataWeave fills
    /// them in from the left and the arguments go to the last parameters (`fun f(a = 1, b)`
    /// called with `5` binds `b`).
    pub(crate) fn n_head_defaults(&self, n_args: usize) -> usize {
        if self.defaults.first().is_some_and(Option::is_some) {
            self.params.len().saturating_sub(n_args)
        } else {
            0
        }
    }
}

/// An expression with its place in the script.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    /// What the expression is.
    pub(crate) kind: Box<NodeKind>,
    /// Its source range.
    pub(crate) loc: Loc,
}

impl Node {
    /// A node of `kind` at `loc`.
    pub(crate) fn new(kind: NodeKind, loc: Loc) -> Node {
        Node { kind: Box::new(kind), loc }
    }

    /// Whether evaluating this node may read the name `name`. Conservative: true for the
    /// kinds of node it does not look into (lambdas, `do` blocks, `match`), so a false
    /// answer is certain.
    pub(crate) fn may_read(&self, name: &str) -> bool {
        let member_reads = |member: &Member| -> bool {
            match member {
                Member::Item(node) | Member::Spread(node) => node.may_read(name),
                Member::Pair { key, value } => key.may_read(name) || value.may_read(name),
                Member::Conditional { .. } => true,
            }
        };
        match &*self.kind {
            NodeKind::Null
            | NodeKind::Bool(_)
            | NodeKind::Number(_)
            | NodeKind::Temporal(_)
            | NodeKind::Regex(_)
            | NodeKind::Str(_) => false,
            NodeKind::Name(used) => &**used == name,
            NodeKind::Interpolated(parts) => parts.iter().any(|part| part.may_read(name)),
            NodeKind::Array(members) | NodeKind::Object(members) => {
                members.iter().any(member_reads)
            }
            NodeKind::Select { target, selector, .. } => {
                target.may_read(name)
                    || match selector {
                        Selector::Interpolated { .. } => false,
                        selector => selector.index_node().is_some_and(|node| node.may_read(name)),
                    }
            }
            NodeKind::Binary { lhs, rhs, .. } => lhs.may_read(name) || rhs.may_read(name),
            NodeKind::Neg(node) | NodeKind::Not(node) => node.may_read(name),
            NodeKind::If { cond, then, otherwise } => {
                cond.may_read(name) || then.may_read(name) || otherwise.may_read(name)
            }
            NodeKind::Default { value, fallback } => {
                value.may_read(name) || fallback.may_read(name)
            }
            NodeKind::Call { name: called, args, .. } => {
                &**called == name || args.iter().any(|arg| arg.may_read(name))
            }
            NodeKind::As { value, props, .. } => {
                value.may_read(name) || props.as_ref().is_some_and(|props| props.may_read(name))
            }
            NodeKind::Is { value, .. } => value.may_read(name),
            NodeKind::Do { .. }
            | NodeKind::Match { .. }
            | NodeKind::Lambda(_)
            | NodeKind::Apply { .. } => true,
        }
    }
}

/// The kinds of expression.
#[derive(Clone, Debug)]
pub(crate) enum NodeKind {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number literal.
    Number(BigDecimal),
    /// A date, time or period literal (a [`crate::value::Value::Temporal`] or
    /// [`crate::value::Value::Period`]).
    Temporal(Value),
    /// A regular expression literal, compiled when the script is.
    Regex(Arc<crate::expr::java_regex::Regex>),
    /// A string literal without interpolation.
    Str(Arc<str>),
    /// A string with `$(...)` parts, joined at run time.
    Interpolated(Vec<Node>),
    /// A reference to a name: `payload`, a variable, a parameter, `$`.
    Name(Arc<str>),
    /// `[a, b, ...]`.
    Array(Vec<Member>),
    /// `{k: v, ...}`.
    Object(Vec<Member>),
    /// A selector applied to a value.
    Select {
        /// The value selected from.
        target: Node,
        /// What is selected.
        selector: Selector,
        /// The target is the previous selector of the same chain (`a.b` in `a.b.c`, not in
        /// `(a.b).c`): when it finds nothing, the whole chain is null without this
        /// selector running, as in DataWeave (`payload.missing..k` is null, while `..k` of
        /// a present null fails).
        chained: bool,
    },
    /// A built-in operator with two operands.
    Binary {
        /// The operator.
        op: BinOp,
        /// Left operand.
        lhs: Node,
        /// Right operand.
        rhs: Node,
    },
    /// `-x`.
    Neg(Node),
    /// `!x` or `not x`.
    Not(Node),
    /// `if (cond) then else otherwise`.
    If {
        /// The condition.
        cond: Node,
        /// Value when true.
        then: Node,
        /// Value when false.
        otherwise: Node,
    },
    /// `a default b`.
    Default {
        /// The preferred value.
        value: Node,
        /// Used when `value` is null.
        fallback: Node,
    },
    /// A function call, prefix `f(a, b)` or infix `a f b`.
    Call {
        /// The function's name.
        name: Arc<str>,
        /// Where the name is written, which errors point at.
        name_loc: Loc,
        /// Arguments.
        args: Vec<Node>,
    },
    /// `x as Type {props}`.
    As {
        /// The value coerced.
        value: Node,
        /// The target type's name.
        type_name: Arc<str>,
        /// The `{...}` properties, if given.
        props: Option<Node>,
    },
    /// `do { decls --- body }` or `using (a = 1) body`: local declarations.
    Do {
        /// The declarations.
        decls: Decls,
        /// The body.
        body: Node,
    },
    /// `value match { case ... }`.
    Match {
        /// The value matched.
        value: Node,
        /// The cases, tried in order.
        cases: Vec<Case>,
    },
    /// `x is Type`.
    Is {
        /// The value tested.
        value: Node,
        /// The type's name.
        type_name: Arc<str>,
    },
    /// A function literal.
    Lambda(Arc<Lambda>),
    /// A call of anything but a name: `f(1)(2)`, `fns.inc(1)`, `((x) -> x + 1)(2)`.
    Apply {
        /// What gives the function called.
        callee: Node,
        /// Arguments.
        args: Vec<Node>,
    },
}

/// One `case pattern -> body` of a `match`.
#[derive(Clone, Debug)]
pub(crate) struct Case {
    /// What the value must look like.
    pub(crate) pattern: Pattern,
    /// The result when it does.
    pub(crate) body: Node,
}

/// A `match` pattern. Every pattern binds the matched value to `$` as well.
#[derive(Clone, Debug)]
pub(crate) enum Pattern {
    /// `case "lit"` or `case name: "lit"`: equal to a value.
    Equals {
        /// The name the value is bound to.
        bind: Option<Arc<str>>,
        /// The value compared with `==`.
        value: Node,
    },
    /// `case is Type` or `case name is Type`.
    Is {
        /// The name the value is bound to.
        bind: Option<Arc<str>>,
        /// The type's name.
        type_name: Arc<str>,
    },
    /// `case name matches /re/`: the regex matches the whole text; the name is bound to the
    /// match and its groups.
    Matches {
        /// The name the groups are bound to: `$` in `case matches /re/`.
        bind: Arc<str>,
        /// The expression.
        regex: Arc<crate::expr::java_regex::Regex>,
    },
    /// `case name if cond`.
    Guard {
        /// The name the value is bound to.
        bind: Arc<str>,
        /// The condition.
        cond: Node,
    },
    /// `case name` or `else`: anything.
    Any {
        /// The name the value is bound to (`else` binds only `$`).
        bind: Option<Arc<str>>,
    },
}

/// An element of an array or object literal.
#[derive(Clone, Debug)]
pub(crate) enum Member {
    /// A value (arrays) or a key-value pair (objects).
    Item(Node),
    /// `key: value` inside an object.
    Pair {
        /// The key: a string literal or `(expr)`.
        key: Node,
        /// The value.
        value: Node,
    },
    /// `(expr)` inside an object: the pairs of an object or of an array of objects.
    Spread(Node),
    /// `(member) if cond`.
    Conditional {
        /// The member kept when `cond` is true.
        member: Box<Member>,
        /// The condition.
        cond: Node,
    },
}

/// What a selector picks.
#[derive(Clone, Debug)]
pub(crate) enum Selector {
    /// `.name`, `."name"`, `.'name'`.
    Key(Arc<str>),
    /// `.*name`.
    MultiKey(Arc<str>),
    /// `..name`: the first value named so in each object at any depth.
    Descendants(Arc<str>),
    /// `..*name`: every value named so at any depth.
    MultiDescendants(Arc<str>),
    /// `..` alone: every value at any depth, parents before children.
    AllDescendants,
    /// `.&name`: the pairs with that key, as an object.
    KeyValue(Arc<str>),
    /// `..&name`: `.&name` of each object at any depth that has the key.
    DescendantKeyValues(Arc<str>),
    /// `[*(expr)]`: `.*name` with the name computed.
    DynamicMulti(Node),
    /// `[&(expr)]`: `.&name` with the name computed.
    DynamicKeyValue(Node),
    /// `[expr]`: an index (number), a key (string) or a range (`a to b`).
    Dynamic(Node),
    /// `name?`: whether the key is present.
    Exists(Arc<str>),
    /// `name!`: the key's value; its absence is an error.
    Required(Arc<str>),
    /// Any other selector followed by `!` (`[1]!`, `["k"]!`, `.*k!`, `[0 to 1]!`): what it
    /// finds, where finding nothing is an error, as is selecting from null.
    Strict(Box<Selector>),
    /// `.^name`: metadata of an input (`payload.^mediaType`) or the format a value was
    /// read with (`.^format`); `.^` alone gives all of it as an object.
    Metadata(Option<Arc<str>>),
    /// A name selector whose name is an interpolated string (`."$(key)"`, `.*"a$(n)"`,
    /// `."$(key)"?`): `form` is the selector it becomes once `name` gives the name (its own
    /// name is empty).
    Interpolated {
        /// The interpolated string.
        name: Node,
        /// The selector the name goes into.
        form: Box<Selector>,
    },
}

impl Selector {
    /// The expression a selector computes its index, key or name from, if any.
    pub(crate) fn index_node(&self) -> Option<&Node> {
        match self {
            Selector::Dynamic(node)
            | Selector::DynamicMulti(node)
            | Selector::DynamicKeyValue(node)
            | Selector::Interpolated { name: node, .. } => Some(node),
            Selector::Strict(inner) => inner.index_node(),
            _ => None,
        }
    }

    /// This name selector with `key` as its name; other selectors stay as they are.
    pub(crate) fn named(&self, key: Arc<str>) -> Selector {
        match self {
            Selector::Key(_) => Selector::Key(key),
            Selector::MultiKey(_) => Selector::MultiKey(key),
            Selector::Descendants(_) => Selector::Descendants(key),
            Selector::MultiDescendants(_) => Selector::MultiDescendants(key),
            Selector::KeyValue(_) => Selector::KeyValue(key),
            Selector::DescendantKeyValues(_) => Selector::DescendantKeyValues(key),
            Selector::Exists(_) => Selector::Exists(key),
            Selector::Required(_) => Selector::Required(key),
            Selector::Metadata(_) => Selector::Metadata(Some(key)),
            Selector::Strict(inner) => Selector::Strict(Box::new(inner.named(key))),
            other => other.clone(),
        }
    }
}

/// The built-in binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `<<`: an array with a value appended.
    Append,
    /// `>>`: a value prepended to an array.
    Prepend,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `<`.
    Lt,
    /// `>`.
    Gt,
    /// `<=`.
    Le,
    /// `>=`.
    Ge,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `~=`.
    Similar,
    /// `and`.
    And,
    /// `or`.
    Or,
}

impl BinOp {
    /// The operator as written.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Append => "<<",
            BinOp::Prepend => ">>",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Lt => "<",
            BinOp::Gt => ">",
            BinOp::Le => "<=",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Similar => "~=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}
