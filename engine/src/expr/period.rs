//! Periods (`|P1D|`, `|PT1H30M|`) and date arithmetic: reading and writing them, `+` and
//! `-` of a date or time with a period, the difference of two dates or times, and the
//! period selectors (`.days`, `.hours`, ...).
//!
//! DataWeave's Period is a `java.time.Period` (years, months, days) or a
//! `java.time.Duration` (seconds and nanoseconds), and behaves as each of them does; see
//! [`Period`].

use bigdecimal::BigDecimal;

use crate::expr::ast::Loc;
use crate::expr::parse::ParseError;
use crate::expr::time::{self, NANOS_PER_SECOND};
use crate::value::{Period, Temporal, TemporalKind, Value};

const SECONDS_PER_DAY: i64 = 86_400;
const NANOS_PER_DAY: i128 = 86_400 * NANOS_PER_SECOND as i128;

/// A time-based period of `total` nanoseconds.
fn duration(total: i128) -> Option<Period> {
    let billion = i128::from(NANOS_PER_SECOND);
    let seconds = i64::try_from(total.div_euclid(billion)).ok()?;
    Some(Period::Time { seconds, nanos: u32::try_from(total.rem_euclid(billion)).ok()? })
}

fn total_nanos(seconds: i64, nanos: u32) -> i128 {
    i128::from(seconds) * i128::from(NANOS_PER_SECOND) + i128::from(nanos)
}

/// Writes a period as `java.time` does (`P1Y2M3D`, `P0D`, `PT26H`, `PT-0.5S`, `PT0S`).
pub(crate) fn to_iso(period: &Period) -> String {
    match *period {
        Period::Date { years: 0, months: 0, days: 0 } => "P0D".to_owned(),
        Period::Date { years, months, days } => {
            let mut out = String::from("P");
            for (n, unit) in [(years, 'Y'), (months, 'M'), (days, 'D')] {
                if n != 0 {
                    out.push_str(&format!("{n}{unit}"));
                }
            }
            out
        }
        Period::Time { seconds: 0, nanos: 0 } => "PT0S".to_owned(),
        Period::Time { seconds, nanos } => {
            // As java.time.Duration#toString: a negative length with a fraction is written
            // as the seconds towards zero and a negative fraction.
            let effective = if seconds < 0 && nanos > 0 { seconds + 1 } else { seconds };
            let (hours, minutes, secs) = (effective / 3600, effective % 3600 / 60, effective % 60);
            let mut out = String::from("PT");
            if hours != 0 {
                out.push_str(&format!("{hours}H"));
            }
            if minutes != 0 {
                out.push_str(&format!("{minutes}M"));
            }
            if secs == 0 && nanos == 0 && out.len() > 2 {
                return out;
            }
            if seconds < 0 && nanos > 0 && secs == 0 {
                out.push_str("-0");
            } else {
                out.push_str(&secs.to_string());
            }
            if nanos > 0 {
                let fraction = if seconds < 0 { NANOS_PER_SECOND as u32 - nanos } else { nanos };
                let digits = format!("{fraction:09}");
                out.push('.');
                out.push_str(digits.trim_end_matches('0'));
            }
            out.push('S');
            out
        }
    }
}

/// Why a period literal was refused.
pub(crate) enum LiteralError {
    /// Not written as a period (`|P1d|`, `|P1.5D|`): a syntax error at this byte of the
    /// literal's text.
    Syntax(usize),
    /// Written as one but empty or out of range (`|PT|`, `|P2147483648D|`).
    Invalid,
}

/// The value of the period literal `|text|` at `loc`, or DataWeave's compile error for it.
pub(crate) fn literal(text: &str, loc: Loc) -> Result<Value, ParseError> {
    parse_literal(text).map(Value::Period).map_err(|err| match err {
        LiteralError::Syntax(at) => ParseError {
            message: format!(
                "Invalid period literal '|{text}|': expected P, then years, months and days \
                 (`|P1Y2M3D|`) or a time part (`|PT1H30M|`)"
            ),
            loc: Loc { start: loc.start + 1 + at, end: loc.start + 2 + at },
        },
        LiteralError::Invalid => ParseError { message: format!("'{text}' is not valid"), loc },
    })
}

