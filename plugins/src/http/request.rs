//! `http:request`: sends an HTTP request built from the event and replaces the message with
//! the response (or stores it in a variable with `target`).
//!
//! The step runs in three stages: everything the request needs is evaluated from the event
//! first (method, URI, headers, body), then the request is sent, then the response is
//! validated against Mule's default `0..399` range and turned into a message. Failures get
//! Mule's error types: a failing status `HTTP:FORBIDDEN` and friends (see
//! [`crate::http::status`]), a refused connection `HTTP:CONNECTIVITY`, an expired
//! `responseTimeout` `HTTP:TIMEOUT`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use flowrun_engine::event::{ErrorType, Event, Message, MuleError};
use flowrun_engine::expr::{self, Scope, ValueExpr};
use flowrun_engine::plugin::{
    AttrSpec, BuildContext, ChildSpec, Processor, ProcessorKind, Schema, StepContext,
};
use flowrun_engine::props::{PropertyLookup, PropertyValue};
use flowrun_engine::value::{MediaType, TypedValue, Value};
use flowrun_engine::xml::{Element, ns};
use futures::future::BoxFuture;
use reqwest::StatusCode;
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, WWW_AUTHENTICATE,
};

use crate::http::attributes::{self, OutputType};
use crate::http::codec;
use crate::http::request_config::{self, Clients, DEFAULT_RESPONSE_TIMEOUT, HttpRequestConfig};
use crate::http::status::{self, VALIDATOR_SCHEMA, Validator};

/// The header Mule sends the event's correlation id in.
const CORRELATION_ID: &str = "x-correlation-id";

static EXPRESSION_CHILD: Schema = Schema { attributes: &[], children: &[], text: true };

static REQUEST_SCHEMA: Schema = Schema {
    attributes: &[
        AttrSpec::optional("config-ref"),
        AttrSpec::optional("method"),
        AttrSpec::optional("path"),
        AttrSpec::optional("url"),
        AttrSpec::optional("target"),
        AttrSpec::optional("targetValue"),
        AttrSpec::optional("responseTimeout"),
        AttrSpec::optional("followRedirects"),
        AttrSpec::optional("sendCorrelationId"),
        AttrSpec::optional("correlationId"),
        AttrSpec::optional("sendBodyMode"),
        AttrSpec::optional("outputMimeType"),
        AttrSpec::optional("outputEncoding"),
    ],
    children: &[
        ChildSpec { ns: ns::HTTP, name: "body", schema: &EXPRESSION_CHILD, required: false },
        ChildSpec { ns: ns::HTTP, name: "headers", schema: &EXPRESSION_CHILD, required: false },
        ChildSpec {
            ns: ns::HTTP,
            name: "query-params",
            schema: &EXPRESSION_CHILD,
            required: false,
        },
        ChildSpec { ns: ns::HTTP, name: "uri-params", schema: &EXPRESSION_CHILD, required: false },
        ChildSpec {
            ns: ns::HTTP,
            name: "response-validator",
            schema: &VALIDATOR_SCHEMA,
            required: false,
        },
    ],
    text: false,
};

/// The `http:request` element kind.
pub(crate) struct HttpRequestKind;

flowrun_engine::component!(
    HttpRequestKind,
    ns::HTTP,
    "request",
    "sends an HTTP request and makes the response the message",
    &REQUEST_SCHEMA
);

impl ProcessorKind for HttpRequestKind {
    fn build(&self, element: &Element, cx: &mut BuildContext<'_>) -> Option<Arc<dyn Processor>> {
        let config = match element.attr("config-ref") {
            Some(_) => cx.config::<HttpRequestConfig>(element, "http:request-config").map(Some),
            None => Some(None),
        };
        let exprs = RequestExprs::compile(element, cx);
        let config = config?;
        let destination = destination(element, config.as_deref(), cx);
        let settings = Settings::compile(element, config.as_deref(), cx);
        // Mule inserts uri-param values as they are unless this system property asks for
        // encoding (spaces and other characters no URI may hold are escaped either way).
        let encode_uri_params = matches!(
            cx.properties.lookup(ENCODE_URI_PARAMS),
            Some(PropertyValue::Plain(value)) if value.trim().eq_ignore_ascii_case("true")
        );
        Some(Arc::new(HttpRequest {
            config,
            destination: destination?,
            exprs: exprs?,
            settings: settings?,
            encode_uri_params,
        }))
    }
}

