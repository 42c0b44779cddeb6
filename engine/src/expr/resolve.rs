//! Name resolution at compile time: every name a script uses must be a Mule binding, a
//! header `var`/`fun`, a lambda parameter or a built-in function.
//!
//! DataWeave rejects unknown names before running (``Unable to resolve reference of: `x`.``),
//! so flowrun does too, and the mistake is reported when the app loads.

use crate::expr::arity::{self, Arity};
use crate::expr::ast::{
    Case, Decl, Import, ImportNames, Lambda, Loc, Member, Node, NodeKind, Pattern, Script, Selector,
};
use crate::expr::parse::ParseError;
use crate::expr::{funcs, modules};

/// The names Mule puts in scope of every expression.
const MULE_BINDINGS: &[&str] =
    &["payload", "vars", "attributes", "error", "correlationId", "message", "flow", "app"];

/// The names of DataWeave's types, which need no declaration in a type (`x is Number`,
/// `fun f(a: Array<String>)`) and are values of type `Type` in an expression
/// (`typeOf(x) == Number`), as in the reference engine. `Function` is neither there.
pub(crate) const TYPE_NAMES: &[&str] = &[
    "Any",
    "Array",
    "Binary",
    "Boolean",
    "CData",
    "Comparable",
    "Date",
    "DateTime",
    "Enum",
    "Iterator",
    "Key",
    "LocalDateTime",
    "LocalTime",
    "Namespace",
    "Nothing",
    "Null",
    "Number",
    "Object",
    "Period",
    "Range",
    "Regex",
    "SimpleType",
    "String",
    "Time",
    "TimeZone",
    "Type",
    "Uri",
];

/// Whether `name` is a built-in or module function, which a script may pass by name
/// (`partition(xs, isEven)`); the resolver has checked that a module function is imported.
pub(crate) fn is_function_name(name: &str) -> bool {
    let short = name.rsplit("::").next().unwrap_or(name);
    funcs::is_builtin(short) || modules::is_module_function(short)
}

/// Mule bindings that flowrun does not provide yet; using one is a load error that says so.
const UNSUPPORTED_BINDINGS: &[&str] = &["mule", "server", "authentication", "dataType"];

/// Checks every name of `script`, where `inputs` are extra names bound by the caller and
/// `mule_bindings` tells whether Mule's names (`payload`, `vars`, ..., and `p`) are known.
pub(crate) fn check<'a>(
    script: &'a Script,
    inputs: &[&'a str],
    mule_bindings: bool,
) -> Result<(), ParseError> {
    for import in &script.imports {
        check_import(import)?;
    }
    let names = inputs.iter().map(|name| Binding { name, kind: BindingKind::Value }).collect();
    let mut resolver = Resolver { names, depth: 0, imports: &script.imports, mule_bindings };
    resolver.decls(&script.decls)?;
    resolver.node(&script.body)
}

/// An imported module must be one flowrun has, and named functions must be in it.
fn check_import(import: &Import) -> Result<(), ParseError> {
    let renames = match &import.names {
        ImportNames::Some(names) => names.iter().any(|name| name.contains(" as ")),
        _ => false,
    };
    if renames || import.module.contains(" as ") {
        let message = "renaming in `import ... as ...` is not supported by flowrun yet; import the name as it is".to_owned();
        return Err(ParseError { message, loc: import.loc });
    }
    let Some(functions) = modules::functions_of(&import.module) else {
        let message = format!("flowrun does not support module `{}` yet", import.module);
        return Err(ParseError { message, loc: import.loc });
    };
    let ImportNames::Some(names) = &import.names else { return Ok(()) };
    match names.iter().find(|name| !functions.contains(&name.as_str())) {
        Some(missing) => {
            let message = format!("flowrun's `{}` has no function `{missing}`", import.module);
            Err(ParseError { message, loc: import.loc })
        }
        None => Ok(()),
    }
}

/// How deep an expression tree may be (`1 + 1 + ...` is as deep as it is long).
const MAX_TREE_DEPTH: usize = 400;

/// The names in scope while walking the tree.
struct Resolver<'a> {
    names: Vec<Binding<'a>>,
    depth: usize,
    imports: &'a [Import],
    mule_bindings: bool,
}

/// A name in scope, and what a call of it may be checked against.
struct Binding<'a> {
    name: &'a str,
    kind: BindingKind<'a>,
}

