//! Running the `flowrun` binary: once (`run_flowrun`) or as a server (`Server`).

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `flowrun` command with logging at INFO.
pub fn flowrun() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowrun"));
    command.env_remove("FLOWRUN_LOG").env("FLOWRUN_LOG", "info");
    command
}

/// Runs `flowrun` to completion in `dir`.
pub fn run_flowrun(dir: &Path, args: &[&str]) -> Output {
    flowrun().current_dir(dir).args(args).output().expect("run the flowrun binary")
}

/// Writes `app` as `bad.xml` in a fresh folder, runs `flowrun validate` on it, checks that
/// loading failed (exit 2) and returns what it printed on stderr.
pub fn validate_bad_app(tag: &str, app: &str) -> String {
    let dir = crate::support::openbao::TempDir::new(tag);
    let path = dir.0.join("bad.xml");
    std::fs::write(&path, app).expect("write the app");
    let output = run_flowrun(&crate::support::repo_root(), &["validate", &path.to_string_lossy()]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    stderr
}

/// Asserts that `stderr` has each of `lines`.
pub fn assert_has_lines(stderr: &str, lines: &[&str]) {
    for line in lines {
        assert!(stderr.contains(line), "missing `{line}` in:\n{stderr}");
    }
}

/// A `flowrun` process serving an app, stopped with SIGTERM when dropped.
pub struct Server {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `flowrun` with `args` in `dir` and waits until `port` accepts connections.
    ///
    /// # Panics
    ///
    /// When the process exits or the port does not open within 10 seconds; the message
    /// includes what the process logged.
    pub fn start(dir: &Path, args: &[&str], port: u16) -> Server {
        let mut server = Server::spawn(dir, args);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            server.check_alive(&format!("listening on {port}"));
            if Instant::now() > deadline {
                panic!("flowrun did not listen on {port} within 10 s:\n{}", server.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts `flowrun` with `args` in `dir` and waits until it logs `needle`, for apps
    /// that listen on no port (such as scheduled flows).
    ///
    /// # Panics
    ///
    /// When the process exits or `needle` does not appear within 10 seconds.
    pub fn start_until_log(dir: &Path, args: &[&str], needle: &str) -> Server {
        let mut server = Server::spawn(dir, args);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if server.log().contains(needle) {
                return server;
            }
            server.check_alive(&format!("logging `{needle}`"));
            if Instant::now() > deadline {
                panic!("flowrun did not log `{needle}` within 10 s:\n{}", server.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn check_alive(&mut self, waiting_for: &str) {
        if let Ok(Some(status)) = self.child.try_wait() {
            std::thread::sleep(Duration::from_millis(100));
            panic!("flowrun exited with {status} before {waiting_for}:\n{}", self.log());
        }
    }

    fn spawn(dir: &Path, args: &[&str]) -> Server {
        let mut child = flowrun()
            .current_dir(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn flowrun");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().expect("log lock");
                log.push_str(&line);
                log.push('\n');
            }
        });
        Server { child, log }
    }

    /// Everything the process logged so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log lock").clone()
    }

    /// Waits until the log contains `needle` (log lines are written asynchronously).
    pub fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = self.log();
            if log.contains(needle) || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and waits for the exit; returns the exit code.
    pub fn stop(&mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
