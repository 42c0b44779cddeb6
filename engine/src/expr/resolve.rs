//! Name resolution at compile time: every name a script uses must be a Mule binding, a
//! header `var`/`fun`, a lambda parameter or a built-in function.
//!
//! DataWeave rejects unknown names before running (``Unable to resolve reference of: `x`.``),
//! so flowrun does too, and the mistake is reported when the app loads.

use crate::expr::arity::{self, Arity};
use crate::expr::ast::{
    Case, Decl, Decls, Import, ImportNames, Lambda, Loc, Member, Node, NodeKind, Pattern, Script,
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
    let names =
        inputs.iter().map(|name| Binding { name, kind: BindingKind::Value, decl: None }).collect();
    let mut resolver = Resolver {
        names,
        depth: 0,
        imports: &script.imports,
        mule_bindings,
        groups: Vec::new(),
        inside: Vec::new(),
    };
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
        return Err(ParseError { message, loc: import.module_loc });
    };
    let ImportNames::Some(names) = &import.names else { return Ok(()) };
    let at = |idx: usize| import.name_locs.get(idx).copied().unwrap_or(import.loc);
    // A name DataWeave's module lacks is DataWeave's own error, at the name, and comes
    // first; then a name it has that flowrun's module lacks.
    let unknown = names.iter().position(|name| !modules::dataweave_has(&import.module, name));
    if let Some(idx) = unknown {
        let message = format!("Unable to resolve reference of: `{}`.", names[idx]);
        return Err(ParseError { message, loc: at(idx) });
    }
    match names.iter().position(|name| !functions.contains(&name.as_str())) {
        Some(idx) => {
            let message = format!("flowrun's `{}` has no function `{}`", import.module, names[idx]);
            Err(ParseError { message, loc: at(idx) })
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
    /// The groups of declarations (headers and `do` blocks) seen so far, by number.
    groups: Vec<Group<'a>>,
    /// The declarations whose values are being checked, innermost last: which group and
    /// which of its declarations.
    inside: Vec<(usize, usize)>,
}

/// A group of declarations, and which of them each one uses.
struct Group<'a> {
    decls: &'a Decls,
    /// For each declaration, the declarations of the group it names, with where.
    uses: Vec<Vec<(usize, Loc)>>,
}

