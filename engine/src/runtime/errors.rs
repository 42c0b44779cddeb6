//! Error handlers: `on-error-continue` and `on-error-propagate`, chosen by error type and
//! condition, and Mule's ERROR log block.

use std::sync::Arc;

use crate::event::{ErrorType, Event};
use crate::expr::{Expr, Scope};
use crate::runtime::chain::{Chain, Failure, Run, run_chain};

/// An `<error-handler>`: its handlers, tried in order.
pub struct ErrorHandler {
    /// The handlers; the first that matches the error runs.
    pub on_errors: Vec<Arc<OnError>>,
}

/// What a handler does once its steps ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandlerKind {
    /// `on-error-continue`: the owner (flow or `try`) succeeds with the handler's result.
    Continue,
    /// `on-error-propagate`: the owner fails with the same error.
    Propagate,
}

impl HandlerKind {
    /// The logger category Mule logs the error under.
    fn category(self) -> &'static str {
        match self {
            HandlerKind::Continue => {
                "org.mule.runtime.core.internal.exception.OnErrorContinueHandler"
            }
            HandlerKind::Propagate => super::ERROR_HANDLER_CATEGORY,
        }
    }
}

/// An `on-error-continue` or `on-error-propagate`.
pub struct OnError {
    /// Continue or propagate.
    pub kind: HandlerKind,
    /// The error types it takes (`type="HTTP:NOT_FOUND, MULE:EXPRESSION"`), each with its
    /// descendants; empty means any.
    pub types: Vec<ErrorType>,
    /// The condition it also needs (`when`), evaluated with `error` set.
    pub when: Option<Expr>,
    /// Whether it logs the error (`logException`, true by default).
    pub log_exception: bool,
    /// Its steps.
    pub chain: Chain,
}

impl OnError {
    fn matches(&self, event: &Event, run: &Run<'_>) -> bool {
        let Some(error) = &event.error else { return false };
        if !self.types.is_empty() && !self.types.iter().any(|ty| error.error_type.is_a(ty)) {
            return false;
        }
        let Some(when) = &self.when else { return true };
        let scope =
            Scope::of(event, run.app.properties.as_ref()).in_flow(&run.app.name, run.flow_name);
        match when.eval(&scope) {
            Ok(value) => value.value == crate::value::Value::Bool(true),
            Err(err) => {
                // Mule does not let a broken condition hide the original error: the handler
                // is skipped and the next one tried.
                tracing::warn!(
                    target: "flowrun::mule",
                    flow = run.flow_name,
                    "the `when` condition of an error handler failed: {}",
                    err.message
                );
                false
            }
        }
    }
}

/// Who owns the handler, which decides what happens when no handler takes the error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// A flow: Mule's default handler logs the error and propagates it.
    Flow,
    /// A `try`: the error goes on to the enclosing owner as it is.
    Try,
}

/// Hands a failure to `handler`: the first matching handler's steps run on the event with
/// `error` set; then the owner either succeeds (continue) or fails (propagate).
pub(crate) async fn handle(
    handler: Option<&ErrorHandler>,
    owner: Owner,
    mut failure: Failure,
    event: &mut Event,
    run: &Run<'_>,
) -> Result<(), Failure> {
    event.error = Some(Arc::new(failure.error.clone()));
    let chosen =
        handler.and_then(|h| h.on_errors.iter().find(|on_error| on_error.matches(event, run)));
    let Some(on_error) = chosen else {
        if owner == Owner::Flow && !failure.logged {
            log_block(&failure, super::ERROR_HANDLER_CATEGORY, run, event);
            failure.logged = true;
        }
        return Err(failure);
    };
    if on_error.log_exception && !failure.logged {
        log_block(&failure, on_error.kind.category(), run, event);
        failure.logged = true;
    }
    // An error inside the handler replaces the one it was handling. Inside a `try` it goes on
    // to the enclosing handlers, which log it or not; a flow's handler is the last place in
    // the flow, so it is logged here.
    if let Err(inner) = run_chain(&on_error.chain, event, run).await {
        let inner =
            if inner.logged || owner == Owner::Try { inner } else { log_new(inner, run, event) };
        return Err(inner);
    }
    match on_error.kind {
        HandlerKind::Continue => {
            event.error = None;
            Ok(())
        }
        HandlerKind::Propagate => Err(failure),
    }
}

fn log_new(mut failure: Failure, run: &Run<'_>, event: &Event) -> Failure {
    log_block(&failure, super::ERROR_HANDLER_CATEGORY, run, event);
    failure.logged = true;
    failure
}

/// Logs an error in Mule's block layout.
fn log_block(failure: &Failure, category: &str, run: &Run<'_>, event: &Event) {
    let line = "*".repeat(80);
    let error = &failure.error;
    let info = &failure.info;
    let stack = failure.flow_stack.join(&format!("\n{:24}", ""));
    let block = format!(
        "\n{line}\n\
         Message               : {}\n\
         Element               : {}\n\
         Element DSL           : {}\n\
         Error type            : {}\n\
         FlowStack             : {stack}\n\
         \n  (set debug level logging or '-Dmule.verbose.exceptions=true' for everything)\n\
         {line}",
        error.description, info.element, info.dsl, error.error_type,
    );
    tracing::error!(
        target: "flowrun::mule",
        category,
        processor = %info.path,
        event = %event.correlation_id,
        app = %run.app.name,
        flow = run.flow_name,
        "{block}"
    );
}
