//! `flowrun dw`: evaluates one DataWeave script outside any app, as MuleSoft's DataWeave CLI
//! does.
//!
//! Each `-i NAME=FILE` binds the file's content to `NAME`, read by the file's extension:
//! `.json` as JSON, `.csv` as CSV with a header line, `.txt` as text, `.dwl` as a DataWeave
//! value (the file is evaluated); `.xml` and other extensions are refused.
//! `NAME` must be a DataWeave name and no reserved word (`if`, `match`), which no script
//! could read.
//! `-i payload=FILE` sets `payload`; without it, `payload` is an unknown name, as are Mule's
//! other names (`vars`, `attributes`, `p`). The result is written as the script's `output`
//! directive says, `application/json` when it has none, followed by a newline.
//! A script that does not compile or fails prints DataWeave's message with the line and
//! column on stderr and exits with 1; an unreadable input or script file exits with 2.
//! DataWeave's `log` writes its line (`prefix - value`) to stderr, as that CLI does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use flowrun_engine::diag::{Diagnostic, Span};
use flowrun_engine::event::Vars;
use flowrun_engine::expr::{
    Expr, Scope, ScriptOptions, is_reserved_word, read_value, to_text, type_name,
};
use flowrun_engine::value::{MediaType, TypedValue, Value};

/// The arguments of `flowrun dw`.
#[derive(Args)]
pub(crate) struct DwArgs {
    /// Bind a file to a name: `-i NAME=FILE`, read by the extension (.json, .csv, .txt, .dwl).
    #[arg(short = 'i', long = "input", value_name = "NAME=FILE", value_parser = crate::parse_key_value)]
    inputs: Vec<(String, String)>,
    /// Read the script from a file.
    #[arg(short = 'f', long = "file", value_name = "SCRIPT.dwl", conflicts_with = "script")]
    file: Option<PathBuf>,
    /// The script, when not given with `-f`; it may start with `-` (`-5 + 1`).
    #[arg(value_name = "SCRIPT", required_unless_present = "file", allow_hyphen_values = true)]
    script: Option<String>,
}

/// Runs `flowrun dw`.
pub(crate) fn dw(args: &DwArgs) -> ExitCode {
    crate::logging::init_dataweave_log();
    let (source, name) = match (&args.file, &args.script) {
        (Some(path), _) => match std::fs::read_to_string(path) {
            Ok(text) => (text, path.display().to_string()),
            Err(err) => return usage_error(&format!("cannot read `{}`: {err}", path.display())),
        },
        (None, Some(script)) => (script.clone(), "anonymous".to_owned()),
        (None, None) => return usage_error("give a script, or `-f SCRIPT.dwl`"),
    };
    let mut payload = TypedValue::null();
    let mut attributes = TypedValue::null();
    let mut vars = Vars::new();
    let mut inputs = Vec::new();
    for (idx, (input_name, file)) in args.inputs.iter().enumerate() {
        let is_name =
            input_name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && input_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !is_name {
            return usage_error(&format!(
                "`-i {input_name}={file}`: an input's name must be a DataWeave name (letters, digits and `_`, not starting with a digit)"
            ));
        }
        if is_reserved_word(input_name) {
            return usage_error(&format!(
                "`-i {input_name}={file}`: `{input_name}` is a reserved word of DataWeave, which no script can use as a name; give the input another name"
            ));
        }
        if args.inputs[..idx].iter().any(|(earlier, _)| earlier == input_name) {
            return usage_error(&format!("input `{input_name}` is given twice with `-i`"));
        }
        let value = match read_input(Path::new(file)) {
            Ok(Ok(value)) => value,
            Ok(Err(message)) => return script_error(&message),
            Err(message) => return usage_error(&message),
        };
        match input_name.as_str() {
            "payload" => payload = value,
            // Mule's own names, which the script reads as it would in a flow.
            "attributes" => attributes = attributes_of(value),
            "vars" => match vars_of(&value, file) {
                Ok(given) => vars = given,
                Err(message) => return usage_error(&message),
            },
            _ => inputs.push((input_name.clone(), value)),
        }
    }
    // As in MuleSoft's DataWeave CLI, `payload`, `attributes` and `vars` are names only
    // when they are given.
    let mut names: Vec<&str> = inputs.iter().map(|(name, _)| name.as_str()).collect();
    for mule_name in ["payload", "attributes", "vars"] {
        if args.inputs.iter().any(|(name, _)| name == mule_name) {
            names.push(mule_name);
        }
    }
    let options = ScriptOptions {
        inputs: &names,
        default_output: Some("application/json"),
        standalone: true,
    };
    let expr = match Expr::compile_with(&source, Span::default(), options) {
        Ok(expr) => expr,
        Err(diag) => return script_error(&compile_message(&diag, &source, &name)),
    };
    let scope =
        Scope { attributes: &attributes, vars: &vars, ..Scope::standalone(&payload, &inputs) };
    match expr.eval(&scope) {
        Ok(result) => write_result(&result),
        Err(err) => script_error(&err.message),
    }
}

/// The attributes of `-i attributes=FILE`, with the header names in lowercase, as Mule's
/// listener gives them, so that `attributes.headers."Content-Type"`, which ignores case,
/// finds them. A file that does not read as an object is left for the script to read, and
/// to fail on.
fn attributes_of(input: TypedValue) -> TypedValue {
    let Ok(Value::Object(pairs)) = read_value(&input) else { return input };
    let pairs = pairs.iter().map(|(key, value)| match &**key {
        "headers" => (key.clone(), crate::call::lowercase_header_names(value.clone())),
        _ => (key.clone(), value.clone()),
    });
    TypedValue::java(Value::object(pairs))
}

