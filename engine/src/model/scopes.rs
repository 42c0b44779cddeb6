//! Mule's core routers, scopes and error handlers (`choice`, `foreach`, `try`, `flow-ref`,
//! `until-successful`, `scatter-gather`, `async`, `raise-error`, `remove-variable`,
//! `error-handler`, `sub-flow`): their
//! schemas, their checks, and how they are built into the runtime's chains.
//!
//! Plugins build leaf steps; these elements hold chains of steps, so the loader builds them
//! itself, recursing into their children.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::diag::{Diagnostic, Diagnostics, SourceMap, Span};
use crate::event::{CORE_ERROR_TYPES, ErrorType};
use crate::expr::{Expr, ValueExpr};
use crate::model::check::{check_element, is_unsupported_namespace, unknown_element};
use crate::plugin::{AttrSpec, BuildContext, Kind, Registry, Schema};
use crate::runtime::{
    Async, Chain, ErrorHandler, Foreach, HandlerKind, OnError, Router, ScatterGather, Step,
    StepInfo,
};
use crate::xml::{Attribute, Element, ns};

const fn attrs(attributes: &'static [AttrSpec]) -> Schema {
    Schema { attributes, children: &[], text: false }
}

static CHOICE: Schema = attrs(&[]);
static WHEN: Schema = attrs(&[AttrSpec::required("expression")]);
static OTHERWISE: Schema = attrs(&[]);
static FOREACH: Schema = attrs(&[
    AttrSpec::optional("collection"),
    AttrSpec::optional("batchSize"),
    AttrSpec::optional("counterVariableName"),
    AttrSpec::optional("rootMessageVariableName"),
]);
static TRY: Schema =
    attrs(&[AttrSpec::optional("transactionalAction"), AttrSpec::optional("transactionType")]);
static FLOW_REF: Schema = attrs(&[
    AttrSpec::required("name"),
    AttrSpec::optional("target"),
    AttrSpec::optional("targetValue"),
]);
static UNTIL_SUCCESSFUL: Schema =
    attrs(&[AttrSpec::optional("maxRetries"), AttrSpec::optional("millisBetweenRetries")]);
static RAISE_ERROR: Schema =
    attrs(&[AttrSpec::required("type"), AttrSpec::optional("description")]);
static SCATTER_GATHER: Schema = attrs(&[
    AttrSpec::optional("timeout"),
    AttrSpec::optional("maxConcurrency"),
    AttrSpec::optional("target"),
    AttrSpec::optional("targetValue"),
]);
static ROUTE: Schema = attrs(&[]);
static ASYNC: Schema = attrs(&[AttrSpec::optional("name"), AttrSpec::optional("maxConcurrency")]);
static REMOVE_VARIABLE: Schema = attrs(&[AttrSpec::required("variableName")]);
static ERROR_HANDLER: Schema = attrs(&[AttrSpec::optional("name"), AttrSpec::optional("ref")]);
static ON_ERROR_SCOPE: Schema = attrs(&[
    AttrSpec::optional("type"),
    AttrSpec::optional("when"),
    AttrSpec::optional("logException"),
    AttrSpec::optional("enableNotifications"),
    AttrSpec::optional("name"),
]);
static ON_ERROR_REF: Schema = attrs(&[AttrSpec::required("ref")]);
static ERROR_MAPPING: Schema =
    attrs(&[AttrSpec::optional("sourceType"), AttrSpec::required("targetType")]);
static SUB_FLOW: Schema = attrs(&[AttrSpec::required("name")]);
static CONFIGURATION: Schema = attrs(&[
    AttrSpec::optional("defaultErrorHandler-ref"),
    AttrSpec::optional("defaultResponseTimeout"),
    AttrSpec::optional("defaultTransactionTimeout"),
    AttrSpec::optional("shutdownTimeout"),
    AttrSpec::optional("maxQueueTransactionFilesSize"),
    AttrSpec::optional("inheritIterableRepeatability"),
    AttrSpec::optional("correlationIdGeneratorExpression"),
]);

/// The core steps that hold chains or that only the runtime can run.
pub(crate) const CORE_ROUTERS: &[&str] = &[
    "choice",
    "foreach",
    "try",
    "flow-ref",
    "until-successful",
    "raise-error",
    "remove-variable",
    "scatter-gather",
    "async",
];

/// How deeply elements may nest inside a flow: routers inside routers. Checking, building
/// and running recurse per level, so this bounds their stack use; real flows stay far below.
pub(crate) const MAX_NESTING: usize = 40;

