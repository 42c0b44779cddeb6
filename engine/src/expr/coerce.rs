//! `as` and `is`: coercions between types and type tests, with DataWeave's rules and
//! messages (`Cannot coerce String (abc) to Number`).

use std::sync::Arc;

use bigdecimal::BigDecimal;

use crate::expr::eval::{self, cannot_coerce, coerce_number, coerce_string, dw_repr};
use crate::expr::time_pattern::{self, Mode};
use crate::expr::{modules, number_format, period, range, time, zone};
use crate::value::{TemporalFormat, TemporalKind, Value};

/// `value as Type {props}`.
pub(crate) fn coerce_as(
    value: Value,
    type_name: &str,
    props: Option<&Value>,
) -> Result<Value, String> {
    let value = match (type_name, value) {
        ("Key" | "Any", key @ Value::Key(_)) => return Ok(key),
        ("Key", Value::String(text) | Value::Type(text)) => return Ok(Value::Key(text)),
        ("Type" | "Any", value @ Value::Type(_)) => return Ok(value),
        ("String", Value::Type(name)) => return Ok(Value::String(name)),
        // Other coercions read a Key as the String it holds (their errors name a String).
        (_, Value::Key(text)) => Value::String(text),
        (_, other) => other,
    };
    // Text that writes bytes in base 64 or 16, and back (`"aGk=" as Binary {base: "64"}`).
    let base = props.and_then(|p| p.get("base")).and_then(coerce_string);
    match (type_name, &value, base) {
        ("Binary", Value::String(text), Some(base)) => {
            return modules::binary_from_text(text, &base).map(|bytes| Value::Binary(bytes.into()));
        }
        ("String", Value::Binary(bytes), Some(base)) => {
            return modules::binary_to_text(bytes, &base).map(Value::string);
        }
        _ => {}
    }
    let format = props.and_then(|p| p.get("format")).and_then(Value::as_str);
    let unit = props.and_then(|p| p.get("unit")).and_then(Value::as_str);
    if let Some(kind) = time::kind_named(type_name)
        && !(kind == TemporalKind::DateTime && matches!(value, Value::Number(_)))
    {
        let mode = match props.and_then(|p| p.get("mode")) {
            Some(mode) => Mode::named(&coerce_string(mode).unwrap_or_default())?,
            None => Mode::Smart,
        };
        let locale = props.and_then(|p| p.get("locale")).and_then(Value::as_str);
        return coerce_temporal(value, kind, format, mode, locale);
    }
    let coerced = match (type_name, &value) {
        ("String", Value::Temporal(t)) if format.is_some() => {
            let locale = props.and_then(|p| p.get("locale")).and_then(Value::as_str);
            let formatted = time_pattern::format_in(t, format.unwrap_or_default(), locale);
            let caused_by = |reason: String| {
                format!("{}, caused by: {reason}", cannot_coerce(&value, "String"))
            };
            Some(Value::string(formatted.map_err(caused_by)?))
        }
        ("String", Value::Number(n)) if format.is_some() => {
            let locale = props.and_then(|p| p.get("locale")).and_then(Value::as_str);
            // A `roundMode` that names no Java `RoundingMode` is ignored, as DataWeave does.
            let rounding = props
                .and_then(|p| p.get("roundMode"))
                .and_then(Value::as_str)
                .and_then(number_format::Rounding::named);
            let rounding = rounding.unwrap_or(number_format::Rounding::DEFAULT);
            let formatted = number_format::format(n, format.unwrap_or_default(), locale, rounding);
            let caused_by = |reason: String| {
                if rounding == number_format::Rounding::Unnecessary {
                    return reason;
                }
                format!("{}, caused by: {reason}", cannot_coerce(&value, "String"))
            };
            Some(Value::string(formatted.map_err(caused_by)?))
        }
        ("Number", Value::String(text)) if format.is_some() => {
            let format = format.unwrap_or_default();
            let locale = props.and_then(|p| p.get("locale")).and_then(Value::as_str);
            let number = number_format::parse(text, format, locale).ok_or_else(|| {
                format!("Unable to coerce `{text}` as Number using `{format}` as format.")
            })?;
            Some(Value::Number(number))
        }
        ("DateTime", Value::Number(n)) => {
            // Seconds (or `unit: "milliseconds"`) since the epoch, in UTC.
            let millis = match unit {
                None | Some("seconds") => n.with_scale(0) * BigDecimal::from(1000),
                Some("milliseconds") => n.with_scale(0),
                Some(other) => {
                    return Err(format!(
                        "Invalid unit: {other} expecting 'milliseconds' or 'seconds'"
                    ));
                }
            };
            let millis = millis.to_string().parse::<i64>().ok();
            millis.map(|millis| Value::Temporal(time::from_epoch_millis(millis)))
        }
        ("Period" | "Any", Value::Period(_)) | ("TimeZone" | "Any", Value::TimeZone(_)) => {
            Some(value.clone())
        }
        ("TimeZone", Value::String(text)) => Some(zone::from_text(text)?),
        ("Period", Value::String(text)) => {
            let period = period::parse_text(text).map_err(|kind| {
                format!(
                    "Cannot coerce String ({}) to Period, caused by: Text cannot be parsed to a {kind}",
                    dw_repr(&value)
                )
            })?;
            Some(Value::Period(period))
        }
        ("Number", Value::Period(p)) => Some(Value::Number(period::as_number(p))),
        ("Key", Value::Number(_) | Value::Bool(_)) => {
            coerce_string(&value).map(|text| Value::Key(text.into()))
        }
        // Only a DateTime names an instant; a LocalDateTime is no Number.
        ("Number", Value::Temporal(t)) if t.kind == TemporalKind::DateTime => {
            let seconds = time::epoch_seconds(t);
            let millis = i64::try_from(t.nanos % 1_000_000_000 / 1_000_000).unwrap_or(0);
            let number = match unit {
                Some("milliseconds") => BigDecimal::from(seconds * 1000 + millis),
                None | Some("seconds") => BigDecimal::from(seconds),
                Some(other) => {
                    return Err(format!(
                        "Invalid unit: {other} expecting 'milliseconds' or 'seconds'"
                    ));
                }
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
        // Unlike arithmetic, `as Number` does not skip spaces around the digits.
        "Number" if matches!(&value, Value::String(s) if s.trim() != &**s) => None,
        "Number" => coerce_number(&value).map(Value::Number),
        "Boolean" => match &value {
            Value::Bool(_) => Some(value.clone()),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(Value::Bool(false)),
            _ => None,
        },
        // A range becomes the Array of its elements, and stays a range only `as Range`.
        "Array" => match &value {
            Value::Array(_) => Some(value.clone()),
            Value::Range(r) => Some(range::to_array(r)?),
            _ => None,
        },
        "Range" => matches!(value, Value::Range(_)).then(|| value.clone()),
        "Object" => matches!(value, Value::Object(_)).then(|| value.clone()),
        "Null" => matches!(value, Value::Null).then_some(Value::Null),
        // Text becomes its UTF-8 bytes; a number the low byte of its whole part, as Java's
        // `byteValue` gives it (`1 as Binary` is the byte 1, `256 as Binary` the byte 0).
        "Binary" => match &value {
            Value::Binary(_) => Some(value.clone()),
            Value::String(text) => Some(Value::Binary(text.as_bytes().to_vec().into())),
            Value::Number(n) => {
                let whole = n.with_scale(0).to_string();
                let low = whole.parse::<i128>().map_or(0, |n| n.rem_euclid(256));
                Some(Value::Binary(vec![u8::try_from(low).unwrap_or(0)].into()))
            }
            _ => None,
        },
        "Any" => Some(value.clone()),
        "Key" | "Type" | "Period" | "TimeZone" => None,
        other => return Err(format!("flowrun does not support `as {other}` yet")),
    };
    coerced.ok_or_else(|| match value {
        // Unlike other messages, `as String` names a null without its value, and an empty
        // String is named without its (empty) text.
        Value::Null if type_name == "String" => format!("Cannot coerce Null to {type_name}"),
        Value::String(text) if matches!(type_name, "Array" | "Range" | "Object" | "Type") => {
            format!("Cannot coerce String ({}) to {type_name}", dw_repr(&Value::String(text)))
        }
        Value::String(text) if text.is_empty() => format!("Cannot coerce String to {type_name}"),
        other => cannot_coerce(&other, type_name),
    })
}

/// `as Date`, `as DateTime`, ...: from ISO text, text in `format` (read in `mode`), or
/// another temporal.
///
/// A value given a `format` remembers it, and writers use it, as DataWeave's do; `as`
/// without one forgets it.
fn coerce_temporal(
    value: Value,
    kind: TemporalKind,
    format: Option<&str>,
    mode: Mode,
    locale: Option<&str>,
) -> Result<Value, String> {
    let type_name = time::type_name(kind);
    let converted = match (&value, format) {
        (Value::String(text), Some(format)) => {
            let parsed = time_pattern::parse_in(text, format, kind, mode, locale);
            Some(parsed.map_err(|reason| {
                format!("Cannot coerce String ({text}) to {type_name}, caused by: {reason}")
            })?)
        }
        (Value::String(text), None) => {
            time::parse_iso_text(text).and_then(|t| time::convert(t, kind)).or_else(|| {
                (kind == TemporalKind::Date).then(|| time::parse_iso_week_or_ordinal_date(text))?
            })
        }
        (Value::Temporal(t), _) => time::convert(t.clone(), kind),
        _ => None,
    };
    let Some(mut converted) = converted else {
        return Err(match &value {
            Value::String(s) if s.is_empty() => format!("Cannot coerce String to {type_name}"),
            Value::String(s) => format!("Cannot coerce String ({s}) to {type_name}"),
            other => format!(
                "Cannot coerce {} ({}) to {type_name}",
                eval::type_name(other),
                dw_repr(other)
            ),
        });
    };
    if let Some(pattern) = format {
        // Text read with a pattern already remembers it, with any zone name it gave.
        let zone = converted.format.as_ref().and_then(|old| old.zone.clone());
        let locale = locale.map(str::to_owned);
        converted.format =
            Some(Arc::new(TemporalFormat { pattern: pattern.to_owned(), zone, locale }));
    } else {
        converted.format = None;
    }
    // A pattern that cannot write the value (`HH` on a Date) fails only if the value is
    // written with it, as in DataWeave: `as String {format}` and selectors still work.
    Ok(Value::Temporal(converted))
}

/// `value is Type`; `Type` may be a union such as `String|Number`.
pub(crate) fn is_type(value: &Value, type_name: &str) -> Result<bool, String> {
    if type_name.contains('|') {
        for member in type_name.split('|') {
            if is_type(value, member)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    let matches = match type_name {
        "String" => matches!(value, Value::String(_)),
        "Key" => matches!(value, Value::Key(_)),
        "Type" => matches!(value, Value::Type(_)),
        "Number" => matches!(value, Value::Number(_)),
        "Boolean" => matches!(value, Value::Bool(_)),
        "Null" => matches!(value, Value::Null),
        "Array" => matches!(value, Value::Array(_)),
        "Range" => matches!(value, Value::Range(_)),
        "Object" => matches!(value, Value::Object(_)),
        "Binary" => matches!(value, Value::Binary(_)),
        "Period" => matches!(value, Value::Period(_)),
        "TimeZone" => matches!(value, Value::TimeZone(_)),
        name if time::kind_named(name).is_some() => {
            matches!(value, Value::Temporal(t) if Some(t.kind) == time::kind_named(name))
        }
        "Any" => true,
        other => return Err(format!("flowrun does not support `is {other}` yet")),
    };
    Ok(matches)
}
