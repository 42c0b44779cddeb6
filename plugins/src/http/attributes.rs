//! The `attributes` the HTTP connector puts on a message: Mule's `HttpRequestAttributes` after
//! a listener receives a request, and `HttpResponseAttributes` after a request gets its
//! response.
//!
//! Both are plain objects so expressions can select from them (`attributes.queryParams.a`,
//! `attributes.headers.'content-type'`). Multi-valued maps are objects with repeated keys,
//! which DataWeave's `.key` (first) and `.*key` (all) selectors read as Mule's MultiMap.

use std::net::SocketAddr;

use bytes::Bytes;
use flowrun_engine::plugin::BuildContext;
use flowrun_engine::value::{MediaType, TypedValue, Value};
use flowrun_engine::xml::Element;
use hyper::HeaderMap;

use crate::http::codec;

/// What the listener knows about a request, as received.
pub(crate) struct RequestInfo<'a> {
    /// `GET`, `POST`...
    pub(crate) method: &'a str,
    /// `HTTP/1.1`.
    pub(crate) version: &'a str,
    /// `http` (or `https` once TLS is supported).
    pub(crate) scheme: &'a str,
    /// The path as sent, still percent-encoded.
    pub(crate) raw_path: &'a str,
    /// The query as sent, without `?`; `None` when there is none.
    pub(crate) raw_query: Option<&'a str>,
    /// Request headers.
    pub(crate) headers: &'a HeaderMap,
    /// The client's address.
    pub(crate) remote: SocketAddr,
    /// The address the connection came in on.
    pub(crate) local: SocketAddr,
}

/// What the matched listener adds to the attributes.
pub(crate) struct RouteInfo<'a> {
    /// The listener config's base path, normalised (`""` or `/api`).
    pub(crate) base_path: &'a str,
    /// basePath + path, such as `/api/users/{id}`.
    pub(crate) listener_path: &'a str,
    /// For a path ending in `/*`: how many segments come before the `*`.
    pub(crate) catch_all_prefix: Option<usize>,
    /// `{name}` captures, still percent-encoded.
    pub(crate) raw_params: &'a [(String, &'a str)],
}

/// Builds `HttpRequestAttributes`, with the fields in the order Mule declares them.
pub(crate) fn request_attributes(request: &RequestInfo<'_>, route: &RouteInfo<'_>) -> TypedValue {
    let request_path = codec::decode_path(request.raw_path);
    let raw_query = request.raw_query.unwrap_or("");
    let query_string = codec::decode_form(raw_query);
    let with_query = |path: &str, query: &str| {
        if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
    };

    let relative_path = match request_path.strip_prefix(route.base_path) {
        Some("") => "/".to_owned(),
        Some(rest) if !route.base_path.is_empty() => rest.to_owned(),
        _ => request_path.clone(),
    };
    let masked_path = match route.catch_all_prefix {
        Some(n_fixed) => Value::string(skip_segments(&request_path, n_fixed)),
        None => Value::Null,
    };
    let uri_params = route
        .raw_params
        .iter()
        .map(|(name, raw)| (name.as_str(), Value::string(codec::decode_form(raw))));

    let fields = [
        ("listenerPath", Value::string(route.listener_path)),
        ("relativePath", Value::string(relative_path)),
        ("version", Value::string(request.version)),
        ("scheme", Value::string(request.scheme)),
        ("method", Value::string(request.method)),
        ("requestUri", Value::string(with_query(&request_path, &query_string))),
        ("rawRequestUri", Value::string(with_query(request.raw_path, raw_query))),
        ("queryString", Value::string(query_string.as_str())),
        ("localAddress", Value::string(java_address(request.local))),
        ("remoteAddress", Value::string(java_address(request.remote))),
        ("clientCertificate", Value::Null),
        ("queryParams", query_params(raw_query)),
        ("uriParams", Value::object(uri_params)),
        ("requestPath", Value::string(request_path.as_str())),
        ("rawRequestPath", Value::string(request.raw_path)),
        ("maskedRequestPath", masked_path),
        ("headers", headers_value(request.headers)),
    ];
    TypedValue::java(Value::object(fields))
}

/// Builds `HttpResponseAttributes`.
pub(crate) fn response_attributes(status: u16, reason: &str, headers: &HeaderMap) -> TypedValue {
    let fields = [
        ("statusCode", Value::Number(status.into())),
        ("reasonPhrase", Value::string(reason)),
        ("headers", headers_value(headers)),
    ];
    TypedValue::java(Value::object(fields))
}

