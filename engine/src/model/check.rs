//! Checks elements against the schemas their kinds declare, reporting every unknown element
//! or attribute and every missing required one.

use crate::diag::{Diagnostic, Diagnostics};
use crate::model::scopes;
use crate::plugin::{AttrSpec, ChildSpec, Kind, Registry, Schema};
use crate::xml::{Element, ns};

const FLOW: Schema = Schema {
    attributes: &[
        AttrSpec::required("name"),
        AttrSpec::optional("initialState"),
        AttrSpec::optional("maxConcurrency"),
    ],
    children: &[],
    text: false,
};

const GLOBAL_PROPERTY: Schema = Schema {
    attributes: &[AttrSpec::required("name"), AttrSpec::required("value")],
    children: &[],
    text: false,
};

const CONFIGURATION_PROPERTIES: Schema = Schema {
    attributes: &[AttrSpec::required("file"), AttrSpec::optional("encoding")],
    children: &[],
    text: false,
};

/// `<reconnection>` in a connection: how Mule retries connecting. flowrun connects per request,
/// so it checks the element's shape and otherwise ignores it.
static RECONNECTION: Schema = Schema {
    attributes: &[AttrSpec::optional("failsDeployment")],
    children: &[
        ChildSpec { ns: ns::CORE, name: "reconnect", schema: &RECONNECT, required: false },
        ChildSpec {
            ns: ns::CORE,
            name: "reconnect-forever",
            schema: &RECONNECT_FOREVER,
            required: false,
        },
    ],
    text: false,
};

static RECONNECT: Schema = Schema {
    attributes: &[
        AttrSpec::optional("frequency"),
        AttrSpec::optional("count"),
        AttrSpec::optional("blocking"),
    ],
    children: &[],
    text: false,
};

static RECONNECT_FOREVER: Schema = Schema {
    attributes: &[AttrSpec::optional("frequency"), AttrSpec::optional("blocking")],
    children: &[],
    text: false,
};

/// Mule's streaming strategies on a connector's source or operation. flowrun holds every
/// payload in memory, where it can be read again, so they change nothing.
static REPEATABLE_IN_MEMORY_STREAM: Schema = Schema {
    attributes: &[
        AttrSpec::optional("initialBufferSize"),
        AttrSpec::optional("bufferSizeIncrement"),
        AttrSpec::optional("maxBufferSize"),
        AttrSpec::optional("bufferUnit"),
    ],
    children: &[],
    text: false,
};

static REPEATABLE_FILE_STORE_STREAM: Schema = Schema {
    attributes: &[AttrSpec::optional("inMemorySize"), AttrSpec::optional("bufferUnit")],
    children: &[],
    text: false,
};

/// `<api-gateway:autodiscovery>`: registers the app with API Manager, which applies the API's
/// policies. flowrun accepts it, with a warning, so that managed apps load.
static AUTODISCOVERY: Schema = Schema {
    attributes: &[
        AttrSpec::required("apiId"),
        AttrSpec::required("flowRef"),
        AttrSpec::optional("ignoreBasePath"),
    ],
    children: &[],
    text: false,
};

/// The API gateway module's namespace (`api-gateway:autodiscovery`).
pub(crate) const API_GATEWAY: &str = "http://www.mulesoft.org/schema/mule/api-gateway";

/// Whether `element` is `<api-gateway:autodiscovery>`.
pub(crate) fn is_autodiscovery(element: &Element) -> bool {
    element.is(API_GATEWAY, "autodiscovery")
}

