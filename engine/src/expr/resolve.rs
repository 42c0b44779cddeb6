//! Name resolution at compile time: every name a script uses must be a Mule binding, a
//! header `var`/`fun`, a lambda parameter or a built-in function.
//!
//! DataWeave rejects unknown names before running (``Unable to resolve reference of: `x`.``),
//! so flowrun does too, and the mistake is reported when the app loads.

use crate::expr::ast::{Case, Decl, Loc, Member, Node, NodeKind, Pattern, Script, Selector};
use crate::expr::funcs;
use crate::expr::parse::ParseError;

/// The names Mule puts in scope of every expression.
const MULE_BINDINGS: &[&str] =
    &["payload", "vars", "attributes", "error", "correlationId", "message"];

/// Mule bindings that flowrun does not provide yet; using one is a load error that says so.
const UNSUPPORTED_BINDINGS: &[&str] =
    &["app", "mule", "server", "flow", "authentication", "dataType"];

/// Checks every name of `script`.
pub(crate) fn check(script: &Script) -> Result<(), ParseError> {
    let mut names: Vec<&str> = Vec::new();
    check_decls(&script.decls, &mut names)?;
    check_node(&script.body, &mut names)
}

/// Checks declarations in order, leaving their names in `names`.
fn check_decls<'a>(decls: &'a [Decl], names: &mut Vec<&'a str>) -> Result<(), ParseError> {
    for decl in decls {
        match decl {
            Decl::Var { name, value } => {
                check_node(value, names)?;
                names.push(name);
            }
            Decl::Fun { name, lambda } => {
                // Functions may call themselves.
                names.push(name);
                let depth = names.len();
                names.extend(lambda.params.iter().map(|p| &**p));
                check_node(&lambda.body, names)?;
                names.truncate(depth);
            }
        }
    }
    Ok(())
}

fn unresolved(name: &str, loc: Loc) -> ParseError {
    if UNSUPPORTED_BINDINGS.contains(&name) {
        return ParseError { message: format!("`{name}` is not supported by flowrun yet"), loc };
    }
    ParseError { message: format!("Unable to resolve reference of: `{name}`."), loc }
}

fn check_node<'a>(node: &'a Node, names: &mut Vec<&'a str>) -> Result<(), ParseError> {
    match &*node.kind {
        NodeKind::Null
        | NodeKind::Bool(_)
        | NodeKind::Number(_)
        | NodeKind::Str(_)
        | NodeKind::Temporal(_)
        | NodeKind::Regex(_) => Ok(()),
        NodeKind::Name(name) => {
            let known = names.contains(&&**name) || MULE_BINDINGS.contains(&&**name);
            if known { Ok(()) } else { Err(unresolved(name, node.loc)) }
        }
        NodeKind::Interpolated(parts) => parts.iter().try_for_each(|part| check_node(part, names)),
        NodeKind::Array(members) | NodeKind::Object(members) => {
            members.iter().try_for_each(|member| check_member(member, names))
        }
        NodeKind::Select { target, selector } => {
            check_node(target, names)?;
            match selector {
                Selector::Dynamic(index) => check_node(index, names),
                _ => Ok(()),
            }
        }
        NodeKind::Binary { lhs, rhs, .. } => {
            check_node(lhs, names)?;
            check_node(rhs, names)
        }
        NodeKind::Neg(inner) | NodeKind::Not(inner) | NodeKind::Is { value: inner, .. } => {
            check_node(inner, names)
        }
        NodeKind::If { cond, then, otherwise } => {
            check_node(cond, names)?;
            check_node(then, names)?;
            check_node(otherwise, names)
        }
        NodeKind::Default { value, fallback } => {
            check_node(value, names)?;
            check_node(fallback, names)
        }
        NodeKind::Call { name, name_loc, args } => {
            let known = funcs::is_builtin(name) || names.contains(&&**name);
            if !known {
                return Err(unresolved(name, *name_loc));
            }
            args.iter().try_for_each(|arg| check_node(arg, names))
        }
        NodeKind::As { value, props, .. } => {
            check_node(value, names)?;
            props.as_ref().map_or(Ok(()), |p| check_node(p, names))
        }
        NodeKind::Do { decls, body } => {
            let depth = names.len();
            let result = check_decls(decls, names).and_then(|()| check_node(body, names));
            names.truncate(depth);
            result
        }
        NodeKind::Match { value, cases } => {
            check_node(value, names)?;
            cases.iter().try_for_each(|case| check_case(case, names))
        }
        NodeKind::Lambda(lambda) => {
            let depth = names.len();
            names.extend(lambda.params.iter().map(|p| &**p));
            for default in lambda.defaults.iter().flatten() {
                check_node(default, names)?;
            }
            let result = check_node(&lambda.body, names);
            names.truncate(depth);
            result
        }
    }
}

fn check_case<'a>(case: &'a Case, names: &mut Vec<&'a str>) -> Result<(), ParseError> {
    let depth = names.len();
    names.push("$");
    let bind = match &case.pattern {
        Pattern::Equals { bind, value } => {
            check_node(value, names)?;
            bind.as_deref()
        }
        Pattern::Is { bind, .. } | Pattern::Any { bind } => bind.as_deref(),
        Pattern::Guard { bind, .. } | Pattern::Matches { bind, .. } => Some(&**bind),
    };
    names.extend(bind);
    let mut result = check_node(&case.body, names);
    if let (Ok(()), Pattern::Guard { cond, .. }) = (&result, &case.pattern) {
        result = check_node(cond, names);
    }
    names.truncate(depth);
    result
}

fn check_member<'a>(member: &'a Member, names: &mut Vec<&'a str>) -> Result<(), ParseError> {
    match member {
        Member::Item(node) | Member::Spread(node) => check_node(node, names),
        Member::Pair { key, value } => {
            check_node(key, names)?;
            check_node(value, names)
        }
        Member::Conditional { member, cond } => {
            check_member(member, names)?;
            check_node(cond, names)
        }
    }
}