/// The first element nested more than [`MAX_NESTING`] levels below `top`, if any.
pub(crate) fn nested_too_deep(top: &Element) -> Option<&Element> {
    let mut stack = vec![(top, 0usize)];
    while let Some((element, depth)) = stack.pop() {
        if depth > MAX_NESTING {
            return Some(element);
        }
        stack.extend(element.children.iter().map(|child| (child, depth + 1)));
    }
    None
}

/// The error for a flow with elements nested too deeply.
pub(crate) fn too_deep_error(element: &Element) -> Diagnostic {
    Diagnostic::error(
        element.span,
        format!("elements nest more than {MAX_NESTING} levels deep here"),
    )
    .with_note("move inner steps into a `sub-flow` and call it with `flow-ref`")
}

/// Whether `element` is one of the core routers or scopes built here.
pub(crate) fn is_core_router(element: &Element) -> bool {
    &*element.ns == ns::CORE && CORE_ROUTERS.contains(&&*element.name)
}

/// Whether `element` is a top-level core element handled here rather than by a plugin.
pub(crate) fn is_core_global(element: &Element) -> bool {
    &*element.ns == ns::CORE
        && matches!(
            &*element.name,
            "sub-flow"
                | "error-handler"
                | "configuration"
                | "on-error-continue"
                | "on-error-propagate"
        )
}

// ------------------------------------------------------------------------------------ checks

/// Checks a top-level core element other than `flow`.
pub(crate) fn check_global(element: &Element, registry: &Registry, diagnostics: &mut Diagnostics) {
    match &*element.name {
        "sub-flow" => {
            check_element(&without_children(element), &SUB_FLOW, diagnostics);
            let (steps, handler) = split_handler(&element.children);
            check_steps(steps, registry, diagnostics);
            if let Some(handler) = handler {
                diagnostics.push(
                    Diagnostic::error(handler.span, "a `sub-flow` cannot have an `error-handler`")
                        .with_note("its errors go to the handlers of the flow that calls it; use a `flow`, or a `try` inside the sub-flow"),
                );
            }
        }
        "error-handler" => check_error_handler(element, registry, diagnostics),
        "configuration" => check_element(element, &CONFIGURATION, diagnostics),
        _ => check_on_error(element, registry, diagnostics),
    }
}

/// Checks the steps of a chain.
pub(crate) fn check_steps(steps: &[Element], registry: &Registry, diagnostics: &mut Diagnostics) {
    for step in steps {
        check_step(step, registry, diagnostics);
    }
}

/// Checks one step: a core router (and its chains) or a plugin's processor.
pub(crate) fn check_step(step: &Element, registry: &Registry, diagnostics: &mut Diagnostics) {
    if is_core_router(step) {
        check_router(step, registry, diagnostics);
        return;
    }
    match registry.get(&step.ns, &step.name) {
        Some(Kind::Processor(kind)) => {
            let (operation, mappings) = split_error_mappings(step);
            check_element(&operation, kind.schema(), diagnostics);
            for mapping in mappings {
                check_element(mapping, &ERROR_MAPPING, diagnostics);
            }
        }
        Some(Kind::Source(_)) => diagnostics.push(Diagnostic::error(
            step.span,
            format!("`{}` starts a flow, so it must be the flow's first element", step.qname),
        )),
        Some(Kind::Global(_) | Kind::PropertyProvider(_)) => diagnostics.push(
            Diagnostic::error(
                step.span,
                format!("`{}` is a global element, but it is inside a flow", step.qname),
            )
            .with_note("move it to the top level of the `<mule>` document"),
        ),
        None if step.is(ns::CORE, "error-handler") => diagnostics.push(Diagnostic::error(
            step.span,
            "`error-handler` must be the last element of its flow or `try`",
        )),
        None => diagnostics.push(unknown_element(step, registry, "a flow step")),
    }
}

