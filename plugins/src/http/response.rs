//! `<http:response>` and `<http:error-response>`: how a listener turns the flow's outcome into
//! an HTTP response.
//!
//! Without them, Mule answers success with `200` and the payload, and failure with
//! `500 Server Error` and the error's description as `text/plain`. Each may set `statusCode`
//! and `reasonPhrase` (literal or `#[...]`), and hold `<http:body>` and `<http:headers>`
//! expressions. `Content-Type` follows the body's media type unless the headers give one or
//! the type is `*/*`; 204 and 304 never carry a body.

use bytes::Bytes;
use flowrun_engine::event::{ErrorType, Event, MuleError};
use flowrun_engine::expr::{self, Scope, ValueExpr};
use flowrun_engine::plugin::{AttrSpec, BuildContext, ChildSpec, Schema};
use flowrun_engine::props::PropertyLookup;
use flowrun_engine::value::{MediaType, TypedValue, Value};
use flowrun_engine::xml::{Element, ns};
use http_body_util::Full;
use hyper::ext::ReasonPhrase;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};

use crate::http::request::{param_pairs, param_text};

static EXPRESSION_CHILD: Schema = Schema { attributes: &[], children: &[], text: true };

/// What `<http:response>` and `<http:error-response>` accept.
pub(crate) static RESPONSE_SCHEMA: Schema = Schema {
    attributes: &[AttrSpec::optional("statusCode"), AttrSpec::optional("reasonPhrase")],
    children: &[
        ChildSpec { ns: ns::HTTP, name: "body", schema: &EXPRESSION_CHILD, required: false },
        ChildSpec { ns: ns::HTTP, name: "headers", schema: &EXPRESSION_CHILD, required: false },
    ],
    text: false,
};

/// Mule's reason phrase for its default error response.
const SERVER_ERROR: &[u8] = b"Server Error";

/// A listener's response settings, from `<http:response>` or `<http:error-response>`.
#[derive(Default)]
pub(crate) struct ResponseBuilder {
    status: Option<ValueExpr>,
    reason: Option<ValueExpr>,
    /// `None`: the payload (success) or `error.description` (failure).
    body: Option<ValueExpr>,
    headers: Option<ValueExpr>,
}

/// The body of a response before it is written.
enum BodySource<'a> {
    Payload(&'a TypedValue),
    Description(&'a str),
}

impl ResponseBuilder {
    /// Compiles the builder from its element; the default builder when there is none.
    pub(crate) fn compile(
        element: Option<&Element>,
        cx: &mut BuildContext<'_>,
    ) -> Option<ResponseBuilder> {
        let Some(element) = element else { return Some(ResponseBuilder::default()) };
        let mut attr_expr = |name: &str| match element.attr(name) {
            Some(attr) => cx.value_expr(attr).map(Some),
            None => Some(None),
        };
        let (status, reason) = (attr_expr("statusCode"), attr_expr("reasonPhrase"));
        let mut child_expr = |name: &str| match element.child(ns::HTTP, name) {
            Some(child) => cx.text_expr(child).map(Some),
            None => Some(None),
        };
        let (body, headers) = (child_expr("body"), child_expr("headers"));
        Some(ResponseBuilder { status: status?, reason: reason?, body: body?, headers: headers? })
    }

    /// The response for a flow that finished.
    pub(crate) fn success(
        &self,
        event: &Event,
        properties: &dyn PropertyLookup,
        (app_name, flow_name): (&str, &str),
    ) -> Result<Response<Full<Bytes>>, MuleError> {
        let scope = Scope::of(event, properties).in_flow(app_name, flow_name);
        self.respond(&scope, StatusCode::OK, None, BodySource::Payload(&event.message.payload))
    }

    /// The response for a flow that failed with `error`; `event` carries the error.
    pub(crate) fn failure(
        &self,
        event: &Event,
        error: &MuleError,
        properties: &dyn PropertyLookup,
        (app_name, flow_name): (&str, &str),
    ) -> Result<Response<Full<Bytes>>, MuleError> {
        let scope = Scope::of(event, properties).in_flow(app_name, flow_name);
        let default_reason = Some(ReasonPhrase::from_static(SERVER_ERROR));
        self.respond(
            &scope,
            StatusCode::INTERNAL_SERVER_ERROR,
            default_reason,
            BodySource::Description(&error.description),
        )
    }

    fn respond(
        &self,
        scope: &Scope<'_>,
        default_status: StatusCode,
        default_reason: Option<ReasonPhrase>,
        default_body: BodySource<'_>,
    ) -> Result<Response<Full<Bytes>>, MuleError> {
        let status = match &self.status {
            Some(expr) => status_code(expr, scope)?,
            None => default_status,
        };
        let reason = match (&self.reason, &self.status) {
            (Some(expr), _) => Some(reason_phrase(expr, scope)?),
            (None, Some(_)) => None,
            (None, None) => default_reason,
        };
        let body = match (&self.body, default_body) {
            (Some(expr), _) => eval(expr, scope)?,
            (None, BodySource::Payload(payload)) => payload.clone(),
            (None, BodySource::Description(text)) => {
                TypedValue::new(Value::string(text), MediaType::text())
            }
        };

        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = status;
        if let Some(reason) = reason {
            response.extensions_mut().insert(reason);
        }
        if let Some(expr) = &self.headers {
            add_headers(&mut response, &eval(expr, scope)?.value)?;
        }
        let no_body = matches!(status, StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED)
            || body.value == Value::Null;
        if !no_body {
            write_body(&mut response, &body)?;
        }
        Ok(response)
    }
}

/// Puts the body and, unless given already or `*/*`, its media type as `Content-Type`.
fn write_body(response: &mut Response<Full<Bytes>>, body: &TypedValue) -> Result<(), MuleError> {
    let (bytes, media_type) =
        expr::to_bytes(body).map_err(|err| MuleError::expression(err.message))?;
    *response.body_mut() = Full::new(bytes);
    let has_type = response.headers().contains_key(CONTENT_TYPE);
    if !has_type
        && !media_type.is_any()
        && let Ok(value) = HeaderValue::from_str(&media_type.to_string())
    {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    Ok(())
}

fn add_headers(response: &mut Response<Full<Bytes>>, value: &Value) -> Result<(), MuleError> {
    for (name, text) in param_pairs(value, "http:headers")? {
        let Some(text) = text else { continue };
        let invalid = || {
            MuleError::new(
                ErrorType::unknown(),
                format!("the header `{name}` has an invalid name or value"),
            )
        };
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        let value = HeaderValue::from_str(&text).map_err(|_| invalid())?;
        response.headers_mut().append(name, value);
    }
    Ok(())
}

fn status_code(expr: &ValueExpr, scope: &Scope<'_>) -> Result<StatusCode, MuleError> {
    let value = eval(expr, scope)?;
    let text = param_text(&value.value).ok().flatten().unwrap_or_default();
    text.trim()
        .parse::<u16>()
        .ok()
        .filter(|code| (200..=999).contains(code))
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| {
            MuleError::new(
                ErrorType::unknown(),
                format!("`{text}` is not a status code of 200 or more"),
            )
        })
}

fn reason_phrase(expr: &ValueExpr, scope: &Scope<'_>) -> Result<ReasonPhrase, MuleError> {
    let value = eval(expr, scope)?;
    let text = param_text(&value.value).ok().flatten().unwrap_or_default();
    ReasonPhrase::try_from(text.clone()).map_err(|_| {
        MuleError::new(ErrorType::unknown(), format!("`{text}` cannot be a reason phrase"))
    })
}

fn eval(expr: &ValueExpr, scope: &Scope<'_>) -> Result<TypedValue, MuleError> {
    expr.eval(scope).map_err(|err| crate::core::expression_error(&err.message, expr))
}

/// The response when even the error response cannot be built: `500 Server Error`, no body.
pub(crate) fn bare_server_error() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.extensions_mut().insert(ReasonPhrase::from_static(SERVER_ERROR));
    response
}

