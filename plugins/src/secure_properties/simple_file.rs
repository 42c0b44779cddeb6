//! A one-pass reader for the shape almost every secure file has: one `key: "![...]"` (YAML,
//! possibly under `parent:` lines) or `key=![...]` (`.properties`) per line.
//!
//! The general YAML parser costs about 2 µs a line, more than decrypting the value, so a
//! 10,000-property file would miss the load-time budget on YAML alone. [`read_simple`] accepts
//! only lines whose meaning is the same for every YAML and `.properties` reader and returns
//! `None` for anything else (escapes, single quotes, non-ASCII text, duplicate YAML keys, ...),
//! so the provider then falls back to [`flowrun_engine::props::read_properties_file`]. Both
//! readers give the same entries for every file this one accepts; the tests check that.

use std::collections::HashSet;
use std::path::Path;

use flowrun_engine::props::PropertyEntry;

/// The entries of a file in the simple shape, or `None` when the file needs the full parser.
/// The format is chosen by the extension, as for the full parser.
pub(crate) fn read_simple(path: &Path, text: &str) -> Option<Vec<PropertyEntry>> {
    // Printable ASCII and line breaks; `\r` only as part of CRLF, which `str::lines` strips
    // and both formats read as one line break.
    let bytes = text.as_bytes();
    let is_simple_byte = |(idx, &b): (usize, &u8)| match b {
        b'\n' | b' '..=b'~' => true,
        b'\r' => bytes.get(idx + 1) == Some(&b'\n'),
        _ => false,
    };
    if text.is_empty() || !bytes.iter().enumerate().all(is_simple_byte) {
        return None;
    }
    match path.extension().and_then(|e| e.to_str())? {
        "yaml" | "yml" => read_yaml_lines(text),
        "properties" => read_properties_lines(text),
        _ => None,
    }
}

/// Block mappings of `key: "value"` leaves and `key:` parents, blank lines and `#` comments.
/// Each mapping's keys share one indentation, deeper than its parent's; the value has no `"`
/// or `\`, so the double-quoted scalar is the text between the quotes.
fn read_yaml_lines(text: &str) -> Option<Vec<PropertyEntry>> {
    // The open mappings, outermost first: the indentation of their keys and the dotted
    // prefix they add.
    let mut frames: Vec<(usize, String)> = vec![(0, String::new())];
    // The dotted key of a `key:` line, whose mapping the next line must open.
    let mut open_parent: Option<String> = None;
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    for line in text.lines() {
        let body = line.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        let top_indent = frames.last().map_or(0, |(top_indent, _)| *top_indent);
        if let Some(parent) = open_parent.take() {
            if indent <= top_indent {
                return None;
            }
            frames.push((indent, parent));
        } else {
            while frames.last().is_some_and(|(frame_indent, _)| *frame_indent > indent) {
                frames.pop();
            }
            if frames.last().map(|(frame_indent, _)| *frame_indent) != Some(indent) {
                return None;
            }
        }

        let (key, rest) = body.split_once(':')?;
        let prefix = &frames.last()?.1;
        let full_key = if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") };
        if !is_simple_key(key) || is_yaml_keyword(key) || !seen.insert(full_key.clone()) {
            return None;
        }
        let rest = rest.trim_end_matches(' ');
        if rest.is_empty() {
            open_parent = Some(full_key);
            continue;
        }
        let value = rest.strip_prefix(" \"")?.strip_suffix('"')?;
        if value.contains(['"', '\\']) {
            return None;
        }
        entries.push(PropertyEntry { key: full_key, value: value.to_owned() });
    }
    // A `key:` at the end has a null value, which only the full parser reports well.
    open_parent.is_none().then_some(entries)
}

/// `key=value` lines at the left margin, blank lines and `#` or `!` comments. The value has
/// no `\`, so there are no escapes and no continuation lines; leading blanks are dropped and
/// trailing ones kept, as `java.util.Properties` does.
fn read_properties_lines(text: &str) -> Option<Vec<PropertyEntry>> {
    let mut entries = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with(['#', '!']) {
            continue;
        }
        let (key, value) = line.split_once('=')?;
        if !is_simple_key(key) || value.contains('\\') {
            return None;
        }
        let value = value.trim_start_matches(' ');
        entries.push(PropertyEntry { key: key.to_owned(), value: value.to_owned() });
    }
    Some(entries)
}

