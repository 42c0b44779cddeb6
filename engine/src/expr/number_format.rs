//! Java `DecimalFormat` patterns for numbers: `as String {format: "#,##0.00", locale: "de"}`
//! writes a number with one, `as Number {format: ...}` reads text written with one.
//!
//! DataWeave hands these patterns to Java, so this module follows `java.text.DecimalFormat`:
//! its pattern grammar and errors (`Malformed pattern "0#"`), `0` `#` `,` `.` digits, an
//! `E0` exponent (with engineering notation when the integer part has `#`s), `%` and `‰`,
//! quoted literal text (`'#'0`), a negative subpattern (`#;(#)`), and the separators and
//! minus sign of the locale, given as a language tag (`de`, `de-CH`). Rounding is half-up,
//! as the reference engine sets it, unless a `roundMode` names one of Java's `RoundingMode`s.

use std::num::NonZeroU64;

use bigdecimal::{BigDecimal, RoundingMode, Signed, Zero};

/// How [`format`] rounds: one of Java's `RoundingMode`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rounding {
    /// Rounds as `bigdecimal` does; `HalfUp` keeps the tie rule of Java's `DigitList`.
    Mode(RoundingMode),
    /// Fails when digits would be lost.
    Unnecessary,
}

impl Rounding {
    /// The reference engine's default.
    pub(crate) const DEFAULT: Rounding = Rounding::Mode(RoundingMode::HalfUp);

    /// The mode Java's `RoundingMode.valueOf` names (upper case, as Java spells them).
    pub(crate) fn named(name: &str) -> Option<Rounding> {
        let mode = match name {
            "UP" => RoundingMode::Up,
            "DOWN" => RoundingMode::Down,
            "CEILING" => RoundingMode::Ceiling,
            "FLOOR" => RoundingMode::Floor,
            "HALF_UP" => RoundingMode::HalfUp,
            "HALF_DOWN" => RoundingMode::HalfDown,
            "HALF_EVEN" => RoundingMode::HalfEven,
            "UNNECESSARY" => return Some(Rounding::Unnecessary),
            _ => return None,
        };
        Some(Rounding::Mode(mode))
    }
}

/// Writes `number` in `pattern`, rounded as `rounding` says; `Err` is Java's reason for
/// rejecting the pattern, or for `UNNECESSARY` when digits would be lost.
pub(crate) fn format(
    number: &BigDecimal,
    pattern: &str,
    locale: Option<&str>,
    rounding: Rounding,
) -> Result<String, String> {
    let pattern = Pattern::parse(pattern)?;
    let symbols = symbols(locale);
    let negative = number.is_negative();
    let scaled = number.abs() * BigDecimal::from(pattern.multiplier);
    let body = |mode: RoundingMode| {
        // The digits are those of the magnitude, so a mode toward an infinity turns around
        // for a negative number.
        let mode = match (negative, mode) {
            (true, RoundingMode::Ceiling) => RoundingMode::Floor,
            (true, RoundingMode::Floor) => RoundingMode::Ceiling,
            _ => mode,
        };
        match pattern.min_exponent_digits {
            Some(min_digits) => pattern.scientific(&scaled, min_digits, &symbols, mode),
            None => pattern.fixed(&scaled, &symbols, mode),
        }
    };
    let body = match rounding {
        Rounding::Mode(mode) => body(mode),
        Rounding::Unnecessary => {
            let down = body(RoundingMode::Down);
            if down != body(RoundingMode::Up) {
                return Err(
                    "Rounding needed with the rounding mode being set to RoundingMode.UNNECESSARY"
                        .to_owned(),
                );
            }
            down
        }
    };
    let (prefix, suffix) = pattern.affixes(negative, &symbols);
    Ok(format!("{prefix}{body}{suffix}"))
}

