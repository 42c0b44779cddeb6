//! A test double of the Anypoint Secrets Manager shared-secrets endpoint, which cannot run
//! here. It records every request and answers a PUT the way the real API does: 200 with a JSON
//! description of the shared secret, without its value.

use std::sync::{Arc, Mutex};

/// One request the double received.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub url: String,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl Recorded {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// The running double; stops when dropped.
pub struct Anypoint {
    /// The port it listens on.
    pub port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
    server: Arc<tiny_http::Server>,
}

impl Anypoint {
    /// Starts the double on a free loopback port.
    pub fn start() -> Anypoint {
        let server =
            Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind the Anypoint double"));
        let port = server.server_addr().to_ip().expect("ip address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (srv, sink) = (server.clone(), requests.clone());
        std::thread::spawn(move || {
            for mut request in srv.incoming_requests() {
                let mut body = String::new();
                let _ = request.as_reader().read_to_string(&mut body);
                let recorded = Recorded {
                    method: request.method().to_string(),
                    url: request.url().to_owned(),
                    headers: request
                        .headers()
                        .iter()
                        .map(|h| {
                            (
                                h.field.as_str().as_str().to_ascii_lowercase(),
                                h.value.as_str().to_owned(),
                            )
                        })
                        .collect(),
                    body: body.clone(),
                };
                sink.lock().expect("requests lock").push(recorded);
                let name = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("name").cloned())
                    .unwrap_or(serde_json::Value::Null);
                let answer = serde_json::json!({"name": name, "type": "symmetricKey", "expirationDate": null});
                let header = tiny_http::Header::from_bytes("Content-Type", "application/json")
                    .expect("valid header");
                let response =
                    tiny_http::Response::from_string(answer.to_string()).with_header(header);
                let _ = request.respond(response);
            }
        });
        Anypoint { port, requests, server }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests lock").clone()
    }
}

impl Drop for Anypoint {
    fn drop(&mut self) {
        self.server.unblock();
    }
}
