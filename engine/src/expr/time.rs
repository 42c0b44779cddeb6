//! Dates and times: ISO reading and writing, `now()`, conversions between the temporal
//! types, and the date selectors (`.year`, `.month`, ...); `time_pattern.rs` holds the
//! `java.time` format patterns.
//!
//! Values are [`Temporal`]s: days since 1970-01-01, nanoseconds since midnight, and an
//! offset, kept as written (`|10:00:00+05:30|` stays in `+05:30`).

use std::cmp::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::expr::time_pattern;
use crate::value::{Temporal, TemporalKind};

/// Nanoseconds in a second.
pub(crate) const NANOS_PER_SECOND: u64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// DataWeave's name for the type.
pub(crate) fn type_name(kind: TemporalKind) -> &'static str {
    match kind {
        TemporalKind::Date => "Date",
        TemporalKind::DateTime => "DateTime",
        TemporalKind::LocalDateTime => "LocalDateTime",
        TemporalKind::Time => "Time",
        TemporalKind::LocalTime => "LocalTime",
    }
}

/// The kind named by a type in `as`/`is`, if it is a temporal type.
pub(crate) fn kind_named(type_name: &str) -> Option<TemporalKind> {
    Some(match type_name {
        "Date" => TemporalKind::Date,
        "DateTime" => TemporalKind::DateTime,
        "LocalDateTime" => TemporalKind::LocalDateTime,
        "Time" => TemporalKind::Time,
        "LocalTime" => TemporalKind::LocalTime,
        _ => return None,
    })
}

/// The current date and time, in UTC.
///
/// Mule uses the server's default time zone; flowrun uses UTC so that results do not depend
/// on where the process runs.
pub(crate) fn now() -> Temporal {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX);
    let nanos = (seconds.rem_euclid(SECONDS_PER_DAY) as u64) * NANOS_PER_SECOND
        + u64::from(since_epoch.subsec_nanos());
    Temporal {
        kind: TemporalKind::DateTime,
        days: seconds.div_euclid(SECONDS_PER_DAY),
        nanos,
        offset_seconds: 0,
        format: None,
    }
}

