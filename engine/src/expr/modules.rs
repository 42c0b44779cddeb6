//! The parts of DataWeave's standard modules that Mule apps import most:
//! `dw::core::Strings`, `dw::core::Arrays`, `dw::core::Binaries`, `dw::core::Objects`,
//! `dw::core::Periods` (in `period.rs`) and `dw::util::Coercions`.
//!
//! A module function is only visible after an `import` (checked in [`resolve`](super::resolve));
//! [`call`] runs it.

use std::sync::Arc;

use bigdecimal::{BigDecimal, RoundingMode, ToPrimitive};

use crate::expr::eval::{
    Arg, Closure, EResult, Eval, Fail, call_error, cannot_coerce, coerce_number, coerce_string,
    describe, dw_repr, text_boolean, typed_call_error,
};
use crate::expr::{arrays, coerce, funcs, inflection, number_format, period, utf16};
use crate::value::Value;

/// Each supported module and the functions flowrun implements from it.
pub(crate) const MODULES: &[(&str, &[&str])] = &[
    (
        "dw::core::Strings",
        &[
            "appendIfMissing",
            "camelize",
            "capitalize",
            "charCode",
            "charCodeAt",
            "collapse",
            "countCharactersBy",
            "countMatches",
            "dasherize",
            "everyCharacter",
            "first",
            "fromCharCode",
            "hammingDistance",
            "isAlpha",
            "isAlphanumeric",
            "isLowerCase",
            "isNumeric",
            "isUpperCase",
            "isWhitespace",
            "last",
            "leftPad",
            "levenshteinDistance",
            "lines",
            "mapString",
            "ordinalize",
            "pluralize",
            "prependIfMissing",
            "remove",
            "repeat",
            "replaceAll",
            "reverse",
            "rightPad",
            "singularize",
            "someCharacter",
            "substring",
            "substringAfter",
            "substringAfterLast",
            "substringBefore",
            "substringBeforeLast",
            "substringBy",
            "substringEvery",
            "underscore",
            "unwrap",
            "withMaxSize",
            "words",
            "wrapIfMissing",
            "wrapWith",
        ],
    ),
    (
        "dw::core::Arrays",
        &[
            "countBy",
            "divideBy",
            "drop",
            "dropWhile",
            "every",
            "firstWith",
            "indexWhere",
            "join",
            "leftJoin",
            "outerJoin",
            "partition",
            "slice",
            "some",
            "splitAt",
            "splitWhere",
            "sumBy",
            "take",
            "takeWhile",
        ],
    ),
    ("dw::core::Binaries", &["concatWith", "fromBase64", "fromHex", "toBase64", "toHex"]),
    (
        "dw::core::Periods",
        &[
            "between", "days", "duration", "hours", "minutes", "months", "period", "seconds",
            "years",
        ],
    ),
    (
        "dw::core::Objects",
        &[
            "divideBy",
            "entrySet",
            "everyEntry",
            "keySet",
            "mergeWith",
            "nameSet",
            "someEntry",
            "takeWhile",
            "valueSet",
        ],
    ),
    (
        "dw::util::Coercions",
        &[
            "toArray",
            "toBinary",
            "toBoolean",
            "toDate",
            "toDateTime",
            "toLocalDateTime",
            "toLocalTime",
            "toNumber",
            "toRegex",
            "toString",
            "toTime",
        ],
    ),
];

/// The functions of a module, if flowrun knows the module.
pub(crate) fn functions_of(module: &str) -> Option<&'static [&'static str]> {
    MODULES.iter().find(|(name, _)| *name == module).map(|(_, functions)| *functions)
}

/// The names DataWeave's modules export that flowrun's lack, for the modules flowrun has
/// (checked against the reference engine: `import name from module`).
const DATAWEAVE_ONLY: &[(&str, &[&str])] = &[
    ("dw::core::Arrays", &["indexOf"]),
    ("dw::core::Binaries", &["readLinesWith", "writeLinesWith"]),
    (
        "dw::util::Coercions",
        &[
            "Formatter",
            "MillisOrSecs",
            "PeriodUnits",
            "RoundingMode",
            "toDateOrNull",
            "toDateTimeOrNull",
            "toLocalDateTimeOrNull",
            "toLocalTimeOrNull",
            "toNumberOrNull",
            "toPeriod",
            "toTimeOrNull",
            "toTimeZone",
            "toUri",
        ],
    ),
];

/// True when DataWeave's `module` (one flowrun has) exports `name`, whether flowrun's does
/// or not.
pub(crate) fn dataweave_has(module: &str, name: &str) -> bool {
    functions_of(module).is_some_and(|names| names.contains(&name))
        || DATAWEAVE_ONLY.iter().any(|(only, names)| *only == module && names.contains(&name))
}

/// True when DataWeave has `module`, whether flowrun has it or not (`dw::Runtime`,
/// `dw::Mule` in Mule apps).
pub(crate) fn exists_in_dataweave(module: &str) -> bool {
    const DATAWEAVE: &[&str] = &[
        "dw::Core",
        "dw::Crypto",
        "dw::Mule",
        "dw::Runtime",
        "dw::System",
        "dw::core::Arrays",
        "dw::core::Binaries",
        "dw::core::Dates",
        "dw::core::Numbers",
        "dw::core::Objects",
        "dw::core::Periods",
        "dw::core::Strings",
        "dw::core::Types",
        "dw::core::URL",
        "dw::extension::DataFormat",
        "dw::module::Mime",
        "dw::module::Multipart",
        "dw::util::Coercions",
        "dw::util::Diff",
        "dw::util::Math",
        "dw::util::Timer",
        "dw::util::Tree",
        "dw::util::Values",
        "dw::xml::Dtd",
    ];
    DATAWEAVE.contains(&module) || functions_of(module).is_some()
}

