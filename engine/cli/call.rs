//! `flowrun call`: runs one flow once and prints the resulting message as JSON.

use std::process::ExitCode;

use flowrun_engine::event::{Event, Message};
use flowrun_engine::runtime::FlowFailure;
use flowrun_engine::value::{MediaType, TypedValue, Value};
use json::to_json;

use crate::CallArgs;

pub(crate) async fn call(args: &CallArgs) -> ExitCode {
    let Some(app) = crate::load(&args.app) else { return ExitCode::from(2) };
    let Some(runner) = app.runner(&args.flow) else {
        let names: Vec<&str> = app.flows.iter().map(|f| f.name.as_str()).collect();
        errln!("error: the app has no flow named `{}`; its flows: {}", args.flow, names.join(", "));
        return ExitCode::from(2);
    };
    let payload = match read_payload(args.payload.as_deref()) {
        Ok(payload) => payload,
        Err(err) => {
            errln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let attributes = Value::object(args.attributes.iter().map(|(key, text)| {
        let value = Value::from_argument(text);
        let value = if key == "headers" { lowercase_header_names(value) } else { value };
        (key.as_str(), value)
    }));
    let message = Message { payload, attributes: TypedValue::java(attributes) };
    let result = runner.run(Event::new(message)).await;
    let code = print_result(args, result);
    // `async` scopes may still be working: let them finish (and log) before the process
    // ends, as a running app would; the result is out already.
    app.finish_background().await;
    code
}

fn print_result(args: &CallArgs, result: Result<Event, Box<FlowFailure>>) -> ExitCode {
    match result {
        Ok(event) => {
            let vars: serde_json::Map<String, serde_json::Value> =
                event.vars.iter().map(|(name, value)| (name.clone(), to_json(value))).collect();
            let out = serde_json::json!({
                "payload": to_json(&event.message.payload),
                "mediaType": event.message.payload.media_type.to_string(),
                "vars": vars,
            });
            match crate::out_line(&out.to_string()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(code) => code,
            }
        }
        Err(failure) => {
            let error = &failure.error;
            errln!("error: flow `{}` failed", args.flow);
            errln!("Error type            : {}", error.error_type);
            errln!("Description           : {}", error.description);
            ExitCode::from(1)
        }
    }
}

/// The `--payload` argument as a JSON payload; none means a null payload.
fn read_payload(arg: Option<&str>) -> Result<TypedValue, String> {
    let Some(arg) = arg else { return Ok(TypedValue::null()) };
    let text = match arg.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|err| format!("cannot read `{path}`: {err}"))?
        }
        None => arg.to_owned(),
    };
    serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|err| format!("--payload is not valid JSON: {err}"))?;
    Ok(TypedValue::new(Value::Binary(text.into_bytes().into()), MediaType::json()))
}

/// A headers object with its names in lowercase, as Mule's listener gives them, so that
/// lookups through `attributes.headers`, which ignore case, find them; anything else as it is.
pub(crate) fn lowercase_header_names(headers: Value) -> Value {
    match headers {
        Value::Object(pairs) => {
            Value::object(pairs.iter().map(|(name, value)| (name.to_lowercase(), value.clone())))
        }
        other => other,
    }
}

mod json {
    //! Conversion of flow values to JSON for printing.

    use flowrun_engine::expr::{to_bytes, to_text};
    use flowrun_engine::value::{TypedValue, Value};

    /// A value as JSON: JSON payloads embedded as JSON, other binaries and strings as text,
    /// native structures through the DataWeave JSON writer.
    pub(crate) fn to_json(value: &TypedValue) -> serde_json::Value {
        let as_text = || serde_json::Value::String(to_text(value));
        match &value.value {
            Value::Binary(bytes) if value.media_type.is_json() => {
                serde_json::from_slice(bytes).unwrap_or_else(|_| as_text())
            }
            // Text typed as JSON, as `set-payload value='{"k": 1}' mimeType="application/json"`
            // leaves it: the JSON it holds.
            Value::String(text) if value.media_type.is_json() => {
                serde_json::from_str(text).unwrap_or_else(|_| as_text())
            }
            Value::Binary(_)
            | Value::String(_)
            | Value::Temporal(_)
            | Value::Period(_)
            | Value::TimeZone(_) => as_text(),
            Value::Null => serde_json::Value::Null,
            _ => match to_bytes(value) {
                Ok((bytes, media_type)) if media_type.is_json() => {
                    serde_json::from_slice(&bytes).unwrap_or_else(|_| as_text())
                }
                _ => as_text(),
            },
        }
    }
}