/// Checks a `<mule>` document: its top-level elements and every flow's steps.
pub(crate) fn check_document(root: &Element, registry: &Registry, diagnostics: &mut Diagnostics) {
    check_attributes(root, &[], diagnostics);
    for element in &root.children {
        if (element.is(ns::CORE, "flow") || element.is(ns::CORE, "sub-flow"))
            && let Some(deep) = scopes::nested_too_deep(element)
        {
            diagnostics.push(scopes::too_deep_error(deep));
            continue;
        }
        if element.is(ns::CORE, "flow") {
            check_flow(element, registry, diagnostics);
            continue;
        }
        if scopes::is_core_global(element) {
            scopes::check_global(element, registry, diagnostics);
            continue;
        }
        if element.is(ns::CORE, "global-property") {
            check_element(element, &GLOBAL_PROPERTY, diagnostics);
            continue;
        }
        if element.is(ns::CORE, "configuration-properties") {
            check_element(element, &CONFIGURATION_PROPERTIES, diagnostics);
            continue;
        }
        if is_autodiscovery(element) {
            check_element(element, &AUTODISCOVERY, diagnostics);
            diagnostics.push(
                Diagnostic::warning(
                    element.span,
                    "flowrun does not register with API Manager: the API's policies are not applied",
                )
                .with_note("`api-gateway:autodiscovery` is accepted and otherwise ignored"),
            );
            continue;
        }
        match registry.get(&element.ns, &element.name) {
            Some(Kind::Global(kind)) => {
                check_element(element, kind.schema(), diagnostics);
                if element.attr("name").is_none() {
                    // The schema of every configuration lists `name` as required, but say it
                    // here too in case a plugin forgot, since `config-ref` depends on it.
                    if !kind.schema().attributes.iter().any(|a| a.name == "name") {
                        diagnostics.push(missing_attr(element, "name"));
                    }
                }
            }
            // Property sources were checked when they were built.
            Some(Kind::PropertyProvider(_)) => {}
            Some(Kind::Source(_) | Kind::Processor(_)) => diagnostics.push(
                Diagnostic::error(
                    element.span,
                    format!("`{}` is a flow step, but it is outside any flow", element.qname),
                )
                .with_note("put it inside a `<flow>`"),
            ),
            None => {
                diagnostics.push(unknown_element(element, registry, "a global element or `flow`"))
            }
        }
    }
}

fn check_flow(flow: &Element, registry: &Registry, diagnostics: &mut Diagnostics) {
    // The flow's own attributes follow its schema; its children are steps, checked below.
    check_attributes(flow, FLOW.attributes, diagnostics);
    if flow.attr("name").is_none() {
        diagnostics.push(missing_attr(flow, "name"));
    }
    if let Some(text) = &flow.text {
        diagnostics.push(Diagnostic::error(text.span, "`flow` does not take text content"));
    }
    let mut body = &flow.children[..];
    if let Some(first) = flow.children.first()
        && let Some(Kind::Source(kind)) = registry.get(&first.ns, &first.name)
    {
        check_element(first, kind.schema(), diagnostics);
        body = &flow.children[1..];
    }
    let (steps, handler) = scopes::split_handler(body);
    scopes::check_steps(steps, registry, diagnostics);
    if let Some(handler) = handler {
        scopes::check_error_handler(handler, registry, diagnostics);
    }
}

/// Checks one element and its children against a schema.
pub(crate) fn check_element(element: &Element, schema: &Schema, diagnostics: &mut Diagnostics) {
    check_attributes(element, schema.attributes, diagnostics);
    for spec in schema.attributes.iter().filter(|a| a.required) {
        if element.attr(spec.name).is_none() {
            diagnostics.push(missing_attr(element, spec.name));
        }
    }
    for child in &element.children {
        let spec = schema.children.iter().find(|c| child.is(c.ns, c.name));
        if let (None, Some(accepted)) = (spec, accepted_core_child(element, child)) {
            check_element(child, accepted, diagnostics);
            continue;
        }
        let foreign = !child.ns.is_empty() && child.ns != element.ns && &*child.ns != ns::CORE;
        let unsupported_core =
            &*child.ns == ns::CORE && MULE_CORE_UNSUPPORTED.contains(&&*child.name);
        match spec {
            Some(spec) => check_element(child, spec.schema, diagnostics),
            // An element of another module (`tls:context` in an HTTP configuration), or one of
            // Mule's own that flowrun lacks (`redelivery-policy` in a source).
            None if foreign || unsupported_core => {
                diagnostics.push(
                    Diagnostic::error(
                        child.span,
                        format!(
                            "unsupported element `{}` inside `{}`: flowrun does not implement it",
                            child.qname, element.qname
                        ),
                    )
                    .with_note(format!("namespace `{}`", child.ns)),
                );
            }
            None => {
                let expected: Vec<String> = schema
                    .children
                    .iter()
                    .map(|c| format!("`{}`", qualified(element, c.ns, c.name)))
                    .collect();
                let note = if expected.is_empty() {
                    format!("`{}` takes no child elements", element.qname)
                } else {
                    format!("expected one of: {}", expected.join(", "))
                };
                diagnostics.push(
                    Diagnostic::error(
                        child.span,
                        format!("unknown element `{}` inside `{}`", child.qname, element.qname),
                    )
                    .with_note(note),
                );
            }
        }
    }
    for spec in schema.children.iter().filter(|c| c.required) {
        if element.child(spec.ns, spec.name).is_none() {
            diagnostics.push(Diagnostic::error(
                element.span,
                format!(
                    "`{}` needs a `{}` child element",
                    element.qname,
                    qualified(element, spec.ns, spec.name)
                ),
            ));
        }
    }
    if let Some(text) = &element.text
        && !schema.text
    {
        diagnostics.push(Diagnostic::error(
            text.span,
            format!("`{}` does not take text content", element.qname),
        ));
    }
}