fn check_router(element: &Element, registry: &Registry, diagnostics: &mut Diagnostics) {
    match &*element.name {
        "choice" => {
            check_element(&without_children(element), &CHOICE, diagnostics);
            let mut seen_otherwise = false;
            let mut whens = 0;
            for child in &element.children {
                if child.is(ns::CORE, "when") && !seen_otherwise {
                    whens += 1;
                    check_element(&without_children(child), &WHEN, diagnostics);
                    check_steps(&child.children, registry, diagnostics);
                } else if child.is(ns::CORE, "otherwise") && !seen_otherwise {
                    seen_otherwise = true;
                    check_element(&without_children(child), &OTHERWISE, diagnostics);
                    check_steps(&child.children, registry, diagnostics);
                } else {
                    diagnostics.push(
                        Diagnostic::error(
                            child.span,
                            format!("unexpected `{}` inside `choice`", child.qname),
                        )
                        .with_note("`choice` holds `when` elements, then at most one `otherwise`"),
                    );
                }
            }
            if whens == 0 {
                diagnostics
                    .push(Diagnostic::error(element.span, "`choice` needs a `when` element"));
            }
        }
        "try" => {
            check_element(&without_children(element), &TRY, diagnostics);
            let (steps, handler) = split_handler(&element.children);
            check_steps(steps, registry, diagnostics);
            if let Some(handler) = handler {
                check_error_handler(handler, registry, diagnostics);
            }
        }
        "scatter-gather" => {
            check_element(&without_children(element), &SCATTER_GATHER, diagnostics);
            let mut n_routes = 0;
            for child in &element.children {
                if child.is(ns::CORE, "route") {
                    n_routes += 1;
                    check_element(&without_children(child), &ROUTE, diagnostics);
                    check_steps(&child.children, registry, diagnostics);
                } else {
                    diagnostics.push(
                        Diagnostic::error(
                            child.span,
                            format!("unexpected `{}` inside `scatter-gather`", child.qname),
                        )
                        .with_note("`scatter-gather` holds `route` elements only"),
                    );
                }
            }
            if n_routes < 2 {
                diagnostics.push(Diagnostic::error(
                    element.span,
                    format!("`scatter-gather` needs at least 2 `route` elements, not {n_routes}"),
                ));
            }
        }
        "foreach" | "until-successful" | "async" => {
            let schema = match &*element.name {
                "foreach" => &FOREACH,
                "async" => &ASYNC,
                _ => &UNTIL_SUCCESSFUL,
            };
            check_element(&without_children(element), schema, diagnostics);
            if element.children.is_empty() {
                diagnostics.push(Diagnostic::error(
                    element.span,
                    format!("`{}` needs at least one step inside", element.qname),
                ));
            }
            check_steps(&element.children, registry, diagnostics);
        }
        "flow-ref" => check_element(element, &FLOW_REF, diagnostics),
        "raise-error" => check_element(element, &RAISE_ERROR, diagnostics),
        _ => check_element(element, &REMOVE_VARIABLE, diagnostics),
    }
}

pub(crate) fn check_error_handler(
    element: &Element,
    registry: &Registry,
    diagnostics: &mut Diagnostics,
) {
    check_element(&without_children(element), &ERROR_HANDLER, diagnostics);
    if element.attr("ref").is_some() && !element.children.is_empty() {
        diagnostics.push(Diagnostic::error(
            element.span,
            "an `error-handler` with `ref` takes no handlers of its own",
        ));
    }
    for child in &element.children {
        check_on_error(child, registry, diagnostics);
    }
}

fn check_on_error(element: &Element, registry: &Registry, diagnostics: &mut Diagnostics) {
    if element.is(ns::CORE, "on-error") {
        check_element(element, &ON_ERROR_REF, diagnostics);
    } else if element.is(ns::CORE, "on-error-continue")
        || element.is(ns::CORE, "on-error-propagate")
    {
        check_element(&without_children(element), &ON_ERROR_SCOPE, diagnostics);
        check_steps(&element.children, registry, diagnostics);
    } else {
        diagnostics.push(
            Diagnostic::error(
                element.span,
                format!("unexpected `{}` inside `error-handler`", element.qname),
            )
            .with_note("expected `on-error-continue`, `on-error-propagate` or `on-error`"),
        );
    }
}

/// An operation without its `<error-mapping>` children, and those children.
fn split_error_mappings(element: &Element) -> (Element, Vec<&Element>) {
    let is_mapping = |e: &Element| e.is(ns::CORE, "error-mapping");
    let mappings = element.children.iter().filter(|e| is_mapping(e)).collect();
    let children = element.children.iter().filter(|e| !is_mapping(e)).cloned().collect();
    (Element { children, ..element.clone() }, mappings)
}

/// The element's attributes only, for checking them with a schema while its children are
/// checked as steps.
fn without_children(element: &Element) -> Element {
    Element { children: Vec::new(), ..element.clone() }
}

/// A flow's or `try`'s steps, and its trailing `error-handler`, if any.
pub(crate) fn split_handler(children: &[Element]) -> (&[Element], Option<&Element>) {
    match children.split_last() {
        Some((last, steps)) if last.is(ns::CORE, "error-handler") => (steps, Some(last)),
        _ => (children, None),
    }
}

// --------------------------------------------------------------------------- error types

