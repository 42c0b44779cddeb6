//! The core scopes that run chains in tasks of their own: `scatter-gather`, whose routes run
//! in parallel on copies of the event and are merged when all end, and `async`, which runs
//! its chain in the background while the flow goes on.
//!
//! Spawned chains own what they use (the app's [`AppShared`] and their [`Chain`] behind
//! `Arc`s, a copy of the event), so they can run on any worker thread and outlive the step
//! that started them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::event::{ErrorType, Event, Message, MuleError, Vars};
use crate::expr::{Scope, ValueExpr};
use crate::runtime::chain::{Chain, Failure, Run, run_chain};
use crate::runtime::errors::{self, Owner};
use crate::runtime::{AppShared, StepInfo};
use crate::value::{TypedValue, Value};

/// The settings and routes of a `scatter-gather`.
pub(crate) struct ScatterGather {
    /// The routes, in order; the result keys them `"0"`, `"1"`, ...
    pub(crate) routes: Vec<Arc<Chain>>,
    /// How long each route may run (`timeout`, in milliseconds) before it fails with
    /// `MULE:TIMEOUT`.
    pub(crate) timeout: Option<Duration>,
    /// How many routes may run at once (`maxConcurrency`); all of them when `None`.
    pub(crate) max_concurrency: Option<usize>,
    /// The variable that takes the result instead of the payload (`target`).
    pub(crate) target: Option<String>,
    /// What goes into `target` (`targetValue`, `#[payload]` by default).
    pub(crate) target_value: ValueExpr,
}

/// The chain of an `async` scope and the permits that bound its concurrent runs.
pub(crate) struct Async {
    pub(crate) chain: Arc<Chain>,
    /// One permit per run in flight (`maxConcurrency`); unbounded when `None`.
    pub(crate) permits: Option<Arc<Semaphore>>,
}

/// What a spawned chain needs from the [`Run`] that started it, owned.
struct Detached {
    app: Arc<AppShared>,
    flow_name: String,
    depth: usize,
}

impl Detached {
    fn of(run: &Run<'_>) -> Detached {
        Detached { app: run.app.clone(), flow_name: run.flow_name.to_owned(), depth: run.depth }
    }

    fn run(&self) -> Run<'_> {
        Run { app: &self.app, flow_name: &self.flow_name, depth: self.depth }
    }
}

impl Async {
    /// Starts the chain on a copy of the event and returns at once; the event is unchanged.
    /// An error inside is logged in Mule's block layout and goes no further.
    pub(crate) fn run(&self, event: &Event, run: &Run<'_>) {
        let mut copy = event.clone();
        let chain = self.chain.clone();
        let permits = self.permits.clone();
        let detached = Detached::of(run);
        let in_flight = run.app.background.start();
        let task = async move {
            let _in_flight = in_flight;
            let _permit = match permits {
                Some(permits) => permits.acquire_owned().await.ok(),
                None => None,
            };
            let run = detached.run();
            if let Err(failure) = run_chain(&chain, &mut copy, &run).await {
                // With no handler, `handle` logs the error as Mule's default handler does;
                // there is nobody to hand it to.
                let _ = errors::handle(None, Owner::Flow, failure, &mut copy, &run).await;
            }
        };
        tokio::spawn(task.instrument(tracing::Span::current()));
    }
}

/// How one route ended.
type RouteResult = Result<Event, MuleError>;

impl ScatterGather {
    /// Runs every route on a copy of the event, then merges the results into the event: the
    /// payload becomes `{"0": message, "1": message, ...}`, and variables are merged.
    pub(crate) async fn run(
        &self,
        info: &Arc<StepInfo>,
        event: &mut Event,
        run: &Run<'_>,
    ) -> Result<(), Failure> {
        let permits = self.max_concurrency.map(|n| Arc::new(Semaphore::new(n)));
        // A `JoinSet` aborts its tasks when dropped: if this step is cancelled (say, by the
        // timeout of an enclosing scatter-gather), its routes stop too.
        let mut tasks = JoinSet::new();
        for (route_idx, chain) in self.routes.iter().enumerate() {
            let task = run_route(
                route_idx,
                chain.clone(),
                event.clone(),
                Detached::of(run),
                permits.clone(),
                self.timeout,
            );
            let task = async move { (route_idx, task.await) };
            tasks.spawn(task.instrument(tracing::Span::current()));
        }
        let mut slots: Vec<Option<RouteResult>> = self.routes.iter().map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((route_idx, result)) = joined {
                slots[route_idx] = Some(result);
            }
        }
        let results: Vec<RouteResult> = slots
            .into_iter()
            .enumerate()
            .map(|(route_idx, slot)| {
                slot.unwrap_or_else(|| {
                    Err(MuleError::new(
                        ErrorType::unknown(),
                        format!("route {route_idx} of scatter-gather ended abnormally"),
                    ))
                })
            })
            .collect();
        let fail = |error: MuleError| Failure::new(error, info, run);
        if results.iter().any(Result::is_err) {
            return Err(fail(composite_error(&results).map_err(fail)?));
        }
        let events: Vec<Event> = results.into_iter().filter_map(Result::ok).collect();
        let payload = messages_by_route(events.iter().enumerate()).map_err(fail)?;
        let vars = merge_vars(&event.vars, &events).map_err(fail)?;
        let mut merged = event.clone();
        merged.message = Message::of(TypedValue::java(payload));
        merged.vars = vars;
        match &self.target {
            None => *event = merged,
            Some(var) => {
                // As with `flow-ref`, a target keeps the event as it was and stores the
                // result in one variable.
                let scope = Scope::of(&merged, run.app.properties.as_ref())
                    .in_flow(&run.app.name, run.flow_name);
                let value = self.target_value.eval(&scope).map_err(|err| {
                    fail(MuleError::expression_failed(&err.message, self.target_value.source()))
                })?;
                event.vars.insert(var.clone(), value);
            }
        }
        Ok(())
    }
}

