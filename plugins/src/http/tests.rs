//! Loopback tests of the HTTP connector: small apps loaded from XML, listeners bound on
//! `127.0.0.1:0`, real requests sent with reqwest, and a tiny hyper server standing in for the
//! services `http:request` calls.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use bytes::Bytes;
use flowrun_engine::diag::Severity;
use flowrun_engine::event::{Event, Message, MuleError};
use flowrun_engine::model::{self, App, LoadError, LoadOptions};
use flowrun_engine::plugin::{
    AttrSpec, BuildContext, Kind, Processor, ProcessorKind, Registry, Schema, StepContext,
};
use flowrun_engine::value::{MediaType, TypedValue, Value};
use flowrun_engine::xml::Element;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::http::HttpListenerConfig;

const TEST_NS: &str = "urn:flowrun:test";

const LISTENER_CONFIG: &str = r#"
    <http:listener-config name="listener">
        <http:listener-connection host="127.0.0.1" port="0"/>
    </http:listener-config>"#;

// ---------------------------------------------------------------------------------------------
// Harness

/// Events seen by `<test:capture key="..."/>`, by key (each test uses its own keys).
static CAPTURED: LazyLock<Mutex<BTreeMap<String, Event>>> = LazyLock::new(Mutex::default);

static CAPTURE_SCHEMA: Schema =
    Schema { attributes: &[AttrSpec::required("key")], children: &[], text: false };

/// `<test:capture key="k"/>`: remembers the event it sees and passes it on.
struct CaptureKind;

flowrun_engine::component!(
    CaptureKind,
    TEST_NS,
    "capture",
    "test step that records the event",
    &CAPTURE_SCHEMA
);

impl ProcessorKind for CaptureKind {
    fn build(&self, element: &Element, _cx: &mut BuildContext<'_>) -> Option<Arc<dyn Processor>> {
        Some(Arc::new(Capture { key: element.attr_value("key")?.to_owned() }))
    }
}

struct Capture {
    key: String,
}

impl Processor for Capture {
    fn process<'a>(
        &'a self,
        event: &'a mut Event,
        _cx: &'a StepContext<'a>,
    ) -> BoxFuture<'a, Result<(), MuleError>> {
        CAPTURED.lock().unwrap().insert(self.key.clone(), event.clone());
        Box::pin(async move { Ok(()) })
    }
}

fn captured(key: &str) -> Event {
    CAPTURED
        .lock()
        .unwrap()
        .get(key)
        .cloned()
        .unwrap_or_else(|| panic!("nothing captured under `{key}`"))
}

fn registry() -> Registry {
    let mut registry = crate::registry();
    registry.add(Kind::Processor(Box::new(CaptureKind)));
    registry
}

fn app_xml(body: &str) -> String {
    format!(
        r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
              xmlns:http="http://www.mulesoft.org/schema/mule/http"
              xmlns:doc="http://www.mulesoft.org/schema/mule/documentation"
              xmlns:test="{TEST_NS}">{body}</mule>"#
    )
}

fn load(body: &str) -> Result<App, LoadError> {
    let options = LoadOptions { app_name: Some("test-app".into()), ..LoadOptions::default() };
    model::load_str(Path::new("test-app.xml"), &app_xml(body), &registry(), &options)
}

fn load_error(body: &str) -> String {
    match load(body) {
        Ok(_) => panic!("the app loaded"),
        Err(err) => {
            err.diagnostics.iter().map(|d| d.message.as_str()).collect::<Vec<_>>().join("\n")
        }
    }
}

/// Loads and starts an app; returns it with the base URL of its `listener` config.
async fn start(body: &str) -> (App, String) {
    let app = load(body).expect("the app loads");
    app.start().await.expect("the app starts");
    let addr = listener_addr(&app, "listener");
    (app, format!("http://{addr}"))
}

fn listener_addr(app: &App, name: &str) -> SocketAddr {
    let (_, handle) = app.globals.iter().find(|(n, _)| n == name).expect("config exists");
    let config = handle.object.clone().downcast::<HttpListenerConfig>().expect("a listener config");
    config.local_addr().expect("bound")
}

/// What the stand-in server received.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
}

/// How the stand-in server answers.
#[derive(Clone)]
struct Reply {
    status: u16,
    content_type: Option<&'static str>,
    body: &'static str,
    delay: Duration,
    location: Option<String>,
    cookie: Option<&'static str>,
    /// Answer 401 with a `Basic` challenge to requests without `Authorization`.
    challenge: bool,
}

impl Reply {
    fn ok(content_type: &'static str, body: &'static str) -> Reply {
        Reply {
            status: 200,
            content_type: Some(content_type),
            body,
            delay: Duration::ZERO,
            location: None,
            cookie: None,
            challenge: false,
        }
    }
}

/// Starts a server that records requests and answers each with `reply`.
async fn stand_in_server(reply: Reply) -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let (reply, log) = (reply.clone(), log.clone());
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let (reply, log) = (reply.clone(), log.clone());
                async move {
                    let (parts, body) = request.into_parts();
                    let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
                    let uri = parts.uri.to_string();
                    log.lock().unwrap().push(Seen {
                        method: parts.method.to_string(),
                        uri,
                        headers: parts.headers,
                        body,
                    });
                    tokio::time::sleep(reply.delay).await;
                    let authorized = log
                        .lock()
                        .unwrap()
                        .last()
                        .is_some_and(|seen| seen.headers.contains_key("authorization"));
                    if reply.challenge && !authorized {
                        let mut response = Response::new(Full::new(Bytes::new()));
                        *response.status_mut() = hyper::StatusCode::UNAUTHORIZED;
                        response
                            .headers_mut()
                            .insert("www-authenticate", "Basic realm=\"test\"".parse().unwrap());
                        return Ok::<_, Infallible>(response);
                    }
                    let mut response =
                        Response::new(Full::new(Bytes::from_static(reply.body.as_bytes())));
                    *response.status_mut() = hyper::StatusCode::from_u16(reply.status).unwrap();
                    if let Some(content_type) = reply.content_type {
                        response
                            .headers_mut()
                            .insert("content-type", content_type.parse().unwrap());
                    }
                    if let Some(cookie) = reply.cookie {
                        response.headers_mut().insert("set-cookie", cookie.parse().unwrap());
                    }
                    if let Some(location) = &reply.location {
                        response.headers_mut().insert("location", location.parse().unwrap());
                    }
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    (addr, seen)
}

