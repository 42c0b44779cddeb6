//! `java.time` patterns (`yyyy-MM-dd'T'HH:mm`): formatting dates and times with them, and
//! reading text with them in DataWeave's three modes (`SMART`, `STRICT`, `LENIENT`).
//!
//! `as String {format}` and the writers of a date that remembers its format use
//! [`format`]; `as Date {format, mode}` uses [`parse`]. Failures are the text of Java's
//! `DateTimeException`s, which DataWeave prints after `caused by:`. Locale-dependent
//! letters (`Y`, `w`, `e`, `c`, names of months and days) follow the US locale, as the
//! reference engine does: weeks start on Sunday and week 1 holds January 1.

use std::sync::Arc;

use crate::expr::time::{self, NANOS_PER_SECOND, offset_text};
use crate::value::{Temporal, TemporalFormat, TemporalKind};

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

/// The letters `java.time` knows; any other letter outside quotes is an error.
const KNOWN_LETTERS: &str = "GuyDMLdQqYwWEecFahKkHmsSAnNVvzOXxZ";

/// How strictly [`parse`] reads: `SMART` (the default) clamps a day past the month's end to
/// its last day, `STRICT` rejects it and wants an era with `yyyy`, `LENIENT` rolls any
/// overflow into the next field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Smart,
    Strict,
    Lenient,
}

impl Mode {
    /// The mode named by a `mode` property, in DataWeave's words when it names none.
    pub(crate) fn named(name: &str) -> Result<Mode, String> {
        match name.to_ascii_uppercase().as_str() {
            "SMART" => Ok(Mode::Smart),
            "STRICT" => Ok(Mode::Strict),
            "LENIENT" => Ok(Mode::Lenient),
            _ => Err(format!("Invalid unit: {name} expecting 'LENIENT' or 'SMART' or 'STRICT'")),
        }
    }
}

/// One piece of a pattern: a run of one letter, literal text, or an optional section
/// (`[.SSS]`), which is left out where its fields are not there.
#[derive(Debug, PartialEq)]
enum Piece {
    Field(char, usize),
    Literal(String),
    Optional(Vec<Piece>),
}

fn pieces(pattern: &str) -> Result<Vec<Piece>, String> {
    // The sections open so far, outermost first; a `[` that is never closed runs to the end.
    let mut sections: Vec<Vec<Piece>> = vec![Vec::new()];
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        let out = sections.last_mut().expect("the pattern's own section stays");
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
                    None => {
                        return Err(format!(
                            "Pattern ends with an incomplete string literal: {pattern}"
                        ));
                    }
                }
            }
            out.push(Piece::Literal(if text.is_empty() { "'".into() } else { text }));
        } else if c == '[' {
            sections.push(Vec::new());
        } else if c == ']' {
            if sections.len() == 1 {
                return Err("Pattern invalid as it contains ] without previous [".into());
            }
            let section = sections.pop().expect("more than one section");
            sections.last_mut().expect("an outer section").push(Piece::Optional(section));
        } else if "#{}".contains(c) {
            return Err(format!("Pattern includes reserved character: '{c}'"));
        } else if c.is_ascii_alphabetic() {
            if !KNOWN_LETTERS.contains(c) {
                return Err(format!("Unknown pattern letter: {c}"));
            }
            let mut count = 1;
            while chars.peek() == Some(&c) {
                chars.next();
                count += 1;
            }
            check_count(c, count)?;
            out.push(Piece::Field(c, count));
        } else {
            out.push(Piece::Literal(c.to_string()));
        }
    }
    while sections.len() > 1 {
        let section = sections.pop().expect("more than one section");
        sections.last_mut().expect("an outer section").push(Piece::Optional(section));
    }
    Ok(sections.pop().unwrap_or_default())
}

/// Rejects a run of a letter longer (or, for a few letters, of another length) than
/// `java.time` allows, with its `IllegalArgumentException`'s message: `ddd` is
/// `Too many pattern letters: d`, as Java checks when it reads the pattern.
fn check_count(letter: char, count: usize) -> Result<(), String> {
    let too_many = || Err(format!("Too many pattern letters: {letter}"));
    match letter {
        'd' | 'h' | 'H' | 'k' | 'K' | 'm' | 's' | 'w' if count > 2 => too_many(),
        'D' if count > 3 => too_many(),
        'M' | 'L' | 'Q' | 'q' | 'E' | 'e' | 'G' | 'X' | 'x' | 'Z' if count > 5 => too_many(),
        'c' if count > 5 => too_many(),
        'c' if count == 2 => Err("Invalid pattern \"cc\"".into()),
        'z' if count > 4 => too_many(),
        'a' | 'F' | 'W' if count > 1 => too_many(),
        'O' if count != 1 && count != 4 => {
            Err(format!("Pattern letter count must be 1 or 4: {letter}"))
        }
        'V' if count != 2 => Err(format!("Pattern letter count must be 2: {letter}")),
        'v' if count != 1 && count != 4 => {
            Err(format!("Wrong number of pattern letters: {letter}"))
        }
        'S' if count > 9 => {
            Err(format!("Minimum width must be from 0 to 9 inclusive but was {count}"))
        }
        'y' | 'u' | 'n' | 'N' | 'A' if count > 19 => {
            Err(format!("The minimum width must be from 1 to 19 inclusive but was {count}"))
        }
        _ => Ok(()),
    }
}

