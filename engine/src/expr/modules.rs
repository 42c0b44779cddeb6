//! The parts of DataWeave's standard modules that Mule apps import most:
//! `dw::core::Strings`, `dw::core::Arrays`, `dw::core::Binaries` and `dw::util::Coercions`.
//!
//! A module function is only visible after an `import` (checked in [`resolve`](super::resolve));
//! [`call`] runs it.

use bigdecimal::BigDecimal;

use crate::expr::eval::{
    Arg, EResult, Eval, Fail, cannot_coerce, coerce_number, coerce_string, typed_call_error,
};
use crate::value::Value;

/// Each supported module and the functions flowrun implements from it.
pub(crate) const MODULES: &[(&str, &[&str])] = &[
    (
        "dw::core::Strings",
        &[
            "camelize",
            "capitalize",
            "dasherize",
            "isNumeric",
            "leftPad",
            "repeat",
            "rightPad",
            "substringAfter",
            "substringAfterLast",
            "substringBefore",
            "substringBeforeLast",
            "underscore",
        ],
    ),
    ("dw::core::Arrays", &["countBy", "divideBy", "drop", "every", "some", "take"]),
    ("dw::core::Binaries", &["fromBase64", "toBase64"]),
    ("dw::util::Coercions", &["toBoolean", "toNumber", "toString"]),
];

/// The functions of a module, if flowrun knows the module.
pub(crate) fn functions_of(module: &str) -> Option<&'static [&'static str]> {
    MODULES.iter().find(|(name, _)| *name == module).map(|(_, functions)| *functions)
}

/// True when `name` (unqualified) is a module function.
pub(crate) fn is_module_function(name: &str) -> bool {
    MODULES.iter().any(|(_, functions)| functions.contains(&name))
}

