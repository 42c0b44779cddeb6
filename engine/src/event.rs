//! The Mule event: a message (payload and attributes), variables, and an error while one is
//! being handled.
//!
//! Events are values: each step takes one and returns a new one, as Mule 4 does.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::value::{TypedValue, Value};

/// Flow variables by name (`vars.name` in expressions).
pub type Vars = BTreeMap<String, TypedValue>;

/// Payload plus attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// The main content (`payload`).
    pub payload: TypedValue,
    /// Metadata from the source or the last operation (`attributes`), such as HTTP headers.
    pub attributes: TypedValue,
}

impl Message {
    /// A message with the given payload and no attributes.
    pub fn of(payload: TypedValue) -> Message {
        Message { payload, attributes: TypedValue::null() }
    }
}

/// What travels through a flow.
#[derive(Clone, Debug)]
pub struct Event {
    /// Payload and attributes.
    pub message: Message,
    /// Variables set by `set-variable` and operations with `target`.
    pub vars: Vars,
    /// The id that ties log lines of one execution together.
    pub correlation_id: Arc<str>,
    /// The error being handled, inside an error handler.
    pub error: Option<Arc<MuleError>>,
}

impl Event {
    /// A new event with a fresh correlation id.
    pub fn new(message: Message) -> Event {
        Event::with_correlation_id(message, uuid::Uuid::new_v4().to_string().into())
    }

    /// A new event with the given correlation id.
    pub fn with_correlation_id(message: Message, correlation_id: Arc<str>) -> Event {
        Event { message, vars: Vars::new(), correlation_id, error: None }
    }
}

/// A Mule error type such as `HTTP:NOT_FOUND`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ErrorType {
    /// Namespace, uppercase (`HTTP`, `MULE`).
    pub namespace: Arc<str>,
    /// Identifier, uppercase (`NOT_FOUND`).
    pub identifier: Arc<str>,
}

impl ErrorType {
    /// An error type from its two parts.
    pub fn new(namespace: &str, identifier: &str) -> ErrorType {
        ErrorType { namespace: namespace.into(), identifier: identifier.into() }
    }

    /// `MULE:EXPRESSION`: an expression failed.
    pub fn expression() -> ErrorType {
        ErrorType::new("MULE", "EXPRESSION")
    }

    /// `MULE:UNKNOWN`: a failure with no more specific type.
    pub fn unknown() -> ErrorType {
        ErrorType::new("MULE", "UNKNOWN")
    }

    /// `MULE:ANY`, the root of Mule's error hierarchy.
    pub fn any() -> ErrorType {
        ErrorType::new("MULE", "ANY")
    }

    /// Parses `NS:ID`, or a bare `ID`, which means `default_namespace:ID`. Both parts are
    /// upper-cased, as Mule does. `None` when a part is empty or has characters other than
    /// letters, digits, `_` and `-`.
    pub fn parse(text: &str, default_namespace: &str) -> Option<ErrorType> {
        let text = text.trim();
        let (namespace, identifier) = text.split_once(':').unwrap_or((default_namespace, text));
        let valid = |part: &str| {
            !part.is_empty()
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        (valid(namespace) && valid(identifier)).then(|| {
            ErrorType::new(&namespace.to_ascii_uppercase(), &identifier.to_ascii_uppercase())
        })
    }

    /// The parent type in Mule's error hierarchy; `None` for `MULE:ANY` itself. Types that
    /// Mule does not place elsewhere hang directly under `MULE:ANY`.
    pub fn parent(&self) -> Option<ErrorType> {
        let parent = match (&*self.namespace, &*self.identifier) {
            ("MULE", "ANY") => return None,
            ("HTTP", "CONNECTIVITY") => ("MULE", "CONNECTIVITY"),
            // The status errors of the HTTP requester's response validation.
            (
                "HTTP",
                "BAD_REQUEST"
                | "NOT_FOUND"
                | "METHOD_NOT_ALLOWED"
                | "NOT_ACCEPTABLE"
                | "UNSUPPORTED_MEDIA_TYPE"
                | "TOO_MANY_REQUESTS"
                | "INTERNAL_SERVER_ERROR"
                | "BAD_GATEWAY"
                | "SERVICE_UNAVAILABLE"
                | "GATEWAY_TIMEOUT"
                | "MULTIPLE_CHOICES"
                | "MOVED_PERMANENTLY"
                | "MOVED_TEMPORARILY"
                | "SEE_OTHER"
                | "NOT_MODIFIED",
            ) => ("HTTP", "RESPONSE_VALIDATION"),
            ("HTTP", "UNAUTHORIZED" | "FORBIDDEN") => ("MULE", "CLIENT_SECURITY"),
            ("HTTP", "RETRY_EXHAUSTED") | ("MULE", "RETRY_EXHAUSTED") => ("MULE", "CONNECTIVITY"),
            ("MULE", "CLIENT_SECURITY" | "SERVER_SECURITY") => ("MULE", "SECURITY"),
            ("MULE", "NOT_PERMITTED") => ("MULE", "SERVER_SECURITY"),
            ("MULE", "COMPOSITE_ROUTING") => ("MULE", "ROUTING"),
            ("MULE", "DUPLICATE_MESSAGE") => ("MULE", "VALIDATION"),
            _ => ("MULE", "ANY"),
        };
        Some(ErrorType::new(parent.0, parent.1))
    }

    /// Whether an error of this type is caught by a handler for `handled`: the type itself or
    /// one of its ancestors. `MULE:UNKNOWN` is only caught through `MULE:ANY`, as in Mule.
    pub fn is_a(&self, handled: &ErrorType) -> bool {
        if &*handled.namespace == "MULE" && &*handled.identifier == "ANY" {
            return true;
        }
        let mut current = Some(self.clone());
        while let Some(ty) = current {
            if &ty == handled {
                return true;
            }
            current = ty.parent();
        }
        false
    }

    /// The error type as a DataWeave value: `namespace`, `identifier` and `parentErrorType`
    /// (itself such a value, or null under `MULE:ANY`).
    pub fn to_value(&self) -> Value {
        let parent = self.parent().map_or(Value::Null, |p| p.to_value());
        Value::object([
            ("namespace", Value::string(&*self.namespace)),
            ("identifier", Value::string(&*self.identifier)),
            ("parentErrorType", parent),
        ])
    }
}

/// The error types of Mule's core namespace (`MULE:`) that handlers may name.
pub const CORE_ERROR_TYPES: &[&str] = &[
    "ANY",
    "EXPRESSION",
    "TRANSFORMATION",
    "CONNECTIVITY",
    "RETRY_EXHAUSTED",
    "ROUTING",
    "COMPOSITE_ROUTING",
    "SECURITY",
    "CLIENT_SECURITY",
    "SERVER_SECURITY",
    "NOT_PERMITTED",
    "VALIDATION",
    "DUPLICATE_MESSAGE",
    "REDELIVERY_EXHAUSTED",
    "STREAM_MAXIMUM_SIZE_EXCEEDED",
    "TIMEOUT",
    "UNKNOWN",
    // Errors of sending the response of a source; handlers may name them, flowrun's sources
    // never raise them.
    "SOURCE_RESPONSE",
    "SOURCE_RESPONSE_GENERATE",
    "SOURCE_RESPONSE_SEND",
    "SOURCE_ERROR_RESPONSE_GENERATE",
    "SOURCE_ERROR_RESPONSE_SEND",
];

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.namespace, self.identifier)
    }
}