/// The expressions of an `http:request`, evaluated per event.
struct RequestExprs {
    method: ValueExpr,
    /// `None`: the payload.
    body: Option<ValueExpr>,
    headers: Option<ValueExpr>,
    query_params: Option<ValueExpr>,
    uri_params: Option<ValueExpr>,
    /// `None`: the response payload.
    target_value: Option<ValueExpr>,
    /// `None`: the event's correlation id.
    correlation_id: Option<ValueExpr>,
}

impl RequestExprs {
    /// Compiles every expression, reporting each one that does not compile.
    fn compile(element: &Element, cx: &mut BuildContext<'_>) -> Option<RequestExprs> {
        let mut attr_expr = |name: &str| match element.attr(name) {
            Some(attr) => cx.value_expr(attr).map(Some),
            None => Some(None),
        };
        let (method, target_value) = (attr_expr("method"), attr_expr("targetValue"));
        let correlation_id = attr_expr("correlationId");
        let mut child_expr = |name: &str| match element.child(ns::HTTP, name) {
            Some(child) => cx.text_expr(child).map(Some),
            None => Some(None),
        };
        let (body, headers) = (child_expr("body"), child_expr("headers"));
        let (query_params, uri_params) = (child_expr("query-params"), child_expr("uri-params"));
        Some(RequestExprs {
            method: method?.unwrap_or_else(|| ValueExpr::Literal("GET".into())),
            body: body?,
            headers: headers?,
            query_params: query_params?,
            uri_params: uri_params?,
            target_value: target_value?,
            correlation_id: correlation_id?,
        })
    }
}

/// How an `http:request` sends and judges: the operation's attributes, else its config's,
/// else Mule's defaults.
struct Settings {
    client: reqwest::Client,
    response_timeout: Duration,
    validator: Validator,
    /// Whether `X-Correlation-ID` carries the event's correlation id.
    send_correlation_id: bool,
    /// `sendBodyMode`: `None` (AUTO) sends a body except for GET, HEAD and OPTIONS.
    send_body: Option<bool>,
    output_type: OutputType,
    /// `target`: the variable that receives the result instead of the message.
    target: Option<String>,
    /// The config's basic authentication.
    basic_auth: Option<request_config::BasicAuth>,
}

impl Settings {
    fn compile(
        element: &Element,
        config: Option<&HttpRequestConfig>,
        cx: &mut BuildContext<'_>,
    ) -> Option<Settings> {
        let clients = match config {
            Some(config) => Some(config.clients.clone()),
            // Without a config there is nowhere to keep cookies between requests.
            None => Clients::build(cx, element, false),
        };
        let follow_redirects = request_config::bool_attr(element, "followRedirects", cx);
        let response_timeout = request_config::millis_attr(element, "responseTimeout", cx);
        let send_correlation_id = request_config::auto_mode(element, "sendCorrelationId", cx);
        let send_body = request_config::auto_mode(element, "sendBodyMode", cx);
        let output_type = OutputType::compile(element, cx);
        let validator = Validator::compile(element, cx);

        let follow_redirects =
            follow_redirects?.unwrap_or_else(|| config.is_none_or(|c| c.follow_redirects));
        let clients = clients?;
        Some(Settings {
            client: if follow_redirects { clients.following } else { clients.not_following },
            response_timeout: response_timeout?
                .or_else(|| config.and_then(|c| c.response_timeout))
                .unwrap_or(DEFAULT_RESPONSE_TIMEOUT),
            validator: validator?
                .or_else(|| config.and_then(|c| c.validator.clone()))
                .unwrap_or_default(),
            // AUTO follows the runtime, which sends the correlation id unless told otherwise.
            send_correlation_id: send_correlation_id?
                .or_else(|| config.and_then(|c| c.send_correlation_id))
                .unwrap_or(true),
            send_body: send_body?.or_else(|| config.and_then(|c| c.send_body)),
            output_type: output_type?,
            target: element.attr_value("target").map(str::to_owned),
            basic_auth: config.and_then(|c| c.basic_auth.clone()),
        })
    }
}

