//! Number arithmetic and number-to-text conversion the way DataWeave's runtime does it.
//!
//! DataWeave numbers are Java `BigDecimal`s. Writers print them with Java's
//! `BigDecimal.toString` after dropping trailing fraction zeros, so `1.50` prints as `1.5`
//! and `100.0` as `100`, while a literal written with an exponent keeps it (`1e3` prints
//! as `1E+3`). Division rounds to 34 significant digits (Java's `DECIMAL128`).

use std::num::NonZeroU64;

use bigdecimal::num_bigint::{BigInt, BigUint};
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

/// `lhs + rhs` as DataWeave computes it (see [`whole_operands`]).
pub(crate) fn add(lhs: &BigDecimal, rhs: &BigDecimal) -> BigDecimal {
    match whole_operands(lhs, rhs, i64::MIN, i64::MAX) {
        Some((lhs, rhs)) => lhs + rhs,
        None => exact_sum(lhs, rhs, false),
    }
}

/// `lhs - rhs` as DataWeave computes it (see [`whole_operands`]).
pub(crate) fn subtract(lhs: &BigDecimal, rhs: &BigDecimal) -> BigDecimal {
    match whole_operands(lhs, rhs, i64::MIN, i64::MAX) {
        Some((lhs, rhs)) => lhs - rhs,
        None => exact_sum(lhs, rhs, true),
    }
}

/// `lhs * rhs` as DataWeave computes it (see [`whole_operands`]).
pub(crate) fn multiply(lhs: &BigDecimal, rhs: &BigDecimal) -> BigDecimal {
    match whole_operands(lhs, rhs, i64::MIN, i64::MAX) {
        Some((lhs, rhs)) => lhs * rhs,
        // Digits times digits, scales added, as Java does: the `bigdecimal` crate takes a
        // factor equal to one as the identity, so `1e19 * 1.0` would lose the `.0`.
        None => {
            let ((lhs_digits, lhs_scale), (rhs_digits, rhs_scale)) =
                (lhs.as_bigint_and_exponent(), rhs.as_bigint_and_exponent());
            BigDecimal::new(lhs_digits * rhs_digits, lhs_scale + rhs_scale)
        }
    }
}

/// `lhs + rhs` (or `lhs - rhs`) at the larger of the two scales, as Java's `BigDecimal` adds.
/// The `bigdecimal` crate returns the other operand when one is zero, scale and all, so
/// `2e50 + 0` would keep an exponent that Java's sum (scale 0) does not have.
fn exact_sum(lhs: &BigDecimal, rhs: &BigDecimal, subtract: bool) -> BigDecimal {
    let (lhs_digits, rhs_digits, scale) = at_common_scale(lhs, rhs);
    let digits = if subtract { lhs_digits - rhs_digits } else { lhs_digits + rhs_digits };
    BigDecimal::new(digits, scale)
}

/// The digits of both numbers at the larger of their scales, and that scale.
fn at_common_scale(lhs: &BigDecimal, rhs: &BigDecimal) -> (BigInt, BigInt, i64) {
    let ((lhs_digits, lhs_scale), (rhs_digits, rhs_scale)) =
        (lhs.as_bigint_and_exponent(), rhs.as_bigint_and_exponent());
    let scale = lhs_scale.max(rhs_scale);
    let widen = |digits: BigInt, from: i64| {
        let shift = u32::try_from(scale - from).expect("scales are within MAX_EXPONENT");
        digits * BigInt::from(10).pow(shift)
    };
    (widen(lhs_digits, lhs_scale), widen(rhs_digits, rhs_scale), scale)
}

/// Both operands without their scale, when both are whole and within `min..=max`.
///
/// DataWeave computes with Java integers when both operands are whole numbers that fit
/// one (`long` for `+ - *`, `int` for `/`), and with `BigDecimal`s, scales included,
/// otherwise. So an exponent written in an operand is lost in the first case and kept in
/// the second: `1e2 * 3` is 300 and `1e9 / 1e5` is 10000, while `2e50 * 2` is `4E+50`,
/// `1e10 / 1e5` is `1E+5` (Java's preferred scale, -10 less -5) and `1e2 * 1.5` is `1.5E+2`.
fn whole_operands(
    lhs: &BigDecimal,
    rhs: &BigDecimal,
    min: i64,
    max: i64,
) -> Option<(BigDecimal, BigDecimal)> {
    let (min, max) = (BigDecimal::from(min), BigDecimal::from(max));
    let fits = |n: &BigDecimal| n.is_integer() && *n >= min && *n <= max;
    (fits(lhs) && fits(rhs)).then(|| (lhs.with_scale(0), rhs.with_scale(0)))
}

