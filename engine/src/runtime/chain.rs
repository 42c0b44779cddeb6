//! Chains of steps and how a failure travels out of them.

use std::sync::Arc;

use futures::future::BoxFuture;
use tracing::Instrument;

use crate::event::{ErrorType, Event, MuleError};
use crate::plugin::{Processor, StepContext};
use crate::runtime::{AppShared, Router};

/// Steps run one after the other: a flow's body, a route of `choice`, the body of `try`.
#[derive(Default)]
pub struct Chain {
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step of a chain.
pub struct Step {
    pub(crate) action: Action,
    /// `<error-mapping>`s of an operation: errors of the source type (any, when `None`) are
    /// re-raised with the target type. The first that matches applies.
    pub(crate) error_mappings: Vec<(Option<ErrorType>, ErrorType)>,
    /// Where the step is, for error reports and log lines.
    pub info: Arc<StepInfo>,
}

impl Step {
    /// A step that runs a plugin's processor.
    pub fn processor(processor: Arc<dyn Processor>, info: StepInfo) -> Step {
        Step {
            action: Action::Processor(processor),
            error_mappings: Vec::new(),
            info: Arc::new(info),
        }
    }

    /// The step with `<error-mapping>`s.
    pub(crate) fn with_error_mappings(
        mut self,
        mappings: Vec<(Option<ErrorType>, ErrorType)>,
    ) -> Step {
        self.error_mappings = mappings;
        self
    }

    pub(crate) fn router(router: Router, info: StepInfo) -> Step {
        Step {
            action: Action::Router(Box::new(router)),
            error_mappings: Vec::new(),
            info: Arc::new(info),
        }
    }
}

/// What error reports say about a step.
#[derive(Debug)]
pub struct StepInfo {
    /// Mule's processor path, such as `flow/processors/2/route/0/processors/0`.
    pub path: String,
    /// `path @ app:file.xml:line (doc:name)`, Mule's `Element` line.
    pub element: String,
    /// The start tag as written, Mule's `Element DSL` line (raw text: no resolved secrets).
    pub dsl: String,
    /// The element's name as written, such as `http:request`.
    pub qname: String,
}

pub(crate) enum Action {
    Processor(Arc<dyn Processor>),
    Router(Box<Router>),
}

/// Where a chain runs: the app and the flow (or sub-flow) it belongs to.
pub(crate) struct Run<'a> {
    /// Shared, so that scopes that spawn tasks (`async`, `scatter-gather`) can hand it on.
    pub(crate) app: &'a Arc<AppShared>,
    pub(crate) flow_name: &'a str,
    /// How many `flow-ref` calls deep this chain runs.
    pub(crate) depth: usize,
}

impl Run<'_> {
    pub(crate) fn step_context<'b>(&'b self, info: &'b StepInfo) -> StepContext<'b> {
        StepContext {
            app_name: &self.app.name,
            flow_name: self.flow_name,
            processor_path: &info.path,
            properties: self.app.properties.as_ref(),
        }
    }
}

/// An error on its way out of chains, with what Mule's error log block says about it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: MuleError,
    /// The step that failed.
    pub(crate) info: Arc<StepInfo>,
    /// `at flow(element)` lines, innermost first.
    pub(crate) flow_stack: Vec<String>,
    /// Whether a handler has logged it already; Mule logs an error once.
    pub(crate) logged: bool,
}

impl Failure {
    /// A failure of the step `info` in the flow `run` runs.
    pub(crate) fn new(mut error: MuleError, info: &Arc<StepInfo>, run: &Run<'_>) -> Failure {
        error.failing_component.get_or_insert_with(|| info.path.clone());
        // A description can quote a URL or a value built from a secret; it is logged and
        // may be sent to an HTTP client, so mask secrets now.
        if let std::borrow::Cow::Owned(masked) = run.app.secrets.redact(&error.description) {
            error.description = masked;
        }
        let flow_stack = vec![format!("at {}({})", run.flow_name, info.element)];
        Failure { error, info: info.clone(), flow_stack, logged: false }
    }
}

/// Runs each step of a chain on the event, stopping at the first failure.
pub(crate) fn run_chain<'a>(
    chain: &'a Chain,
    event: &'a mut Event,
    run: &'a Run<'a>,
) -> BoxFuture<'a, Result<(), Failure>> {
    Box::pin(async move {
        for step in &chain.steps {
            let span =
                tracing::debug_span!("step", kind = %step.info.qname, path = %step.info.path);
            match &step.action {
                Action::Processor(processor) => {
                    let cx = run.step_context(&step.info);
                    let result = processor.process(event, &cx).instrument(span).await;
                    if let Err(mut error) = result {
                        let mapped = step.error_mappings.iter().find(|(source, _)| {
                            source.as_ref().is_none_or(|source| error.error_type.is_a(source))
                        });
                        if let Some((_, target)) = mapped {
                            error.error_type = target.clone();
                        }
                        return Err(Failure::new(error, &step.info, run));
                    }
                }
                Action::Router(router) => {
                    router.run(&step.info, event, run).instrument(span).await?
                }
            }
        }
        Ok(())
    })
}