/// True when `name` (unqualified) is a module function.
pub(crate) fn is_module_function(name: &str) -> bool {
    // Every call of a core function asks this first, so it must be cheap.
    static NAMES: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            MODULES.iter().flat_map(|(_, functions)| functions.iter().copied()).collect()
        })
        .contains(name)
}

/// Runs module function `name`; `None` when it is not one.
pub(crate) fn call(eval: &mut Eval<'_>, name: &str, args: &[Arg]) -> Option<EResult<Value>> {
    if !is_module_function(name) {
        return None;
    }
    if let [Arg::Value(subject), Arg::Fun(lambda)] = args
        && matches!(
            name,
            "everyCharacter" | "someCharacter" | "mapString" | "substringBy" | "countCharactersBy"
        )
    {
        return Some(characters(eval, name, subject, lambda));
    }
    if let [Arg::Value(subject), Arg::Regex(regex)] = args
        && name == "countMatches"
    {
        return Some(match subject {
            Value::Null => Ok(Value::Null),
            other => coerce_string(other)
                .map(|text| index(regex.java_captures(&text).len()))
                .ok_or_else(|| Fail::unplaced(cannot_coerce(other, "String"))),
        });
    }
    if let Some(result) = arrays::call(eval, name, args) {
        return Some(result);
    }
    let mut values = Vec::with_capacity(args.len());
    for arg in args {
        match arg {
            Arg::Value(value) => values.push(value.clone()),
            _ => {
                return Some(Err(Fail::unplaced(format!(
                    "Function `{name}` does not take a function here"
                ))));
            }
        }
    }
    Some(call_values(name, &values).map_err(Fail::unplaced))
}

