//! `http:listener`: the source that starts a flow for each HTTP request on its path, and the
//! request handler that turns a request into an event and the flow's result into a response.
//!
//! A request that matches no listener gets `404 No listener for endpoint: /path`; one whose
//! path matches but whose method does not gets `405 Method not allowed for endpoint: /path`.
//! A flow that fails answers `500 Server Error` with the error's description as text.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use flowrun_engine::diag::Diagnostic;
use flowrun_engine::event::{Event, Message, MuleError};
use flowrun_engine::plugin::{AttrSpec, BuildContext, ChildSpec, Schema, Source, SourceKind};
use flowrun_engine::runtime::FlowRunner;
use flowrun_engine::value::TypedValue;
use flowrun_engine::xml::{Element, ns};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};

use crate::http::attributes::{self, OutputType, RequestInfo, RouteInfo};
use crate::http::listener_config::{HttpListenerConfig, RouteClaim, ServerShared};
use crate::http::response::{self, RESPONSE_SCHEMA, ResponseBuilder};
use crate::http::router::{self, Lookup, Methods, PathPattern, Route};

static LISTENER_SCHEMA: Schema = Schema {
    attributes: &[
        AttrSpec::required("config-ref"),
        AttrSpec::required("path"),
        AttrSpec::optional("allowedMethods"),
        // Not a Mule 4 attribute; accepted as an alias of `allowedMethods` with a warning.
        AttrSpec::optional("method"),
        AttrSpec::optional("outputMimeType"),
        AttrSpec::optional("outputEncoding"),
    ],
    children: &[
        ChildSpec { ns: ns::HTTP, name: "response", schema: &RESPONSE_SCHEMA, required: false },
        ChildSpec {
            ns: ns::HTTP,
            name: "error-response",
            schema: &RESPONSE_SCHEMA,
            required: false,
        },
    ],
    text: false,
};

/// The `http:listener` element kind.
pub(crate) struct HttpListenerKind;

flowrun_engine::component!(
    HttpListenerKind,
    ns::HTTP,
    "listener",
    "starts the flow for each HTTP request received on a path",
    &LISTENER_SCHEMA
);

impl SourceKind for HttpListenerKind {
    fn build(&self, element: &Element, cx: &mut BuildContext<'_>) -> Option<Arc<dyn Source>> {
        let config = cx.config::<HttpListenerConfig>(element, "http:listener-config");
        let methods = listener_methods(element, cx);
        let responses = Responses::compile(element, cx);
        let output_type = OutputType::compile(element, cx);
        let path = element.attr("path")?;
        let config = config?;
        let full_path = format!("{}/{}", config.base_path(), path.value.trim_start_matches('/'));
        let pattern = match PathPattern::parse(&full_path) {
            Ok(pattern) => pattern,
            Err(err) => {
                cx.error(path.value_span, err.to_string());
                return None;
            }
        };
        let methods = methods?;
        let claim = RouteClaim {
            path_span: path.value_span,
            flow_name: cx.flow_name.unwrap_or_default().to_owned(),
        };
        if let Err((message, first)) = config.claim_route(&pattern, &methods, claim) {
            let diagnostic = Diagnostic::error(path.value_span, message).with_related(
                first.path_span,
                format!("the first listener for this path, in flow `{}`", first.flow_name),
            );
            cx.report(diagnostic);
            return None;
        }
        Some(Arc::new(HttpListener {
            config,
            pattern,
            methods,
            responses: Arc::new(responses?),
            output_type: output_type?,
        }))
    }
}