/// `lhs / rhs` as DataWeave divides; `None` when dividing by zero.
///
/// A quotient with a finite decimal expansion is exact, at the scale Java's `BigDecimal`
/// prefers (the dividend's less the divisor's, or the smallest above it that holds all the
/// digits: `1 / 0.1` is `1E+1`, `1.0 / 4` is `0.25`); any other is rounded half-even to 34
/// significant digits (`1 / 3`), as Java's `MathContext.DECIMAL128`. Whole operands that
/// fit a Java `int` lose their scale first (see [`whole_operands`]).
pub(crate) fn divide(lhs: &BigDecimal, rhs: &BigDecimal) -> Option<BigDecimal> {
    if rhs.is_zero() {
        return None;
    }
    let whole = whole_operands(lhs, rhs, i32::MIN.into(), i32::MAX.into());
    let (lhs, rhs) = match &whole {
        Some((lhs, rhs)) => (lhs, rhs),
        None => (lhs, rhs),
    };
    if let Some(exact) = exact_quotient(lhs, rhs) {
        return Some(exact);
    }
    let digits = NonZeroU64::new(DIVISION_DIGITS).expect("nonzero constant");
    Some((lhs / rhs).with_precision_round(digits, RoundingMode::HalfEven))
}

/// `lhs / rhs` when its decimal expansion ends, at Java's preferred scale; `None` otherwise.
///
/// The quotient of the digits ends when the divisor's digits, without the factors they share
/// with the dividend's, are a product of twos and fives; then `k` more decimal places hold it.
fn exact_quotient(lhs: &BigDecimal, rhs: &BigDecimal) -> Option<BigDecimal> {
    let ((lhs_digits, lhs_scale), (rhs_digits, rhs_scale)) =
        (lhs.as_bigint_and_exponent(), rhs.as_bigint_and_exponent());
    let mut rest = (&rhs_digits / gcd(&lhs_digits, &rhs_digits)).magnitude().clone();
    let (two, five) = (BigUint::from(2u8), BigUint::from(5u8));
    let mut n_twos = 0u32;
    while (&rest % &two).is_zero() {
        rest /= &two;
        n_twos += 1;
    }
    let mut n_fives = 0u32;
    while (&rest % &five).is_zero() {
        rest /= &five;
        n_fives += 1;
    }
    if rest != BigUint::from(1u8) {
        return None;
    }
    let places = n_twos.max(n_fives);
    let digits = lhs_digits * BigInt::from(10).pow(places) / rhs_digits;
    Some(BigDecimal::new(digits, lhs_scale - rhs_scale + i64::from(places)))
}

fn gcd(a: &BigInt, b: &BigInt) -> BigInt {
    let (mut a, mut b) = (a.magnitude().clone(), b.magnitude().clone());
    while !b.is_zero() {
        let r = &a % &b;
        a = b;
        b = r;
    }
    BigInt::from(a)
}

/// `lhs mod rhs` as Java's `BigDecimal.remainder`: `lhs` less the whole quotient times `rhs`,
/// with the sign of `lhs` and the scale Java gives it (`38.96e4 mod 7e6` keeps `3.896E+5`).
/// Unlike the other operators, whole operands keep their scale (`2e1 mod 30` is `2E+1`).
pub(crate) fn remainder(lhs: &BigDecimal, rhs: &BigDecimal) -> Option<BigDecimal> {
    if rhs.is_zero() {
        return None;
    }
    let (lhs_scale, (rhs_digits, rhs_scale)) =
        (lhs.fractional_digit_count(), rhs.as_bigint_and_exponent());
    let (lhs_widened, rhs_widened, _) = at_common_scale(lhs, rhs);
    let quotient = lhs_widened / rhs_widened;
    // Java's whole quotient has the preferred scale, or the smallest above it that holds it.
    let preferred = lhs_scale - rhs_scale;
    let quotient_scale = if preferred >= 0 || quotient.is_zero() {
        preferred
    } else {
        let digits = quotient.magnitude().to_string();
        let n_zeros = digits.len() - digits.trim_end_matches('0').len();
        preferred.max(-i64::try_from(n_zeros).unwrap_or(i64::MAX))
    };
    let product = BigDecimal::new(&quotient * rhs_digits, rhs_scale);
    let result_scale = lhs_scale.max(quotient_scale + rhs_scale);
    Some(exact_sum(lhs, &product, true).with_scale(result_scale))
}

