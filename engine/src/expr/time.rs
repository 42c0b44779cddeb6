//! Dates and times: ISO reading and writing, `now()`, the common `java.time` format
//! patterns, and the date selectors (`.year`, `.month`, ...).
//!
//! Values are [`Temporal`]s: days since 1970-01-01, nanoseconds since midnight, and an
//! offset, kept as written (`|10:00:00+05:30|` stays in `+05:30`).

use std::cmp::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::value::{Temporal, TemporalKind};

const NANOS_PER_SECOND: u64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] =
    ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

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

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
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

fn four_digit_year(year: i64) -> String {
    if year < 0 { format!("-{:04}", -year) } else { format!("{year:04}") }
}

/// `Z` (when `z_for_zero`) or `+hh:mm` / `+hhmm`.
fn offset_text(offset_seconds: i32, z_for_zero: bool, colon: bool) -> String {
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
    let mut reader = Reader { text: text.as_bytes(), pos: 0 };
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
    })
}

struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
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
        valid_date(year, month, day).then(|| days_from_civil(year, month, day))
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
        let valid = hour < 24 && minute < 60 && second < 60;
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
        self.eat(b':');
        let minutes = self.number(2).unwrap_or(0);
        Some(sign * i32::try_from(hours * 3600 + minutes * 60).ok()?)
    }
}

fn valid_date(year: i64, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

/// Converts between temporal kinds the way `as` does; `None` when a part is missing.
pub(crate) fn convert(value: Temporal, kind: TemporalKind) -> Option<Temporal> {
    let target = Temporal { kind, ..value };
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
    let key = |t: &Temporal| {
        i128::from(t.days) * i128::from(SECONDS_PER_DAY) * 1_000_000_000 + i128::from(t.nanos)
            - i128::from(t.offset_seconds) * 1_000_000_000
    };
    Some(key(lhs).cmp(&key(rhs)))
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

/// One piece of a `java.time` pattern: a run of one letter, or literal text.
#[derive(Debug, PartialEq)]
enum Piece {
    Field(char, usize),
    Literal(String),
}

fn pieces(pattern: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            let mut text = String::new();
            loop {
                match chars.next() {
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                        text.push('\'');
                    }
                    Some('\'') => break,
                    Some(other) => text.push(other),
                    None => return Err(format!("Unterminated quote in pattern `{pattern}`")),
                }
            }
            out.push(Piece::Literal(if text.is_empty() { "'".into() } else { text }));
        } else if c.is_ascii_alphabetic() {
            let mut count = 1;
            while chars.peek() == Some(&c) {
                chars.next();
                count += 1;
            }
            out.push(Piece::Field(c, count));
        } else {
            out.push(Piece::Literal(c.to_string()));
        }
    }
    Ok(out)
}

/// Formats with a `java.time` pattern (the common letters: `y u M d H h m s S a E Z X x z`).
pub(crate) fn format(value: &Temporal, pattern: &str) -> Result<String, String> {
    let (year, month, day) = civil_from_days(value.days);
    let seconds = value.nanos / NANOS_PER_SECOND;
    let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let weekday = WEEKDAYS[(value.days + 4).rem_euclid(7) as usize];
    let mut out = String::new();
    for piece in pieces(pattern)? {
        let (letter, count) = match piece {
            Piece::Literal(text) => {
                out.push_str(&text);
                continue;
            }
            Piece::Field(letter, count) => (letter, count),
        };
        let needs_date = "yuMdEDQ".contains(letter);
        let needs_time = "HhmsSaK".contains(letter);
        let needs_offset = "ZXxz".contains(letter);
        let missing = (needs_date && !value.has_date())
            || (needs_time && !value.has_time())
            || (needs_offset && !value.has_offset());
        if missing {
            return Err(format!("Unsupported field: {letter} for a {}", type_name(value.kind)));
        }
        let text = match letter {
            'y' | 'u' if count == 2 => format!("{:02}", year.rem_euclid(100)),
            'y' | 'u' => format!("{year:0count$}"),
            'M' if count >= 4 => MONTHS[month as usize - 1].to_owned(),
            'M' if count == 3 => MONTHS[month as usize - 1][..3].to_owned(),
            'M' => format!("{month:0count$}"),
            'd' => format!("{day:0count$}"),
            'D' => format!("{:0count$}", value.days - days_from_civil(year, 1, 1) + 1),
            'E' if count >= 4 => weekday.to_owned(),
            'E' => weekday[..3].to_owned(),
            'H' => format!("{hour:0count$}"),
            'h' => format!("{:0count$}", if hour % 12 == 0 { 12 } else { hour % 12 }),
            'K' => format!("{:0count$}", hour % 12),
            'm' => format!("{minute:0count$}"),
            's' => format!("{second:0count$}"),
            'S' => format!("{:09}", value.nanos % NANOS_PER_SECOND)[..count.min(9)].to_owned(),
            'a' => (if hour < 12 { "AM" } else { "PM" }).to_owned(),
            'Z' => offset_text(value.offset_seconds, false, false),
            'X' => offset_text(value.offset_seconds, true, count >= 3),
            'x' => offset_text(value.offset_seconds, false, count >= 3),
            'z' => offset_text(value.offset_seconds, true, true),
            other => {
                return Err(format!(
                    "flowrun does not support the date pattern letter `{other}` yet"
                ));
            }
        };
        out.push_str(&text);
    }
    Ok(out)
}