fn call_values(name: &str, args: &[Value]) -> Result<Value, String> {
    if let ("concatWith", [left, right]) = (name, args) {
        // A null side gives the other, as `++` of a null does.
        return match (left, right) {
            (Value::Null, other) | (other, Value::Null) => Ok(other.clone()),
            (Value::Binary(left), Value::Binary(right)) => {
                Ok(Value::Binary([left.as_ref(), right.as_ref()].concat().into()))
            }
            _ => Err(typed_call_error(name, args, &["Binary", "Binary"])),
        };
    }
    if let ("mergeWith", [source, target]) = (name, args) {
        return merge_with(source, target)
            .ok_or_else(|| typed_call_error(name, args, &["Object", "Object"]));
    }
    if let ("keySet" | "nameSet" | "valueSet" | "entrySet", [subject]) = (name, args)
        && !matches!(subject, Value::Object(_))
    {
        // These have no Null overload.
        return Err(typed_call_error(name, args, &["Object"]));
    }
    if let Some(result) = period::module_call(name, args) {
        return result;
    }
    if let Some(Value::Null) = args.first()
        && let Some((_, signature)) = NO_NULL_OVERLOAD.iter().find(|(n, _)| *n == name)
    {
        return Err(match signature {
            Signature::Types(types) => typed_call_error(name, args, types),
            Signature::OneOf(combinations) => {
                call_error(name, &args.iter().map(describe).collect::<Vec<_>>(), combinations)
            }
        });
    }
    check_signature(name, args)?;
    if let Some(Value::Null) = args.first() {
        // check_signature let through only the functions with a null overload.
        // The tests of dw::core::Strings answer false for null; the rest give null back.
        let is_test = matches!(
            name,
            "isNumeric"
                | "isAlpha"
                | "isAlphanumeric"
                | "isLowerCase"
                | "isUpperCase"
                | "isWhitespace"
        );
        return Ok(if is_test { Value::Bool(false) } else { Value::Null });
    }
    match (name, args) {
        ("toString", [value]) => {
            coerce_string(value).map(Value::string).ok_or_else(|| cannot_coerce(value, "String"))
        }
        ("toNumber", [value @ Value::Temporal(_)]) => {
            coerce::coerce_as(value.clone(), "Number", None)
        }
        ("toNumber", [value]) => {
            coerce_number(value).map(Value::Number).ok_or_else(|| cannot_coerce(value, "Number"))
        }
        // As `as Boolean`: the text `true` or `false` in any case.
        ("toBoolean", [value]) => match coerce_string(value).as_deref().and_then(text_boolean) {
            Some(b) => Ok(Value::Bool(b)),
            None => Err(cannot_coerce(value, "Boolean")),
        },
        // The rest of dw::util::Coercions is `as` with a format (or, from a date to a
        // Number, a unit), which is how DataWeave defines them.
        ("toString" | "toNumber", [value, format, rest @ ..]) => {
            let is_unit = name == "toNumber" && matches!(value, Value::Temporal(_));
            let prop = if is_unit { "unit" } else { "format" };
            let target = if name == "toString" { "String" } else { "Number" };
            let mut props = vec![(prop, format.clone())];
            if let Some(locale) = rest.first() {
                props.push(("locale", locale.clone()));
            }
            // `roundMode` is typed `RoundingMode | Null`, Java's modes but `UNNECESSARY`.
            if let Some(mode) = rest.get(1).filter(|mode| !matches!(mode, Value::Null)) {
                let name = mode.as_str().filter(|name| {
                    number_format::Rounding::named(name)
                        .is_some_and(|r| r != number_format::Rounding::Unnecessary)
                });
                if name.is_none() {
                    return Err(rounding_mode_mismatch(mode));
                }
                props.push(("roundMode", mode.clone()));
            }
            coerce::coerce_as(value.clone(), target, Some(&Value::object(props)))
        }
        ("substringEvery", [text, count]) => {
            let text = coerce_string(text).ok_or_else(|| cannot_coerce(text, "String"))?;
            let size = count_arg(count)?.max(1);
            let units = utf16::units(&text);
            Ok(Value::array(units.chunks(size).map(|part| Value::string(utf16::to_text(part)))))
        }
        ("toBinary", [text, encoding]) => {
            let text = coerce_string(text).ok_or_else(|| cannot_coerce(text, "String"))?;
            let encoding = coerce_string(encoding).unwrap_or_default().to_ascii_uppercase();
            let bytes = match encoding.as_str() {
                "UTF-8" | "UTF8" => text.into_bytes(),
                // One byte per character; what the charset lacks is written `?`, as Java does.
                "ISO-8859-1" | "LATIN1" => {
                    text.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect()
                }
                "US-ASCII" | "ASCII" => {
                    text.chars().map(|c| if c.is_ascii() { c as u8 } else { b'?' }).collect()
                }
                other => {
                    return Err(format!("flowrun does not support the encoding `{other}` yet"));
                }
            };
            Ok(Value::Binary(bytes.into()))
        }
        ("toArray", [Value::String(text)]) => {
            Ok(Value::array(utf16::unit_texts(text).into_iter().map(Value::string)))
        }
        (
            "toDate" | "toDateTime" | "toLocalDateTime" | "toLocalTime" | "toTime",
            [value, rest @ ..],
        ) => {
            // A Number is read in a unit (`toDateTime(1700000000000, "milliseconds")`), text
            // with a format.
            let prop = if matches!(value, Value::Number(_)) { "unit" } else { "format" };
            let props = rest.first().map(|arg| Value::object([(prop, arg.clone())]));
            coerce::coerce_as(value.clone(), &name[2..], props.as_ref())
        }
        ("toHex", [value]) => {
            let bytes = binary_arg(name, value)?;
            Ok(Value::string(bytes.iter().map(|b| format!("{b:02X}")).collect::<String>()))
        }
        ("fromHex", [value]) => {
            let text = coerce_string(value).ok_or_else(|| cannot_coerce(value, "String"))?;
            Ok(Value::Binary(binary_from_text(&text, "16")?.into()))
        }
        ("toBase64", [value]) => Ok(Value::string(to_base64(&binary_arg(name, value)?))),
        ("fromBase64", [value]) => {
            let text = coerce_string(value).ok_or_else(|| cannot_coerce(value, "String"))?;
            Ok(Value::Binary(binary_from_text(&text, "64")?.into()))
        }
        ("slice", [Value::Array(items), from, until]) => {
            let from = usize::try_from(int_arg(from)?.max(0)).unwrap_or(usize::MAX);
            let until = usize::try_from(int_arg(until)?.max(0)).unwrap_or(usize::MAX);
            let until = until.min(items.len());
            Ok(Value::array(items.get(from..until).unwrap_or_default().iter().cloned()))
        }
        ("splitAt", [Value::Array(items), at]) => {
            let at = usize::try_from(int_arg(at)?.max(0)).unwrap_or(usize::MAX).min(items.len());
            let (left, right) = items.split_at(at);
            let halves = [("l", left), ("r", right)];
            Ok(Value::object(halves.map(|(k, half)| (k, Value::array(half.iter().cloned())))))
        }
        // Keys are Keys, as `keysOf` gives them; names are Strings.
        ("keySet", [Value::Object(pairs)]) => {
            Ok(Value::array(pairs.iter().map(|(k, _)| Value::Key(k.clone()))))
        }
        ("nameSet", [Value::Object(pairs)]) => {
            Ok(Value::array(pairs.iter().map(|(k, _)| Value::String(k.clone()))))
        }
        ("valueSet", [Value::Object(pairs)]) => {
            Ok(Value::array(pairs.iter().map(|(_, v)| v.clone())))
        }
        ("entrySet", [Value::Object(pairs)]) => Ok(Value::array(pairs.iter().map(|(k, v)| {
            Value::object([
                ("key", Value::Key(k.clone())),
                ("value", v.clone()),
                ("attributes", Value::object(Vec::<(&str, Value)>::new())),
            ])
        }))),
        ("divideBy", [Value::Object(pairs), count]) => {
            // Unlike the array version, a size below one keeps the object whole.
            let count = match count_arg(count)? {
                0 => pairs.len().max(1),
                count => count,
            };
            let chunks = pairs.chunks(count).map(|chunk| Value::Object(Arc::new(chunk.to_vec())));
            Ok(Value::array(chunks.collect::<Vec<_>>()))
        }
        ("take" | "drop" | "divideBy", [Value::Array(items), count]) => {
            let count = count_arg(count)?;
            Ok(match name {
                "take" => Value::array(items.iter().take(count).cloned()),
                "drop" => Value::array(items.iter().skip(count).cloned()),
                _ => Value::array(
                    items.chunks(count.max(1)).map(|chunk| Value::array(chunk.iter().cloned())),
                ),
            })
        }
        _ => strings(name, args),
    }
}

