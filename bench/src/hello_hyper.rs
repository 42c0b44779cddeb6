//! `hello-hyper PORT`: the bare baseline of the throughput benchmark.
//!
//! A minimal HTTP/1.1 server on hyper 1 and hyper-util, on tokio's multi-thread runtime, that
//! answers every request with the same small JSON body flowrun's benchmark flow produces
//! (`{"hello": "world"}`). It does no routing, no parsing of the query and no logging, so its
//! requests per second are the ceiling that flowrun's listener is compared with.
//! It binds 127.0.0.1 only.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The body flowrun's benchmark flow answers for `GET /bench`, byte for byte, so both servers
/// write the same amount.
const BODY: &[u8] = b"{\n  \"hello\": \"world\"\n}";

fn main() -> anyhow::Result<()> {
    let port = parse_port(std::env::args().nth(1).as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(serve(port))
}

fn parse_port(arg: Option<&str>) -> anyhow::Result<u16> {
    let Some(text) = arg else { anyhow::bail!("usage: hello-hyper PORT") };
    text.parse().with_context(|| format!("`{text}` is not a port number"))
}

async fn serve(port: u16) -> anyhow::Result<()> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener =
        TcpListener::bind(address).await.with_context(|| format!("cannot bind {address}"))?;
    eprintln!("hello-hyper: listening on http://{address}");
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // A failed accept (say, too many open files) drops that one connection only.
            Err(err) => {
                eprintln!("hello-hyper: accept failed: {err}");
                continue;
            }
        };
        tokio::spawn(async move {
            let service = service_fn(answer);
            // Clients closing mid-request are normal under load; there is nobody to tell.
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

async fn answer(
    _request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = Response::builder()
        .header("content-type", "application/json; charset=UTF-8")
        .body(Full::new(Bytes::from_static(BODY)))
        .expect("a static status and header always build a response");
    Ok(response)
}