/// The error types an app may name in `type="..."`: Mule's core types, those plugins
/// declare, and custom types the app raises itself.
#[derive(Default)]
pub(crate) struct ErrorTypes {
    known: BTreeSet<ErrorType>,
    /// Namespaces of connectors flowrun does not implement but the app uses (`DB` for
    /// `db:select`): their types cannot be checked, and the elements are reported already.
    unchecked_namespaces: BTreeSet<String>,
    /// Namespaces that belong to connectors, which `raise-error` may not use.
    connector_namespaces: BTreeSet<String>,
}

impl ErrorTypes {
    /// Core and plugin types, plus every type a `raise-error` in the documents raises; the
    /// types of connectors the app uses or declares but flowrun lacks are not checked.
    pub(crate) fn collect(
        roots: &[Element],
        registry: &Registry,
        declared_connectors: BTreeSet<String>,
    ) -> ErrorTypes {
        let mut types =
            ErrorTypes { unchecked_namespaces: declared_connectors, ..ErrorTypes::default() };
        for id in CORE_ERROR_TYPES {
            types.known.insert(ErrorType::new("MULE", id));
        }
        for (namespace, ids) in registry.error_types() {
            types.connector_namespaces.insert(namespace.to_string());
            for id in *ids {
                types.known.insert(ErrorType::new(namespace, id));
            }
        }
        let mut raised = Vec::new();
        for root in roots {
            collect_raised(root, &mut raised);
            collect_unsupported(root, registry, &mut types.unchecked_namespaces);
        }
        for ty in raised {
            if ty.namespace.as_ref() != "MULE"
                && !types.connector_namespaces.contains(&*ty.namespace)
            {
                types.known.insert(ty);
            }
        }
        types
    }
}

fn collect_unsupported(element: &Element, registry: &Registry, out: &mut BTreeSet<String>) {
    if is_unsupported_namespace(&element.ns, registry)
        && let Some((prefix, _)) = element.qname.split_once(':')
    {
        out.insert(prefix.to_ascii_uppercase());
        return;
    }
    for child in &element.children {
        collect_unsupported(child, registry, out);
    }
}

fn collect_raised(element: &Element, out: &mut Vec<ErrorType>) {
    let declared = match &*element.name {
        "raise-error" => element.attr_value("type"),
        "error-mapping" => element.attr_value("targetType"),
        _ => None,
    };
    if &*element.ns == ns::CORE
        && let Some(ty) = declared.and_then(|t| ErrorType::parse(t, "APP"))
    {
        out.push(ty);
    }
    for child in &element.children {
        collect_raised(child, out);
    }
}

// ------------------------------------------------------------------------------- building

/// A `flow-ref` seen while building, checked once every flow is known.
pub(crate) struct FlowRefUse {
    pub(crate) target: String,
    pub(crate) span: Span,
    /// The flow or sub-flow it is in.
    pub(crate) from: String,
}

/// Builds chains, recursing into routers and error handlers.
pub(crate) struct ChainBuilder<'r> {
    pub(crate) registry: &'r Registry,
    pub(crate) sources: &'r SourceMap,
    pub(crate) app_name: &'r str,
    pub(crate) error_types: &'r ErrorTypes,
    /// Global `error-handler`s by name.
    pub(crate) handlers: BTreeMap<String, Arc<ErrorHandler>>,
    /// Global `on-error-continue` / `on-error-propagate` by name.
    pub(crate) on_errors: BTreeMap<String, Arc<OnError>>,
    /// Names of global handlers that failed to build (their errors are reported), so that
    /// references to them add nothing.
    pub(crate) failed_globals: BTreeSet<String>,
    pub(crate) flow_refs: Vec<FlowRefUse>,
}