/// The variables of `-i vars=FILE`: the keys of the object the file holds, each a variable.
fn vars_of(input: &TypedValue, file: &str) -> Result<Vars, String> {
    match read_value(input).map_err(|err| err.message)? {
        Value::Object(pairs) => Ok(pairs
            .iter()
            .map(|(name, value)| {
                (name.to_string(), TypedValue::new(value.clone(), MediaType::java()))
            })
            .collect()),
        other => Err(format!(
            "`-i vars={file}` must hold an object, whose keys are the variables; it holds {}",
            type_name(&other)
        )),
    }
}

/// Reads one input file by its extension. The outer error is a file that cannot be read
/// (a usage error); the inner one a `.dwl` input that fails as a script.
fn read_input(path: &Path) -> Result<Result<TypedValue, String>, String> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let extension = extension.to_ascii_lowercase();
    let media_type = match extension.as_str() {
        "json" => MediaType::json(),
        "txt" => MediaType::text(),
        "csv" => MediaType::new("application", "csv"),
        "dwl" => MediaType::new("application", "dw"),
        "xml" => {
            return Err(format!(
                "cannot read `{}`: flowrun does not read XML yet (it reads .json, .csv, .txt and .dwl inputs)",
                path.display()
            ));
        }
        _ => {
            return Err(format!(
                "cannot tell how to read `{}`: flowrun dw reads .json, .csv, .txt and .dwl inputs",
                path.display()
            ));
        }
    };
    let bytes =
        std::fs::read(path).map_err(|err| format!("cannot read `{}`: {err}", path.display()))?;
    if extension != "dwl" {
        let media_type = media_type.with_charset("UTF-8");
        return Ok(Ok(TypedValue::new(Value::Binary(bytes.into()), media_type)));
    }
    // A `.dwl` input is a DataWeave value: evaluate it, with nothing in scope.
    let source = String::from_utf8_lossy(&bytes).into_owned();
    let name = path.display().to_string();
    let options = ScriptOptions { standalone: true, ..ScriptOptions::default() };
    let expr = match Expr::compile_with(&source, Span::default(), options) {
        Ok(expr) => expr,
        Err(diag) => return Ok(Err(compile_message(&diag, &source, &name))),
    };
    let null = TypedValue::null();
    Ok(expr.eval(&Scope::standalone(&null, &[])).map_err(|err| err.message))
}

/// Writes the result to stdout: written formats as their bytes, native values (`output
/// application/java`) as text.
fn write_result(result: &TypedValue) -> ExitCode {
    let mut out = match &result.value {
        Value::Binary(bytes) => bytes.to_vec(),
        _ => to_text(result).into_bytes(),
    };
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&out).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            errln!("error: cannot write the result: {err}");
            ExitCode::from(1)
        }
    }
}

/// A compile error in DataWeave's layout: the message, the line with the offending part
/// underlined, and its location (`source` was compiled from offset 0). The message is
/// DataWeave's own (`ScriptOptions::standalone`), or flowrun's, which is given a capital
/// and a period; a syntax error that names what was expected also gives its place after
/// the message, as DataWeave's parser does.
fn compile_message(diag: &Diagnostic, source: &str, name: &str) -> String {
    let (start, end) = diag.span.map_or((0, 0), |span| (span.start, span.end));
    // A span may cut a character that is several bytes long (`“`): widen it to whole ones.
    let mut start = start.min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = end.min(source.len());
    while !source.is_char_boundary(end) {
        end += 1;
    }
    let line_start = source[..start].rfind('\n').map_or(0, |idx| idx + 1);
    let line_end = source[start..].find('\n').map_or(source.len(), |idx| start + idx);
    let line = source[..start].matches('\n').count() + 1;
    // Columns count UTF-16 units, as DataWeave's do (an emoji is two).
    let column = source[line_start..start].encode_utf16().count() + 1;
    // A script with Windows line ends shows its lines without their `\r`.
    let n_carets = source[start..end.clamp(start, line_end)]
        .trim_end_matches('\r')
        .encode_utf16()
        .count()
        .max(1);
    let prefix = format!("{line}| ");
    let pad = " ".repeat(prefix.len() + column - 1);
    let mut message = diag.message.clone();
    if let Some(first) = message.get(..1) {
        message.replace_range(..1, &first.to_uppercase());
    }
    // DataWeave words a few of its own without a period (`Missing Expression`).
    let dataweave_words = message.starts_with("Missing ");
    let syntax = message.starts_with("Invalid input") || message.starts_with("Unexpected end");
    if syntax {
        message.push_str(&format!(" (line {line}, column {column}):\n"));
    } else if !dataweave_words
        && !message.ends_with(['.', '?', '!'])
        && !message.contains("Possible solution wrap")
    {
        message.push('.');
    }
    // A place that runs onto later lines (a header directive missing its value, up to the
    // `---`) shows its first line, `...` and its last line, and no carets, as DataWeave does.
    let excerpt = if end > line_end {
        let last_start = source[..end].rfind('\n').map_or(0, |idx| idx + 1);
        let last_end = source[end..].find('\n').map_or(source.len(), |idx| end + idx);
        format!(
            "{prefix}{}\n...\n{}\n",
            source[line_start..line_end].trim_end_matches('\r'),
            source[last_start..last_end].trim_end_matches('\r')
        )
    } else {
        let shown = source[line_start..line_end].trim_end_matches('\r');
        format!("{prefix}{shown}\n{pad}{}", "^".repeat(n_carets))
    };
    format!("{message}\n\n{excerpt}\nLocation:\n{name} (line: {line}, column:{column})")
}

fn script_error(message: &str) -> ExitCode {
    errln!("{message}");
    ExitCode::from(1)
}

fn usage_error(message: &str) -> ExitCode {
    errln!("error: {message}");
    ExitCode::from(2)
}
