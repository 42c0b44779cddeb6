//! Warnings for `flowrun secure file`: the input lines that MuleSoft's line-based rewrite drops
//! or changes, and a check that a rewritten `.yaml` file still has the keys of its input.
//!
//! The rewrite itself stays byte-identical to MuleSoft's tool (see `tool.rs`); these warnings
//! only tell the user where that rewrite loses something. They name keys, never values: a
//! value, a list item or a dropped line may be a secret.

use std::collections::BTreeSet;

use crate::secure_properties::tool::{java_lines, java_trim, strip_comment};

/// One warning about one input line (numbered from 1).
pub(crate) struct LineWarning {
    pub(crate) line_no: usize,
    pub(crate) message: String,
}

/// What the tool does with a line that continues a construct it cannot see.
const DROPPED: &str = "MuleSoft's tool drops it, and so does flowrun";
const REWRITTEN: &str = "MuleSoft's tool rewrites it as an entry of its own, and so does flowrun";

/// The warnings for a `.yaml` (`is_yaml`) or `.properties` input, in line order.
pub(crate) fn scan(text: &str, is_yaml: bool, is_encrypt: bool) -> Vec<LineWarning> {
    let mut warnings = Vec::new();
    let mut scanner = if is_yaml {
        Scanner::Yaml(YamlState::default())
    } else {
        Scanner::Properties { continues: None }
    };
    for (line_idx, line) in java_lines(text).into_iter().enumerate() {
        let message = match &mut scanner {
            Scanner::Yaml(state) => state.check(line, is_encrypt),
            Scanner::Properties { continues } => check_properties_line(line, continues),
        };
        if let Some(message) = message {
            warnings.push(LineWarning { line_no: line_idx + 1, message });
        }
    }
    warnings
}

/// Compares the mapping keys of a `.yaml` input and its rewrite. Returns a warning when the
/// output does not parse or lacks or adds keys; nothing when the input itself does not parse.
pub(crate) fn compare_yaml(input: &str, output: &str) -> Option<String> {
    let input_keys = yaml_keys(input).ok()?;
    let output_keys = match yaml_keys(output) {
        Ok(keys) => keys,
        // The parser's message may quote the text around the error, so only its place is shown.
        Err(error) => {
            let place = error
                .location()
                .map(|location| format!(" at line {}", location.line()))
                .unwrap_or_default();
            return Some(format!(
                "the output is not valid YAML{place}, though the input is; Mule cannot load it"
            ));
        }
    };
    if input_keys == output_keys {
        return None;
    }

    let describe = |keys: Vec<&String>| {
        let shown: Vec<String> = keys.iter().take(5).map(|key| format!("`{key}`")).collect();
        let more = keys.len().saturating_sub(shown.len());
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        format!("{}{more}", shown.join(", "))
    };
    let lost: Vec<&String> = input_keys.difference(&output_keys).collect();
    let added: Vec<&String> = output_keys.difference(&input_keys).collect();
    let mut parts = Vec::new();
    if !lost.is_empty() {
        parts.push(format!("lost {}", describe(lost)));
    }
    if !added.is_empty() {
        parts.push(format!("gained {}", describe(added)));
    }
    Some(format!("the output does not have the keys of the input: it {}", parts.join(" and ")))
}

enum Scanner {
    Yaml(YamlState),
    /// `continues` holds the key whose value the previous line continued with a `\`.
    Properties {
        continues: Option<String>,
    },
}

#[derive(Default)]
struct YamlState {
    /// The indentation and key of the block scalar (`key: |`) being read.
    block: Option<(usize, String)>,
    /// The nesting depth and key of the multi-line flow collection (`key: [`) being read.
    flow: Option<(i32, String)>,
}

