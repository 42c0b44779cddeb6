//! Mule's core steps: `set-variable`, `set-payload` and `logger`.

use std::sync::Arc;

use futures::future::BoxFuture;

use flowrun_engine::event::{Event, MuleError};
use flowrun_engine::expr::{Scope, Template, ValueExpr};
use flowrun_engine::plugin::{
    AttrSpec, BuildContext, Kind, Processor, ProcessorKind, Registry, Schema, StepContext,
};
use flowrun_engine::value::{MediaType, TypedValue};
use flowrun_engine::xml::{Element, ns};

/// Adds the core steps to a registry.
pub fn register(registry: &mut Registry) {
    registry.add(Kind::Processor(Box::new(SetVariableKind)));
    registry.add(Kind::Processor(Box::new(SetPayloadKind)));
    registry.add(Kind::Processor(Box::new(LoggerKind)));
}

/// The logger category Mule uses when `category` is not given.
pub const DEFAULT_LOGGER_CATEGORY: &str =
    "org.mule.runtime.core.internal.processor.LoggerMessageProcessor";

/// `<set-variable variableName="x" value="#[...]"/>`: stores a value in `vars.x`.
struct SetVariableKind;

static SET_VARIABLE: Schema = Schema {
    attributes: &[
        AttrSpec::required("variableName"),
        AttrSpec::required("value"),
        AttrSpec::optional("mimeType"),
        AttrSpec::optional("encoding"),
    ],
    children: &[],
    text: false,
};

flowrun_engine::component!(
    SetVariableKind,
    ns::CORE,
    "set-variable",
    "stores the value of an expression in a flow variable",
    &SET_VARIABLE
);

impl ProcessorKind for SetVariableKind {
    fn build(&self, element: &Element, cx: &mut BuildContext<'_>) -> Option<Arc<dyn Processor>> {
        let name = cx.variable_name(element.attr("variableName")?)?;
        let value = cx.value_or_template(element.attr("value")?)?;
        let label = media_type_label(element, cx)?;
        Some(Arc::new(SetVariable { name, value, label }))
    }
}

struct SetVariable {
    name: String,
    value: ValueExpr,
    label: Option<MediaType>,
}

impl Processor for SetVariable {
    fn process<'a>(
        &'a self,
        event: &'a mut Event,
        cx: &'a StepContext<'a>,
    ) -> BoxFuture<'a, Result<(), MuleError>> {
        Box::pin(async move {
            let value = eval(&self.value, event, cx, self.label.as_ref())?;
            event.vars.insert(self.name.clone(), value);
            Ok(())
        })
    }
}

/// `<set-payload value="#[...]"/>`: replaces the payload, keeps the attributes.
struct SetPayloadKind;

static SET_PAYLOAD: Schema = Schema {
    attributes: &[
        AttrSpec::required("value"),
        AttrSpec::optional("mimeType"),
        AttrSpec::optional("encoding"),
    ],
    children: &[],
    text: false,
};

flowrun_engine::component!(
    SetPayloadKind,
    ns::CORE,
    "set-payload",
    "replaces the payload with the value of an expression",
    &SET_PAYLOAD
);

impl ProcessorKind for SetPayloadKind {
    fn build(&self, element: &Element, cx: &mut BuildContext<'_>) -> Option<Arc<dyn Processor>> {
        let value = cx.value_or_template(element.attr("value")?)?;
        let label = media_type_label(element, cx)?;
        Some(Arc::new(SetPayload { value, label }))
    }
}

struct SetPayload {
    value: ValueExpr,
    label: Option<MediaType>,
}

impl Processor for SetPayload {
    fn process<'a>(
        &'a self,
        event: &'a mut Event,
        cx: &'a StepContext<'a>,
    ) -> BoxFuture<'a, Result<(), MuleError>> {
        Box::pin(async move {
            event.message.payload = eval(&self.value, event, cx, self.label.as_ref())?;
            Ok(())
        })
    }
}

/// Evaluates a value for an event; `label` (from `mimeType`/`encoding`) only relabels the
/// result, as in Mule, where these attributes do not convert anything.
fn eval(
    value: &ValueExpr,
    event: &Event,
    cx: &StepContext<'_>,
    label: Option<&MediaType>,
) -> Result<TypedValue, MuleError> {
    let scope = Scope::of(event, cx.properties).in_flow(cx.app_name, cx.flow_name);
    let mut result = value.eval(&scope).map_err(|err| expression_error(&err.message, value))?;
    if let Some(label) = label {
        result.media_type = label.clone();
    }
    Ok(result)
}

/// A `MULE:EXPRESSION` error in Mule's wording.
pub fn expression_error(message: &str, value: &ValueExpr) -> MuleError {
    let source = match value {
        ValueExpr::Expr(expr) => expr.source().to_owned(),
        ValueExpr::Literal(text) => text.to_string(),
        ValueExpr::Template(template) => template.source().to_owned(),
    };
    MuleError::expression_failed(message, &source)
}

