//! Number arithmetic and number-to-text conversion the way DataWeave's runtime does it.
//!
//! DataWeave numbers are Java `BigDecimal`s. Writers print them with Java's
//! `BigDecimal.toString` after dropping trailing fraction zeros, so `1.50` prints as `1.5`
//! and `100.0` as `100`, while a literal written with an exponent keeps it (`1e3` prints
//! as `1E+3`). Division rounds to 34 significant digits (Java's `DECIMAL128`).

use std::num::NonZeroU64;

use bigdecimal::{BigDecimal, RoundingMode, Zero};

/// Significant digits kept by division, as Java's `MathContext.DECIMAL128`.
const DIVISION_DIGITS: u64 = 34;

/// The text DataWeave writes for a number (JSON, text, `++`, string interpolation).
pub(crate) fn to_dw_string(number: &BigDecimal) -> String {
    let (_, scale) = number.as_bigint_and_exponent();
    let stripped = number.normalized();
    let (_, stripped_scale) = stripped.as_bigint_and_exponent();
    // Trailing zeros come off the fraction only: `100.0` stays `100`, not `1E+2`.
    let new_scale = stripped_scale.max(scale.min(0));
    java_string(&stripped.with_scale(new_scale))
}

/// Java's `BigDecimal.toString`: plain notation unless the exponent is large or very negative.
pub(crate) fn java_string(number: &BigDecimal) -> String {
    let (unscaled, scale) = number.as_bigint_and_exponent();
    let sign = if unscaled < Zero::zero() { "-" } else { "" };
    let digits = unscaled.magnitude().to_string();
    let n_digits = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let adjusted = n_digits - 1 - scale;
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    if scale > 0 && adjusted >= -6 {
        let point = n_digits - scale;
        if point > 0 {
            let (int_part, frac_part) = digits.split_at(point.unsigned_abs() as usize);
            return format!("{sign}{int_part}.{frac_part}");
        }
        let zeros = "0".repeat((-point).unsigned_abs() as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let (first, rest) = digits.split_at(1);
    let fraction = if rest.is_empty() { String::new() } else { format!(".{rest}") };
    let exp_sign = if adjusted >= 0 { "+" } else { "" };
    format!("{sign}{first}{fraction}E{exp_sign}{adjusted}")
}

/// `lhs / rhs`, rounded half-even to 34 significant digits; `None` when dividing by zero.
pub(crate) fn divide(lhs: &BigDecimal, rhs: &BigDecimal) -> Option<BigDecimal> {
    if rhs.is_zero() {
        return None;
    }
    let digits = NonZeroU64::new(DIVISION_DIGITS).expect("nonzero constant");
    Some((lhs / rhs).with_precision_round(digits, RoundingMode::HalfEven))
}

/// Parses a number the way DataWeave coerces a String to a Number.
pub(crate) fn parse(text: &str) -> Option<BigDecimal> {
    let text = text.trim();
    let valid = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
        && text.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dw(text: &str) -> String {
        to_dw_string(&text.parse().expect("number"))
    }

    #[test]
    fn trailing_zeros_are_dropped_from_the_fraction_only() {
        assert_eq!(dw("1.50"), "1.5");
        assert_eq!(dw("100.0"), "100");
        assert_eq!(dw("1500.00"), "1500");
        assert_eq!(dw("100"), "100");
        assert_eq!(dw("-0.0"), "0");
    }

    #[test]
    fn exponents_follow_java() {
        assert_eq!(dw("1e3"), "1E+3");
        assert_eq!(dw("1E-7"), "1E-7");
        assert_eq!(dw("0.000001"), "0.000001");
        assert_eq!(dw("1.5e-10"), "1.5E-10");
        assert_eq!(dw("12345678901234567890"), "12345678901234567890");
    }

    #[test]
    fn division_keeps_34_digits() {
        let quotient = |a: &str, b: &str| {
            let (a, b): (BigDecimal, BigDecimal) =
                (a.parse().expect("number"), b.parse().expect("number"));
            divide(&a, &b).map(|q| to_dw_string(&q))
        };
        assert_eq!(quotient("1", "3").as_deref(), Some("0.3333333333333333333333333333333333"));
        assert_eq!(quotient("2", "3").as_deref(), Some("0.6666666666666666666666666666666667"));
        assert_eq!(quotient("1", "0"), None);
    }
}
