//! Secret header values never reach the logs, even at TRACE level with hyper's and reqwest's
//! own events included.
//!
//! This is a test binary of its own because it installs a tracing subscriber: tracing caches
//! per call site whether anyone listens, and tests running beside it on other threads with no
//! subscriber could make it miss events now and then.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use flowrun_engine::model::{self, LoadOptions};
use flowrun_plugins::http::HttpListenerConfig;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// A writer that keeps everything logged.
#[derive(Clone, Default)]
struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A server that answers every request `403 Forbidden` and records the token it was sent.
async fn forbidding_server(tokens: Arc<Mutex<Vec<String>>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tokens = tokens.clone();
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let token =
                    request.headers().get("x-vault-token").map(|v| v.to_str().unwrap().to_owned());
                tokens.lock().unwrap().extend(token);
                let mut response = Response::new(Full::new(Bytes::from_static(b"no")));
                *response.status_mut() = StatusCode::FORBIDDEN;
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_header_values_never_reach_the_logs() {
    let capture = LogCapture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let tokens = Arc::new(Mutex::new(Vec::new()));
    let backend = forbidding_server(tokens.clone()).await;
    let xml = format!(
        r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core" xmlns:http="http://www.mulesoft.org/schema/mule/http">
             <http:listener-config name="listener"><http:listener-connection host="127.0.0.1" port="0"/></http:listener-config>
             <http:request-config name="vault">
                 <http:request-connection host="127.0.0.1" port="{}"/>
                 <http:default-headers><http:default-header key="X-Vault-Token" value="${{secure::vault.token}}"/></http:default-headers>
             </http:request-config>
             <flow name="f">
                 <http:listener config-ref="listener" path="/"/>
                 <http:request config-ref="vault" path="/v1/secret"/>
             </flow>
           </mule>"#,
        backend.port()
    );
    // A system property named `secure::...` answers secure placeholders, as in Mule.
    let system_properties = [("secure::vault.token".to_owned(), "s3cret-token".to_owned())].into();
    let options = LoadOptions { system_properties, ..LoadOptions::default() };
    let app = model::load_str(Path::new("app.xml"), &xml, &flowrun_plugins::registry(), &options)
        .unwrap();
    app.start().await.unwrap();
    let (_, handle) = app.globals.iter().find(|(name, _)| name == "listener").unwrap();
    let config = handle.object.clone().downcast::<HttpListenerConfig>().unwrap();
    let base = format!("http://{}", config.local_addr().unwrap());

    let response = reqwest::Client::new().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    app.stop().await;

    assert_eq!(*tokens.lock().unwrap(), ["s3cret-token"]);
    let logged = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    assert!(logged.contains("HTTP:FORBIDDEN"), "the failure is logged: {logged}");
    assert!(logged.contains("sending HTTP request"), "debug events are captured: {logged}");
    assert!(!logged.contains("s3cret-token"), "the secret was logged:\n{logged}");
}
