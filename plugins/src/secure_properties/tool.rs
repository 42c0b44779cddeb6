//! The `flowrun secure` command: MuleSoft's Secure Properties Tool, byte for byte, without a JVM.
//!
//! ```text
//! flowrun secure <string|file|file-level> <encrypt|decrypt> <ALGORITHM> <MODE> <KEY>
//!                <VALUE | IN OUT> [--use-random-iv]
//! ```
//!
//! The arguments, outputs and exit codes are those of
//! `java -cp secure-properties-tool.jar com.mulesoft.tools.SecurePropertiesTool`:
//!
//! - `string` prints the Base64 ciphertext (encrypt) or the plaintext (decrypt) and a newline;
//! - `file` encrypts or decrypts every value of a `.yaml` or `.properties` file line by line;
//! - `file-level` encrypts the whole file into one Base64 line with no trailing newline;
//! - `ALGORITHM` is one of Mule's names (AES, Blowfish, DES, DESede, RC2; case-sensitive) and
//!   `MODE` one of CBC, CFB, ECB, OFB, or flowrun's GCM (AES only, which Mule cannot read);
//! - `--use-random-iv` counts only as the last argument, as in MuleSoft's tool;
//! - exit codes: 0 success, 1 invalid arguments (with the usage) or bad Base64 input,
//!   2 a cipher error (only its message is printed), 3 an I/O error.
//!
//! Results go to standard output, messages to standard error.
//!
//! # Keeping the key out of the process list
//!
//! A key typed on the command line shows up in `ps` and in the shell history. `KEY` may
//! instead name where to read it:
//!
//! - `-` reads the environment variable `FLOWRUN_SECURE_KEY` (recommended:
//!   `FLOWRUN_SECURE_KEY=... flowrun secure string encrypt AES CBC - secret`, or an exported
//!   variable filled by a secret manager);
//! - `env:NAME` reads the environment variable `NAME`;
//! - `file:PATH` reads the file `PATH` and drops one trailing newline, which suits Docker and
//!   Kubernetes secret files.
//!
//! Any other `KEY` is the key itself. A literal key that really starts with `env:` or `file:`,
//! or is `-`, must therefore be passed through one of these sources.
//!
//! # Where we differ from MuleSoft's tool
//!
//! - In `file` mode on `.yaml` files we write every `![...]` in double quotes. MuleSoft's tool
//!   writes an unquoted value as unquoted `![...]`, which YAML reads as a tag, so Mule cannot
//!   load the file it produced.
//! - Output files are written to a temporary file and renamed into place, so a failure never
//!   leaves a half-written file; a file of decrypted values is created readable by its owner only.
//! - Bad Base64 exits with 1 and the JDK's message instead of a Java stack trace.
//! - `file` mode writes what MuleSoft's tool writes, but prints a warning on standard error for
//!   each input line that this rewrite drops or changes (list items, block scalars, flow
//!   collections, continuation lines, typed YAML values), naming the key but never the value;
//!   for `.yaml` files it also warns when the output no longer has the keys of the input.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::secure_properties::crypto::{self, Algorithm, Mode};
use crate::secure_properties::{encoding, file_warnings};

/// The environment variable that `KEY` `-` reads.
pub const KEY_ENV_VAR: &str = "FLOWRUN_SECURE_KEY";

/// The usage text, printed after `Invalid arguments` and for `--help`.
pub const USAGE: &str = "\
Usage: flowrun secure <method> <operation> <algorithm> <mode> <key> <value | in out> [--use-random-iv]

  <method>     string | file | file-level
  <operation>  encrypt | decrypt
  <algorithm>  AES | Blowfish | DES | DESede | RC2
  <mode>       CBC | CFB | ECB | OFB | GCM (GCM: AES only, flowrun extension, not readable by Mule)
  <key>        the key itself, or - (read $FLOWRUN_SECURE_KEY), env:NAME or file:PATH
  <value>      for string: the value to encrypt, or the Base64 text to decrypt
  <in> <out>   for file and file-level: both .yaml or both .properties

Examples:
  flowrun secure string encrypt Blowfish CBC mulesoft \"some value to encrypt\"
  FLOWRUN_SECURE_KEY=... flowrun secure file encrypt AES CBC - app.yaml app.secure.yaml
";

/// Runs the command with the arguments that follow `flowrun secure` and returns the exit code.
pub fn run(args: &[String], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    if matches!(args, [flag] if flag == "--help" || flag == "-h") {
        return report(stdout.write_all(USAGE.as_bytes()).map_err(ToolError::Output));
    }

    let outcome = parse_request(args).and_then(|request| execute(&request, stdout, stderr));
    let Err(error) = outcome else {
        return EXIT_OK;
    };

    // Nothing more can be done if standard error is gone too.
    let _ = match &error {
        ToolError::InvalidArguments => write!(stderr, "Invalid arguments\n{USAGE}"),
        other => writeln!(stderr, "{other}"),
    };
    error.exit_code()
}

