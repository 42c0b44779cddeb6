//! Built-in functions (`dw::Core` plus Mule's `p`) and `as` coercions.
//!
//! Each function follows the reference runtime's overloads, including the `Null` ones that
//! let `payload.missing map ...` give `null` instead of failing. A name not listed in
//! [`is_builtin`] is an unknown reference when the script is compiled.

use std::cmp::Ordering;
use std::sync::Arc;

use bigdecimal::{BigDecimal, RoundingMode, ToPrimitive, Zero};

use crate::expr::ast::{self, BinOp, Lambda, Loc};
use crate::expr::eval::{
    self, Arg, Closure, EResult, Eval, Fail, call_error, cannot_coerce, coerce_number,
    coerce_string, describe, described_call_error, dw_equal, similar, type_name, typed_call_error,
};
use crate::expr::java_regex::Regex as JavaRegex;
use crate::expr::{coerce, json, modules, num, range, readers, time, utf16, writers};
use crate::value::{Temporal, TemporalKind, Value};

/// Every function name [`call`] knows.
const BUILTINS: &[&str] = &[
    "++",
    "--",
    "abs",
    "avg",
    "ceil",
    "contains",
    "daysBetween",
    "distinctBy",
    "endsWith",
    "entriesOf",
    "filter",
    "filterObject",
    "find",
    "flatMap",
    "flatten",
    "floor",
    "groupBy",
    "indexOf",
    "isBlank",
    "isDecimal",
    "isEmpty",
    "isEven",
    "isInteger",
    "isLeapYear",
    "isOdd",
    "joinBy",
    "keysOf",
    "lastIndexOf",
    "log",
    "lower",
    "map",
    "mapObject",
    "match",
    "matches",
    "max",
    "maxBy",
    "min",
    "minBy",
    "mod",
    "namesOf",
    "now",
    "onNull",
    "orderBy",
    "p",
    "pluck",
    "pow",
    "random",
    "randomInt",
    "read",
    "reduce",
    "replace",
    "round",
    "scan",
    "sizeOf",
    "splitBy",
    "sqrt",
    "startsWith",
    "sum",
    "then",
    "to",
    "trim",
    "typeOf",
    "unzip",
    "upper",
    "uuid",
    "valuesOf",
    "write",
    "zip",
];

/// Functions whose arguments after the first are functions, so that a `$` expression
/// there is an implicit lambda (`map(items, $ + 1)`).
const HIGHER_ORDER: &[&str] = &[
    "flatMap",
    "minBy",
    "maxBy",
    "then",
    "some",
    "every",
    "countBy",
    "map",
    "filter",
    "reduce",
    "mapObject",
    "filterObject",
    "pluck",
    "distinctBy",
    "orderBy",
    "groupBy",
    "sumBy",
    "indexWhere",
    "splitWhere",
    "firstWith",
    "partition",
    "takeWhile",
    "dropWhile",
    "everyCharacter",
    "someCharacter",
    "mapString",
    "substringBy",
    "countCharactersBy",
    "everyEntry",
    "someEntry",
];

/// True when `name` (possibly qualified, `Arrays::some`) takes function arguments.
pub(crate) fn takes_functions(name: &str) -> bool {
    HIGHER_ORDER.contains(&name.rsplit("::").next().unwrap_or(name))
}

/// True when `name` is a built-in function.
pub(crate) fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name)
}

/// Calls built-in `name`. Failures without a place are given the call's place by the caller.
pub(crate) fn call(eval: &mut Eval<'_>, name: &str, args: Vec<Arg>) -> EResult<Value> {
    // Module functions may be called qualified (`Strings::capitalize`); resolution at load
    // time made sure the name is imported.
    let (qualified, name) = match name.bytes().rposition(|b| b == b':') {
        Some(colon) => (true, &name[colon + 1..]),
        None => (false, name),
    };
    // Functions read a Key or a Type as the String it holds, and a range where they take an
    // Array as the Array of its elements; only `typeOf` tells them apart. The functions that
    // give their argument back, or read a range from its bounds, keep a range, and so do
    // arguments of any type (`contains`, `indexOf`: `[1 to 2] contains (1 to 2)`).
    let has_key = args
        .iter()
        .any(|arg| matches!(arg, Arg::Value(Value::Key(_) | Value::Type(_) | Value::Range(_))));
    let args: Vec<Arg> = if name == "typeOf" || !has_key {
        args
    } else {
        let arrays_taken = match name {
            "sizeOf" | "isEmpty" | "log" | "then" | "onNull" => 0,
            "++" | "--" | "zip" | "join" | "leftJoin" | "outerJoin" => 2,
            _ => 1,
        };
        args.into_iter()
            .enumerate()
            .map(|(idx, arg)| match arg {
                Arg::Value(Value::Key(text) | Value::Type(text)) => {
                    Ok(Arg::Value(Value::String(text)))
                }
                Arg::Value(Value::Range(r)) if idx < arrays_taken => {
                    range::to_array(&r).map(Arg::Value).map_err(Fail::unplaced)
                }
                other => Ok(other),
            })
            .collect::<EResult<_>>()?
    };
    // The subject of a function that takes functions (`f then $`) is a value, even when
    // it is a function itself.
    let args = match args.split_first() {
        Some((Arg::Fun(subject), rest)) if takes_functions(name) => {
            let mut values = Vec::with_capacity(args.len());
            values.push(Arg::Value(eval.function_value(subject)));
            values.extend(rest.iter().cloned());
            values
        }
        _ => args,
    };
    if (qualified || eval.imports_modules())
        && let Some(result) = modules::call(eval, name, &args)
    {
        return result;
    }
    if name == "replace" {
        return replace(eval, &args);
    }
    // A function or a regular expression is a value `typeOf` can name.
    if let ("typeOf", [Arg::Fun(_) | Arg::Regex(_)]) = (name, args.as_slice()) {
        let type_name = if matches!(args[0], Arg::Fun(_)) { "Function" } else { "Regex" };
        return Ok(Value::Type(type_name.into()));
    }
    if let [Arg::Value(subject), fallback] = args.as_slice()
        && name == "onNull"
    {
        // `onNull(value, () -> fallback)` calls the function only when the value is null.
        return match (subject, fallback) {
            (Value::Null, Arg::Fun(lambda)) => eval.apply(lambda, Vec::new()),
            (Value::Null, Arg::Value(value)) => Ok(value.clone()),
            (Value::Null, Arg::Regex(regex)) => Ok(Value::string(regex.as_str())),
            (value, _) => Ok(value.clone()),
        };
    }
    if let Some(result) = call_higher_order(eval, name, &args)? {
        return Ok(result);
    }
    if let [Arg::Value(subject), pattern] = args.as_slice()
        && matches!(name, "match" | "matches" | "scan")
        && !matches!(subject, Value::Null)
        && coerce_string(subject).is_none()
    {
        // Their only overload besides null's takes a String.
        let pattern = match pattern {
            Arg::Regex(regex) => format!("Regex (/{}/)", regex.as_str()),
            Arg::Value(value) => describe(value),
            Arg::Fun(closure) => describe(&eval.function_value(closure)),
        };
        let message =
            described_call_error(name, &[describe(subject), pattern], &["String", "Regex"]);
        return Err(Fail::unplaced(message));
    }
    if let (Some(Arg::Value(subject)), Some(Arg::Regex(regex))) = (args.first(), args.get(1)) {
        return call_regex(name, subject, regex).map_err(Fail::unplaced);
    }
    if let [Arg::Value(subject), Arg::Value(Value::String(pattern))] = args.as_slice()
        && matches!(name, "match" | "matches" | "scan")
    {
        // These three read a String pattern as a regular expression (`"a1" match "(\\d)"`).
        let regex = crate::expr::java_regex::compile(pattern).map_err(|err| {
            Fail::unplaced(format!("Invalid regular expression `{pattern}`: {err}"))
        })?;
        return call_regex(name, subject, &regex).map_err(Fail::unplaced);
    }
    let mut values = Vec::with_capacity(args.len());
    for arg in args {
        match arg {
            Arg::Value(value) => values.push(value),
            // A function where a value is taken is a value like any other: its overloads
            // reject it with DataWeave's call error, and `log` gives it back.
            Arg::Fun(closure) => values.push(eval.function_value(&closure)),
            Arg::Regex(_) => {
                return Err(Fail::unplaced(format!(
                    "Function `{name}` does not take a regular expression here"
                )));
            }
        }
    }
    let result = match (name, values.as_slice()) {
        ("p", [key]) => Ok(property(eval, key)),
        ("uuid", []) => Ok(Value::string(uuid::Uuid::new_v4().to_string())),
        ("now", []) => Ok(Value::Temporal(time::now())),
        ("random", []) => {
            // 53 random bits, as a double in [0, 1) has.
            let bits = random_u128() >> 75;
            Ok(Value::Number(BigDecimal::from(bits as u64) / BigDecimal::from(1u64 << 53)))
        }
        // DataWeave takes square roots in Java `double`s: `sqrt(2)` has 17 digits.
        ("sqrt", [value]) => match coerce_number(value).and_then(|n| n.to_f64()) {
            Some(n) => return num::from_double(n.sqrt()).map(Value::Number).map_err(Fail::plain),
            None => Err(typed_call_error(name, std::slice::from_ref(value), &["Number"])),
        },
        ("pow", [base, exponent]) => match (coerce_number(base), coerce_number(exponent)) {
            (Some(base), Some(exponent)) => return pow(&base, &exponent),
            _ => Err(typed_call_error(name, &values, &["Number", "Number"])),
        },
        ("write", [value, rest @ ..]) if rest.len() <= 2 => {
            return write(value, rest.first(), rest.get(1));
        }
        ("read", [text, mime, rest @ ..]) if rest.len() <= 1 => {
            return read(text, mime, rest.first());
        }
        ("read", [text]) => return read(text, &Value::string("application/dw"), None),
        (_, [value]) => call_unary(name, value),
        (_, [lhs, rhs]) => call_binary(name, lhs, rhs),
        _ => Err(format!("Function `{name}` does not take {} arguments", values.len())),
    };
    result.map_err(Fail::unplaced)
}

