//! The `flowrun` command line: runs, calls and validates Mule apps, evaluates DataWeave
//! scripts, and encrypts values for secure properties.
//!
//! Exit codes: 0 success, 1 a flow or script failed, 2 invalid configuration or usage.
//!
//! Every write to stderr goes through `errln!`, never `eprintln!`, which panics (exit 101)
//! when stderr is a closed pipe (`flowrun dw x 2>&1 | true`).

/// Writes a line to stderr as `eprintln!` does, but ignores a failed write: when stderr is
/// gone there is nowhere left to report to, and the exit code still says what happened.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Writes a line to stdout; when that fails (a closed pipe), says so on stderr and gives
/// exit code 1, as a result that could not be delivered.
fn out_line(line: &str) -> Result<(), ExitCode> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}").and_then(|()| stdout.flush()).map_err(|err| {
        errln!("error: cannot write the result: {err}");
        ExitCode::from(1)
    })
}

mod call;
mod dw;
mod logging;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use flowrun_engine::model::{self, App, LoadOptions};

/// Each request allocates its attributes, values and media types; mimalloc serves these small,
/// short-lived allocations faster than glibc's allocator (see bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs Mule 4 flows in a small, fast runtime.
#[derive(Parser)]
#[command(name = "flowrun", version, about, long_about = None)]
#[command(after_help = "Without a subcommand, `flowrun APP.xml...` is `flowrun run APP.xml...`.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start every flow's source and serve until SIGINT or SIGTERM.
    Run(RunArgs),
    /// Run one flow once, without its source, and print the resulting message as JSON.
    Call(CallArgs),
    /// Load an app and report every problem found.
    Validate(AppArgs),
    /// Evaluate a DataWeave script, as MuleSoft's DataWeave CLI does.
    Dw(dw::DwArgs),
    /// Encrypt or decrypt values the way MuleSoft's Secure Properties Tool does.
    #[command(disable_help_flag = true)]
    Secure {
        /// `<string|file|file-level> <encrypt|decrypt> <ALGORITHM> <MODE> <KEY> <VALUE | IN OUT> [--use-random-iv]`
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// The app to load and the properties to give it.
#[derive(Args)]
struct AppArgs {
    /// Mule XML files, or folders (a Mule project folder loads src/main/mule).
    #[arg(required = true, value_name = "APP")]
    paths: Vec<PathBuf>,
    /// Set a system property: `-Dname=value` or `-D name=value`.
    #[arg(short = 'D', value_name = "NAME=VALUE", value_parser = parse_key_value)]
    define: Vec<(String, String)>,
    /// Read system properties from a `.properties` or `.yaml` file, such as one holding
    /// `mule.key`: unlike `-D`, this keeps secrets out of the process list and shell history.
    /// `-D` values win over the file's.
    #[arg(long = "properties", value_name = "FILE")]
    properties_files: Vec<PathBuf>,
}

/// How the app logs.
#[derive(Args)]
struct LogArgs {
    /// Which log lines to write: a level, then `category=level` overrides, such as
    /// `warn,orders-api=debug`. Default: the `FLOWRUN_LOG` variable, else `info`.
    #[arg(long = "log-level", value_name = "LEVELS")]
    log_level: Option<String>,
    /// `mule` for Mule's line layout, `json` for one JSON object per line.
    #[arg(long = "log-format", value_enum, default_value_t, value_name = "FORMAT")]
    log_format: logging::LogFormat,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    app: AppArgs,
    #[command(flatten)]
    log: LogArgs,
}

#[derive(Args)]
struct CallArgs {
    #[command(flatten)]
    app: AppArgs,
    #[command(flatten)]
    log: LogArgs,
    /// The flow to run.
    #[arg(long, value_name = "NAME")]
    flow: String,
    /// The payload: JSON text, or `@FILE` to read it from a file.
    #[arg(long, value_name = "JSON|@FILE")]
    payload: Option<String>,
    /// An attribute of the message: `KEY=VALUE` (repeatable).
    #[arg(long = "attribute", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    attributes: Vec<(String, String)>,
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
}

const SUBCOMMANDS: &[&str] = &["run", "call", "validate", "dw", "secure", "help"];

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().collect();
    // `flowrun app.xml` means `flowrun run app.xml`.
    let first = args.get(1).map(String::as_str);
    let is_flag = first.is_some_and(|a| a.starts_with('-') && !a.starts_with("-D"));
    // A bare word that is not a file (`flowrun frob`) is a mistyped subcommand, not an app.
    let looks_like_app = |arg: &str| arg.contains(['.', '/']) || std::path::Path::new(arg).exists();
    if let Some(first) = first
        && !is_flag
        && !SUBCOMMANDS.contains(&first)
        && looks_like_app(first)
    {
        args.insert(1, "run".to_owned());
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match cli.command {
        Command::Secure { args } => secure(&args),
        Command::Validate(app) => validate(&app),
        Command::Dw(args) => dw::dw(&args),
        Command::Run(run) => with_runtime(&run.log, || serve(&run.app)),
        Command::Call(call) => with_runtime(&call.log, || call::call(&call)),
    }
}

fn secure(args: &[String]) -> ExitCode {
    let code = flowrun_plugins::secure_properties::tool::run(
        args,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn with_runtime<F: std::future::Future<Output = ExitCode>>(
    log: &LogArgs,
    body: impl FnOnce() -> F,
) -> ExitCode {
    let (spec, source) = match &log.log_level {
        Some(spec) => (spec.clone(), "--log-level"),
        None => (std::env::var("FLOWRUN_LOG").unwrap_or_else(|_| "info".into()), "FLOWRUN_LOG"),
    };
    match logging::Levels::parse(&spec) {
        Ok(levels) => logging::init(levels, log.log_format),
        Err(err) => {
            errln!("error: {source}: {err}");
            return ExitCode::from(2);
        }
    }
    // Expressions recurse per nesting level; 8 MiB leaves room for the deepest script the
    // language accepts (256 nested calls), even in a debug build.
    match tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(8 << 20)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(body()),
        Err(err) => {
            errln!("error: cannot start the async runtime: {err}");
            ExitCode::from(2)
        }
    }
}

/// Loads the app, printing every diagnostic; `None` when it has errors.
fn load(app: &AppArgs) -> Option<App> {
    let mut system_properties = BTreeMap::new();
    for path in &app.properties_files {
        let entries = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read `{}`: {err}", path.display()))
            .and_then(|text| {
                flowrun_engine::props::read_properties_file(path, &text)
                    .map_err(|err| err.to_string())
            });
        match entries {
            Ok(entries) => system_properties.extend(entries.into_iter().map(|e| (e.key, e.value))),
            Err(message) => {
                errln!("error: {message}");
                return None;
            }
        }
    }
    system_properties.extend(app.define.iter().cloned());
    let options = LoadOptions { system_properties, use_env: true, app_name: None };
    let registry = flowrun_plugins::registry();
    match model::load(&app.paths, &registry, &options) {
        Ok(loaded) => {
            logging::mask_secrets(&loaded.secrets);
            for warning in &loaded.warnings {
                errln!("{}", warning.render(&loaded.sources));
            }
            Some(loaded)
        }
        Err(err) => {
            errln!("{err}");
            let n_errors = err.n_errors();
            errln!(
                "error: the app did not load: {n_errors} error{}",
                if n_errors == 1 { "" } else { "s" }
            );
            None
        }
    }
}

fn validate(app: &AppArgs) -> ExitCode {
    match load(app) {
        Some(loaded) => {
            let n_flows = loaded.flows.len();
            let plural = if n_flows == 1 { "" } else { "s" };
            match out_line(&format!("{}: ok, {n_flows} flow{plural}", loaded.name)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(code) => code,
            }
        }
        None => ExitCode::from(2),
    }
}

async fn serve(app: &AppArgs) -> ExitCode {
    let Some(loaded) = load(app) else { return ExitCode::from(2) };
    if let Err(err) = loaded.start().await {
        errln!("error: {err}");
        loaded.stop().await;
        return ExitCode::from(2);
    }
    tracing::info!(target: "flowrun", "app `{}` started", loaded.name);
    wait_for_shutdown().await;
    tracing::info!(target: "flowrun", "stopping: waiting for requests in flight");
    loaded.stop().await;
    tracing::info!(target: "flowrun", "app `{}` stopped", loaded.name);
    ExitCode::SUCCESS
}

async fn wait_for_shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
