//! Mule's core routers and scopes, which run chains of their own: `choice`, `foreach`,
//! `try`, `flow-ref`, `until-successful` (`scatter-gather` and `async` are in `parallel.rs`); and the core steps that only the runtime can do,
//! `raise-error` and `remove-variable`.

use std::sync::Arc;
use std::time::Duration;

use crate::event::{ErrorType, Event, Message, MuleError};
use crate::expr::{Expr, Scope, Template, ValueExpr};
use crate::runtime::chain::{Chain, Failure, Run, run_chain};
use crate::runtime::errors::{self, ErrorHandler, Owner};
use crate::runtime::{Async, FlowKind, ScatterGather, StepInfo};
use crate::value::{TypedValue, Value};

/// How deep `flow-ref` calls may nest before the call fails instead of exhausting the stack.
pub(crate) const MAX_FLOW_DEPTH: usize = 64;

/// A router or scope, built by the loader from the core namespace's elements.
pub(crate) enum Router {
    /// `choice`: the first `when` whose expression is true runs its route, else `otherwise`.
    Choice { routes: Vec<(Expr, Chain)>, otherwise: Option<Chain> },
    /// `foreach`: runs the chain once per element (or batch) of a collection.
    Foreach(Box<Foreach>),
    /// `try`: runs the chain with its own error handler.
    Try { chain: Chain, handler: Option<Arc<ErrorHandler>> },
    /// `flow-ref`: runs another flow or sub-flow on the event.
    FlowRef { name: String, target: Option<String>, target_value: ValueExpr },
    /// `until-successful`: reruns the chain until it succeeds, a bounded number of times.
    UntilSuccessful { chain: Chain, max_retries: ValueExpr, millis_between: ValueExpr },
    /// `raise-error`: fails with the given type and description.
    RaiseError { error_type: ErrorType, description: Option<Template> },
    /// `remove-variable`: removes a variable.
    RemoveVariable { name: String },
    /// `scatter-gather`: runs its routes in parallel and merges their results.
    ScatterGather(Box<ScatterGather>),
    /// `async`: runs the chain in the background; the flow goes on at once.
    Async(Async),
}

/// The settings of a `foreach`.
pub(crate) struct Foreach {
    pub(crate) collection: Option<Expr>,
    pub(crate) counter: String,
    pub(crate) root_message: String,
    pub(crate) batch_size: usize,
    pub(crate) chain: Chain,
}

impl Router {
    /// Runs the router on the event; `info` is the router's own step.
    pub(crate) async fn run(
        &self,
        info: &Arc<StepInfo>,
        event: &mut Event,
        run: &Run<'_>,
    ) -> Result<(), Failure> {
        match self {
            Router::Choice { routes, otherwise } => {
                for (condition, chain) in routes {
                    if condition_holds(condition, event, run)
                        .map_err(|e| Failure::new(e, info, run))?
                    {
                        return run_chain(chain, event, run).await;
                    }
                }
                match otherwise {
                    Some(chain) => run_chain(chain, event, run).await,
                    None => Ok(()),
                }
            }
            Router::Foreach(foreach) => foreach.run(info, event, run).await,
            Router::Try { chain, handler } => {
                let Err(failure) = run_chain(chain, event, run).await else { return Ok(()) };
                errors::handle(handler.as_deref(), Owner::Try, failure, event, run).await
            }
            Router::FlowRef { name, target, target_value } => {
                flow_ref(name, target.as_deref(), target_value, info, event, run).await
            }
            Router::UntilSuccessful { chain, max_retries, millis_between } => {
                until_successful(chain, max_retries, millis_between, info, event, run).await
            }
            Router::RaiseError { error_type, description } => {
                let description = match description {
                    Some(template) => {
                        let scope = Scope::of(event, run.app.properties.as_ref())
                            .in_flow(&run.app.name, run.flow_name);
                        template.render(&scope).map_err(|err| {
                            Failure::new(
                                MuleError::expression_failed(&err.message, template.source()),
                                info,
                                run,
                            )
                        })?
                    }
                    None => String::new(),
                };
                Err(Failure::new(MuleError::new(error_type.clone(), description), info, run))
            }
            Router::ScatterGather(scatter_gather) => scatter_gather.run(info, event, run).await,
            Router::Async(scope) => {
                scope.run(event, run);
                Ok(())
            }
            Router::RemoveVariable { name } => {
                if event.vars.remove(name).is_none() {
                    tracing::warn!(
                        target: "flowrun::mule",
                        processor = %info.path,
                        event = %event.correlation_id,
                        "There is no variable named '{name}'. Check the 'variableName' parameter in the 'remove-variable' component at {}",
                        info.path
                    );
                }
                Ok(())
            }
        }
    }
}

