//! The functions of `dw::core::Arrays` and `dw::core::Objects` that take a function argument:
//! `some`, `every`,
//! `countBy`, `sumBy`, `indexWhere`, `splitWhere`, `firstWith`, `partition`, `takeWhile`, `dropWhile`
//! and the joins (`join`, `leftJoin`, `outerJoin`).
//!
//! [`modules`](super::modules) lists them and hands their calls here.

use std::sync::Arc;

use bigdecimal::{BigDecimal, Zero};

use crate::expr::ast::BinOp;
use crate::expr::eval::{
    self, Arg, Closure, EResult, Eval, Fail, cannot_coerce, coerce_number, coerce_string,
    typed_call_error,
};
use crate::expr::funcs;
use crate::value::Value;

/// Runs `name` on an array and a function; `None` when `name` is not one of these.
pub(crate) fn call(eval: &mut Eval<'_>, name: &str, args: &[Arg]) -> Option<EResult<Value>> {
    match args {
        [Arg::Value(subject), Arg::Fun(lambda)] if matches!(name, "everyEntry" | "someEntry") => {
            Some(entries(eval, name, subject, lambda))
        }
        [Arg::Value(subject), Arg::Fun(lambda)] => {
            let items = match subject {
                Value::Array(items) => items,
                // `dw::core::Objects::takeWhile`: the leading pairs whose value and key pass.
                Value::Object(pairs) if name == "takeWhile" => {
                    return Some(take_pairs_while(eval, pairs, lambda));
                }
                // `every` holds for nothing at all, `some` does not.
                Value::Null if name == "every" => return Some(Ok(Value::Bool(true))),
                Value::Null if name == "some" => return Some(Ok(Value::Bool(false))),
                Value::Null => return Some(Ok(Value::Null)),
                other => {
                    let message =
                        typed_call_error(name, std::slice::from_ref(other), &["Array", "Function"]);
                    return Some(Err(Fail::unplaced(with_function_arg(message, lambda))));
                }
            };
            Some(with_function(eval, name, items, lambda))
        }
        [Arg::Value(left), Arg::Value(right), Arg::Fun(left_key), Arg::Fun(right_key)]
            if matches!(name, "join" | "leftJoin" | "outerJoin") =>
        {
            Some(join(eval, name, [left, right], [left_key, right_key]))
        }
        _ => None,
    }
}

fn take_pairs_while(
    eval: &mut Eval<'_>,
    pairs: &[(Arc<str>, Value)],
    lambda: &Closure,
) -> EResult<Value> {
    let mut taken = Vec::new();
    for (key, value) in pairs {
        let passed = eval.apply(lambda, vec![value.clone(), Value::Key(key.clone())])?;
        let passed = funcs::criterion(passed)
            .map_err(|value| Fail::unplaced(funcs::if_condition_error(&value)))?;
        if !passed {
            break;
        }
        taken.push((key.clone(), value.clone()));
    }
    Ok(Value::Object(Arc::new(taken)))
}

/// `everyEntry` and `someEntry` of `dw::core::Objects`: a test of each value and key.
fn entries(eval: &mut Eval<'_>, name: &str, subject: &Value, lambda: &Closure) -> EResult<Value> {
    let every = name == "everyEntry";
    let pairs = match subject {
        Value::Object(pairs) => pairs,
        Value::Null => return Ok(Value::Bool(every)),
        other => {
            let message =
                typed_call_error(name, std::slice::from_ref(other), &["Object", "Function"]);
            return Err(Fail::unplaced(with_function_arg(message, lambda)));
        }
    };
    for (key, value) in pairs.iter() {
        let passed = eval.apply(lambda, vec![value.clone(), Value::Key(key.clone())])?;
        let passed = funcs::criterion(passed)
            .map_err(|value| Fail::unplaced(funcs::if_condition_error(&value)))?;
        if passed != every {
            return Ok(Value::Bool(!every));
        }
    }
    Ok(Value::Bool(every))
}