impl YamlState {
    fn check(&mut self, line: &str, is_encrypt: bool) -> Option<String> {
        let is_blank = java_trim(line).is_empty();
        let indent = line.len() - line.trim_start_matches(' ').len();
        let stripped = strip_comment(line);
        let has_separator = stripped.contains(':');
        let fate = if has_separator { REWRITTEN } else { DROPPED };

        if let Some((block_indent, key)) = &self.block {
            if is_blank {
                return None;
            }
            if indent > *block_indent {
                return Some(format!("this line belongs to the block scalar of `{key}`; {fate}"));
            }
            self.block = None;
        }
        if let Some((depth, key)) = &mut self.flow {
            let message = format!("this line belongs to the flow collection of `{key}`; {fate}");
            *depth += bracket_depth(stripped);
            if *depth <= 0 {
                self.flow = None;
            }
            return Some(message);
        }
        if java_trim(stripped).is_empty() {
            return None;
        }

        let Some(separator_idx) = stripped.find(':') else {
            let trimmed = java_trim(stripped);
            let what = if trimmed == "-" || trimmed.starts_with("- ") {
                "this YAML list item (`- ...`)"
            } else {
                "this line"
            };
            return Some(format!("{what} has no `key: value` separator; {DROPPED}"));
        };
        let key = java_trim(&stripped[..separator_idx]);
        let key = key.strip_prefix("- ").map(java_trim).unwrap_or(key);
        let value = java_trim(&stripped[separator_idx + 1..]);
        if let Some(message) = check_comment_inside_value(line, stripped, true) {
            return Some(message);
        }
        if !is_encrypt || value.is_empty() {
            return None;
        }
        self.check_value(indent, key, value)
    }

    /// The warnings that depend on how a value to be encrypted is written.
    fn check_value(&mut self, indent: usize, key: &str, value: &str) -> Option<String> {
        let first = value.chars().next()?;
        let is_block_indicator = matches!(first, '|' | '>')
            && value[1..].chars().all(|c| matches!(c, '-' | '+' | '0'..='9'));
        if is_block_indicator {
            self.block = Some((indent, key.to_owned()));
            return Some(format!(
                "`{key}` starts a block scalar (`{first}`); MuleSoft's tool encrypts the indicator \
                 `{first}` as the value and not the block's lines, and so does flowrun"
            ));
        }
        if matches!(first, '[' | '{') {
            let depth = bracket_depth(value);
            if depth > 0 {
                self.flow = Some((depth, key.to_owned()));
                return Some(format!(
                    "`{key}` opens a flow collection (`{first}`) over several lines; MuleSoft's \
                     tool encrypts the opening line as one string, and so does flowrun"
                ));
            }
            return Some(format!(
                "`{key}` holds a flow collection (`{first}...`); MuleSoft's tool encrypts it as \
                 one string, and so does flowrun"
            ));
        }
        if first == '\'' {
            return Some(format!(
                "the value of `{key}` is in single quotes; MuleSoft's tool encrypts the quotes \
                 with it, and so does flowrun"
            ));
        }
        let kind = plain_scalar_kind(value)?;
        Some(format!(
            "the value of `{key}` is a YAML {kind}; encrypted it becomes a string, so decrypting \
             the file gives it back in double quotes, as MuleSoft's tool does"
        ))
    }
}

/// A warning when a `#` that the tool takes for a comment is part of the value in YAML or
/// Java properties: the tool encrypts only the part before it.
fn check_comment_inside_value(line: &str, stripped: &str, is_yaml: bool) -> Option<String> {
    if !line[stripped.len()..].starts_with('#') {
        return None;
    }
    let separator = if is_yaml { ':' } else { '=' };
    let separator_idx = stripped.find(separator)?;
    let key = java_trim(&stripped[..separator_idx]);
    let key = key.strip_prefix("- ").map(java_trim).unwrap_or(key);
    // YAML starts a comment at a `#` after a space; Java properties never do mid-line.
    let value = &stripped[separator_idx + 1..];
    let is_value_text =
        if is_yaml { !java_trim(value).is_empty() && !value.ends_with([' ', '\t']) } else { true };
    if !is_value_text {
        return None;
    }
    Some(format!(
        "the value of `{key}` contains `#`; MuleSoft's tool keeps the text from `#` on as a \
         comment and encrypts only the part before it, and so does flowrun"
    ))
}