/// Runs one route on its own event, within the concurrency bound and the timeout.
async fn run_route(
    route_idx: usize,
    chain: Arc<Chain>,
    mut event: Event,
    detached: Detached,
    permits: Option<Arc<Semaphore>>,
    timeout: Option<Duration>,
) -> RouteResult {
    let _permit = match permits {
        Some(permits) => permits.acquire_owned().await.ok(),
        None => None,
    };
    let run = detached.run();
    let work = run_chain(&chain, &mut event, &run);
    let result = match timeout {
        None => work.await,
        Some(limit) => match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => {
                return Err(MuleError::new(
                    ErrorType::new("MULE", "TIMEOUT"),
                    format!(
                        "route {route_idx} of scatter-gather did not finish within {} ms",
                        limit.as_millis()
                    ),
                ));
            }
        },
    };
    match result {
        Ok(()) => Ok(event),
        Err(failure) => Err(failure.error),
    }
}

/// `{"0": {payload, attributes}, ...}` for the routes' events.
fn messages_by_route<'a>(
    events: impl Iterator<Item = (usize, &'a Event)>,
) -> Result<Value, MuleError> {
    let mut pairs = Vec::new();
    for (route_idx, event) in events {
        let payload = crate::expr::read_value(&event.message.payload)
            .map_err(|err| MuleError::expression(err.message))?;
        let message = Value::object([
            ("payload", payload),
            ("attributes", event.message.attributes.value.clone()),
        ]);
        pairs.push((route_idx.to_string(), message));
    }
    Ok(Value::object(pairs))
}

/// Each route started from `original`. A variable that one route set (or changed) takes its
/// value; one that several routes set becomes an array of their values, in route order.
/// Removing a variable in a route does not remove it from the result, as in Mule, which
/// builds the result from the original event's variables.
fn merge_vars(original: &Vars, events: &[Event]) -> Result<Vars, MuleError> {
    let mut changed: BTreeMap<&str, Vec<&TypedValue>> = BTreeMap::new();
    for event in events {
        for (name, value) in &event.vars {
            if original.get(name) != Some(value) {
                changed.entry(name).or_default().push(value);
            }
        }
    }
    let mut merged = original.clone();
    for (name, values) in changed {
        let value = match values.as_slice() {
            [single] => (*single).clone(),
            several => {
                let mut items = Vec::with_capacity(several.len());
                for value in several {
                    items.push(
                        crate::expr::read_value(value)
                            .map_err(|err| MuleError::expression(err.message))?,
                    );
                }
                TypedValue::java(Value::array(items))
            }
        };
        merged.insert(name.to_owned(), value);
    }
    Ok(merged)
}

/// `MULE:COMPOSITE_ROUTING`, whose error message has the `failures` (error objects) and
/// `results` (messages of the routes that succeeded), each keyed by route index, and whose
/// child errors are the routes' errors.
fn composite_error(results: &[RouteResult]) -> Result<MuleError, MuleError> {
    let mut failures = Vec::new();
    let mut child_errors = Vec::new();
    let mut lines = Vec::new();
    for (route_idx, result) in results.iter().enumerate() {
        if let Err(error) = result {
            failures.push((route_idx.to_string(), error.to_value()));
            lines.push(format!("\tRoute {route_idx}: {error}"));
            child_errors.push(error.clone());
        }
    }
    let succeeded = results.iter().enumerate().filter_map(|(idx, r)| Some((idx, r.as_ref().ok()?)));
    let payload = Value::object([
        ("failures", Value::object(failures)),
        ("results", messages_by_route(succeeded)?),
    ]);
    let mut error = MuleError::new(
        ErrorType::new("MULE", "COMPOSITE_ROUTING"),
        format!("Exception(s) were found for route(s): \n{}", lines.join("\n")),
    );
    error.error_message = Some(Box::new(Message::of(TypedValue::java(payload))));
    error.child_errors = child_errors;
    Ok(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), TypedValue::java(Value::string(*v)))).collect()
    }

    fn event_with(pairs: &[(&str, &str)]) -> Event {
        let mut event = Event::new(Message::of(TypedValue::null()));
        event.vars = vars(pairs);
        event
    }

    #[test]
    fn merged_vars_keep_single_changes_and_gather_several() {
        let original = vars(&[("a", "0"), ("b", "0"), ("gone", "0")]);
        let routes = [
            event_with(&[("a", "1"), ("b", "0"), ("new", "x")]),
            event_with(&[("a", "2"), ("b", "0"), ("gone", "0")]),
            // Removed `gone` and left `a` as it was.
            event_with(&[("a", "0"), ("b", "0")]),
        ];
        let merged = merge_vars(&original, &routes).expect("plain values");
        let array = Value::array([Value::string("1"), Value::string("2")]);
        assert_eq!(merged["a"], TypedValue::java(array));
        assert_eq!(merged["b"], TypedValue::java(Value::string("0")));
        assert_eq!(merged["new"], TypedValue::java(Value::string("x")));
        assert_eq!(merged["gone"], TypedValue::java(Value::string("0")));
    }
}