/// Reads `text` written in `pattern`, as Java's `DecimalFormat.parse` does: the prefix of
/// the positive or the negative form (the longer where both fit), digits with the locale's
/// grouping separators (when the pattern groups), its decimal separator and an exponent,
/// then that form's suffix (again the longer where both fit); text after it is ignored
/// (`12abc` in `#` is 12). `None` when the text does not fit.
pub(crate) fn parse(text: &str, pattern: &str, locale: Option<&str>) -> Option<BigDecimal> {
    let pattern = Pattern::parse(pattern).ok()?;
    let symbols = symbols(locale);
    let (positive_prefix, positive_suffix) = pattern.affixes(false, &symbols);
    let (negative_prefix, negative_suffix) = pattern.affixes(true, &symbols);
    let (positive, negative) = longer_of(
        text.starts_with(&positive_prefix).then_some(positive_prefix.len()),
        text.starts_with(&negative_prefix).then_some(negative_prefix.len()),
    );
    if !positive && !negative {
        return None;
    }
    let prefix_len = if positive { positive_prefix.len() } else { negative_prefix.len() };
    let (number, rest) = pattern.read_digits(&text[prefix_len..], &symbols)?;
    let (positive, negative) = longer_of(
        (positive && rest.starts_with(&positive_suffix)).then_some(positive_suffix.len()),
        (negative && rest.starts_with(&negative_suffix)).then_some(negative_suffix.len()),
    );
    if positive == negative {
        return None;
    }
    let number = match pattern.multiplier {
        1 => number,
        multiplier => number / BigDecimal::from(multiplier),
    };
    Some(if negative { -number } else { number })
}

/// Which of two affixes that may fit `parse` keeps: both, or only the longer when both fit
/// and one is longer, as Java decides.
fn longer_of(positive: Option<usize>, negative: Option<usize>) -> (bool, bool) {
    match (positive, negative) {
        (Some(p), Some(n)) if p > n => (true, false),
        (Some(p), Some(n)) if p < n => (false, true),
        (p, n) => (p.is_some(), n.is_some()),
    }
}

/// The characters a locale writes numbers with.
struct Symbols {
    group: &'static str,
    decimal: &'static str,
    minus: &'static str,
    exponent: &'static str,
}

/// The symbols of `locale`, a language tag as Java's `Locale.forLanguageTag` reads it (so
/// `de_DE`, with an underscore, is no locale at all and gets the root symbols, as in the
/// reference engine). Languages not listed here are written with the root (English) symbols.
fn symbols(locale: Option<&str>) -> Symbols {
    const fn of(group: &'static str, decimal: &'static str, minus: &'static str) -> Symbols {
        Symbols { group, decimal, minus, exponent: "E" }
    }
    const NBSP: &str = "\u{a0}";
    const NARROW_NBSP: &str = "\u{202f}";
    const MINUS: &str = "\u{2212}";
    let tag = locale.unwrap_or_default().to_ascii_lowercase();
    let (language, region) = tag.split_once('-').unwrap_or((&tag, ""));
    let region = region.split('-').next().unwrap_or_default();
    match (language, region) {
        ("de", "ch" | "li") | ("it", "ch") => of("\u{2019}", ".", "-"),
        // Portuguese is Brazil's unless a region says otherwise (`pt-PT`, `pt-AO`).
        ("de", "at") | ("fr", "ca") => of(NBSP, ",", "-"),
        ("pt", region) if !region.is_empty() && region != "br" => of(NBSP, ",", "-"),
        ("es", "mx" | "us") => of(",", ".", "-"),
        ("de" | "es" | "it" | "pt" | "nl" | "da" | "ro" | "tr" | "id" | "vi" | "sr" | "ca", _)
        | ("is", _) => of(".", ",", "-"),
        ("el", _) => Symbols { exponent: "e", ..of(".", ",", "-") },
        ("hr", _) => of(".", ",", MINUS),
        ("sl", _) => Symbols { exponent: "e", ..of(".", ",", MINUS) },
        ("fr", _) => of(NARROW_NBSP, ",", "-"),
        ("ru" | "pl" | "cs" | "hu" | "bg" | "lv", _) => of(NBSP, ",", "-"),
        ("sk", _) => Symbols { exponent: "e", ..of(NBSP, ",", "-") },
        ("uk", _) => Symbols { exponent: "\u{415}", ..of(NBSP, ",", "-") },
        ("fi" | "nb" | "no" | "nn", _) => of(NBSP, ",", MINUS),
        ("sv" | "lt" | "et", _) => Symbols { exponent: "\u{d7}10^", ..of(NBSP, ",", MINUS) },
        ("he", _) => of(",", ".", "\u{200e}-"),
        _ => of(",", ".", "-"),
    }
}

