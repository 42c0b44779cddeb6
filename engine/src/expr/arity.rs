//! How many arguments each built-in and module function takes, checked when a script is
//! compiled (by `resolve.rs`), as DataWeave checks them: ``Expects `1` argument but got `2`.``
//!
//! The numbers were read off MuleSoft's engine by calling each function with zero to four
//! arguments. A function with overloads of different lengths takes any count one of them
//! takes; when none does, DataWeave reports its first overload, whose lowest or highest count
//! is then not always the function's (`toDate` takes one to three arguments, but a call with
//! none expects two).

/// The argument counts a function takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Arity {
    /// The fewest arguments it takes.
    pub(crate) min: usize,
    /// The most arguments it takes.
    pub(crate) max: usize,
    /// The count an error names when there are fewer than `min` arguments.
    pub(crate) too_few: usize,
    /// The count an error names when there are more than `max` arguments.
    pub(crate) too_many: usize,
}

impl Arity {
    /// A function of one overload, or of overloads of one length range.
    pub(crate) fn range(min: usize, max: usize) -> Arity {
        Arity { min, max, too_few: min, too_many: max }
    }

    /// DataWeave's message when `n_args` does not fit, or `None` when it does.
    pub(crate) fn mismatch(self, n_args: usize) -> Option<String> {
        let expected = if n_args < self.min {
            self.too_few
        } else if n_args > self.max {
            self.too_many
        } else {
            return None;
        };
        Some(format!("Expects `{expected}` argument but got `{n_args}`."))
    }
}

/// Functions that take no argument.
const NONE: &[&str] = &["now", "random", "uuid"];

/// Functions that take exactly one argument.
const ONE: &[&str] = &[
    // dw::Core
    "abs",
    "avg",
    "ceil",
    "entriesOf",
    "flatten",
    "floor",
    "isBlank",
    "isDecimal",
    "isEmpty",
    "isEven",
    "isInteger",
    "isLeapYear",
    "isOdd",
    "keysOf",
    "lower",
    "max",
    "min",
    "namesOf",
    "p",
    "randomInt",
    "round",
    "sizeOf",
    "sqrt",
    "sum",
    "trim",
    "typeOf",
    "unzip",
    "upper",
    "valuesOf",
    // dw::core::Strings
    "camelize",
    "capitalize",
    "charCode",
    "collapse",
    "dasherize",
    "fromCharCode",
    "isAlpha",
    "isAlphanumeric",
    "isLowerCase",
    "isNumeric",
    "isUpperCase",
    "isWhitespace",
    "lines",
    "ordinalize",
    "pluralize",
    "reverse",
    "singularize",
    "underscore",
    "words",
    // dw::core::Binaries
    "fromBase64",
    "fromHex",
    "toBase64",
    "toHex",
    // dw::core::Objects
    "entrySet",
    "keySet",
    "nameSet",
    "valueSet",
    // dw::util::Coercions
    "toArray",
    "toBoolean",
    "toRegex",
];

/// Functions that take exactly two arguments.
const TWO: &[&str] = &[
    // dw::Core
    "++",
    "--",
    "contains",
    "daysBetween",
    "distinctBy",
    "endsWith",
    "filter",
    "filterObject",
    "find",
    "flatMap",
    "groupBy",
    "indexOf",
    "joinBy",
    "lastIndexOf",
    "map",
    "mapObject",
    "match",
    "matches",
    "maxBy",
    "minBy",
    "mod",
    "onNull",
    "orderBy",
    "pluck",
    "pow",
    "reduce",
    "scan",
    "splitBy",
    "startsWith",
    "then",
    "to",
    "zip",
    // dw::core::Strings
    "appendIfMissing",
    "charCodeAt",
    "concatWith",
    "countCharactersBy",
    "countMatches",
    "everyCharacter",
    "first",
    "hammingDistance",
    "last",
    "levenshteinDistance",
    "mapString",
    "prependIfMissing",
    "remove",
    "repeat",
    "someCharacter",
    "substringAfter",
    "substringAfterLast",
    "substringBefore",
    "substringBeforeLast",
    "substringBy",
    "substringEvery",
    "unwrap",
    "withMaxSize",
    "wrapIfMissing",
    "wrapWith",
    // dw::core::Arrays and dw::core::Objects
    "countBy",
    "divideBy",
    "drop",
    "dropWhile",
    "every",
    "everyEntry",
    "firstWith",
    "indexWhere",
    "mergeWith",
    "partition",
    "some",
    "someEntry",
    "splitAt",
    "splitWhere",
    "sumBy",
    "take",
    "takeWhile",
];

/// The arguments `name` (unqualified) takes, if it is a function flowrun knows.
pub(crate) fn of_function(name: &str) -> Option<Arity> {
    let exactly = |n| Some(Arity::range(n, n));
    if NONE.contains(&name) {
        return exactly(0);
    }
    if ONE.contains(&name) {
        return exactly(1);
    }
    if TWO.contains(&name) {
        return exactly(2);
    }
    match name {
        "substring" | "slice" | "replaceAll" => exactly(3),
        "toBinary" => exactly(2),
        "join" | "leftJoin" | "outerJoin" => exactly(4),
        // `log(prefix = "", value)`, `read(text, mime = ..., props = {})`, `write` alike.
        "log" => Some(Arity::range(1, 2)),
        "read" | "write" => Some(Arity::range(1, 3)),
        "leftPad" | "rightPad" => Some(Arity::range(2, 3)),
        // DataWeave's `replace(text, target)` gives a function that `with` calls; flowrun
        // reads `text replace target with replacement` as one call of three arguments.
        "replace" => Some(Arity::range(2, 3)),
        // Overloads by the type converted: `toDate(text, format, locale)`,
        // `toDate(number, unit)`, ...; the first listed takes two.
        "toDate" | "toDateTime" | "toLocalDateTime" | "toLocalTime" | "toNumber" | "toTime" => {
            Some(Arity { min: 1, max: 3, too_few: 2, too_many: 2 })
        }
        "toString" => Some(Arity::range(1, 4)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_nearest_count_of_the_first_overload() {
        assert_eq!(of_function("upper").and_then(|a| a.mismatch(1)), None);
        let upper = of_function("upper").expect("upper");
        assert_eq!(upper.mismatch(2).as_deref(), Some("Expects `1` argument but got `2`."));
        let log = of_function("log").expect("log");
        assert_eq!(log.mismatch(0).as_deref(), Some("Expects `1` argument but got `0`."));
        assert_eq!(log.mismatch(3).as_deref(), Some("Expects `2` argument but got `3`."));
        let to_date = of_function("toDate").expect("toDate");
        assert_eq!(to_date.mismatch(0).as_deref(), Some("Expects `2` argument but got `0`."));
        assert_eq!(of_function("nope"), None);
    }
}