const EXIT_OK: i32 = 0;
const EXIT_INVALID: i32 = 1;
const EXIT_CRYPTO: i32 = 2;
const EXIT_IO: i32 = 3;

/// Why the command failed. Messages name files and variables, never keys or values.
#[derive(Debug, thiserror::Error)]
enum ToolError {
    #[error("Invalid arguments")]
    InvalidArguments,
    #[error("the key variable `{0}` is not set")]
    KeyVariableMissing(String),
    #[error("the key variable `{0}` is not valid UTF-8")]
    KeyVariableNotUtf8(String),
    #[error("the key file `{0}` is not valid UTF-8")]
    KeyFileNotUtf8(PathBuf),
    #[error("{0}")]
    Crypto(#[from] crypto::Error),
    #[error("{0}")]
    Base64(#[from] encoding::Error),
    #[error("cannot read `{path}`: {source}", path = path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("`{path}` is not valid UTF-8", path = path.display())]
    NotUtf8 { path: PathBuf },
    #[error("cannot write `{path}`: {source}", path = path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot write the output: {0}")]
    Output(io::Error),
}

impl ToolError {
    fn exit_code(&self) -> i32 {
        match self {
            ToolError::InvalidArguments
            | ToolError::KeyVariableMissing(_)
            | ToolError::KeyVariableNotUtf8(_)
            | ToolError::KeyFileNotUtf8(_)
            | ToolError::Base64(_) => EXIT_INVALID,
            // The JDK throws these outside the tool's crypto error handling.
            ToolError::Crypto(error) if is_argument_error(error) => EXIT_INVALID,
            ToolError::Crypto(_) => EXIT_CRYPTO,
            ToolError::Read { .. }
            | ToolError::NotUtf8 { .. }
            | ToolError::Write { .. }
            | ToolError::Output(_) => EXIT_IO,
        }
    }
}

fn is_argument_error(error: &crypto::Error) -> bool {
    matches!(error, crypto::Error::EmptyKey | crypto::Error::Base64(_))
}

fn report(result: Result<(), ToolError>) -> i32 {
    match result {
        Ok(()) => EXIT_OK,
        Err(error) => error.exit_code(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Method {
    String,
    File,
    FileLevel,
}

#[derive(Clone, Copy, PartialEq)]
enum Operation {
    Encrypt,
    Decrypt,
}

/// The cipher settings shared by every value of one run.
struct Settings {
    algorithm: Algorithm,
    mode: Mode,
    key: Zeroizing<String>,
    use_random_iv: bool,
}

enum Target {
    Value(String),
    Files { input: PathBuf, output: PathBuf },
}

struct Request {
    method: Method,
    operation: Operation,
    settings: Settings,
    target: Target,
}

/// The two file kinds the tool accepts, by extension.
#[derive(Clone, Copy, PartialEq)]
enum FileKind {
    Yaml,
    Properties,
}

fn parse_request(args: &[String]) -> Result<Request, ToolError> {
    let (args, use_random_iv) = match args.split_last() {
        Some((last, rest)) if last == "--use-random-iv" => (rest, true),
        _ => (args, false),
    };
    let method = match args.first().map(String::as_str) {
        Some("string") if args.len() == 6 => Method::String,
        Some("file") if args.len() == 7 => Method::File,
        Some("file-level") if args.len() == 7 => Method::FileLevel,
        _ => return Err(ToolError::InvalidArguments),
    };
    let operation = match args[1].as_str() {
        "encrypt" => Operation::Encrypt,
        "decrypt" => Operation::Decrypt,
        _ => return Err(ToolError::InvalidArguments),
    };
    let algorithm = Algorithm::from_name(&args[2]).ok_or(ToolError::InvalidArguments)?;
    let mode = Mode::from_name(&args[3]).ok_or(ToolError::InvalidArguments)?;

    let target = if method == Method::String {
        Target::Value(args[5].clone())
    } else {
        let (input, output) = (PathBuf::from(&args[5]), PathBuf::from(&args[6]));
        let same_kind =
            matches!((file_kind(&input), file_kind(&output)), (Some(a), Some(b)) if a == b);
        if !same_kind {
            return Err(ToolError::InvalidArguments);
        }
        Target::Files { input, output }
    };
    let key = resolve_key(&args[4])?;

    let settings = Settings { algorithm, mode, key, use_random_iv };
    Ok(Request { method, operation, settings, target })
}

fn file_kind(path: &Path) -> Option<FileKind> {
    let name = path.to_str()?;
    if name.ends_with(".yaml") {
        Some(FileKind::Yaml)
    } else if name.ends_with(".properties") {
        Some(FileKind::Properties)
    } else {
        None
    }
}

/// Reads the key from where `KEY` points: `-`, `env:NAME`, `file:PATH`, or the text itself.
fn resolve_key(spec: &str) -> Result<Zeroizing<String>, ToolError> {
    if spec == "-" {
        return key_from_env(KEY_ENV_VAR);
    }
    if let Some(name) = spec.strip_prefix("env:") {
        return key_from_env(name);
    }
    let Some(path) = spec.strip_prefix("file:") else {
        return Ok(Zeroizing::new(spec.to_owned()));
    };

    let path = PathBuf::from(path);
    let bytes = Zeroizing::new(
        fs::read(&path).map_err(|source| ToolError::Read { path: path.clone(), source })?,
    );
    let text = std::str::from_utf8(&bytes).map_err(|_| ToolError::KeyFileNotUtf8(path))?;
    let text = match text.strip_suffix('\n') {
        Some(rest) => rest.strip_suffix('\r').unwrap_or(rest),
        None => text,
    };
    Ok(Zeroizing::new(text.to_owned()))
}

fn key_from_env(name: &str) -> Result<Zeroizing<String>, ToolError> {
    match std::env::var(name) {
        Ok(key) => Ok(Zeroizing::new(key)),
        Err(std::env::VarError::NotPresent) => Err(ToolError::KeyVariableMissing(name.to_owned())),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(ToolError::KeyVariableNotUtf8(name.to_owned()))
        }
    }
}

fn execute(
    request: &Request,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), ToolError> {
    let settings = &request.settings;
    match (&request.target, request.method) {
        (Target::Value(value), _) => {
            let line = apply_to_string(settings, request.operation, value)?;
            writeln!(stdout, "{}", line.as_str()).map_err(ToolError::Output)
        }
        (Target::Files { input, output }, Method::FileLevel) => {
            let content = read_file(input)?;
            let result = apply_to_file_level(settings, request.operation, &content)?;
            write_atomically(output, &result, request.operation == Operation::Decrypt)
        }
        (Target::Files { input, output }, _) => {
            let content = read_file(input)?;
            let text = std::str::from_utf8(&content)
                .map_err(|_| ToolError::NotUtf8 { path: input.clone() })?;
            let kind = file_kind(input).ok_or(ToolError::InvalidArguments)?;
            let result = apply_to_file(settings, request.operation, kind, text)?;
            write_atomically(output, result.as_bytes(), request.operation == Operation::Decrypt)?;
            warn_about_file(request.operation, kind, (input, text), (output, &result), stderr);
            Ok(())
        }
    }
}

/// Prints one warning per input line that the line-based rewrite drops or changes, and one
/// when a rewritten `.yaml` file no longer has the keys of its input. The output stays as
/// MuleSoft's tool writes it; the exit code does not change.
fn warn_about_file(
    operation: Operation,
    kind: FileKind,
    (input, input_text): (&Path, &str),
    (output, output_text): (&Path, &str),
    stderr: &mut dyn Write,
) {
    let is_yaml = kind == FileKind::Yaml;
    let line_warnings = file_warnings::scan(input_text, is_yaml, operation == Operation::Encrypt);
    let mut messages: Vec<String> = line_warnings
        .into_iter()
        .map(|warning| {
            format!("warning: {}:{}: {}", input.display(), warning.line_no, warning.message)
        })
        .collect();
    if is_yaml && let Some(message) = file_warnings::compare_yaml(input_text, output_text) {
        messages.push(format!("warning: {}: {message}", output.display()));
    }
    for message in messages {
        // Nothing more can be done if standard error is gone.
        let _ = writeln!(stderr, "{message}");
    }
}

/// `string`: the Base64 ciphertext, or the plaintext of strict Base64 input.
fn apply_to_string(
    settings: &Settings,
    operation: Operation,
    value: &str,
) -> Result<Zeroizing<String>, ToolError> {
    let key = settings.key.as_bytes();
    let (algorithm, mode, use_random_iv) =
        (settings.algorithm, settings.mode, settings.use_random_iv);

    match operation {
        Operation::Encrypt => {
            let ciphertext =
                crypto::encrypt(algorithm, mode, key, use_random_iv, value.as_bytes())?;
            Ok(Zeroizing::new(encoding::encode_base64(&ciphertext)))
        }
        Operation::Decrypt => {
            let ciphertext = encoding::decode_base64_strict_str(value)?;
            let plaintext = crypto::decrypt(algorithm, mode, key, use_random_iv, &ciphertext)?;
            Ok(Zeroizing::new(String::from_utf8_lossy(&plaintext).into_owned()))
        }
    }
}

/// `file-level`: the whole file as one Base64 line without a newline, or back.
fn apply_to_file_level(
    settings: &Settings,
    operation: Operation,
    content: &[u8],
) -> Result<Zeroizing<Vec<u8>>, ToolError> {
    let key = settings.key.as_bytes();
    let (algorithm, mode, use_random_iv) =
        (settings.algorithm, settings.mode, settings.use_random_iv);

    match operation {
        Operation::Encrypt => {
            let ciphertext = crypto::encrypt(algorithm, mode, key, use_random_iv, content)?;
            Ok(Zeroizing::new(encoding::encode_base64(&ciphertext).into_bytes()))
        }
        Operation::Decrypt => {
            let ciphertext = encoding::decode_base64_strict(content)?;
            Ok(crypto::decrypt(algorithm, mode, key, use_random_iv, &ciphertext)?)
        }
    }
}

/// `file`: MuleSoft's line-based rewrite. It is not a YAML or properties parser: each line is
/// split at the first separator (`:` or `=`), a `#` outside double quotes starts a comment that
/// is kept, a double-quoted value is processed without its quotes and quoted again, and a line
/// without the separator keeps only its comment. Lines end in `\n` whatever the input used.
fn apply_to_file(
    settings: &Settings,
    operation: Operation,
    kind: FileKind,
    text: &str,
) -> Result<Zeroizing<String>, ToolError> {
    let mut output = Zeroizing::new(String::with_capacity(text.len() * 2));
    for line in java_lines(text) {
        if !java_trim(line).is_empty() {
            output.push_str(&rewrite_line(settings, operation, kind, line)?);
        }
        output.push('\n');
    }
    Ok(output)
}

fn rewrite_line(
    settings: &Settings,
    operation: Operation,
    kind: FileKind,
    line: &str,
) -> Result<Zeroizing<String>, ToolError> {
    let separator = if kind == FileKind::Yaml { ':' } else { '=' };
    let comment = comment_of(line);
    let stripped = strip_comment(line);
    let Some(separator_idx) = stripped.find(separator) else {
        return Ok(Zeroizing::new(comment.to_owned()));
    };

    let name = &stripped[..separator_idx];
    let value = java_trim(&stripped[separator_idx + 1..]);
    let mut output = Zeroizing::new(format!("{name}{separator}"));
    if !value.is_empty() {
        if kind == FileKind::Yaml {
            output.push(' ');
        }
        // Java's `split("\"")` drops trailing empty parts: `"a"` gives ["", "a"], `""` gives [].
        let mut parts: Vec<&str> = value.split('"').collect();
        while parts.last() == Some(&"") {
            parts.pop();
        }
        let (inner, quoted) = match parts.len() {
            _ if value.contains("\\\"") => (value, false),
            0 => ("", true),
            1 => (value, false),
            _ => (parts[1], true),
        };
        let processed = rewrite_value(settings, operation, inner)?;
        // Our one deviation: an unquoted `![...]` is a YAML tag, so quote it in YAML files.
        let quote = quoted || (kind == FileKind::Yaml && operation == Operation::Encrypt);
        if quote {
            output.push('"');
            output.push_str(&processed);
            output.push('"');
        } else {
            output.push_str(&processed);
        }
    }
    if !comment.is_empty() {
        output.push(' ');
        output.push_str(comment);
    }
    Ok(output)
}

/// Encrypts a value into `![...]`, or decrypts the `![...]` inside it (from the first `![` to
/// the last `]`); a value without one is left as it is.
fn rewrite_value(
    settings: &Settings,
    operation: Operation,
    value: &str,
) -> Result<Zeroizing<String>, ToolError> {
    if operation == Operation::Encrypt {
        let base64_text = apply_to_string(settings, operation, value)?;
        return Ok(Zeroizing::new(encoding::wrap_encrypted(&base64_text)));
    }

    let Some(start) = value.find("![") else {
        return Ok(Zeroizing::new(value.to_owned()));
    };
    let Some(end) = value.rfind(']').filter(|end| *end >= start + 2) else {
        return Ok(Zeroizing::new(value.to_owned()));
    };
    apply_to_string(settings, operation, &value[start + 2..end])
}

/// The line up to a `#` outside double quotes, and not past a closing double quote.
pub(super) fn strip_comment(line: &str) -> &str {
    let mut is_quoted = false;
    let mut previous = '\0';
    for (idx, c) in line.char_indices() {
        if c == '#' && !is_quoted {
            return &line[..idx];
        }
        if c == '"' && previous != '\\' {
            if is_quoted {
                return &line[..idx + 1];
            }
            is_quoted = true;
        }
        previous = c;
    }
    line
}

/// The comment of a line: from the first `#` outside double quotes to the end.
fn comment_of(line: &str) -> &str {
    let mut is_quoted = false;
    for (idx, c) in line.char_indices() {
        if c == '#' && !is_quoted {
            return &line[idx..];
        }
        if c == '"' {
            is_quoted = !is_quoted;
        }
    }
    ""
}

/// Java's `String.trim`: strips every char up to U+0020 at both ends.
pub(super) fn java_trim(text: &str) -> &str {
    text.trim_matches(|c: char| c <= ' ')
}

/// Lines as Java's readers split them: at `\n`, `\r\n` or `\r`, with no empty last line for a
/// final line break.
pub(super) fn java_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some(end) = rest.find(['\n', '\r']) else {
            lines.push(rest);
            break;
        };
        lines.push(&rest[..end]);
        let skip = if rest[end..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[end + skip..];
    }
    lines
}

fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, ToolError> {
    fs::read(path)
        .map(Zeroizing::new)
        .map_err(|source| ToolError::Read { path: path.to_owned(), source })
}

/// Writes `bytes` to a temporary file next to `path` and renames it into place, so readers
/// see either the old file or the whole new one. With `is_private` the file is created
/// readable by its owner only (on Unix).
fn write_atomically(path: &Path, bytes: &[u8], is_private: bool) -> Result<(), ToolError> {
    let to_error = |source| ToolError::Write { path: path.to_owned(), source };
    let file_name = path
        .file_name()
        .ok_or_else(|| to_error(io::Error::new(io::ErrorKind::InvalidInput, "not a file name")))?;
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temp_path =
        dir.join(format!(".{}.{}.flowrun-tmp", file_name.to_string_lossy(), std::process::id()));

    let result =
        write_new_file(&temp_path, bytes, is_private).and_then(|()| fs::rename(&temp_path, path));
    if result.is_err() {
        // The temporary file is ours; a failure to remove it changes nothing for the user.
        let _ = fs::remove_file(&temp_path);
    }
    result.map_err(to_error)
}

fn write_new_file(path: &Path, bytes: &[u8], is_private: bool) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if is_private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = is_private;

    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The docs' `example_in.yaml`.
    const EXAMPLE_YAML: &str =
        "properties:\n  example1:\n    value: \"Muleman is here\"\n  example2: \"Max the mule\"\n";

    /// Runs the tool and returns (exit code, stdout, stderr).
    fn check(args: &[&str]) -> (i32, String, String) {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let code = run(&args, &mut stdout, &mut stderr);
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("utf-8 output");
        (code, text(stdout), text(stderr))
    }

    /// A fresh directory for one test's files.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("flowrun-secure-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create scratch dir");
        dir
    }

    fn path_arg(dir: &Path, name: &str) -> String {
        dir.join(name).to_str().expect("utf-8 temp path").to_owned()
    }

    #[test]
    fn string_encrypt_and_decrypt() {
        let encrypted =
            check(&["string", "encrypt", "Blowfish", "CBC", "mulesoft", "some value to encrypt"]);
        assert_eq!(encrypted, (0, "8q5e1+jy0cND2iV2WPThahmz6XsDwB6Z\n".into(), String::new()));
        let decrypted = check(&[
            "string",
            "decrypt",
            "Blowfish",
            "CBC",
            "mulesoft",
            "8q5e1+jy0cND2iV2WPThahmz6XsDwB6Z",
        ]);
        assert_eq!(decrypted, (0, "some value to encrypt\n".into(), String::new()));
        let aes = check(&[
            "string",
            "encrypt",
            "AES",
            "CBC",
            "MyEncryptionKey1",
            "bb458e566cba4e2ea5a826d27b46031a",
        ]);
        assert_eq!(aes.1, "smzbg+aV2HbiC9Fv8KBsZpD5PlXiplsfhZ42RWNEbHhUeZ9ZIDftljUx6sYpuQ+b\n");
    }

    #[test]
    fn random_iv_flag_counts_only_last() {
        let (code, stdout, _) =
            check(&["string", "encrypt", "AES", "CBC", "1234567890123456", "x", "--use-random-iv"]);
        assert_eq!(code, 0);
        let base64_text = stdout.trim_end();
        assert_eq!(base64_text.len(), 44);
        let back = check(&[
            "string",
            "decrypt",
            "AES",
            "CBC",
            "1234567890123456",
            base64_text,
            "--use-random-iv",
        ]);
        assert_eq!(back, (0, "x\n".into(), String::new()));
        let misplaced =
            check(&["string", "encrypt", "AES", "CBC", "--use-random-iv", "1234567890123456", "x"]);
        assert_eq!(misplaced.0, 1);
    }

    #[test]
    fn crypto_errors_exit_2_with_the_cause_only() {
        let wrong_key = check(&[
            "string",
            "decrypt",
            "Blowfish",
            "CBC",
            "wrongkey",
            "En8lII21ZHrdIaINw0+mSA==",
        ]);
        assert_eq!(
            wrong_key,
            (
                2,
                String::new(),
                "Given final block not properly padded. Such issues can arise if a bad key is used \
                 during decryption.\n"
                    .into()
            )
        );
        let short_key = check(&["string", "encrypt", "AES", "CBC", "123456789012345", "x"]);
        assert_eq!(short_key, (2, String::new(), "Invalid AES key length: 15 bytes\n".into()));
        let camellia = check(&["string", "encrypt", "Camellia", "CBC", "1234567890123456", "x"]);
        assert_eq!(camellia.0, 2);
        assert!(camellia.2.contains("`Camellia` is not supported"), "{}", camellia.2);
    }

    #[test]
    fn invalid_arguments_exit_1_with_usage() {
        for args in [
            &["string", "encrypt", "RCA", "CBC", "key", "x"][..],
            &["string", "encrypt", "aes", "CBC", "1234567890123456", "x"],
            &["string", "encrypt", "AES", "cbc", "1234567890123456", "x"],
            &["string", "encode", "AES", "CBC", "1234567890123456", "x"],
            &["string", "encrypt", "AES", "CBC", "1234567890123456"],
            &["file", "encrypt", "AES", "CBC", "1234567890123456", "a.yaml", "b.properties"],
            &["file", "encrypt", "AES", "CBC", "1234567890123456", "a.yml", "b.yml"],
            &[],
        ] {
            let (code, stdout, stderr) = check(args);
            assert_eq!((code, stdout.as_str()), (1, ""), "{args:?}");
            assert!(stderr.starts_with("Invalid arguments\nUsage: flowrun secure"), "{stderr}");
        }
        let help = check(&["--help"]);
        assert_eq!((help.0, help.1.as_str()), (0, USAGE));
    }

    #[test]
    fn bad_base64_exits_1_with_the_jdk_message() {
        let spaced = check(&["string", "decrypt", "AES", "CBC", "1234567890123456", "BsV8 no6a"]);
        assert_eq!(spaced, (1, String::new(), "Illegal base64 character 20\n".into()));
    }

    #[test]
    fn file_level_matches_p4() {
        let dir = scratch_dir("file-level");
        let (input, encrypted, output) =
            (path_arg(&dir, "in.yaml"), path_arg(&dir, "enc.yaml"), path_arg(&dir, "out.yaml"));
        fs::write(&input, EXAMPLE_YAML).expect("write input");

        let code =
            check(&["file-level", "encrypt", "Blowfish", "CBC", "mulesoft", &input, &encrypted]);
        assert_eq!(code, (0, String::new(), String::new()));
        assert_eq!(
            fs::read_to_string(&encrypted).expect("encrypted file"),
            "k/J1EHyxJagOcyQELoaqIDCzzKc1bLGJiHY2dv6jzuhtVpP1LTlgK3y8EH7OkK5iuuu8kik3P5dCDMixZXwn/\
             EV6xbUwLFKnEb4x1pUX6aopLP/KULm0pQ=="
        );
        let code =
            check(&["file-level", "decrypt", "Blowfish", "CBC", "mulesoft", &encrypted, &output]);
        assert_eq!(code.0, 0);
        assert_eq!(fs::read_to_string(&output).expect("decrypted file"), EXAMPLE_YAML);

        // A final newline breaks decoding, as in Mule.
        let mut with_newline = fs::read(&encrypted).expect("encrypted file");
        with_newline.push(b'\n');
        fs::write(&encrypted, with_newline).expect("rewrite");
        let broken =
            check(&["file-level", "decrypt", "Blowfish", "CBC", "mulesoft", &encrypted, &output]);
        assert_eq!(
            broken,
            (1, String::new(), "Input byte array has incorrect ending byte at 120\n".into())
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn file_mode_rewrites_values_line_by_line() {
        let dir = scratch_dir("file");
        let (input, encrypted, output) =
            (path_arg(&dir, "in.yaml"), path_arg(&dir, "enc.yaml"), path_arg(&dir, "out.yaml"));
        let yaml = format!("{EXAMPLE_YAML}list:\n  - item\nplain: Max the mule # note\n\n");
        fs::write(&input, yaml).expect("write input");

        let code = check(&["file", "encrypt", "Blowfish", "CBC", "mulesoft", &input, &encrypted]);
        let warnings = format!(
            "warning: {input}:6: this YAML list item (`- ...`) has no `key: value` separator; \
             MuleSoft's tool drops it, and so does flowrun\n\
             warning: {encrypted}: the output does not have the keys of the input: it lost \
             `list.0`\n"
        );
        assert_eq!(code, (0, String::new(), warnings));
        assert_eq!(
            fs::read_to_string(&encrypted).expect("encrypted file"),
            "properties:\n  example1:\n    value: \"![qCReIPK3jcqD7WR84ISSIQ==]\"\n  \
             example2: \"![En8lII21ZHrdIaINw0+mSA==]\"\nlist:\n\n\
             plain: \"![En8lII21ZHrdIaINw0+mSA==]\" # note\n\n"
        );
        let code = check(&["file", "decrypt", "Blowfish", "CBC", "mulesoft", &encrypted, &output]);
        assert_eq!(code, (0, String::new(), String::new()));
        assert_eq!(
            fs::read_to_string(&output).expect("decrypted file"),
            format!("{EXAMPLE_YAML}list:\n\nplain: \"Max the mule\" # note\n\n")
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn file_mode_properties_quirks() {
        let dir = scratch_dir("properties");
        let (input, output) = (path_arg(&dir, "in.properties"), path_arg(&dir, "out.properties"));
        fs::write(
            &input,
            "# header\r\nhash=a#b\r\nquoted=\"a\"\r\nsingle='a'\r\ncontinued\\\r\nempty=\r\n",
        )
        .expect("write input");

        let code = check(&["file", "encrypt", "AES", "CBC", "1234567890123456", &input, &output]);
        assert_eq!(code.0, 0);
        let enc_a = apply_to_string(&aes_settings(), Operation::Encrypt, "a").expect("encrypt a");
        let enc_single = apply_to_string(&aes_settings(), Operation::Encrypt, "'a'").expect("'a'");
        assert_eq!(
            fs::read_to_string(&output).expect("encrypted file"),
            format!(
                "# header\nhash=![{a}] #b\nquoted=\"![{a}]\"\nsingle=![{single}]\n\nempty=\n",
                a = enc_a.as_str(),
                single = enc_single.as_str()
            )
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn file_mode_warns_about_each_mangled_line_without_values() {
        let dir = scratch_dir("warnings");
        let (input, output) = (path_arg(&dir, "in.yaml"), path_arg(&dir, "out.yaml"));
        let yaml = "list:\n  - hunter2\nk: |\n  hunter3\ndb: [\n  hunter4\n]\nn: 5\n";
        fs::write(&input, yaml).expect("write input");
        let (code, stdout, stderr) =
            check(&["file", "encrypt", "AES", "CBC", "1234567890123456", &input, &output]);
        assert_eq!((code, stdout.as_str()), (0, ""));
        let lines: Vec<&str> = stderr.lines().collect();
        let starts = [
            format!("warning: {input}:2: this YAML list item"),
            format!("warning: {input}:3: `k` starts a block scalar (`|`)"),
            format!("warning: {input}:4: this line belongs to the block scalar of `k`"),
            format!("warning: {input}:5: `db` opens a flow collection (`[`)"),
            format!("warning: {input}:6: this line belongs to the flow collection of `db`"),
            format!("warning: {input}:7: this line belongs to the flow collection of `db`"),
            format!("warning: {input}:8: the value of `n` is a YAML number"),
            format!("warning: {output}: the output does not have the keys of the input"),
        ];
        assert_eq!(lines.len(), starts.len(), "{stderr}");
        for (line, start) in lines.iter().zip(&starts) {
            assert!(line.starts_with(start.as_str()), "{line}");
        }
        assert!(!stderr.contains("hunter"), "{stderr}");

        let (input, output) = (path_arg(&dir, "in.properties"), path_arg(&dir, "out.properties"));
        fs::write(&input, "a=hunter2\\\n  hunter3\nd : hunter4\n").expect("write input");
        let (code, _, stderr) =
            check(&["file", "encrypt", "AES", "CBC", "1234567890123456", &input, &output]);
        assert_eq!(code, 0);
        assert_eq!(stderr.lines().count(), 3, "{stderr}");
        assert!(stderr.contains(&format!("warning: {input}:3: `d` uses `:` as its separator")));
        assert!(!stderr.contains("hunter"), "{stderr}");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn failures_leave_no_output_file() {
        let dir = scratch_dir("atomic");
        let (input, output) = (path_arg(&dir, "in.yaml"), path_arg(&dir, "out.yaml"));
        fs::write(&input, "a: \"![notbase64!]\"\n").expect("write input");
        let failed = check(&["file", "decrypt", "AES", "CBC", "1234567890123456", &input, &output]);
        assert_eq!(failed.0, 1);
        assert!(!Path::new(&output).exists());
        assert_eq!(fs::read_dir(&dir).expect("list").count(), 1, "a temporary file was left");

        let missing =
            check(&["file", "encrypt", "AES", "CBC", "1234567890123456", "nope.yaml", &output]);
        assert_eq!(missing.0, 3);
        assert!(missing.2.starts_with("cannot read `nope.yaml`: "), "{}", missing.2);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn key_sources() {
        let dir = scratch_dir("key");
        let key_file = path_arg(&dir, "key.txt");
        fs::write(&key_file, "mulesoft\n").expect("write key");
        let from_file = check(&[
            "string",
            "encrypt",
            "Blowfish",
            "CBC",
            &format!("file:{key_file}"),
            "Max the mule",
        ]);
        assert_eq!(from_file, (0, "En8lII21ZHrdIaINw0+mSA==\n".into(), String::new()));

        // Any variable that is set will do as a Blowfish key (1 to 56 bytes).
        let picked = std::env::vars().find(|(_, value)| (1..=56).contains(&value.len()));
        if let Some((name, value)) = picked {
            let via_env =
                check(&["string", "encrypt", "Blowfish", "CBC", &format!("env:{name}"), "x"]);
            let literal = check(&["string", "encrypt", "Blowfish", "CBC", &value, "x"]);
            assert_eq!(via_env, literal);
        }
        let missing =
            check(&["string", "encrypt", "AES", "CBC", "env:FLOWRUN_TEST_SURELY_UNSET", "x"]);
        assert_eq!(
            missing,
            (1, String::new(), "the key variable `FLOWRUN_TEST_SURELY_UNSET` is not set\n".into())
        );
        if std::env::var_os(KEY_ENV_VAR).is_none() {
            let dash = check(&["string", "encrypt", "AES", "CBC", "-", "x"]);
            assert_eq!(dash.2, "the key variable `FLOWRUN_SECURE_KEY` is not set\n");
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn edge_inputs() {
        let empty_key = check(&["string", "encrypt", "AES", "CBC", "", "x"]);
        assert_eq!(empty_key, (1, String::new(), "Empty key\n".into()));
        let empty_value = check(&["string", "decrypt", "AES", "CBC", "1234567890123456", ""]);
        assert_eq!(empty_value, (0, "\n".into(), String::new()));
        let short_random = check(&[
            "string",
            "decrypt",
            "AES",
            "CBC",
            "1234567890123456",
            "AAAA",
            "--use-random-iv",
        ]);
        assert_eq!(
            short_random,
            (2, String::new(), "Could not encrypt or decrypt the data.\n".into())
        );

        let dir = scratch_dir("edge");
        let input = path_arg(&dir, "in.properties");
        fs::write(&input, "a=b\n").expect("write input");
        let in_place =
            check(&["file", "encrypt", "AES", "ECB", "1234567890123456", &input, &input]);
        assert_eq!(in_place.0, 0);
        assert!(fs::read_to_string(&input).expect("rewritten").starts_with("a=!["));
        let nowhere = path_arg(&dir, "missing/out.properties");
        let failed =
            check(&["file", "encrypt", "AES", "CBC", "1234567890123456", &input, &nowhere]);
        assert_eq!(failed.0, 3);
        assert!(failed.2.starts_with("cannot write `"), "{}", failed.2);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn java_line_splitting() {
        assert_eq!(java_lines("a\r\nb\rc\n"), ["a", "b", "c"]);
        assert_eq!(java_lines("a\n\n"), ["a", ""]);
        assert!(java_lines("").is_empty());
        assert_eq!(strip_comment("k: \"a#b\" # c"), "k: \"a#b\"");
        assert_eq!(comment_of("k: \"a#b\" # c"), "# c");
    }

    fn aes_settings() -> Settings {
        Settings {
            algorithm: Algorithm::Aes,
            mode: Mode::Cbc,
            key: Zeroizing::new("1234567890123456".to_owned()),
            use_random_iv: false,
        }
    }
}