fn property(eval: &Eval<'_>, key: &Value) -> Value {
    let key = coerce_string(key).unwrap_or_default();
    eval.property(&key).map_or(Value::Null, Value::string)
}

fn call_unary(name: &str, value: &Value) -> Result<Value, String> {
    if let (Value::Function(_), Some(combinations)) = (value, function_rejected_by(name)) {
        return Err(call_error(name, &[describe(value)], combinations));
    }
    match name {
        "sizeOf" => size_of(value),
        "upper" | "lower" | "trim" => string_fn(name, value),
        "isEmpty" => Ok(Value::Bool(match value {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(items) => items.is_empty(),
            Value::Object(pairs) => pairs.is_empty(),
            // A range has at least its start.
            _ => false,
        })),
        "isBlank" => match value {
            Value::Null => Ok(Value::Bool(true)),
            Value::Array(_) | Value::Object(_) | Value::Binary(_) => {
                Err(typed_call_error(name, std::slice::from_ref(value), &["String | Null"]))
            }
            // Java's `trim`: blank is nothing but control characters and spaces.
            other => {
                Ok(Value::Bool(coerce_string(other).is_some_and(|s| s.chars().all(|c| c <= ' '))))
            }
        },
        "flatten" => flatten(value),
        "keysOf" => object_parts(name, value, |k, _| Value::Key(k.clone())),
        "namesOf" => object_parts(name, value, |k, _| Value::String(k.clone())),
        "valuesOf" => object_parts(name, value, |_, v| v.clone()),
        "entriesOf" => object_parts(name, value, |k, v| {
            let attributes = Value::object(Vec::<(&str, Value)>::new());
            Value::object([
                ("key", Value::Key(k.clone())),
                ("value", v.clone()),
                ("attributes", attributes),
            ])
        }),
        "typeOf" => Ok(Value::Type(type_name(value).into())),
        "unzip" => unzip(value),
        // A String holding a number is read as one, as for other Number parameters.
        "isInteger" | "isDecimal" => match coerce_number(value) {
            Some(n) => Ok(Value::Bool(n.is_integer() == (name == "isInteger"))),
            None => Err(typed_call_error(name, std::slice::from_ref(value), &["Number"])),
        },
        // DataWeave takes square roots in Java `double`s: `sqrt(2)` has 17 digits.
        // Its overloads take a Date, a DateTime or a LocalDateTime, and anything that
        // coerces to one (`"2024-01-15"`, a Number of seconds as a DateTime).
        "isLeapYear" => match temporal_argument(value) {
            Some(t) if t.has_date() => {
                let (year, _, _) = time::civil_from_days(t.days);
                Ok(Value::Bool((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
            }
            _ => Err(call_error(
                name,
                &[describe(value)],
                &["(Date)", "(DateTime)", "(LocalDateTime)"],
            )),
        },
        "randomInt" => {
            // `floor(random() * n)`, as DataWeave computes it: 0 for 0, down to `n` for a
            // negative `n`.
            let bound = coerce_number(value).and_then(|n| n.to_f64());
            let bound = bound.ok_or_else(|| cannot_coerce(value, "Number"))?;
            let fraction = (random_u128() >> 75) as f64 / (1u64 << 53) as f64;
            Ok(Value::Number(BigDecimal::from((fraction * bound).floor() as i64)))
        }
        "log" => Ok(log(None, value)),
        "abs" | "ceil" | "floor" | "round" | "isEven" | "isOdd" => number_fn(name, value),
        "sum" | "avg" | "max" | "min" => aggregate(name, value),
        _ => Err(format!("Function `{name}` does not take 1 argument")),
    }
}

fn call_binary(name: &str, lhs: &Value, rhs: &Value) -> Result<Value, String> {
    match name {
        "++" => concat(lhs, rhs),
        "--" => remove(lhs, rhs),
        "contains" => Ok(Value::Bool(match (lhs, rhs) {
            (Value::Array(items), _) => items.iter().any(|item| dw_equal(item, rhs)),
            (Value::Null, _) => false,
            _ => {
                let combinations = ["(Array, Any)", "(String, Regex)", "(String, String)"];
                let (text, part) = text_and_part(name, lhs, rhs, &combinations)?;
                text.contains(&part)
            }
        })),
        "startsWith" | "endsWith" => {
            if matches!(lhs, Value::Null) {
                return Ok(Value::Bool(false));
            }
            let (text, part) = two_strings(name, lhs, rhs)?;
            Ok(Value::Bool(if name == "startsWith" {
                text.starts_with(&part)
            } else {
                text.ends_with(&part)
            }))
        }
        "joinBy" => join_by(lhs, rhs),
        "splitBy" => split_by(lhs, rhs),
        "to" => range(lhs, rhs),
        "indexOf" | "lastIndexOf" => index_of(name, lhs, rhs),
        "find" => find(lhs, rhs),
        "zip" => match (lhs, rhs) {
            (Value::Array(a), Value::Array(b)) => Ok(Value::array(
                a.iter().zip(b.iter()).map(|(x, y)| Value::array([x.clone(), y.clone()])),
            )),
            _ => Err(typed_call_error(name, &[lhs.clone(), rhs.clone()], &["Array", "Array"])),
        },
        "daysBetween" => match (date_argument(lhs), date_argument(rhs)) {
            (Some(a), Some(b)) if a.has_date() && b.has_date() => {
                Ok(Value::Number(BigDecimal::from(b.days - a.days)))
            }
            _ => Err(typed_call_error(name, &[lhs.clone(), rhs.clone()], &["Date", "Date"])),
        },
        "mod" => match (coerce_number(lhs), coerce_number(rhs)) {
            (Some(a), Some(b)) => {
                num::remainder(&a, &b).map(Value::Number).ok_or_else(|| "Division by zero".into())
            }
            _ => Err(typed_call_error(name, &[lhs.clone(), rhs.clone()], &["Number", "Number"])),
        },
        "log" => Ok(log(Some(lhs), rhs)),
        // A pattern that is neither a String nor a regular expression (those are taken
        // above): null text still gives its null overload's result.
        "matches" if matches!(lhs, Value::Null) => Ok(Value::Bool(false)),
        "match" | "scan" if matches!(lhs, Value::Null) => Ok(Value::Null),
        "match" | "matches" | "scan" => {
            Err(typed_call_error(name, &[lhs.clone(), rhs.clone()], &["String", "Regex"]))
        }
        _ => Err(format!("Function `{name}` does not take 2 arguments")),
    }
}

/// `text replace target with replacement`: `target` is a string or a regular expression,
/// `replacement` a string or a function of the match (`(m) -> ...`, `m[0]` the whole match).
fn replace(eval: &mut Eval<'_>, args: &[Arg]) -> EResult<Value> {
    let [Arg::Value(subject), target, replacement] = args else {
        return Err(Fail::unplaced("`replace` needs `with`: text replace target with replacement"));
    };
    let text = match subject {
        Value::Null => return Ok(Value::Null),
        other => {
            coerce_string(other).ok_or_else(|| Fail::unplaced(cannot_coerce(other, "String")))?
        }
    };
    let regex = match target {
        Arg::Regex(regex) => regex.as_ref().clone(),
        Arg::Value(value) => {
            let literal = match value {
                Value::Array(_) | Value::Object(_) | Value::Null => None,
                other => coerce_string(other),
            };
            let literal = literal.ok_or_else(|| {
                let args = [describe(subject), describe(value)];
                Fail::unplaced(call_error(
                    "replace",
                    &args,
                    &["(String, Regex)", "(String, String)"],
                ))
            })?;
            JavaRegex::literal(&literal)
        }
        Arg::Fun(_) => return Err(Fail::unplaced("`replace` cannot replace a function")),
    };
    let mut piece = |groups: Value| -> EResult<String> {
        match replacement {
            Arg::Fun(lambda) => {
                let result = eval.apply(lambda, vec![groups])?;
                coerce_string(&result)
                    .ok_or_else(|| Fail::unplaced(cannot_coerce(&result, "String")))
            }
            Arg::Value(value) => {
                coerce_string(value).ok_or_else(|| Fail::unplaced(cannot_coerce(value, "String")))
            }
            Arg::Regex(_) => Err(Fail::unplaced("`with` takes a string or a function")),
        }
    };
    if regex.as_str().is_empty() && !matches!(target, Arg::Regex(_)) {
        // An empty text is found before each UTF-16 code unit and at the end, as Java's
        // `String.replace` finds it, so the halves of `😀` are parted (see `utf16.rs`).
        let mut out: Vec<u16> = Vec::new();
        for unit in utf16::units(&text) {
            out.extend(piece(Value::array([Value::string("")]))?.encode_utf16());
            out.push(unit);
        }
        out.extend(piece(Value::array([Value::string("")]))?.encode_utf16());
        return Ok(Value::string(utf16::to_text(&out)));
    }
    let mut out = String::new();
    let mut last = 0;
    for captures in regex.java_captures(&text) {
        let whole = captures.get(0).expect("group 0 is the whole match");
        out.push_str(&text[last..whole.start()]);
        out.push_str(&piece(captures_value(&captures))?);
        modules::check_length(out.len()).map_err(Fail::unplaced)?;
        last = whole.end();
    }
    out.push_str(&text[last..]);
    Ok(Value::string(out))
}

/// A match and its groups as DataWeave gives them: `[whole, group1, ...]`.
fn captures_value(captures: &regex::Captures<'_>) -> Value {
    Value::array(
        captures.iter().map(|group| group.map_or(Value::Null, |m| Value::string(m.as_str()))),
    )
}

/// The groups of `regex` if it matches the whole of `text`.
pub(crate) fn full_match(regex: &regex::Regex, text: &str) -> Option<Value> {
    let captures = regex.captures(text)?;
    let whole = captures.get(0)?;
    (whole.start() == 0 && whole.end() == text.len()).then(|| captures_value(&captures))
}

/// Functions with a regular expression as second argument.
fn call_regex(name: &str, subject: &Value, regex: &JavaRegex) -> Result<Value, String> {
    if matches!(name, "indexOf" | "lastIndexOf") {
        // The reference engine has no regular-expression overload here: the pattern is read
        // as a String, its source text, and searched for literally (`"a.c" indexOf /./` is 1).
        return index_of(name, subject, &Value::string(regex.as_str()));
    }
    let text = match subject {
        Value::Null if matches!(name, "matches" | "contains") => return Ok(Value::Bool(false)),
        Value::Null if name == "find" => return Ok(Value::array([])),
        Value::Null => return Ok(Value::Null),
        other => coerce_string(other).ok_or_else(|| cannot_coerce(other, "String"))?,
    };
    let char_idx = |byte_idx: usize| index(utf16::index_at(&text, byte_idx));
    let result = match name {
        "matches" => Value::Bool(full_match(regex, &text).is_some()),
        "contains" => Value::Bool(regex.is_match(&text)),
        "splitBy" => {
            // As Java's `split`: an empty match at the start parts nothing off, and trailing
            // empty parts are dropped (all of them, unless the text is empty).
            let mut parts: Vec<&str> = Vec::new();
            let mut last = 0;
            for captures in regex.java_captures(&text) {
                let whole = captures.get(0).expect("group 0 is the whole match");
                if whole.end() == 0 {
                    continue;
                }
                parts.push(&text[last..whole.start()]);
                last = whole.end();
            }
            parts.push(&text[last..]);
            while !text.is_empty() && parts.last().is_some_and(|part| part.is_empty()) {
                parts.pop();
            }
            Value::array(parts.into_iter().map(Value::string))
        }
        // `match` wants the whole text to match, as `matches` does; it then gives the groups.
        "match" => full_match(regex, &text).unwrap_or_else(|| Value::array([])),
        "scan" => Value::array(regex.java_captures(&text).iter().map(captures_value)),
        // Where each match starts, then where each group starts (-1 for a group that did
        // not take part), in characters.
        "find" => Value::array(regex.java_captures(&text).into_iter().map(|captures| {
            Value::array(captures.iter().map(|group| {
                group.map_or(Value::Number(BigDecimal::from(-1)), |m| char_idx(m.start()))
            }))
        })),
        _ => return Err(format!("Function `{name}` does not take a regular expression")),
    };
    Ok(result)
}

/// The functions whose result DataWeave computes only when it is read: a failure of their
/// function argument surfaces later, outside a `default` around the call.
const LAZY: &[&str] =
    &["map", "filter", "mapObject", "filterObject", "pluck", "flatMap", "distinctBy"];

/// True when `name` returns its result unread: a deferred failure of an argument stays
/// deferred through it (`++` only joins, a lazy function maps lazily).
pub(crate) fn keeps_deferred(name: &str) -> bool {
    name == "++" || LAZY.contains(&name)
}

/// The functions that take a function argument; `None` when `name` is not one of them.
fn call_higher_order(eval: &mut Eval<'_>, name: &str, args: &[Arg]) -> EResult<Option<Value>> {
    let (Some(Arg::Value(subject)), Some(Arg::Fun(lambda))) = (args.first(), args.get(1)) else {
        return Ok(None);
    };
    // `maxBy` and `minBy` have no Null overload: they fail below, as in DataWeave.
    if matches!(subject, Value::Null) && !matches!(name, "maxBy" | "minBy") {
        return Ok(Some(Value::Null));
    }
    if let Some(fail) = higher_order_signature_error(name, subject, lambda) {
        return Err(fail);
    }
    let result = apply_higher_order(eval, name, subject, lambda);
    // Filtering a string builds the string at once.
    let lazy = LAZY.contains(&name) && (name != "filter" || matches!(subject, Value::Array(_)));
    if lazy { result.map_err(Fail::deferred) } else { result }
}

/// The failure of a call of a higher-order function on a subject none of its signatures take.
fn higher_order_signature_error(name: &str, subject: &Value, lambda: &Closure) -> Option<Fail> {
    let accepted = match name {
        "map" | "flatMap" | "minBy" | "maxBy" => matches!(subject, Value::Array(_)),
        "filter" => {
            matches!(
                subject,
                Value::Array(_) | Value::String(_) | Value::Number(_) | Value::Bool(_)
            )
        }
        // Numbers and Booleans are taken as their text, like Strings.
        "reduce" => matches!(
            subject,
            Value::Array(_) | Value::String(_) | Value::Number(_) | Value::Bool(_)
        ),
        "groupBy" => !matches!(subject, Value::Null | Value::Binary(_) | Value::Temporal(_)),
        "distinctBy" | "orderBy" => matches!(subject, Value::Array(_) | Value::Object(_)),
        "mapObject" | "filterObject" | "pluck" => matches!(subject, Value::Object(_)),
        _ => true,
    };
    if accepted {
        return None;
    }
    if name == "filter" {
        let args = [describe(subject), describe_fun(lambda)];
        let combinations = ["(Array, Function)", "(String, Function)"];
        return Some(Fail::unplaced(call_error("filter", &args, &combinations)));
    }
    let expected =
        if matches!(name, "mapObject" | "filterObject" | "pluck") { "Object" } else { "Array" };
    let message = typed_call_error(name, std::slice::from_ref(subject), &[expected, "Function"]);
    // The function argument is listed too, as DataWeave lists it.
    let message = message.replacen(
        "\n\nBut it expects",
        &format!("\n  2: {}\n\nBut it expects", describe_fun(lambda)),
        1,
    );
    Some(Fail::unplaced(message))
}

/// Runs a higher-order function on a subject its signatures take.
fn apply_higher_order(
    eval: &mut Eval<'_>,
    name: &str,
    subject: &Value,
    lambda: &Closure,
) -> EResult<Option<Value>> {
    let result = match (name, subject) {
        ("map", Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (idx, item) in items.iter().enumerate() {
                out.push(eval.apply(lambda, vec![item.clone(), index(idx)])?);
            }
            Value::array(out)
        }
        ("filter", Value::Array(items)) => {
            let mut out = Vec::new();
            for (idx, item) in items.iter().enumerate() {
                let keep = eval.apply(lambda, vec![item.clone(), index(idx)])?;
                if criterion(keep).map_err(|keep| not_a_criterion(keep, lambda.body.loc))? {
                    out.push(item.clone());
                }
            }
            Value::array(out)
        }
        ("filter", Value::String(_) | Value::Number(_) | Value::Bool(_)) => {
            // Scalars are filtered as their text, character by character.
            let units = utf16::units(&coerce_string(subject).unwrap_or_default());
            let mut kept = Vec::new();
            for (idx, &unit) in units.iter().enumerate() {
                let part = Value::string(utf16::to_text(&[unit]));
                let keep = eval.apply(lambda, vec![part, index(idx)])?;
                if criterion(keep).map_err(|value| Fail::plain(if_condition_error(&value)))? {
                    kept.push(unit);
                }
            }
            Value::string(utf16::to_text(&kept))
        }
        ("reduce", Value::Array(items)) => return reduce(eval, lambda, items).map(Some),
        ("reduce", Value::String(_) | Value::Number(_) | Value::Bool(_)) => {
            // A string is reduced character by character; an empty one with no initial
            // accumulator gives itself.
            let text = coerce_string(subject).unwrap_or_default();
            let chars: Vec<Value> =
                utf16::unit_texts(&text).into_iter().map(Value::string).collect();
            if chars.is_empty() && !lambda.defaults.get(1).is_some_and(Option::is_some) {
                return Ok(Some(Value::string("")));
            }
            return reduce(eval, lambda, &chars).map(Some);
        }
        ("groupBy", Value::String(_) | Value::Number(_) | Value::Bool(_)) => {
            let units = utf16::units(&coerce_string(subject).unwrap_or_default());
            let mut groups: Vec<(Arc<str>, Vec<u16>)> = Vec::new();
            for (idx, &unit) in units.iter().enumerate() {
                let part = Value::string(utf16::to_text(&[unit]));
                let key = eval.apply(lambda, vec![part, index(idx)])?;
                let key: Arc<str> =
                    coerce_string(&key).ok_or_else(|| group_key_error(&key))?.into();
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, group)) => group.push(unit),
                    None => groups.push((key, vec![unit])),
                }
            }
            Value::Object(Arc::new(
                groups
                    .into_iter()
                    .map(|(k, units)| (k, Value::string(utf16::to_text(&units))))
                    .collect(),
            ))
        }
        ("distinctBy" | "orderBy" | "groupBy", Value::Object(pairs)) => {
            return object_by_key(eval, name, lambda, pairs).map(Some);
        }
        ("mapObject" | "filterObject" | "pluck", Value::Object(pairs)) => {
            return object_higher_order(eval, name, lambda, pairs).map(Some);
        }
        ("flatMap", Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (idx, item) in items.iter().enumerate() {
                match eval.apply(lambda, vec![item.clone(), index(idx)])? {
                    Value::Array(inner) => out.extend(inner.iter().cloned()),
                    other => out.push(other),
                }
            }
            Value::array(out)
        }
        ("then", subject) => eval.apply(lambda, vec![subject.clone()])?,
        ("distinctBy" | "orderBy" | "groupBy" | "minBy" | "maxBy", Value::Array(items)) => {
            let mut keyed = Vec::with_capacity(items.len());
            for (idx, item) in items.iter().enumerate() {
                keyed.push((eval.apply(lambda, vec![item.clone(), index(idx)])?, item.clone()));
            }
            by_key(name, keyed)?
        }
        _ => return Ok(None),
    };
    Ok(Some(result))
}