/// `everyCharacter`, `someCharacter`, `mapString` and `substringBy`: a function applied to
/// each character.
fn characters(
    eval: &mut Eval<'_>,
    name: &str,
    subject: &Value,
    lambda: &Closure,
) -> EResult<Value> {
    let text = match subject {
        Value::Null if name == "everyCharacter" => return Ok(Value::Bool(true)),
        Value::Null if name == "someCharacter" => return Ok(Value::Bool(false)),
        Value::Null => return Ok(Value::Null),
        other => {
            coerce_string(other).ok_or_else(|| Fail::unplaced(cannot_coerce(other, "String")))?
        }
    };
    // Code unit by code unit, as DataWeave walks a string. A half of a surrogate pair is
    // given as `?`; if the mapper gives that back, the half is kept, so that the pair is
    // whole again in the result (`upper` of each unit of `a😀` is `A😀`).
    let mut mapped: Vec<u16> = Vec::new();
    // `substringBy`: the parts between the characters that pass.
    let mut parts: Vec<Value> = Vec::new();
    let mut n_passed = 0u64;
    for (idx, unit) in utf16::units(&text).into_iter().enumerate() {
        let part = utf16::to_text(&[unit]);
        let result = eval.apply(lambda, vec![Value::string(part.as_str()), index(idx)])?;
        let result = match (name, result) {
            ("mapString", result) => result,
            (_, result) => Value::Bool(
                funcs::criterion(result)
                    .map_err(|value| Fail::unplaced(cannot_coerce(&value, "Boolean")))?,
            ),
        };
        match (name, result) {
            ("everyCharacter", Value::Bool(false)) => return Ok(Value::Bool(false)),
            ("someCharacter", Value::Bool(true)) => return Ok(Value::Bool(true)),
            ("substringBy", Value::Bool(true)) => {
                parts.push(Value::string(utf16::to_text(&mapped)));
                mapped.clear();
            }
            ("substringBy", _) => mapped.push(unit),
            ("countCharactersBy", Value::Bool(passed)) => n_passed += u64::from(passed),
            ("mapString", other) => {
                let text = coerce_string(&other)
                    .ok_or_else(|| Fail::unplaced(cannot_coerce(&other, "String")))?;
                if text == part && char::from_u32(unit.into()).is_none() {
                    mapped.push(unit);
                } else {
                    mapped.extend(text.encode_utf16());
                }
            }
            _ => {}
        }
    }
    Ok(match name {
        "everyCharacter" => Value::Bool(true),
        "someCharacter" => Value::Bool(false),
        "substringBy" => {
            parts.push(Value::string(utf16::to_text(&mapped)));
            Value::array(parts)
        }
        "countCharactersBy" => Value::Number(BigDecimal::from(n_passed)),
        _ => Value::string(utf16::to_text(&mapped)),
    })
}

fn index(n: usize) -> Value {
    Value::Number(BigDecimal::from(n as u64))
}

/// A whole number argument, truncated towards zero as DataWeave's `as Number` parts do.
fn int_arg(value: &Value) -> Result<i64, String> {
    let number = coerce_number(value).ok_or_else(|| cannot_coerce(value, "Number"))?;
    let whole = number.with_scale_round(0, RoundingMode::Down);
    // Out of range counts saturate: `take(xs, 1e30)` takes everything.
    let saturated =
        if whole.sign() == bigdecimal::num_bigint::Sign::Minus { i64::MIN } else { i64::MAX };
    Ok(whole.to_i64().unwrap_or(saturated))
}

/// `source mergeWith target`: the pairs of `source` whose keys `target` lacks, then all of
/// `target`; a null on either side gives the other. `None` when either is something else.
fn merge_with(source: &Value, target: &Value) -> Option<Value> {
    match (source, target) {
        (Value::Object(source), Value::Object(target)) => {
            let kept = source.iter().filter(|(k, _)| !target.iter().any(|(t, _)| t == k));
            Some(Value::Object(Arc::new(kept.chain(target.iter()).cloned().collect())))
        }
        (Value::Null, other @ (Value::Object(_) | Value::Null))
        | (other @ Value::Object(_), Value::Null) => Some(other.clone()),
        _ => None,
    }
}

/// Reads text written with a Java `DecimalFormat` pattern (`"1,234.5"` with `"#,##0.0"`):
/// the pattern's literal prefix and suffix are dropped, grouping commas ignored, and a
/// percent divided by 100. `None` when what is left is not a number.
/// The Binary parameter of `name`: a Binary, or what `as Binary` makes of text (its UTF-8
/// bytes) or of a number (one byte, `toBase64(1)` is `AQ==`), as DataWeave coerces it.
fn binary_arg(name: &str, value: &Value) -> Result<Vec<u8>, String> {
    match coerce::coerce_as(value.clone(), "Binary", None) {
        Ok(Value::Binary(bytes)) => Ok(bytes.to_vec()),
        _ => Err(typed_call_error(name, std::slice::from_ref(value), &["Binary"])),
    }
}

/// How DataWeave lists the parameters of a function when a call does not fit.
enum Signature {
    /// Its only signature: `But it expects arguments of these types:`.
    Types(&'static [&'static str]),
    /// Its overloads: `But it expects one of these combinations:`.
    OneOf(&'static [&'static str]),
}

/// Module functions with no Null overload: a null first argument is their call error (which
/// `default` catches), where the others give null back.
const NO_NULL_OVERLOAD: &[(&str, Signature)] = &[
    ("toBase64", Signature::Types(&["Binary"])),
    ("toHex", Signature::Types(&["Binary"])),
    ("fromBase64", Signature::Types(&["String"])),
    ("fromHex", Signature::Types(&["String"])),
    ("toArray", Signature::Types(&["String"])),
    ("toBoolean", Signature::Types(&["String"])),
    ("toRegex", Signature::Types(&["String"])),
    ("toBinary", Signature::Types(&["String", "String"])),
    (
        "toString",
        Signature::OneOf(&[
            "(Array)",
            "(Binary, String)",
            "(Date | DateTime | LocalDateTime | LocalTime | Time, String | Null, String | Null)",
            "(Number, String | Null, String | Null, RoundingMode | Null)",
            "(TimeZone | Uri | Boolean | Period | Regex | Key)",
        ]),
    ),
    (
        "toNumber",
        Signature::OneOf(&[
            "(DateTime, MillisOrSecs | Null)",
            "(Period, PeriodUnits | Null)",
            "(String, Array)",
            "(String | Key, String | Null, String | Null)",
        ]),
    ),
    (
        "toDateTime",
        Signature::OneOf(&[
            "(Number, MillisOrSecs | Null)",
            "(String, Array)",
            "(String, String | Null, String | Null)",
        ]),
    ),
    ("toDate", Signature::OneOf(DATE_PARSERS)),
    ("toLocalDateTime", Signature::OneOf(DATE_PARSERS)),
    ("toTime", Signature::OneOf(DATE_PARSERS)),
    ("toLocalTime", Signature::OneOf(DATE_PARSERS)),
];