enum BindingKind<'a> {
    /// A parameter, input or `var` whose value is not a lambda literal: calls of it are not
    /// checked.
    Value,
    /// A `var` bound to a lambda literal.
    Lambda(&'a Lambda),
    /// A `fun` of the given declarations, which all its overloads belong to.
    Fun(&'a [Decl]),
}

/// The argument counts a lambda takes: parameters with a default may be left out (DataWeave
/// fills them in from the left when they come first: `fun f(a = 1, b)` takes one argument).
fn lambda_arity(lambda: &Lambda) -> Arity {
    let n_required = lambda.defaults.iter().filter(|default| default.is_none()).count();
    Arity::range(n_required, lambda.params.len())
}

impl<'a> Resolver<'a> {
    /// True when a call to `name` reaches a function: a built-in, a declared or bound
    /// function, or an imported module function (`capitalize`, `Strings::capitalize`).
    fn is_function(&self, name: &str) -> bool {
        if self.is_bound(name) {
            return true;
        }
        if funcs::is_builtin(name) {
            // `p` reads Mule's properties.
            return self.mule_bindings || name != "p";
        }
        let (prefix, function) = match name.rsplit_once("::") {
            Some((prefix, function)) => (Some(prefix), function),
            None => (None, name),
        };
        // A module's full name reaches its functions without an import
        // (`dw::core::Strings::capitalize("a")`).
        if let Some(prefix) = prefix
            && modules::functions_of(prefix).is_some_and(|f| f.contains(&function))
        {
            return true;
        }
        self.imports.iter().any(|import| {
            let has = modules::functions_of(&import.module).is_some_and(|f| f.contains(&function));
            let short = import.module.rsplit("::").next().unwrap_or(&import.module);
            let visible = match (prefix, &import.names) {
                (Some(prefix), _) => prefix == import.module || prefix == short,
                (None, ImportNames::All) => true,
                (None, ImportNames::Some(names)) => names.iter().any(|n| n == function),
                (None, ImportNames::Qualified) => false,
            };
            has && visible
        })
    }

    fn is_bound(&self, name: &str) -> bool {
        self.names.iter().any(|binding| binding.name == name)
    }

    /// Binds plain names, such as parameters.
    fn bind_values(&mut self, names: impl IntoIterator<Item = &'a str>) {
        self.names.extend(names.into_iter().map(|name| Binding { name, kind: BindingKind::Value }));
    }

    /// Checks the number of arguments of a call of `name`, as DataWeave does before running:
    /// against the innermost function of that name, all its overloads, or the built-in.
    fn check_arity(&self, name: &str, n_args: usize, loc: Loc) -> Result<(), ParseError> {
        let binding = self.names.iter().rev().find(|binding| binding.name == name);
        let arities: Vec<Arity> = match binding.map(|binding| &binding.kind) {
            Some(BindingKind::Value) => return Ok(()),
            Some(BindingKind::Lambda(lambda)) => vec![lambda_arity(lambda)],
            Some(BindingKind::Fun(decls)) => decls
                .iter()
                .filter_map(|decl| match decl {
                    Decl::Fun { name: fun_name, lambda } if &**fun_name == name => {
                        Some(lambda_arity(lambda))
                    }
                    _ => None,
                })
                .collect(),
            None => {
                let unqualified = name.rsplit("::").next().unwrap_or(name);
                arity::of_function(unqualified).into_iter().collect()
            }
        };
        if arities.iter().any(|arity| arity.mismatch(n_args).is_none()) {
            return Ok(());
        }
        // DataWeave reports every overload; the first one is enough to see the mistake.
        match arities.first().and_then(|arity| arity.mismatch(n_args)) {
            Some(message) => Err(ParseError { message, loc }),
            None => Ok(()),
        }
    }

    /// Checks declarations in order, leaving their names in scope.
    fn decls(&mut self, decls: &'a [Decl]) -> Result<(), ParseError> {
        for decl in decls {
            match decl {
                Decl::Var { name, value } => {
                    self.node(value)?;
                    let kind = match &*value.kind {
                        NodeKind::Lambda(lambda) => BindingKind::Lambda(lambda),
                        _ => BindingKind::Value,
                    };
                    self.names.push(Binding { name, kind });
                }
                Decl::Fun { name, lambda } => {
                    // Functions may call themselves.
                    self.names.push(Binding { name, kind: BindingKind::Fun(decls) });
                    let depth = self.names.len();
                    self.bind_values(lambda.params.iter().map(|p| &**p));
                    self.node(&lambda.body)?;
                    self.names.truncate(depth);
                }
            }
        }
        Ok(())
    }

    fn node(&mut self, node: &'a Node) -> Result<(), ParseError> {
        // Evaluation recurses once per level of the tree; bound it where stacks allow.
        if self.depth >= MAX_TREE_DEPTH {
            return Err(ParseError {
                message: format!(
                    "The expression nests more than {MAX_TREE_DEPTH} operations deep here; split it with `var`s"
                ),
                loc: node.loc,
            });
        }
        self.depth += 1;
        let result = self.node_inner(node);
        self.depth -= 1;
        result
    }

    fn node_inner(&mut self, node: &'a Node) -> Result<(), ParseError> {
        match &*node.kind {
            NodeKind::Null
            | NodeKind::Bool(_)
            | NodeKind::Number(_)
            | NodeKind::Str(_)
            | NodeKind::Temporal(_)
            | NodeKind::Regex(_) => Ok(()),
            NodeKind::Name(name) => {
                let known = self.is_bound(name)
                    || (self.mule_bindings && MULE_BINDINGS.contains(&&**name))
                    || TYPE_NAMES.contains(&&**name)
                    || self.is_function(name);
                if known { Ok(()) } else { Err(self.unresolved(name, node.loc)) }
            }
            NodeKind::Interpolated(parts) => parts.iter().try_for_each(|part| self.node(part)),
            NodeKind::Array(members) | NodeKind::Object(members) => {
                members.iter().try_for_each(|member| self.member(member))
            }
            NodeKind::Select { target, selector, .. } => {
                self.node(target)?;
                match selector {
                    Selector::Dynamic(index)
                    | Selector::DynamicMulti(index)
                    | Selector::DynamicKeyValue(index) => self.node(index),
                    _ => Ok(()),
                }
            }
            NodeKind::Binary { lhs, rhs, .. } => {
                self.node(lhs)?;
                self.node(rhs)
            }
            NodeKind::Neg(inner) | NodeKind::Not(inner) | NodeKind::Is { value: inner, .. } => {
                self.node(inner)
            }
            NodeKind::If { cond, then, otherwise } => {
                self.node(cond)?;
                self.node(then)?;
                self.node(otherwise)
            }
            NodeKind::Default { value, fallback } => {
                self.node(value)?;
                self.node(fallback)
            }
            NodeKind::Call { name, name_loc, args } => {
                let known = self.is_function(name);
                if !known {
                    return Err(self.unresolved(name, *name_loc));
                }
                args.iter().try_for_each(|arg| self.node(arg))?;
                self.check_arity(name, args.len(), node.loc)
            }
            NodeKind::Apply { callee, args } => {
                self.node(callee)?;
                args.iter().try_for_each(|arg| self.node(arg))
            }
            NodeKind::As { value, props, .. } => {
                self.node(value)?;
                props.as_ref().map_or(Ok(()), |p| self.node(p))
            }
            NodeKind::Do { decls, body } => {
                let depth = self.names.len();
                let result = self.decls(decls).and_then(|()| self.node(body));
                self.names.truncate(depth);
                result
            }
            NodeKind::Match { value, cases } => {
                self.node(value)?;
                cases.iter().try_for_each(|case| self.case(case))
            }
            NodeKind::Lambda(lambda) => {
                let depth = self.names.len();
                self.bind_values(lambda.params.iter().map(|p| &**p));
                for default in lambda.defaults.iter().flatten() {
                    self.node(default)?;
                }
                let result = self.node(&lambda.body);
                self.names.truncate(depth);
                result
            }
        }
    }

    fn case(&mut self, case: &'a Case) -> Result<(), ParseError> {
        let depth = self.names.len();
        self.bind_values(["$"]);
        let bind = match &case.pattern {
            Pattern::Equals { bind, value } => {
                self.node(value)?;
                bind.as_deref()
            }
            Pattern::Is { bind, .. } | Pattern::Any { bind } => bind.as_deref(),
            Pattern::Guard { bind, .. } | Pattern::Matches { bind, .. } => Some(&**bind),
        };
        self.bind_values(bind);
        let mut result = self.node(&case.body);
        if let (Ok(()), Pattern::Guard { cond, .. }) = (&result, &case.pattern) {
            result = self.node(cond);
        }
        self.names.truncate(depth);
        result
    }

    fn member(&mut self, member: &'a Member) -> Result<(), ParseError> {
        match member {
            Member::Item(node) | Member::Spread(node) => self.node(node),
            Member::Pair { key, value } => {
                self.node(key)?;
                self.node(value)
            }
            Member::Conditional { member, cond } => {
                self.member(member)?;
                self.node(cond)
            }
        }
    }
}

impl Resolver<'_> {
    fn unresolved(&self, name: &str, loc: Loc) -> ParseError {
        if self.mule_bindings && UNSUPPORTED_BINDINGS.contains(&name) {
            let message = format!("`{name}` is not supported by flowrun yet");
            return ParseError { message, loc };
        }
        ParseError { message: format!("Unable to resolve reference of: `{name}`."), loc }
    }
}