fn check_properties_line(line: &str, continues: &mut Option<String>) -> Option<String> {
    let trimmed = line.trim_start_matches([' ', '\t', '\x0c']);
    let ends_continued = ends_with_odd_backslashes(line);
    if let Some(key) = continues.take() {
        if ends_continued {
            *continues = Some(key.clone());
        }
        let fate = if strip_comment(line).contains('=') { REWRITTEN } else { DROPPED };
        return Some(format!("this line continues the value of `{key}`; {fate}"));
    }
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    if trimmed.starts_with('!') {
        return Some(format!("this `!` comment has no `=` separator; {DROPPED}"));
    }

    let stripped = strip_comment(line);
    let Some(equals_idx) = stripped.find('=') else {
        let key_end = trimmed.find([':', ' ', '\t', '\x0c']).unwrap_or(trimmed.len());
        let key = &trimmed[..key_end];
        if ends_continued {
            *continues = Some(key.trim_end_matches('\\').to_owned());
        }
        let separator =
            match trimmed[key_end..].trim_start_matches([' ', '\t', '\x0c']).chars().next() {
                Some(':') => "`:`",
                Some(_) => "a space",
                None => return Some(format!("this line has no `=` separator; {DROPPED}")),
            };
        return Some(format!(
            "`{key}` uses {separator} as its separator; MuleSoft's tool splits only at `=` and \
             drops the line, and so does flowrun"
        ));
    };
    let key = java_trim(&stripped[..equals_idx]);
    if ends_continued {
        *continues = Some(key.to_owned());
        return Some(format!(
            "the value of `{key}` continues on the next line (`\\`); MuleSoft's tool encrypts only \
             this line's part, backslash included, and so does flowrun"
        ));
    }
    check_comment_inside_value(line, stripped, false)
}

fn ends_with_odd_backslashes(line: &str) -> bool {
    let n_backslashes = line.len() - line.trim_end_matches('\\').len();
    n_backslashes % 2 == 1
}

