//! Evaluates many DataWeave scripts in one process, for the differential fuzzer
//! (`engine/src/expr/tests/dw_fuzz.py`), which compares flowrun with MuleSoft's engine.
//!
//! Reads JSON lines on stdin, each `{"script": "...", "payload": "<JSON text>"}`, and writes
//! one JSON line per case on stdout, in order: `{"output": "<text>"}` when the script runs,
//! `{"error": "<message>"}` when it does not compile or fails, `{"panic": "<message>"}` when
//! flowrun panics (always a bug). The payload is given as JSON bytes with an
//! `application/json` media type, as an HTTP body arrives; the result is written with
//! [`to_text`], so a script with `output application/json` yields JSON text.
//!
//! Run with `cargo run -p flowrun-engine --release --example dw_eval < cases.jsonl`.

use std::io::{self, BufRead, Write};
use std::panic::{self, AssertUnwindSafe};

use flowrun_engine::diag::Span;
use flowrun_engine::event::{Event, Message};
use flowrun_engine::expr::{Expr, Scope, to_text};
use flowrun_engine::props::NoProperties;
use flowrun_engine::value::{MediaType, TypedValue, Value};

fn main() -> io::Result<()> {
    // The panic message is reported in the answer line; the default hook would also print it.
    panic::set_hook(Box::new(|_| {}));
    let stdin = io::stdin();
    let mut stdout = io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(case) => answer(&case),
            Err(err) => serde_json::json!({"error": format!("bad case line: {err}")}),
        };
        writeln!(stdout, "{answer}")?;
        stdout.flush()?;
    }
    Ok(())
}

/// Runs one case, turning a panic into an answer so that one bug does not end the batch.
fn answer(case: &serde_json::Value) -> serde_json::Value {
    let script = case["script"].as_str().unwrap_or_default();
    let payload = case["payload"].as_str().unwrap_or("null");
    match panic::catch_unwind(AssertUnwindSafe(|| run(script, payload))) {
        Ok(Ok(output)) => serde_json::json!({"output": output}),
        Ok(Err(message)) => serde_json::json!({"error": message}),
        Err(cause) => {
            let message = cause
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| cause.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned());
            serde_json::json!({"panic": message})
        }
    }
}

fn run(script: &str, payload: &str) -> Result<String, String> {
    let expr = Expr::compile(script, Span::default()).map_err(|diag| format!("{diag:?}"))?;
    let body = TypedValue::new(Value::Binary(payload.to_owned().into()), MediaType::json());
    let event = Event::new(Message::of(body));
    let scope = Scope::of(&event, &NoProperties);
    let value = expr.eval(&scope).map_err(|err| err.message)?;
    Ok(to_text(&value))
}