/// The media type of a received body: its `Content-Type` (`*/*` when absent), charset
/// defaulted to UTF-8. `Err` with the header's text when it is not a media type.
pub(crate) fn received_media_type(headers: &HeaderMap) -> Result<MediaType, String> {
    let Some(header) = headers.get(hyper::header::CONTENT_TYPE) else {
        return Ok(MediaType::any().with_charset("UTF-8"));
    };
    let text = String::from_utf8_lossy(header.as_bytes());
    let media_type = MediaType::parse(&text).ok_or_else(|| text.clone().into_owned())?;
    Ok(if media_type.charset().is_none() { media_type.with_charset("UTF-8") } else { media_type })
}

/// `outputMimeType` and `outputEncoding` of a source or operation: they relabel the payload
/// it produces (the bytes are not converted), as in Mule.
#[derive(Clone, Debug, Default)]
pub(crate) struct OutputType {
    mime_type: Option<MediaType>,
    encoding: Option<String>,
}

impl OutputType {
    /// Reads the two attributes; `None` (reported) when `outputMimeType` is not a media type.
    pub(crate) fn compile(element: &Element, cx: &mut BuildContext<'_>) -> Option<OutputType> {
        let encoding = element.attr_value("outputEncoding").map(|e| e.trim().to_owned());
        let Some(attr) = element.attr("outputMimeType") else {
            return Some(OutputType { mime_type: None, encoding });
        };
        let Some(mime_type) = MediaType::parse(&attr.value) else {
            cx.error(
                attr.value_span,
                format!("`{}` is not a media type such as `application/json`", attr.value),
            );
            return None;
        };
        Some(OutputType { mime_type: Some(mime_type), encoding })
    }

    /// The media type to label a received body with.
    pub(crate) fn apply(&self, received: MediaType) -> MediaType {
        let mut media_type = match &self.mime_type {
            Some(declared) if declared.charset().is_some() => declared.clone(),
            Some(declared) => declared.clone().with_charset(received.charset().unwrap_or("UTF-8")),
            None => received,
        };
        if let Some(encoding) = &self.encoding {
            media_type = media_type.with_charset(encoding);
        }
        media_type
    }
}

/// A received body as a payload: binary, labelled with its media type.
pub(crate) fn body_payload(body: Bytes, media_type: MediaType) -> TypedValue {
    TypedValue::new(Value::Binary(body), media_type)
}

/// Headers as an object with lower-case keys; a header sent twice appears twice.
pub(crate) fn headers_value(headers: &HeaderMap) -> Value {
    let pairs = headers.iter().map(|(name, value)| {
        (name.as_str(), Value::string(String::from_utf8_lossy(value.as_bytes()).as_ref()))
    });
    Value::object(pairs)
}

/// Query parameters as an object; repeated keys stay repeated, a key without `=` is null.
fn query_params(raw_query: &str) -> Value {
    let pairs =
        raw_query.split('&').filter(|p| !p.is_empty()).map(|pair| match pair.split_once('=') {
            Some((key, value)) => {
                (codec::decode_form(key), Value::string(codec::decode_form(value)))
            }
            None => (codec::decode_form(pair), Value::Null),
        });
    Value::object(pairs)
}

/// Java's `InetSocketAddress.toString()` for a resolved address: `/127.0.0.1:8081`.
fn java_address(addr: SocketAddr) -> String {
    format!("/{}:{}", addr.ip(), addr.port())
}