/// Java's name for the field a letter reads, as `Unsupported field: ...` prints it.
fn field_name(letter: char) -> &'static str {
    match letter {
        'G' => "Era",
        'y' => "YearOfEra",
        'u' => "Year",
        'M' | 'L' => "MonthOfYear",
        'd' => "DayOfMonth",
        'D' => "DayOfYear",
        'Q' | 'q' => "QuarterOfYear",
        'Y' | 'w' | 'W' | 'E' | 'e' | 'c' | 'F' => "DayOfWeek",
        'a' => "AmPmOfDay",
        'h' => "ClockHourOfAmPm",
        'K' => "HourOfAmPm",
        'k' => "ClockHourOfDay",
        'H' => "HourOfDay",
        'm' => "MinuteOfHour",
        's' => "SecondOfMinute",
        'S' | 'n' => "NanoOfSecond",
        'A' => "MilliOfDay",
        'N' => "NanoOfDay",
        _ => "OffsetSeconds",
    }
}

/// Formats `value` with `pattern`, with the names of months, days and half-days of
/// `locale` (`"es"`, `"fr-FR"`) where flowrun knows them, else the US English ones; `Err` is
/// Java's reason, such as `Unsupported field: Year`.
pub(crate) fn format_in(
    value: &Temporal,
    pattern: &str,
    locale: Option<&str>,
) -> Result<String, String> {
    let names = locale.and_then(locale_names);
    let mut out = String::new();
    format_pieces(value, &pieces(pattern)?, names, &mut out)?;
    Ok(out)
}

fn format_pieces(
    value: &Temporal,
    pieces: &[Piece],
    names: Option<&LocaleNames>,
    out: &mut String,
) -> Result<(), String> {
    for piece in pieces {
        match piece {
            Piece::Literal(text) => out.push_str(text),
            Piece::Field(letter, count) => {
                match names.and_then(|n| named(value, n, *letter, *count)) {
                    Some(text) => out.push_str(&text),
                    None => out.push_str(&format_field(value, *letter, *count)?),
                }
            }
            // Written whole, or not at all where a field is not there (`[XXX]` of a
            // LocalDateTime).
            Piece::Optional(section) => {
                let mut text = String::new();
                if format_pieces(value, section, names, &mut text).is_ok() {
                    out.push_str(&text);
                }
            }
        }
    }
    Ok(())
}