/// A parsed pattern, with the counts Java's `DecimalFormat.applyPattern` derives.
#[derive(Debug)]
struct Pattern {
    /// Affixes as written (quotes kept), expanded with the locale's symbols when used.
    positive_prefix: String,
    positive_suffix: String,
    /// The negative subpattern's prefix and suffix; `None` for the minus sign and the
    /// positive affixes.
    negative: Option<(String, String)>,
    /// 100 with `%`, 1000 with `‰`, else 1.
    multiplier: u32,
    /// Digits between grouping separators; 0 when the pattern does not group.
    grouping: usize,
    min_int: usize,
    /// The integer digits of a scientific pattern, which repeat the exponent (engineering).
    max_int: usize,
    min_frac: usize,
    max_frac: usize,
    always_show_decimal: bool,
    /// `Some` for a scientific pattern: the digits the exponent has at least.
    min_exponent_digits: Option<usize>,
}

/// The counts of one subpattern's number part, as Java's parser keeps them.
#[derive(Default)]
struct Counts {
    digit_left: usize,
    zero: usize,
    digit_right: usize,
    decimal_pos: Option<usize>,
    grouping: Option<usize>,
    exponent_digits: Option<usize>,
    multiplier: u32,
}

impl Pattern {
    fn parse(pattern: &str) -> Result<Pattern, String> {
        let malformed = || format!("Malformed pattern \"{pattern}\"");
        if pattern.is_empty() {
            // Java's defaults, grouping by three included (`1234.5` is "1,234.5").
            return Ok(Pattern {
                positive_prefix: String::new(),
                positive_suffix: String::new(),
                negative: None,
                multiplier: 1,
                grouping: 3,
                min_int: 0,
                max_int: usize::MAX,
                min_frac: 0,
                max_frac: 340,
                always_show_decimal: false,
                min_exponent_digits: None,
            });
        }
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let (positive_prefix, mut counts, positive_suffix) = subpattern(&chars, &mut pos, pattern)?;
        let negative = if pos < chars.len() {
            let (prefix, _, suffix) = subpattern(&chars, &mut pos, pattern)?;
            // A negative subpattern with the positive affixes is no negative subpattern.
            Some((prefix, suffix))
                .filter(|affixes| *affixes != (positive_prefix.clone(), positive_suffix.clone()))
        } else {
            None
        };
        // `###.##` has no `0`: Java makes the `#` before the point a `0` (`0.5` is "0.5").
        if counts.zero == 0
            && counts.digit_left > 0
            && let Some(decimal_pos) = counts.decimal_pos
        {
            let n = decimal_pos.max(1);
            counts.digit_right = counts.digit_left - n;
            counts.digit_left = n - 1;
            counts.zero = 1;
        }
        let total = counts.digit_left + counts.zero + counts.digit_right;
        let misplaced_point = counts.decimal_pos.is_some_and(|decimal_pos| {
            decimal_pos < counts.digit_left || decimal_pos > counts.digit_left + counts.zero
        });
        if (counts.decimal_pos.is_none() && counts.digit_right > 0)
            || misplaced_point
            || counts.grouping == Some(0)
        {
            return Err(malformed());
        }
        let effective_point = counts.decimal_pos.unwrap_or(total);
        let min_int = effective_point - counts.digit_left;
        Ok(Pattern {
            negative,
            positive_prefix,
            positive_suffix,
            multiplier: counts.multiplier,
            grouping: counts.grouping.unwrap_or(0),
            min_int,
            max_int: if counts.exponent_digits.is_some() {
                counts.digit_left + min_int
            } else {
                usize::MAX
            },
            min_frac: counts.decimal_pos.map_or(0, |point| counts.digit_left + counts.zero - point),
            max_frac: counts.decimal_pos.map_or(0, |point| total - point),
            always_show_decimal: counts
                .decimal_pos
                .is_some_and(|point| point == 0 || point == total),
            min_exponent_digits: counts.exponent_digits,
        })
    }

    /// The prefix and suffix of a positive or negative number, in the locale's symbols.
    fn affixes(&self, negative: bool, symbols: &Symbols) -> (String, String) {
        match (&self.negative, negative) {
            (Some((prefix, suffix)), true) => (expand(prefix, symbols), expand(suffix, symbols)),
            (None, true) => (
                format!("{}{}", symbols.minus, expand(&self.positive_prefix, symbols)),
                expand(&self.positive_suffix, symbols),
            ),
            (_, false) => {
                (expand(&self.positive_prefix, symbols), expand(&self.positive_suffix, symbols))
            }
        }
    }