/// Reads `allowedMethods`, or `method` (with a warning, since Mule 4 does not know it).
fn listener_methods(element: &Element, cx: &mut BuildContext<'_>) -> Option<Methods> {
    match (element.attr("allowedMethods"), element.attr("method")) {
        (Some(_), Some(method)) => {
            cx.error(method.span, "`method` and `allowedMethods` are both set on `http:listener`; keep `allowedMethods`");
            None
        }
        (Some(allowed), None) => Some(router::parse_methods(&allowed.value)),
        (None, Some(method)) => {
            cx.report(
                Diagnostic::warning(
                    method.span,
                    "`method` is not an attribute of `http:listener` in Mule 4",
                )
                .with_note(format!(
                    "Mule 4 calls it `allowedMethods`: allowedMethods=\"{}\"",
                    method.value
                )),
            );
            Some(router::parse_methods(&method.value))
        }
        (None, None) => Some(None),
    }
}

/// A built `http:listener`.
struct HttpListener {
    config: Arc<HttpListenerConfig>,
    pattern: PathPattern,
    methods: Methods,
    responses: Arc<Responses>,
    output_type: OutputType,
}

/// The listener's `<http:response>` and `<http:error-response>`.
struct Responses {
    success: ResponseBuilder,
    failure: ResponseBuilder,
}

impl Responses {
    fn compile(element: &Element, cx: &mut BuildContext<'_>) -> Option<Responses> {
        let success = ResponseBuilder::compile(element.child(ns::HTTP, "response"), cx);
        let failure = ResponseBuilder::compile(element.child(ns::HTTP, "error-response"), cx);
        Some(Responses { success: success?, failure: failure? })
    }

    /// The response to a finished flow; if that cannot be built, the error response to that.
    fn to_success(&self, event: &Event, runner: &FlowRunner) -> Response<Full<Bytes>> {
        match self.success.success(
            event,
            runner.properties(),
            (runner.app_name(), runner.flow_name()),
        ) {
            Ok(response) => response,
            Err(error) => self.to_failure(event.clone(), error, runner),
        }
    }

    /// The error response; a bare `500` if it cannot be built either.
    fn to_failure(
        &self,
        mut event: Event,
        error: MuleError,
        runner: &FlowRunner,
    ) -> Response<Full<Bytes>> {
        let error = Arc::new(error);
        event.error = Some(error.clone());
        match self.failure.failure(
            &event,
            &error,
            runner.properties(),
            (runner.app_name(), runner.flow_name()),
        ) {
            Ok(response) => response,
            Err(build_error) => {
                tracing::error!(
                    flow = runner.flow_name(),
                    "cannot build the error response: {build_error}"
                );
                response::bare_server_error()
            }
        }
    }
}

impl Source for HttpListener {
    fn register(&self, flow: FlowRunner) -> Result<(), String> {
        let target = ListenerTarget {
            listener_path: self.pattern.as_str().to_owned(),
            catch_all_prefix: self
                .pattern
                .is_catch_all()
                .then_some(self.pattern.n_fixed_segments()),
            runner: flow,
            responses: self.responses.clone(),
            output_type: self.output_type.clone(),
        };
        let route = Route { pattern: self.pattern.clone(), methods: self.methods.clone(), target };
        self.config.add_route(route).map_err(|err| format!("`{}`: {err}", self.config.name()))
    }
}

/// What a route of the listener server leads to.
pub(crate) struct ListenerTarget {
    /// basePath + path, for `attributes.listenerPath`.
    listener_path: String,
    /// For paths ending in `/*`, the number of segments before it (`maskedRequestPath`).
    catch_all_prefix: Option<usize>,
    runner: FlowRunner,
    responses: Arc<Responses>,
    output_type: OutputType,
}