/// `Function (($:Any, $$:Any) -> ???)`: how DataWeave lists a function argument.
/// A function argument as DataWeave lists it in a call error: `Function ((x:Any) -> ???)`.
pub(crate) fn describe_fun(lambda: &Lambda) -> String {
    let params: Vec<String> = lambda.params.iter().take(2).map(|p| format!("{p}:Any")).collect();
    format!("Function (({}) -> ???)", params.join(", "))
}

fn index(idx: usize) -> Value {
    Value::Number(BigDecimal::from(u64::try_from(idx).unwrap_or(u64::MAX)))
}

/// A filter's verdict, which must be a Boolean (or the text `true`/`false`); the other value
/// is given back for the error.
pub(crate) fn criterion(value: Value) -> Result<bool, Value> {
    match value {
        Value::Bool(b) => Ok(b),
        Value::String(s) if eval::text_boolean(&s).is_some() => {
            Ok(eval::text_boolean(&s) == Some(true))
        }
        other => Err(other),
    }
}

/// DataWeave's failure for a filter verdict that is not a Boolean, quoting the criterion.
/// DataWeave itself quotes no place when it runs (its type checker rejects a literal
/// criterion before that); flowrun shows where the criterion is.
fn not_a_criterion(value: Value, criterion_loc: Loc) -> Fail {
    Fail::at(criterion_loc, cannot_coerce(&value, "Boolean"))
}

