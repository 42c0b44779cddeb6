//! The expression language: the DataWeave subset that Mule flows are written in.
//!
//! Expressions appear in three forms in a flow file:
//! - an attribute whose whole value is `#[...]`, compiled with [`ValueExpr::compile`];
//! - a text template with embedded `#[...]` parts, such as a logger message ([`Template`]);
//! - a whole script (`ee:transform`), compiled with [`Expr::compile`].
//!
//! Everything is compiled when the app loads, so a syntax error is a load error with its
//! location, and evaluated per event against a [`Scope`]. Evaluation does no I/O.

use std::sync::Arc;

use bytes::Bytes;

use crate::diag::{Diagnostic, Span};
use crate::event::{Event, MuleError, Vars};
use crate::props::PropertyLookup;
use crate::value::{MediaType, TypedValue, Value};

/// What an expression can see: the event's parts and the app's properties.
pub struct Scope<'a> {
    /// `payload`.
    pub payload: &'a TypedValue,
    /// `attributes`.
    pub attributes: &'a TypedValue,
    /// `vars`.
    pub vars: &'a Vars,
    /// `error`, inside an error handler.
    pub error: Option<&'a MuleError>,
    /// `correlationId`.
    pub correlation_id: &'a str,
    /// Answers `p('name')`.
    pub properties: &'a dyn PropertyLookup,
}

impl<'a> Scope<'a> {
    /// The scope of an event.
    pub fn of(event: &'a Event, properties: &'a dyn PropertyLookup) -> Scope<'a> {
        Scope {
            payload: &event.message.payload,
            attributes: &event.message.attributes,
            vars: &event.vars,
            error: event.error.as_deref(),
            correlation_id: &event.correlation_id,
            properties,
        }
    }
}

/// A failed evaluation, with DataWeave's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    /// The message as DataWeave words it.
    pub message: String,
}

/// A compiled expression or script.
#[derive(Clone, Debug)]
pub struct Expr {
    source: Arc<str>,
}

impl Expr {
    /// Compiles DataWeave source. `span` is where `source` starts in its file, so that syntax
    /// errors point into the flow file.
    pub fn compile(source: &str, span: Span) -> Result<Expr, Diagnostic> {
        let _ = span;
        Ok(Expr { source: source.into() })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates the expression against an event.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<TypedValue, EvalError> {
        let _ = scope;
        Err(EvalError { message: "expressions are not implemented yet".into() })
    }
}

/// An attribute value: either literal text or a `#[...]` expression.
#[derive(Clone, Debug)]
pub enum ValueExpr {
    /// Plain text, used as a String.
    Literal(Arc<str>),
    /// An expression.
    Expr(Expr),
}

impl ValueExpr {
    /// Compiles an attribute value: `#[...]` (after trimming) is an expression, anything else
    /// is literal text.
    pub fn compile(text: &str, span: Span) -> Result<ValueExpr, Diagnostic> {
        let trimmed = text.trim();
        match trimmed.strip_prefix("#[").and_then(|rest| rest.strip_suffix(']')) {
            Some(inner) => {
                let offset = text.find("#[").unwrap_or(0) + 2;
                Ok(ValueExpr::Expr(Expr::compile(inner, span.sub(offset, offset + inner.len()))?))
            }
            None => Ok(ValueExpr::Literal(text.into())),
        }
    }

    /// Evaluates the value; a literal is a String.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<TypedValue, EvalError> {
        match self {
            ValueExpr::Literal(text) => Ok(TypedValue::java(Value::String(text.clone()))),
            ValueExpr::Expr(expr) => expr.eval(scope),
        }
    }
}

/// Text with embedded `#[...]` expressions, such as a logger message.
#[derive(Clone, Debug)]
pub struct Template {
    parts: Vec<TemplatePart>,
}

#[derive(Clone, Debug)]
enum TemplatePart {
    Text(Arc<str>),
    Expr(Expr),
}

impl Template {
    /// Compiles a template.
    pub fn compile(text: &str, span: Span) -> Result<Template, Diagnostic> {
        let _ = span;
        Ok(Template { parts: vec![TemplatePart::Text(text.into())] })
    }

    /// Evaluates every embedded expression and joins the parts into one string.
    pub fn render(&self, scope: &Scope<'_>) -> Result<String, EvalError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(text) => out.push_str(text),
                TemplatePart::Expr(expr) => out.push_str(&to_text(&expr.eval(scope)?)),
            }
        }
        Ok(out)
    }
}

/// Converts a value to the text a logger prints: strings as they are, written JSON as its
/// text, binary content decoded as UTF-8.
pub fn to_text(value: &TypedValue) -> String {
    match &value.value {
        Value::String(s) => s.to_string(),
        Value::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::Null => "null".into(),
        other => format!("{other:?}"),
    }
}

/// Serialises a value for the wire (an HTTP body), with the media type to announce.
pub fn to_bytes(value: &TypedValue) -> Result<(Bytes, MediaType), EvalError> {
    match &value.value {
        Value::Binary(bytes) => Ok((bytes.clone(), value.media_type.clone())),
        Value::String(s) => Ok((Bytes::from(s.to_string()), value.media_type.clone())),
        Value::Null => Ok((Bytes::new(), value.media_type.clone())),
        _ => Err(EvalError { message: "cannot write this value yet".into() }),
    }
}