/// How much deeper in `[`/`{` a line ends than it starts, outside double quotes.
fn bracket_depth(text: &str) -> i32 {
    let mut depth = 0;
    let mut is_quoted = false;
    for c in text.chars() {
        match c {
            '"' => is_quoted = !is_quoted,
            '[' | '{' if !is_quoted => depth += 1,
            ']' | '}' if !is_quoted => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// What a plain (unquoted) YAML scalar is, when it is not a string.
fn plain_scalar_kind(value: &str) -> Option<&'static str> {
    let parsed: serde_yaml_ng::Value = serde_yaml_ng::from_str(value).ok()?;
    match parsed {
        serde_yaml_ng::Value::Bool(_) => Some("boolean"),
        serde_yaml_ng::Value::Number(_) => Some("number"),
        serde_yaml_ng::Value::Null => Some("null"),
        _ => None,
    }
}

/// Every mapping key path (`a.b`) and sequence index path (`a.0`) of a YAML document.
fn yaml_keys(text: &str) -> Result<BTreeSet<String>, serde_yaml_ng::Error> {
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)?;
    let mut keys = BTreeSet::new();
    collect_keys(&value, "", &mut keys);
    Ok(keys)
}

fn collect_keys(value: &serde_yaml_ng::Value, prefix: &str, keys: &mut BTreeSet<String>) {
    let join =
        |name: &str| if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") };
    match value {
        serde_yaml_ng::Value::Mapping(mapping) => {
            for (key, child) in mapping {
                let name = match key {
                    serde_yaml_ng::Value::String(name) => name.clone(),
                    // A non-string key is named by its kind, not its text.
                    _ => "<non-string key>".to_owned(),
                };
                let path = join(&name);
                collect_keys(child, &path, keys);
                keys.insert(path);
            }
        }
        serde_yaml_ng::Value::Sequence(items) => {
            for (item_idx, child) in items.iter().enumerate() {
                let path = join(&item_idx.to_string());
                collect_keys(child, &path, keys);
                keys.insert(path);
            }
        }
        serde_yaml_ng::Value::Tagged(tagged) => collect_keys(&tagged.value, prefix, keys),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The warnings as `line: message` strings.
    fn check(text: &str, is_yaml: bool, is_encrypt: bool) -> Vec<String> {
        scan(text, is_yaml, is_encrypt)
            .into_iter()
            .map(|warning| format!("{}: {}", warning.line_no, warning.message))
            .collect()
    }

    #[test]
    fn yaml_list_items_are_dropped() {
        let warnings = check("list:\n  - s3cr3t\n  -\n", true, true);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("2: this YAML list item (`- ...`) has no `key: value`"));
        assert!(warnings[0].ends_with("MuleSoft's tool drops it, and so does flowrun"));
        assert!(warnings[1].starts_with("3: "));
        assert!(!warnings.concat().contains("s3cr3t"));
    }

    #[test]
    fn yaml_block_scalars() {
        let warnings = check("k: |\n  line one\n  a: b\n\nnext: x\n", true, true);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].starts_with("1: `k` starts a block scalar (`|`)"), "{warnings:?}");
        assert!(warnings[1].starts_with("2: this line belongs to the block scalar of `k`; Mule"));
        assert!(warnings[1].ends_with("drops it, and so does flowrun"));
        assert!(warnings[2].contains("rewrites it as an entry of its own"));
        assert_eq!(check("k: >-\n  x\n", true, true).len(), 2);
    }

    #[test]
    fn yaml_flow_collections() {
        let warnings = check("db: [\n  \"p4ss\",\n  two\n]\nother: x\n", true, true);
        assert_eq!(warnings.len(), 4, "{warnings:?}");
        assert!(warnings[0].starts_with("1: `db` opens a flow collection (`[`)"));
        assert!(warnings[3].starts_with("4: this line belongs to the flow collection of `db`"));
        let one_line = check("db: {a: 1}\n", true, true);
        assert_eq!(one_line.len(), 1);
        assert!(one_line[0].contains("`db` holds a flow collection (`{...`)"));
    }

    #[test]
    fn yaml_typed_and_single_quoted_values() {
        let warnings = check("n: 5\nb: true\ns: '42'\nq: \"5\"\nt: text\n", true, true);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].starts_with("1: the value of `n` is a YAML number"));
        assert!(warnings[1].starts_with("2: the value of `b` is a YAML boolean"));
        assert!(warnings[2].starts_with("3: the value of `s` is in single quotes"));
        // Decrypting does not change a value's type any further.
        assert!(check("n: 5\n", true, false).is_empty());
    }

    #[test]
    fn comments_inside_values() {
        let yaml = check("a: x#y\nb: x # note\n# only\n", true, true);
        assert_eq!(yaml.len(), 1, "{yaml:?}");
        assert!(yaml[0].starts_with("1: the value of `a` contains `#`"));
        let properties = check("hash=a#b\n# c\nurl=http://h\n", false, true);
        assert_eq!(properties.len(), 1, "{properties:?}");
        assert!(properties[0].starts_with("1: the value of `hash` contains `#`"));
    }

    #[test]
    fn properties_continuations_and_separators() {
        let warnings = check(
            "a=one\\\n   two\\\n   three\nd : colon\ne:x\nf value\nbare\n! note\nok=1\n",
            false,
            true,
        );
        assert_eq!(warnings.len(), 8, "{warnings:?}");
        assert!(warnings[0].starts_with("1: the value of `a` continues on the next line"));
        assert!(warnings[1].starts_with("2: this line continues the value of `a`; Mule"));
        assert!(warnings[2].starts_with("3: this line continues the value of `a`"));
        assert!(warnings[3].starts_with("4: `d` uses `:` as its separator"));
        assert!(warnings[4].starts_with("5: `e` uses `:` as its separator"));
        assert!(warnings[5].starts_with("6: `f` uses a space as its separator"));
        assert!(warnings[6].starts_with("7: this line has no `=` separator"));
        assert!(warnings[7].starts_with("8: this `!` comment"));
        for text in ["one", "two", "three", "colon"] {
            assert!(!warnings.concat().contains(text), "{text} shown");
        }
    }

    #[test]
    fn yaml_key_comparison() {
        assert_eq!(compare_yaml("a: 1\nb:\n  c: x\n", "a: \"1\"\nb:\n  c: \"y\"\n"), None);
        let lost = compare_yaml("a: [x, y]\n", "a: \"![x]\"\n").expect("keys differ");
        assert_eq!(lost, "the output does not have the keys of the input: it lost `a.0`, `a.1`");
        let broken = compare_yaml("a: x\n", "a: \"x\"\n  b: c: d\n").expect("not yaml");
        assert!(broken.starts_with("the output is not valid YAML at line 2"), "{broken}");
        assert_eq!(compare_yaml("a: [\n", "a: \"x\"\n"), None);
    }
}