/// The UTC DateTime `millis` milliseconds after the epoch.
pub(crate) fn from_epoch_millis(millis: i64) -> Temporal {
    let millis_per_day = SECONDS_PER_DAY * 1000;
    let nanos = millis.rem_euclid(millis_per_day) as u64 * 1_000_000;
    Temporal {
        kind: TemporalKind::DateTime,
        days: millis.div_euclid(millis_per_day),
        nanos,
        offset_seconds: 0,
        format: None,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The `(year, month, day)` of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month =
        if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Writes the value as DataWeave does: ISO 8601, seconds always shown, the fraction
/// without trailing zeros, `Z` for a zero offset.
pub(crate) fn to_iso(value: &Temporal) -> String {
    let mut out = String::new();
    if value.has_date() {
        let (year, month, day) = civil_from_days(value.days);
        out.push_str(&format!("{}-{month:02}-{day:02}", four_digit_year(year)));
    }
    if value.has_time() {
        if value.has_date() {
            out.push('T');
        }
        let seconds = value.nanos / NANOS_PER_SECOND;
        let fraction = value.nanos % NANOS_PER_SECOND;
        out.push_str(&format!(
            "{:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        ));
        if fraction > 0 {
            let digits = format!("{fraction:09}");
            out.push('.');
            out.push_str(digits.trim_end_matches('0'));
        }
    }
    if value.has_offset() {
        out.push_str(&offset_text(value.offset_seconds, true, true));
    }
    out
}

/// At least four digits; a year past 9999 with a `+`, as ISO 8601 and `java.time` write it.
fn four_digit_year(year: i64) -> String {
    match year {
        ..0 => format!("-{:04}", -year),
        10_000.. => format!("+{year}"),
        _ => format!("{year:04}"),
    }
}

/// `Z` (when `z_for_zero`) or `+hh:mm` / `+hhmm`.
pub(crate) fn offset_text(offset_seconds: i32, z_for_zero: bool, colon: bool) -> String {
    if offset_seconds == 0 && z_for_zero {
        return "Z".into();
    }
    let sign = if offset_seconds < 0 { '-' } else { '+' };
    let minutes = offset_seconds.unsigned_abs() / 60;
    let separator = if colon { ":" } else { "" };
    format!("{sign}{:02}{separator}{:02}", minutes / 60, minutes % 60)
}

/// Reads an ISO date, time or date-time, deciding its kind from what is present.
pub(crate) fn parse_iso(text: &str) -> Option<Temporal> {
    read_iso(text, true)
}

/// Reads a String as an ISO date, time or date-time, as `as DateTime` does: like a literal,
/// but a zero offset may also be written `z`, as DataWeave accepts in text.
pub(crate) fn parse_iso_text(text: &str) -> Option<Temporal> {
    match text.strip_suffix('z') {
        Some(rest) if rest.as_bytes().last().is_some_and(u8::is_ascii_digit) => {
            read_iso(&format!("{rest}Z"), true)
        }
        _ => read_iso(text, true),
    }
}

/// Reads a String as a Date in the two other ISO forms DataWeave's `as Date` takes: a week
/// date (`2024-W03-1`, Monday of week 3 of the week-based year 2024) or an ordinal date
/// (`2024-015`, the 15th day of 2024).
pub(crate) fn parse_iso_week_or_ordinal_date(text: &str) -> Option<Temporal> {
    let bytes = text.as_bytes();
    let all_digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    let number = |range: std::ops::Range<usize>| text[range].parse::<i64>().ok();
    let days = match bytes.len() {
        8 if bytes[4] == b'-' && all_digits(0..4) && all_digits(5..8) => {
            let (year, day) = (number(0..4)?, number(5..8)?);
            let length = if is_leap_year(year) { 366 } else { 365 };
            if !(1..=length).contains(&day) {
                return None;
            }
            days_from_civil(year, 1, 1) + day - 1
        }
        10 if &text[4..6] == "-W" && bytes[8] == b'-' && all_digits(0..4) && all_digits(6..8) => {
            let (year, week) = (number(0..4)?, number(6..8)?);
            let day = number(9..10).filter(|day| (1..=7).contains(day))?;
            // Week 1 holds January 4th; weeks start on Monday.
            let jan4 = days_from_civil(year, 1, 4);
            let monday = jan4 - iso_weekday(jan4) + 1;
            let next_monday =
                days_from_civil(year + 1, 1, 4) - iso_weekday(days_from_civil(year + 1, 1, 4)) + 1;
            let weeks = (next_monday - monday) / 7;
            if !(1..=weeks).contains(&week) {
                return None;
            }
            monday + (week - 1) * 7 + day - 1
        }
        _ => return None,
    };
    Some(Temporal { kind: TemporalKind::Date, days, nanos: 0, offset_seconds: 0, format: None })
}

/// The ISO day of the week of a day counted from 1970-01-01: 1 for Monday to 7 for Sunday.
fn iso_weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7) + 1
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// True when `text` is written as an ISO date, time or date-time, whether or not its fields
/// are in range (`2024-02-30` is, `2024-2-3` is not).
pub(crate) fn is_iso_shaped(text: &str) -> bool {
    read_iso(text, false).is_some()
}

fn read_iso(text: &str, check_ranges: bool) -> Option<Temporal> {
    let mut reader = Reader { text: text.as_bytes(), pos: 0, check_ranges };
    let date = if text.len() >= 10 && text.as_bytes().get(4) == Some(&b'-') {
        Some(reader.date()?)
    } else {
        None
    };
    let has_time = match date {
        Some(_) => reader.eat(b'T'),
        None => true,
    };
    let nanos = if has_time { Some(reader.time()?) } else { None };
    let offset = if has_time { reader.offset() } else { None };
    if reader.pos != text.len() {
        return None;
    }
    let kind = match (date.is_some(), nanos.is_some(), offset.is_some()) {
        (true, false, _) => TemporalKind::Date,
        (true, true, true) => TemporalKind::DateTime,
        (true, true, false) => TemporalKind::LocalDateTime,
        (false, _, true) => TemporalKind::Time,
        (false, _, false) => TemporalKind::LocalTime,
    };
    Some(Temporal {
        kind,
        days: date.unwrap_or(0),
        nanos: nanos.unwrap_or(0),
        offset_seconds: offset.unwrap_or(0),
        format: None,
    })
}

struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
    /// Whether months, days, hours, minutes and seconds must be in range.
    check_ranges: bool,
}

impl Reader<'_> {
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.text.get(self.pos) == Some(&byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn number(&mut self, n_digits: usize) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + n_digits)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos += n_digits;
        std::str::from_utf8(digits).ok()?.parse().ok()
    }

    fn date(&mut self) -> Option<i64> {
        let negative = self.eat(b'-');
        let year = i64::from(self.number(4)?);
        let year = if negative { -year } else { year };
        let month = self.eat(b'-').then(|| self.number(2)).flatten()?;
        let day = self.eat(b'-').then(|| self.number(2)).flatten()?;
        let valid = !self.check_ranges || valid_date(year, month, day);
        valid.then(|| days_from_civil(year, month, day))
    }

    fn time(&mut self) -> Option<u64> {
        let hour = self.number(2)?;
        let minute = self.eat(b':').then(|| self.number(2)).flatten()?;
        let second = if self.eat(b':') { self.number(2)? } else { 0 };
        let mut fraction = 0u64;
        if self.eat(b'.') {
            let start = self.pos;
            while self.text.get(self.pos).is_some_and(u8::is_ascii_digit) && self.pos - start < 9 {
                self.pos += 1;
            }
            let digits = std::str::from_utf8(&self.text[start..self.pos]).ok()?;
            fraction = format!("{digits:0<9}").parse().ok()?;
        }
        let valid = !self.check_ranges || (hour < 24 && minute < 60 && second < 60);
        valid.then(|| u64::from(hour * 3600 + minute * 60 + second) * NANOS_PER_SECOND + fraction)
    }

    fn offset(&mut self) -> Option<i32> {
        if self.eat(b'Z') {
            return Some(0);
        }
        let sign = match self.text.get(self.pos) {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return None,
        };
        self.pos += 1;
        let hours = self.number(2)?;
        // ISO text writes `+01:00` or `+01`; `+0100` is left unread, so the text fails.
        let minutes = if self.eat(b':') { self.number(2)? } else { 0 };
        Some(sign * i32::try_from(hours * 3600 + minutes * 60).ok()?)
    }
}