impl ChainBuilder<'_> {
    /// Builds steps whose paths are `{prefix}/processors/{i}`. `None` when any step failed
    /// to build (its errors are reported).
    pub(crate) fn chain(
        &mut self,
        elements: &[Element],
        prefix: &str,
        cx: &mut BuildContext<'_>,
    ) -> Option<Chain> {
        let mut steps = Vec::new();
        let mut ok = true;
        for (idx, element) in elements.iter().enumerate() {
            let path = format!("{prefix}/processors/{idx}");
            match self.step(element, path, cx) {
                Some(step) => steps.push(step),
                None => ok = false,
            }
        }
        ok.then_some(Chain { steps })
    }

    fn step(&mut self, element: &Element, path: String, cx: &mut BuildContext<'_>) -> Option<Step> {
        let info = self.info(element, path);
        if is_core_router(element) {
            let router = self.router(element, &info.path, cx)?;
            return Some(Step::router(router, info));
        }
        let Some(Kind::Processor(kind)) = self.registry.get(&element.ns, &element.name) else {
            // The checks have already reported anything else.
            return None;
        };
        let (operation, mapping_elements) = split_error_mappings(element);
        let mut mappings = Vec::new();
        for mapping in mapping_elements {
            mappings.push(self.error_mapping(mapping, cx)?);
        }
        let processor = kind.build(&operation, cx)?;
        Some(Step::processor(processor, info).with_error_mappings(mappings))
    }

    fn info(&self, element: &Element, path: String) -> StepInfo {
        let location = self.sources.location(element.span);
        let file_name =
            location.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let doc_name = element.doc_name().map(|d| format!(" ({d})")).unwrap_or_default();
        StepInfo {
            element: format!("{path} @ {}:{file_name}:{}{doc_name}", self.app_name, location.line),
            path,
            dsl: element.start_tag.to_string(),
            qname: element.qname.to_string(),
        }
    }

    fn router(
        &mut self,
        element: &Element,
        path: &str,
        cx: &mut BuildContext<'_>,
    ) -> Option<Router> {
        match &*element.name {
            "choice" => {
                let mut routes = Vec::new();
                let mut otherwise = None;
                let mut ok = true;
                for (idx, child) in element.children.iter().enumerate() {
                    let prefix = format!("{path}/route/{idx}");
                    let chain = self.chain(&child.children, &prefix, cx);
                    if child.is(ns::CORE, "otherwise") {
                        otherwise = chain;
                        ok &= otherwise.is_some();
                        continue;
                    }
                    let condition = child.attr("expression").and_then(|a| bare_expr(a, cx));
                    match (condition, chain) {
                        (Some(condition), Some(chain)) => routes.push((condition, chain)),
                        _ => ok = false,
                    }
                }
                ok.then_some(Router::Choice { routes, otherwise })
            }
            "foreach" => {
                let collection = match element.attr("collection") {
                    Some(attr) => Some(bare_expr(attr, cx)?),
                    None => None,
                };
                let batch_size = match element.attr("batchSize") {
                    Some(attr) => match attr.value.trim().parse::<usize>() {
                        Ok(n) if n >= 1 => n,
                        _ => {
                            cx.error(
                                attr.value_span,
                                "`batchSize` must be a whole number of at least 1",
                            );
                            return None;
                        }
                    },
                    None => 1,
                };
                let counter = variable_name(element, "counterVariableName", "counter", cx)?;
                let root_message =
                    variable_name(element, "rootMessageVariableName", "rootMessage", cx)?;
                let chain = self.chain(&element.children, path, cx)?;
                Some(Router::Foreach(Box::new(Foreach {
                    collection,
                    counter,
                    root_message,
                    batch_size,
                    chain,
                })))
            }
            "try" => {
                let (steps, handler) = split_handler(&element.children);
                let chain = self.chain(steps, path, cx);
                let handler = match handler {
                    Some(handler) => {
                        Some(self.error_handler(handler, &format!("{path}/errorHandler"), cx)?)
                    }
                    None => None,
                };
                Some(Router::Try { chain: chain?, handler })
            }
            "flow-ref" => {
                let name = element.attr("name")?;
                if name.value.trim_start().starts_with("#[") {
                    cx.error(
                        name.value_span,
                        "`flow-ref` names its flow literally; flowrun does not evaluate expressions in `name`",
                    );
                    return None;
                }
                self.flow_refs.push(FlowRefUse {
                    target: name.value.clone(),
                    span: name.value_span,
                    from: cx.flow_name.unwrap_or_default().to_owned(),
                });
                let target = match element.attr("target") {
                    Some(attr) => Some(cx.variable_name(attr)?),
                    None => None,
                };
                let target_value = match element.attr("targetValue") {
                    Some(attr) => cx.value_expr(attr)?,
                    None => ValueExpr::compile("#[payload]", element.span).ok()?,
                };
                Some(Router::FlowRef { name: name.value.clone(), target, target_value })
            }
            "until-successful" => {
                let number = |cx: &mut BuildContext<'_>, name: &str, default: &str| match element
                    .attr(name)
                {
                    // Written as a number, it is checked now rather than at the first run.
                    Some(attr)
                        if !attr.value.contains("#[")
                            && crate::runtime::retry_setting(attr.value.trim(), name).is_none() =>
                    {
                        let least = if name == "maxRetries" { "-1 (for ever)" } else { "0" };
                        cx.error(
                            attr.value_span,
                            format!(
                                "`{name}` must be a whole number of at least {least}, not `{}`",
                                attr.value.trim()
                            ),
                        );
                        None
                    }
                    Some(attr) => cx.value_expr(attr),
                    None => ValueExpr::compile(default, element.span).ok(),
                };
                let max_retries = number(cx, "maxRetries", "5");
                let millis_between = number(cx, "millisBetweenRetries", "60000");
                let chain = self.chain(&element.children, path, cx)?;
                Some(Router::UntilSuccessful {
                    chain,
                    max_retries: max_retries?,
                    millis_between: millis_between?,
                })
            }
            "scatter-gather" => {
                let timeout = match element.attr("timeout") {
                    Some(attr) => Some(positive_number(attr, cx)?),
                    None => None,
                };
                let max_concurrency = match element.attr("maxConcurrency") {
                    Some(attr) => Some(positive_number(attr, cx)?),
                    None => None,
                };
                let target = element.attr_value("target").map(str::to_owned);
                let target_value = match element.attr("targetValue") {
                    Some(attr) => cx.value_expr(attr)?,
                    None => ValueExpr::compile("#[payload]", element.span).ok()?,
                };
                let mut routes = Vec::new();
                let mut ok = true;
                for (idx, route) in element.children.iter().enumerate() {
                    match self.chain(&route.children, &format!("{path}/route/{idx}"), cx) {
                        Some(chain) => routes.push(Arc::new(chain)),
                        None => ok = false,
                    }
                }
                ok.then(|| {
                    Router::ScatterGather(Box::new(ScatterGather {
                        routes,
                        timeout: timeout.map(|ms| Duration::from_millis(ms as u64)),
                        max_concurrency,
                        target,
                        target_value,
                    }))
                })
            }
            "async" => {
                let permits = match element.attr("maxConcurrency") {
                    Some(attr) => Some(Arc::new(Semaphore::new(positive_number(attr, cx)?))),
                    None => None,
                };
                let chain = Arc::new(self.chain(&element.children, path, cx)?);
                Some(Router::Async(Async { chain, permits }))
            }
            "raise-error" => {
                let type_attr = element.attr("type")?;
                let error_type = self.raised_type(type_attr, cx)?;
                let description = match element.attr("description") {
                    Some(attr) => Some(cx.template(attr)?),
                    None => None,
                };
                Some(Router::RaiseError { error_type, description })
            }
            _ => {
                let name = element.attr_value("variableName")?.to_owned();
                Some(Router::RemoveVariable { name })
            }
        }
    }

    /// `<error-mapping sourceType="HTTP:CONNECTIVITY" targetType="APP:API_DOWN"/>`: no
    /// `sourceType` maps any error.
    fn error_mapping(
        &self,
        element: &Element,
        cx: &mut BuildContext<'_>,
    ) -> Option<(Option<ErrorType>, ErrorType)> {
        let target = self.raised_type(element.attr("targetType")?, cx)?;
        let source = match element.attr("sourceType") {
            Some(attr) => Some(self.handled_type(attr, attr.value.trim(), cx)?),
            None => None,
        };
        Some((source, target))
    }

    /// A type named by a handler or mapping, which must be one the app can meet.
    fn handled_type(
        &self,
        attr: &Attribute,
        part: &str,
        cx: &mut BuildContext<'_>,
    ) -> Option<ErrorType> {
        match ErrorType::parse(part, "MULE") {
            Some(ty) if self.error_types.known.contains(&ty) => Some(ty),
            Some(ty) if self.error_types.unchecked_namespaces.contains(&*ty.namespace) => Some(ty),
            _ => {
                let offset = attr.value.find(part).unwrap_or(0);
                let span = attr.value_span.sub(offset, offset + part.len());
                cx.report(attr.in_file(
                    Diagnostic::error(span, format!("unknown error type `{part}`"))
                        .with_note("handlers may name Mule's core types (such as `EXPRESSION` or `MULE:CONNECTIVITY`), a connector's types (such as `HTTP:NOT_FOUND`), or a type the app raises with `raise-error` or `error-mapping`"),
                ));
                None
            }
        }
    }

    /// A type the app raises itself (`raise-error`, `error-mapping`'s target): not in a
    /// connector's namespace.
    fn raised_type(&self, attr: &Attribute, cx: &mut BuildContext<'_>) -> Option<ErrorType> {
        let Some(ty) = ErrorType::parse(&attr.value, "APP") else {
            cx.error(
                attr.value_span,
                format!("`{}` is not an error type such as `APP:INVALID_KEY`", attr.value),
            );
            return None;
        };
        if self.error_types.connector_namespaces.contains(&*ty.namespace) {
            cx.report(
                Diagnostic::error(
                    attr.value_span,
                    format!(
                        "`{}` cannot raise `{ty}`: the namespace `{}` belongs to a connector",
                        attr_owner(attr),
                        ty.namespace
                    ),
                )
                .with_note("use a namespace of your own, such as `APP:`, or a core `MULE:` type"),
            );
            return None;
        }
        if &*ty.namespace == "MULE" && !CORE_ERROR_TYPES.contains(&&*ty.identifier) {
            cx.error(attr.value_span, format!("`{ty}` is not one of Mule's core error types"));
            return None;
        }
        Some(ty)
    }

    /// Builds an `error-handler` (inline, or by `ref` to a global one).
    pub(crate) fn error_handler(
        &mut self,
        element: &Element,
        prefix: &str,
        cx: &mut BuildContext<'_>,
    ) -> Option<Arc<ErrorHandler>> {
        if let Some(reference) = element.attr("ref") {
            return match self.handlers.get(&reference.value) {
                Some(handler) => Some(handler.clone()),
                None if self.failed_globals.contains(&reference.value) => None,
                None => {
                    let known: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
                    let note = if known.is_empty() {
                        "the app declares no global `error-handler`".to_owned()
                    } else {
                        format!("global error handlers: {}", known.join(", "))
                    };
                    cx.report(
                        Diagnostic::error(
                            reference.value_span,
                            format!(
                                "`ref` names `{}`, but no global `error-handler` has that name",
                                reference.value
                            ),
                        )
                        .with_note(note),
                    );
                    None
                }
            };
        }
        let mut on_errors = Vec::new();
        let mut ok = true;
        for (idx, child) in element.children.iter().enumerate() {
            let built = if child.is(ns::CORE, "on-error") {
                let reference = child.attr("ref")?;
                let found = self.on_errors.get(&reference.value).cloned();
                if found.is_none() && !self.failed_globals.contains(&reference.value) {
                    cx.error(
                        reference.value_span,
                        format!("`ref` names `{}`, but no global `on-error-continue` or `on-error-propagate` has that name", reference.value),
                    );
                }
                found
            } else {
                self.on_error(child, &format!("{prefix}/{idx}"), cx)
            };
            match built {
                Some(on_error) => on_errors.push(on_error),
                None => ok = false,
            }
        }
        // A handler that takes every error hides the ones after it; Mule refuses that too.
        if let Some(position) =
            on_errors.iter().position(|h| h.types.is_empty() && h.when.is_none())
            && position + 1 < on_errors.len()
            && let Some(child) = element.children.get(position)
        {
            cx.report(
                Diagnostic::error(
                    child.span,
                    "only the last handler of an `error-handler` may take every error",
                )
                .with_note("give it a `type` or a `when`, or move it to the end"),
            );
            ok = false;
        }
        ok.then(|| Arc::new(ErrorHandler { on_errors }))
    }

    /// Builds an `on-error-continue` or `on-error-propagate`.
    pub(crate) fn on_error(
        &mut self,
        element: &Element,
        prefix: &str,
        cx: &mut BuildContext<'_>,
    ) -> Option<Arc<OnError>> {
        let kind = if &*element.name == "on-error-continue" {
            HandlerKind::Continue
        } else {
            HandlerKind::Propagate
        };
        let mut ok = true;
        let mut types = Vec::new();
        if let Some(attr) = element.attr("type") {
            for part in attr.value.split(',') {
                match self.handled_type(attr, part.trim(), cx) {
                    Some(ty) => types.push(ty),
                    None => ok = false,
                }
            }
            if types.iter().any(|t| &*t.identifier == "ANY" && &*t.namespace == "MULE") {
                types.clear();
            }
        }
        let when = match element.attr("when") {
            Some(attr) => {
                let when = bare_expr(attr, cx);
                ok &= when.is_some();
                when
            }
            None => None,
        };
        let log_exception = match element.attr("logException") {
            Some(attr) => match attr.value.trim() {
                "true" => true,
                "false" => false,
                other => {
                    cx.error(
                        attr.value_span,
                        format!("`logException` must be `true` or `false`, not `{other}`"),
                    );
                    ok = false;
                    true
                }
            },
            None => true,
        };
        let chain = self.chain(&element.children, prefix, cx);
        let chain = chain?;
        ok.then(|| Arc::new(OnError { kind, types, when, log_exception, chain }))
    }
}

