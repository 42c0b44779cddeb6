//! The expression corpus: `tests/corpus.json` cases, each a script, its inputs and what
//! MuleSoft's own DataWeave engine gave for it (see `tests/dw_oracle.py`).
//!
//! [`check`] is the only place that calls the compile/eval API, so the cases are data and
//! survive API changes.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::Value as Json;

use crate::diag::{FileId, Span};
use crate::event::Vars;
use crate::expr::{Expr, Scope, json};
use crate::props::NoProperties;
use crate::value::{MediaType, TypedValue, Value};

const CORPUS: &str = include_str!("tests/corpus.json");

/// Runs one case; `Err` describes the mismatch.
fn check(case: &Json) -> Result<(), String> {
    let script = case["script"].as_str().ok_or("case without script")?;
    let expect = if case.get("flowrun").is_some() { &case["flowrun"] } else { &case["expect"] };
    let inputs = &case["inputs"];
    let payload = input(&inputs["payload"]);
    let attributes = input(&inputs["attributes"]);
    let vars: Vars = match inputs["vars"].as_object() {
        Some(vars) => vars.iter().map(|(name, var)| (name.clone(), input(var))).collect(),
        None => BTreeMap::new(),
    };
    let scope = Scope {
        payload: &payload,
        attributes: &attributes,
        vars: &vars,
        error: None,
        correlation_id: "corr-1",
        properties: &NoProperties,
        inputs: &[],
        app_name: "corpus",
        flow_name: "corpus-flow",
    };
    let expected_error = expect["error"].as_str();
    let expr = match Expr::compile(script, Span::new(FileId(0), 0, 0)) {
        Ok(expr) => expr,
        Err(diag) => {
            let span = diag.span.ok_or("diagnostic without span")?;
            let got = format!("{} at {:?}", diag.message, line_col(script, span.start));
            return match expected_error.and_then(compile_error) {
                Some((head, at))
                    if at == line_col(script, span.start) && head_matches(&head, &diag.message) =>
                {
                    Ok(())
                }
                _ => Err(format!("compile error {got}, expected {expect}")),
            };
        }
    };
    let got = match expr.eval(&scope) {
        Ok(result) => result,
        Err(err) => {
            return match expected_error {
                Some(message) if message == err.message => Ok(()),
                _ => Err(format!("eval error:\n{}\nexpected {expect}", err.message)),
            };
        }
    };
    let (text, mime) = match &got.value {
        Value::Binary(bytes) if !got.media_type.is_java() => {
            (String::from_utf8_lossy(bytes).into_owned(), Some(got.media_type.essence()))
        }
        native => (json::write(native, true), None),
    };
    let ok = expect["output"].as_str() == Some(text.as_str())
        && expect["mime"].as_str().map(str::to_owned) == mime;
    if ok { Ok(()) } else { Err(format!("got {text:?} ({mime:?}), expected {expect}")) }
}

fn input(spec: &Json) -> TypedValue {
    let (Some(mime), Some(text)) = (spec["mime"].as_str(), spec["text"].as_str()) else {
        return TypedValue::null();
    };
    let media_type = MediaType::parse(mime).expect("corpus media types are valid");
    TypedValue::new(Value::Binary(Bytes::from(text.to_owned())), media_type)
}

/// For a compile-time error of the reference engine: its first line and `(line, column)`,
/// from its `Location:` or, for the errors printed without one (a bad escape, an invalid
/// date), from the excerpt.
fn compile_error(message: &str) -> Option<(String, (usize, usize))> {
    let head = message.lines().next()?.to_owned();
    // DataWeave may report several places (each overload, each declaration); the first one
    // is the one flowrun reports.
    let Some((_, location)) = message.split_once("\nLocation:\nanonymous (line: ") else {
        if message.contains("\nTrace:\n") {
            return None;
        }
        return Some((head, excerpt_line_col(message)?));
    };
    let (line, rest) = location.split_once(", column:")?;
    let column = rest.split(')').next()?;
    Some((head, (line.parse().ok()?, column.parse().ok()?)))
}

