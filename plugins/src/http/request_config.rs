//! `http:request-config` with its `http:request-connection`, default headers and default
//! query parameters: where `http:request` operations send their requests, and the HTTP
//! client they share.
//!
//! Default header values are often secrets (`${secure::vault.token}`); such a value is kept
//! as a live [`SecretRef`], read at each request (so rotated secrets are picked up), sent as
//! a sensitive header and never logged.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use flowrun_engine::expr::{Scope, ValueExpr};
use flowrun_engine::plugin::{
    AttrSpec, BuildContext, ChildSpec, Global, GlobalHandle, GlobalKind, Schema,
};
use flowrun_engine::secret::SecretRef;
use flowrun_engine::xml::{Element, ns};

use crate::http::listener_config::normalize_base_path;
use crate::http::status::{VALIDATOR_SCHEMA, Validator};

/// Mule's default response timeout when neither the operation nor the config sets one.
pub(crate) const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_millis(10_000);

static CONNECTION_SCHEMA: Schema = Schema {
    attributes: &[
        // Optional as in Mule: a config used only with `url` needs no address.
        AttrSpec::optional("host"),
        AttrSpec::optional("port"),
        AttrSpec::optional("protocol"),
        // FIXME: accepted so that exported apps load, but reqwest's pool defaults stay in
        // force (persistent connections, no connection cap, 90 s idle); map them onto
        // `reqwest::ClientBuilder` pool settings when a flow depends on them.
        AttrSpec::optional("usePersistentConnections"),
        AttrSpec::optional("maxConnections"),
        AttrSpec::optional("connectionIdleTimeout"),
    ],
    children: &[ChildSpec {
        ns: ns::HTTP,
        name: "authentication",
        schema: &AUTHENTICATION_SCHEMA,
        required: false,
    }],
    text: false,
};

static AUTHENTICATION_SCHEMA: Schema = Schema {
    attributes: &[],
    children: &[ChildSpec {
        ns: ns::HTTP,
        name: "basic-authentication",
        schema: &BASIC_AUTHENTICATION_SCHEMA,
        required: true,
    }],
    text: false,
};

static BASIC_AUTHENTICATION_SCHEMA: Schema = Schema {
    attributes: &[
        AttrSpec::required("username"),
        AttrSpec::required("password"),
        AttrSpec::optional("preemptive"),
    ],
    children: &[],
    text: false,
};

static KEY_VALUE_SCHEMA: Schema = Schema {
    attributes: &[AttrSpec::required("key"), AttrSpec::required("value")],
    children: &[],
    text: false,
};

static DEFAULT_HEADERS_SCHEMA: Schema = Schema {
    attributes: &[],
    children: &[ChildSpec {
        ns: ns::HTTP,
        name: "default-header",
        schema: &KEY_VALUE_SCHEMA,
        required: false,
    }],
    text: false,
};

static DEFAULT_QUERY_PARAMS_SCHEMA: Schema = Schema {
    attributes: &[],
    children: &[ChildSpec {
        ns: ns::HTTP,
        name: "query-param",
        schema: &KEY_VALUE_SCHEMA,
        required: false,
    }],
    text: false,
};

static CONFIG_SCHEMA: Schema = Schema {
    attributes: &[
        AttrSpec::required("name"),
        AttrSpec::optional("basePath"),
        AttrSpec::optional("followRedirects"),
        AttrSpec::optional("responseTimeout"),
        AttrSpec::optional("sendCorrelationId"),
        AttrSpec::optional("sendBodyMode"),
        AttrSpec::optional("enableCookies"),
    ],
    children: &[
        ChildSpec {
            ns: ns::HTTP,
            name: "request-connection",
            schema: &CONNECTION_SCHEMA,
            required: false,
        },
        ChildSpec {
            ns: ns::HTTP,
            name: "default-headers",
            schema: &DEFAULT_HEADERS_SCHEMA,
            required: false,
        },
        ChildSpec {
            ns: ns::HTTP,
            name: "default-query-params",
            schema: &DEFAULT_QUERY_PARAMS_SCHEMA,
            required: false,
        },
        ChildSpec {
            ns: ns::HTTP,
            name: "response-validator",
            schema: &VALIDATOR_SCHEMA,
            required: false,
        },
    ],
    text: false,
};