/// The overloads of `toDate` and the other functions that read a date or time from text.
const DATE_PARSERS: &[&str] = &["(String, Array)", "(String, String | Null, String | Null)"];

/// DataWeave's error for a `roundMode` of `dw::util::Coercions` outside `RoundingMode | Null`:
/// one mismatch per name the union allows.
fn rounding_mode_mismatch(mode: &Value) -> String {
    const NAMES: &[&str] = &["UP", "DOWN", "CEILING", "FLOOR", "HALF_UP", "HALF_DOWN", "HALF_EVEN"];
    let got = dw_repr(mode);
    let lines = NAMES.iter().map(|name| {
        format!(
            "- Expecting Type: `\"{name}\"`, but got: `{got}`.\n\t|-- From: `\"{name}\"`\n\t\
             |---- From: `RoundingMode`\n\t|------ From: `RoundingMode | Null`"
        )
    });
    lines.collect::<Vec<_>>().join("\n")
}

fn count_arg(value: &Value) -> Result<usize, String> {
    Ok(usize::try_from(int_arg(value)?.max(0)).unwrap_or(usize::MAX))
}

/// The parameter types of module functions that take more than text, as DataWeave lists
/// them when a call does not fit.
const SIGNATURES: &[(&str, &[&str])] = &[
    ("leftPad", &["String", "Number", "String"]),
    ("rightPad", &["String", "Number", "String"]),
    ("substring", &["String", "Number", "Number"]),
    ("repeat", &["String", "Number"]),
    ("first", &["String", "Number"]),
    ("last", &["String", "Number"]),
    ("withMaxSize", &["String", "Number"]),
    ("charCodeAt", &["String", "Number"]),
    ("take", &["Array", "Number"]),
    ("drop", &["Array", "Number"]),
    ("slice", &["Array", "Number", "Number"]),
    ("splitAt", &["Array", "Number"]),
    ("hammingDistance", &["String", "String"]),
    ("levenshteinDistance", &["String", "String"]),
];

/// Fails as DataWeave does when an argument after the first is null or of the wrong type
/// (a null first argument is the null overload of most of these functions), or when either
/// argument of the distance functions, which have no null overload, is null.
fn check_signature(name: &str, args: &[Value]) -> Result<(), String> {
    let fits = |value: &Value, ty: &str| match (ty, value) {
        ("Array", value) => matches!(value, Value::Array(_)),
        ("Number", Value::Number(_)) => true,
        ("Number", Value::String(text)) => text.trim().parse::<BigDecimal>().is_ok(),
        (_, value) => matches!(
            value,
            Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Temporal(_)
        ),
    };
    let no_null_overload = matches!(name, "hammingDistance" | "levenshteinDistance");
    if let Some((_, types)) = SIGNATURES.iter().find(|(n, _)| *n == name) {
        let checked = args.iter().zip(types.iter()).enumerate();
        let skip_first = |idx: usize, value: &Value| {
            idx == 0 && !no_null_overload && matches!(value, Value::Null)
        };
        if checked.clone().any(|(idx, (value, ty))| !skip_first(idx, value) && !fits(value, ty)) {
            return Err(typed_call_error(name, args, types));
        }
        return Ok(());
    }
    if name == "countMatches" && args.get(1).is_some_and(|part| !fits(part, "String")) {
        return Err(call_error(
            name,
            &args.iter().map(describe).collect::<Vec<_>>(),
            &["(String, Regex)", "(String, String)"],
        ));
    }
    let is_strings_fn = MODULES[0].1.contains(&name);
    if is_strings_fn && args.iter().skip(1).any(|arg| !fits(arg, "String")) {
        let types: Vec<&str> = args.iter().map(|_| "String").collect();
        return Err(typed_call_error(name, args, &types));
    }
    Ok(())
}