    /// The number without exponent: `max_frac` digits at most, rounded in `mode`.
    fn fixed(&self, number: &BigDecimal, symbols: &Symbols, mode: RoundingMode) -> String {
        let max_frac = i64::try_from(self.max_frac).unwrap_or(i64::MAX);
        let rounded = if mode == RoundingMode::HalfUp && tie_before_first_digit(number, max_frac) {
            BigDecimal::zero().with_scale(max_frac)
        } else {
            number.with_scale_round(max_frac, mode)
        };
        let (digits, scale) = rounded.as_bigint_and_exponent();
        let digits = digits.to_string();
        let n_frac = usize::try_from(scale.max(0)).unwrap_or(0);
        let digits = format!("{digits:0>width$}", width = n_frac + 1);
        let (int_digits, frac_digits) = digits.split_at(digits.len() - n_frac);
        let int_digits = int_digits.trim_start_matches('0');
        let frac_digits = frac_digits.trim_end_matches('0');
        let frac_text = format!("{frac_digits:0<width$}", width = self.min_frac);
        let mut int_text = format!("{int_digits:0>width$}", width = self.min_int);
        if int_text.is_empty() && frac_text.is_empty() {
            int_text.push('0');
        }
        let mut out = group(&int_text, self.grouping, symbols.group);
        if self.always_show_decimal || !frac_text.is_empty() {
            out.push_str(symbols.decimal);
        }
        out.push_str(&frac_text);
        out
    }

    /// The number in scientific notation, as Java's `DecimalFormat.subformat` writes it:
    /// `min_int + max_frac` significant digits at most, and an exponent that is a multiple
    /// of the integer digits when these are `#`s (`##0.##E0` gives `12.345E3`).
    fn scientific(
        &self,
        number: &BigDecimal,
        min_exponent_digits: usize,
        symbols: &Symbols,
        mode: RoundingMode,
    ) -> String {
        let max_digits = u64::try_from(self.max_int.saturating_add(self.max_frac)).unwrap_or(1);
        let (digits, decimal_at) = significant_digits(number, max_digits, mode);
        let repeat = i64::try_from(self.max_int).unwrap_or(1);
        let min_int = i64::try_from(self.min_int).unwrap_or(0);
        let (mut exponent, min_int_digits) = if repeat > 1 && repeat > min_int {
            let exponent = if decimal_at >= 1 {
                ((decimal_at - 1) / repeat) * repeat
            } else {
                ((decimal_at - repeat) / repeat) * repeat
            };
            (exponent, 1)
        } else {
            (decimal_at - min_int, min_int)
        };
        let n_digits = i64::try_from(digits.len()).unwrap_or(0);
        let int_digits = if digits.is_empty() { min_int_digits } else { decimal_at - exponent };
        let min_digits = (min_int + i64::try_from(self.min_frac).unwrap_or(0)).max(int_digits);
        let total = n_digits.max(min_digits);
        let mut out = String::new();
        for idx in 0..total {
            if idx == int_digits {
                out.push_str(symbols.decimal);
            }
            let digit = usize::try_from(idx).ok().and_then(|idx| digits.as_bytes().get(idx));
            out.push(digit.map_or('0', |&b| char::from(b)));
        }
        if self.always_show_decimal && total == int_digits {
            out.push_str(symbols.decimal);
        }
        out.push_str(symbols.exponent);
        if digits.is_empty() {
            exponent = 0;
        }
        if exponent < 0 {
            out.push_str(symbols.minus);
        }
        let exponent = exponent.unsigned_abs().to_string();
        out.push_str(&format!("{exponent:0>min_exponent_digits$}"));
        out
    }

    /// Reads digits, separators and an exponent from the start of `text`: the number and
    /// the text after it.
    fn read_digits<'t>(&self, text: &'t str, symbols: &Symbols) -> Option<(BigDecimal, &'t str)> {
        let mut number = String::new();
        let mut rest = text;
        let mut seen_decimal = false;
        while let Some(c) = rest.chars().next() {
            if c.is_ascii_digit() {
                number.push(c);
                rest = &rest[1..];
            } else if !seen_decimal && self.grouping > 0 && rest.starts_with(symbols.group) {
                rest = &rest[symbols.group.len()..];
            } else if !seen_decimal && rest.starts_with(symbols.decimal) {
                seen_decimal = true;
                number.push('.');
                rest = &rest[symbols.decimal.len()..];
            } else {
                break;
            }
        }
        if !number.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        if let Some(after) = rest.strip_prefix(symbols.exponent) {
            let (sign, after) = match after.strip_prefix(symbols.minus) {
                Some(after) => ("-", after),
                None => ("", after),
            };
            let n_digits = after.chars().take_while(char::is_ascii_digit).count();
            if n_digits > 0 {
                number.push_str(&format!("E{sign}{}", &after[..n_digits]));
                rest = &after[n_digits..];
            }
        }
        Some((number.parse().ok()?, rest))
    }
}