/// The `http:request-config` element kind.
pub(crate) struct HttpRequestConfigKind;

flowrun_engine::component!(
    HttpRequestConfigKind,
    ns::HTTP,
    "request-config",
    "where `http:request` sends requests: protocol, host, port, base path, default headers",
    &CONFIG_SCHEMA
);

impl GlobalKind for HttpRequestConfigKind {
    fn build(&self, element: &Element, cx: &mut BuildContext<'_>) -> Option<GlobalHandle> {
        let name = element.attr_value("name")?.to_owned();
        let connection = element.child(ns::HTTP, "request-connection");
        let scheme = connection.map_or(Some("http"), |c| request_scheme(c, cx));
        let follow_redirects = bool_attr(element, "followRedirects", cx);
        let response_timeout = millis_attr(element, "responseTimeout", cx);
        let default_headers =
            key_values(element.child(ns::HTTP, "default-headers"), "default-header", cx);
        let default_query_params =
            key_values(element.child(ns::HTTP, "default-query-params"), "query-param", cx);
        let validator = Validator::compile(element, cx);
        let send_correlation_id = auto_mode(element, "sendCorrelationId", cx);
        let send_body = auto_mode(element, "sendBodyMode", cx);
        let scheme = scheme?;
        let port = match connection.and_then(|c| c.attr("port")) {
            Some(port) => port_attr(port, cx)?,
            None if scheme == "https" => 443,
            None => 80,
        };
        let basic_auth = match connection
            .and_then(|c| c.child(ns::HTTP, "authentication"))
            .and_then(|a| a.child(ns::HTTP, "basic-authentication"))
        {
            Some(basic) => Some(BasicAuth::compile(basic, cx)?),
            None => None,
        };
        let enable_cookies = bool_attr(element, "enableCookies", cx)?.unwrap_or(true);
        let clients = Clients::build(cx, element, enable_cookies)?;
        Some(GlobalHandle::new(HttpRequestConfig {
            name,
            scheme,
            host: connection.and_then(|c| c.attr_value("host")).map(str::to_owned),
            port,
            base_path: normalize_base_path(element.attr_value("basePath").unwrap_or("")),
            follow_redirects: follow_redirects?.unwrap_or(true),
            response_timeout: response_timeout?,
            default_headers: default_headers?,
            default_query_params: default_query_params?,
            validator: validator?,
            send_correlation_id: send_correlation_id?,
            send_body: send_body?,
            basic_auth,
            clients,
        }))
    }
}

/// A built `http:request-config`.
pub struct HttpRequestConfig {
    name: String,
    /// `http` or `https`.
    pub(crate) scheme: &'static str,
    /// `None` when the connection names no host: only `url` requests can use the config.
    pub(crate) host: Option<String>,
    pub(crate) port: u16,
    /// Normalised: empty or `/api` style.
    pub(crate) base_path: String,
    pub(crate) follow_redirects: bool,
    pub(crate) response_timeout: Option<Duration>,
    pub(crate) default_headers: Vec<(String, ParamValue)>,
    pub(crate) default_query_params: Vec<(String, ParamValue)>,
    /// `<http:response-validator>` of the config, for operations without their own.
    pub(crate) validator: Option<Validator>,
    /// `sendCorrelationId` of the config; `None` is `AUTO`.
    pub(crate) send_correlation_id: Option<bool>,
    /// `sendBodyMode` of the config; `None` is `AUTO`.
    pub(crate) send_body: Option<bool>,
    /// `<http:basic-authentication>` of the connection.
    pub(crate) basic_auth: Option<BasicAuth>,
    pub(crate) clients: Clients,
}

/// `<http:basic-authentication username="..." password="..." preemptive="true"/>`.
#[derive(Clone, Debug)]
pub(crate) struct BasicAuth {
    username: String,
    password: Password,
    /// Send credentials with the first request (Mule's default), rather than only after
    /// the server answers 401 with a `Basic` challenge.
    pub(crate) preemptive: bool,
}