/// `dw::core::Strings`.
fn strings(name: &str, args: &[Value]) -> Result<Value, String> {
    if let Some(result) = string_tests(name, args) {
        return result;
    }
    let texts: Vec<String> = args.iter().filter_map(coerce_string).collect();
    let result = match (name, texts.as_slice()) {
        ("capitalize", [text]) => capitalize(text),
        ("camelize", [text]) => camelize(text),
        // The text as it is, every time it occurs, as Java's `String.replace` does.
        ("replaceAll", [text, target, replacement]) => text.replace(target.as_str(), replacement),
        ("repeat", [text, _]) => {
            let times = usize::try_from(int_arg(&args[1])?).unwrap_or(0);
            check_length(text.len().saturating_mul(times))?;
            text.repeat(times)
        }
        ("substringBefore", [text, sep]) => {
            text.find(sep.as_str()).map_or(String::new(), |i| text[..i].to_owned())
        }
        ("substringAfter", [text, sep]) => {
            text.find(sep.as_str()).map_or(String::new(), |i| text[i + sep.len()..].to_owned())
        }
        // An empty separator is found before the last character, as in DataWeave.
        ("substringBeforeLast", [text, sep]) if sep.is_empty() => {
            let units = utf16::units(text);
            utf16::to_text(&units[..units.len().saturating_sub(1)])
        }
        ("substringBeforeLast", [text, sep]) => {
            text.rfind(sep.as_str()).map_or(String::new(), |i| text[..i].to_owned())
        }
        ("substringAfterLast", [text, sep]) => {
            text.rfind(sep.as_str()).map_or(String::new(), |i| text[i + sep.len()..].to_owned())
        }
        ("leftPad" | "rightPad", [text, _, rest @ ..]) => {
            let size = usize::try_from(int_arg(&args[1])?).unwrap_or(0);
            check_length(size)?;
            // The pad text is repeated once per missing character, whatever its length
            // (`leftPad("ab", 4, "xy")` is `"xyxyab"`), as the reference engine does.
            let pad = rest.first().map_or(" ", String::as_str);
            let missing = size.saturating_sub(utf16::len(text));
            check_length(missing.saturating_mul(pad.len()))?;
            let padding = pad.repeat(missing);
            if name == "leftPad" { padding + text } else { text.clone() + &padding }
        }
        ("reverse", [text]) => {
            let mut units = utf16::units(text);
            units.reverse();
            utf16::to_text(&units)
        }
        ("pluralize", [text]) => inflection::pluralize(text),
        ("singularize", [text]) => inflection::singularize(text),
        ("appendIfMissing", [text, suffix]) if !text.ends_with(suffix.as_str()) => {
            text.clone() + suffix
        }
        ("prependIfMissing", [text, prefix]) if !text.starts_with(prefix.as_str()) => {
            prefix.clone() + text
        }
        ("appendIfMissing" | "prependIfMissing", [text, _]) => text.clone(),
        ("wrapWith", [text, wrapper]) => format!("{wrapper}{text}{wrapper}"),
        ("wrapIfMissing", [text, wrapper]) => {
            let text = if text.starts_with(wrapper.as_str()) {
                text.clone()
            } else {
                wrapper.clone() + text
            };
            if text.ends_with(wrapper.as_str()) { text } else { text + wrapper }
        }
        // DataWeave drops one character at each end, whatever the wrapper's length.
        ("unwrap", [text, wrapper])
            if utf16::len(text) >= 2
                && text.starts_with(wrapper.as_str())
                && text.ends_with(wrapper.as_str()) =>
        {
            let units = utf16::units(text);
            utf16::to_text(&units[1..units.len() - 1])
        }
        ("unwrap", [text, _]) => text.clone(),
        ("remove", [text, part]) if part.is_empty() => text.clone(),
        ("remove", [text, part]) => text.replace(part.as_str(), ""),
        ("dasherize", [text]) => separate_words(text, '-'),
        ("underscore", [text]) => separate_words(text, '_'),
        ("fromCharCode", [_]) => {
            let code = u32::try_from(int_arg(&args[0])?).ok().and_then(char::from_u32);
            code.ok_or_else(|| {
                format!(
                    "Unable to convert to character from invalid unicode code point. Code point: `{}`.",
                    texts[0]
                )
            })?
            .to_string()
        }
        ("substring", [text, _, _]) => {
            let start = usize::try_from(int_arg(&args[1])?.max(0)).unwrap_or(0);
            let end = usize::try_from(int_arg(&args[2])?.max(0)).unwrap_or(0);
            let units = utf16::units(text);
            let end = end.min(units.len());
            utf16::to_text(units.get(start..end).unwrap_or_default())
        }
        ("first", [text, _]) => {
            let n = usize::try_from(int_arg(&args[1])?).unwrap_or(0);
            let units = utf16::units(text);
            utf16::to_text(&units[..n.min(units.len())])
        }
        ("last", [text, _]) => {
            let n = usize::try_from(int_arg(&args[1])?).unwrap_or(0);
            let units = utf16::units(text);
            utf16::to_text(&units[units.len().saturating_sub(n)..])
        }
        ("withMaxSize", [text, _]) => {
            let max = int_arg(&args[1])?;
            let max = usize::try_from(max).map_err(|_| "maxLength should be a positive number")?;
            let units = utf16::units(text);
            if max == 0 { text.clone() } else { utf16::to_text(&units[..max.min(units.len())]) }
        }
        ("ordinalize", [_]) => {
            let n = int_arg(&args[0])?;
            let suffix = match (n % 100, n % 10) {
                (11..=13, _) => "th",
                (_, 1) => "st",
                (_, 2) => "nd",
                (_, 3) => "rd",
                _ => "th",
            };
            format!("{n}{suffix}")
        }
        _ => {
            let types: Vec<&str> = args.iter().map(|_| "String").collect();
            return Err(typed_call_error(name, args, &types));
        }
    };
    Ok(Value::string(result))
}