/// Reads one subpattern from `pos` (up to a `;` or the end): its prefix as written, the
/// counts of its number part, and its suffix as written.
fn subpattern(
    chars: &[char],
    pos: &mut usize,
    pattern: &str,
) -> Result<(String, Counts, String), String> {
    let mut counts = Counts { multiplier: 1, ..Counts::default() };
    let mut prefix = String::new();
    let mut suffix = String::new();
    let mut phase = 0;
    let mut in_quote = false;
    let mut grouping: Option<usize> = None;
    while *pos < chars.len() {
        let c = chars[*pos];
        *pos += 1;
        if phase == 1 {
            match c {
                '#' => {
                    if counts.zero > 0 {
                        counts.digit_right += 1;
                    } else {
                        counts.digit_left += 1;
                    }
                    if counts.decimal_pos.is_none() {
                        grouping = grouping.map(|n| n + 1);
                    }
                    continue;
                }
                '0' => {
                    if counts.digit_right > 0 {
                        return Err(format!("Unexpected '0' in pattern \"{pattern}\""));
                    }
                    counts.zero += 1;
                    if counts.decimal_pos.is_none() {
                        grouping = grouping.map(|n| n + 1);
                    }
                    continue;
                }
                ',' => {
                    grouping = Some(0);
                    continue;
                }
                '.' => {
                    if counts.decimal_pos.is_some() {
                        return Err(format!(
                            "Multiple decimal separators in pattern \"{pattern}\""
                        ));
                    }
                    counts.decimal_pos = Some(counts.digit_left + counts.zero + counts.digit_right);
                    continue;
                }
                'E' => {
                    let n_zeros = chars[*pos..].iter().take_while(|&&c| c == '0').count();
                    *pos += n_zeros;
                    if n_zeros == 0 || counts.digit_left + counts.zero == 0 {
                        return Err(format!("Malformed exponential pattern \"{pattern}\""));
                    }
                    counts.exponent_digits = Some(n_zeros);
                    phase = 2;
                    continue;
                }
                _ => {
                    phase = 2;
                }
            }
        }
        let affix = if phase == 0 { &mut prefix } else { &mut suffix };
        if in_quote {
            if c == '\'' {
                if chars.get(*pos) == Some(&'\'') {
                    *pos += 1;
                    affix.push_str("''");
                } else {
                    in_quote = false;
                    affix.push('\'');
                }
            } else {
                affix.push(c);
            }
            continue;
        }
        match c {
            '#' | '0' | ',' | '.' if phase == 0 => {
                phase = 1;
                *pos -= 1;
            }
            '\'' => {
                if chars.get(*pos) == Some(&'\'') {
                    *pos += 1;
                    affix.push_str("''");
                } else {
                    in_quote = true;
                    affix.push('\'');
                }
            }
            ';' => {
                if phase == 0 {
                    return Err(format!("Unquoted special character ';' in pattern \"{pattern}\""));
                }
                break;
            }
            '%' | '\u{2030}' => {
                if counts.multiplier != 1 {
                    return Err(format!(
                        "Too many percent/per mille characters in pattern \"{pattern}\""
                    ));
                }
                counts.multiplier = if c == '%' { 100 } else { 1000 };
                affix.push(c);
            }
            _ => affix.push(c),
        }
    }
    if in_quote {
        return Err(format!("Malformed pattern \"{pattern}\""));
    }
    counts.grouping = grouping;
    Ok((prefix, counts, suffix))
}