/// Reads the text of a period literal (between the bars): `P`, then years, months and days
/// (`P1Y2M3D`), or days and a time part (`P1DT2H`, `PT0.5S`); each count may be negative,
/// and a time part makes the period time-based.
pub(crate) fn parse_literal(text: &str) -> Result<Period, LiteralError> {
    let bytes = text.as_bytes();
    let mut pos = 1;
    let (mut years, mut months, mut days) = (None, None, None);
    let mut time: Option<[Option<(i64, i64)>; 3]> = None;
    let mut date_units = &b"YMD"[..];
    let mut time_units = &b"HMS"[..];
    while pos < bytes.len() {
        if bytes[pos] == b'T' && time.is_none() {
            if years.is_some() || months.is_some() {
                return Err(LiteralError::Syntax(pos));
            }
            time = Some([None; 3]);
            pos += 1;
            continue;
        }
        let start = pos;
        let negative = bytes[pos] == b'-';
        pos += usize::from(negative);
        let digits_start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        if pos == digits_start {
            return Err(LiteralError::Syntax(start));
        }
        let number: i64 = text[start..pos].parse().map_err(|_| LiteralError::Invalid)?;
        let mut fraction = 0;
        if let Some(parts) = &mut time {
            if bytes.get(pos) == Some(&b'.') && time_units.contains(&b'S') {
                let fraction_start = pos + 1;
                pos = fraction_start;
                while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                    pos += 1;
                }
                let digits = &text[fraction_start..pos];
                if digits.is_empty() || bytes.get(pos) != Some(&b'S') {
                    return Err(LiteralError::Syntax(start));
                }
                if digits.len() > 9 {
                    return Err(LiteralError::Invalid);
                }
                fraction = format!("{digits:0<9}").parse::<i64>().unwrap_or(0);
                if negative {
                    fraction = -fraction;
                }
            }
            let unit = bytes.get(pos).copied().unwrap_or(0);
            let Some(idx) = time_units.iter().position(|&u| u == unit) else {
                return Err(LiteralError::Syntax(start));
            };
            let slot = 3 - time_units.len() + idx;
            parts[slot] = Some((number, fraction));
            time_units = &time_units[idx + 1..];
        } else {
            let unit = bytes.get(pos).copied().unwrap_or(0);
            let Some(idx) = date_units.iter().position(|&u| u == unit) else {
                return Err(LiteralError::Syntax(start));
            };
            let number = i32::try_from(number).map_err(|_| LiteralError::Invalid)?;
            match 3 - date_units.len() + idx {
                0 => years = Some(number),
                1 => months = Some(number),
                _ => days = Some(number),
            }
            date_units = &date_units[idx + 1..];
        }
        pos += 1;
    }
    match time {
        None if years.is_none() && months.is_none() && days.is_none() => Err(LiteralError::Invalid),
        None => Ok(Period::Date {
            years: years.unwrap_or(0),
            months: months.unwrap_or(0),
            days: days.unwrap_or(0),
        }),
        Some(parts) if parts.iter().all(Option::is_none) => Err(LiteralError::Invalid),
        Some([hours, minutes, seconds]) => {
            let billion = i128::from(NANOS_PER_SECOND);
            let mut total = i128::from(days.unwrap_or(0)) * NANOS_PER_DAY;
            for (part, unit_seconds) in [(hours, 3600), (minutes, 60), (seconds, 1)] {
                if let Some((n, fraction)) = part {
                    total += i128::from(n) * unit_seconds * billion + i128::from(fraction);
                }
            }
            duration(total).ok_or(LiteralError::Invalid)
        }
    }
}