/// DataWeave's message for a string filter whose criterion is not a Boolean.
pub(crate) fn if_condition_error(value: &Value) -> String {
    format!(
        "Invalid if condition type. Expecting type `Boolean` but got `{}({})`",
        type_name(value),
        eval::dw_repr(value)
    )
}

fn reduce(eval: &mut Eval<'_>, lambda: &Closure, items: &[Value]) -> EResult<Value> {
    let has_default = lambda.defaults.get(1).is_some_and(Option::is_some);
    let mut items = items.iter().cloned();
    let mut acc = if has_default {
        eval.apply_default(lambda, 1)?
    } else {
        match items.next() {
            Some(first) => first,
            None => return Ok(Value::Null),
        }
    };
    if let Some((piece, loc, growth)) = growing_piece(lambda) {
        // `acc ++ piece` or `{(acc), piece...}`, where nothing else reads `acc`: the piece is
        // computed with `acc` unbound and joined to the accumulator in place, so building an
        // array or object of n elements this way takes time in n, not n squared.
        let piece_of = lambda.with_body(piece);
        for item in items {
            acc = match (growth, acc) {
                (Growth::Concat, acc) => {
                    let piece = eval.apply(&piece_of, vec![item, Value::Null])?;
                    append(eval, acc, piece).map_err(|fail| fail.or_at(loc))?
                }
                (Growth::Spread, acc @ Value::Object(_)) => {
                    let piece = eval.apply(&piece_of, vec![item, Value::Null])?;
                    append(eval, acc, piece).map_err(|fail| fail.or_at(loc))?
                }
                // Spreading anything but an object has rules of its own: the whole body.
                (Growth::Spread, acc) => eval.apply(lambda, vec![item, acc])?,
            };
        }
        return Ok(acc);
    }
    for item in items {
        acc = eval.apply(lambda, vec![item, acc])?;
    }
    Ok(acc)
}

/// How a `reduce` function grows its accumulator, when [`growing_piece`] sees it.
#[derive(Clone, Copy)]
enum Growth {
    /// `(item, acc) -> acc ++ piece`.
    Concat,
    /// `(item, acc) -> {(acc), members...}`.
    Spread,
}

/// For a `reduce` function of the form `(item, acc) -> acc ++ piece` or
/// `(item, acc) -> {(acc), members...}` where nothing but that first operand reads `acc`:
/// the piece added each time (the members as an object of their own), and where an error
/// joining them is reported.
fn growing_piece(lambda: &Lambda) -> Option<(ast::Node, Loc, Growth)> {
    let [_, acc] = lambda.params.as_slice() else { return None };
    let is_acc = |node: &ast::Node| matches!(&*node.kind, ast::NodeKind::Name(n) if n == acc);
    match &*lambda.body.kind {
        ast::NodeKind::Call { name, name_loc, args } if &**name == "++" => match args.as_slice() {
            [joined, piece] if is_acc(joined) && !piece.may_read(acc) => {
                Some((piece.clone(), *name_loc, Growth::Concat))
            }
            _ => None,
        },
        ast::NodeKind::Object(members) => match members.split_first() {
            Some((ast::Member::Spread(spread), rest)) if is_acc(spread) => {
                let piece = ast::Node::new(ast::NodeKind::Object(rest.to_vec()), lambda.body.loc);
                (!piece.may_read(acc)).then_some((piece, lambda.body.loc, Growth::Spread))
            }
            _ => None,
        },
        _ => None,
    }
}