/// The schema of a core element Mule allows inside `parent` and flowrun accepts without acting
/// on it: `<reconnection>` in a connection, a streaming strategy in a connector's source or
/// operation.
fn accepted_core_child(parent: &Element, child: &Element) -> Option<&'static Schema> {
    if &*child.ns != ns::CORE {
        return None;
    }
    let in_connection = parent.name.ends_with("-connection");
    let in_operation =
        &*parent.ns != ns::CORE && !in_connection && !parent.name.ends_with("config");
    match &*child.name {
        "reconnection" if in_connection => Some(&RECONNECTION),
        "repeatable-in-memory-stream" if in_operation => Some(&REPEATABLE_IN_MEMORY_STREAM),
        "repeatable-file-store-stream" if in_operation => Some(&REPEATABLE_FILE_STORE_STREAM),
        "non-repeatable-stream" if in_operation => Some(&Schema::EMPTY),
        _ => None,
    }
}

/// Attributes Mule defines on elements flowrun implements, but whose feature flowrun lacks:
/// `(namespace, element, attribute, feature)`.
const UNSUPPORTED_ATTRIBUTES: &[(&str, &str, &str, &str)] = &[
    (ns::HTTP, "listener-connection", "tlsContext", "TLS (HTTPS)"),
    (ns::HTTP, "request-connection", "tlsContext", "TLS (HTTPS)"),
    (ns::HTTP, "request-connection", "proxyConfig", "HTTP proxies"),
];

/// Mule's business events namespace: `tracking:enable-default-events="true"` on a step asks
/// Runtime Manager for its default events, which flowrun has no use for.
const TRACKING: &str = "http://www.mulesoft.org/schema/mule/ee/tracking";

fn check_attributes(element: &Element, allowed: &[AttrSpec], diagnostics: &mut Diagnostics) {
    for attr in &element.attrs {
        let tracking = &*attr.ns == TRACKING && &*attr.name == "enable-default-events";
        let ignorable = &*attr.ns == ns::DOC || &*attr.ns == ns::XSI || tracking;
        if ignorable || (attr.ns.is_empty() && allowed.iter().any(|a| a.name == &*attr.name)) {
            continue;
        }
        let unsupported = UNSUPPORTED_ATTRIBUTES.iter().find(|(namespace, name, attr_name, _)| {
            element.is(namespace, name) && attr.ns.is_empty() && *attr_name == &*attr.name
        });
        if let Some((_, _, _, feature)) = unsupported {
            diagnostics.push(Diagnostic::error(
                attr.span,
                format!(
                    "unsupported attribute `{}` on `{}`: flowrun does not implement {feature} yet",
                    attr.qname, element.qname
                ),
            ));
            continue;
        }
        let note = if allowed.is_empty() {
            format!("`{}` takes no attributes", element.qname)
        } else {
            let names: Vec<String> = allowed.iter().map(|a| format!("`{}`", a.name)).collect();
            format!("expected one of: {}", names.join(", "))
        };
        diagnostics.push(
            Diagnostic::error(
                attr.span,
                format!("unknown attribute `{}` on `{}`", attr.qname, element.qname),
            )
            .with_note(note),
        );
    }
}