/// An error raised while a flow runs, which error handlers may catch (Mule's `error`).
#[derive(Clone, Debug)]
pub struct MuleError {
    /// Its type, such as `HTTP:CONNECTIVITY`.
    pub error_type: ErrorType,
    /// `error.description`: the text a caller sees.
    pub description: String,
    /// The message that came with the failure, such as a failed HTTP response.
    pub error_message: Option<Box<Message>>,
    /// The path of the step that failed, `flow/processors/N`; filled in by the runtime.
    pub failing_component: Option<String>,
    /// The errors this one gathers (`error.childErrors`), such as the failed routes of a
    /// `scatter-gather`.
    pub child_errors: Vec<MuleError>,
}

impl MuleError {
    /// An error of the given type and description.
    pub fn new(error_type: ErrorType, description: impl Into<String>) -> MuleError {
        MuleError {
            error_type,
            description: description.into(),
            error_message: None,
            failing_component: None,
            child_errors: Vec::new(),
        }
    }

    /// A `MULE:EXPRESSION` error.
    pub fn expression(description: impl Into<String>) -> MuleError {
        MuleError::new(ErrorType::expression(), description)
    }

    /// The `MULE:EXPRESSION` error for an expression that failed, in Mule's wording: the
    /// DataWeave message, then the expression as written.
    pub fn expression_failed(message: &str, source: &str) -> MuleError {
        let quoted = MuleError::quoted_dw_message(message);
        MuleError::expression(format!("{quoted} evaluating expression: \"{source}\"."))
    }

    /// A DataWeave failure message in quotes, as Mule quotes it in an error description,
    /// ending with its trace: the one DataWeave gave (`at main (line: 1, column: 1)`), or
    /// `at main (Unknown)` for a message that came without one.
    pub fn quoted_dw_message(message: &str) -> String {
        if message.contains("\nTrace:\n") {
            format!("\"{message}\"")
        } else {
            format!("\"{message}\n\nTrace:\n  at main (Unknown)\"")
        }
    }

    /// The error as a DataWeave value (`#[error]`).
    pub fn to_value(&self) -> Value {
        let error_message = match &self.error_message {
            Some(msg) => Value::object([
                ("payload", msg.payload.value.clone()),
                ("attributes", msg.attributes.value.clone()),
            ]),
            None => Value::Null,
        };
        Value::object([
            ("description", Value::string(self.description.as_str())),
            ("detailedDescription", Value::string(self.description.as_str())),
            ("errorType", self.error_type.to_value()),
            ("errorMessage", error_message),
            ("childErrors", Value::array(self.child_errors.iter().map(MuleError::to_value))),
            // Mule gives the failing component's location; flowrun its processor path.
            (
                "failingComponent",
                self.failing_component.as_deref().map_or(Value::Null, Value::string),
            ),
        ])
    }
}

impl fmt::Display for MuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.description)
    }
}

#[cfg(test)]
mod tests {
    use super::MuleError;

    #[test]
    fn an_expression_error_ends_with_one_trace() {
        let traced = "Boom\n\n1| x\n   ^\nTrace:\n  at main (line: 1, column: 1)";
        let err = MuleError::expression_failed(traced, "x");
        assert_eq!(err.description, format!("\"{traced}\" evaluating expression: \"x\"."));
        // A message that came without a trace gets Mule's placeless one.
        let err = MuleError::expression_failed("Boom", "x");
        assert_eq!(
            err.description,
            "\"Boom\n\nTrace:\n  at main (Unknown)\" evaluating expression: \"x\"."
        );
    }
}