fn valid_date(year: i64, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

/// Converts between temporal kinds the way `as` does; `None` when a part is missing.
pub(crate) fn convert(value: Temporal, kind: TemporalKind) -> Option<Temporal> {
    let target = Temporal { kind, ..value.clone() };
    let needs_date = target.has_date() && !value.has_date();
    let needs_time = target.has_time() && !value.has_time();
    if needs_date || needs_time {
        return None;
    }
    Some(Temporal {
        days: if target.has_date() { value.days } else { 0 },
        nanos: if target.has_time() { value.nanos } else { 0 },
        offset_seconds: if target.has_offset() { value.offset_seconds } else { 0 },
        ..target
    })
}

/// The text writers give a value: in the pattern it was read with, else in ISO form.
///
/// # Errors
///
/// Java's reason when the pattern cannot write the value (`Unsupported field: HourOfDay`
/// for `HH` on a Date).
pub(crate) fn written(value: &Temporal) -> Result<String, String> {
    match &value.format {
        Some(format) => time_pattern::format_in(value, &format.pattern, format.locale.as_deref()),
        None => Ok(to_iso(value)),
    }
}

/// Like [`written`], in ISO form when the pattern cannot write the value; for writers
/// that cannot fail (logs, CSV and text fields).
pub(crate) fn to_written(value: &Temporal) -> String {
    written(value).unwrap_or_else(|_| to_iso(value))
}

/// Seconds since the epoch, counting the offset; local values are taken as UTC.
pub(crate) fn epoch_seconds(value: &Temporal) -> i64 {
    let seconds = i64::try_from(value.nanos / NANOS_PER_SECOND).unwrap_or(0);
    value.days * SECONDS_PER_DAY + seconds - i64::from(value.offset_seconds)
}

/// Orders two values of the same family (instants by the moment they name).
pub(crate) fn compare(lhs: &Temporal, rhs: &Temporal) -> Option<Ordering> {
    if lhs.has_date() != rhs.has_date() || lhs.has_time() != rhs.has_time() {
        return None;
    }
    Some(compare_instants(lhs, rhs))
}

/// Orders two values as instants on one time line, whatever their kinds: a value without an
/// offset is taken in UTC, a Date at its midnight.
pub(crate) fn compare_instants(lhs: &Temporal, rhs: &Temporal) -> Ordering {
    let key = |t: &Temporal| {
        i128::from(t.days) * i128::from(SECONDS_PER_DAY) * 1_000_000_000 + i128::from(t.nanos)
            - i128::from(t.offset_seconds) * 1_000_000_000
    };
    key(lhs).cmp(&key(rhs))
}

/// A date selector such as `.year`; `None` for names that are not one.
pub(crate) fn field(value: &Temporal, name: &str) -> Option<i64> {
    let (year, month, day) = civil_from_days(value.days);
    let seconds = i64::try_from(value.nanos / NANOS_PER_SECOND).unwrap_or(0);
    let needs_date =
        matches!(name, "year" | "month" | "day" | "dayOfWeek" | "dayOfYear" | "quarter");
    if needs_date && !value.has_date()
        || !needs_date && !value.has_time() && name != "offsetSeconds"
    {
        return None;
    }
    Some(match name {
        "year" => year,
        "month" => i64::from(month),
        "day" => i64::from(day),
        "quarter" => i64::from((month - 1) / 3 + 1),
        // ISO numbering, as java.time's DayOfWeek: Monday is 1, Sunday 7.
        "dayOfWeek" => (value.days + 3).rem_euclid(7) + 1,
        "dayOfYear" => value.days - days_from_civil(year, 1, 1) + 1,
        "hour" => seconds / 3600,
        "minutes" => seconds / 60 % 60,
        "seconds" => seconds % 60,
        "milliseconds" => i64::try_from(value.nanos % NANOS_PER_SECOND / 1_000_000).unwrap_or(0),
        "nanoseconds" => i64::try_from(value.nanos % NANOS_PER_SECOND).unwrap_or(0),
        "offsetSeconds" => i64::from(value.offset_seconds),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str) -> String {
        to_iso(&parse_iso(text).expect("valid ISO text"))
    }

    #[test]
    fn civil_days_round_trip() {
        for days in [-800_000, -1, 0, 1, 18_262, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(18_262), (2020, 1, 1));
    }

    #[test]
    fn iso_text_is_written_as_dataweave_does() {
        assert_eq!(iso("2003-10-01"), "2003-10-01");
        assert_eq!(iso("2003-10-01T23:57:59-03:00"), "2003-10-01T23:57:59-03:00");
        assert_eq!(iso("2003-10-01T23:57:59.120Z"), "2003-10-01T23:57:59.12Z");
        assert_eq!(iso("2003-10-01T23:57:59.000+00:00"), "2003-10-01T23:57:59Z");
        assert_eq!(iso("23:57"), "23:57:00");
        assert!(parse_iso("2020-13-01").is_none());
        assert!(parse_iso("2021-02-29").is_none());
    }

    #[test]
    fn fields_and_epoch() {
        let value = parse_iso("2020-03-15T10:20:30Z").expect("valid");
        assert_eq!(field(&value, "dayOfWeek"), Some(7));
        assert_eq!(field(&value, "dayOfYear"), Some(75));
        assert_eq!(field(&value, "minutes"), Some(20));
        assert_eq!(
            epoch_seconds(&parse_iso("2020-01-01T10:00:00Z").expect("valid")),
            1_577_872_800
        );
    }
}