/// Where a request goes: a path under the config's base URI, or a whole URL.
enum Destination {
    /// `base` is `scheme://host:port/basePath`.
    Path {
        base: String,
        path: ValueExpr,
    },
    Url(ValueExpr),
}

fn destination(
    element: &Element,
    config: Option<&HttpRequestConfig>,
    cx: &mut BuildContext<'_>,
) -> Option<Destination> {
    let (path, url) = (element.attr("path"), element.attr("url"));
    if let (Some(path), Some(_)) = (path, url) {
        cx.error(path.span, "`http:request` takes `path` or `url`, not both");
        return None;
    }
    if let Some(url) = url {
        return cx.value_expr(url).map(Destination::Url);
    }
    let span = path.map_or(element.span, |p| p.span);
    let Some(config) = config else {
        cx.error(span, "`http:request` needs a `config-ref` to send a `path` to, or a full `url`");
        return None;
    };
    let Some(base) = config.base_uri() else {
        let message = format!(
            "`{}` has no `host`, so `http:request` needs a full `url`; \
             or set `host` on its `http:request-connection`",
            config.name()
        );
        cx.error(span, message);
        return None;
    };
    let path = match path {
        Some(attr) => cx.value_expr(attr)?,
        None => ValueExpr::Literal("/".into()),
    };
    Some(Destination::Path { base, path })
}

/// A built `http:request`.
struct HttpRequest {
    config: Option<Arc<HttpRequestConfig>>,
    destination: Destination,
    exprs: RequestExprs,
    settings: Settings,
    /// Whether `{name}` values are percent-encoded as path segments (`a/b` → `a%2Fb`).
    encode_uri_params: bool,
}

/// The system property that makes `http:request` percent-encode uri-param values, as in Mule.
const ENCODE_URI_PARAMS: &str = "mule.http.client.encodeUriParams";

/// Everything evaluated from the event that the request needs.
struct Outgoing {
    method: reqwest::Method,
    /// `scheme://host:port/path`, as error descriptions quote it.
    resource: String,
    url: reqwest::Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    /// The content type sent, for the 415 description.
    content_type: Option<String>,
}

/// A response read in full.
struct Incoming {
    status: u16,
    message: Message,
}

impl Processor for HttpRequest {
    fn process<'a>(
        &'a self,
        event: &'a mut Event,
        cx: &'a StepContext<'a>,
    ) -> BoxFuture<'a, Result<(), MuleError>> {
        Box::pin(async move {
            let outgoing = self.prepare(event, cx)?;
            let incoming = self.send(&outgoing).await?;
            if !self.settings.validator.accepts(incoming.status) {
                let method = outgoing.method.as_str();
                let mut error = status::status_error(
                    method,
                    &outgoing.resource,
                    incoming.status,
                    outgoing.content_type.as_deref(),
                );
                error.error_message = Some(Box::new(incoming.message));
                return Err(error);
            }
            self.apply(event, incoming.message, cx.properties)
        })
    }
}

impl HttpRequest {
    fn prepare(&self, event: &Event, cx: &StepContext<'_>) -> Result<Outgoing, MuleError> {
        let scope = Scope::of(event, cx.properties).in_flow(cx.app_name, cx.flow_name);
        let method_text = eval_text(&self.exprs.method, &scope, "method")?;
        let method = reqwest::Method::from_bytes(method_text.as_bytes()).map_err(|_| {
            MuleError::new(ErrorType::unknown(), format!("`{method_text}` is not an HTTP method"))
        })?;
        let (resource, mut url) = self.build_uri(&scope)?;
        self.add_query(&scope, &mut url)?;
        let mut headers = self.build_headers(&scope)?;

        let body_method = !matches!(
            method,
            reqwest::Method::GET | reqwest::Method::HEAD | reqwest::Method::OPTIONS
        );
        let sends_body = self.settings.send_body.unwrap_or(body_method);
        let (body, content_type) =
            if sends_body { self.build_body(&scope, &mut headers)? } else { (None, None) };
        Ok(Outgoing { method, resource, url, headers, body, content_type })
    }