fn with_function(
    eval: &mut Eval<'_>,
    name: &str,
    items: &[Value],
    lambda: &Closure,
) -> EResult<Value> {
    // A condition must give a Boolean (or the text `true`/`false`); DataWeave words the
    // failure as a failed `if` in most of these functions, and as a coercion in `partition`.
    let test = |eval: &mut Eval<'_>, item: &Value| -> EResult<bool> {
        funcs::criterion(eval.apply(lambda, vec![item.clone()])?).map_err(|value| {
            if name == "partition" {
                Fail::plain(cannot_coerce(&value, "Boolean"))
            } else {
                Fail::unplaced(funcs::if_condition_error(&value))
            }
        })
    };
    let result = match name {
        "some" | "every" | "countBy" => {
            let mut n_true = 0usize;
            for item in items {
                n_true += usize::from(test(eval, item)?);
            }
            match name {
                "some" => Value::Bool(n_true > 0),
                "every" => Value::Bool(n_true == items.len()),
                _ => index(n_true),
            }
        }
        "sumBy" => {
            // DataWeave adds each value to the running total: `value + total`.
            let mut total = BigDecimal::zero();
            for item in items {
                let value = eval.apply(lambda, vec![item.clone()])?;
                let Some(number) = coerce_number(&value) else {
                    let sum = Value::Number(total);
                    return Err(Fail::unplaced(eval::arithmetic_error(BinOp::Add, value, sum)));
                };
                total += number;
            }
            Value::Number(total)
        }
        "indexWhere" => {
            for (idx, item) in items.iter().enumerate() {
                if test(eval, item)? {
                    return Ok(index(idx));
                }
            }
            Value::Number(BigDecimal::from(-1))
        }
        "splitWhere" => {
            // Split before the first element that passes; none passing puts all on the right,
            // as DataWeave's `splitAt` of `indexWhere`'s -1 does.
            let mut at = 0;
            while at < items.len() && !test(eval, &items[at])? {
                at += 1;
            }
            let at = if at == items.len() { 0 } else { at };
            let (left, right) = items.split_at(at);
            let halves = [("l", left), ("r", right)];
            Value::object(halves.map(|(k, half)| (k, Value::array(half.iter().cloned()))))
        }
        "firstWith" => {
            for (idx, item) in items.iter().enumerate() {
                let found = eval.apply(lambda, vec![item.clone(), index(idx)])?;
                let found = funcs::criterion(found)
                    .map_err(|value| Fail::traced(cannot_coerce(&value, "Boolean")))?;
                if found {
                    return Ok(item.clone());
                }
            }
            Value::Null
        }
        "partition" => {
            let (mut success, mut failure) = (Vec::new(), Vec::new());
            for item in items {
                if test(eval, item)? { &mut success } else { &mut failure }.push(item.clone());
            }
            Value::object([("success", Value::array(success)), ("failure", Value::array(failure))])
        }
        "takeWhile" | "dropWhile" => {
            let mut n_leading = 0;
            while n_leading < items.len() && test(eval, &items[n_leading])? {
                n_leading += 1;
            }
            let (taken, rest) = items.split_at(n_leading);
            Value::array(if name == "takeWhile" { taken } else { rest }.iter().cloned())
        }
        _ => return Err(Fail::unplaced(format!("Function `{name}` does not take a function"))),
    };
    Ok(result)
}

/// `join`, `leftJoin` and `outerJoin`: pairs `{l, r}` of elements whose keys are equal as
/// text (`1` joins `"1"`), in the order of the left array, then of the right. `leftJoin`
/// adds `{l}` for a left element without partner, `outerJoin` also `{r}` for a right one.
fn join(
    eval: &mut Eval<'_>,
    name: &str,
    [left, right]: [&Value; 2],
    [left_key, right_key]: [&Closure; 2],
) -> EResult<Value> {
    let (Value::Array(left), Value::Array(right)) = (left, right) else {
        let args = [left.clone(), right.clone()];
        let message = typed_call_error(name, &args, &["Array", "Array", "Function", "Function"]);
        return Err(Fail::unplaced(message));
    };
    let mut keys = |items: &[Value], lambda: &Closure| -> EResult<Vec<String>> {
        let mut keys = Vec::with_capacity(items.len());
        for item in items {
            let key = eval.apply(lambda, vec![item.clone()])?;
            keys.push(
                coerce_string(&key).ok_or_else(|| Fail::unplaced(cannot_coerce(&key, "String")))?,
            );
        }
        Ok(keys)
    };
    let left_keys = keys(left, left_key)?;
    let right_keys = keys(right, right_key)?;
    let pair = |l: Option<&Value>, r: Option<&Value>| {
        let pairs = [("l", l), ("r", r)].into_iter().filter_map(|(k, v)| Some((k, v?.clone())));
        Value::Object(Arc::new(pairs.map(|(k, v)| (Arc::<str>::from(k), v)).collect()))
    };
    let mut out = Vec::new();
    for (l, l_key) in left.iter().zip(&left_keys) {
        let partners: Vec<&Value> =
            right.iter().zip(&right_keys).filter(|(_, k)| *k == l_key).map(|(r, _)| r).collect();
        if partners.is_empty() && name != "join" {
            out.push(pair(Some(l), None));
        }
        out.extend(partners.into_iter().map(|r| pair(Some(l), Some(r))));
    }
    if name == "outerJoin" {
        let unmatched = right.iter().zip(&right_keys).filter(|(_, k)| !left_keys.contains(k));
        out.extend(unmatched.map(|(r, _)| pair(None, Some(r))));
    }
    Ok(Value::array(out))
}

/// Adds the function argument to a call error, as DataWeave lists it.
fn with_function_arg(message: String, lambda: &Closure) -> String {
    let function = funcs::describe_fun(lambda);
    message.replacen("\n\nBut it expects", &format!("\n  2: {function}\n\nBut it expects"), 1)
}

fn index(n: usize) -> Value {
    Value::Number(BigDecimal::from(n as u64))
}
