//! `as` and `is`: coercions between types and type tests, with DataWeave's rules and
//! messages (`Cannot coerce String (abc) to Number`).

use bigdecimal::{BigDecimal, RoundingMode};

use crate::expr::eval::{self, cannot_coerce, coerce_number, coerce_string, dw_repr};
use crate::expr::{num, time};
use crate::value::{Temporal, TemporalKind, Value};

/// `value as Type {props}`.
pub(crate) fn coerce_as(
    value: Value,
    type_name: &str,
    props: Option<&Value>,
) -> Result<Value, String> {
    let format = props.and_then(|p| p.get("format")).and_then(Value::as_str);
    let unit = props.and_then(|p| p.get("unit")).and_then(Value::as_str);
    if let Some(kind) = time::kind_named(type_name) {
        return coerce_temporal(value, kind, format, unit);
    }
    let coerced = match (type_name, &value) {
        ("String", Value::Temporal(t)) if format.is_some() => {
            let formatted = time::format(t, format.unwrap_or_default());
            let caused_by = |reason: String| {
                format!("{}, caused by: {reason}", cannot_coerce(&value, "String"))
            };
            Some(Value::string(formatted.map_err(caused_by)?))
        }
        ("String", Value::Number(n)) if format.is_some() => {
            Some(Value::string(num::format_decimal(n, format.unwrap_or_default())?))
        }
        ("Number", Value::String(text)) if format.is_some() => {
            let format = format.unwrap_or_default();
            let parsed = parse_formatted(text).ok_or_else(|| {
                format!("Unable to coerce `{text}` as Number using `{format}` as format.")
            })?;
            Some(Value::Number(parsed))
        }
        ("Number", Value::Temporal(t)) if t.has_date() && t.has_time() => {
            let seconds = time::epoch_seconds(t);
            let millis = i64::try_from(t.nanos % 1_000_000_000 / 1_000_000).unwrap_or(0);
            let number = match unit {
                Some("milliseconds") => BigDecimal::from(seconds * 1000 + millis),
                _ => BigDecimal::from(seconds),
            };
            Some(Value::Number(number))
        }
        _ => None,
    };
    if let Some(coerced) = coerced {
        return Ok(coerced);
    }
    let coerced = match type_name {
        "String" => coerce_string(&value).map(Value::string),
        "Number" => coerce_number(&value).map(Value::Number),
        "Boolean" => match &value {
            Value::Bool(_) => Some(value.clone()),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(Value::Bool(false)),
            _ => None,
        },
        "Array" => matches!(value, Value::Array(_)).then(|| value.clone()),
        "Object" => matches!(value, Value::Object(_)).then(|| value.clone()),
        "Null" => matches!(value, Value::Null).then_some(Value::Null),
        "Any" => Some(value.clone()),
        other => return Err(format!("flowrun does not support `as {other}` yet")),
    };
    coerced.ok_or_else(|| match value {
        // A null coerced to a String is named without its value.
        Value::Null if type_name == "String" => "Cannot coerce Null to String".to_owned(),
        other => cannot_coerce(&other, type_name),
    })
}

/// `as Date`, `as DateTime`, ...: from ISO text, text in `format`, or another temporal.
fn coerce_temporal(
    value: Value,
    kind: TemporalKind,
    format: Option<&str>,
    unit: Option<&str>,
) -> Result<Value, String> {
    let converted = match (&value, format) {
        (Value::Number(n), _) if kind == TemporalKind::DateTime => from_epoch(n, unit),
        (Value::String(text), Some(format)) => time::parse_with(text, format, kind),
        (Value::String(text), None) => time::parse_iso(text).and_then(|t| time::convert(t, kind)),
        (Value::Temporal(t), _) => time::convert(*t, kind),
        _ => None,
    };
    let type_name = time::type_name(kind);
    converted.map(Value::Temporal).ok_or_else(|| match &value {
        Value::String(s) => format!("Cannot coerce String ({s}) to {type_name}"),
        other => {
            format!("Cannot coerce {} ({}) to {type_name}", eval::type_name(other), dw_repr(other))
        }
    })
}

/// `n as DateTime`: seconds since the epoch (milliseconds with `{unit: "milliseconds"}`),
/// fractions dropped towards the past, in UTC.
fn from_epoch(n: &BigDecimal, unit: Option<&str>) -> Option<Temporal> {
    let whole =
        |n: &BigDecimal| n.with_scale_round(0, RoundingMode::Floor).to_string().parse::<i64>().ok();
    let millis = match unit {
        Some("milliseconds") => whole(n)?,
        _ => whole(n)?.checked_mul(1000)?,
    };
    let day_millis = 86_400_000;
    Some(Temporal {
        kind: TemporalKind::DateTime,
        days: millis.div_euclid(day_millis),
        nanos: u64::try_from(millis.rem_euclid(day_millis)).ok()? * 1_000_000,
        offset_seconds: 0,
    })
}

/// Reads a number the way Java's `DecimalFormat` parses with a pattern: the longest number
/// at the start of the text (`,` grouping digits, `.` before the fraction), the rest ignored.
fn parse_formatted(text: &str) -> Option<BigDecimal> {
    let mut digits = String::new();
    let mut chars = text.chars().peekable();
    if chars.peek() == Some(&'-') {
        digits.push('-');
        chars.next();
    }
    let mut seen_digit = false;
    let mut seen_point = false;
    while let Some(&c) = chars.peek() {
        match c {
            '0'..='9' => {
                digits.push(c);
                seen_digit = true;
            }
            ',' if !seen_point && seen_digit => {}
            '.' if !seen_point => {
                digits.push('.');
                seen_point = true;
            }
            _ => break,
        }
        chars.next();
    }
    if !seen_digit {
        return None;
    }
    num::parse(digits.trim_end_matches('.'))
}

/// `value is Type`.
pub(crate) fn is_type(value: &Value, type_name: &str) -> Result<bool, String> {
    let matches = match type_name {
        "String" => matches!(value, Value::String(_)),
        "Number" => matches!(value, Value::Number(_)),
        "Boolean" => matches!(value, Value::Bool(_)),
        "Null" => matches!(value, Value::Null),
        "Array" => matches!(value, Value::Array(_)),
        "Object" => matches!(value, Value::Object(_)),
        "Binary" => matches!(value, Value::Binary(_)),
        name if time::kind_named(name).is_some() => {
            matches!(value, Value::Temporal(t) if Some(t.kind) == time::kind_named(name))
        }
        "Any" => true,
        other => return Err(format!("flowrun does not support `is {other}` yet")),
    };
    Ok(matches)
}
