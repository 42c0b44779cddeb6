//! The HTTP connector: `http:listener-config` and `http:listener` (a server that starts flows),
//! `http:request-config` and `http:request` (a client that calls other services).
//!
//! How a request travels through the listener side: `listener_config` binds one server per
//! configuration when the app starts; each `http:listener` registered a route on it
//! (`router` decides which route a path goes to); `listener` turns the request into an
//! event whose attributes are built by `attributes`, runs the flow and turns its result
//! into the response. On the requester side, `request` evaluates the request from the
//! event, sends it with the client of its `request_config`, and maps failing statuses to
//! Mule's error types (`status`).
//!
//! ```xml
//! <http:listener-config name="api">
//!     <http:listener-connection host="127.0.0.1" port="8081"/>
//! </http:listener-config>
//! <flow name="echo">
//!     <http:listener config-ref="api" path="/echo" allowedMethods="POST"/>
//! </flow>
//! ```

mod attributes;
mod codec;
mod listener;
mod listener_config;
mod request;
mod request_config;
mod response;
mod router;
mod status;

#[cfg(test)]
mod tests;

use flowrun_engine::plugin::{Kind, Registry};

pub use listener_config::HttpListenerConfig;
pub use request_config::HttpRequestConfig;

/// Adds the HTTP connector's element kinds to a registry.
pub fn register(registry: &mut Registry) {
    registry.add(Kind::Global(Box::new(listener_config::HttpListenerConfigKind)));
    registry.add(Kind::Source(Box::new(listener::HttpListenerKind)));
    registry.add(Kind::Global(Box::new(request_config::HttpRequestConfigKind)));
    registry.add(Kind::Processor(Box::new(request::HttpRequestKind)));
    registry.add_error_types("HTTP", ERROR_TYPES);
}

/// The error types of Mule's HTTP connector, which error handlers may name.
const ERROR_TYPES: &[&str] = &[
    "BAD_REQUEST",
    "UNAUTHORIZED",
    "FORBIDDEN",
    "NOT_FOUND",
    "METHOD_NOT_ALLOWED",
    "NOT_ACCEPTABLE",
    "UNSUPPORTED_MEDIA_TYPE",
    "TOO_MANY_REQUESTS",
    "INTERNAL_SERVER_ERROR",
    "BAD_GATEWAY",
    "SERVICE_UNAVAILABLE",
    "GATEWAY_TIMEOUT",
    "MULTIPLE_CHOICES",
    "MOVED_PERMANENTLY",
    "MOVED_TEMPORARILY",
    "SEE_OTHER",
    "NOT_MODIFIED",
    "TIMEOUT",
    "CONNECTIVITY",
    "PARSING",
    "SECURITY",
    "CLIENT_SECURITY",
    "TRANSFORMATION",
    "RETRY_EXHAUSTED",
    "RESPONSE_VALIDATION",
    "SERVER_SECURITY",
    "BASIC_AUTHENTICATION",
];