/// A letter or `_`, then letters, digits, `_`, `.` and `-`: a key that YAML reads as a plain
/// string and `.properties` ends at the separator.
fn is_simple_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    let starts_well = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    starts_well && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Plain scalars that YAML reads as booleans or null rather than as text.
fn is_yaml_keyword(key: &str) -> bool {
    ["true", "false", "null", "yes", "no", "on", "off", "y", "n"]
        .iter()
        .any(|keyword| key.eq_ignore_ascii_case(keyword))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use flowrun_engine::props::read_properties_file;

    use super::read_simple;

    /// The simple reader either declines or agrees with the full parser.
    #[track_caller]
    fn check(name: &str, text: &str, expect_simple: bool) {
        let path = Path::new(name);
        let simple = read_simple(path, text);
        assert_eq!(simple.is_some(), expect_simple, "{name}: {text:?}");
        if let Some(simple) = simple {
            let full = read_properties_file(path, text).expect("the full parser reads it");
            assert_eq!(simple, full, "{name}: {text:?}");
        }
    }

    #[test]
    fn simple_yaml_agrees_with_the_full_parser() {
        check("s.yaml", "a: \"![abc==]\"\nb.c: \"x y\"  \n\n# note\nd_e-f: \"\"\n", true);
        check("s.yaml", "a: \"it's #1: ok\"\n", true);
        check(
            "s.yaml",
            "a:\n  b: \"x\"\n  c:\n    d: \"y\"\n  # c\n\n  e: \"z\"\nf: \"w\"\n",
            true,
        );
        check("s.yaml", "a:\n    b: \"x\"\nc:\n  d: \"y\"\n", true);
        check("s.yaml", "p0:\n  value: \"![x]\"\np1:\n  value: \"![y]\"\n", true);
        check("s.yaml", "a:\n  b: \"x\"\n   c: \"y\"\n", false);
        check("s.yaml", "a:\n  b: \"x\"\n c: \"y\"\n", false);
        check("s.yaml", "a:\nb: \"x\"\n", false);
        check("s.yaml", "a: \"x\"\nb:\n", false);
        check("s.yaml", "a.b: \"x\"\na:\n  b: \"y\"\n", false);
        check("s.yaml", "a:\n  b: \"x\"\na:\n  c: \"y\"\n", false);
        check("s.yaml", "  a: \"x\"\n", false);
        check("s.yaml", "a: [\"x\"]\n", false);
        check("s.yaml", "a: \"x\\ty\"\n", false);
        check("s.yaml", "a: \"x\"\r\nb:\r\n  c: \"y\"\r\n", true);
        check("s.yaml", "a: \"x\"\rb: \"y\"\n", false);
        check("s.yaml", "a: \"x\"\na: \"y\"\n", false);
        check("s.yaml", "true: \"x\"\n", false);
        check("s.yaml", "a: 'x'\n", false);
        check("s.yaml", "a: \"x\" # c\n", false);
        check("s.yaml", "1a: \"x\"\n", false);
        check("s.yaml", "a: \"caf\u{e9}\"\n", false);
        check("s.yaml", "---\na: \"x\"\n", false);
        check("s.yaml", "", false);
    }

    #[test]
    fn simple_properties_agree_with_the_full_parser() {
        check("s.properties", "a=![abc==]\nb.c=  x y  \n\n# note\n! note\nd_e-f=\na=again\n", true);
        check("s.properties", "a=x=y:z #not a comment\n", true);
        check("s.properties", "a = x\n", false);
        check("s.properties", "a:x\n", false);
        check("s.properties", "a=x\\\n  y\n", false);
        check("s.properties", "  a=x\n", false);
        check("s.properties", "a=x\r\nb=y  \r\n", true);
        check("s.properties", "a=x\rb=y\n", false);
        check("s.txt", "a=x\n", false);
    }

    /// Random files built from fragments near the edges of the simple shape: whenever the
    /// simple reader accepts one, the full parser must give the same entries.
    #[test]
    fn random_files_agree_with_the_full_parser() {
        const YAML_LINES: [&str; 16] = [
            "a: \"x\"",
            "b.c: \"![AbC+/==]\"",
            "  d: \"y z \"",
            "    e: \"\"",
            "f:",
            "  g:",
            "",
            "# note",
            "  # indented note",
            "h: \"it's: #1\"",
            "true: \"t\"",
            "a: \"dup\"",
            "i:  \"two spaces\"",
            "j: 'single'",
            "k: \"x\" ",
            "  a: \"nested dup\"",
        ];
        const PROPERTIES_LINES: [&str; 10] = [
            "a=x",
            "b.c=![AbC+/==]",
            "d=  y z  ",
            "e=",
            "# note",
            "! note",
            "",
            "a=again",
            "f = spaced",
            "g:colon",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        let (mut n_simple, mut n_total) = (0, 0);
        for (name, lines) in [("s.yaml", &YAML_LINES[..]), ("s.properties", &PROPERTIES_LINES[..])]
        {
            for _ in 0..3000 {
                let n_lines = 1 + next(6);
                let line_end = if next(4) == 0 { "\r\n" } else { "\n" };
                let text: String = (0..n_lines)
                    .map(|_| format!("{}{line_end}", lines[next(lines.len())]))
                    .collect();
                let path = Path::new(name);
                n_total += 1;
                let Some(simple) = read_simple(path, &text) else { continue };
                n_simple += 1;
                match read_properties_file(path, &text) {
                    Ok(full) => assert_eq!(simple, full, "{name}: {text:?}"),
                    Err(err) => {
                        panic!("{name}: {text:?}: simple reader accepted, full parser: {err}")
                    }
                }
            }
        }
        assert!(n_simple * 5 > n_total, "only {n_simple} of {n_total} files took the simple path");
    }
}