/// Reads text as `as Period` does: `java.time`'s Duration when it has a time part, else its
/// Period (either case, an overall sign, weeks: `"-p1w"`); `Err` names which could not be
/// read, as DataWeave's message does.
pub(crate) fn parse_text(text: &str) -> Result<Period, &'static str> {
    let upper = text.to_ascii_uppercase();
    if upper.contains('T') {
        parse_duration(&upper).ok_or("Duration")
    } else {
        parse_period(&upper).ok_or("Period")
    }
}

/// An optional sign, then `P`; the sign of the whole text.
fn after_sign(text: &str) -> Option<(i64, &str)> {
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    Some((sign, rest.strip_prefix('P')?))
}

/// A signed count and the unit after it, from the front of `text`.
fn count(text: &str) -> Option<(i64, &str, u8)> {
    let sign_len = usize::from(text.starts_with(['-', '+']));
    let digits = text[sign_len..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let number = text[..sign_len + digits].trim_start_matches('+').parse().ok()?;
    let rest = &text[sign_len + digits..];
    Some((number, rest, *rest.as_bytes().first()?))
}

fn parse_period(text: &str) -> Option<Period> {
    let (sign, mut rest) = after_sign(text)?;
    let mut values = [None::<i64>; 4];
    let units = b"YMWD";
    let mut next = 0;
    while !rest.is_empty() {
        let (n, after, unit) = count(rest)?;
        let idx = units.iter().position(|&u| u == unit).filter(|&i| i >= next)?;
        values[idx] = Some(n);
        next = idx + 1;
        rest = &after[1..];
    }
    if values.iter().all(Option::is_none) {
        return None;
    }
    let part = |n: Option<i64>| i32::try_from(n.unwrap_or(0) * sign).ok();
    let days = values[2].unwrap_or(0).checked_mul(7)?.checked_add(values[3].unwrap_or(0))?;
    Some(Period::Date {
        years: part(values[0])?,
        months: part(values[1])?,
        days: part(Some(days))?,
    })
}

fn parse_duration(text: &str) -> Option<Period> {
    let (sign, rest) = after_sign(text)?;
    let (day_part, time_part) = rest.split_once('T')?;
    let billion = i128::from(NANOS_PER_SECOND);
    let mut total = 0i128;
    if !day_part.is_empty() {
        let (n, after, unit) = count(day_part)?;
        if unit != b'D' || after.len() != 1 {
            return None;
        }
        total += i128::from(n) * NANOS_PER_DAY;
    }
    let mut rest = time_part;
    let mut next = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let (n, after, unit) = count(rest)?;
        let negative = rest.starts_with('-');
        let (fraction, after, unit) = match unit {
            b'.' | b',' => {
                let digits = after[1..].bytes().take_while(u8::is_ascii_digit).count();
                let tail = &after[1 + digits..];
                if digits > 9 || !tail.starts_with('S') {
                    return None;
                }
                let fraction: i128 = format!("{:0<9}", &after[1..=digits]).parse().ok()?;
                (if negative { -fraction } else { fraction }, tail, b'S')
            }
            unit => (0, after, unit),
        };
        let idx = b"HMS".iter().position(|&u| u == unit).filter(|&i| i >= next)?;
        total += i128::from(n) * [3600, 60, 1][idx] * billion + fraction;
        next = idx + 1;
        rest = &after[1..];
    }
    duration(total * i128::from(sign))
}

/// `period as Number`: a Duration's whole seconds, a Period's total months, as DataWeave
/// gives them (`|PT1H| as Number` is 3600, `|P1Y| as Number` 12, `|P1D| as Number` 0).
pub(crate) fn as_number(period: &Period) -> BigDecimal {
    match *period {
        Period::Date { years, months, .. } => {
            BigDecimal::from(i64::from(years) * 12 + i64::from(months))
        }
        Period::Time { seconds, .. } => BigDecimal::from(seconds),
    }
}