/// An affix as written in a pattern, with its quotes resolved and `-` made the locale's
/// minus sign, as Java expands it.
fn expand(affix: &str, symbols: &Symbols) -> String {
    let mut out = String::new();
    let mut chars = affix.chars().peekable();
    let mut in_quote = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' if chars.peek() == Some(&'\'') => {
                chars.next();
                out.push('\'');
            }
            '\'' => in_quote = !in_quote,
            '-' if !in_quote => out.push_str(symbols.minus),
            _ => out.push(c),
        }
    }
    out
}

/// Whether Java's `DigitList` rounds `number` down to zero at `max_frac` places where half-up
/// would round it up: when the place cut off is its first significant digit, a 5 followed
/// only by zeros its scale keeps (`0.50` in `0` is `0`, `0.005` in `#%`, 0.500 percent, is
/// `0%`, where `0.5` in `0` is `1`), as the reference engine writes them.
fn tie_before_first_digit(number: &BigDecimal, max_frac: i64) -> bool {
    let (digits, scale) = number.as_bigint_and_exponent();
    let digits = digits.magnitude().to_string();
    let decimal_at = i64::try_from(digits.len()).unwrap_or(i64::MAX) - scale;
    let (first, rest) = digits.split_at(1);
    -decimal_at == max_frac && first == "5" && !rest.is_empty() && rest.bytes().all(|d| d == b'0')
}

/// `number` rounded in `mode` to `max_digits` significant digits: the digits without trailing
/// zeros, and where the point goes (`0.d1d2... × 10^decimal_at`); no digits for zero.
fn significant_digits(number: &BigDecimal, max_digits: u64, mode: RoundingMode) -> (String, i64) {
    if number.is_zero() {
        return (String::new(), 0);
    }
    let max_digits = NonZeroU64::new(max_digits).unwrap_or(NonZeroU64::MIN);
    let rounded = number.with_precision_round(max_digits, mode);
    let (digits, scale) = rounded.as_bigint_and_exponent();
    let digits = digits.to_string();
    let n_digits = i64::try_from(digits.len()).unwrap_or(0);
    (digits.trim_end_matches('0').to_owned(), n_digits - scale)
}