fn missing_attr(element: &Element, name: &str) -> Diagnostic {
    Diagnostic::error(
        element.span,
        format!("missing required attribute `{name}` on `{}`", element.qname),
    )
}

pub(crate) fn unknown_element(
    element: &Element,
    registry: &Registry,
    expected: &str,
) -> Diagnostic {
    if let Some(unsupported) = unsupported_element(element, registry) {
        return unsupported;
    }
    let mut known: Vec<&str> = registry
        .kinds()
        .iter()
        .map(Kind::component)
        .filter(|c| c.namespace() == &*element.ns)
        .map(|c| c.name())
        .collect();
    if &*element.ns == ns::CORE {
        known.extend(scopes::CORE_ROUTERS);
    }
    known.sort_unstable();
    let diagnostic = Diagnostic::error(
        element.span,
        format!("unknown element `{}`, expected {expected}", element.qname),
    );
    if element.ns.is_empty() {
        return diagnostic
            .with_note("the element has no namespace; declare xmlns on the root element");
    }
    diagnostic.with_note(format!("known elements of this namespace: {}", known.join(", ")))
}

/// The error for a real Mule element that flowrun does not implement: any element of a
/// namespace flowrun has no element of (a connector such as `db:` or `salesforce:`), or one
/// of Mule's core elements flowrun lacks. `None` for anything else, such as a misspelling.
pub(crate) fn unsupported_element(element: &Element, registry: &Registry) -> Option<Diagnostic> {
    if is_autodiscovery(element) {
        return None;
    }
    let message = if is_unsupported_namespace(&element.ns, registry) {
        format!(
            "unsupported element `{}`: flowrun does not implement this connector",
            element.qname
        )
    } else if &*element.ns == ns::CORE && MULE_CORE_UNSUPPORTED.contains(&&*element.name) {
        format!(
            "unsupported element `{}`: flowrun does not implement Mule's `{}` yet",
            element.qname, element.name
        )
    } else if MODULE_UNSUPPORTED.iter().any(|(namespace, name)| element.is(namespace, name)) {
        format!(
            "unsupported element `{}`: flowrun implements other elements of this module, but not this one yet",
            element.qname
        )
    } else {
        return None;
    };
    let note = format!("namespace `{}`", element.ns);
    Some(Diagnostic::error(element.span, message).with_note(note))
}

/// Whether no element kind flowrun knows lives in `namespace` (and it is not Mule's core or
/// documentation namespace).
pub(crate) fn is_unsupported_namespace(namespace: &str, registry: &Registry) -> bool {
    !namespace.is_empty()
        && namespace != ns::CORE
        && namespace != ns::DOC
        && !registry.kinds().iter().any(|k| k.component().namespace() == namespace)
}

/// Elements of Mule 4's core namespace that flowrun does not implement; an app using them is
/// told so, rather than that the element is unknown.
const MULE_CORE_UNSUPPORTED: &[&str] = &[
    "first-successful",
    "round-robin",
    "parallel-foreach",
    "parse-template",
    "idempotent-message-validator",
    "import",
    "object",
    "notifications",
    "security-manager",
    "dynamic-config-expiration",
    "expiration-policy",
    "redelivery-policy",
    "invoke",
];

/// Elements of modules flowrun implements in part (HTTP, `ee:`) that it lacks.
const MODULE_UNSUPPORTED: &[(&str, &str)] = &[
    (ns::HTTP, "load-static-resource"),
    (ns::HTTP, "basic-security-filter"),
    (ns::EE, "cache"),
    (ns::EE, "object-store-caching-strategy"),
];

/// `prefix:name` using the prefix the author gave the parent element's namespace, when the
/// child is in the same namespace; otherwise just `name`.
fn qualified(parent: &Element, child_ns: &str, child_name: &str) -> String {
    match parent.qname.split_once(':') {
        Some((prefix, _)) if &*parent.ns == child_ns => format!("{prefix}:{child_name}"),
        _ => child_name.to_owned(),
    }
}