/// An attribute holding an expression that may or may not be wrapped in `#[...]`, as
/// `when expression="..."` and `foreach collection="..."` may.
fn bare_expr(attr: &Attribute, cx: &mut BuildContext<'_>) -> Option<Expr> {
    let text = &attr.value;
    let trimmed = text.trim();
    let (inner, offset) = match trimmed.strip_prefix("#[").map(|rest| rest.strip_suffix(']')) {
        Some(Some(inner)) => (inner, text.find("#[").unwrap_or(0) + 2),
        Some(None) => {
            cx.report(attr.in_file(crate::expr::unclosed(text, attr.value_span)));
            return None;
        }
        None => (trimmed, text.find(trimmed).unwrap_or(0)),
    };
    Expr::compile(inner, attr.value_span.sub(offset, offset + inner.len()))
        .map_err(|d| cx.report(attr.in_file(d)))
        .ok()
}

/// `raise-error` or `error-mapping`, by the attribute that names the raised type.
fn attr_owner(attr: &Attribute) -> &'static str {
    if &*attr.name == "targetType" { "error-mapping" } else { "raise-error" }
}

/// A whole number of at least 1, such as `maxConcurrency` or `timeout`.
pub(crate) fn positive_number(attr: &Attribute, cx: &mut BuildContext<'_>) -> Option<usize> {
    match attr.value.trim().parse::<usize>() {
        // Semaphores take at most `Semaphore::MAX_PERMITS`; more is unbounded in practice.
        Ok(n) if n >= 1 => Some(n.min(Semaphore::MAX_PERMITS)),
        _ => {
            cx.error(
                attr.value_span,
                format!(
                    "`{}` must be a whole number of at least 1, not `{}`",
                    attr.name, attr.value
                ),
            );
            None
        }
    }
}