    /// The resource as error messages show it, and the URL to send to (query not yet added).
    fn build_uri(&self, scope: &Scope<'_>) -> Result<(String, reqwest::Url), MuleError> {
        let uri_params = match &self.exprs.uri_params {
            Some(expr) => param_pairs(&eval(expr, scope)?.value, "http:uri-params")?,
            None => Vec::new(),
        };
        let text = match &self.destination {
            Destination::Url(expr) => eval_text(expr, scope, "url")?,
            Destination::Path { base, path } => {
                let path = eval_text(path, scope, "path")?;
                format!("{base}/{}", path.trim_start_matches('/'))
            }
        };
        let text = replace_uri_params(&text, &uri_params, self.encode_uri_params)?;
        let url = reqwest::Url::parse(&codec::encode_path_text(&text)).map_err(|err| {
            MuleError::new(ErrorType::unknown(), format!("`{text}` is not a valid URL: {err}"))
        })?;
        let port = url.port_or_known_default().unwrap_or(80);
        let resource =
            format!("{}://{}:{port}{}", url.scheme(), url.host_str().unwrap_or(""), url.path());
        Ok((resource, url))
    }

    /// Appends default and operation query parameters, percent-encoded; null values as bare keys.
    fn add_query(&self, scope: &Scope<'_>, url: &mut reqwest::Url) -> Result<(), MuleError> {
        let mut pairs = Vec::new();
        for (key, value) in self.config.iter().flat_map(|c| &c.default_query_params) {
            pairs.push((key.clone(), value.text(scope).map_err(MuleError::expression)?));
        }
        if let Some(expr) = &self.exprs.query_params {
            pairs.extend(param_pairs(&eval(expr, scope)?.value, "http:query-params")?);
        }
        if pairs.is_empty() {
            return Ok(());
        }
        let encoded = pairs.iter().map(|(key, value)| match value {
            Some(value) => format!("{}={}", codec::encode_query(key), codec::encode_query(value)),
            None => codec::encode_query(key),
        });
        let query =
            url.query().map(str::to_owned).into_iter().chain(encoded).collect::<Vec<_>>().join("&");
        url.set_query(Some(&query));
        Ok(())
    }

    /// Default headers of the config, then the operation's; null values are left out.
    fn build_headers(&self, scope: &Scope<'_>) -> Result<HeaderMap, MuleError> {
        let mut headers = HeaderMap::new();
        for (name, value) in self.config.iter().flat_map(|c| &c.default_headers) {
            if let Some(text) = value.text(scope).map_err(MuleError::expression)? {
                append_header(&mut headers, name, &text, value.is_secret())?;
            }
        }
        if let Some(expr) = &self.exprs.headers {
            for (name, value) in param_pairs(&eval(expr, scope)?.value, "http:headers")? {
                if let Some(text) = value {
                    append_header(&mut headers, &name, &text, false)?;
                }
            }
        }
        if self.settings.send_correlation_id && !headers.contains_key(CORRELATION_ID) {
            let id = match &self.exprs.correlation_id {
                Some(expr) => eval_text(expr, scope, "correlationId")?,
                None => scope.correlation_id.to_owned(),
            };
            append_header(&mut headers, CORRELATION_ID, &id, false)?;
        }
        Ok(headers)
    }

    /// The body and the `Content-Type` sent with it (added unless the headers have one).
    fn build_body(
        &self,
        scope: &Scope<'_>,
        headers: &mut HeaderMap,
    ) -> Result<(Option<Bytes>, Option<String>), MuleError> {
        let value = match &self.exprs.body {
            Some(expr) => eval(expr, scope)?,
            None => scope.payload.clone(),
        };
        if value.value == Value::Null {
            return Ok((None, None));
        }
        let (bytes, media_type) =
            expr::to_bytes(&value).map_err(|err| MuleError::expression(err.message))?;
        if let Some(given) = headers.get(CONTENT_TYPE) {
            return Ok((Some(bytes), Some(String::from_utf8_lossy(given.as_bytes()).into_owned())));
        }
        if media_type.is_any() {
            return Ok((Some(bytes), None));
        }
        let content_type = media_type.to_string();
        if let Ok(header) = HeaderValue::from_str(&content_type) {
            headers.insert(CONTENT_TYPE, header);
        }
        Ok((Some(bytes), Some(content_type)))
    }