/// The place an excerpt (`3| text` and a line of `^` under it) underlines.
fn excerpt_line_col(message: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = message.lines().collect();
    lines.windows(2).find_map(|pair| {
        let (number, _) = pair[0].split_once("| ")?;
        let line = number.parse().ok()?;
        let caret = pair[1].find('^')?;
        Some((line, pair[1][..caret].chars().count() - number.len() - 1))
    })
}

/// Name-resolution, declaration, escape and argument-count errors must match DataWeave's
/// wording (diagnostics drop its capital and final period; of ``Expects `1` argument but
/// got `2`. Expecting: ...`` only the first sentence, as flowrun does not infer the types
/// DataWeave lists after it); syntax errors their place, and some their words (below).
fn head_matches(expected_head: &str, got: &str) -> bool {
    let exact = [
        "Unable to resolve reference",
        "Unable to resolve module",
        "Invalid 'Unicode' escape",
        "Duplicated variable",
        "Function `",
        "Functions can only",
        "Invalid weave version",
        "Unknown content type",
        "Unknown data format",
        "Option `",
        "There is no variable named",
    ];
    let invalid_date = expected_head.ends_with("' is not valid");
    if invalid_date || exact.iter().any(|prefix| expected_head.starts_with(prefix)) {
        return expected_head.trim_end_matches('.').eq_ignore_ascii_case(got);
    }
    // DataWeave's words for a missing operand or body (`Missing addition expression.`), and
    // what it names as expected where a bracket is left open (`expected ')' for the
    // function call.`), are followed too; its other syntax errors name its grammar's rules
    // (`expected Attribute<...>`), which flowrun does not copy.
    if expected_head.starts_with("Missing ") {
        let got = got.lines().next().unwrap_or_default();
        return expected_head.trim_end_matches('.').eq_ignore_ascii_case(got);
    }
    let expected_part = |head: &str| {
        let (_, expected) = head.split_once(", expected ")?;
        let expected = expected.split(" (line ").next()?;
        Some(expected.trim_end_matches('.').to_owned())
    };
    if let Some(expected) = expected_part(expected_head).filter(|e| e.contains(" for the ")) {
        return expected_part(got).is_some_and(|got| got.eq_ignore_ascii_case(&expected));
    }
    if expected_head.starts_with("Expects `") {
        let (sentence, _) = expected_head.split_once(". Expecting").unwrap_or((expected_head, ""));
        return sentence.eq_ignore_ascii_case(got);
    }
    true
}

fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.encode_utf16().count()) + 1;
    (line, column)
}

#[test]
fn corpus_matches_the_reference_engine() {
    // Some cases recurse to DataWeave's limit of 256 calls. An optimised build needs about
    // 3 KiB of stack per call, well within the 2 MiB of a test or async runtime thread; an
    // unoptimised build needs about 11 KiB, so the cases run on a larger stack.
    let checker = std::thread::Builder::new().stack_size(16 << 20).spawn(check_all);
    checker.expect("spawns").join().expect("no panic outside the checks");
}

fn check_all() {
    let cases: Vec<Json> = serde_json::from_str(CORPUS).expect("corpus.json parses");
    assert!(cases.len() >= 60, "the corpus should stay broad");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| check(case).err().map(|err| format!("{}: {err}", case["name"])))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// The examples in `DESIGN.md`: `script => compact JSON` lines in its `text` block.
#[test]
fn design_examples_hold() {
    let design = include_str!("DESIGN.md");
    let (_, after) = design.split_once("## Examples").expect("DESIGN.md has examples");
    let (_, block) = after.split_once("```text\n").expect("examples block");
    let (block, _) = block.split_once("```").expect("examples block end");
    let mut n_examples = 0;
    for line in block.lines().filter(|line| !line.trim().is_empty()) {
        let (script, expected) = line.rsplit_once("=>").expect("`script => result`");
        let expr = Expr::compile(script.trim(), Span::default()).expect("example compiles");
        let payload = TypedValue::null();
        let value = expr.eval(&Scope::standalone(&payload, &[])).expect("example evaluates").value;
        assert_eq!(json::write(&value, false), expected.trim(), "{script}");
        n_examples += 1;
    }
    assert!(n_examples > 10);
}