/// The names a locale gives months, days and half-days, as Java's CLDR data (the reference
/// engine's) writes them.
struct LocaleNames {
    months: [&'static str; 12],
    /// `MMM`: the short month in a date.
    short_months: [&'static str; 12],
    /// `LLL`: the short month standing alone, where the locale has a form of its own.
    standalone_short_months: Option<[&'static str; 12]>,
    /// From Sunday.
    days: [&'static str; 7],
    short_days: [&'static str; 7],
    /// `ccc`: the short day standing alone, where the locale has a form of its own.
    standalone_short_days: Option<[&'static str; 7]>,
    am_pm: [&'static str; 2],
}

/// A language (`es`), or a language with the country whose names are the language's own
/// (`es-ES`); other countries (`es-MX`) name some things differently and are not known.
fn locale_names(locale: &str) -> Option<&'static LocaleNames> {
    Some(match locale.to_ascii_lowercase().as_str() {
        "es" | "es-es" => &ES,
        "fr" | "fr-fr" => &FR,
        "de" | "de-de" => &DE,
        "pt" | "pt-br" => &PT,
        "it" | "it-it" => &IT,
        "nl" | "nl-nl" => &NL,
        _ => return None,
    })
}

/// A name field (`MMM`, `EEEE`, `a`) in a locale's words; `None` for the other fields, and
/// for the numeric forms of months.
fn named(value: &Temporal, names: &LocaleNames, letter: char, count: usize) -> Option<String> {
    let applies = match letter {
        'M' | 'L' => count >= 3 && value.has_date(),
        'E' => value.has_date(),
        'e' | 'c' => count >= 3 && value.has_date(),
        'a' => value.has_time(),
        _ => false,
    };
    if !applies {
        return None;
    }
    let (_, month, _) = time::civil_from_days(value.days);
    let month = month as usize - 1;
    let weekday = (value.days + 4).rem_euclid(7) as usize;
    let narrow = |name: &str| name.chars().next().map(|c| c.to_uppercase().collect::<String>());
    Some(match (letter, count) {
        ('M' | 'L', 5..) => narrow(names.months[month])?,
        ('M' | 'L', 4) => names.months[month].to_owned(),
        ('L', _) => names.standalone_short_months.unwrap_or(names.short_months)[month].to_owned(),
        ('M', _) => names.short_months[month].to_owned(),
        (_, 5..) if letter != 'a' => narrow(names.days[weekday])?,
        (_, 4) if letter != 'a' => names.days[weekday].to_owned(),
        ('a', _) => {
            let seconds = value.nanos / NANOS_PER_SECOND;
            names.am_pm[usize::from(seconds >= 12 * 3600)].to_owned()
        }
        ('c', _) => names.standalone_short_days.unwrap_or(names.short_days)[weekday].to_owned(),
        _ => names.short_days[weekday].to_owned(),
    })
}

const ES: LocaleNames = LocaleNames {
    months: [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    short_months: [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
    ],
    standalone_short_months: None,
    days: ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"],
    short_days: ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"],
    standalone_short_days: None,
    am_pm: ["a.\u{a0}m.", "p.\u{a0}m."],
};

const FR: LocaleNames = LocaleNames {
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    short_months: [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
    standalone_short_months: None,
    days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    short_days: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    standalone_short_days: None,
    am_pm: ["AM", "PM"],
};

const DE: LocaleNames = LocaleNames {
    months: [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    short_months: [
        "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
        "Dez.",
    ],
    standalone_short_months: Some([
        "Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez",
    ]),
    days: ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
    short_days: ["So.", "Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa."],
    standalone_short_days: Some(["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"]),
    am_pm: ["AM", "PM"],
};

const PT: LocaleNames = LocaleNames {
    months: [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
    short_months: [
        "jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.",
        "dez.",
    ],
    standalone_short_months: None,
    days: [
        "domingo",
        "segunda-feira",
        "terça-feira",
        "quarta-feira",
        "quinta-feira",
        "sexta-feira",
        "sábado",
    ],
    short_days: ["dom.", "seg.", "ter.", "qua.", "qui.", "sex.", "sáb."],
    standalone_short_days: None,
    am_pm: ["AM", "PM"],
};

const IT: LocaleNames = LocaleNames {
    months: [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
    short_months: [
        "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
    ],
    standalone_short_months: None,
    days: ["domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"],
    short_days: ["dom", "lun", "mar", "mer", "gio", "ven", "sab"],
    standalone_short_days: None,
    am_pm: ["AM", "PM"],
};

const NL: LocaleNames = LocaleNames {
    months: [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    short_months: [
        "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ],
    standalone_short_months: None,
    days: ["zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"],
    short_days: ["zo", "ma", "di", "wo", "do", "vr", "za"],
    standalone_short_days: None,
    am_pm: ["a.m.", "p.m."],
};

fn format_field(value: &Temporal, letter: char, count: usize) -> Result<String, String> {
    let is_date_letter = "GyuMLdDQqYwWEecF".contains(letter);
    let is_time_letter = "ahKkHmsSAnN".contains(letter);
    let is_zone_letter = "Vvz".contains(letter);
    if is_zone_letter && !value.has_offset() {
        return Err(format!("Unable to extract ZoneId from temporal {}", java_text(value)));
    }
    let missing = (is_date_letter && !value.has_date())
        || (is_time_letter && !value.has_time())
        || ("OXxZ".contains(letter) && !value.has_offset());
    if missing {
        return Err(format!("Unsupported field: {}", field_name(letter)));
    }
    let (year, month, day) = time::civil_from_days(value.days);
    let seconds = value.nanos / NANOS_PER_SECOND;
    let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    // Sunday is 0, as in the US locale's numbering (where it is day 1).
    let weekday = (value.days + 4).rem_euclid(7) as usize;
    let month_name = MONTHS[month as usize - 1];
    let number = |n: i64| format!("{n:0count$}");
    let text = match letter {
        'G' if count >= 4 => if year > 0 { "Anno Domini" } else { "Before Christ" }.to_owned(),
        'G' => if year > 0 { "AD" } else { "BC" }.to_owned(),
        'y' | 'u' | 'Y' => {
            let year = if letter == 'Y' { week_based_year(value.days) } else { year };
            let year = if letter == 'y' && year <= 0 { 1 - year } else { year };
            if count == 2 { format!("{:02}", year.rem_euclid(100)) } else { number(year) }
        }
        'M' | 'L' if count >= 5 => month_name[..1].to_owned(),
        'M' | 'L' if count == 4 => month_name.to_owned(),
        'M' | 'L' if count == 3 => month_name[..3].to_owned(),
        'M' | 'L' => number(i64::from(month)),
        'd' => number(i64::from(day)),
        'D' => number(value.days - time::days_from_civil(year, 1, 1) + 1),
        'Q' | 'q' => {
            let quarter = (month - 1) / 3 + 1;
            match count {
                3 => format!("Q{quarter}"),
                4 => format!("{} quarter", ["1st", "2nd", "3rd", "4th"][quarter as usize - 1]),
                _ => number(i64::from(quarter)),
            }
        }
        'w' => number(week_of_week_based_year(value.days)),
        // Week of the month in the US locale: weeks start on Sunday, and the first one is
        // the one that holds the 1st.
        'W' => {
            let first = value.days - i64::from(day) + 1;
            let first_weekday = (first + 4).rem_euclid(7);
            number((i64::from(day) - 1 + first_weekday) / 7 + 1)
        }
        // The aligned week of the month (days 1 to 7 are week 1), as the reference engine's
        // Java gives `F`.
        'F' => number((i64::from(day) - 1) / 7 + 1),
        'E' | 'e' | 'c' if count >= 5 => WEEKDAYS[weekday][..1].to_owned(),
        'E' | 'e' | 'c' if count == 4 => WEEKDAYS[weekday].to_owned(),
        'E' => WEEKDAYS[weekday][..3].to_owned(),
        'e' | 'c' if count == 3 => WEEKDAYS[weekday][..3].to_owned(),
        'e' | 'c' => number(weekday as i64 + 1),
        'a' => (if hour < 12 { "AM" } else { "PM" }).to_owned(),
        'H' => number(hour as i64),
        'h' => number(if hour % 12 == 0 { 12 } else { hour as i64 % 12 }),
        'K' => number(hour as i64 % 12),
        'k' => number(if hour == 0 { 24 } else { hour as i64 }),
        'm' => number(minute as i64),
        's' => number(second as i64),
        'S' => format!("{:09}", value.nanos % NANOS_PER_SECOND)[..count.min(9)].to_owned(),
        'n' => number((value.nanos % NANOS_PER_SECOND) as i64),
        'N' => number(value.nanos as i64),
        'A' => number((value.nanos / 1_000_000) as i64),
        'Z' if count == 4 => localized_offset(value.offset_seconds, true),
        'Z' if count == 5 => offset_text(value.offset_seconds, true, true),
        'Z' => offset_text(value.offset_seconds, false, false),
        'X' | 'x' if count == 1 => {
            let short = offset_text(value.offset_seconds, letter == 'X', false);
            // `X` and `x` leave out minutes that are zero: `+05`, `+0530`.
            short.strip_suffix("00").filter(|_| short.len() == 5).unwrap_or(&short).to_owned()
        }
        // `XX` and `XXXX` are `+0530`, `XXX` and `XXXXX` `+05:30` (seconds left out).
        'X' => offset_text(value.offset_seconds, true, count % 2 == 1),
        'x' => offset_text(value.offset_seconds, false, count % 2 == 1),
        'O' => localized_offset(value.offset_seconds, count >= 4),
        'V' | 'v' | 'z' => match value.format.as_ref().and_then(|format| format.zone.as_deref()) {
            Some(zone) => zone.to_owned(),
            None => offset_text(value.offset_seconds, true, true),
        },
        other => {
            return Err(format!("flowrun does not support the date pattern letter `{other}` yet"));
        }
    };
    Ok(text)
}

/// The US week-based year: the year of the Saturday that ends the date's week.
fn week_based_year(days: i64) -> i64 {
    let weekday = (days + 4).rem_euclid(7);
    time::civil_from_days(days + 6 - weekday).0
}

/// The US week number: week 1 is the Sunday-to-Saturday week that holds January 1.
fn week_of_week_based_year(days: i64) -> i64 {
    let sunday = days - (days + 4).rem_euclid(7);
    let new_year = time::days_from_civil(week_based_year(days), 1, 1);
    let first_sunday = new_year - (new_year + 4).rem_euclid(7);
    (sunday - first_sunday) / 7 + 1
}

/// `O` (`GMT+2`) and `OOOO` (`GMT+02:00`).
fn localized_offset(offset_seconds: i32, full: bool) -> String {
    if offset_seconds == 0 {
        return "GMT".into();
    }
    let sign = if offset_seconds < 0 { '-' } else { '+' };
    let minutes = offset_seconds.unsigned_abs() / 60;
    let (hours, minutes) = (minutes / 60, minutes % 60);
    match (full, minutes) {
        (true, _) => format!("GMT{sign}{hours:02}:{minutes:02}"),
        (false, 0) => format!("GMT{sign}{hours}"),
        (false, _) => format!("GMT{sign}{hours}:{minutes:02}"),
    }
}

/// The value as Java's `toString` writes it (seconds left out when zero), which its
/// messages quote.
fn java_text(value: &Temporal) -> String {
    let mut out = String::new();
    if value.has_date() {
        let (year, month, day) = time::civil_from_days(value.days);
        out.push_str(&format!("{year:04}-{month:02}-{day:02}"));
    }
    if value.has_time() {
        if value.has_date() {
            out.push('T');
        }
        let seconds = value.nanos / NANOS_PER_SECOND;
        let fraction = value.nanos % NANOS_PER_SECOND;
        out.push_str(&format!("{:02}:{:02}", seconds / 3600, seconds / 60 % 60));
        if !seconds.is_multiple_of(60) || fraction > 0 {
            out.push_str(&format!(":{:02}", seconds % 60));
        }
        if fraction > 0 {
            let digits = format!("{fraction:09}");
            let shown = if fraction.is_multiple_of(1_000_000) {
                &digits[..3]
            } else if fraction.is_multiple_of(1000) {
                &digits[..6]
            } else {
                &digits
            };
            out.push('.');
            out.push_str(shown);
        }
    }
    out
}

/// Reads `text` with `pattern` into a value of `kind` that remembers the pattern (and the
/// zone name, if the text gave one); `Err` is Java's reason, such as
/// `Text '02/31/2020' could not be parsed: Invalid date 'FEBRUARY 31'`.
///
/// Month, day and half-day names are read in `locale`'s words where flowrun knows them
/// ([`format_in`]), else in US English.
pub(crate) fn parse_in(
    text: &str,
    pattern: &str,
    kind: TemporalKind,
    mode: Mode,
    locale: Option<&str>,
) -> Result<Temporal, String> {
    let pieces = pieces(pattern)?;
    let mut fields = Fields { names: locale.and_then(locale_names), ..Fields::default() };
    let pos = fields
        .read_pieces(&pieces, text, 0)
        .map_err(|pos| format!("Text '{text}' could not be parsed at index {pos}"))?;
    if pos < text.len() {
        return Err(format!(
            "Text '{text}' could not be parsed, unparsed text found at index {pos}"
        ));
    }
    let mut value = fields
        .build(kind, mode, text)
        .map_err(|reason| format!("Text '{text}' could not be parsed: {reason}"))?;
    let zone = fields.zone.filter(|_| value.has_offset());
    let locale = locale.map(str::to_owned);
    value.format = Some(Arc::new(TemporalFormat { pattern: pattern.to_owned(), zone, locale }));
    Ok(value)
}

impl Fields {
    /// Reads `pieces` from `text` at `pos`; the position after them, or where one failed.
    /// An optional section that does not fit is skipped, its fields unread.
    fn read_pieces(
        &mut self,
        pieces: &[Piece],
        text: &str,
        mut pos: usize,
    ) -> Result<usize, usize> {
        for (idx, piece) in pieces.iter().enumerate() {
            pos = match piece {
                Piece::Literal(lit) => match text[pos..].strip_prefix(lit.as_str()) {
                    Some(_) => pos + lit.len(),
                    None => return Err(pos),
                },
                Piece::Field(letter, count) => {
                    let reserved = reserved_digits(&pieces[idx + 1..]);
                    match self.read(*letter, *count, &text[pos..], reserved) {
                        Some(n_read) => pos + n_read,
                        None => return Err(pos),
                    }
                }
                Piece::Optional(section) => {
                    let before = self.clone();
                    match self.read_pieces(section, text, pos) {
                        Ok(after) => after,
                        Err(_) => {
                            *self = before;
                            pos
                        }
                    }
                }
            };
        }
        Ok(pos)
    }
}

/// How many digits the fixed-width numeric fields right after a variable-width one need,
/// so that `yyyyMMdd` reads `20200102` as Java does.
fn reserved_digits(rest: &[Piece]) -> usize {
    let mut reserved = 0;
    for piece in rest {
        match piece {
            Piece::Field(letter, count) if *count >= 2 && is_numeric(*letter, *count) => {
                reserved += count
            }
            _ => break,
        }
    }
    reserved
}

fn is_numeric(letter: char, count: usize) -> bool {
    match letter {
        'M' | 'L' | 'Q' | 'q' | 'e' | 'c' => count <= 2,
        _ => "yuYdDHhKkmsSnNAw".contains(letter),
    }
}

/// The fields read so far, as written (checked and combined by [`Fields::build`]).
#[derive(Clone, Default)]
struct Fields {
    year_of_era: Option<i64>,
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    day_of_year: Option<i64>,
    hour: Option<i64>,
    clock_hour_of_am_pm: Option<i64>,
    hour_of_am_pm: Option<i64>,
    minute: Option<i64>,
    second: Option<i64>,
    nanos: Option<i64>,
    pm: Option<bool>,
    /// The day of the week named or numbered, Monday 1 to Sunday 7, checked against the
    /// date as Java does.
    day_of_week: Option<i64>,
    has_era: bool,
    offset: Option<i32>,
    zone: Option<String>,
    /// The locale's names, when the text is read in another language than US English.
    names: Option<&'static LocaleNames>,
}

/// The longest of `names` that `text` starts with, ignoring case: its index and length.
fn longest_name<'a>(names: impl Iterator<Item = &'a str>, text: &str) -> Option<(usize, usize)> {
    let lower = text.to_lowercase();
    names
        .enumerate()
        .filter(|(_, name)| !name.is_empty() && lower.starts_with(&name.to_lowercase()))
        .max_by_key(|(_, name)| name.len())
        .map(|(idx, name)| {
            // The length in `text`'s bytes: lowercasing keeps these names' lengths.
            (idx, name.len())
        })
}

impl Fields {
    /// Reads a month, day or half-day name in a locale's words: `Some(None)` when the field
    /// is a name and none fits, `None` when it is no name field.
    fn read_name(
        &mut self,
        names: &LocaleNames,
        letter: char,
        count: usize,
        text: &str,
    ) -> Option<Option<usize>> {
        Some(match (letter, count) {
            ('M' | 'L', 3..) => {
                let list: Vec<&str> = match count {
                    3 if letter == 'L' => {
                        names.standalone_short_months.unwrap_or(names.short_months).to_vec()
                    }
                    3 => names.short_months.to_vec(),
                    _ => names.months.to_vec(),
                };
                longest_name(list.into_iter(), text).map(|(idx, len)| {
                    self.month = Some(idx as i64 + 1);
                    len
                })
            }
            ('E', _) | ('e' | 'c', 3..) => {
                let list: Vec<&str> = match count {
                    4 => names.days.to_vec(),
                    _ if letter == 'c' => {
                        names.standalone_short_days.unwrap_or(names.short_days).to_vec()
                    }
                    _ => names.short_days.to_vec(),
                };
                longest_name(list.into_iter(), text).map(|(idx, len)| {
                    self.day_of_week = Some(iso_weekday(idx));
                    len
                })
            }
            ('a', _) => longest_name(names.am_pm.into_iter(), text).map(|(idx, len)| {
                self.pm = Some(idx == 1);
                len
            }),
            _ => return None,
        })
    }

    /// Reads one field from the start of `text`; returns how many bytes it took.
    fn read(&mut self, letter: char, count: usize, text: &str, reserved: usize) -> Option<usize> {
        if let Some(names) = self.names
            && let Some(n_read) = self.read_name(names, letter, count, text)
        {
            return n_read;
        }
        let lower = text.to_ascii_lowercase();
        if matches!(letter, 'M' | 'L') && count >= 3 {
            let (idx, name) = MONTHS.iter().enumerate().find(|(_, name)| {
                let name = if count == 3 { &name[..3] } else { name };
                lower.starts_with(&name.to_ascii_lowercase())
            })?;
            self.month = Some(idx as i64 + 1);
            return Some(if count == 3 { 3 } else { name.len() });
        }
        if matches!(letter, 'E' | 'e' | 'c') && (letter == 'E' || count >= 3) {
            let (idx, name) = WEEKDAYS.iter().enumerate().find(|(_, name)| {
                let name = if count >= 4 { name } else { &name[..3] };
                lower.starts_with(&name.to_ascii_lowercase())
            })?;
            self.day_of_week = Some(iso_weekday(idx));
            return Some(if count >= 4 { name.len() } else { 3 });
        }
        if letter == 'a' {
            self.pm = Some(match lower.get(..2)? {
                "am" => false,
                "pm" => true,
                _ => return None,
            });
            return Some(2);
        }
        if letter == 'G' {
            self.has_era = lower.starts_with("ad") || lower.starts_with("bc");
            return self.has_era.then_some(2);
        }
        if matches!(letter, 'V' | 'v' | 'z')
            && let Some(zone) = ["GMT", "UTC", "UT"].iter().find(|zone| text.starts_with(**zone))
        {
            // The zones that are a fixed offset of zero; other zone names are not read.
            self.offset = Some(0);
            self.zone = Some((*zone).to_owned());
            return Some(zone.len());
        }
        if matches!(letter, 'Z' | 'X' | 'x' | 'O') {
            let (offset, n_read) = read_offset_as(letter, count, text)?;
            self.offset = Some(offset);
            return Some(n_read);
        }
        if matches!(letter, 'V' | 'v' | 'z') {
            let (offset, n_read) = read_offset(text)?;
            self.offset = Some(offset);
            return Some(n_read);
        }
        let (min, max) = match (letter, count) {
            ('y' | 'u' | 'Y', 2) => (2, 2),
            ('y' | 'u' | 'Y', _) => (count, 19),
            ('S', _) => (count, count),
            (_, 1) => (1, 19),
            _ => (count, count),
        };
        let n_digits = text.bytes().take_while(u8::is_ascii_digit).count();
        if n_digits < min {
            return None;
        }
        // As Java's adjacent value parsing: the reserved digits are left to the fields that
        // follow, but never below this field's own width (`uuuuMMdd` reads `1608` as a year).
        let n_take = n_digits.saturating_sub(reserved).max(min).min(max);
        if matches!(letter, 'y' | 'u') && count >= 4 && n_take > count {
            // Java wants a sign before a year wider than its pattern (`+20230`).
            return None;
        }
        let digits = &text[..n_take];
        let number: i64 = digits.parse().ok()?;
        let slot = match letter {
            'y' | 'Y' if count == 2 => {
                self.year_of_era = Some(2000 + number);
                return Some(n_take);
            }
            'u' if count == 2 => {
                self.year = Some(2000 + number);
                return Some(n_take);
            }
            'S' => {
                self.nanos = format!("{digits:0<9}").get(..9)?.parse().ok();
                return Some(n_take);
            }
            'y' | 'Y' => &mut self.year_of_era,
            'u' => &mut self.year,
            'M' | 'L' => &mut self.month,
            'd' => &mut self.day,
            'D' => &mut self.day_of_year,
            'H' | 'k' => &mut self.hour,
            'h' => &mut self.clock_hour_of_am_pm,
            'K' => &mut self.hour_of_am_pm,
            'm' => &mut self.minute,
            's' => &mut self.second,
            'n' => &mut self.nanos,
            // A day of the week by number counts from Sunday, as in the US.
            'e' | 'c' => {
                self.day_of_week = Some(iso_weekday(usize::try_from(number - 1).ok()? % 7));
                return Some(n_take);
            }
            // Other numeric fields (weeks, quarters) are read and ignored.
            _ => return Some(n_take),
        };
        *slot = Some(number);
        Some(n_take)
    }

    /// Checks the fields and combines them into a value of `kind`, as Java's resolver does
    /// in `mode`; `Err` is Java's reason.
    fn build(&self, kind: TemporalKind, mode: Mode, text: &str) -> Result<Temporal, String> {
        let cannot_convert = || format!("Unable to convert `{text}` to {}.", time::type_name(kind));
        let fields = self.checked(mode).map_err(|reason| reason.unwrap_or_else(cannot_convert))?;
        let has_offset = matches!(kind, TemporalKind::DateTime | TemporalKind::Time);
        if has_offset && self.offset.is_none() {
            // Java builds the local value first, then fails for want of a zone.
            let local_kind = match (kind, fields.hour.is_some()) {
                (TemporalKind::Time, _) => TemporalKind::LocalTime,
                (_, true) => TemporalKind::LocalDateTime,
                (_, false) => TemporalKind::Date,
            };
            let resolved = self.build(local_kind, mode, text).map(|local| java_text(&local));
            return Err(missing_zone(&resolved.unwrap_or_default(), kind));
        }

        if kind == TemporalKind::LocalDateTime && (fields.hour.is_none() != fields.year.is_none()) {
            // Java resolves the half it has, then cannot make a LocalDateTime of it.
            let half =
                if fields.hour.is_none() { TemporalKind::Date } else { TemporalKind::LocalTime };
            let resolved = self.build(half, mode, text).map(|half| java_text(&half))?;
            return Err(format!(
                "Unable to obtain LocalDateTime from TemporalAccessor: {{}},ISO resolved to {resolved} of type java.time.format.Parsed"
            ));
        }
        let mut value = Temporal { kind, days: 0, nanos: 0, offset_seconds: 0, format: None };
        let mut extra_days = 0;
        if value.has_time() {
            let Some(hour) = fields.hour else {
                // A date without a time of day: Java resolves the date, then cannot make a
                // LocalDateTime of it.
                let date = (kind == TemporalKind::LocalDateTime)
                    .then(|| self.build(TemporalKind::Date, mode, text).ok())
                    .flatten();
                return Err(match date {
                    Some(date) => format!(
                        "Unable to obtain LocalDateTime from TemporalAccessor: {{}},ISO resolved to {} of type java.time.format.Parsed",
                        java_text(&date)
                    ),
                    None => cannot_convert(),
                });
            };
            let total = hour * 3600 + fields.minute.unwrap_or(0) * 60 + fields.second.unwrap_or(0);
            extra_days = total.div_euclid(86_400);
            let nanos =
                total.rem_euclid(86_400) * NANOS_PER_SECOND as i64 + self.nanos.unwrap_or(0);
            value.nanos = u64::try_from(nanos).map_err(|_| cannot_convert())?;
        }
        if value.has_date() {
            let year = fields.year.ok_or_else(cannot_convert)?;
            value.days = match (fields.month, fields.day, self.day_of_year) {
                (Some(month), Some(day), _) => resolve_date(year, month, day, mode)?,
                (_, _, Some(366))
                    if mode != Mode::Lenient && time::days_in_month(year, 2) == 28 =>
                {
                    return Err(match mode {
                        Mode::Strict => cannot_convert(),
                        _ => format!("Invalid date 'DayOfYear 366' as '{year}' is not a leap year"),
                    });
                }
                (_, _, Some(day_of_year)) => time::days_from_civil(year, 1, 1) + day_of_year - 1,
                _ => return Err(cannot_convert()),
            };
            // A day of the week that the date does not fall on is a conflict, in any mode.
            let actual = (value.days + 3).rem_euclid(7) + 1;
            if let Some(named) = self.day_of_week.filter(|named| *named != actual) {
                let date = Temporal { kind: TemporalKind::Date, ..value.clone() };
                return Err(format!(
                    "Conflict found: Field DayOfWeek {actual} differs from DayOfWeek {named} derived from {}",
                    time::to_iso(&date)
                ));
            }
            value.days += extra_days;
        }
        if has_offset {
            value.offset_seconds = self.offset.unwrap_or(0);
        }
        Ok(value)
    }

    /// The fields checked against Java's ranges (outside LENIENT mode, where they roll
    /// over), with the hour of day worked out from `h`/`K` and `a`. `Err(None)` stands for
    /// Java's generic `Unable to convert` message.
    fn checked(&self, mode: Mode) -> Result<Checked, Option<String>> {
        let lenient = mode == Mode::Lenient;
        let check = |value: Option<i64>, name: &str, min: i64, max: i64, shown: &str| match value {
            Some(v) if !lenient && !(min..=max).contains(&v) => {
                Err(Some(format!("Invalid value for {name} (valid values {shown}): {v}")))
            }
            // Even LENIENT values stay small, so that no arithmetic can overflow.
            Some(v) if v.abs() > 1_000_000 => Err(None),
            _ => Ok(value),
        };
        let month = check(self.month, "MonthOfYear", 1, 12, "1 - 12")?;
        let day = check(self.day, "DayOfMonth", 1, 31, "1 - 28/31")?;
        check(self.day_of_year, "DayOfYear", 1, 366, "1 - 365/366")?;
        // SMART takes `24:00` (to the second and nanosecond) as midnight of the next day.
        let end_of_day = mode == Mode::Smart
            && self.hour == Some(24)
            && [self.minute, self.second, self.nanos].iter().all(|v| v.unwrap_or(0) == 0);
        let hour =
            if end_of_day { self.hour } else { check(self.hour, "HourOfDay", 0, 23, "0 - 23")? };
        let clock_hour = check(self.clock_hour_of_am_pm, "ClockHourOfAmPm", 1, 12, "1 - 12")?;
        let hour_of_am_pm = check(self.hour_of_am_pm, "HourOfAmPm", 0, 11, "0 - 11")?;
        let minute = check(self.minute, "MinuteOfHour", 0, 59, "0 - 59")?;
        let second = check(self.second, "SecondOfMinute", 0, 59, "0 - 59")?;
        if let Some(v) = self.nanos.filter(|v| !(0..=999_999_999).contains(v)) {
            let shown = "0 - 999999999";
            return Err(Some(format!(
                "Invalid value for NanoOfSecond (valid values {shown}): {v}"
            )));
        }
        if let Some(v) = self.year_of_era.filter(|v| !(1..=999_999_999).contains(v)) {
            let shown = "1 - 999999999/1000000000";
            return Err(Some(format!("Invalid value for YearOfEra (valid values {shown}): {v}")));
        }
        if let Some(v) = self.year.filter(|v| !(-999_999_999..=999_999_999).contains(v)) {
            let shown = "-999999999 - 999999999";
            return Err(Some(format!("Invalid value for Year (valid values {shown}): {v}")));
        }
        // A year of era (`y`) needs an era (`G`) to be a year in STRICT mode.
        let year = match (self.year, self.year_of_era) {
            (Some(year), _) => Some(year),
            (None, Some(_)) if mode == Mode::Strict && !self.has_era => None,
            (None, year_of_era) => year_of_era,
        };
        let half_day = clock_hour.map(|h| h % 12).or(hour_of_am_pm);
        let hour = match (hour, half_day) {
            (Some(hour), _) => Some(hour),
            (None, Some(h)) => Some(h + if self.pm == Some(true) { 12 } else { 0 }),
            (None, None) => None,
        };
        Ok(Checked { year, month, day, hour, minute, second })
    }
}

/// The fields [`Fields::build`] combines, checked.
struct Checked {
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    hour: Option<i64>,
    minute: Option<i64>,
    second: Option<i64>,
}

/// Days since 1970 of a year, month and day, with the day checked, clamped or rolled
/// according to `mode`.
fn resolve_date(year: i64, month: i64, day: i64, mode: Mode) -> Result<i64, String> {
    if mode == Mode::Lenient {
        let year = year + (month - 1).div_euclid(12);
        let month = (month - 1).rem_euclid(12) + 1;
        return Ok(time::days_from_civil(year, month as u32, 1) + day - 1);
    }
    let (month, day) = (month as u32, day as u32);
    let last = time::days_in_month(year, month);
    if day <= last {
        return Ok(time::days_from_civil(year, month, day));
    }
    if mode == Mode::Smart {
        return Ok(time::days_from_civil(year, month, last));
    }
    let name = MONTHS[month as usize - 1];
    if month == 2 && day == 29 {
        return Err(format!("Invalid date '{name} 29' as '{year}' is not a leap year"));
    }
    Err(format!("Invalid date '{} {day}'", name.to_ascii_uppercase()))
}

/// Monday 1 to Sunday 7, for the `idx`th day of a week that starts on Sunday.
fn iso_weekday(idx: usize) -> i64 {
    if idx == 0 { 7 } else { idx as i64 }
}

/// Java's message when text read as a DateTime or Time names no offset.
fn missing_zone(resolved: &str, kind: TemporalKind) -> String {
    let target = if kind == TemporalKind::Time { "OffsetTime" } else { "ZonedDateTime" };
    format!(
        "Unable to obtain {target} from TemporalAccessor: {{}},ISO resolved to {resolved} of type java.time.format.Parsed"
    )
}

/// An offset at the start of `text` in the form pattern letter `letter` (`count` times)
/// reads, as Java's strict parser does: `Z` reads `+0100` and `+0000` only, `X` also `Z`,
/// `XXX` `+01:00`, `X` `+01` or `+0100`, `O` `GMT+1`; with the bytes read.
fn read_offset_as(letter: char, count: usize, text: &str) -> Option<(i32, usize)> {
    if letter == 'O' || (letter == 'Z' && count == 4) {
        return read_gmt_offset(text, letter == 'O' && count == 1);
    }
    // The text a zero offset is written as, read before any number.
    let zero = match (letter, count) {
        ('X', _) | ('Z', 5) => "Z",
        ('x', 1) => "+00",
        ('x', 2 | 4) | ('Z', _) => "+0000",
        _ => "+00:00",
    };
    if text.starts_with(zero) {
        return Some((0, zero.len()));
    }
    // Whether minutes and seconds are parted by colons, minutes required, seconds allowed.
    let (colons, need_minutes, seconds) = match (letter, count) {
        ('Z', 1..=3) | ('X' | 'x', 2) => (false, true, false),
        (_, 1) => (false, false, false),
        (_, 3) => (true, true, false),
        (_, 4) => (false, true, true),
        _ => (true, true, true),
    };
    let bytes = text.as_bytes();
    let sign = match bytes.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    let two = |at: usize| -> Option<i32> {
        let digits = text.get(at..at + 2)?;
        digits.bytes().all(|b| b.is_ascii_digit()).then(|| digits.parse().ok())?
    };
    let hours = two(1)?;
    let mut n_read = 3;
    // The next two digits, after a colon where the form has them.
    let part = |n_read: &mut usize| -> Option<i32> {
        let at = if colons {
            (bytes.get(*n_read) == Some(&b':')).then_some(*n_read + 1)?
        } else {
            *n_read
        };
        let value = two(at)?;
        *n_read = at + 2;
        Some(value)
    };
    let minutes = match part(&mut n_read) {
        Some(minutes) => minutes,
        None if need_minutes => return None,
        None => 0,
    };
    let seconds = if seconds { part(&mut n_read).unwrap_or(0) } else { 0 };
    Some((sign * (hours * 3600 + minutes * 60 + seconds), n_read))
}

/// `GMT`, `GMT+1`, `GMT+01:00` (`short`: the hour may have one digit, the minutes may be
/// left out), as Java reads localized offsets (`O`, `OOOO`, `ZZZZ`).
fn read_gmt_offset(text: &str, short: bool) -> Option<(i32, usize)> {
    let rest = text.strip_prefix("GMT")?;
    let sign = match rest.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Some((0, 3)),
    };
    let digits = |from: usize, max: usize| {
        let run = rest.get(from..)?.bytes().take(max).take_while(u8::is_ascii_digit).count();
        Some((rest.get(from..from + run)?.parse::<i32>().ok()?, run))
    };
    let (hours, n_hour) = digits(1, 2)?;
    if n_hour == 0 || (!short && n_hour != 2) {
        return None;
    }
    let mut n_read = 1 + n_hour;
    let mut minutes = 0;
    match rest.as_bytes().get(n_read) {
        Some(b':') => {
            let (value, n_minute) = digits(n_read + 1, 2)?;
            if n_minute != 2 {
                return None;
            }
            minutes = value;
            n_read += 3;
        }
        _ if !short => return None,
        _ => {}
    }
    Some((sign * (hours * 3600 + minutes * 60), 3 + n_read))
}

/// An offset at the start of `text`: `Z`, `+01`, `+0100` or `+01:00`; with the bytes read.
fn read_offset(text: &str) -> Option<(i32, usize)> {
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b'Z') {
        return Some((0, 1));
    }
    let sign = match bytes.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    let two = |at: usize| -> Option<i32> { text.get(at..at + 2)?.parse().ok() };
    let hours = two(1)?;
    let (minutes, n_read) = match bytes.get(3) {
        Some(b':') => (two(4)?, 6),
        Some(b) if b.is_ascii_digit() => (two(3)?, 5),
        _ => (0, 3),
    };
    Some((sign * (hours * 3600 + minutes * 60), n_read))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Temporal {
        time::parse_iso(text).expect("valid ISO text")
    }

    #[test]
    fn patterns_format_and_parse() {
        let value = date("2020-01-05T14:03:09.5+01:00");
        let formatted = format_in(&value, "E, dd MMM yyyy hh:mm:ss.SSS a XXX Z '['yy']'", None)
            .expect("formats");
        assert_eq!(formatted, "Sun, 05 Jan 2020 02:03:09.500 PM +01:00 +0100 [20]");
        let parsed = parse_in("03/15/2020", "MM/dd/yyyy", TemporalKind::Date, Mode::Smart, None);
        assert_eq!(time::to_iso(&parsed.expect("parses")), "2020-03-15");
        let compact = parse_in("20200102", "yyyyMMdd", TemporalKind::Date, Mode::Smart, None);
        assert_eq!(time::to_iso(&compact.expect("parses")), "2020-01-02");
    }

    #[test]
    fn week_based_years_follow_the_us_locale() {
        assert_eq!(format_in(&date("2023-12-31"), "YYYY-ww-e", None).as_deref(), Ok("2024-01-1"));
        assert_eq!(format_in(&date("2021-01-01"), "YYYY-ww-e", None).as_deref(), Ok("2021-01-6"));
        assert_eq!(format_in(&date("2020-12-26"), "YYYY-ww", None).as_deref(), Ok("2020-52"));
    }

    #[test]
    fn huge_numbers_fail_without_overflow() {
        for mode in [Mode::Smart, Mode::Strict, Mode::Lenient] {
            for (text, pattern) in [
                ("1000000000000000000", "yyyy"),
                ("9223372036854775807/01/01", "uuuu/MM/dd"),
                ("2020/9223372036854775807/01", "yyyy/M/dd"),
                ("2020/01/9223372036854775807 9223372036854775807", "yyyy/MM/d H"),
                ("2020/9223372036854775807 10:00:00.9223372036854775807", "yyyy/D H:mm:ss.n"),
            ] {
                let kind = TemporalKind::LocalDateTime;
                assert!(parse_in(text, pattern, kind, mode, None).is_err(), "{text} {mode:?}");
            }
        }
    }

    #[test]
    fn modes_treat_an_impossible_day_differently() {
        let read = |mode| {
            parse_in("02/31/2020", "MM/dd/uuuu", TemporalKind::Date, mode, None)
                .map(|t| time::to_iso(&t))
        };
        assert_eq!(read(Mode::Smart).as_deref(), Ok("2020-02-29"));
        assert_eq!(read(Mode::Lenient).as_deref(), Ok("2020-03-02"));
        assert_eq!(
            read(Mode::Strict),
            Err("Text '02/31/2020' could not be parsed: Invalid date 'FEBRUARY 31'".into())
        );
    }
}
