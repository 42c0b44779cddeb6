//! [`BuildContext`]: what a plugin sees while it turns a checked element into a step or
//! configuration.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::expr::{Template, ValueExpr};
use crate::plugin::GlobalHandle;
use crate::props::{Properties, SearchPath};
use crate::secret::{SecretRef, SecretStore};
use crate::xml::{Attribute, Element};

/// A configuration built so far, under its `name`.
#[derive(Clone)]
pub(crate) struct BuiltGlobal {
    /// `None` when the configuration failed to build (its errors are already reported).
    pub(crate) handle: Option<GlobalHandle>,
    /// `http:request-config` and the like, for messages.
    pub(crate) qname: Arc<str>,
}

/// Services for plugins while the app loads: error reporting, configuration lookup,
/// expression compilation, properties and secrets.
pub struct BuildContext<'a> {
    pub(crate) diagnostics: &'a mut Diagnostics,
    pub(crate) globals: &'a BTreeMap<String, BuiltGlobal>,
    /// The app's properties.
    pub properties: &'a Properties,
    /// The app's secrets; property providers add to it.
    pub secrets: &'a SecretStore,
    /// Where files named in the app are looked for.
    pub search_path: &'a SearchPath,
    /// The app's name.
    pub app_name: &'a str,
    /// The flow being built, when building a source or step.
    pub flow_name: Option<&'a str>,
}

impl BuildContext<'_> {
    /// Reports an error at `span`.
    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(span, message));
    }

    /// Reports a diagnostic.
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// The configuration named by the element's `config-ref`, which must be a `T` (declared by
    /// the element kind `expected`, such as `http:request-config`).
    pub fn config<T: Send + Sync + 'static>(
        &mut self,
        element: &Element,
        expected: &str,
    ) -> Option<Arc<T>> {
        let Some(attr) = element.attr("config-ref") else {
            self.error(
                element.span,
                format!("missing required attribute `config-ref` on `{}`", element.qname),
            );
            return None;
        };
        let Some(global) = self.globals.get(&attr.value) else {
            let mut known: Vec<&str> = self
                .globals
                .iter()
                .filter(|(_, g)| {
                    g.handle.as_ref().is_some_and(|h| h.object.clone().downcast::<T>().is_ok())
                })
                .map(|(name, _)| name.as_str())
                .collect();
            known.sort_unstable();
            let note = if known.is_empty() {
                format!("no `{expected}` is declared in this app")
            } else {
                format!("declared `{expected}` elements: {}", known.join(", "))
            };
            self.report(
                Diagnostic::error(
                    attr.value_span,
                    format!("`config-ref` names `{}`, but nothing has that name", attr.value),
                )
                .with_note(note),
            );
            return None;
        };
        let Some(handle) = &global.handle else {
            // It failed to build, and said why; this reference adds nothing.
            return None;
        };
        match handle.object.clone().downcast::<T>() {
            Ok(config) => Some(config),
            Err(_) => {
                let message = format!(
                    "`config-ref` names `{}`, which is a `{}`; `{}` needs a `{expected}`",
                    attr.value, global.qname, element.qname
                );
                self.error(attr.value_span, message);
                None
            }
        }
    }

    /// The configurations of type `T` built so far in this load, by name (in name order); a
    /// configuration kind uses it to find clashes with the ones declared before it.
    pub fn globals_of<T: Send + Sync + 'static>(&self) -> Vec<(&str, Arc<T>)> {
        self.globals
            .iter()
            .filter_map(|(name, global)| {
                Some((name.as_str(), global.handle.as_ref()?.object.clone().downcast::<T>().ok()?))
            })
            .collect()
    }

    /// Compiles an attribute value: `#[...]` is an expression, other text a literal.
    pub fn value_expr(&mut self, attr: &Attribute) -> Option<ValueExpr> {
        ValueExpr::compile(&attr.value, attr.value_span)
            .map_err(|d| self.report(attr.in_file(d)))
            .ok()
    }

    /// Compiles an attribute value as literal text, one expression or a template, as Mule's
    /// `set-payload` and `set-variable` read theirs (see [`ValueExpr::compile_mixed`]).
    pub fn value_or_template(&mut self, attr: &Attribute) -> Option<ValueExpr> {
        ValueExpr::compile_mixed(&attr.value, attr.value_span)
            .map_err(|d| self.report(attr.in_file(d)))
            .ok()
    }

    /// Compiles an attribute value as a template with embedded `#[...]` parts.
    pub fn template(&mut self, attr: &Attribute) -> Option<Template> {
        Template::compile(&attr.value, attr.value_span)
            .map_err(|d| self.report(attr.in_file(d)))
            .ok()
    }

    /// Compiles an element's text content (such as `<http:body>#[payload]</http:body>`) as a
    /// value; `None` (with an error) when it has none.
    pub fn text_expr(&mut self, element: &Element) -> Option<ValueExpr> {
        let Some(text) = &element.text else {
            self.error(
                element.span,
                format!("`{}` needs content, such as `#[payload]`", element.qname),
            );
            return None;
        };
        // The text's span starts at its first non-blank character.
        let trimmed = text.value.trim();
        ValueExpr::compile(trimmed, text.span.sub(0, trimmed.len()))
            .map_err(|d| self.report(text.in_file(d)))
            .ok()
    }

    /// A live reference to the secret an attribute names, when its raw text is exactly one
    /// `${secure::name}` placeholder. Holders of the reference see rotated values.
    pub fn secret_attr(&self, attr: &Attribute) -> Option<SecretRef> {
        let key = attr.raw.trim().strip_prefix("${secure::")?.strip_suffix('}')?;
        // A system property or environment variable named `secure::key` overrides the secure
        // file, as in Mule; then the attribute's resolved text is what counts.
        match self.properties.lookup(&format!("secure::{key}")) {
            Some(crate::props::PropertyValue::Secret(_)) => self.secrets.get(key),
            _ => None,
        }
    }

    /// The value of attribute `name` with placeholders resolved against system properties,
    /// the environment and global properties only. Errors are reported at the attribute.
    pub fn bootstrap_attr(&mut self, element: &Element, name: &str) -> Option<String> {
        let attr = element.attr(name)?;
        match self.properties.resolve_bootstrap(&attr.raw) {
            Ok(resolved) => Some(resolved.text),
            Err(err) => {
                self.error(attr.value_span, err.to_string());
                None
            }
        }
    }

    /// The variable name an attribute gives (`variableName`, `target`): letters, digits and
    /// `_` only, else an error at the attribute.
    pub fn variable_name(&mut self, attr: &Attribute) -> Option<String> {
        let name = attr.value.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            self.error(
                attr.value_span,
                format!("invalid variable name `{name}`: use letters, digits and `_`"),
            );
            return None;
        }
        Some(name.to_owned())
    }

    /// Finds a file named in the app (see [`SearchPath`]).
    pub fn find_file(&self, name: &str) -> Option<PathBuf> {
        self.search_path.find(name)
    }
}
