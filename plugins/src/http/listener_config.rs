//! `http:listener-config` with its `http:listener-connection`: one HTTP server per config.
//!
//! Listeners register their routes while the app starts ([`flowrun_engine::plugin::Source::register`]
//! runs before any configuration starts), then [`Global::start`] binds the socket and serves
//! the routes collected so far. [`Global::stop`] stops accepting, asks open connections to
//! close once their current request is answered, and waits for them.
//!
//! Clashes are found while the app loads, so that `flowrun validate` reports them: each
//! listener claims its path and methods on its config when it is built, and each config checks
//! the address of the configs built before it. Registration checks paths again at start.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use flowrun_engine::diag::{Diagnostic, Span};
use flowrun_engine::plugin::{
    AttrSpec, BuildContext, ChildSpec, Global, GlobalHandle, GlobalKind, Schema,
};
use flowrun_engine::xml::{Element, ns};
use futures::future::BoxFuture;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::http::listener::{self, ListenerTarget};
use crate::http::router::{self, Methods, PathPattern, Route, Router};

/// How long [`Global::stop`] waits for requests in flight before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

static CONNECTION_SCHEMA: Schema = Schema {
    attributes: &[
        AttrSpec::required("host"),
        AttrSpec::optional("port"),
        AttrSpec::optional("protocol"),
        // FIXME: these three are accepted so that apps exported from Anypoint load, but the
        // server keeps hyper's defaults (persistent connections, no idle or read timeout);
        // wire them to hyper's `keep_alive` and `header_read_timeout` when a flow needs them.
        AttrSpec::optional("usePersistentConnections"),
        AttrSpec::optional("connectionIdleTimeout"),
        AttrSpec::optional("readTimeout"),
    ],
    children: &[],
    text: false,
};

static CONFIG_SCHEMA: Schema = Schema {
    attributes: &[AttrSpec::required("name"), AttrSpec::optional("basePath")],
    children: &[ChildSpec {
        ns: ns::HTTP,
        name: "listener-connection",
        schema: &CONNECTION_SCHEMA,
        required: true,
    }],
    text: false,
};

/// The `http:listener-config` element kind.
pub(crate) struct HttpListenerConfigKind;

flowrun_engine::component!(
    HttpListenerConfigKind,
    ns::HTTP,
    "listener-config",
    "an HTTP server that `http:listener` sources receive requests from",
    &CONFIG_SCHEMA
);

impl GlobalKind for HttpListenerConfigKind {
    fn build(&self, element: &Element, cx: &mut BuildContext<'_>) -> Option<GlobalHandle> {
        let name = element.attr_value("name")?.to_owned();
        let base_path = normalize_base_path(element.attr_value("basePath").unwrap_or(""));
        let connection = element.child(ns::HTTP, "listener-connection")?;
        let host = connection.attr_value("host")?.to_owned();
        let port = listen_port(connection, cx)?;
        let port_span = connection.attr("port").map_or(connection.span, |attr| attr.value_span);
        let config = HttpListenerConfig {
            name,
            base_path,
            host,
            port,
            port_span,
            claimed_routes: Mutex::new(Router::default()),
            pending_routes: Mutex::new(Router::default()),
            running: tokio::sync::Mutex::new(None),
            local_addr: Mutex::new(None),
        };
        // The clash is reported here, but the config is still built, so that its listeners
        // do not report a missing config on top.
        report_address_clash(&config, cx);
        Some(GlobalHandle::new(config))
    }
}