/// Answers one request. Never fails: every problem becomes an HTTP response.
pub(crate) async fn serve(
    shared: Arc<ServerShared>,
    remote: SocketAddr,
    local: SocketAddr,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let (method, raw_path) = (parts.method.as_str(), parts.uri.path());
    let (route, raw_params) = match shared.router.lookup(method, raw_path) {
        Lookup::Found { route, raw_params } => (route, raw_params),
        Lookup::MethodNotAllowed => {
            tracing::debug!(
                method,
                path = raw_path,
                "path matched but no listener takes the method"
            );
            let message = endpoint_message("Method not allowed", raw_path);
            return Ok(text_response(StatusCode::METHOD_NOT_ALLOWED, message));
        }
        Lookup::NotFound => {
            tracing::debug!(method, path = raw_path, "no listener matched");
            return Ok(text_response(
                StatusCode::NOT_FOUND,
                endpoint_message("No listener", raw_path),
            ));
        }
    };
    let target = &route.target;
    tracing::debug!(method, path = raw_path, listener = %target.listener_path, "routing request");

    let media_type = match attributes::received_media_type(&parts.headers) {
        Ok(media_type) => media_type,
        Err(text) => return Ok(bad_request(&format!("MediaType cannot be parsed: {text}"))),
    };
    // FIXME: the whole body is read into memory with no size limit, so one huge upload can
    // exhaust memory; cap it (http_body_util::Limited) once Mule's limit for it is known.
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => return Ok(bad_request(&format!("cannot read the request body: {err}"))),
    };
    let route_info = RouteInfo {
        base_path: &shared.base_path,
        listener_path: &target.listener_path,
        catch_all_prefix: target.catch_all_prefix,
        raw_params: &raw_params,
    };
    let payload = attributes::body_payload(body, target.output_type.apply(media_type));
    let event = request_event(&parts, payload, &route_info, remote, local);

    Ok(match target.runner.run(event).await {
        Ok(done) => target.responses.to_success(&done, &target.runner),
        Err(failure) => {
            let failure = *failure;
            target.responses.to_failure(failure.event, failure.error, &target.runner)
        }
    })
}

/// The event a request starts: its body as payload, `HttpRequestAttributes`, and the caller's
/// correlation id when it sent one.
fn request_event(
    parts: &hyper::http::request::Parts,
    payload: TypedValue,
    route_info: &RouteInfo<'_>,
    remote: SocketAddr,
    local: SocketAddr,
) -> Event {
    let version = format!("{:?}", parts.version);
    let request_info = RequestInfo {
        method: parts.method.as_str(),
        version: &version,
        scheme: "http",
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query(),
        headers: &parts.headers,
        remote,
        local,
    };
    let attributes = attributes::request_attributes(&request_info, route_info);
    let message = Message { payload, attributes };
    match correlation_id(&parts.headers) {
        Some(id) => Event::with_correlation_id(message, id.into()),
        None => Event::new(message),
    }
}

/// The caller's correlation id: `X-Correlation-ID`, else `MULE_CORRELATION_ID`.
fn correlation_id(headers: &hyper::HeaderMap) -> Option<String> {
    let header = headers.get("x-correlation-id").or_else(|| headers.get("mule_correlation_id"))?;
    let id = header.to_str().ok()?.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

fn bad_request(cause: &str) -> Response<Full<Bytes>> {
    text_response(
        StatusCode::BAD_REQUEST,
        format!("HTTP request parsing failed with error: \"{cause}\""),
    )
}

/// `No listener for endpoint: /path` and the like, with the decoded path HTML-escaped.
fn endpoint_message(what: &str, raw_path: &str) -> String {
    format!("{what} for endpoint: {}", escape_html(&crate::http::codec::decode_path(raw_path)))
}

fn text_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_messages_escape_the_decoded_path() {
        assert_eq!(
            endpoint_message("No listener", "/a%20b/<x>"),
            "No listener for endpoint: /a b/&lt;x&gt;"
        );
    }

    #[test]
    fn correlation_id_comes_from_either_header() {
        let mut headers = hyper::HeaderMap::new();
        assert_eq!(correlation_id(&headers), None);
        headers.insert("mule_correlation_id", HeaderValue::from_static("m-1"));
        assert_eq!(correlation_id(&headers).as_deref(), Some("m-1"));
        headers.insert("x-correlation-id", HeaderValue::from_static("x-1"));
        assert_eq!(correlation_id(&headers).as_deref(), Some("x-1"));
    }
}