/// Reads `text` with a `java.time` pattern into a value of `kind` (numeric fields, month
/// names, `a`, offsets and literals).
pub(crate) fn parse_with(text: &str, pattern: &str, kind: TemporalKind) -> Option<Temporal> {
    let pieces = pieces(pattern).ok()?;
    let mut fields = Fields::default();
    let mut rest = text;
    for piece in &pieces {
        rest = match piece {
            Piece::Literal(lit) => rest.strip_prefix(lit.as_str())?,
            Piece::Field(letter, count) => fields.read(*letter, *count, rest)?,
        };
    }
    if !rest.is_empty() {
        return None;
    }
    fields.build(kind)
}

#[derive(Default)]
struct Fields {
    year: Option<i64>,
    month: Option<u32>,
    day: Option<u32>,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u64,
    pm: Option<bool>,
    offset: Option<i32>,
}

impl Fields {
    /// Reads one field from the start of `text`; returns the rest.
    fn read<'t>(&mut self, letter: char, count: usize, text: &'t str) -> Option<&'t str> {
        if letter == 'M' && count >= 3 {
            let (idx, name) = MONTHS.iter().enumerate().find(|(_, name)| {
                let name = if count == 3 { &name[..3] } else { name };
                text.to_ascii_lowercase().starts_with(&name.to_ascii_lowercase())
            })?;
            self.month = Some(u32::try_from(idx).ok()? + 1);
            return Some(&text[if count == 3 { 3 } else { name.len() }..]);
        }
        if letter == 'a' {
            let pm = text.get(..2)?.eq_ignore_ascii_case("PM");
            self.pm = Some(pm);
            return text.get(2..);
        }
        if matches!(letter, 'Z' | 'X' | 'x') {
            let mut reader = Reader { text: text.as_bytes(), pos: 0 };
            self.offset = Some(reader.offset()?);
            return text.get(reader.pos..);
        }
        let max_digits = if count >= 3 || letter == 'S' { count } else { 2 };
        let max_digits = if matches!(letter, 'y' | 'u') && count != 2 { 9 } else { max_digits };
        let n_digits = text.bytes().take(max_digits).take_while(u8::is_ascii_digit).count();
        if n_digits == 0 {
            return None;
        }
        let number: u64 = text[..n_digits].parse().ok()?;
        let small = u32::try_from(number).ok()?;
        match letter {
            'y' | 'u' if count == 2 => self.year = Some(2000 + i64::from(small)),
            'y' | 'u' => self.year = Some(i64::from(small)),
            'M' => self.month = Some(small),
            'd' => self.day = Some(small),
            'H' | 'h' | 'K' => self.hour = small,
            'm' => self.minute = small,
            's' => self.second = small,
            'S' => self.nanos = format!("{:0<9}", &text[..n_digits]).parse().ok()?,
            _ => return None,
        }
        Some(&text[n_digits..])
    }

    fn build(&self, kind: TemporalKind) -> Option<Temporal> {
        let hour = match self.pm {
            Some(true) if self.hour < 12 => self.hour + 12,
            Some(false) if self.hour == 12 => 0,
            _ => self.hour,
        };
        let time_ok = hour < 24 && self.minute < 60 && self.second < 60;
        let nanos =
            u64::from(hour * 3600 + self.minute * 60 + self.second) * NANOS_PER_SECOND + self.nanos;
        let mut value = Temporal { kind, days: 0, nanos: 0, offset_seconds: 0 };
        if value.has_date() {
            let (year, month, day) = (self.year?, self.month?, self.day?);
            if !valid_date(year, month, day) {
                return None;
            }
            value.days = days_from_civil(year, month, day);
        }
        if value.has_time() {
            value.nanos = if time_ok { nanos } else { return None };
        }
        if value.has_offset() {
            value.offset_seconds = self.offset.unwrap_or(0);
        }
        Some(value)
    }
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
    fn patterns_format_and_parse() {
        let value = parse_iso("2020-01-05T14:03:09.5+01:00").expect("valid");
        let formatted =
            format(&value, "E, dd MMM yyyy hh:mm:ss.SSS a XXX Z '['yy']'").expect("formats");
        assert_eq!(formatted, "Sun, 05 Jan 2020 02:03:09.500 PM +01:00 +0100 [20]");
        let parsed = parse_with("03/15/2020", "MM/dd/yyyy", TemporalKind::Date).expect("parses");
        assert_eq!(to_iso(&parsed), "2020-03-15");
        assert!(parse_with("02/31/2020", "MM/dd/yyyy", TemporalKind::Date).is_none());
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