/// Reports a config that listens on the address of one built before it: the second server
/// could not bind. Port 0 asks the system for a free port, so it never clashes.
fn report_address_clash(config: &HttpListenerConfig, cx: &mut BuildContext<'_>) {
    if config.port == 0 {
        return;
    }
    let earlier = cx.globals_of::<HttpListenerConfig>();
    let clash = earlier
        .iter()
        .find(|(_, other)| other.port == config.port && hosts_overlap(&other.host, &config.host));
    let Some((other_name, other)) = clash else { return };
    let diagnostic = Diagnostic::error(
        config.port_span,
        format!(
            "`{}` listens on {}:{}, which `{other_name}` already listens on; two \
             `http:listener-config`s cannot share an address",
            config.name, config.host, config.port
        ),
    )
    .with_note(format!(
        "give one of them another port, or put the listeners of both on `{other_name}`"
    ))
    .with_related(
        other.port_span,
        format!("`{other_name}` listens on {}:{} here", other.host, other.port),
    );
    cx.report(diagnostic);
}

/// True when binding both hosts on one port would fail: the same host, or a wildcard address
/// next to an address of the same family.
fn hosts_overlap(a: &str, b: &str) -> bool {
    let is_wildcard = |host: &str| host == "0.0.0.0";
    let is_ipv4 = |host: &str| host.parse::<std::net::Ipv4Addr>().is_ok() || host == "localhost";
    a.eq_ignore_ascii_case(b) || (is_wildcard(a) && is_ipv4(b)) || (is_wildcard(b) && is_ipv4(a))
}

/// Reads `protocol` and `port` of a listener connection; only plain HTTP is served so far.
fn listen_port(connection: &Element, cx: &mut BuildContext<'_>) -> Option<u16> {
    if let Some(protocol) = connection.attr("protocol")
        && !protocol.value.eq_ignore_ascii_case("HTTP")
    {
        let message = if protocol.value.eq_ignore_ascii_case("HTTPS") {
            "protocol `HTTPS` is not supported yet by `http:listener-connection`".to_owned()
        } else {
            format!("unknown protocol `{}`, expected `HTTP` or `HTTPS`", protocol.value)
        };
        cx.error(protocol.value_span, message);
        return None;
    }
    let Some(port) = connection.attr("port") else { return Some(80) };
    match port.value.trim().parse::<u16>() {
        Ok(number) => Some(number),
        Err(_) => {
            cx.error(
                port.value_span,
                format!("`{}` is not a port number (0 to 65535)", port.value),
            );
            None
        }
    }
}

/// `api/` → `/api`; empty and `/` → `` (so that joining never doubles a slash).
pub(crate) fn normalize_base_path(base_path: &str) -> String {
    let trimmed = base_path.trim().trim_matches('/');
    if trimmed.is_empty() { String::new() } else { format!("/{trimmed}") }
}

/// A built `http:listener-config`: its settings, the routes registered on it and, once
/// started, the running server.
pub struct HttpListenerConfig {
    name: String,
    base_path: String,
    host: String,
    port: u16,
    /// Where the port is set (the connection element when `port` is left out).
    port_span: Span,
    /// The routes that listeners claimed while the app was built, with where they did, so
    /// that a second listener on the same path is a load error that points at the first.
    claimed_routes: Mutex<Router<RouteClaim>>,
    /// Routes registered since the last start; the server takes them when it starts.
    pending_routes: Mutex<Router<ListenerTarget>>,
    running: tokio::sync::Mutex<Option<RunningServer>>,
    local_addr: Mutex<Option<SocketAddr>>,
}

/// Where a listener claimed a route: the `path` attribute and the flow.
#[derive(Clone, Debug, Default)]
pub(crate) struct RouteClaim {
    pub(crate) path_span: Span,
    pub(crate) flow_name: String,
}

struct RunningServer {
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// What every request handler of one server shares.
pub(crate) struct ServerShared {
    pub(crate) router: Router<ListenerTarget>,
    pub(crate) base_path: String,
}

impl HttpListenerConfig {
    /// The configuration's `name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The address the server is bound to, once started (the real port when `port="0"`).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        *self.local_addr.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The normalised base path: empty, or `/api` style.
    pub(crate) fn base_path(&self) -> &str {
        &self.base_path
    }