/// The functions of `dw::core::Strings` whose result is not a String; `None` for the others.
fn string_tests(name: &str, args: &[Value]) -> Option<Result<Value, String>> {
    let texts: Vec<String> = args.iter().filter_map(coerce_string).collect();
    let text = texts.first()?;
    let non_empty_all = |test: fn(char) -> bool| text.chars().all(test) && !text.is_empty();
    let result = match (name, texts.as_slice()) {
        ("isNumeric", [_]) => Value::Bool(non_empty_all(is_decimal_digit)),
        ("isAlpha", [_]) => Value::Bool(non_empty_all(char::is_alphabetic)),
        ("isAlphanumeric", [_]) => Value::Bool(non_empty_all(char::is_alphanumeric)),
        ("isLowerCase", [_]) => Value::Bool(non_empty_all(char::is_lowercase)),
        ("isUpperCase", [_]) => Value::Bool(non_empty_all(char::is_uppercase)),
        ("isWhitespace", [_]) => Value::Bool(text.chars().all(is_java_whitespace)),
        ("words", [_]) => Value::array(
            text.split(is_regex_space).filter(|word| !word.is_empty()).map(Value::string),
        ),
        ("lines", [_]) => {
            let mut lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
            // Trailing empty lines are dropped, as Java's `split` drops them.
            while lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
                lines.pop();
            }
            Value::array(lines.into_iter().flat_map(|l| l.split('\r')).map(Value::string))
        }
        ("collapse", [_]) => Value::array(collapse(text).into_iter().map(Value::string)),
        // An empty part is found at each code unit, not after the last.
        ("countMatches", [_, part]) if part.is_empty() => index(utf16::len(text)),
        ("countMatches", [_, part]) => index(text.match_indices(part.as_str()).count()),
        ("charCode", [_]) => match text.chars().next() {
            Some(c) => index(c as usize),
            None => return Some(Err("Unexpected empty string.".to_owned())),
        },
        ("charCodeAt", [_, _]) => {
            let chars = utf16::units(text);
            let at = match int_arg(&args[1]) {
                Ok(at) => at,
                Err(err) => return Some(Err(err)),
            };
            // A negative index counts from the end.
            let idx = if at < 0 { at + chars.len() as i64 } else { at };
            match usize::try_from(idx).ok().and_then(|idx| chars.get(idx)) {
                Some(unit) => index(usize::from(*unit)),
                None => {
                    return Some(Err(format!(
                        "Index {at} is out of bounds. Boundary is defined as [0 to {}].",
                        chars.len()
                    )));
                }
            }
        }
        ("hammingDistance", [a, b]) => {
            let (a, b) = (utf16::units(a), utf16::units(b));
            if a.len() != b.len() {
                return Some(Ok(Value::Null));
            }
            index(a.iter().zip(b.iter()).filter(|(x, y)| x != y).count())
        }
        ("levenshteinDistance", [a, b]) => index(levenshtein(a, b)),
        _ => return None,
    };
    Some(Ok(result))
}