    async fn send(&self, outgoing: &Outgoing) -> Result<Incoming, MuleError> {
        tracing::debug!(method = %outgoing.method, resource = %outgoing.resource, "sending HTTP request");
        let transport_error = |err: reqwest::Error| {
            transport_error(outgoing.method.as_str(), &outgoing.resource, &err)
        };
        let auth = self.settings.basic_auth.as_ref();
        let preemptive = auth.is_some_and(|auth| auth.preemptive);
        let mut response =
            self.request(outgoing, preemptive).send().await.map_err(transport_error)?;
        // Without preemptive authentication, credentials go only in answer to a challenge.
        if auth.is_some() && !preemptive && response.status() == StatusCode::UNAUTHORIZED {
            let challenged = response.headers().get_all(WWW_AUTHENTICATE).iter().any(|value| {
                value
                    .to_str()
                    .is_ok_and(|v| v.trim_start().to_ascii_lowercase().starts_with("basic"))
            });
            if challenged {
                response = self.request(outgoing, true).send().await.map_err(transport_error)?;
            }
        }
        let status = response.status();
        // hyper keeps the phrase as sent only when it differs from the standard one.
        let reason = match response.extensions().get::<hyper::ext::ReasonPhrase>() {
            Some(sent) => String::from_utf8_lossy(sent.as_bytes()).into_owned(),
            None => status.canonical_reason().unwrap_or("").to_owned(),
        };
        let attributes =
            attributes::response_attributes(status.as_u16(), &reason, response.headers());
        // A response whose Content-Type is not a media type is still read, as `*/*`.
        let media_type = attributes::received_media_type(response.headers())
            .unwrap_or_else(|_| MediaType::any().with_charset("UTF-8"));
        let body = response.bytes().await.map_err(transport_error)?;
        let payload = attributes::body_payload(body, self.settings.output_type.apply(media_type));
        tracing::debug!(status = status.as_u16(), "received HTTP response");
        Ok(Incoming { status: status.as_u16(), message: Message { payload, attributes } })
    }

    /// The request to send, with the config's credentials when `authenticate` is set and
    /// the headers have no `Authorization` of their own.
    fn request(&self, outgoing: &Outgoing, authenticate: bool) -> reqwest::RequestBuilder {
        let mut headers = outgoing.headers.clone();
        if let (true, Some(auth)) = (authenticate, &self.settings.basic_auth)
            && !headers.contains_key(AUTHORIZATION)
            && let Ok(mut value) = HeaderValue::from_str(auth.header().expose())
        {
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let mut request = self
            .settings
            .client
            .request(outgoing.method.clone(), outgoing.url.clone())
            .headers(headers)
            .timeout(self.settings.response_timeout);
        if let Some(body) = &outgoing.body {
            request = request.body(body.clone());
        }
        request
    }

    /// Puts the response in the message, or with `target` in a variable.
    /// Puts the response where it belongs: in the message, or in `vars.<target>`.
    fn apply(
        &self,
        event: &mut Event,
        response: Message,
        properties: &dyn PropertyLookup,
    ) -> Result<(), MuleError> {
        let Some(target) = &self.settings.target else {
            event.message = response;
            return Ok(());
        };
        let value = match &self.exprs.target_value {
            None => response.payload,
            Some(expr) => {
                let mut view = event.clone();
                view.message = response;
                eval(expr, &Scope::of(&view, properties))?
            }
        };
        event.vars.insert(target.clone(), value);
        Ok(())
    }
}

fn eval(expr: &ValueExpr, scope: &Scope<'_>) -> Result<TypedValue, MuleError> {
    expr.eval(scope).map_err(|err| crate::core::expression_error(&err.message, expr))
}

fn eval_text(expr: &ValueExpr, scope: &Scope<'_>, what: &str) -> Result<String, MuleError> {
    let value = eval(expr, scope)?;
    match param_text(&value.value) {
        Ok(Some(text)) => Ok(text),
        Ok(None) => Err(MuleError::expression(format!("`{what}` evaluated to null"))),
        Err(err) => Err(MuleError::expression(format!("`{what}`: {err}"))),
    }
}

/// The text of a header, query or uri parameter value; `None` for null.
pub(crate) fn param_text(value: &Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text.to_string())),
        Value::Array(_) => Err("expected a string, got an array".into()),
        Value::Object(_) => Err("expected a string, got an object".into()),
        // Numbers, booleans, dates: as DataWeave writes them when coerced to String.
        scalar => Ok(Some(expr::to_text(&TypedValue::java(scalar.clone())))),
    }
}