/// The rest of `path` after its first `n_segments` segments: `/a/b` for `/api/a/b` and 1.
fn skip_segments(path: &str, n_segments: usize) -> &str {
    let mut rest = path;
    for _ in 0..n_segments {
        let trimmed = rest.trim_start_matches('/');
        rest = trimmed.find('/').map_or("", |idx| &trimmed[idx..]);
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_example() -> Value {
        let mut headers = HeaderMap::new();
        headers.append("x-tag", "one".parse().unwrap());
        headers.append("x-tag", "two".parse().unwrap());
        let request = RequestInfo {
            method: "POST",
            version: "HTTP/1.1",
            scheme: "http",
            raw_path: "/api/v1/users/42%20x",
            raw_query: Some("a=1&a=2&b=c%2Bd&flag"),
            headers: &headers,
            remote: "127.0.0.1:54321".parse().unwrap(),
            local: "127.0.0.1:8081".parse().unwrap(),
        };
        let raw_params = [("id".to_owned(), "42%20x")];
        let route = RouteInfo {
            base_path: "/api",
            listener_path: "/api/v1/users/{id}",
            catch_all_prefix: None,
            raw_params: &raw_params,
        };
        request_attributes(&request, &route).value
    }

    #[test]
    fn request_attributes_follow_the_spec_example() {
        let attrs = spec_example();
        let text = |key: &str| attrs.get(key).and_then(Value::as_str).map(str::to_owned);
        assert_eq!(text("listenerPath").as_deref(), Some("/api/v1/users/{id}"));
        assert_eq!(text("requestPath").as_deref(), Some("/api/v1/users/42 x"));
        assert_eq!(text("rawRequestPath").as_deref(), Some("/api/v1/users/42%20x"));
        assert_eq!(text("relativePath").as_deref(), Some("/v1/users/42 x"));
        assert_eq!(text("requestUri").as_deref(), Some("/api/v1/users/42 x?a=1&a=2&b=c+d&flag"));
        assert_eq!(
            text("rawRequestUri").as_deref(),
            Some("/api/v1/users/42%20x?a=1&a=2&b=c%2Bd&flag")
        );
        assert_eq!(text("remoteAddress").as_deref(), Some("/127.0.0.1:54321"));
        assert_eq!(text("localAddress").as_deref(), Some("/127.0.0.1:8081"));
        assert_eq!(attrs.get("maskedRequestPath"), Some(&Value::Null));
        assert_eq!(attrs.get("clientCertificate"), Some(&Value::Null));
        assert_eq!(attrs.get("uriParams"), Some(&Value::object([("id", Value::string("42 x"))])));
        let expected_query = Value::object([
            ("a", Value::string("1")),
            ("a", Value::string("2")),
            ("b", Value::string("c+d")),
            ("flag", Value::Null),
        ]);
        assert_eq!(attrs.get("queryParams"), Some(&expected_query));
        let expected_headers =
            Value::object([("x-tag", Value::string("one")), ("x-tag", Value::string("two"))]);
        assert_eq!(attrs.get("headers"), Some(&expected_headers));
    }

    #[test]
    fn request_attributes_have_exactly_mules_fields() {
        let Value::Object(pairs) = spec_example() else { panic!("object expected") };
        let mut keys: Vec<&str> = pairs.iter().map(|(k, _)| &**k).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "clientCertificate",
                "headers",
                "listenerPath",
                "localAddress",
                "maskedRequestPath",
                "method",
                "queryParams",
                "queryString",
                "rawRequestPath",
                "rawRequestUri",
                "relativePath",
                "remoteAddress",
                "requestPath",
                "requestUri",
                "scheme",
                "uriParams",
                "version",
            ]
        );
    }

    #[test]
    fn masked_path_is_what_follows_the_wildcard_prefix() {
        assert_eq!(skip_segments("/api/a/b", 1), "/a/b");
        assert_eq!(skip_segments("/api", 1), "");
        assert_eq!(skip_segments("/x/y", 0), "/x/y");
    }

    #[test]
    fn output_type_relabels_without_losing_the_charset() {
        let received = MediaType::any().with_charset("ISO-8859-1");
        let json = OutputType { mime_type: MediaType::parse("application/json"), encoding: None };
        assert_eq!(
            json.apply(received.clone()).to_string(),
            "application/json; charset=ISO-8859-1"
        );
        let utf16 = OutputType { mime_type: None, encoding: Some("UTF-16".into()) };
        assert_eq!(utf16.apply(received).to_string(), "*/*; charset=UTF-16");
    }

    #[test]
    fn received_media_type_defaults_to_any_and_utf8() {
        let of = |content_type: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(text) = content_type {
                headers.insert("content-type", text.parse().unwrap());
            }
            received_media_type(&headers).map(|m| m.to_string())
        };
        assert_eq!(of(Some("application/json")).unwrap(), "application/json; charset=UTF-8");
        assert_eq!(of(None).unwrap(), "*/*; charset=UTF-8");
        assert_eq!(
            of(Some("text/plain; charset=ISO-8859-1")).unwrap(),
            "text/plain; charset=ISO-8859-1"
        );
        assert_eq!(of(Some("nonsense")).unwrap_err(), "nonsense");
    }
}