/// Runs of the same character: `"aabccc"` is `["aa", "b", "ccc"]`; an empty text is `[""]`.
fn collapse(text: &str) -> Vec<String> {
    // Code units, as DataWeave compares them: the halves of `😀😀` are four runs.
    let mut runs: Vec<Vec<u16>> = Vec::new();
    for unit in utf16::units(text) {
        match runs.last_mut() {
            Some(run) if run.last() == Some(&unit) => run.push(unit),
            _ => runs.push(vec![unit]),
        }
    }
    if runs.is_empty() {
        return vec![String::new()];
    }
    runs.iter().map(|run| utf16::to_text(run)).collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b = utf16::units(b);
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in utf16::units(a).into_iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// `dasherize` and `underscore`: words split at case changes of ASCII letters (`XMLHttp` is
/// `xml-http`), each space, `-` or `_` replaced by `separator`, all in lower case. Separators
/// are not merged: `"a  b"` is `a--b`, as in the reference engine.
fn separate_words(text: &str, separator: char) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    for (idx, &c) in chars.iter().enumerate() {
        let prev = idx.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(idx + 1);
        // DataWeave splits with `[A-Z]`, `[a-z]` and `\d`: ASCII letters and digits only, so
        // `fooÉtat` and `ÄÖü` are one word each.
        let after_word = prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
        let acronym_end = prev.is_some_and(|p| p.is_ascii_uppercase())
            && next.is_some_and(char::is_ascii_lowercase);
        if c.is_ascii_uppercase() && (after_word || acronym_end) {
            out.push(separator);
        }
        if c == '-' || c == '_' || is_regex_space(c) {
            out.push(separator);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Java's `Character.isWhitespace`, which `isWhitespace` uses: the ASCII whitespace and
/// separators U+001C–U+001F, and Unicode's space, line and paragraph separators except
/// the non-breaking ones (U+00A0, U+2007, U+202F); not U+0085.
fn is_java_whitespace(c: char) -> bool {
    match c {
        '\t'..='\r' | '\u{1c}'..='\u{20}' => true,
        '\u{85}' | '\u{a0}' | '\u{2007}' | '\u{202f}' => false,
        c => c.is_whitespace(),
    }
}

/// The whitespace of a Java regular expression's `\s` (`[ \t\n\x0B\f\r]`), which `words`,
/// `dasherize`, `underscore` and `capitalize` split on: no other Unicode space.
fn is_regex_space(c: char) -> bool {
    matches!(c, ' ' | '\t'..='\r')
}

/// The longest text flowrun builds (64 MiB): longer text would only exhaust memory.
pub(crate) const MAX_TEXT: usize = 64 << 20;

/// The most elements an array (or pairs an object) may get from a function that grows one,
/// as many as a range may hold.
pub(crate) const MAX_ITEMS: usize = 10_000_000;

/// Refuses to build text longer than [`MAX_TEXT`].
pub(crate) fn check_length(len: usize) -> Result<(), String> {
    if len > MAX_TEXT {
        return Err(format!("flowrun builds strings of at most {MAX_TEXT} bytes"));
    }
    Ok(())
}

/// Refuses to build an array or object of more than [`MAX_ITEMS`] elements or pairs.
pub(crate) fn check_items(len: usize, what: &str) -> Result<(), String> {
    if len > MAX_ITEMS {
        let unit = if what == "objects" { "pairs" } else { "elements" };
        return Err(format!("flowrun builds {what} of at most {MAX_ITEMS} {unit}"));
    }
    Ok(())
}

/// `capitalize`: words split as `underscore` splits them, separators turned into spaces
/// (none dropped), then each ASCII letter that starts a word in upper case
/// (`"camelCase_x"` is `"Camel Case X"`, `"élan"` is `"ÉLan"`), as the reference engine does.
fn capitalize(text: &str) -> String {
    let spaced = separate_words(text, ' ');
    let mut out = String::with_capacity(spaced.len());
    let mut after_word_char = false;
    for (idx, c) in spaced.chars().enumerate() {
        let starts_word = c.is_ascii_lowercase() && !after_word_char;
        if idx == 0 || starts_word {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        after_word_char = c.is_ascii_alphanumeric() || c == '_';
    }
    out
}

/// Java's `Character.isDigit`: decimal digits of any script, but not fractions, superscripts
/// or other numeric symbols (`½`, `²`, `Ⅻ`).
fn is_decimal_digit(c: char) -> bool {
    let other_numeric = matches!(
        c,
        '\u{b2}' | '\u{b3}' | '\u{b9}' | '\u{bc}'..='\u{be}' | '\u{2070}'..='\u{218f}' | '\u{2460}'..='\u{24ff}'
            | '\u{2776}'..='\u{2793}' | '\u{3007}' | '\u{3021}'..='\u{3029}'
    );
    c.is_numeric() && !other_numeric
}

/// `customer_first_name` → `customerFirstName`; only underscores separate words.
fn camelize(text: &str) -> String {
    let mut out = String::new();
    let mut upper_next = false;
    for c in text.chars() {
        if c == '_' {
            upper_next = !out.is_empty();
        } else if upper_next {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else if out.is_empty() {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn to_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64_ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes `text` writes in `base` (`"64"` or `"16"`), as `fromBase64`, `fromHex` and
/// `as Binary {base: ...}` read them; `Err` is DataWeave's message.
pub(crate) fn binary_from_text(text: &str, base: &str) -> Result<Vec<u8>, String> {
    match base {
        "64" => from_base64(text).map_err(|reason| {
            format!("Unable to transform String to Base 64 Binary. Reason : `{reason}`")
        }),
        "16" => {
            let fail = |reason: &str| {
                format!("Unable to transform String to hex binary. Reason : `{reason}: {text}`")
            };
            if !text.len().is_multiple_of(2) {
                return Err(fail("hexBinary needs to be even-length"));
            }
            let digits: Option<Vec<u8>> = text
                .as_bytes()
                .chunks(2)
                .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
                .collect();
            digits.ok_or_else(|| fail("contains illegal character for hexBinary"))
        }
        other => Err(invalid_base(other)),
    }
}

/// `bytes` written in `base` (`"64"` or `"16"`), as `as String {base: ...}` writes them.
pub(crate) fn binary_to_text(bytes: &[u8], base: &str) -> Result<String, String> {
    match base {
        "64" => Ok(to_base64(bytes)),
        "16" => Ok(bytes.iter().map(|b| format!("{b:02X}")).collect()),
        other => Err(invalid_base(other)),
    }
}

fn invalid_base(base: &str) -> String {
    format!(
        "Cannot coerce Binary to String because the specified base '{base}' is not valid (options are 64 or 16)."
    )
}

/// Decodes base 64 text as Java's `Base64.getDecoder()` does, whitespace aside; `Err` is
/// its reason (`Last unit does not have enough valid bits`), which DataWeave quotes.
fn from_base64(text: &str) -> Result<Vec<u8>, String> {
    // One byte a character, as Java's ISO-8859-1 encoder gives them (`?` beyond it).
    let src: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(c).unwrap_or(b'?'))
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if src.len() == 1 {
        return Err("Input byte[] should at least have 2 bytes for base64 bytes".into());
    }
    let mut out = Vec::with_capacity(src.len() * 3 / 4);
    let (mut bits, mut shift, mut pos) = (0u32, 18i32, 0usize);
    while pos < src.len() {
        let byte = src[pos];
        pos += 1;
        if byte == b'=' {
            // Padding ends the text's digits: after two of a unit as `==`, after three as
            // `=`; after one the unit is short of bits (below), after four it is wrong.
            let two_padded = shift == 6 && src.get(pos) == Some(&b'=');
            if shift == 18 || (shift == 6 && !two_padded) {
                return Err("Input byte array has wrong 4-byte ending unit".into());
            }
            if two_padded {
                pos += 1;
            }
            break;
        }
        let Some(digit) = BASE64_ALPHABET.iter().position(|&a| a == byte) else {
            // Java prints the byte signed, in hex (`-60` for 0xA0).
            let signed = i32::from(byte as i8);
            let sign = if signed < 0 { "-" } else { "" };
            return Err(format!("Illegal base64 character {sign}{:x}", signed.unsigned_abs()));
        };
        bits |= (digit as u32) << shift;
        shift -= 6;
        if shift < 0 {
            out.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]);
            (bits, shift) = (0, 18);
        }
    }
    match shift {
        6 => out.push((bits >> 16) as u8),
        0 => out.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8]),
        12 => return Err("Last unit does not have enough valid bits".into()),
        _ => {}
    }
    if pos < src.len() {
        return Err(format!("Input byte array has incorrect ending byte at {pos}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for text in ["", "h", "he", "hel", "hello", "héllo wörld"] {
            let encoded = to_base64(text.as_bytes());
            assert_eq!(from_base64(&encoded).as_deref(), Ok(text.as_bytes()), "{encoded}");
        }
        assert_eq!(to_base64(b"hello"), "aGVsbG8=");
    }

    #[test]
    fn word_splitting_follows_the_reference_engine() {
        assert_eq!(separate_words("parseXMLHttp2Code", '_'), "parse_xml_http2_code");
        assert_eq!(capitalize("hELLO wORLD"), "H Ello W Orld");
        assert_eq!(capitalize("customerFirstName"), "Customer First Name");
        assert_eq!(camelize("customer_first_name"), "customerFirstName");
    }
}