/// Runs module function `name`; `None` when it is not one.
pub(crate) fn call(eval: &mut Eval<'_>, name: &str, args: &[Arg]) -> Option<EResult<Value>> {
    if !is_module_function(name) {
        return None;
    }
    if let [Arg::Value(subject), Arg::Fun(lambda)] = args {
        let Value::Array(items) = subject else {
            return Some(match subject {
                Value::Null => Ok(Value::Null),
                other => Err(Fail::unplaced(typed_call_error(
                    name,
                    std::slice::from_ref(other),
                    &["Array", "Function"],
                ))),
            });
        };
        let mut n_true = 0usize;
        for item in items.iter() {
            match eval.apply(lambda, vec![item.clone()]) {
                Ok(Value::Bool(true)) => n_true += 1,
                Ok(_) => {}
                Err(fail) => return Some(Err(fail)),
            }
        }
        let result = match name {
            "some" => Value::Bool(n_true > 0),
            "every" => Value::Bool(n_true == items.len()),
            _ => Value::Number(BigDecimal::from(n_true as u64)),
        };
        return Some(Ok(result));
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
    if let Some(Value::Null) = args.first() {
        return Ok(Value::Null);
    }
    match (name, args) {
        ("toString", [value]) => {
            coerce_string(value).map(Value::string).ok_or_else(|| cannot_coerce(value, "String"))
        }
        ("toNumber", [value]) => {
            coerce_number(value).map(Value::Number).ok_or_else(|| cannot_coerce(value, "Number"))
        }
        ("toBoolean", [value]) => match coerce_string(value).as_deref() {
            Some("true") => Ok(Value::Bool(true)),
            Some("false") => Ok(Value::Bool(false)),
            _ => Err(cannot_coerce(value, "Boolean")),
        },
        ("toBase64", [value]) => {
            let bytes = match value {
                Value::Binary(bytes) => bytes.to_vec(),
                other => {
                    coerce_string(other).ok_or_else(|| cannot_coerce(other, "Binary"))?.into_bytes()
                }
            };
            Ok(Value::string(to_base64(&bytes)))
        }
        ("fromBase64", [value]) => {
            let text = coerce_string(value).ok_or_else(|| cannot_coerce(value, "String"))?;
            let bytes =
                from_base64(&text).ok_or_else(|| format!("Invalid base64 text `{text}`"))?;
            Ok(Value::Binary(bytes.into()))
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

fn count_arg(value: &Value) -> Result<usize, String> {
    let number = coerce_number(value).ok_or_else(|| cannot_coerce(value, "Number"))?;
    Ok(number.with_scale(0).to_string().parse::<usize>().unwrap_or(0))
}

/// `dw::core::Strings`.
fn strings(name: &str, args: &[Value]) -> Result<Value, String> {
    let texts: Vec<String> = args.iter().filter_map(coerce_string).collect();
    let result = match (name, texts.as_slice()) {
        ("capitalize", [text]) => {
            words(text).iter().map(|w| capitalize_word(w)).collect::<Vec<_>>().join(" ")
        }
        ("camelize", [text]) => camelize(text),
        ("dasherize", [text]) => words(text).join("-").to_lowercase(),
        ("underscore", [text]) => words(text).join("_").to_lowercase(),
        ("isNumeric", [text]) => {
            return Ok(Value::Bool(!text.is_empty() && text.chars().all(|c| c.is_ascii_digit())));
        }
        ("repeat", [text, times]) => {
            let times: usize = times.parse().unwrap_or(0);
            check_length(text.len().saturating_mul(times))?;
            text.repeat(times)
        }
        ("substringBefore", [text, sep]) => {
            text.find(sep.as_str()).map_or(String::new(), |i| text[..i].to_owned())
        }
        ("substringAfter", [text, sep]) => {
            text.find(sep.as_str()).map_or(String::new(), |i| text[i + sep.len()..].to_owned())
        }
        ("substringBeforeLast", [text, sep]) => {
            text.rfind(sep.as_str()).map_or(String::new(), |i| text[..i].to_owned())
        }
        ("substringAfterLast", [text, sep]) => {
            text.rfind(sep.as_str()).map_or(String::new(), |i| text[i + sep.len()..].to_owned())
        }
        ("leftPad" | "rightPad", [text, size, rest @ ..]) => {
            let size: usize = size.parse().unwrap_or(0);
            check_length(size)?;
            let pad = rest.first().and_then(|p| p.chars().next()).unwrap_or(' ');
            let missing = size.saturating_sub(text.chars().count());
            let padding: String = std::iter::repeat_n(pad, missing).collect();
            if name == "leftPad" { padding + text } else { text.clone() + &padding }
        }
        _ => {
            let types: Vec<&str> = args.iter().map(|_| "String").collect();
            return Err(typed_call_error(name, args, &types));
        }
    };
    Ok(Value::string(result))
}

/// Refuses to build text longer than 64 MiB, which would only exhaust memory.
fn check_length(len: usize) -> Result<(), String> {
    const MAX_TEXT: usize = 64 << 20;
    if len > MAX_TEXT {
        return Err(format!("flowrun builds strings of at most {MAX_TEXT} bytes"));
    }
    Ok(())
}

/// Splits text into words at spaces, `_`, `-` and lower-to-upper case changes, as the
/// reference engine's `capitalize`, `dasherize` and `underscore` do.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if c == ' ' || c == '_' || c == '-' {
            words.push(std::mem::take(&mut current));
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase();
        current.push(c);
    }
    words.push(current);
    words.into_iter().filter(|w| !w.is_empty()).collect()
}

fn capitalize_word(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
        None => String::new(),
    }
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

fn to_base64(bytes: &[u8]) -> String {
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

fn from_base64(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u32> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .map(|b| BASE64_ALPHABET.iter().position(|&a| a == b).map(|p| p as u32))
        .collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, d)| acc | (d << (18 - 6 * i)));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for text in ["", "h", "he", "hel", "hello", "héllo wörld"] {
            let encoded = to_base64(text.as_bytes());
            assert_eq!(from_base64(&encoded).as_deref(), Some(text.as_bytes()), "{encoded}");
        }
        assert_eq!(to_base64(b"hello"), "aGVsbG8=");
    }

    #[test]
    fn word_splitting_follows_the_reference_engine() {
        assert_eq!(words("hELLO wORLD"), ["h", "ELLO", "w", "ORLD"]);
        assert_eq!(words("customerFirstName"), ["customer", "First", "Name"]);
        assert_eq!(camelize("customer_first_name"), "customerFirstName");
    }
}