fn request_config(addr: SocketAddr, extra: &str) -> String {
    format!(
        r#"<http:request-config name="backend" basePath="/base">
               <http:request-connection host="127.0.0.1" port="{}"/>
               {extra}
           </http:request-config>"#,
        addr.port()
    )
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

async fn run_flow(app: &App, flow: &str, payload: TypedValue) -> Result<Event, MuleError> {
    let runner = app.runner(flow).expect("flow exists");
    runner.run(Event::new(Message::of(payload))).await.map_err(|failure| failure.error)
}

fn text(value: &Value) -> String {
    match value {
        Value::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::String(text) => text.to_string(),
        other => format!("{other:?}"),
    }
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

// ---------------------------------------------------------------------------------------------
// Listener

#[tokio::test(flavor = "multi_thread")]
async fn listener_echoes_the_body_with_its_media_type() {
    let (app, base) = start(&format!(r#"{LISTENER_CONFIG}<flow name="echo"><http:listener config-ref="listener" path="/echo"/></flow>"#)).await;
    let client = reqwest::Client::new();

    let response = client
        .post(format!("{base}/echo"))
        .header("content-type", "application/json")
        .body(r#"{"a":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("application/json; charset=UTF-8"));
    assert_eq!(response.text().await.unwrap(), r#"{"a":1}"#);

    // No Content-Type in: the payload is `*/*`, so none goes out.
    let response = client.post(format!("{base}/echo")).body("raw").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), None);
    assert_eq!(response.text().await.unwrap(), "raw");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_answers_404_and_405_in_text() {
    let (app, base) = start(&format!(
        r#"{LISTENER_CONFIG}<flow name="f"><http:listener config-ref="listener" path="/items" allowedMethods="GET, post"/></flow>"#
    ))
    .await;
    let client = reqwest::Client::new();

    let response = client.get(format!("{base}/nothing%20here")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(header(&response, "content-type"), Some("text/plain"));
    assert_eq!(response.text().await.unwrap(), "No listener for endpoint: /nothing here");

    let response = client.delete(format!("{base}/items")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(header(&response, "content-type"), Some("text/plain"));
    assert_eq!(response.text().await.unwrap(), "Method not allowed for endpoint: /items");

    assert_eq!(client.post(format!("{base}/items")).send().await.unwrap().status(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_bodies_are_decoded_by_their_charset() {
    let (app, base) = start(&format!(
        r##"{LISTENER_CONFIG}
           <flow name="json"><http:listener config-ref="listener" path="/json"/>
               <set-payload value="#[payload.name ++ ' ' ++ sizeOf(payload.name)]"/></flow>
           <flow name="text"><http:listener config-ref="listener" path="/text"/>
               <set-payload value="#[payload ++ ' ' ++ sizeOf(payload)]"/></flow>"##
    ))
    .await;
    let client = reqwest::Client::new();
    let send = |path: &'static str, content_type: &'static str, body: Vec<u8>| {
        let request = client.post(format!("{base}{path}")).header("content-type", content_type);
        async move {
            let response = request.body(body).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };

    let latin1 = b"{\"name\": \"caf\xe9\"}".to_vec();
    let json = send("/json", "application/json; charset=ISO-8859-1", latin1).await;
    assert_eq!(json, (200, "café 4".into()));
    let text = send("/text", "text/plain; charset=iso-8859-1", b"caf\xe9".to_vec()).await;
    assert_eq!(text, (200, "café 4".into()));
    let ascii = send("/text", "text/plain; charset=US-ASCII", b"cafe".to_vec()).await;
    assert_eq!(ascii, (200, "cafe 4".into()));
    let utf16: Vec<u8> = "café".encode_utf16().flat_map(u16::to_be_bytes).collect();
    let utf16 = send("/text", "text/plain; charset=UTF-16", utf16).await;
    assert_eq!(utf16, (200, "café 4".into()));
    let utf8 = send("/json", "application/json", r#"{"name": "café"}"#.into()).await;
    assert_eq!(utf8, (200, "café 4".into()));

    let (status, body) = send("/text", "text/plain; charset=klingon", b"x".to_vec()).await;
    assert_eq!(status, 500);
    assert!(
        body.contains(
            "unknown charset `klingon` in the media type `text/plain; charset=klingon` of `payload`"
        ),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_rejects_an_unparseable_content_type() {
    let (app, base) = start(&format!(
        r#"{LISTENER_CONFIG}<flow name="f"><http:listener config-ref="listener" path="/"/></flow>"#
    ))
    .await;
    let response = reqwest::Client::new()
        .post(format!("{base}/"))
        .header("content-type", "nonsense")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().await.unwrap(),
        r#"HTTP request parsing failed with error: "MediaType cannot be parsed: nonsense""#
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_builds_request_attributes() {
    let (app, base) = start(
        r#"<http:listener-config name="listener" basePath="api">
               <http:listener-connection host="127.0.0.1" port="0"/>
           </http:listener-config>
           <flow name="users">
               <http:listener config-ref="listener" path="v1/users/{id}"/>
               <test:capture key="attributes"/>
           </flow>"#,
    )
    .await;
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/users/42%20x?a=1&a=2&b=c%2Bd"))
        .header("X-Correlation-ID", "corr-42")
        .header("x-tag", "one")
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let event = captured("attributes");
    assert_eq!(&*event.correlation_id, "corr-42");
    assert_eq!(
        event.message.payload,
        TypedValue::new(
            Value::Binary(Bytes::from_static(b"hi")),
            MediaType::text().with_charset("UTF-8")
        )
    );
    let attrs = &event.message.attributes.value;
    let field = |key: &str| attrs.get(key).map(text).unwrap_or_else(|| panic!("no `{key}`"));
    assert_eq!(field("method"), "POST");
    assert_eq!(field("scheme"), "http");
    assert_eq!(field("version"), "HTTP/1.1");
    assert_eq!(field("listenerPath"), "/api/v1/users/{id}");
    assert_eq!(field("requestPath"), "/api/v1/users/42 x");
    assert_eq!(field("rawRequestPath"), "/api/v1/users/42%20x");
    assert_eq!(field("relativePath"), "/v1/users/42 x");
    assert_eq!(field("requestUri"), "/api/v1/users/42 x?a=1&a=2&b=c+d");
    assert_eq!(field("rawRequestUri"), "/api/v1/users/42%20x?a=1&a=2&b=c%2Bd");
    assert_eq!(field("queryString"), "a=1&a=2&b=c+d");
    assert_eq!(attrs.get("maskedRequestPath"), Some(&Value::Null));
    assert_eq!(attrs.get("clientCertificate"), Some(&Value::Null));
    assert_eq!(attrs.get("uriParams"), Some(&Value::object([("id", Value::string("42 x"))])));
    let query = Value::object([
        ("a", Value::string("1")),
        ("a", Value::string("2")),
        ("b", Value::string("c+d")),
    ]);
    assert_eq!(attrs.get("queryParams"), Some(&query));
    let headers = attrs.get("headers").unwrap();
    assert_eq!(headers.get("x-correlation-id").map(text).as_deref(), Some("corr-42"));
    assert_eq!(headers.get("x-tag").map(text).as_deref(), Some("one"));
    let addr = listener_addr(&app, "listener");
    assert_eq!(field("localAddress"), format!("/{addr}"));
    assert!(field("remoteAddress").starts_with("/127.0.0.1:"), "{}", field("remoteAddress"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_bodies_are_read_by_their_media_type() {
    let (app, base) = start(&format!(
        r##"{LISTENER_CONFIG}
           <flow name="form">
               <http:listener config-ref="listener" path="/form"/>
               <set-payload value="#[output application/json --- {{b: payload.b, n: sizeOf(payload)}}]"/>
           </flow>
           <flow name="csv">
               <http:listener config-ref="listener" path="/csv"/>
               <set-payload value="#[output application/json --- payload map $.name]"/>
           </flow>"##
    ))
    .await;
    let client = reqwest::Client::new();
    let post = |path: &str, content_type: &'static str, body: &'static str| {
        client.post(format!("{base}/{path}")).header("content-type", content_type).body(body).send()
    };

    let response =
        post("form", "application/x-www-form-urlencoded", "a=1&b=x%20y+z").await.unwrap();
    assert_eq!(response.text().await.unwrap(), "{\n  \"b\": \"x y z\",\n  \"n\": 2\n}");
    for content_type in ["application/csv", "text/csv; charset=UTF-8"] {
        let response = post("csv", content_type, "id,name\n1,ann\n2,bo\n").await.unwrap();
        assert_eq!(response.text().await.unwrap(), "[\n  \"ann\",\n  \"bo\"\n]", "{content_type}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn header_lookups_ignore_case() {
    let (app, base) = start(&format!(
        r##"{LISTENER_CONFIG}
           <flow name="headers">
               <http:listener config-ref="listener" path="/h"/>
               <set-payload value="#[output application/json indent=false --- [
                   attributes.headers.'Content-Type',
                   attributes.headers['X-Api-Key'],
                   attributes.headers.X_TAG,
                   message.attributes.headers.*'X-Multi',
                   attributes.headers.'x-api-key',
                   attributes.headers.'X-API-KEY'?,
                   attributes.headers.'X-Nope'
               ]]"/>
           </flow>"##
    ))
    .await;
    let response = reqwest::Client::new()
        .post(format!("{base}/h"))
        .header("Content-Type", "text/plain")
        .header("X-Api-Key", "k1")
        .header("x_tag", "t")
        .header("X-Multi", "1")
        .header("x-multi", "2")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.text().await.unwrap(),
        r#"["text/plain","k1","t",["1","2"],"k1",true,null]"#
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_masks_the_catch_all_part_and_prefers_static_paths() {
    let (app, base) = start(&format!(
        r#"{LISTENER_CONFIG}
           <flow name="any"><http:listener config-ref="listener" path="/files/*"/><test:capture key="masked-any"/></flow>
           <flow name="exact"><http:listener config-ref="listener" path="/files/readme"/><test:capture key="masked-exact"/></flow>"#
    ))
    .await;
    let client = reqwest::Client::new();
    client.get(format!("{base}/files/a/b.txt")).send().await.unwrap();
    client.get(format!("{base}/files/readme")).send().await.unwrap();
    let any = captured("masked-any").message.attributes.value;
    assert_eq!(any.get("maskedRequestPath"), Some(&Value::string("/a/b.txt")));
    assert_eq!(any.get("listenerPath"), Some(&Value::string("/files/*")));
    let exact = captured("masked-exact").message.attributes.value;
    assert_eq!(exact.get("requestPath"), Some(&Value::string("/files/readme")));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_answers_500_with_the_error_description() {
    let port = closed_port().await;
    let (app, base) = start(&format!(
        r#"{LISTENER_CONFIG}
           <http:request-config name="nowhere"><http:request-connection host="127.0.0.1" port="{port}"/></http:request-config>
           <flow name="f">
               <http:listener config-ref="listener" path="/call"/>
               <http:request config-ref="nowhere" path="/x"/>
           </flow>"#
    ))
    .await;
    let response = reqwest::Client::new().get(format!("{base}/call")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.status().canonical_reason(), Some("Internal Server Error"));
    assert_eq!(header(&response, "content-type"), Some("text/plain"));
    let body = response.text().await.unwrap();
    assert_eq!(
        body,
        format!("HTTP GET on resource 'http://127.0.0.1:{port}/x' failed: Connection refused.")
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_sends_mules_reason_phrase_on_500() {
    // reqwest hides the reason phrase, so read the status line from a raw socket.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let port = closed_port().await;
    let (app, base) = start(&format!(
        r#"{LISTENER_CONFIG}
           <http:request-config name="nowhere"><http:request-connection host="127.0.0.1" port="{port}"/></http:request-config>
           <flow name="f"><http:listener config-ref="listener" path="/"/><http:request config-ref="nowhere"/></flow>"#
    ))
    .await;
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    assert!(raw.starts_with("HTTP/1.1 500 Server Error\r\n"), "{raw}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_serves_requests_concurrently_and_stops_gracefully() {
    let (backend, _) = stand_in_server(Reply {
        delay: Duration::from_millis(300),
        ..Reply::ok("text/plain", "slow")
    })
    .await;
    let (app, base) = start(&format!(
        r#"{LISTENER_CONFIG}{}
           <flow name="f"><http:listener config-ref="listener" path="/slow"/><http:request config-ref="backend" path="/"/></flow>"#,
        request_config(backend, "")
    ))
    .await;
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let calls: Vec<_> =
        (0..8).map(|_| tokio::spawn(client.get(format!("{base}/slow")).send())).collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.stop().await;
    for call in calls {
        let response = call.await.unwrap().unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "slow");
    }
    assert!(started.elapsed() < Duration::from_millis(1500), "requests ran one after another");
    assert!(
        reqwest::Client::new().get(format!("{base}/slow")).send().await.is_err(),
        "still accepting after stop"
    );
}

#[test]
fn listener_path_clash_is_a_load_error_pointing_at_the_first() {
    let body = format!(
        r#"{LISTENER_CONFIG}
<flow name="a"><http:listener config-ref="listener" path="/x/{{id}}" allowedMethods="GET,POST"/></flow>
<flow name="b"><http:listener config-ref="listener" path="/x/{{key}}" allowedMethods="POST"/></flow>
<flow name="c"><http:listener config-ref="listener" path="/x/{{key}}" allowedMethods="PUT"/></flow>"#
    );
    let Err(err) = load(&body) else { panic!("the app loaded") };
    assert_eq!(
        err.to_string(),
        "test-app.xml:9:59: error: `listener`: a listener for path `/x/{key}` and methods POST is \
         already registered (as `/x/{id}` with methods GET, POST)\n  \
         = test-app.xml:8:59: the first listener for this path, in flow `a`"
    );

    // Another config, or methods that do not overlap, are no clash.
    let apart = format!(
        r#"{LISTENER_CONFIG}
           <http:listener-config name="other"><http:listener-connection host="127.0.0.1" port="0"/></http:listener-config>
           <flow name="a"><http:listener config-ref="listener" path="/x"/></flow>
           <flow name="b"><http:listener config-ref="other" path="/x"/></flow>
           <flow name="c"><http:listener config-ref="listener" path="/y" allowedMethods="GET"/></flow>
           <flow name="d"><http:listener config-ref="listener" path="/y" allowedMethods="PUT"/></flow>"#
    );
    load(&apart).expect("the app loads");
}

#[test]
fn listener_configs_on_one_address_are_a_load_error() {
    let body = r#"
<http:listener-config name="first"><http:listener-connection host="0.0.0.0" port="8081"/></http:listener-config>
<http:listener-config name="second"><http:listener-connection host="127.0.0.1" port="8081"/></http:listener-config>
<http:listener-config name="third"><http:listener-connection host="127.0.0.1" port="8082"/></http:listener-config>"#;
    let Err(err) = load(body) else { panic!("the app loaded") };
    assert_eq!(
        err.to_string(),
        "test-app.xml:6:86: error: `second` listens on 127.0.0.1:8081, which `first` already \
         listens on; two `http:listener-config`s cannot share an address\n  \
         = give one of them another port, or put the listeners of both on `first`\n  \
         = test-app.xml:5:83: `first` listens on 0.0.0.0:8081 here"
    );
    let ephemeral = r#"
<http:listener-config name="a"><http:listener-connection host="127.0.0.1" port="0"/></http:listener-config>
<http:listener-config name="b"><http:listener-connection host="127.0.0.1" port="0"/></http:listener-config>"#;
    load(ephemeral).expect("port 0 never clashes");
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_response_and_error_response_set_status_and_reason() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let port = closed_port().await;
    let (app, base) = start(&format!(
        r#"{LISTENER_CONFIG}
           <http:request-config name="nowhere"><http:request-connection host="127.0.0.1" port="{port}"/></http:request-config>
           <flow name="made">
               <http:listener config-ref="listener" path="/made">
                   <http:response statusCode="201" reasonPhrase="Made"/>
               </http:listener>
               <set-payload value="hello" mimeType="text/plain" encoding="UTF-8"/>
           </flow>
           <flow name="down">
               <http:listener config-ref="listener" path="/down">
                   <http:error-response statusCode="503"/>
               </http:listener>
               <http:request config-ref="nowhere"/>
           </flow>"#
    ))
    .await;
    let client = reqwest::Client::new();
    let response = client.get(format!("{base}/made")).send().await.unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "content-type"), Some("text/plain; charset=UTF-8"));
    assert_eq!(response.text().await.unwrap(), "hello");

    let response = client.get(format!("{base}/down")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "content-type"), Some("text/plain"));
    assert_eq!(
        response.text().await.unwrap(),
        format!("HTTP GET on resource 'http://127.0.0.1:{port}/' failed: Connection refused.")
    );

    let mut stream =
        tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(b"GET /made HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    assert!(raw.starts_with("HTTP/1.1 201 Made\r\n"), "{raw}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_response_builders_evaluate_expressions() {
    let port = closed_port().await;
    let (app, base) = start(&format!(
        r##"{LISTENER_CONFIG}
           <http:request-config name="nowhere"><http:request-connection host="127.0.0.1" port="{port}"/></http:request-config>
           <flow name="f">
               <http:listener config-ref="listener" path="/x/{{id}}">
                   <http:response statusCode="#[202]">
                       <http:headers>#[{{'X-Id': attributes.uriParams.id}}]</http:headers>
                   </http:response>
                   <http:error-response statusCode="#[400]">
                       <http:body>#[error.description]</http:body>
                   </http:error-response>
               </http:listener>
               <set-payload value="#[attributes.queryParams.a ++ '/' ++ attributes.method]"/>
           </flow>
           <flow name="g">
               <http:listener config-ref="listener" path="/fail">
                   <http:error-response statusCode="#[400]">
                       <http:body>#[error.errorType.identifier ++ ': ' ++ error.description]</http:body>
                   </http:error-response>
               </http:listener>
               <http:request config-ref="nowhere" path="/down"/>
           </flow>"##
    ))
    .await;
    let client = reqwest::Client::new();
    let response = client.post(format!("{base}/x/42?a=1&a=2")).body("in").send().await.unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(header(&response, "x-id"), Some("42"));
    assert_eq!(response.text().await.unwrap(), "1/POST");

    let response = client.get(format!("{base}/fail")).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().await.unwrap(),
        format!(
            "CONNECTIVITY: HTTP GET on resource 'http://127.0.0.1:{port}/down' failed: Connection refused."
        )
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_start_fails_when_the_port_is_taken() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = taken.local_addr().unwrap().port();
    let app = load(&format!(
        r#"<http:listener-config name="busy"><http:listener-connection host="127.0.0.1" port="{port}"/></http:listener-config>"#
    ))
    .unwrap();
    let err = app.start().await.unwrap_err();
    assert!(err.starts_with(&format!("`busy`: cannot listen on 127.0.0.1:{port}: ")), "{err}");
    assert!(
        err.ends_with(&format!(
            "; another program (or another `http:listener-config`) is already listening on \
             127.0.0.1:{port}"
        )),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Listener load errors

#[test]
fn listener_load_errors_name_the_problem() {
    let unknown = load_error(&format!(
        r#"{LISTENER_CONFIG}<flow name="f"><http:listener config-ref="listener" path="/" bogus="1"/></flow>"#
    ));
    assert_eq!(unknown, "unknown attribute `bogus` on `http:listener`");

    let dangling =
        load_error(r#"<flow name="f"><http:listener config-ref="missing" path="/"/></flow>"#);
    assert_eq!(dangling, "`config-ref` names `missing`, but nothing has that name");

    let no_path = load_error(&format!(
        r#"{LISTENER_CONFIG}<flow name="f"><http:listener config-ref="listener"/></flow>"#
    ));
    assert_eq!(no_path, "missing required attribute `path` on `http:listener`");

    let bad_path = load_error(&format!(
        r#"{LISTENER_CONFIG}<flow name="f"><http:listener config-ref="listener" path="/a*"/></flow>"#
    ));
    assert_eq!(bad_path, "the path segment `a*` mixes `*` with text; `*` must be a whole segment");

    let https = load_error(
        r#"<http:listener-config name="l"><http:listener-connection host="0.0.0.0" port="8443" protocol="HTTPS"/></http:listener-config>"#,
    );
    assert_eq!(https, "protocol `HTTPS` is not supported yet by `http:listener-connection`");

    let bad_port = load_error(
        r#"<http:listener-config name="l"><http:listener-connection host="0.0.0.0" port="80a"/></http:listener-config>"#,
    );
    assert_eq!(bad_port, "`80a` is not a port number (0 to 65535)");
}

#[tokio::test(flavor = "multi_thread")]
async fn listener_accepts_method_as_alias_with_a_warning() {
    let app = load(&format!(r#"{LISTENER_CONFIG}<flow name="f"><http:listener config-ref="listener" path="/rotate" method="POST"/></flow>"#))
        .expect("loads with a warning");
    assert_eq!(app.warnings.len(), 1);
    assert_eq!(app.warnings[0].severity, Severity::Warning);
    assert_eq!(
        app.warnings[0].message,
        "`method` is not an attribute of `http:listener` in Mule 4"
    );
    assert_eq!(
        app.warnings[0].notes,
        ["Mule 4 calls it `allowedMethods`: allowedMethods=\"POST\""]
    );
    app.start().await.unwrap();
    let base = format!("http://{}", listener_addr(&app, "listener"));
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{base}/rotate")).send().await.unwrap().status(), 405);
    assert_eq!(client.post(format!("{base}/rotate")).send().await.unwrap().status(), 200);
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Requester

#[tokio::test(flavor = "multi_thread")]
async fn request_forwards_the_payload_and_returns_the_response() {
    let (backend, seen) = stand_in_server(Reply::ok("application/json", r#"{"ok":true}"#)).await;
    let (app, base) = start(&format!(
        r#"{LISTENER_CONFIG}
           {}
           <flow name="proxy">
               <http:listener config-ref="listener" path="/proxy"/>
               <http:request config-ref="backend" method="PUT" path="/items/a b"/>
               <test:capture key="request-response"/>
           </flow>"#,
        request_config(backend, r#"<http:default-headers><http:default-header key="X-Api-Key" value="k-123"/></http:default-headers>"#),
    ))
    .await;
    let response = reqwest::Client::new()
        .post(format!("{base}/proxy"))
        .header("content-type", "application/json")
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("application/json; charset=UTF-8"));
    assert_eq!(response.text().await.unwrap(), r#"{"ok":true}"#);

    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.method, "PUT");
    assert_eq!(seen.uri, "/base/items/a%20b");
    assert_eq!(seen.headers.get("x-api-key").unwrap(), "k-123");
    assert_eq!(seen.headers.get("content-type").unwrap(), "application/json; charset=UTF-8");
    assert_eq!(&seen.body[..], br#"{"name":"x"}"#);

    let attrs = captured("request-response").message.attributes.value;
    assert_eq!(attrs.get("statusCode"), Some(&Value::Number(200.into())));
    assert_eq!(attrs.get("reasonPhrase"), Some(&Value::string("OK")));
    assert_eq!(
        attrs.get("headers").and_then(|h| h.get("content-type")),
        Some(&Value::string("application/json"))
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_authentication_is_preemptive_unless_told_otherwise() {
    let (backend, seen) =
        stand_in_server(Reply { challenge: true, ..Reply::ok("text/plain", "welcome") }).await;
    let app = load(&format!(
        r#"<http:request-config name="eager">
               <http:request-connection host="127.0.0.1" port="{port}">
                   <http:authentication><http:basic-authentication username="ops" password="s3cret-pw"/></http:authentication>
               </http:request-connection>
           </http:request-config>
           <http:request-config name="lazy">
               <http:request-connection host="127.0.0.1" port="{port}">
                   <http:authentication><http:basic-authentication username="ops" password="s3cret-pw" preemptive="false"/></http:authentication>
               </http:request-connection>
           </http:request-config>
           <flow name="eager-flow"><http:request config-ref="eager" path="/e"/></flow>
           <flow name="lazy-flow"><http:request config-ref="lazy" path="/l"/></flow>"#,
        port = backend.port()
    ))
    .unwrap();
    // base64("ops:s3cret-pw")
    let expected = "Basic b3BzOnMzY3JldC1wdw==";
    let event = run_flow(&app, "eager-flow", TypedValue::null()).await.unwrap();
    assert_eq!(text(&event.message.payload.value), "welcome");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].headers.get("authorization").unwrap(), expected);
    }
    let event = run_flow(&app, "lazy-flow", TypedValue::null()).await.unwrap();
    assert_eq!(text(&event.message.payload.value), "welcome");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "the lazy config answers the challenge: {seen:?}");
    assert!(seen[1].headers.get("authorization").is_none());
    assert_eq!(seen[2].headers.get("authorization").unwrap(), expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn request_get_sends_no_body_and_absent_content_type_reads_as_any() {
    let (backend, seen) =
        stand_in_server(Reply { content_type: None, ..Reply::ok("", "plain") }).await;
    let app = load(&format!(
        r#"{}<flow name="get"><http:request config-ref="backend" path="status"/></flow>"#,
        request_config(backend, "")
    ))
    .unwrap();
    let payload = TypedValue::new(Value::string("ignored"), MediaType::text());
    let event = run_flow(&app, "get", payload).await.unwrap();
    assert_eq!(
        event.message.payload,
        TypedValue::new(
            Value::Binary(Bytes::from_static(b"plain")),
            MediaType::any().with_charset("UTF-8")
        )
    );
    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!((seen.method.as_str(), seen.uri.as_str()), ("GET", "/base/status"));
    assert!(seen.body.is_empty());
    assert!(seen.headers.get("content-type").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn send_body_mode_overrides_the_method_rule() {
    let (backend, seen) = stand_in_server(Reply::ok("text/plain", "ok")).await;
    let app = load(&format!(
        r#"{}<flow name="get-always"><http:request config-ref="backend" sendBodyMode="ALWAYS"/></flow>
           <flow name="post-never"><http:request config-ref="backend" method="POST" sendBodyMode="NEVER"/></flow>"#,
        request_config(backend, "")
    ))
    .unwrap();
    let payload = TypedValue::new(Value::string("data"), MediaType::text());
    run_flow(&app, "get-always", payload.clone()).await.unwrap();
    run_flow(&app, "post-never", payload).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!((seen[0].method.as_str(), &seen[0].body[..]), ("GET", &b"data"[..]));
    assert_eq!(seen[0].headers.get("content-type").unwrap(), "text/plain");
    assert_eq!((seen[1].method.as_str(), &seen[1].body[..]), ("POST", &b""[..]));
}

#[tokio::test(flavor = "multi_thread")]
async fn output_mime_type_relabels_received_bodies() {
    let (backend, _) = stand_in_server(Reply::ok("text/plain", r#"{"k":"v"}"#)).await;
    let (app, base) = start(&format!(
        r##"{LISTENER_CONFIG}{}
           <flow name="echo"><http:listener config-ref="listener" path="/echo" outputMimeType="application/json"/></flow>
           <flow name="read">
               <http:request config-ref="backend" outputMimeType="application/json"/>
               <set-payload value="#[payload.k]"/>
           </flow>"##,
        request_config(backend, "")
    ))
    .await;
    let response =
        reqwest::Client::new().post(format!("{base}/echo")).body("{}").send().await.unwrap();
    assert_eq!(header(&response, "content-type"), Some("application/json; charset=UTF-8"));

    let event = run_flow(&app, "read", TypedValue::null()).await.unwrap();
    assert_eq!(text(&event.message.payload.value), "v");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn request_configs_keep_cookies_unless_disabled() {
    let (backend, seen) = stand_in_server(Reply {
        cookie: Some("session=abc; Path=/"),
        ..Reply::ok("text/plain", "ok")
    })
    .await;
    let app = load(&format!(
        r#"{}
           <http:request-config name="forgetful" enableCookies="false">
               <http:request-connection host="127.0.0.1" port="{}"/>
           </http:request-config>
           <flow name="keep"><http:request config-ref="backend"/></flow>
           <flow name="forget"><http:request config-ref="forgetful"/></flow>"#,
        request_config(backend, ""),
        backend.port()
    ))
    .unwrap();
    for flow in ["keep", "keep", "forget", "forget"] {
        run_flow(&app, flow, TypedValue::null()).await.unwrap();
    }
    let cookies: Vec<Option<String>> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.headers.get("cookie").map(|v| v.to_str().unwrap().to_owned()))
        .collect();
    assert_eq!(cookies, [None, Some("session=abc".to_owned()), None, None]);
}

#[tokio::test(flavor = "multi_thread")]
async fn request_with_target_keeps_the_message() {
    let (backend, _) = stand_in_server(Reply::ok("text/plain", "stored")).await;
    let app = load(&format!(
        r#"{}<flow name="t"><http:request config-ref="backend" target="answer"/></flow>"#,
        request_config(backend, "")
    ))
    .unwrap();
    let payload = TypedValue::new(Value::string("original"), MediaType::text());
    let event = run_flow(&app, "t", payload.clone()).await.unwrap();
    assert_eq!(event.message.payload, payload);
    assert_eq!(event.message.attributes, TypedValue::null());
    let stored = &event.vars["answer"];
    assert_eq!(text(&stored.value), "stored");
    assert_eq!(stored.media_type.to_string(), "text/plain; charset=UTF-8");
}

#[tokio::test(flavor = "multi_thread")]
async fn request_failing_status_is_a_typed_error_with_the_response() {
    let (backend, _) = stand_in_server(Reply {
        status: 403,
        ..Reply::ok("application/json", r#"{"errors":["permission denied"]}"#)
    })
    .await;
    let app = load(&format!(
        r#"<http:request-config name="vault"><http:request-connection host="127.0.0.1" port="{}"/></http:request-config>
           <flow name="f"><http:request config-ref="vault" path="/v1/secret/data/ai-keys" method="GET"/></flow>"#,
        backend.port()
    ))
    .unwrap();
    let error = run_flow(&app, "f", TypedValue::null()).await.unwrap_err();
    assert_eq!(error.error_type.to_string(), "HTTP:FORBIDDEN");
    assert_eq!(
        error.description,
        format!(
            "HTTP GET on resource 'http://127.0.0.1:{}/v1/secret/data/ai-keys' failed: forbidden (403).",
            backend.port()
        )
    );
    let message = error.error_message.expect("the response is kept");
    assert_eq!(message.attributes.value.get("statusCode"), Some(&Value::Number(403.into())));
    assert_eq!(text(&message.payload.value), r#"{"errors":["permission denied"]}"#);
    assert_eq!(error.failing_component.as_deref(), Some("f/processors/0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn request_unmapped_status_is_mule_unknown() {
    let (backend, _) =
        stand_in_server(Reply { status: 409, ..Reply::ok("text/plain", "conflict") }).await;
    let app = load(&format!(
        r#"{}<flow name="f"><http:request config-ref="backend" method="POST" path="/x"/></flow>"#,
        request_config(backend, "")
    ))
    .unwrap();
    let error = run_flow(&app, "f", TypedValue::null()).await.unwrap_err();
    assert_eq!(error.error_type.to_string(), "MULE:UNKNOWN");
    assert_eq!(
        error.description,
        format!(
            "HTTP POST on resource 'http://127.0.0.1:{}/base/x' failed with status code 409.",
            backend.port()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn request_to_a_closed_port_is_connectivity() {
    let port = closed_port().await;
    let app = load(&format!(
        r#"<http:request-config name="c"><http:request-connection host="127.0.0.1" port="{port}"/></http:request-config>
           <flow name="f"><http:request config-ref="c" path="/v1/x"/></flow>"#
    ))
    .unwrap();
    let error = run_flow(&app, "f", TypedValue::null()).await.unwrap_err();
    assert_eq!(error.error_type.to_string(), "HTTP:CONNECTIVITY");
    assert_eq!(
        error.error_type.parent().map(|p| p.to_string()).as_deref(),
        Some("MULE:CONNECTIVITY")
    );
    assert_eq!(
        error.description,
        format!("HTTP GET on resource 'http://127.0.0.1:{port}/v1/x' failed: Connection refused.")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn request_past_its_response_timeout_is_timeout() {
    let (backend, _) =
        stand_in_server(Reply { delay: Duration::from_secs(3), ..Reply::ok("text/plain", "late") })
            .await;
    let app = load(&format!(
        r#"{}<flow name="f"><http:request config-ref="backend" path="/slow" responseTimeout="200"/></flow>"#,
        request_config(backend, "")
    ))
    .unwrap();
    let started = std::time::Instant::now();
    let error = run_flow(&app, "f", TypedValue::null()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(error.error_type.to_string(), "HTTP:TIMEOUT");
    assert_eq!(
        error.description,
        format!(
            "HTTP GET on resource 'http://127.0.0.1:{}/base/slow' failed: Timeout exceeded.",
            backend.port()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn request_url_ignores_the_config_address() {
    let (backend, seen) = stand_in_server(Reply::ok("text/plain", "by url")).await;
    let app = load(&format!(r#"<flow name="f"><http:request method="DELETE" url="http://127.0.0.1:{}/direct?keep=1"/></flow>"#, backend.port())).unwrap();
    let event = run_flow(&app, "f", TypedValue::null()).await.unwrap();
    assert_eq!(text(&event.message.payload.value), "by url");
    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!((seen.method.as_str(), seen.uri.as_str()), ("DELETE", "/direct?keep=1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn request_sends_default_query_params_encoded() {
    let (backend, seen) = stand_in_server(Reply::ok("text/plain", "q")).await;
    let extra = r#"<http:default-query-params><http:query-param key="q" value="a b&amp;c"/></http:default-query-params>"#;
    let app = load(&format!(
        r#"{}<flow name="f"><http:request config-ref="backend" path="/search"/></flow>"#,
        request_config(backend, extra)
    ))
    .unwrap();
    run_flow(&app, "f", TypedValue::null()).await.unwrap();
    assert_eq!(seen.lock().unwrap()[0].uri, "/base/search?q=a%20b%26c");
}

#[tokio::test(flavor = "multi_thread")]
async fn request_sends_secret_default_headers() {
    let (backend, seen) = stand_in_server(Reply::ok("text/plain", "ok")).await;
    // A system property named `secure::...` answers secure placeholders, as in Mule.
    let system_properties = [("secure::vault.token".to_owned(), "s3cret-token".to_owned())].into();
    let options = LoadOptions { system_properties, ..LoadOptions::default() };
    let extra = r#"<http:default-headers><http:default-header key="X-Vault-Token" value="${secure::vault.token}"/></http:default-headers>"#;
    let xml = app_xml(&format!(
        r#"{}<flow name="f"><http:request config-ref="backend" path="/v1/secret"/></flow>"#,
        request_config(backend, extra)
    ));
    let app = model::load_str(Path::new("test-app.xml"), &xml, &registry(), &options).unwrap();
    run_flow(&app, "f", TypedValue::null()).await.unwrap();
    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.headers.get("x-vault-token").unwrap(), "s3cret-token");
}

#[tokio::test(flavor = "multi_thread")]
async fn request_follows_redirects_unless_told_not_to() {
    let (target, _) = stand_in_server(Reply::ok("text/plain", "arrived")).await;
    let location = format!("http://127.0.0.1:{}/there", target.port());
    let (backend, _) = stand_in_server(Reply {
        status: 302,
        location: Some(location.clone()),
        ..Reply::ok("text/plain", "moved")
    })
    .await;
    let app = load(&format!(
        r#"{}<flow name="follow"><http:request config-ref="backend" path="/here"/></flow>
           <flow name="stay"><http:request config-ref="backend" path="/here" followRedirects="false"/></flow>"#,
        request_config(backend, "")
    ))
    .unwrap();
    let event = run_flow(&app, "follow", TypedValue::null()).await.unwrap();
    assert_eq!(text(&event.message.payload.value), "arrived");

    // Not followed, a 302 is still inside the default success range 0..399.
    let event = run_flow(&app, "stay", TypedValue::null()).await.unwrap();
    assert_eq!(text(&event.message.payload.value), "moved");
    let attributes = &event.message.attributes.value;
    assert_eq!(attributes.get("statusCode"), Some(&Value::Number(302.into())));
    assert_eq!(
        attributes.get("headers").and_then(|h| h.get("location")),
        Some(&Value::string(location))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn request_keeps_the_reason_phrase_as_sent() {
    // The backend is a flowrun listener itself, answering `201 Made`.
    let (backend_app, backend) = start(&format!(
        r#"{LISTENER_CONFIG}
           <flow name="made">
               <http:listener config-ref="listener" path="/made"><http:response statusCode="201" reasonPhrase="Made"/></http:listener>
           </flow>"#
    ))
    .await;
    let app = load(&format!(
        r#"<flow name="f"><http:request method="POST" url="{backend}/made"/></flow>"#
    ))
    .unwrap();
    let payload = TypedValue::new(Value::string("body"), MediaType::text());
    let event = run_flow(&app, "f", payload).await.unwrap();
    let attributes = &event.message.attributes.value;
    assert_eq!(attributes.get("statusCode"), Some(&Value::Number(201.into())));
    assert_eq!(attributes.get("reasonPhrase"), Some(&Value::string("Made")));
    assert_eq!(text(&event.message.payload.value), "body");
    backend_app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn response_validators_move_the_failure_line() {
    let (backend, _) =
        stand_in_server(Reply { status: 404, ..Reply::ok("text/plain", "none") }).await;
    let validator = r#"<http:response-validator><http:success-status-code-validator values="200..299, 404"/></http:response-validator>"#;
    let app = load(&format!(
        r#"{}
           <flow name="config-level"><http:request config-ref="backend" path="/a"/></flow>
           <flow name="operation-level">
               <http:request config-ref="backend" path="/b">
                   <http:response-validator><http:failure-status-code-validator values="400..499"/></http:response-validator>
               </http:request>
           </flow>"#,
        request_config(backend, validator)
    ))
    .unwrap();
    let event = run_flow(&app, "config-level", TypedValue::null()).await.unwrap();
    assert_eq!(text(&event.message.payload.value), "none");
    let error = run_flow(&app, "operation-level", TypedValue::null()).await.unwrap_err();
    assert_eq!(error.error_type.to_string(), "HTTP:NOT_FOUND");
    assert_eq!(
        error.description,
        format!(
            "HTTP GET on resource 'http://127.0.0.1:{}/base/b' failed: not found (404).",
            backend.port()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn request_sends_the_correlation_id_unless_told_never() {
    let (backend, seen) = stand_in_server(Reply::ok("text/plain", "ok")).await;
    let app = load(&format!(
        r#"{}<flow name="auto"><http:request config-ref="backend"/></flow>
           <flow name="never"><http:request config-ref="backend" sendCorrelationId="NEVER"/></flow>
           <flow name="given"><http:request config-ref="backend" correlationId="custom-1"/></flow>"#,
        request_config(backend, "")
    ))
    .unwrap();
    let event = Event::with_correlation_id(Message::of(TypedValue::null()), "corr-7".into());
    app.runner("auto").unwrap().run(event.clone()).await.unwrap();
    app.runner("never").unwrap().run(event.clone()).await.unwrap();
    app.runner("given").unwrap().run(event).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0].headers.get("x-correlation-id").unwrap(), "corr-7");
    assert!(seen[1].headers.get("x-correlation-id").is_none());
    assert_eq!(seen[2].headers.get("x-correlation-id").unwrap(), "custom-1");
}

/// The example flow of the spec, in-process: the Vault and Anypoint stand-ins record what
/// flowrun sends them.
#[tokio::test(flavor = "multi_thread")]
async fn rotate_key_flow_reads_vault_and_puts_to_anypoint() {
    let (vault, vault_seen) = stand_in_server(Reply::ok(
        "application/json",
        r#"{"data":{"data":{"openai_key":"sk-new"}}}"#,
    ))
    .await;
    let (anypoint, anypoint_seen) =
        stand_in_server(Reply::ok("application/json", r#"{"status":"stored"}"#)).await;
    let (app, base) = start(&format!(
        r##"{LISTENER_CONFIG}
           <http:request-config name="Vault_Config">
               <http:request-connection protocol="http" host="127.0.0.1" port="{}"/>
               <http:default-headers><http:default-header key="X-Vault-Token" value="token-1"/></http:default-headers>
           </http:request-config>
           <http:request-config name="Anypoint_API">
               <http:request-connection protocol="http" host="127.0.0.1" port="{}"/>
           </http:request-config>
           <flow name="rotate-ai-key">
               <http:listener config-ref="listener" path="/admin/rotate-key" allowedMethods="POST"/>
               <http:request config-ref="Vault_Config" path="/v1/secret/data/ai-keys" method="GET"/>
               <set-variable variableName="newKey" value="#[payload.data.data.openai_key]"/>
               <http:request config-ref="Anypoint_API" path="/secrets/api/v1/sharedSecrets" method="PUT">
                   <http:body>#[output application/json --- {{name: "ai.openai.key", value: vars.newKey}}]</http:body>
               </http:request>
               <logger message="AI API key rotated successfully"/>
           </flow>"##,
        vault.port(),
        anypoint.port()
    ))
    .await;
    let response =
        reqwest::Client::new().post(format!("{base}/admin/rotate-key")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("application/json; charset=UTF-8"));
    assert_eq!(response.text().await.unwrap(), r#"{"status":"stored"}"#);

    let vault_seen = vault_seen.lock().unwrap()[0].clone();
    assert_eq!(
        (vault_seen.method.as_str(), vault_seen.uri.as_str()),
        ("GET", "/v1/secret/data/ai-keys")
    );
    assert_eq!(vault_seen.headers.get("x-vault-token").unwrap(), "token-1");
    let put = anypoint_seen.lock().unwrap()[0].clone();
    assert_eq!((put.method.as_str(), put.uri.as_str()), ("PUT", "/secrets/api/v1/sharedSecrets"));
    assert_eq!(put.headers.get("content-type").unwrap(), "application/json; charset=UTF-8");
    let body: serde_json::Value = serde_json::from_slice(&put.body).unwrap();
    assert_eq!(body, serde_json::json!({"name": "ai.openai.key", "value": "sk-new"}));
    app.stop().await;
}

#[test]
fn request_load_errors_name_the_problem() {
    let no_destination = load_error(r#"<flow name="f"><http:request path="/x"/></flow>"#);
    assert_eq!(
        no_destination,
        "`http:request` needs a `config-ref` to send a `path` to, or a full `url`"
    );

    let dangling =
        load_error(r#"<flow name="f"><http:request config-ref="nope" path="/x"/></flow>"#);
    assert_eq!(dangling, "`config-ref` names `nope`, but nothing has that name");

    let timeout = load_error(
        r#"<http:request-config name="c"><http:request-connection host="h"/></http:request-config>
           <flow name="f"><http:request config-ref="c" responseTimeout="soon"/></flow>"#,
    );
    assert_eq!(timeout, "`responseTimeout` must be a number of milliseconds, not `soon`");

    let several = load_error(
        r#"<http:request-config name="c"><http:request-connection host="h"/></http:request-config>
           <flow name="f"><http:request config-ref="c" sendBodyMode="SOMETIMES" followRedirects="yes" responseTimeout="-1"/></flow>"#,
    );
    assert_eq!(
        several,
        "`sendBodyMode` must be `AUTO`, `ALWAYS` or `NEVER`, not `SOMETIMES`\n\
         `followRedirects` must be `true` or `false`, not `yes`\n\
         `responseTimeout` must be a number of milliseconds, not `-1`"
    );

    let bad_ranges = load_error(
        r#"<http:request-config name="c">
               <http:request-connection host="h"/>
               <http:response-validator><http:success-status-code-validator values="2xx"/></http:response-validator>
           </http:request-config>"#,
    );
    assert_eq!(
        bad_ranges,
        "status codes must be a comma list of codes and ranges, such as `200..299,404`"
    );

    let no_host = load_error(
        r#"<http:request-config name="c"/><flow name="f"><http:request config-ref="c" path="/x"/></flow>"#,
    );
    assert_eq!(
        no_host,
        "`c` has no `host`, so `http:request` needs a full `url`; or set `host` on its `http:request-connection`"
    );

    let wrong_kind = load_error(&format!(
        r#"{LISTENER_CONFIG}<flow name="f"><http:request config-ref="listener"/></flow>"#
    ));
    assert_eq!(
        wrong_kind,
        "`config-ref` names `listener`, which is a `http:listener-config`; `http:request` needs a `http:request-config`"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn uri_params_are_encoded_when_the_system_property_asks() {
    let (backend, seen) = stand_in_server(Reply::ok("text/plain", "done")).await;
    let body = format!(
        r#"{}<flow name="f">
               <http:request config-ref="backend" path="/users/{{id}}">
                   <http:uri-params>#[{{'id': 'a/b c?'}}]</http:uri-params>
               </http:request>
           </flow>"#,
        request_config(backend, "")
    );
    let mut options = LoadOptions { app_name: Some("test-app".into()), ..LoadOptions::default() };
    options.system_properties.insert("mule.http.client.encodeUriParams".into(), "true".into());
    let app =
        model::load_str(Path::new("test-app.xml"), &app_xml(&body), &registry(), &options).unwrap();
    run_flow(&app, "f", TypedValue::null()).await.unwrap();
    assert_eq!(seen.lock().unwrap()[0].uri, "/base/users/a%2Fb%20c%3F");
}

// `http:body`, `http:headers`, `http:query-params` and `http:uri-params` hold DataWeave.
#[tokio::test(flavor = "multi_thread")]
async fn request_evaluates_body_headers_query_and_uri_params() {
    let (backend, seen) = stand_in_server(Reply::ok("text/plain", "done")).await;
    let app = load(&format!(
        r#"{}<flow name="f">
               <http:request config-ref="backend" method="POST" path="/users/{{id}}">
                   <http:body>#[output application/json --- {{name: "x"}}]</http:body>
                   <http:headers>#[{{'X-Trace': 'abc'}}]</http:headers>
                   <http:query-params>#[{{'page': 2, 'flag': null}}]</http:query-params>
                   <http:uri-params>#[{{'id': 'a/b c'}}]</http:uri-params>
               </http:request>
           </flow>"#,
        request_config(backend, "")
    ))
    .unwrap();
    let result = run_flow(&app, "f", TypedValue::null()).await;
    result.unwrap();
    let seen = seen.lock().unwrap()[0].clone();
    // As in Mule, the uri-param value goes in as written; only the space is escaped.
    assert_eq!(seen.uri, "/base/users/a/b%20c?page=2&flag");
    assert_eq!(seen.headers.get("x-trace").unwrap(), "abc");
    assert_eq!(seen.headers.get("content-type").unwrap(), "application/json; charset=UTF-8");
    let body: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(body, serde_json::json!({"name": "x"}));
}