/// The number DataWeave makes of a Java `double` result (`sqrt`, `pow` with a fraction):
/// `new BigDecimal(Double.toString(x))`, so `sqrt(2)` has 17 digits and `1e10` is `1.0E+10`.
/// NaN and infinities fail with Java's message, which the reference engine prints as it is.
pub(crate) fn from_double(x: f64) -> Result<BigDecimal, String> {
    if !x.is_finite() {
        // Java writes `NaN`, `Infinity` or `-Infinity`; the sign is read before failing.
        let first = if x.is_nan() { 'N' } else { 'I' };
        return Err(format!(
            "Character {first} is neither a decimal digit number, decimal point, nor \"e\" notation exponential mark."
        ));
    }
    // Rust's `{:e}` gives the shortest digits that read back as `x`, as Java's does.
    let shortest = format!("{x:e}");
    let magnitude = x.abs();
    let text = if magnitude != 0.0 && !(1e-3..1e7).contains(&magnitude) {
        // Java writes these in scientific notation with at least one fraction digit.
        let (mantissa, exponent) = shortest.split_once('e').unwrap_or((&shortest, "0"));
        let mantissa =
            if mantissa.contains('.') { mantissa.to_owned() } else { format!("{mantissa}.0") };
        format!("{mantissa}E{exponent}")
    } else {
        // In plain notation with at least one fraction digit, as Java writes `10.0`.
        let plain = format!("{x}");
        if plain.contains('.') { plain } else { format!("{plain}.0") }
    };
    let number = text.parse::<BigDecimal>().map_err(|err| err.to_string())?;
    // DataWeave then drops the zeros after the decimal point (`sqrt(100)` is 10, `sqrt(1e-10)`
    // is 0.00001) but not those before it (`sqrt(1e14)` stays 1.0E+7).
    let (mut digits, mut scale) = number.into_bigint_and_exponent();
    let ten = BigInt::from(10);
    while scale > 0 && (&digits % &ten).is_zero() {
        digits /= &ten;
        scale -= 1;
    }
    Ok(BigDecimal::new(digits, scale))
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
    text.parse().ok().filter(in_range)
}

/// The largest power of ten a number read from text may carry (`1e10000`). Adding numbers
/// aligns their scales digit by digit, so `1e999999999 + 1` would build a billion digits;
/// no real data comes near this bound.
pub(crate) const MAX_EXPONENT: i64 = 10_000;

/// Whether a number's scale stays within [`MAX_EXPONENT`] either way.
pub(crate) fn in_range(number: &BigDecimal) -> bool {
    number.fractional_digit_count().abs() <= MAX_EXPONENT
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
    fn whole_operands_compute_as_java_integers() {
        let n = |text: &str| -> BigDecimal { text.parse().expect("number") };
        assert_eq!(to_dw_string(&multiply(&n("1e2"), &n("3"))), "300");
        assert_eq!(to_dw_string(&multiply(&n("2e50"), &n("2"))), "4E+50");
        assert_eq!(to_dw_string(&multiply(&n("1e19"), &n("1.0"))), "1.0E+19");
        assert_eq!(to_dw_string(&add(&n("2e50"), &n("0"))), format!("2{}", "0".repeat(50)));
        assert_eq!(to_dw_string(&subtract(&n("2e50"), &n("2e50"))), "0");
        let quotient = |a: &str, b: &str| divide(&n(a), &n(b)).map(|q| to_dw_string(&q));
        assert_eq!(quotient("1e9", "1e5").as_deref(), Some("10000"));
        assert_eq!(quotient("1e10", "1e5").as_deref(), Some("1E+5"));
        let long = "12345678901234567890123456789012345678901234567890";
        assert_eq!(
            quotient(long, "3").as_deref(),
            Some("4115226300411522630041152263004115226300411522630")
        );
    }

    #[test]
    fn remainders_keep_java_scales() {
        let rem = |a: &str, b: &str| {
            let (a, b): (BigDecimal, BigDecimal) = (a.parse().expect("a"), b.parse().expect("b"));
            remainder(&a, &b).map(|r| to_dw_string(&r))
        };
        assert_eq!(rem("38.96e4", "6412001").as_deref(), Some("3.896E+5"));
        assert_eq!(rem("2e1", "30").as_deref(), Some("2E+1"));
        assert_eq!(rem("5", "0.3").as_deref(), Some("0.2"));
        assert_eq!(rem("-7", "3").as_deref(), Some("-1"));
        assert_eq!(rem("1", "0"), None);
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