/// A password as written, or a live reference to a secure property, so that a rotated
/// secret is used without a restart.
#[derive(Clone, Debug)]
enum Password {
    Fixed(flowrun_engine::secret::Secret),
    Live(flowrun_engine::secret::SecretRef),
}

impl BasicAuth {
    fn compile(element: &Element, cx: &mut BuildContext<'_>) -> Option<BasicAuth> {
        let username = element.attr_value("username")?.to_owned();
        let password_attr = element.attr("password")?;
        let password = match cx.secret_attr(password_attr) {
            Some(live) => Password::Live(live),
            None => {
                Password::Fixed(flowrun_engine::secret::Secret::new(password_attr.value.clone()))
            }
        };
        let preemptive = bool_attr(element, "preemptive", cx)?.unwrap_or(true);
        Some(BasicAuth { username, password, preemptive })
    }

    /// The `Authorization` header value: `Basic base64(username:password)`.
    pub(crate) fn header(&self) -> flowrun_engine::secret::Secret {
        use base64::Engine as _;
        let password = match &self.password {
            Password::Fixed(secret) => secret.clone(),
            Password::Live(live) => live.get(),
        };
        let credentials =
            zeroize::Zeroizing::new(format!("{}:{}", self.username, password.expose()));
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials.as_bytes());
        flowrun_engine::secret::Secret::new(format!("Basic {encoded}"))
    }
}

impl HttpRequestConfig {
    /// The configuration's `name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `scheme://host:port/basePath`, to which operation paths are appended; `None` without
    /// a host.
    pub(crate) fn base_uri(&self) -> Option<String> {
        let host = self.host.as_deref()?;
        Some(format!("{}://{host}:{}{}", self.scheme, self.port, self.base_path))
    }
}

impl Global for HttpRequestConfig {}

/// One HTTP client that follows redirects and one that does not, sharing nothing but
/// settings; `followRedirects` on the operation picks one.
#[derive(Clone)]
pub(crate) struct Clients {
    pub(crate) following: reqwest::Client,
    pub(crate) not_following: reqwest::Client,
}

impl Clients {
    /// Builds both clients, sharing one cookie jar when `cookies` is set (Mule's
    /// `enableCookies`); reports at `element` when the TLS backend cannot start.
    pub(crate) fn build(
        cx: &mut BuildContext<'_>,
        element: &Element,
        cookies: bool,
    ) -> Option<Clients> {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let build = |policy| {
            let builder = reqwest::Client::builder().redirect(policy);
            let builder = if cookies { builder.cookie_provider(jar.clone()) } else { builder };
            builder.build()
        };
        match (
            build(reqwest::redirect::Policy::limited(10)),
            build(reqwest::redirect::Policy::none()),
        ) {
            (Ok(following), Ok(not_following)) => Some(Clients { following, not_following }),
            (Err(err), _) | (_, Err(err)) => {
                cx.error(element.span, format!("cannot create the HTTP client: {err}"));
                None
            }
        }
    }
}

/// The value of a default header or query parameter.
pub(crate) enum ParamValue {
    /// Exactly `${secure::name}`: read from the secret store at each request.
    Secret(SecretRef),
    /// Literal text or an expression; `sensitive` when a placeholder put secret material in it.
    Value { expr: ValueExpr, sensitive: bool },
}

impl ParamValue {
    /// The text to send. `Ok(None)` for an expression that yields null.
    pub(crate) fn text(&self, scope: &Scope<'_>) -> Result<Option<String>, String> {
        match self {
            ParamValue::Secret(secret) => Ok(Some(secret.get().expose().to_owned())),
            ParamValue::Value { expr, .. } => {
                let value = expr.eval(scope).map_err(|err| err.message)?;
                crate::http::request::param_text(&value.value)
            }
        }
    }

    /// True for values that must not be logged or shown.
    pub(crate) fn is_secret(&self) -> bool {
        matches!(self, ParamValue::Secret(_) | ParamValue::Value { sensitive: true, .. })
    }
}