#[cfg(test)]
mod tests {
    use flowrun_engine::event::Message;
    use flowrun_engine::props::NoProperties;

    use super::*;

    fn event(payload: TypedValue) -> Event {
        Event::new(Message::of(payload))
    }

    fn literal(text: &str) -> Option<ValueExpr> {
        Some(ValueExpr::Literal(text.into()))
    }

    #[test]
    fn default_success_writes_the_payload_with_its_media_type() {
        let payload = TypedValue::new(Value::string("{}"), MediaType::json().with_charset("UTF-8"));
        let response =
            ResponseBuilder::default().success(&event(payload), &NoProperties, ("", "")).unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json; charset=UTF-8");
        assert!(response.extensions().get::<ReasonPhrase>().is_none());
    }

    #[test]
    fn null_and_any_payloads_go_out_without_content_type() {
        let response = ResponseBuilder::default()
            .success(&event(TypedValue::null()), &NoProperties, ("", ""))
            .unwrap();
        assert!(response.headers().get(CONTENT_TYPE).is_none());
        let any = TypedValue::new(
            Value::Binary(Bytes::from_static(b"x")),
            MediaType::any().with_charset("UTF-8"),
        );
        let response =
            ResponseBuilder::default().success(&event(any), &NoProperties, ("", "")).unwrap();
        assert!(response.headers().get(CONTENT_TYPE).is_none());
    }

    #[test]
    fn default_failure_is_500_server_error_with_the_description() {
        let error = MuleError::new(ErrorType::unknown(), "it broke");
        let response = ResponseBuilder::default()
            .failure(&event(TypedValue::null()), &error, &NoProperties, ("", ""))
            .unwrap();
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.extensions().get::<ReasonPhrase>().unwrap().as_bytes(),
            b"Server Error"
        );
        assert_eq!(response.headers()[CONTENT_TYPE], "text/plain");
    }

    #[test]
    fn literal_status_and_reason_are_used_and_204_has_no_body() {
        let builder = ResponseBuilder {
            status: literal("201"),
            reason: literal("Made"),
            ..ResponseBuilder::default()
        };
        let payload = TypedValue::new(Value::string("x"), MediaType::text());
        let response = builder.success(&event(payload.clone()), &NoProperties, ("", "")).unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(response.extensions().get::<ReasonPhrase>().unwrap().as_bytes(), b"Made");

        let builder = ResponseBuilder { status: literal("204"), ..ResponseBuilder::default() };
        let response = builder.success(&event(payload), &NoProperties, ("", "")).unwrap();
        assert_eq!(response.status(), 204);
        assert!(response.headers().get(CONTENT_TYPE).is_none());

        let builder = ResponseBuilder { status: literal("abc"), ..ResponseBuilder::default() };
        let error =
            builder.success(&event(TypedValue::null()), &NoProperties, ("", "")).unwrap_err();
        assert_eq!(error.description, "`abc` is not a status code of 200 or more");
    }
}