/// `digits` with `separator` every `size` digits from the right; as they are for size 0.
fn group(digits: &str, size: usize, separator: &str) -> String {
    if size == 0 {
        return digits.to_owned();
    }
    let mut out = String::new();
    for (idx, c) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx).is_multiple_of(size) {
            out.push_str(separator);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format_in(number: &str, pattern: &str, locale: Option<&str>) -> String {
        format(&number.parse().expect("number"), pattern, locale, Rounding::DEFAULT)
            .expect("valid pattern")
    }

    #[test]
    fn rounding_modes() {
        let round = |number: &str, pattern: &str, mode: &str| {
            let rounding = Rounding::named(mode).expect("a mode");
            format(&number.parse().expect("number"), pattern, None, rounding)
        };
        assert_eq!(round("2.345", "0.00", "HALF_EVEN").as_deref(), Ok("2.34"));
        assert_eq!(round("2.5", "0", "HALF_EVEN").as_deref(), Ok("2"));
        assert_eq!(round("-0.001", "0.00", "FLOOR").as_deref(), Ok("-0.01"));
        assert_eq!(round("-0.001", "0.00", "CEILING").as_deref(), Ok("-0.00"));
        assert_eq!(round("0.50", "0", "UP").as_deref(), Ok("1"));
        assert_eq!(round("12355", "0.00E0", "DOWN").as_deref(), Ok("1.23E4"));
        assert_eq!(round("2.34", "0.00", "UNNECESSARY").as_deref(), Ok("2.34"));
        assert!(round("2.345", "0.00", "UNNECESSARY").is_err());
        assert_eq!(Rounding::named("half_even"), None);
    }

    fn fmt(number: &str, pattern: &str) -> String {
        format_in(number, pattern, None)
    }

    #[test]
    fn fixed_patterns() {
        assert_eq!(fmt("0.5", ".00"), ".50");
        assert_eq!(fmt("0.5", "#.##"), "0.5");
        assert_eq!(fmt("0", "#"), "0");
        assert_eq!(fmt("1234567.891", "#,##0.00"), "1,234,567.89");
        assert_eq!(fmt("2.5", "0"), "3");
        assert_eq!(fmt("-1.234", "0.0"), "-1.2");
        assert_eq!(fmt("-0.001", "0.0"), "-0.0");
        assert_eq!(fmt("0.256", "0.0%"), "25.6%");
        assert_eq!(fmt("0.256", "0.0\u{2030}"), "256.0\u{2030}");
        assert_eq!(fmt("5", "$#,##0.00"), "$5.00");
        assert_eq!(fmt("1.5", "00.###"), "01.5");
        assert_eq!(fmt("1234", "#,###"), "1,234");
        assert_eq!(fmt("5", "abc"), "abc5");
        assert_eq!(fmt("1.25", ""), "1.25");
    }

    #[test]
    fn quotes_and_negative_subpatterns() {
        assert_eq!(fmt("5", "'#'0"), "#5");
        assert_eq!(fmt("5", "0 'items'"), "5 items");
        assert_eq!(fmt("5", "''0"), "'5");
        assert_eq!(fmt("-1234.5", "#,##0.00;(#,##0.00)"), "(1,234.50)");
        assert_eq!(fmt("1234.5", "#,##0.00;(#,##0.00)"), "1,234.50");
        assert_eq!(fmt("-5", "0;a0b"), "a5b");
        assert_eq!(fmt("-5", "0;"), "-5");
    }

    #[test]
    fn scientific_patterns() {
        assert_eq!(fmt("1234.5", "0.###E0"), "1.235E3");
        assert_eq!(fmt("1234.5", "00.###E0"), "12.345E2");
        assert_eq!(fmt("0.00012345", "0.##E0"), "1.23E-4");
        assert_eq!(fmt("12345", "##0.##E0"), "12.345E3");
        assert_eq!(fmt("0.000012345", "##0.###E0"), "12.345E-6");
        assert_eq!(fmt("-1234.5", "0.0E00"), "-1.2E03");
        assert_eq!(fmt("0", "0.00E0"), "0.00E0");
        assert_eq!(fmt("0", "##0.##E0"), "0E0");
    }

    #[test]
    fn locales_change_the_symbols() {
        assert_eq!(format_in("-1234567.891", "#,##0.00", Some("de")), "-1.234.567,89");
        assert_eq!(format_in("1234567.891", "#,##0.00", Some("fr")), "1\u{202f}234\u{202f}567,89");
        assert_eq!(
            format_in("1234567.891", "#,##0.00", Some("de-CH")),
            "1\u{2019}234\u{2019}567.89"
        );
        assert_eq!(format_in("1234567.891", "#,##0.00", Some("de_DE")), "1,234,567.89");
        assert_eq!(format_in("-1234.5", "0.0E0", Some("sv")), "\u{2212}1,2\u{d7}10^3");
    }

    #[test]
    fn malformed_patterns_fail_as_in_java() {
        let fails = |pattern: &str| {
            format(&BigDecimal::from(5), pattern, None, Rounding::DEFAULT).unwrap_err()
        };
        assert_eq!(fails("0#"), "Malformed pattern \"0#\"");
        assert_eq!(fails("'''0"), "Malformed pattern \"'''0\"");
        assert_eq!(fails("0.0.0"), "Multiple decimal separators in pattern \"0.0.0\"");
        assert_eq!(fails("0E"), "Malformed exponential pattern \"0E\"");
        assert_eq!(fails("%0%"), "Too many percent/per mille characters in pattern \"%0%\"");
    }

    #[test]
    fn parsing() {
        let read = |text: &str, pattern: &str, locale: Option<&str>| {
            parse(text, pattern, locale).map(|n| n.to_string())
        };
        assert_eq!(read("1.234,5", "#,##0.0", Some("de")).as_deref(), Some("1234.5"));
        assert_eq!(read("1.234,5", "#,##0.0", Some("fr")).as_deref(), Some("1"));
        assert_eq!(read("(5)", "0;(0)", None).as_deref(), Some("-5"));
        assert_eq!(read("-5", "0;(0)", None), None);
        assert_eq!(read("#5", "'#'0", None).as_deref(), Some("5"));
        assert_eq!(read("1,234", "0", None).as_deref(), Some("1"));
        assert_eq!(read("5 EUR and more", "0 EUR", None).as_deref(), Some("5"));
        assert_eq!(
            read("-1,235\u{415}3 u", "-##0.0E0 'u';-#", Some("uk")).as_deref(),
            Some("1235")
        );
        assert_eq!(read("50,5%", "0.0%", Some("de")).as_deref(), Some("0.505"));
        assert_eq!(read("\u{2212}5", "0", Some("sv")).as_deref(), Some("-5"));
    }
}