impl fmt::Debug for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may hold credentials written in clear; show neither kind.
        f.write_str("ParamValue(****)")
    }
}

fn request_scheme(connection: &Element, cx: &mut BuildContext<'_>) -> Option<&'static str> {
    let Some(protocol) = connection.attr("protocol") else { return Some("http") };
    match protocol.value.to_ascii_uppercase().as_str() {
        "HTTP" => Some("http"),
        "HTTPS" => Some("https"),
        _ => {
            cx.error(
                protocol.value_span,
                format!("unknown protocol `{}`, expected `HTTP` or `HTTPS`", protocol.value),
            );
            None
        }
    }
}

/// Reads `key`/`value` children; a value that is exactly `${secure::name}` stays a live secret.
fn key_values(
    parent: Option<&Element>,
    child_name: &str,
    cx: &mut BuildContext<'_>,
) -> Option<Vec<(String, ParamValue)>> {
    let Some(parent) = parent else { return Some(Vec::new()) };
    let mut pairs = Vec::new();
    let mut ok = true;
    for child in parent.children.iter().filter(|c| c.is(ns::HTTP, child_name)) {
        let (Some(key), Some(value)) = (child.attr_value("key"), child.attr("value")) else {
            continue;
        };
        let param = match cx.secret_attr(value) {
            Some(secret) => Some(ParamValue::Secret(secret)),
            None => {
                cx.value_expr(value).map(|expr| ParamValue::Value { expr, sensitive: value.secret })
            }
        };
        match param {
            Some(param) => pairs.push((key.to_owned(), param)),
            None => ok = false,
        }
    }
    ok.then_some(pairs)
}

/// An `AUTO`/`ALWAYS`/`NEVER` attribute such as `sendCorrelationId`: `Some(Some(true))` for
/// `ALWAYS`, `Some(Some(false))` for `NEVER`, `Some(None)` for `AUTO` or absent, `None`
/// (reported) for anything else.
pub(crate) fn auto_mode(
    element: &Element,
    name: &str,
    cx: &mut BuildContext<'_>,
) -> Option<Option<bool>> {
    let Some(attr) = element.attr(name) else { return Some(None) };
    match attr.value.trim() {
        "AUTO" => Some(None),
        "ALWAYS" => Some(Some(true)),
        "NEVER" => Some(Some(false)),
        other => {
            cx.error(
                attr.value_span,
                format!("`{name}` must be `AUTO`, `ALWAYS` or `NEVER`, not `{other}`"),
            );
            None
        }
    }
}

/// A `true`/`false` attribute; `Some(None)` when absent, `None` (reported) when invalid.
pub(crate) fn bool_attr(
    element: &Element,
    name: &str,
    cx: &mut BuildContext<'_>,
) -> Option<Option<bool>> {
    let Some(attr) = element.attr(name) else { return Some(None) };
    match attr.value.trim() {
        "true" => Some(Some(true)),
        "false" => Some(Some(false)),
        other => {
            cx.error(attr.value_span, format!("`{name}` must be `true` or `false`, not `{other}`"));
            None
        }
    }
}

/// A duration in milliseconds, such as `responseTimeout="5000"`; `Some(None)` when absent,
/// `None` (reported) when invalid.
pub(crate) fn millis_attr(
    element: &Element,
    name: &str,
    cx: &mut BuildContext<'_>,
) -> Option<Option<Duration>> {
    let Some(attr) = element.attr(name) else { return Some(None) };
    match attr.value.trim().parse::<u64>() {
        Ok(millis) => Some(Some(Duration::from_millis(millis))),
        Err(_) => {
            cx.error(
                attr.value_span,
                format!("`{name}` must be a number of milliseconds, not `{}`", attr.value),
            );
            None
        }
    }
}

fn port_attr(attr: &flowrun_engine::xml::Attribute, cx: &mut BuildContext<'_>) -> Option<u16> {
    match attr.value.trim().parse::<u16>() {
        Ok(port) => Some(port),
        Err(_) => {
            cx.error(
                attr.value_span,
                format!("`{}` is not a port number (0 to 65535)", attr.value),
            );
            None
        }
    }
}