    /// Claims a route for a listener being built.
    ///
    /// # Errors
    ///
    /// The message and the first claim when another listener of this config has the same
    /// path and an overlapping method.
    pub(crate) fn claim_route(
        &self,
        pattern: &PathPattern,
        methods: &Methods,
        claim: RouteClaim,
    ) -> Result<(), (String, RouteClaim)> {
        let mut claimed = self.claimed_routes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(existing) = claimed.clash(pattern, methods) {
            let message = router::clash_message(pattern, methods, existing);
            return Err((format!("`{}`: {message}", self.name), existing.target.clone()));
        }
        let route = Route { pattern: pattern.clone(), methods: methods.clone(), target: claim };
        claimed.add(route).map_err(|message| (message, RouteClaim::default()))
    }

    /// Adds a listener's route.
    ///
    /// # Errors
    ///
    /// A message when another listener has the same path and an overlapping method.
    pub(crate) fn add_route(&self, route: Route<ListenerTarget>) -> Result<(), String> {
        self.pending_routes.lock().unwrap_or_else(PoisonError::into_inner).add(route)
    }

    async fn start_server(&self) -> Result<(), String> {
        let mut running = self.running.lock().await;
        if running.is_some() {
            return Ok(());
        }
        let listener = TcpListener::bind((self.host.as_str(), self.port)).await.map_err(|err| {
            let address = format!("{}:{}", self.host, self.port);
            if err.kind() == std::io::ErrorKind::AddrInUse {
                format!(
                    "cannot listen on {address}: {err}; another program (or another \
                         `http:listener-config`) is already listening on {address}"
                )
            } else {
                format!("cannot listen on {address}: {err}")
            }
        })?;
        let addr =
            listener.local_addr().map_err(|err| format!("cannot read the bound address: {err}"))?;
        *self.local_addr.lock().unwrap_or_else(PoisonError::into_inner) = Some(addr);
        tracing::info!(config = %self.name, "listening on http://{addr}");

        let router = std::mem::take(
            &mut *self.pending_routes.lock().unwrap_or_else(PoisonError::into_inner),
        );
        let shared = Arc::new(ServerShared { router, base_path: self.base_path.clone() });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, shared, shutdown_rx));
        *running = Some(RunningServer { shutdown, task });
        Ok(())
    }

    async fn stop_server(&self) {
        let Some(server) = self.running.lock().await.take() else { return };
        let _ = server.shutdown.send(true);
        if let Err(err) = server.task.await {
            tracing::warn!(config = %self.name, "the listener task ended abnormally: {err}");
        }
        *self.local_addr.lock().unwrap_or_else(PoisonError::into_inner) = None;
        tracing::info!(config = %self.name, "listener stopped");
    }
}

impl Global for HttpListenerConfig {
    fn start(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(self.start_server())
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.stop_server())
    }
}

/// Accepts connections until told to stop, then lets open connections finish.
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<ServerShared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let local = stream.local_addr().unwrap_or(remote);
                    let shared = shared.clone();
                    let service = service_fn(move |request| listener::serve(shared.clone(), remote, local, request));
                    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    let connection = graceful.watch(connection);
                    connections.spawn(async move {
                        if let Err(err) = connection.await {
                            tracing::debug!("connection from {remote} ended with an error: {err}");
                        }
                    });
                    // Forget connections that have closed, so the set stays small.
                    while connections.try_join_next().is_some() {}
                }
                Err(err) => {
                    // Running out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!("accepting a connection failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            "requests still running after {}s; closing their connections",
            SHUTDOWN_GRACE.as_secs()
        );
        connections.abort_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_are_normalised() {
        assert_eq!(normalize_base_path("api/"), "/api");
        assert_eq!(normalize_base_path("/api/v1"), "/api/v1");
        assert_eq!(normalize_base_path("/"), "");
        assert_eq!(normalize_base_path(""), "");
    }
}