/// A name in scope, and what a call of it may be checked against.
struct Binding<'a> {
    name: &'a str,
    kind: BindingKind<'a>,
    /// For a declaration: its group and place in it.
    decl: Option<(usize, usize)>,
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
        let flowrun_has = |module: &str, function: &str| {
            modules::functions_of(module).is_some_and(|f| f.contains(&function))
        };
        self.module_reached(name, flowrun_has).is_some()
    }

    /// The module whose function `name` reaches, `has` telling which functions a module
    /// has: by the module's full name without an import (`dw::core::Strings::capitalize`),
    /// or through an import (`capitalize`, `Strings::capitalize`).
    fn module_reached<'s>(
        &'s self,
        name: &'s str,
        has: impl Fn(&str, &str) -> bool,
    ) -> Option<&'s str> {
        let (prefix, function) = match name.rsplit_once("::") {
            Some((prefix, function)) => (Some(prefix), function),
            None => (None, name),
        };
        if let Some(prefix) = prefix
            && modules::functions_of(prefix).is_some()
            && has(prefix, function)
        {
            return Some(prefix);
        }
        self.imports.iter().find_map(|import| {
            let module = import.module.as_str();
            let short = module.rsplit("::").next().unwrap_or(module);
            let visible = match (prefix, &import.names) {
                (Some(prefix), _) => prefix == module || prefix == short,
                (None, ImportNames::All) => true,
                (None, ImportNames::Some(names)) => names.iter().any(|n| n == function),
                (None, ImportNames::Qualified) => false,
            };
            (visible && has(module, function)).then_some(module)
        })
    }

    fn is_bound(&self, name: &str) -> bool {
        self.names.iter().any(|binding| binding.name == name)
    }

    /// Binds plain names, such as parameters.
    fn bind_values(&mut self, names: impl IntoIterator<Item = &'a str>) {
        self.names.extend(names.into_iter().map(|name| Binding {
            name,
            kind: BindingKind::Value,
            decl: None,
        }));
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
    /// Checks a group of declarations. Each sees all the others, as in DataWeave, so every
    /// name is bound before any value is checked; then the order the values are computed
    /// in is worked out from what each one uses.
    fn decls(&mut self, decls: &'a Decls) -> Result<(), ParseError> {
        let group = self.groups.len();
        self.groups.push(Group { decls, uses: vec![Vec::new(); decls.len()] });
        for (index, decl) in decls.iter().enumerate() {
            let kind = match decl {
                Decl::Var { value, .. } => match &*value.kind {
                    NodeKind::Lambda(lambda) => BindingKind::Lambda(lambda),
                    _ => BindingKind::Value,
                },
                Decl::Fun { .. } => BindingKind::Fun(decls),
            };
            self.names.push(Binding { name: decl.name(), kind, decl: Some((group, index)) });
        }
        for (index, decl) in decls.iter().enumerate() {
            self.inside.push((group, index));
            let checked = match decl {
                Decl::Var { value, .. } => self.node(value),
                Decl::Fun { lambda, .. } => {
                    let depth = self.names.len();
                    self.bind_values(lambda.params.iter().map(|p| &**p));
                    let checked = self.node(&lambda.body);
                    self.names.truncate(depth);
                    checked
                }
            };
            self.inside.pop();
            checked?;
        }
        let order = evaluation_order(&self.groups[group])?;
        decls.set_order(order);
        Ok(())
    }

    /// Notes that `name` is used at `loc`: when it names a declaration and the use is
    /// inside a declaration of the same group, the one depends on the other.
    fn note_use(&mut self, name: &str, loc: Loc) {
        let binding = self.names.iter().rev().find(|binding| binding.name == name);
        let Some((group, _)) = binding.and_then(|binding| binding.decl) else { return };
        let Some(&(_, user)) = self.inside.iter().rev().find(|(g, _)| *g == group) else {
            return;
        };
        let Group { decls, uses } = &mut self.groups[group];
        // All overloads of a `fun`.
        for (index, decl) in decls.iter().enumerate() {
            if &**decl.name() == name {
                uses[user].push((index, loc));
            }
        }
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
                self.note_use(name, node.loc);
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
                match selector.index_node() {
                    Some(index) => self.node(index),
                    None => Ok(()),
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
                self.note_use(name, *name_loc);
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

/// The order in which a group's declarations are computed (see [`Decls::evaluation_order`]):
/// functions as written, as binding one computes nothing; then every `var` after the `var`s
/// it uses, directly or through the functions it calls. A `var` whose value needs itself is
/// an error, worded as DataWeave words it when it runs into one.
fn evaluation_order(group: &Group<'_>) -> Result<Box<[u32]>, ParseError> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Visiting,
        Done,
    }
    struct Walk<'g, 'a> {
        group: &'g Group<'a>,
        state: Vec<State>,
        /// The declarations being visited, each with the place that led to it.
        path: Vec<(usize, Loc)>,
        order: Vec<u32>,
    }
    impl Walk<'_, '_> {
        fn visit(&mut self, index: usize, loc: Loc) -> Result<(), ParseError> {
            match self.state[index] {
                State::Done => return Ok(()),
                State::Visiting => {
                    // A cycle: through functions alone it is recursion, which is fine.
                    let start = self.path.iter().position(|(i, _)| *i == index).unwrap_or(0);
                    let cycle = &self.path[start..];
                    if cycle.iter().all(|(i, _)| self.group.decls[*i].is_function()) {
                        return Ok(());
                    }
                    let (named, loc) = cycle.get(1).copied().unwrap_or((index, loc));
                    let name = self.group.decls[named].name();
                    let message = format!("There is no variable named '{name}'");
                    return Err(ParseError { message, loc });
                }
                State::New => {}
            }
            // Each step is a declaration that names the next one further down; bound the
            // walk as the tree's depth is bounded.
            if self.path.len() >= MAX_TREE_DEPTH {
                let message = format!(
                    "The declarations here name each other more than {MAX_TREE_DEPTH} deep; declare them in the order they are used"
                );
                return Err(ParseError { message, loc });
            }
            self.state[index] = State::Visiting;
            self.path.push((index, loc));
            for &(used, loc) in &self.group.uses[index] {
                self.visit(used, loc)?;
            }
            self.path.pop();
            self.state[index] = State::Done;
            if !self.group.decls[index].is_function() {
                self.order.push(index as u32);
            }
            Ok(())
        }
    }
    let decls = group.decls;
    let mut walk = Walk {
        group,
        state: vec![State::New; decls.len()],
        path: Vec::new(),
        order: (0..decls.len()).filter(|&i| decls[i].is_function()).map(|i| i as u32).collect(),
    };
    for (index, decl) in decls.iter().enumerate() {
        if !decl.is_function() {
            let loc = match decl {
                Decl::Var { value, .. } => value.loc,
                Decl::Fun { lambda, .. } => lambda.body.loc,
            };
            walk.visit(index, loc)?;
        }
    }
    Ok(walk.order.into_boxed_slice())
}

impl Resolver<'_> {
    fn unresolved(&self, name: &str, loc: Loc) -> ParseError {
        if self.mule_bindings && UNSUPPORTED_BINDINGS.contains(&name) {
            let message = format!("`{name}` is not supported by flowrun yet");
            return ParseError { message, loc };
        }
        // A function of DataWeave's module that flowrun's lacks (`toUri` after `import *
        // from dw::util::Coercions`).
        if let Some(module) = self.module_reached(name, modules::dataweave_has) {
            let function = name.rsplit("::").next().unwrap_or(name);
            let message = format!("flowrun's `{module}` has no function `{function}`");
            return ParseError { message, loc };
        }
        ParseError { message: format!("Unable to resolve reference of: `{name}`."), loc }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse::parse_script;

    /// The load error of `src`, with the text it points at.
    fn error(src: &str) -> (String, &str) {
        let script = parse_script(src).expect("parses");
        let err = check(&script, &[], true).expect_err("does not resolve");
        (err.message, &src[err.loc.start..err.loc.end])
    }

    #[test]
    fn a_name_dataweave_has_and_flowrun_lacks_says_so_where_it_is_named() {
        let lacks = "flowrun's `dw::util::Coercions` has no function `toUri`";
        let imported = error("import capitalize, toUri from dw::util::Coercions\n---\n1");
        assert_eq!(
            imported,
            ("Unable to resolve reference of: `capitalize`.".into(), "capitalize")
        );
        assert_eq!(
            error("import  toUri from dw::util::Coercions\n---\n1"),
            (lacks.into(), "toUri")
        );
        for (src, at) in [
            ("import * from dw::util::Coercions\n---\ntoUri(\"x\")", "toUri"),
            ("import dw::util::Coercions\n---\nCoercions::toUri(\"x\")", "Coercions::toUri"),
            ("dw::util::Coercions::toUri(\"x\")", "dw::util::Coercions::toUri"),
        ] {
            assert_eq!(error(src), (lacks.into(), at), "{src}");
        }
        // Without an import, or for a name DataWeave lacks too, DataWeave's own words.
        let unknown = |name: &str| format!("Unable to resolve reference of: `{name}`.");
        assert_eq!(error("toUri(\"x\")").0, unknown("toUri"));
        assert_eq!(error("import * from dw::core::Strings\n---\nnope(\"x\")").0, unknown("nope"));
    }
}
