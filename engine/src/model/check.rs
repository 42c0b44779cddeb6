//! Checks elements against the schemas their kinds declare, reporting every unknown element
//! or attribute and every missing required one.

use crate::diag::{Diagnostic, Diagnostics};
use crate::model::scopes;
use crate::plugin::{AttrSpec, Kind, Registry, Schema};
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

/// Checks a `<mule>` document: its top-level elements and every flow's steps.
pub(crate) fn check_document(root: &Element, registry: &Registry, diagnostics: &mut Diagnostics) {
    check_attributes(root, &[], diagnostics);
    for element in &root.children {
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
        match schema.children.iter().find(|c| child.is(c.ns, c.name)) {
            Some(spec) => check_element(child, spec.schema, diagnostics),
            // An element of another module (`tls:context` in an HTTP configuration).
            None if !child.ns.is_empty() && child.ns != element.ns && &*child.ns != ns::CORE => {
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

fn check_attributes(element: &Element, allowed: &[AttrSpec], diagnostics: &mut Diagnostics) {
    for attr in &element.attrs {
        let ignorable = &*attr.ns == ns::DOC || &*attr.ns == ns::XSI;
        if ignorable || (attr.ns.is_empty() && allowed.iter().any(|a| a.name == &*attr.name)) {
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
    "object",
    "notifications",
    "security-manager",
    "dynamic-config-expiration",
    "reconnection",
    "expiration-policy",
    "redelivery-policy",
    "invoke",
];

/// `prefix:name` using the prefix the author gave the parent element's namespace, when the
/// child is in the same namespace; otherwise just `name`.
fn qualified(parent: &Element, child_ns: &str, child_name: &str) -> String {
    match parent.qname.split_once(':') {
        Some((prefix, _)) if &*parent.ns == child_ns => format!("{prefix}:{child_name}"),
        _ => child_name.to_owned(),
    }
}