fn variable_name(
    element: &Element,
    attr_name: &str,
    default: &str,
    cx: &mut BuildContext<'_>,
) -> Option<String> {
    match element.attr(attr_name) {
        Some(attr) => cx.variable_name(attr),
        None => Some(default.to_owned()),
    }
}

/// Reports every `flow-ref` naming no flow, and every cycle of sub-flows (which would call
/// each other forever).
pub(crate) fn check_flow_refs(
    uses: &[FlowRefUse],
    flows: &BTreeMap<String, bool>,
    diagnostics: &mut Diagnostics,
) {
    for use_ in uses {
        if !flows.contains_key(&use_.target) {
            let mut known: Vec<&str> = flows.keys().map(String::as_str).collect();
            known.sort_unstable();
            diagnostics.push(
                Diagnostic::error(
                    use_.span,
                    format!(
                        "`flow-ref` names `{}`, but no flow or sub-flow has that name",
                        use_.target
                    ),
                )
                .with_note(format!("flows and sub-flows: {}", known.join(", "))),
            );
        }
    }
    // Sub-flows run inline, so a cycle among them never ends; flows may recurse (a `choice`
    // can stop them), and a depth limit at run time catches runaway recursion.
    let sub_flow_edges: Vec<&FlowRefUse> = uses
        .iter()
        .filter(|u| flows.get(&u.from) == Some(&true) && flows.get(&u.target) == Some(&true))
        .collect();
    let mut reported = BTreeSet::new();
    for start in sub_flow_edges.iter().map(|u| u.from.as_str()).collect::<BTreeSet<_>>() {
        let mut path = vec![start.to_owned()];
        if let Some(cycle) =
            find_cycle(start, start, &sub_flow_edges, &mut path, &mut BTreeSet::new())
        {
            // `a -> b -> a` and `b -> a -> b` are one cycle: key it by its members.
            let mut key: Vec<String> = cycle[1..].to_vec();
            key.sort();
            if !reported.insert(key) {
                continue;
            }
            let Some(edge) = sub_flow_edges.iter().find(|u| u.from == start) else { continue };
            diagnostics.push(
                Diagnostic::error(
                    edge.span,
                    format!("sub-flows call each other in a cycle: {}", cycle.join(" -> ")),
                )
                .with_note("a sub-flow runs inside its caller, so the cycle would never end"),
            );
        }
    }
}

fn find_cycle(
    start: &str,
    at: &str,
    edges: &[&FlowRefUse],
    path: &mut Vec<String>,
    visited: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    for edge in edges.iter().filter(|e| e.from == at) {
        if edge.target == start {
            let mut cycle = path.clone();
            cycle.push(start.to_owned());
            return Some(cycle);
        }
        if visited.insert(edge.target.clone()) {
            path.push(edge.target.clone());
            if let Some(cycle) = find_cycle(start, &edge.target, edges, path, visited) {
                return Some(cycle);
            }
            path.pop();
        }
    }
    None
}
