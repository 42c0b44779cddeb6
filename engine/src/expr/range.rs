//! DataWeave's Range (`1 to 3`), kept as its bounds ([`Range`]).
//!
//! A range is an array of numbers for every purpose but its type (`typeOf`, `is`, `==`):
//! `sizeOf`, `isEmpty` and index selectors (`r[5]`, `r[0 to 2]`) read it from its bounds,
//! and everything else (functions, operators, other selectors, `as Array`, writers) gets
//! the array [`to_array`] builds, so `1 to 100000000` costs nothing until something needs
//! all of its elements.

use std::sync::Arc;

use bigdecimal::{BigDecimal, RoundingMode, ToPrimitive};

use crate::expr::num;
use crate::value::{Range, Value};

/// The longest range whose elements are built all at once (a function's argument, `as
/// Array`, a written output); a bigger one would only exhaust memory. `sizeOf`, `isEmpty`
/// and selecting one element or a shorter part work on ranges of any length.
pub(crate) const MAX_RANGE: u64 = 10_000_000;

/// `from to to`.
pub(crate) fn new(start: BigDecimal, end: BigDecimal) -> Value {
    Value::Range(Arc::new(Range { start, end }))
}

/// How many elements the range has: one more than the whole distance between its bounds.
pub(crate) fn len(range: &Range) -> BigDecimal {
    (&range.end - &range.start).abs().with_scale_round(0, RoundingMode::Floor) + 1
}

/// [`len`] where it fits a `u64` (`u64::MAX` otherwise, more than anything can hold).
pub(crate) fn len_u64(range: &Range) -> u64 {
    len(range).to_u64().unwrap_or(u64::MAX)
}

/// The element at `index` (below [`len`]): `start` plus or minus `index`, computed as
/// DataWeave adds (`1e2 to 102` starts with `100`).
pub(crate) fn get(range: &Range, index: u64) -> Value {
    let step = BigDecimal::from(index);
    Value::Number(if range.start <= range.end {
        num::add(&range.start, &step)
    } else {
        num::subtract(&range.start, &step)
    })
}

/// The error for a range too long to build.
pub(crate) fn too_long() -> String {
    format!("flowrun builds ranges of at most {MAX_RANGE} numbers")
}

/// The elements from `from` to `to` (indexes, both included, below [`len`]), in that order.
pub(crate) fn part(range: &Range, from: u64, to: u64) -> Result<Value, String> {
    if from.abs_diff(to) >= MAX_RANGE {
        return Err(too_long());
    }
    Ok(if from <= to {
        Value::array((from..=to).map(|idx| get(range, idx)))
    } else {
        Value::array((to..=from).rev().map(|idx| get(range, idx)))
    })
}

/// The range as an Array of its elements.
pub(crate) fn to_array(range: &Range) -> Result<Value, String> {
    part(range, 0, len_u64(range).saturating_sub(1))
}

/// `value` as an Array when it is a range; other values as they are.
pub(crate) fn as_array(value: Value) -> Result<Value, String> {
    match value {
        Value::Range(range) => to_array(&range),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(start: i64, end: i64) -> Range {
        Range { start: BigDecimal::from(start), end: BigDecimal::from(end) }
    }

    #[test]
    fn long_ranges_are_read_from_their_bounds_and_refused_whole() {
        let long = bounds(1, 100_000_000);
        assert_eq!(len(&long), BigDecimal::from(100_000_000));
        assert_eq!(get(&long, 99_999_999), Value::Number(BigDecimal::from(100_000_000)));
        assert_eq!(part(&long, 2, 0), Ok(Value::array([3, 2, 1].map(|n| Value::Number(n.into())))));
        assert_eq!(to_array(&long), Err(too_long()));
        assert_eq!(as_array(Value::Range(Arc::new(long))), Err(too_long()));
    }

    #[test]
    fn descending_and_fractional_bounds() {
        let down = bounds(3, 1);
        assert_eq!(to_array(&down), Ok(Value::array([3, 2, 1].map(|n| Value::Number(n.into())))));
        let half = Range { start: "1.5".parse().unwrap(), end: BigDecimal::from(3) };
        assert_eq!(len_u64(&half), 2);
        assert_eq!(get(&half, 1), Value::Number("2.5".parse().unwrap()));
    }
}