/// `acc ++ piece` for an accumulator the caller owns: arrays and objects grow in place when
/// nothing else holds them; everything else is the `++` function.
fn append(eval: &mut Eval<'_>, acc: Value, piece: Value) -> EResult<Value> {
    match (acc, piece) {
        (Value::Array(mut items), Value::Array(more)) => {
            modules::check_items(items.len() + more.len(), "arrays").map_err(Fail::unplaced)?;
            Arc::make_mut(&mut items).extend(more.iter().cloned());
            Ok(Value::Array(items))
        }
        (Value::Object(mut pairs), Value::Object(more)) => {
            modules::check_items(pairs.len() + more.len(), "objects").map_err(Fail::unplaced)?;
            Arc::make_mut(&mut pairs).extend(more.iter().cloned());
            Ok(Value::Object(pairs))
        }
        (acc, piece) => call(eval, "++", vec![Arg::Value(acc), Arg::Value(piece)]),
    }
}

fn object_higher_order(
    eval: &mut Eval<'_>,
    name: &str,
    lambda: &Closure,
    pairs: &[(Arc<str>, Value)],
) -> EResult<Value> {
    let mut out_pairs = Vec::new();
    let mut out_items = Vec::new();
    for (idx, (key, value)) in pairs.iter().enumerate() {
        let result =
            eval.apply(lambda, vec![value.clone(), Value::Key(key.clone()), index(idx)])?;
        match name {
            "mapObject" => match result {
                Value::Object(more) => out_pairs.extend(more.iter().cloned()),
                other => return Err(Fail::unplaced(cannot_coerce(&other, "Object"))),
            },
            "pluck" => out_items.push(result),
            _ => {
                let keep =
                    criterion(result).map_err(|keep| not_a_criterion(keep, lambda.body.loc))?;
                if keep {
                    out_pairs.push((key.clone(), value.clone()));
                }
            }
        }
    }
    Ok(if name == "pluck" { Value::array(out_items) } else { Value::Object(Arc::new(out_pairs)) })
}

/// `distinctBy`, `orderBy` and `groupBy` over an object's pairs, the criterion seeing
/// `(value, key)`; the results are objects.
fn object_by_key(
    eval: &mut Eval<'_>,
    name: &str,
    lambda: &Closure,
    pairs: &[(Arc<str>, Value)],
) -> EResult<Value> {
    let mut keyed = Vec::with_capacity(pairs.len());
    for (key, value) in pairs.iter() {
        let criterion = eval.apply(lambda, vec![value.clone(), Value::Key(key.clone())])?;
        keyed.push((criterion, Value::object([(key.clone(), value.clone())])));
    }
    let regroup = |items: &[Value]| {
        let pairs = items.iter().filter_map(|item| match item {
            Value::Object(pair) => pair.first().cloned(),
            _ => None,
        });
        Value::Object(Arc::new(pairs.collect()))
    };
    Ok(match by_key(name, keyed)? {
        Value::Array(items) => regroup(&items),
        Value::Object(groups) => {
            let groups = groups.iter().map(|(key, items)| match items {
                Value::Array(items) => (key.clone(), regroup(items)),
                other => (key.clone(), other.clone()),
            });
            Value::Object(Arc::new(groups.collect()))
        }
        other => other,
    })
}

fn by_key(name: &str, keyed: Vec<(Value, Value)>) -> EResult<Value> {
    match name {
        "distinctBy" => {
            let mut seen: Vec<Value> = Vec::new();
            let mut out = Vec::new();
            for (key, item) in keyed {
                if !seen.iter().any(|s| dw_equal(s, &key)) {
                    seen.push(key);
                    out.push(item);
                }
            }
            Ok(Value::array(out))
        }
        "orderBy" => {
            let mut keyed = keyed;
            if keyed.len() > 1 {
                sortable(keyed.iter().map(|(key, _)| key)).map_err(Fail::unplaced)?;
            }
            keyed.sort_by(|(a, _), (b, _)| order(a, b));
            Ok(Value::array(keyed.into_iter().map(|(_, item)| item)))
        }
        "minBy" | "maxBy" => {
            // DataWeave's `maxBy` keeps the later item when `criteria(item) > criteria(best)`,
            // so keys are compared as `>` and `<` compare them (`"5" > 3` reads a Number).
            let wanted = if name == "maxBy" { Ordering::Greater } else { Ordering::Less };
            let mut items = keyed.into_iter();
            let Some(mut best) = items.next() else { return Ok(Value::Null) };
            for candidate in items {
                if eval::compare(&candidate.0, &best.0)? == wanted {
                    best = candidate;
                }
            }
            Ok(best.1)
        }
        _ => {
            let mut groups: Vec<(Arc<str>, Vec<Value>)> = Vec::new();
            for (key, item) in keyed {
                let key: Arc<str> =
                    coerce_string(&key).ok_or_else(|| group_key_error(&key))?.into();
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, items)) => items.push(item),
                    None => groups.push((key, vec![item])),
                }
            }
            Ok(Value::Object(Arc::new(
                groups.into_iter().map(|(k, items)| (k, Value::array(items))).collect(),
            )))
        }
    }
}

/// A `groupBy` criterion that is not text: DataWeave writes `key as String`, whose message
/// names no value for null.
fn group_key_error(key: &Value) -> Fail {
    match key {
        Value::Null => Fail::unplaced("Cannot coerce Null to String"),
        other => Fail::unplaced(cannot_coerce(other, "String")),
    }
}

/// Whether `orderBy` can sort by these keys: DataWeave's sort compares values of one type only,
/// and not nulls, arrays or objects (`Types `String` and `Number` can not be compared.`).
fn sortable<'v>(mut keys: impl Iterator<Item = &'v Value>) -> Result<(), String> {
    let Some(first) = keys.next() else { return Ok(()) };
    let comparable = |a: &Value, b: &Value| match (a, b) {
        (Value::Temporal(x), Value::Temporal(y)) => time::compare(x, y).is_some(),
        (
            Value::Null
            | Value::Array(_)
            | Value::Range(_)
            | Value::Object(_)
            | Value::Type(_)
            | Value::Period(_)
            | Value::Function(_),
            _,
        ) => false,
        _ => type_name(a) == type_name(b),
    };
    for key in keys {
        if !comparable(first, key) {
            return Err(eval::incomparable(key, first));
        }
    }
    if !comparable(first, first) {
        return Err(eval::incomparable(first, first));
    }
    Ok(())
}

/// The order `orderBy` sorts in: numbers by value, strings by text, others by type name.
fn order(lhs: &Value, rhs: &Value) -> Ordering {
    match (lhs, rhs) {
        (Value::Number(a), Value::Number(b)) => a.cmp(b),
        (Value::String(a) | Value::Key(a), Value::String(b) | Value::Key(b)) => a.cmp(b),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        (Value::Temporal(a), Value::Temporal(b)) => time::compare(a, b).unwrap_or(Ordering::Equal),
        (Value::TimeZone(a), Value::TimeZone(b)) => b.cmp(a),
        _ => type_name(lhs).cmp(type_name(rhs)),
    }
}

/// The signatures of the functions of one argument that would otherwise read a function
/// value as something it is not (its text, or an empty value), as DataWeave lists them.
fn function_rejected_by(name: &str) -> Option<&'static [&'static str]> {
    match name {
        "sizeOf" => Some(&[
            "(Array)",
            "(Binary)",
            "(DateTime)",
            "(LocalDateTime)",
            "(Number)",
            "(Object)",
            "(Period)",
            "(String)",
        ]),
        "isEmpty" => Some(&["(Array)", "(Binary)", "(Object)", "(String)"]),
        _ => None,
    }
}

fn size_of(value: &Value) -> Result<Value, String> {
    let size = match value {
        Value::Null => return Ok(Value::Null),
        Value::Array(items) => items.len(),
        Value::Range(r) => return Ok(Value::Number(range::len(r))),
        Value::Object(pairs) => pairs.len(),
        Value::Binary(bytes) => bytes.len(),
        other => coerce_string(other).map_or(0, |s| utf16::len(&s)),
    };
    Ok(index(size))
}

