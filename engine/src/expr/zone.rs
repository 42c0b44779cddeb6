//! Time zones as fixed offsets: `|-08:00|` and `|Z|` literals, `date-time >> zone`,
//! `date ++ zone` and `as TimeZone`.
//!
//! A [`Value::TimeZone`] is an offset in seconds. Zone names (`"America/New_York"`) would
//! need a zone database (such as the `chrono-tz` crate) and rules for daylight saving time;
//! flowrun reads only the names of a zero offset (`UTC`, `GMT`, `UT`, `Z`) and says so for
//! the others.

use crate::expr::ast::Loc;
use crate::expr::eval::call_error;
use crate::expr::parse::ParseError;
use crate::expr::time;
use crate::value::{Temporal, TemporalKind, Value};

/// True when the text of a `|...|` literal is a time zone: `Z`, or a sign, two digits, a
/// colon and two more.
pub(crate) fn is_literal(text: &str) -> bool {
    let bytes = text.as_bytes();
    text == "Z"
        || (bytes.len() == 6
            && matches!(bytes[0], b'+' | b'-')
            && bytes[3] == b':'
            && [1, 2, 4, 5].iter().all(|&i| bytes[i].is_ascii_digit()))
}

/// The value of the time zone literal `|text|` at `loc`.
pub(crate) fn literal(text: &str, loc: Loc) -> Result<Value, ParseError> {
    match read_offset(text) {
        Some(offset) => Ok(Value::TimeZone(offset)),
        // DataWeave: `Invalid input ':', expected 'Hour needs to be between [00 - 24]'`.
        None => Err(ParseError {
            message: format!(
                "Invalid time zone literal '|{text}|': hours go up to 18, minutes to 59"
            ),
            loc: Loc { start: loc.start + 4, end: loc.start + 5 },
        }),
    }
}

/// Reads an offset as `java.time.ZoneId` would: `Z`, `+02:00`, `+0200`, `+02`, and the names
/// of a zero offset; `None` for anything else, zone names included.
pub(crate) fn read_offset(text: &str) -> Option<i32> {
    if matches!(text, "Z" | "UTC" | "GMT" | "UT") {
        return Some(0);
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = &text[1..];
    let (hours, minutes) = match digits.len() {
        2 => (digits, "00"),
        4 => (&digits[..2], &digits[2..]),
        5 if digits.as_bytes()[2] == b':' => (&digits[..2], &digits[3..]),
        _ => return None,
    };
    if !hours.bytes().chain(minutes.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 18 && minutes < 60 && hours * 60 + minutes <= 18 * 60)
        .then_some(sign * (hours * 3600 + minutes * 60))
}

/// How a zone is written: `Z` for a zero offset, else `+hh:mm`.
pub(crate) fn to_text(offset: i32) -> String {
    time::offset_text(offset, true, true)
}

/// `text as TimeZone`, failing on zone names (see the module's note).
pub(crate) fn from_text(text: &str) -> Result<Value, String> {
    if let Some(offset) = read_offset(text) {
        return Ok(Value::TimeZone(offset));
    }
    let mut quoted = String::new();
    crate::expr::json::write_string(&mut quoted, text);
    if looks_like_zone_name(text) {
        return Err(format!(
            "Cannot coerce String ({quoted}) to TimeZone: flowrun reads time zones as offsets \
             (`+01:00`, `Z`, `UTC`), not by name"
        ));
    }
    Err(format!("Cannot coerce String ({quoted}) to TimeZone"))
}

fn looks_like_zone_name(text: &str) -> bool {
    let Some((area, place)) = text.split_once('/') else {
        return false;
    };
    let word = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-+/".contains(&b))
    };
    word(area) && word(place)
}

/// `value >> zone`: a DateTime (or a LocalDateTime, taken in UTC) as the same instant in
/// another offset; `None` when the operands are not such (the caller reports `>>`'s call
/// error).
pub(crate) fn shift(value: &Value, zone: &Value) -> Option<Result<Value, String>> {
    let Value::Temporal(t) = value else {
        return None;
    };
    if !matches!(t.kind, TemporalKind::DateTime | TemporalKind::LocalDateTime) {
        return None;
    }
    let offset = match zone {
        Value::TimeZone(offset) => *offset,
        Value::String(text) => match read_offset(text) {
            Some(offset) => offset,
            None if looks_like_zone_name(text) => {
                return Some(Err(format!(
                    "flowrun does not know time zone names (`{text}`): values keep an offset, \
                     so shift to one such as `|-05:00|`"
                )));
            }
            None => return None,
        },
        _ => return None,
    };
    let nanos_per_day = i128::from(time::NANOS_PER_SECOND) * 86_400;
    let from = i64::from(if t.kind == TemporalKind::DateTime { t.offset_seconds } else { 0 });
    let moment = i128::from(t.days) * nanos_per_day
        + i128::from(t.nanos)
        + i128::from(i64::from(offset) - from) * i128::from(time::NANOS_PER_SECOND);
    Some(Ok(Value::Temporal(Temporal {
        kind: TemporalKind::DateTime,
        days: i64::try_from(moment.div_euclid(nanos_per_day)).ok()?,
        nanos: u64::try_from(moment.rem_euclid(nanos_per_day)).ok()?,
        offset_seconds: offset,
        format: None,
    })))
}

/// `date ++ zone` (either order): a Date at its midnight, a LocalDateTime or a LocalTime, in
/// that offset; `None` for other operands.
pub(crate) fn concat(lhs: &Value, rhs: &Value) -> Option<Value> {
    let (t, offset) = match (lhs, rhs) {
        (Value::Temporal(t), Value::TimeZone(z)) | (Value::TimeZone(z), Value::Temporal(t)) => {
            (t, *z)
        }
        _ => return None,
    };
    let kind = match t.kind {
        TemporalKind::Date | TemporalKind::LocalDateTime => TemporalKind::DateTime,
        TemporalKind::LocalTime => TemporalKind::Time,
        _ => return None,
    };
    Some(Value::Temporal(Temporal { kind, offset_seconds: offset, format: None, ..t.clone() }))
}

/// `>>`'s failure on operands it does not take.
pub(crate) fn shift_error(args: [String; 2]) -> String {
    call_error(">>", &args, &["(Any, Array)", "(DateTime, TimeZone)"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_read_as_java_time_does() {
        assert_eq!(read_offset("-08:00"), Some(-8 * 3600));
        assert_eq!(read_offset("+0530"), Some(5 * 3600 + 1800));
        assert_eq!(read_offset("+05"), Some(5 * 3600));
        assert_eq!(read_offset("UTC"), Some(0));
        assert_eq!(read_offset("+19:00"), None);
        assert_eq!(read_offset("Europe/Paris"), None);
        assert_eq!(to_text(0), "Z");
        assert_eq!(to_text(-8 * 3600), "-08:00");
    }
}