/// Evaluates a `when`: a Boolean, a String read as Java's `Boolean.parseBoolean` does, or
/// null (false), as Mule's expression manager converts them; anything else fails.
fn condition_holds(condition: &Expr, event: &Event, run: &Run<'_>) -> Result<bool, MuleError> {
    let scope = Scope::of(event, run.app.properties.as_ref()).in_flow(&run.app.name, run.flow_name);
    let value = condition
        .eval(&scope)
        .map_err(|err| MuleError::expression_failed(&err.message, condition.source()))?;
    let value = crate::expr::read_value(&value)
        .map_err(|err| MuleError::expression_failed(&err.message, condition.source()))?;
    match value {
        Value::Bool(b) => Ok(b),
        Value::Null => Ok(false),
        Value::String(text) => Ok(text.trim().eq_ignore_ascii_case("true")),
        other => Err(MuleError::expression(format!(
            "the expression \"{}\" gave {}, which is not a Boolean",
            condition.source(),
            crate::expr::type_name(&other)
        ))),
    }
}

impl Foreach {
    async fn run(
        &self,
        info: &Arc<StepInfo>,
        event: &mut Event,
        run: &Run<'_>,
    ) -> Result<(), Failure> {
        let collection = {
            let scope =
                Scope::of(event, run.app.properties.as_ref()).in_flow(&run.app.name, run.flow_name);
            let value = match &self.collection {
                Some(expr) => expr
                    .eval(&scope)
                    .map_err(|err| MuleError::expression_failed(&err.message, expr.source())),
                None => Ok(event.message.payload.clone()),
            };
            value
                .and_then(|value| {
                    crate::expr::read_value(&value)
                        .map_err(|err| MuleError::expression(err.message))
                })
                .map_err(|err| Failure::new(err, info, run))?
        };
        let items: Vec<Value> = match collection {
            Value::Array(items) => items.as_ref().clone(),
            Value::Object(pairs) => {
                pairs.iter().map(|(k, v)| Value::object([(k.clone(), v.clone())])).collect()
            }
            Value::Null => Vec::new(),
            single => vec![single],
        };
        let original = event.message.clone();
        let root = Value::object([
            ("payload", crate::expr::read_value(&original.payload).unwrap_or(Value::Null)),
            ("attributes", original.attributes.value.clone()),
        ]);
        let saved_counter = event.vars.remove(&self.counter);
        let saved_root = event.vars.insert(self.root_message.clone(), TypedValue::java(root));
        let mut result = Ok(());
        for (idx, batch) in items.chunks(self.batch_size.max(1)).enumerate() {
            let item = if self.batch_size > 1 {
                Value::array(batch.iter().cloned())
            } else {
                batch[0].clone()
            };
            event.message = Message {
                payload: TypedValue::java(item),
                attributes: original.attributes.clone(),
            };
            let counter = Value::Number((idx as u64 + 1).into());
            event.vars.insert(self.counter.clone(), TypedValue::java(counter));
            result = run_chain(&self.chain, event, run).await;
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            event.message = original;
            restore(&mut event.vars, &self.counter, saved_counter);
            restore(&mut event.vars, &self.root_message, saved_root);
        }
        result
    }
}

fn restore(vars: &mut crate::event::Vars, name: &str, saved: Option<TypedValue>) {
    match saved {
        Some(value) => vars.insert(name.to_owned(), value),
        None => vars.remove(name),
    };
}

