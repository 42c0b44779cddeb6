//! Runs flows: passes an event through each step in turn, and handles what fails.
//!
//! A flow that fails without an error handler of its own gets Mule's default handler: the
//! error is logged once at ERROR, in Mule's block layout, and handed back to the source
//! (the HTTP listener then answers 500 with the error's description).

use std::sync::Arc;

use tracing::Instrument;

use crate::event::{Event, MuleError};
use crate::plugin::{Processor, Source, StepContext};
use crate::props::Properties;
use crate::secret::SecretStore;

/// The category Mule's default error handler logs under.
pub const ERROR_HANDLER_CATEGORY: &str =
    "org.mule.runtime.core.internal.exception.OnErrorPropagateHandler";

/// A flow ready to run.
pub struct Flow {
    /// The flow's name.
    pub name: String,
    /// What starts it, if anything.
    pub source: Option<Arc<dyn Source>>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step of a flow with what error reports say about it.
pub struct Step {
    /// The step.
    pub processor: Arc<dyn Processor>,
    /// Mule's processor path, `flow/processors/N` (the source is not counted).
    pub path: String,
    /// `path @ app:file.xml:line (doc:name)`, Mule's `Element` line.
    pub element: String,
    /// The start tag as written, Mule's `Element DSL` line (raw text: no resolved secrets).
    pub dsl: String,
    /// The element's name as written, such as `http:request`.
    pub qname: String,
}

/// What all flows of an app share.
pub struct AppShared {
    /// The app's name.
    pub name: String,
    /// The app's properties, for `p()`.
    pub properties: Arc<Properties>,
    /// The app's secrets, masked in error descriptions.
    pub secrets: SecretStore,
}

/// A handle that runs one flow; sources keep one per flow they start.
#[derive(Clone)]
pub struct FlowRunner {
    flow: Arc<Flow>,
    app: Arc<AppShared>,
}

/// A failed run: the error and the event as it was when the failing step started.
#[derive(Debug)]
pub struct FlowFailure {
    /// The error.
    pub error: MuleError,
    /// The event at the time of failure.
    pub event: Event,
}

impl FlowRunner {
    /// A runner for a flow of an app.
    pub fn new(flow: Arc<Flow>, app: Arc<AppShared>) -> FlowRunner {
        FlowRunner { flow, app }
    }

    /// The flow's name.
    pub fn flow_name(&self) -> &str {
        &self.flow.name
    }

    /// The app's name.
    pub fn app_name(&self) -> &str {
        &self.app.name
    }

    /// The app's properties, for sources that evaluate expressions outside the flow's steps
    /// (such as the HTTP listener's response builders).
    pub fn properties(&self) -> &Properties {
        &self.app.properties
    }

    /// Runs the flow's steps on an event.
    ///
    /// # Errors
    ///
    /// The first step that fails stops the flow; its error is logged and returned.
    pub async fn run(&self, event: Event) -> Result<Event, Box<FlowFailure>> {
        let span = tracing::info_span!("flow", name = %self.flow.name, correlation_id = %event.correlation_id);
        self.run_steps(event).instrument(span).await
    }

    async fn run_steps(&self, mut event: Event) -> Result<Event, Box<FlowFailure>> {
        for step in &self.flow.steps {
            let cx = StepContext {
                app_name: &self.app.name,
                flow_name: &self.flow.name,
                processor_path: &step.path,
                properties: self.app.properties.as_ref(),
            };
            let span = tracing::debug_span!("step", kind = %step.qname, path = %step.path);
            if let Err(mut error) = step.processor.process(&mut event, &cx).instrument(span).await {
                error.failing_component = Some(step.path.clone());
                // A description can quote a URL or a value built from a secret; it is
                // logged and may be sent to an HTTP client, so mask secrets now.
                if let std::borrow::Cow::Owned(masked) = self.app.secrets.redact(&error.description)
                {
                    error.description = masked;
                }
                log_unhandled(&error, step, &cx, &event.correlation_id);
                return Err(Box::new(FlowFailure { error, event }));
            }
        }
        Ok(event)
    }
}

/// Logs an error that no handler caught, in Mule's block layout.
fn log_unhandled(error: &MuleError, step: &Step, cx: &StepContext<'_>, correlation_id: &str) {
    let flow_name = cx.flow_name;
    let line = "*".repeat(80);
    let block = format!(
        "\n{line}\n\
         Message               : {}\n\
         Element               : {}\n\
         Element DSL           : {}\n\
         Error type            : {}\n\
         FlowStack             : at {flow_name}({})\n\
         \n  (set debug level logging or '-Dmule.verbose.exceptions=true' for everything)\n\
         {line}",
        error.description, step.element, step.dsl, error.error_type, step.element,
    );
    tracing::error!(
        target: "flowrun::mule",
        category = ERROR_HANDLER_CATEGORY,
        processor = %step.path,
        event = %correlation_id,
        app = cx.app_name,
        flow = flow_name,
        "{block}"
    );
}
