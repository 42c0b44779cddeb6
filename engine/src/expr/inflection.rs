//! English plurals and singulars for `pluralize` and `singularize` of `dw::core::Strings`.
//!
//! The reference engine follows the classic Rails inflection rules (irregular words,
//! uncountable words, then suffix rules, the most specific first), with a few differences
//! kept here: no rule keeps a singular ending in `ss` (`glass` becomes `glas`), only
//! `buses` loses its `es` (`bus` becomes `bu`), `human` is regular and `police`, `zombie`
//! and `database` have no rules of their own, and `mice` is matched at any word end
//! (`police` becomes `polouse`). Each rule was checked against the engine.

use std::sync::OnceLock;

use regex::Regex;

/// The plural of `word`, keeping its leading letter's case.
pub(crate) fn pluralize(word: &str) -> String {
    inflect(word, &rules().plural)
}

/// The singular of `word`, keeping its leading letter's case.
pub(crate) fn singularize(word: &str) -> String {
    inflect(word, &rules().singular)
}

/// Each rule is a pattern and its replacement (`$1` for a group).
struct Rules {
    plural: Vec<(Regex, String)>,
    singular: Vec<(Regex, String)>,
}

/// Words that are their own plural.
const UNCOUNTABLE: &[&str] =
    &["equipment", "information", "rice", "money", "species", "series", "fish", "sheep"];

/// Singular and plural of the irregular words.
const IRREGULAR: &[(&str, &str)] = &[
    ("person", "people"),
    ("human", "humans"),
    ("man", "men"),
    ("child", "children"),
    ("sex", "sexes"),
    ("move", "moves"),
    ("tooth", "teeth"),
    ("foot", "feet"),
];

/// Suffix rules for plurals, the most specific first.
const PLURAL: &[(&str, &str)] = &[
    ("(quiz)$", "${1}zes"),
    ("^(oxen)$", "$1"),
    ("^(ox)$", "${1}en"),
    ("^(m|l)ice$", "${1}ice"),
    ("([m|l])ouse$", "${1}ice"),
    ("(matr|vert|ind)(?:ix|ex)$", "${1}ices"),
    ("(x|ch|ss|sh)$", "${1}es"),
    ("([^aeiouy]|qu)y$", "${1}ies"),
    ("(hive)$", "${1}s"),
    ("(?:([^f])fe|([lr])f)$", "${1}${2}ves"),
    ("sis$", "ses"),
    ("([ti])a$", "${1}a"),
    ("([ti])um$", "${1}a"),
    ("(buffal|tomat)o$", "${1}oes"),
    ("(bu)s$", "${1}ses"),
    ("(alias|status)$", "${1}es"),
    ("(octop|vir)i$", "${1}i"),
    ("(octop|vir)us$", "${1}i"),
    ("^(ax|test)is$", "${1}es"),
    ("s$", "s"),
    ("$", "s"),
];

/// Suffix rules for singulars, the most specific first.
const SINGULAR: &[(&str, &str)] = &[
    ("(quiz)zes$", "$1"),
    ("(matr)ices$", "${1}ix"),
    ("(vert|ind)ices$", "${1}ex"),
    ("^(ox)en", "$1"),
    ("(alias|status)(es)?$", "$1"),
    ("(octop|vir)(us|i)$", "${1}us"),
    ("^(a)x[ie]s$", "${1}xis"),
    ("(cris|test)(is|es)$", "${1}is"),
    ("(shoe)s$", "$1"),
    ("(o)es$", "$1"),
    ("(bus)es$", "$1"),
    ("([m|l])ice$", "${1}ouse"),
    ("(x|ch|ss|sh)es$", "$1"),
    ("(m)ovies$", "${1}ovie"),
    ("(s)eries$", "${1}eries"),
    ("([^aeiouy]|qu)ies$", "${1}y"),
    ("([lr])ves$", "${1}f"),
    ("(tive)s$", "$1"),
    ("(hive)s$", "$1"),
    ("([^f])ves$", "${1}fe"),
    ("(^analy)(sis|ses)$", "${1}sis"),
    ("((a)naly|(b)a|(d)iagno|(p)arenthe|(p)rogno|(s)ynop|(t)he)(sis|ses)$", "${1}sis"),
    ("([ti])a$", "${1}um"),
    ("(n)ews$", "${1}ews"),
    ("(.)s$", "$1"),
];

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let compile = |pattern: &str| {
            Regex::new(&format!("(?i){pattern}")).expect("inflection rules are valid")
        };
        let irregular = |from: &str, to: &str| {
            // Matches the end of a word (`salesperson`) and keeps the case of its first
            // letter (`Person` becomes `People`).
            let (first, rest) = from.split_at(1);
            (compile(&format!("({first}){rest}$")), format!("${{1}}{}", &to[1..]))
        };
        let mut plural = Vec::new();
        let mut singular = Vec::new();
        for (one, many) in IRREGULAR {
            plural.push(irregular(one, many));
            plural.push(irregular(many, many));
            singular.push(irregular(many, one));
            singular.push(irregular(one, one));
        }
        plural.extend(PLURAL.iter().map(|(pattern, to)| (compile(pattern), (*to).to_owned())));
        singular.extend(SINGULAR.iter().map(|(pattern, to)| (compile(pattern), (*to).to_owned())));
        Rules { plural, singular }
    })
}

fn inflect(word: &str, rules: &[(Regex, String)]) -> String {
    let lower = word.to_lowercase();
    let uncountable = UNCOUNTABLE.iter().any(|u| {
        lower.strip_suffix(u).is_some_and(|head| head.is_empty() || head.ends_with([' ', '_']))
    });
    if word.is_empty() || uncountable {
        return word.to_owned();
    }
    let rule = rules.iter().find(|(regex, _)| regex.is_match(word));
    rule.map_or_else(
        || word.to_owned(),
        |(regex, to)| regex.replace(word, to.as_str()).into_owned(),
    )
}
