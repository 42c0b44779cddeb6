//! Runs flows: passes an event through a chain of steps, runs Mule's routers and scopes, and
//! hands failures to error handlers.
//!
//! A flow's steps form a [`Chain`]; routers such as `choice` or `try` hold chains of their
//! own. When a step fails, the failure climbs out of the chains until a `try` or the flow
//! has an error handler that takes it (`errors.rs`). A flow without a handler of its own
//! uses the app's default (`<configuration defaultErrorHandler-ref>`), else Mule's implicit
//! one: the error is logged once at ERROR, in Mule's block layout, and handed back to the
//! source (the HTTP listener then answers 500 with the error's description).

mod chain;
mod errors;
mod parallel;
mod routers;

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tracing::Instrument;

pub use chain::{Chain, Step, StepInfo};
pub use errors::{ErrorHandler, HandlerKind, OnError};
pub(crate) use parallel::{Async, ScatterGather};
pub(crate) use routers::{Foreach, Router, retry_setting};

use crate::event::{Event, MuleError};
use crate::plugin::Source;
use crate::props::Properties;
use crate::secret::SecretStore;

use chain::{Failure, Run};

/// The category Mule's default error handler logs under.
pub const ERROR_HANDLER_CATEGORY: &str =
    "org.mule.runtime.core.internal.exception.OnErrorPropagateHandler";

/// Whether a flow is a `flow` or a `sub-flow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowKind {
    /// A `flow`: may have a source and an error handler.
    Flow,
    /// A `sub-flow`: steps only, run inline by `flow-ref`; its errors go to the caller.
    SubFlow,
}

/// A flow ready to run.
pub struct Flow {
    /// The flow's name.
    pub name: String,
    /// `flow` or `sub-flow`.
    pub kind: FlowKind,
    /// What starts it, if anything.
    pub source: Option<Arc<dyn Source>>,
    /// The steps, in order.
    pub chain: Chain,
    /// Its own error handler (inline or by `ref`), if it has one.
    pub error_handler: Option<Arc<ErrorHandler>>,
    /// Whether the source starts with the app (`initialState="started"`, the default).
    pub starts: bool,
    /// One permit per event running through the flow (`maxConcurrency`); unbounded when
    /// `None`. Events beyond the limit wait for a permit.
    pub max_concurrency: Option<Arc<Semaphore>>,
}

/// What all flows of an app share.
pub struct AppShared {
    /// The app's name.
    pub name: String,
    /// The app's properties, for `p()`.
    pub properties: Arc<Properties>,
    /// The app's secrets, masked in error descriptions.
    pub secrets: SecretStore,
    /// Every flow and sub-flow by name, for `flow-ref`.
    pub flows: BTreeMap<String, Arc<Flow>>,
    /// The handler of flows without one (`<configuration defaultErrorHandler-ref>`).
    pub default_error_handler: Option<Arc<ErrorHandler>>,
    /// Work started by `async` scopes that has not finished.
    pub background: Background,
}

/// Counts the `async` work in flight, so that stopping the app can wait for it.
#[derive(Debug)]
pub struct Background {
    running: tokio::sync::watch::Sender<usize>,
}

impl Default for Background {
    fn default() -> Background {
        Background { running: tokio::sync::watch::Sender::new(0) }
    }
}

impl Background {
    /// Marks one piece of work as started; it ends when the returned guard is dropped.
    pub(crate) fn start(&self) -> BackgroundGuard {
        self.running.send_modify(|n| *n += 1);
        BackgroundGuard { running: self.running.clone() }
    }

    /// Waits until no work is in flight, or `limit` has passed; false when time ran out.
    pub async fn finish(&self, limit: std::time::Duration) -> bool {
        let mut running = self.running.subscribe();
        tokio::time::timeout(limit, running.wait_for(|n| *n == 0)).await.is_ok()
    }
}

/// One piece of `async` work in flight (see [`Background::start`]).
pub(crate) struct BackgroundGuard {
    running: tokio::sync::watch::Sender<usize>,
}

impl Drop for BackgroundGuard {
    fn drop(&mut self) {
        self.running.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// A handle that runs one flow; sources keep one per flow they start.
#[derive(Clone)]
pub struct FlowRunner {
    flow: Arc<Flow>,
    app: Arc<AppShared>,
}

/// A failed run: the error and the event as the error handler left it (or, without a
/// handler that ran steps, as it was when the failing step started).
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

    /// Runs the flow on an event, with its error handling.
    ///
    /// # Errors
    ///
    /// The error that no handler caught, or that an `on-error-propagate` passed on; it has
    /// been logged already.
    pub async fn run(&self, mut event: Event) -> Result<Event, Box<FlowFailure>> {
        let span = tracing::info_span!("flow", name = %self.flow.name, correlation_id = %event.correlation_id);
        // The semaphore is never closed, so `acquire` only fails if it were; run unbounded then.
        let _permit = match &self.flow.max_concurrency {
            Some(permits) => permits.acquire().await.ok(),
            None => None,
        };
        let run = Run { app: &self.app, flow_name: &self.flow.name, depth: 0 };
        let result = run_flow(&self.flow, &mut event, &run).instrument(span).await;
        match result {
            Ok(()) => Ok(event),
            Err(failure) => Err(Box::new(FlowFailure { error: failure.error, event })),
        }
    }
}

/// Runs a flow's chain and, when it fails, the flow's error handling.
/// `run` is where the flow runs: its own name and how deep in `flow-ref` calls it is.
pub(crate) async fn run_flow(flow: &Flow, event: &mut Event, run: &Run<'_>) -> Result<(), Failure> {
    let Err(failure) = chain::run_chain(&flow.chain, event, run).await else { return Ok(()) };
    let handler = flow.error_handler.as_deref().or(run.app.default_error_handler.as_deref());
    errors::handle(handler, errors::Owner::Flow, failure, event, run).await
}