/// A period selector: `.years`, `.months`, `.days` of a date-based period; `.days`,
/// `.hours`, `.minutes` (the parts, as `java.time.Duration`'s `toDays`, `toHoursPart`,
/// `toMinutesPart`) and `.seconds` (all of it, in whole seconds) of a time-based one.
pub(crate) fn field(period: &Period, name: &str) -> Value {
    let n = match (*period, name) {
        (Period::Date { years, .. }, "years") => i64::from(years),
        (Period::Date { months, .. }, "months") => i64::from(months),
        (Period::Date { days, .. }, "days") => i64::from(days),
        (Period::Time { seconds, .. }, "days") => seconds / SECONDS_PER_DAY,
        (Period::Time { seconds, .. }, "hours") => seconds / 3600 % 24,
        (Period::Time { seconds, .. }, "minutes") => seconds / 60 % 60,
        (Period::Time { seconds, .. }, "seconds") => seconds,
        _ => return Value::Null,
    };
    Value::Number(BigDecimal::from(n))
}

/// `+` and `-` where a period or two dates are involved; `None` when the operands are not
/// such (the caller then tries its other overloads and reports its own error).
///
/// Text beside a period is read as a date or time (`"2024-03-05" + |P1D|`), text subtracted
/// from a date as a period or a date, and two texts as a date and a period or two dates.
pub(crate) fn arithmetic(add: bool, left: &Value, right: &Value) -> Option<Result<Value, String>> {
    let shifted = |t: &Temporal, p: &Period, add: bool| Some(shift(t, p, add).map(Value::Temporal));
    match (left, right) {
        (Value::Temporal(t), Value::Period(p)) => shifted(t, p, add),
        (Value::Period(p), Value::Temporal(t)) => shifted(t, p, add),
        (Value::String(s), Value::Period(p)) => shifted(&text_temporal(s)?, p, add),
        (Value::Period(p), Value::String(s)) => shifted(&text_temporal(s)?, p, add),
        (Value::Temporal(t), Value::String(s)) => match parse_text(s) {
            Ok(p) => shifted(t, &p, add),
            Err(_) if !add => difference(t, &text_temporal(s)?).map(Ok),
            Err(_) => None,
        },
        (Value::String(s), Value::Temporal(t)) => match parse_text(s) {
            Ok(p) => shifted(t, &p, add),
            Err(_) if !add => difference(&text_temporal(s)?, t).map(Ok),
            Err(_) => None,
        },
        (Value::Temporal(a), Value::Temporal(b)) if !add => difference(a, b).map(Ok),
        // Two texts, neither a number: a date and a period, or two dates (`payload.end -
        // payload.start`).
        (Value::String(a), Value::String(b))
            if crate::expr::num::parse(a).is_none() || crate::expr::num::parse(b).is_none() =>
        {
            match (text_temporal(a), text_temporal(b)) {
                (Some(t), None) => shifted(&t, &parse_text(b).ok()?, add),
                (None, Some(t)) => shifted(&t, &parse_text(a).ok()?, add),
                (Some(x), Some(y)) if !add => difference(&x, &y).map(Ok),
                _ => None,
            }
        }
        // A Number beside a period is read as a DateTime, seconds since the epoch.
        (Value::Period(p), Value::Number(n)) | (Value::Number(n), Value::Period(p)) => {
            let epoch = crate::expr::coerce::coerce_as(Value::Number(n.clone()), "DateTime", None);
            match epoch {
                Ok(Value::Temporal(t)) => shifted(&t, p, add),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The functions of `dw::core::Periods`; `None` for other names.
///
/// `years`, `months` and `period` build a date-based period of whole counts; `hours`,
/// `minutes`, `seconds` and `duration` a time-based one, fractions included
/// (`hours(1.5)` is `|PT1H30M|`); `days` is date-based for a whole count and time-based
/// otherwise (`days(1.5)` is `|PT36H|`); `between(end, start)` is the date-based period
/// from `start` to `end`, as `java.time.Period.between`.
pub(crate) fn module_call(name: &str, args: &[Value]) -> Option<Result<Value, String>> {
    let result = match (name, args) {
        ("years" | "months" | "days", [n]) => number_arg(name, args, n).and_then(|n| {
            let field = match name {
                "years" => "years",
                "months" => "months",
                _ => "days",
            };
            match whole(&n) {
                Some(count) => match field {
                    "years" => Ok(Period::Date { years: count, months: 0, days: 0 }),
                    "months" => Ok(Period::Date { years: 0, months: count, days: 0 }),
                    _ => Ok(Period::Date { years: 0, months: 0, days: count }),
                },
                None if field == "days" => seconds_of(&n, SECONDS_PER_DAY),
                None => Err(format!("Field {field}: `{n}`, can not be decimal.")),
            }
        }),
        ("hours" | "minutes" | "seconds", [n]) => number_arg(name, args, n).and_then(|n| {
            seconds_of(
                &n,
                match name {
                    "hours" => 3600,
                    "minutes" => 60,
                    _ => 1,
                },
            )
        }),
        ("duration", [Value::Object(_)]) => {
            let mut total = 0i128;
            for (key, unit) in
                [("days", SECONDS_PER_DAY), ("hours", 3600), ("minutes", 60), ("seconds", 1)]
            {
                if let Some(n) = args[0].get(key).and_then(crate::expr::eval::coerce_number) {
                    match seconds_of(&n, unit) {
                        Ok(Period::Time { seconds, nanos }) => total += total_nanos(seconds, nanos),
                        Ok(_) => {}
                        Err(err) => return Some(Err(err)),
                    }
                }
            }
            duration(total).ok_or_else(|| "Duration out of range".to_owned())
        }
        ("period", [Value::Object(_)]) => {
            let mut counts = [0i32; 3];
            for (slot, key) in ["years", "months", "days"].into_iter().enumerate() {
                if let Some(n) = args[0].get(key).and_then(crate::expr::eval::coerce_number) {
                    match whole(&n) {
                        Some(count) => counts[slot] = count,
                        None => {
                            return Some(Err(format!("Field {key}: `{n}`, can not be decimal.")));
                        }
                    }
                }
            }
            Ok(Period::Date { years: counts[0], months: counts[1], days: counts[2] })
        }
        ("duration" | "period", [_]) => {
            Err(crate::expr::eval::typed_call_error(name, args, &["Object"]))
        }
        // Its parameters are Dates, which a String that reads as one coerces to.
        ("between", [end, start])
            if let (Some(end), Some(start)) = (as_date(end), as_date(start)) =>
        {
            Ok(between(start.days, end.days))
        }
        ("between", [_, _]) => {
            Err(crate::expr::eval::typed_call_error(name, args, &["Date", "Date"]))
        }
        _ => return None,
    };
    Some(result.map(Value::Period))
}

/// A value with a date, or a String that coerces to a Date as `as` would.
fn as_date(value: &Value) -> Option<std::borrow::Cow<'_, crate::value::Temporal>> {
    match value {
        Value::Temporal(t) if t.has_date() => Some(std::borrow::Cow::Borrowed(t)),
        Value::String(_) => match crate::expr::coerce::coerce_as(value.clone(), "Date", None) {
            Ok(Value::Temporal(t)) => Some(std::borrow::Cow::Owned(t)),
            _ => None,
        },
        _ => None,
    }
}

fn number_arg(name: &str, args: &[Value], n: &Value) -> Result<BigDecimal, String> {
    crate::expr::eval::coerce_number(n)
        .ok_or_else(|| crate::expr::eval::typed_call_error(name, args, &["Number"]))
}

/// A whole number that fits a `java.time.Period` field.
fn whole(n: &BigDecimal) -> Option<i32> {
    if !n.is_integer() {
        return None;
    }
    n.with_scale(0).to_string().parse().ok()
}

/// `n` times `unit` seconds, as a time-based period; at most nanosecond precision.
fn seconds_of(n: &BigDecimal, unit: i64) -> Result<Period, String> {
    let nanos = n * BigDecimal::from(unit) * BigDecimal::from(NANOS_PER_SECOND);
    let out_of_range = || format!("Cannot make a Period of `{n}`: it is too large or too precise");
    if !nanos.is_integer() {
        return Err(out_of_range());
    }
    let total: i128 = nanos.with_scale(0).to_string().parse().map_err(|_| out_of_range())?;
    duration(total).ok_or_else(out_of_range)
}

/// The years, months and days from one day to another, as `java.time.LocalDate#until`.
fn between(start: i64, end: i64) -> Period {
    let (start_year, start_month, start_day) = time::civil_from_days(start);
    let (end_year, end_month, end_day) = time::civil_from_days(end);
    let month_number = |year: i64, month: u32| year * 12 + i64::from(month) - 1;
    let mut total_months =
        month_number(end_year, end_month) - month_number(start_year, start_month);
    let mut days = i64::from(end_day) - i64::from(start_day);
    if total_months > 0 && days < 0 {
        total_months -= 1;
        let shifted = shift_months(start, total_months);
        days = end - shifted;
    } else if total_months < 0 && days > 0 {
        total_months += 1;
        days -= i64::from(time::days_in_month(end_year, end_month));
    }
    let clamp = |n: i64| i32::try_from(n).unwrap_or(if n < 0 { i32::MIN } else { i32::MAX });
    Period::Date {
        years: clamp(total_months / 12),
        months: clamp(total_months % 12),
        days: clamp(days),
    }
}

/// A day moved by whole months, kept within the month.
fn shift_months(days: i64, months: i64) -> i64 {
    let (year, month, day) = time::civil_from_days(days);
    let month_index = year * 12 + i64::from(month) - 1 + months;
    let (year, month) = (month_index.div_euclid(12), month_index.rem_euclid(12) + 1);
    let month = month as u32;
    time::days_from_civil(year, month, day.min(time::days_in_month(year, month)))
}

/// Text beside a period, as DataWeave reads it: a date, a time or a date-time, with UTC
/// for a time or date-time written without an offset.
fn text_temporal(text: &str) -> Option<Temporal> {
    let mut value = time::parse_iso(text)?;
    value.kind = match value.kind {
        TemporalKind::LocalDateTime => TemporalKind::DateTime,
        TemporalKind::LocalTime => TemporalKind::Time,
        kind => kind,
    };
    Some(value)
}

/// `value + period` (or `-`), as `java.time`'s `plus`: months first, kept within the month
/// (`|2024-01-31| + |P1M|` is `|2024-02-29|`), then days; a unit the value lacks fails
/// unless its count is zero.
fn shift(value: &Temporal, period: &Period, add: bool) -> Result<Temporal, String> {
    let sign = if add { 1 } else { -1 };
    let failed = |reason: String| {
        let operation = if add { "addition" } else { "subtraction" };
        format!("Invalid temporal {operation}. Reason: {reason}")
    };
    let unsupported = |unit: &str| failed(format!("Unsupported unit: {unit}"));
    // java.time's range of years and of days since the epoch.
    let year_out_of_range = |year: i64| {
        failed(format!("Invalid value for Year (valid values -999999999 - 999999999): {year}"))
    };
    let day_out_of_range = |day: i128| {
        failed(format!(
            "Invalid value for EpochDay (valid values -365243219162 - 365241780471): {day}"
        ))
    };
    let check_day = |day: i128| {
        if (-365_243_219_162..=365_241_780_471).contains(&day) {
            Ok(day as i64)
        } else {
            Err(day_out_of_range(day))
        }
    };
    let mut out = Temporal { format: None, ..value.clone() };
    match *period {
        Period::Date { years, months, days } => {
            let total_months = i64::from(years) * 12 + i64::from(months);
            if !value.has_date() {
                // java.time.Period#addTo names years alone as Years, else total months.
                if months == 0 && years != 0 {
                    return Err(unsupported("Years"));
                }
                if total_months != 0 {
                    return Err(unsupported("Months"));
                }
                if days != 0 {
                    return Err(unsupported("Days"));
                }
                return Ok(out);
            }
            if total_months != 0 {
                let (year, month, _) = time::civil_from_days(out.days);
                let new_year =
                    (year * 12 + i64::from(month) - 1 + sign * total_months).div_euclid(12);
                if !(-999_999_999..=999_999_999).contains(&new_year) {
                    return Err(year_out_of_range(new_year));
                }
                out.days = shift_months(out.days, sign * total_months);
            }
            out.days = check_day(i128::from(out.days) + i128::from(sign) * i128::from(days))?;
        }
        Period::Time { seconds, nanos } => {
            if !value.has_time() {
                if seconds != 0 {
                    return Err(unsupported("Seconds"));
                }
                if nanos != 0 {
                    return Err(unsupported("Nanos"));
                }
                return Ok(out);
            }
            let delta = i128::from(sign) * total_nanos(seconds, nanos);
            let moment = i128::from(out.days) * NANOS_PER_DAY + i128::from(out.nanos) + delta;
            // A time of day wraps around midnight.
            out.days =
                if value.has_date() { check_day(moment.div_euclid(NANOS_PER_DAY))? } else { 0 };
            out.nanos = moment.rem_euclid(NANOS_PER_DAY) as u64;
        }
    }
    Ok(out)
}

/// `a - b` of two dates or times: how long from `b` to `a`, as a time-based period. Dates
/// count whole days (a date-time beside a Date is taken as its date), times of day their
/// time on one day, date-times their instants; a value without an offset is taken in UTC.
/// `None` for a date beside a time of day.
fn difference(a: &Temporal, b: &Temporal) -> Option<Value> {
    let offset = |t: &Temporal| i128::from(t.offset_seconds) * i128::from(NANOS_PER_SECOND);
    let nanos = if !a.has_date() || !b.has_date() {
        if !a.has_time() || !b.has_time() {
            return None;
        }
        (i128::from(a.nanos) - offset(a)) - (i128::from(b.nanos) - offset(b))
    } else if !a.has_time() || !b.has_time() {
        i128::from(a.days - b.days) * NANOS_PER_DAY
    } else {
        let moment = |t: &Temporal| i128::from(t.days) * NANOS_PER_DAY + i128::from(t.nanos);
        (moment(a) - offset(a)) - (moment(b) - offset(b))
    };
    duration(nanos).map(Value::Period)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(text: &str) -> String {
        match parse_literal(text) {
            Ok(period) => to_iso(&period),
            Err(LiteralError::Syntax(at)) => format!("syntax at {at}"),
            Err(LiteralError::Invalid) => "invalid".to_owned(),
        }
    }

    #[test]
    fn literals_are_written_as_java_time_does() {
        assert_eq!(literal("P1Y2M3D"), "P1Y2M3D");
        assert_eq!(literal("P14M"), "P14M");
        assert_eq!(literal("P0Y"), "P0D");
        assert_eq!(literal("P1DT2H"), "PT26H");
        assert_eq!(literal("PT90M"), "PT1H30M");
        assert_eq!(literal("PT-0.5S"), "PT-0.5S");
        assert_eq!(literal("PT-1.25S"), "PT-1.25S");
        assert_eq!(literal("PT1H-0.25S"), "PT59M59.75S");
        assert_eq!(literal("PT0H"), "PT0S");
        assert_eq!(literal("P1d"), "syntax at 1");
        assert_eq!(literal("P1Y2M3DT4H"), "syntax at 7");
        assert_eq!(literal("PT1.5H"), "syntax at 2");
        assert_eq!(literal("PT"), "invalid");
        assert_eq!(literal("P1DT"), "invalid");
        assert_eq!(literal("P2147483648D"), "invalid");
    }

    #[test]
    fn text_is_read_as_java_time_does() {
        let read = |text: &str| parse_text(text).map(|p| to_iso(&p));
        assert_eq!(read("-P1D"), Ok("P-1D".to_owned()));
        assert_eq!(read("p1w"), Ok("P7D".to_owned()));
        assert_eq!(read("P1DT2H"), Ok("PT26H".to_owned()));
        assert_eq!(read("PT1,5S"), Ok("PT1.5S".to_owned()));
        assert_eq!(read("P1Y2M3DT4H"), Err("Duration"));
        assert_eq!(read("garbage"), Err("Period"));
    }
}