async fn flow_ref(
    name: &str,
    target: Option<&str>,
    target_value: &ValueExpr,
    info: &Arc<StepInfo>,
    event: &mut Event,
    run: &Run<'_>,
) -> Result<(), Failure> {
    let Some(flow) = run.app.flows.get(name) else {
        // The loader checks every `flow-ref`; this is only reachable for an app built by hand.
        let error = MuleError::new(ErrorType::unknown(), format!("No flow named '{name}'"));
        return Err(Failure::new(error, info, run));
    };
    if run.depth >= MAX_FLOW_DEPTH {
        let error = MuleError::new(
            ErrorType::new("MULE", "ROUTING"),
            format!("flow-ref calls nest more than {MAX_FLOW_DEPTH} deep (at '{name}')"),
        );
        return Err(Failure::new(error, info, run));
    }
    let inner_run = Run { app: run.app, flow_name: &flow.name, depth: run.depth + 1 };
    let mut called =
        if target.is_some() { event.clone() } else { std::mem::replace(event, placeholder(event)) };
    let result = match flow.kind {
        FlowKind::SubFlow => run_chain(&flow.chain, &mut called, &inner_run).await,
        FlowKind::Flow => super::run_flow(flow, &mut called, &inner_run).await,
    };
    if let Err(mut failure) = result {
        failure.flow_stack.push(format!("at {}({})", run.flow_name, info.element));
        *event = called;
        return Err(failure);
    }
    match target {
        None => *event = called,
        Some(var) => {
            let scope = Scope::of(&called, run.app.properties.as_ref())
                .in_flow(&run.app.name, run.flow_name);
            let value = target_value.eval(&scope).map_err(|err| {
                Failure::new(
                    MuleError::expression_failed(&err.message, target_value.source()),
                    info,
                    run,
                )
            })?;
            event.vars.insert(var.to_owned(), value);
        }
    }
    Ok(())
}

/// `maxRetries` (where -1 means retrying for ever, as in Mule) or `millisBetweenRetries`.
pub(crate) fn retry_setting(text: &str, what: &str) -> Option<u64> {
    match text.parse::<i64>().ok()? {
        -1 if what == "maxRetries" => Some(u64::MAX),
        n => u64::try_from(n).ok(),
    }
}

/// A cheap event to leave behind while the real one is lent to a called flow.
fn placeholder(event: &Event) -> Event {
    Event::with_correlation_id(Message::of(TypedValue::null()), event.correlation_id.clone())
}

async fn until_successful(
    chain: &Chain,
    max_retries: &ValueExpr,
    millis_between: &ValueExpr,
    info: &Arc<StepInfo>,
    event: &mut Event,
    run: &Run<'_>,
) -> Result<(), Failure> {
    let number = |expr: &ValueExpr, what: &str| -> Result<u64, MuleError> {
        let scope =
            Scope::of(event, run.app.properties.as_ref()).in_flow(&run.app.name, run.flow_name);
        let value = expr
            .eval(&scope)
            .map_err(|err| MuleError::expression_failed(&err.message, expr.source()))
            .and_then(|v| {
                crate::expr::read_value(&v).map_err(|err| MuleError::expression(err.message))
            })?;
        let text = match &value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.trim().to_owned(),
            _ => String::new(),
        };
        retry_setting(&text, what).ok_or_else(|| {
            let given = if text.is_empty() {
                crate::expr::type_name(&value).to_owned()
            } else {
                format!("`{text}`")
            };
            MuleError::expression(format!(
                "`{what}` of until-successful must be a whole number of at least 0, not {given}"
            ))
        })
    };
    let max_retries =
        number(max_retries, "maxRetries").map_err(|err| Failure::new(err, info, run))?;
    let millis = number(millis_between, "millisBetweenRetries")
        .map_err(|err| Failure::new(err, info, run))?;
    let mut attempt = 0;
    loop {
        let mut trial = event.clone();
        match run_chain(chain, &mut trial, run).await {
            Ok(()) => {
                *event = trial;
                return Ok(());
            }
            Err(_) if attempt < max_retries => {
                attempt += 1;
                tracing::error!(
                    target: "flowrun::mule",
                    processor = %info.path,
                    event = %event.correlation_id,
                    "Retrying execution of event, attempt {attempt} of {max_retries}."
                );
                tokio::time::sleep(Duration::from_millis(millis)).await;
            }
            Err(failure) => {
                tracing::error!(
                    target: "flowrun::mule",
                    processor = %info.path,
                    event = %event.correlation_id,
                    "Retry attempts exhausted. Failing..."
                );
                let mut error = MuleError::new(
                    ErrorType::new("MULE", "RETRY_EXHAUSTED"),
                    "'until-successful' retries exhausted",
                );
                error.error_message = failure.error.error_message;
                return Err(Failure::new(error, info, run));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::retry_setting;

    #[test]
    fn minus_one_retries_for_ever_and_other_negatives_are_refused() {
        assert_eq!(retry_setting("-1", "maxRetries"), Some(u64::MAX));
        assert_eq!(retry_setting("3", "maxRetries"), Some(3));
        assert_eq!(retry_setting("-2", "maxRetries"), None);
        assert_eq!(retry_setting("-1", "millisBetweenRetries"), None);
        assert_eq!(retry_setting("99999999999999999999", "maxRetries"), None);
        assert_eq!(retry_setting("soon", "millisBetweenRetries"), None);
    }
}