/// The media type given by `mimeType` and `encoding`, if any; `Some(None)` when neither is set.
fn media_type_label(element: &Element, cx: &mut BuildContext<'_>) -> Option<Option<MediaType>> {
    let encoding = element.attr_value("encoding");
    let Some(mime) = element.attr("mimeType") else {
        return Some(encoding.map(|charset| MediaType::any().with_charset(charset)));
    };
    let Some(mut media_type) = MediaType::parse(&mime.value) else {
        cx.error(
            mime.value_span,
            format!("`{}` is not a media type such as `application/json`", mime.value),
        );
        return None;
    };
    if let Some(charset) = encoding {
        media_type = media_type.with_charset(charset);
    }
    Some(Some(media_type))
}

/// `<logger level="INFO" category="..." message="text #[expr]"/>`: writes one log line.
struct LoggerKind;

static LOGGER: Schema = Schema {
    attributes: &[
        AttrSpec::optional("message"),
        AttrSpec::optional("level"),
        AttrSpec::optional("category"),
    ],
    children: &[],
    text: false,
};

flowrun_engine::component!(
    LoggerKind,
    ns::CORE,
    "logger",
    "logs a message built from text and expressions",
    &LOGGER
);

/// Logger levels, as Mule names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl ProcessorKind for LoggerKind {
    fn build(&self, element: &Element, cx: &mut BuildContext<'_>) -> Option<Arc<dyn Processor>> {
        let level = match element.attr("level") {
            None => Level::Info,
            Some(attr) => match attr.value.as_str() {
                "ERROR" => Level::Error,
                "WARN" => Level::Warn,
                "INFO" => Level::Info,
                "DEBUG" => Level::Debug,
                "TRACE" => Level::Trace,
                other => {
                    cx.report(
                        flowrun_engine::diag::Diagnostic::error(
                            attr.value_span,
                            format!("unknown logger level `{other}`"),
                        )
                        .with_note("expected one of: ERROR, WARN, INFO, DEBUG, TRACE"),
                    );
                    return None;
                }
            },
        };
        let message = match element.attr("message") {
            Some(attr) => Some(cx.template(attr)?),
            None => None,
        };
        let category = element.attr_value("category").unwrap_or(DEFAULT_LOGGER_CATEGORY).to_owned();
        Some(Arc::new(Logger { level, message, category }))
    }
}

struct Logger {
    level: Level,
    message: Option<Template>,
    category: String,
}

impl Processor for Logger {
    fn process<'a>(
        &'a self,
        event: &'a mut Event,
        cx: &'a StepContext<'a>,
    ) -> BoxFuture<'a, Result<(), MuleError>> {
        Box::pin(async move {
            // Rendering the message costs more than the rest of the step: skip it when the
            // line would be filtered out anyway.
            let enabled = match self.level {
                Level::Error => tracing::enabled!(target: "flowrun::mule", tracing::Level::ERROR),
                Level::Warn => tracing::enabled!(target: "flowrun::mule", tracing::Level::WARN),
                Level::Info => tracing::enabled!(target: "flowrun::mule", tracing::Level::INFO),
                Level::Debug => tracing::enabled!(target: "flowrun::mule", tracing::Level::DEBUG),
                Level::Trace => tracing::enabled!(target: "flowrun::mule", tracing::Level::TRACE),
            };
            if !enabled {
                return Ok(());
            }
            let text = match &self.message {
                Some(template) => {
                    let scope = Scope::of(event, cx.properties).in_flow(cx.app_name, cx.flow_name);
                    template.render(&scope).map_err(|err| {
                        MuleError::expression(MuleError::quoted_dw_message(&err.message))
                    })?
                }
                None => describe_message(event),
            };
            let category = self.category.as_str();
            let processor = cx.processor_path;
            let id = &*event.correlation_id;
            let (app, flow) = (cx.app_name, cx.flow_name);
            match self.level {
                Level::Error => {
                    tracing::error!(target: "flowrun::mule", category, processor, event = id, app, flow, "{text}")
                }
                Level::Warn => {
                    tracing::warn!(target: "flowrun::mule", category, processor, event = id, app, flow, "{text}")
                }
                Level::Info => {
                    tracing::info!(target: "flowrun::mule", category, processor, event = id, app, flow, "{text}")
                }
                Level::Debug => {
                    tracing::debug!(target: "flowrun::mule", category, processor, event = id, app, flow, "{text}")
                }
                Level::Trace => {
                    tracing::trace!(target: "flowrun::mule", category, processor, event = id, app, flow, "{text}")
                }
            }
            Ok(())
        })
    }
}

/// What a logger without `message` prints: the message's parts, as Mule's
/// `Message.toString()` does, but with the payload's text rather than a Java object id.
fn describe_message(event: &Event) -> String {
    let payload = &event.message.payload;
    format!(
        "\nMessage\n{{\n  payload={}\n  mediaType={}\n  attributesMediaType={}\n}}",
        flowrun_engine::expr::to_text(payload),
        payload.media_type,
        event.message.attributes.media_type,
    )
}