/// The pairs of an object such as `{'a': 1, 'b': [2, 3]}`: an array value gives one pair per item.
pub(crate) fn param_pairs(
    value: &Value,
    what: &str,
) -> Result<Vec<(String, Option<String>)>, MuleError> {
    let pairs = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Object(pairs) => pairs,
        _ => {
            return Err(MuleError::expression(format!(
                "`{what}` must be an object such as #[{{'name': 'value'}}]"
            )));
        }
    };
    let mut out = Vec::new();
    for (key, value) in pairs.iter() {
        let items = match value {
            Value::Array(items) => items.as_slice(),
            single => std::slice::from_ref(single),
        };
        for item in items {
            let text = param_text(item)
                .map_err(|err| MuleError::expression(format!("`{what}` value `{key}`: {err}")))?;
            out.push((key.to_string(), text));
        }
    }
    Ok(out)
}

/// Replaces each `{name}` with its percent-encoded value.
fn replace_uri_params(
    text: &str,
    params: &[(String, Option<String>)],
    encode: bool,
) -> Result<String, MuleError> {
    let mut out = text.to_owned();
    for (name, value) in params {
        let Some(value) = value else {
            return Err(MuleError::expression(format!("Expression {{{name}}} evaluated to null.")));
        };
        let value = if encode { codec::encode_segment(value) } else { value.clone() };
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    Ok(out)
}

fn append_header(
    headers: &mut HeaderMap,
    name: &str,
    value: &str,
    secret: bool,
) -> Result<(), MuleError> {
    let invalid = || {
        MuleError::new(
            ErrorType::unknown(),
            format!("the header `{name}` has an invalid name or value"),
        )
    };
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
    let mut value = HeaderValue::from_str(value).map_err(|_| invalid())?;
    value.set_sensitive(secret);
    headers.append(name, value);
    Ok(())
}

/// `HTTP:TIMEOUT` when the response timeout expired, `HTTP:CONNECTIVITY` otherwise.
fn transport_error(method: &str, resource: &str, err: &reqwest::Error) -> MuleError {
    let prefix = format!("HTTP {method} on resource '{resource}' failed");
    if err.is_timeout() {
        return MuleError::new(
            ErrorType::new("HTTP", "TIMEOUT"),
            format!("{prefix}: Timeout exceeded."),
        );
    }
    MuleError::new(
        ErrorType::new("HTTP", "CONNECTIVITY"),
        format!("{prefix}: {}.", root_cause(err)),
    )
}

/// The innermost cause, worded like the Java exception Mule would quote.
fn root_cause(err: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    if let Some(io) = cause.downcast_ref::<std::io::Error>() {
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => return "Connection refused".into(),
            std::io::ErrorKind::ConnectionReset => return "Connection reset".into(),
            _ => {}
        }
    }
    let text = cause.to_string();
    text.trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_params_are_encoded_and_null_fails() {
        let params = [("id".to_owned(), Some("a b/c".to_owned()))];
        assert_eq!(
            replace_uri_params("/users/{id}/x", &params, true).unwrap(),
            "/users/a%20b%2Fc/x"
        );
        assert_eq!(replace_uri_params("/users/{id}/x", &params, false).unwrap(), "/users/a b/c/x");
        let error =
            replace_uri_params("/users/{id}", &[("id".to_owned(), None)], false).unwrap_err();
        assert_eq!(error.description, "Expression {id} evaluated to null.");
    }

    #[test]
    fn param_pairs_flatten_arrays_and_keep_nulls() {
        let value = Value::object([
            ("a", Value::array([Value::string("1"), Value::Number(2.into())])),
            ("b", Value::Null),
            ("c", Value::Bool(true)),
        ]);
        let pairs = param_pairs(&value, "http:query-params").unwrap();
        let expected = [("a", Some("1")), ("a", Some("2")), ("b", None), ("c", Some("true"))];
        let expected: Vec<(String, Option<String>)> =
            expected.iter().map(|(k, v)| (k.to_string(), v.map(str::to_owned))).collect();
        assert_eq!(pairs, expected);
        let error = param_pairs(&Value::string("x"), "http:headers").unwrap_err();
        assert_eq!(
            error.description,
            "`http:headers` must be an object such as #[{'name': 'value'}]"
        );
    }
}