fn string_fn(name: &str, value: &Value) -> Result<Value, String> {
    if matches!(value, Value::Null) {
        return Ok(Value::Null);
    }
    let text = match value {
        Value::String(s) | Value::Key(s) => std::borrow::Cow::Borrowed(&**s),
        other => match coerce_string(other).filter(|_| !matches!(other, Value::Binary(_))) {
            Some(text) => std::borrow::Cow::Owned(text),
            None => return Err(typed_call_error(name, std::slice::from_ref(value), &["String"])),
        },
    };
    let result = match name {
        "upper" => text.to_uppercase(),
        "lower" => text.to_lowercase(),
        // Java's `trim`: only control characters and spaces, not other Unicode whitespace.
        _ => text.trim_matches(|c: char| c <= ' ').to_owned(),
    };
    Ok(Value::string(result))
}

fn flatten(value: &Value) -> Result<Value, String> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items.iter() {
                match item {
                    Value::Array(inner) => out.extend(inner.iter().cloned()),
                    other => out.push(other.clone()),
                }
            }
            Ok(Value::array(out))
        }
        other => Err(typed_call_error("flatten", std::slice::from_ref(other), &["Array"])),
    }
}

fn object_parts(
    name: &str,
    value: &Value,
    part: impl Fn(&Arc<str>, &Value) -> Value,
) -> Result<Value, String> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::Object(pairs) => Ok(Value::array(pairs.iter().map(|(k, v)| part(k, v)))),
        other => Err(typed_call_error(name, std::slice::from_ref(other), &["Object"])),
    }
}

fn number_fn(name: &str, value: &Value) -> Result<Value, String> {
    let Some(n) = coerce_number(value) else {
        return Err(typed_call_error(name, std::slice::from_ref(value), &["Number"]));
    };
    let result = match name {
        "abs" => Value::Number(n.abs()),
        "ceil" => Value::Number(n.with_scale_round(0, RoundingMode::Ceiling)),
        "floor" => Value::Number(n.with_scale_round(0, RoundingMode::Floor)),
        "round" => Value::Number(n.with_scale_round(0, RoundingMode::HalfUp)),
        _ => {
            // DataWeave tests the remainder of the number itself: `isEven(2.5)` is false and
            // `isOdd(2.5)` true (checked against the reference engine).
            let even = (&n % BigDecimal::from(2)).is_zero();
            Value::Bool(even == (name == "isEven"))
        }
    };
    Ok(result)
}

fn aggregate(name: &str, value: &Value) -> Result<Value, String> {
    let Value::Array(items) = value else {
        return Err(typed_call_error(name, std::slice::from_ref(value), &["Array"]));
    };
    if items.is_empty() && name != "avg" {
        return Ok(if name == "sum" { Value::Number(BigDecimal::zero()) } else { Value::Null });
    }
    if matches!(name, "max" | "min") {
        // `maxBy` and `minBy` by the items themselves, comparing as `>` and `<` do.
        let pick = if name == "max" { Ordering::Greater } else { Ordering::Less };
        let mut best = &items[0];
        for item in items.iter().skip(1) {
            if eval::compare(item, best).map_err(|fail| fail.message)? == pick {
                best = item;
            }
        }
        return Ok(best.clone());
    }
    if name == "sum" {
        return sum(items);
    }
    if name == "avg" && items.is_empty() {
        return Err("Division by zero".into());
    }
    // The first item starts the total (not a zero), as `sum` does: `avg([2e50, 4e50])` keeps
    // the exponent, `3E+50`.
    let mut total: Option<BigDecimal> = None;
    for item in items.iter() {
        let number = coerce_number(item).ok_or_else(|| cannot_coerce(item, "Number"))?;
        total = Some(total.map_or(number.clone(), |total| num::add(&total, &number)));
    }
    let mut total = total.unwrap_or_default();
    if name == "avg" {
        total = num::divide(&total, &BigDecimal::from(items.len() as u64)).unwrap_or_default();
    }
    Ok(Value::Number(total))
}

/// `sum` of a non-empty array, as DataWeave defines it: `(items reduce (item, total) -> item
/// + total) as Number`, so an element that is not a number fails as `+` fails.
fn sum(items: &[Value]) -> Result<Value, String> {
    let mut total = items[0].clone();
    for item in &items[1..] {
        match (coerce_number(item), coerce_number(&total)) {
            (Some(a), Some(b)) => total = Value::Number(num::add(&a, &b)),
            _ => return Err(eval::arithmetic_error(BinOp::Add, item.clone(), total)),
        }
    }
    coerce_number(&total).map(Value::Number).ok_or_else(|| cannot_coerce(&total, "Number"))
}

/// `++`: strings (numbers and booleans are written as text), arrays, objects.
fn concat(lhs: &Value, rhs: &Value) -> Result<Value, String> {
    match (lhs, rhs) {
        (Value::Array(a), Value::Array(b)) => {
            modules::check_items(a.len() + b.len(), "arrays")?;
            Ok(Value::array(a.iter().chain(b.iter()).cloned()))
        }
        // A Date and a time of day, either way round, make a date-time.
        (Value::Temporal(a), Value::Temporal(b))
            if let Some(joined) = date_and_time(a, b).or_else(|| date_and_time(b, a)) =>
        {
            Ok(Value::Temporal(joined))
        }
        (Value::Object(a), Value::Object(b)) => {
            modules::check_items(a.len() + b.len(), "objects")?;
            Ok(Value::Object(Arc::new(a.iter().chain(b.iter()).cloned().collect())))
        }
        _ if let Some(zoned) = crate::expr::zone::concat(lhs, rhs) => Ok(zoned),
        _ => {
            // A Binary joins as its text (`fromBase64("aGk=") ++ "x"` is `"hix"`).
            let scalar = |v: &Value| {
                matches!(
                    v,
                    Value::String(_)
                        | Value::Number(_)
                        | Value::Bool(_)
                        | Value::Temporal(_)
                        | Value::Period(_)
                        | Value::TimeZone(_)
                        | Value::Binary(_)
                )
            };
            match (scalar(lhs), scalar(rhs), coerce_string(lhs), coerce_string(rhs)) {
                (true, true, Some(a), Some(b)) => {
                    modules::check_length(a.len() + b.len())?;
                    Ok(Value::string(a + &b))
                }
                _ => Err(call_error("++", &[describe(lhs), describe(rhs)], CONCAT_COMBINATIONS)),
            }
        }
    }
}

/// A date argument: a date or time, or text that reads as a Date or a DateTime
/// (`daysBetween("2024-01-01", "2024-02-01")`).
/// A date, or a value that coerces to a Date, DateTime or LocalDateTime as `as` would
/// (`"2024-01-15"`, a Number of seconds since the epoch), tried in that order.
fn temporal_argument(value: &Value) -> Option<std::borrow::Cow<'_, Temporal>> {
    match value {
        Value::Temporal(t) => Some(std::borrow::Cow::Borrowed(t)),
        Value::Null => None,
        _ => ["Date", "DateTime", "LocalDateTime"].into_iter().find_map(|kind| {
            match coerce::coerce_as(value.clone(), kind, None) {
                Ok(Value::Temporal(t)) => Some(std::borrow::Cow::Owned(t)),
                _ => None,
            }
        }),
    }
}

fn date_argument(value: &Value) -> Option<std::borrow::Cow<'_, Temporal>> {
    match value {
        Value::Temporal(t) => Some(std::borrow::Cow::Borrowed(t)),
        Value::String(_) => ["Date", "DateTime", "LocalDateTime"].into_iter().find_map(|kind| {
            match coerce::coerce_as(value.clone(), kind, None) {
                Ok(Value::Temporal(t)) => Some(std::borrow::Cow::Owned(t)),
                _ => None,
            }
        }),
        _ => None,
    }
}

/// `date ++ time`: a DateTime from a Date and a Time, a LocalDateTime from a Date and a
/// LocalTime; `None` for other pairs.
fn date_and_time(date: &Temporal, time: &Temporal) -> Option<Temporal> {
    let kind = match (date.kind, time.kind) {
        (TemporalKind::Date, TemporalKind::Time) => TemporalKind::DateTime,
        (TemporalKind::Date, TemporalKind::LocalTime) => TemporalKind::LocalDateTime,
        _ => return None,
    };
    Some(Temporal {
        kind,
        days: date.days,
        nanos: time.nanos,
        offset_seconds: time.offset_seconds,
        format: None,
    })
}

const CONCAT_COMBINATIONS: &[&str] = &[
    "(Array, Array)",
    "(Date, Time)",
    "(Date, LocalTime)",
    "(Date, TimeZone)",
    "(LocalDateTime, TimeZone)",
    "(LocalTime, Date)",
    "(LocalTime, TimeZone)",
    "(Object, Object)",
    "(String, String)",
    "(Time, Date)",
    "(TimeZone, LocalDateTime)",
    "(TimeZone, Date)",
    "(TimeZone, LocalTime)",
];

/// `--`: array elements, object pairs or object keys removed.
fn remove(lhs: &Value, rhs: &Value) -> Result<Value, String> {
    match (lhs, rhs) {
        (Value::Null, _) => Ok(Value::Null),
        // Elements are compared as `~=` compares them, as DataWeave does: `[1, "1", 2] --
        // ["1"]` is `[2]`.
        (Value::Array(a), Value::Array(b)) => {
            Ok(Value::array(a.iter().filter(|x| !b.iter().any(|y| similar(x, y))).cloned()))
        }
        // An object loses the pairs the other object has too: the same key and a value that
        // is `~=` (`{a: 1} -- {a: "1"}` is `{}`).
        (Value::Object(a), Value::Object(b)) => {
            let in_b =
                |(k, v): &&(Arc<str>, Value)| b.iter().any(|(kb, vb)| kb == k && similar(v, vb));
            let kept = a.iter().filter(|pair| !in_b(pair)).cloned();
            Ok(Value::Object(Arc::new(kept.collect())))
        }
        // Or the pairs with the keys listed, removed one key after the other with `-` as
        // DataWeave does, so a key `-` does not take fails as `-` (`{a: 1} -- [null]`).
        (Value::Object(a), Value::Array(keys)) => {
            let mut kept: Vec<(Arc<str>, Value)> = a.to_vec();
            for key in keys.iter() {
                if !eval::is_removable_key(key) {
                    let object = Value::Object(Arc::new(kept));
                    return Err(eval::arithmetic_error(BinOp::Sub, object, key.clone()));
                }
                let key = coerce_string(key).unwrap_or_default();
                kept.retain(|(k, _)| **k != *key);
            }
            Ok(Value::Object(Arc::new(kept)))
        }
        _ => Err(call_error(
            "--",
            &[describe(lhs), describe(rhs)],
            &["(Array, Array)", "(Object, Object)", "(Object, Array)", "(Object, Array)"],
        )),
    }
}

/// The text and the part to look for of `contains`, `find` and `indexOf`, whose other
/// overloads DataWeave lists as `combinations` when neither fits.
fn text_and_part(
    name: &str,
    lhs: &Value,
    rhs: &Value,
    combinations: &[&str],
) -> Result<(String, String), String> {
    let is_text = |v: &Value| {
        matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Temporal(_))
    };
    match (is_text(lhs), is_text(rhs), coerce_string(lhs), coerce_string(rhs)) {
        (true, true, Some(text), Some(part)) => Ok((text, part)),
        _ => Err(call_error(name, &[describe(lhs), describe(rhs)], combinations)),
    }
}

fn two_strings(name: &str, lhs: &Value, rhs: &Value) -> Result<(String, String), String> {
    match (coerce_string(lhs), coerce_string(rhs)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(typed_call_error(name, &[lhs.clone(), rhs.clone()], &["String", "String"])),
    }
}

fn join_by(lhs: &Value, rhs: &Value) -> Result<Value, String> {
    let Value::Array(items) = lhs else {
        return match lhs {
            Value::Null => Ok(Value::Null),
            other => {
                Err(typed_call_error("joinBy", &[other.clone(), rhs.clone()], &["Array", "String"]))
            }
        };
    };
    let separator = match rhs {
        Value::Array(_) | Value::Object(_) | Value::Null => None,
        other => coerce_string(other),
    };
    let separator = separator.ok_or_else(|| {
        typed_call_error("joinBy", &[lhs.clone(), rhs.clone()], &["Array", "String"])
    })?;
    let mut parts = Vec::with_capacity(items.len());
    let mut len = 0usize;
    for item in items.iter() {
        // DataWeave's own `joinBy` writes `item as String`, whose message names no value.
        let text = coerce_string(item)
            .ok_or_else(|| format!("Cannot coerce {} to String", type_name(item)))?;
        len = len.saturating_add(text.len() + separator.len());
        modules::check_length(len)?;
        parts.push(text);
    }
    Ok(Value::string(parts.join(&separator)))
}

/// `splitBy` with a literal separator; trailing empty parts are dropped, as Java's split does.
fn split_by(lhs: &Value, rhs: &Value) -> Result<Value, String> {
    if matches!(lhs, Value::Null) {
        return Ok(Value::Null);
    }
    let (
        Value::String(_)
        | Value::Number(_)
        | Value::Bool(_)
        | Value::Temporal(_)
        | Value::Period(_)
        | Value::TimeZone(_),
        Some(separator),
    ) = (lhs, coerce_string(rhs))
    else {
        let args = [describe(lhs), describe(rhs)];
        return Err(call_error("splitBy", &args, &["(String, String)", "(String, Regex)"]));
    };
    let text = coerce_string(lhs).unwrap_or_default();
    let mut parts: Vec<String> = if text.is_empty() {
        vec![String::new()]
    } else if separator.is_empty() {
        utf16::unit_texts(&text)
    } else {
        text.split(separator.as_str()).map(str::to_owned).collect()
    };
    // Trailing empty parts are dropped, as Java's `split` drops them, all of them (`"a"
    // splitBy "a"` is `[]`) unless the text is empty (`""` gives `[""]`).
    while parts.last().is_some_and(String::is_empty) && !text.is_empty() {
        parts.pop();
    }
    Ok(Value::array(parts.into_iter().map(Value::string)))
}

fn range(lhs: &Value, rhs: &Value) -> Result<Value, String> {
    let (Some(from), Some(to)) = (coerce_number(lhs), coerce_number(rhs)) else {
        return Err(typed_call_error("to", &[lhs.clone(), rhs.clone()], &["Number", "Number"]));
    };
    Ok(range::new(from, to))
}

/// Random bits from the operating system's generator, through a version-4 UUID (the uuid
/// crate is already a dependency; 122 of the 128 bits are random).
fn random_u128() -> u128 {
    uuid::Uuid::new_v4().as_u128()
}

fn unzip(value: &Value) -> Result<Value, String> {
    let Value::Array(rows) = value else {
        return Err(typed_call_error("unzip", std::slice::from_ref(value), &["Array"]));
    };
    let width = rows
        .iter()
        .map(|row| if let Value::Array(r) = row { r.len() } else { 0 })
        .min()
        .unwrap_or(0);
    let column =
        |idx: usize| {
            Value::array(rows.iter().filter_map(|row| {
                if let Value::Array(r) = row { r.get(idx).cloned() } else { None }
            }))
        };
    Ok(Value::array((0..width).map(column)))
}

/// `base pow exponent` as DataWeave computes it: exactly for a whole exponent (a negative
/// one fails, as Java's `BigDecimal.pow` does), in `double`s for a fractional one.
///
/// FIXME: the reference engine underlines the exponent and adds `at pow` to the trace of a
/// negative exponent; flowrun underlines the call. Failures located at an argument would
/// need a place of their own in `eval::Place`.
fn pow(base: &BigDecimal, exponent: &BigDecimal) -> EResult<Value> {
    if !exponent.is_integer() {
        let (Some(base), Some(exponent)) = (base.to_f64(), exponent.to_f64()) else {
            return Err(Fail::unplaced(format!("Cannot compute {base} pow {exponent}")));
        };
        return num::from_double(base.powf(exponent)).map(Value::Number).map_err(Fail::plain);
    }
    let exponent = exponent.to_i64().unwrap_or(i64::MAX);
    if exponent < 0 {
        return Err(Fail::unplaced(format!("Negative exponent: {exponent}.")));
    }
    if exponent > 100_000 {
        return Err(Fail::unplaced(format!(
            "flowrun computes powers up to 100000, not {exponent}"
        )));
    }
    if exponent == 0 {
        return Ok(index(1));
    }
    // Exactly, as Java's `BigDecimal.pow`: the digits raised, the scale multiplied
    // (`pow(1e10, 1)` is `1E+10`, `pow(10, 1000)` has all its 1001 digits).
    let (digits, scale) = base.as_bigint_and_exponent();
    let power = u32::try_from(exponent).expect("exponent checked to be at most 100000");
    Ok(Value::Number(BigDecimal::new(digits.pow(power), scale * exponent)))
}

/// `indexOf`/`lastIndexOf` of an element in an array or of a substring; -1 when absent.
fn index_of(name: &str, lhs: &Value, rhs: &Value) -> Result<Value, String> {
    let last = name == "lastIndexOf";
    let found = match lhs {
        Value::Null => None,
        Value::Array(items) => {
            let hit = |item: &Value| dw_equal(item, rhs);
            if last { items.iter().rposition(hit) } else { items.iter().position(hit) }
        }
        _ => {
            let combinations = ["(Array, Any)", "(String, String)"];
            let (text, part) = text_and_part(name, lhs, rhs, &combinations)?;
            // The last of the occurrences found from the left, which do not overlap, as the
            // reference engine finds it (`"aaa" lastIndexOf "aa"` is 0).
            let byte_idx = match last {
                true if !part.is_empty() => text.match_indices(&part).last().map(|(idx, _)| idx),
                true => text.rfind(&part),
                false => text.find(&part),
            };
            // Only positions of characters count: an empty part is found at 0 and at the
            // last code unit, and never in an empty text (as the reference engine does).
            let n_units = utf16::len(&text);
            let unit_idx = byte_idx.map(|idx| utf16::index_at(&text, idx).min(n_units.max(1) - 1));
            unit_idx.filter(|_| n_units > 0)
        }
    };
    Ok(found.map_or(Value::Number(BigDecimal::from(-1)), index))
}

/// `find`: every index where an element or substring occurs.
fn find(lhs: &Value, rhs: &Value) -> Result<Value, String> {
    match lhs {
        Value::Null => Ok(Value::array([])),
        Value::Array(items) => {
            let hits = items.iter().enumerate().filter(|(_, item)| dw_equal(item, rhs));
            Ok(Value::array(hits.map(|(idx, _)| index(idx))))
        }
        _ => {
            let combinations = ["(Array, Any)", "(String, Regex)", "(String, String)"];
            let (text, part) = text_and_part("find", lhs, rhs, &combinations)?;
            // As with `indexOf`, an empty part is found at each code unit, not after the last.
            if part.is_empty() {
                return Ok(Value::array((0..utf16::len(&text)).map(index)));
            }
            let hits = text
                .match_indices(part.as_str())
                .map(|(idx, _)| index(utf16::index_at(&text, idx)));
            Ok(Value::array(hits))
        }
    }
}

/// `log(prefix, value)`: records the value in DataWeave's form and returns it.
fn log(prefix: Option<&Value>, value: &Value) -> Value {
    let text = writers::dw(value).unwrap_or_else(|err| err.message);
    match prefix.and_then(coerce_string) {
        Some(prefix) => tracing::info!(target: crate::expr::LOG_TARGET, "{prefix} - {text}"),
        None => tracing::info!(target: crate::expr::LOG_TARGET, "{text}"),
    }
    value.clone()
}

/// `write(value, mime, properties)`: the value as text in one of the formats flowrun
/// writes, with writer properties such as `{indent: false}`; DataWeave's notation when no
/// format is given.
///
/// DataWeave prints reader and writer failures with a trace but without quoting the script.
fn write(value: &Value, mime: Option<&Value>, config: Option<&Value>) -> EResult<Value> {
    let mime = mime.map_or_else(|| "application/dw".to_owned(), content_type);
    let props = format_props(config);
    if let Some(valid) = writers::writer_options(&mime) {
        check_options(&props, valid)?;
    }
    // Only DataWeave's own notation writes a function (`(x:Any) -> ???`).
    if mime != "application/dw" && eval::find_function(value).is_some() {
        return Err(Fail::traced("Cannot coerce Function to String"));
    }
    let written = match mime.as_str() {
        "application/json" => {
            let options = json::WriterOptions::from_props(&props);
            let written = json::write_limited(value, options, modules::MAX_TEXT);
            return written.map(Value::string).map_err(|fail| Fail::traced(fail.message));
        }
        "text/plain" => writers::text(value),
        "application/csv" | "text/csv" => {
            writers::csv(value, &writers::CsvOptions::from_props(&props))
        }
        "application/x-www-form-urlencoded" => writers::urlencoded(value),
        "application/dw" => {
            let indent = props.iter().rev().find(|(name, _)| name == "indent");
            writers::dw_indented(value, indent.map_or(writers::DW_INDENT, |(_, text)| text))
        }
        other if other.ends_with("+json") => {
            let options = json::WriterOptions::from_props(&props);
            let written = json::write_limited(value, options, modules::MAX_TEXT);
            return written.map(Value::string).map_err(|fail| Fail::traced(fail.message));
        }
        other => return Err(unknown_content_type(other)),
    };
    let written = written.map_err(|err| Fail::traced(err.message))?;
    modules::check_length(written.len()).map_err(Fail::traced)?;
    Ok(Value::string(written))
}

/// `read(text, mime, properties)`: text parsed in one of the formats flowrun reads.
fn read(text: &Value, mime: &Value, config: Option<&Value>) -> EResult<Value> {
    let mime = content_type(mime);
    let props = format_props(config);
    let valid: Option<&[&str]> = match mime.as_str() {
        "application/json" => Some(&["streaming"]),
        "application/csv" | "text/csv" => Some(readers::CSV_READ_OPTIONS),
        "text/plain" | "application/x-www-form-urlencoded" => Some(&[]),
        _ => None,
    };
    if let Some(valid) = valid {
        check_options(&props, valid)?;
    }
    let text = match text {
        Value::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        other => {
            coerce_string(other).ok_or_else(|| Fail::unplaced(cannot_coerce(other, "String")))?
        }
    };
    match mime.as_str() {
        "application/json" => json::read_text(&text, "root").map_err(|err| {
            Fail::traced(format!("Exception while reading '{text}' as '{mime}' cause by:\n{err}"))
        }),
        "text/plain" => Ok(Value::string(text)),
        "application/csv" | "text/csv" => {
            Ok(readers::csv(&text, &readers::CsvReadOptions::from_props(&props)))
        }
        "application/x-www-form-urlencoded" => Ok(readers::urlencoded(&text)),
        "application/dw" => read_dw(&text),
        other if other.ends_with("+json") => json::read_text(&text, "root").map_err(Fail::traced),
        other => Err(unknown_content_type(other)),
    }
}

/// DataWeave notation, as `write(value)` prints it: the text is read as a script body of
/// its own, with no inputs.
fn read_dw(text: &str) -> EResult<Value> {
    let span = crate::diag::Span::new(crate::diag::FileId(0), 0, 0);
    let options = crate::expr::ScriptOptions { standalone: true, ..Default::default() };
    let expr = crate::expr::Expr::compile_with(text, span, options).map_err(|diag| {
        // DataWeave's own wording, capital letter and all.
        let message = diag.message;
        Fail::traced(format!(
            "Exception while reading '{text}' as 'application/dw' cause by:\n{message}"
        ))
    })?;
    let payload = crate::value::TypedValue::null();
    let scope = crate::expr::Scope::standalone(&payload, &[]);
    expr.eval(&scope).map(|result| result.value).map_err(|err| Fail::traced(err.message))
}

/// The media type a `read`/`write` argument names, short ids (`json`) expanded and
/// parameters (`; charset=...`) dropped.
fn content_type(mime: &Value) -> String {
    let mime = coerce_string(mime).unwrap_or_default();
    let essence = mime.split(';').next().unwrap_or_default().trim();
    crate::expr::parse::expand_format_id(essence)
}

/// Refuses a reader or writer property the format does not have, in DataWeave's words.
fn check_options(props: &[(String, String)], valid: &[&str]) -> EResult<()> {
    let Some((name, _)) = props.iter().find(|(name, _)| !valid.contains(&name.as_str())) else {
        return Ok(());
    };
    let mut message = format!("Option `{name}` is not valid.");
    if !valid.is_empty() {
        let listed: Vec<String> = valid.iter().map(|option| format!("`{option}`")).collect();
        message.push_str(&format!(" Valid options are: {}", listed.join(", ")));
    }
    Err(Fail::unplaced(message))
}

/// Reader or writer properties (`{indent: false}`) as name and text pairs.
fn format_props(config: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Object(pairs)) = config else { return Vec::new() };
    pairs.iter().filter_map(|(k, v)| Some((k.to_string(), coerce_string(v)?))).collect()
}

/// The formats the reference engine knows; flowrun reads or writes only some of them.
const KNOWN_CONTENT_TYPES: &[&str] = &[
    "application/dw",
    "application/json",
    "application/xml",
    "application/csv",
    "application/octet-stream",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/x-java-properties",
];

fn unknown_content_type(mime: &str) -> Fail {
    if KNOWN_CONTENT_TYPES.contains(&mime) {
        return Fail::unplaced(format!(
            "flowrun cannot read or write `{mime}` with `read`/`write` yet"
        ));
    }
    Fail::plain(format!(
        "Unknown content type `{mime}`. Supported content types are: `application/dw`, `application/json`, `application/xml`, `application/csv`, `application/octet-stream`, `text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`, `text/x-java-properties`"
    ))
}
