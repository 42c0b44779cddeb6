//! `startup`: how long `flowrun APP.xml` takes from being spawned to its HTTP listener
//! accepting TCP connections.
//!
//! Each run picks a free loopback port, spawns the `flowrun` binary with
//! `-Dmule.key=KEY -D<port-property>=PORT`, and tries to connect to `127.0.0.1:PORT` every
//! 100 µs until a connection succeeds; the time from just before the spawn to that connect is
//! the run's figure. The child is then killed. One warm-up run, not counted, fills the page
//! cache. The report gives min, median, p90 and max in milliseconds.
//!
//! A successful connect means the listener socket is bound and listening (the kernel completes
//! the handshake from its backlog); it does not wait for a flow to run, so the app's outbound
//! dependencies (Vault, Anypoint) need not be up.

use std::io::Read as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;

/// Measures flowrun's start-up time: spawn to first successful TCP connect.
#[derive(Parser)]
#[command(name = "startup")]
struct Config {
    /// The app to start.
    #[arg(long, default_value = "flows/rotate-ai-key.xml")]
    app: PathBuf,
    /// The flowrun binary; by default the `flowrun` next to this program.
    #[arg(long)]
    flowrun: Option<PathBuf>,
    /// How many measured runs.
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// The system property that sets the listener's port.
    #[arg(long, default_value = "admin.port")]
    port_property: String,
    /// The secure properties key, given as `-Dmule.key=...`.
    #[arg(long, default_value = "flowrun-demo-key")]
    key: String,
    /// Give up on a run after this many milliseconds.
    #[arg(long, default_value_t = 5000)]
    timeout_ms: u64,
}

/// The start-up target from the issue, in milliseconds.
const TARGET_MS: f64 = 50.0;

/// How long to sleep between connect attempts. Sleeping rather than spinning leaves the CPU to
/// the process being measured, which matters on a two-core machine.
const POLL_INTERVAL: Duration = Duration::from_micros(100);

fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    anyhow::ensure!(config.runs > 0, "--runs must be at least 1");
    let flowrun = match &config.flowrun {
        Some(path) => path.clone(),
        None => sibling_binary("flowrun")?,
    };
    println!(
        "startup: {} {}, {} runs (+1 warm-up)",
        flowrun.display(),
        config.app.display(),
        config.runs
    );

    measure_once(&config, &flowrun).context("warm-up run")?;
    let mut samples = Vec::with_capacity(config.runs);
    for run_idx in 0..config.runs {
        let sample = measure_once(&config, &flowrun).with_context(|| format!("run {run_idx}"))?;
        samples.push(sample);
    }

    report(&mut samples);
    Ok(())
}

/// The path of another binary built into the same target folder as this one.
fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let this = std::env::current_exe().context("cannot find this program's path")?;
    let path = this.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(path.is_file(), "`{}` not found: build it, or pass --flowrun", path.display());
    Ok(path)
}

/// One run: spawn, wait for the listener, kill. Returns the time to the first connect.
fn measure_once(config: &Config, flowrun: &Path) -> anyhow::Result<Duration> {
    let port = free_port()?;
    let started = Instant::now();
    let mut child = Command::new(flowrun)
        .arg(&config.app)
        .arg(format!("-Dmule.key={}", config.key))
        .arg(format!("-D{}={port}", config.port_property))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start `{}`", flowrun.display()))?;

    let timeout = Duration::from_millis(config.timeout_ms);
    let outcome = wait_for_listener(&mut child, port, started, timeout);

    // Killing an already exited child fails harmlessly; either way it is reaped below.
    let _ = child.kill();
    let _ = child.wait();
    outcome.with_context(|| format!("flowrun's stderr:\n{}", read_stderr(&mut child)))
}

/// Asks the OS for a loopback port that is free now. Another process could take it before
/// flowrun binds it; on a quiet benchmark machine that does not happen.
fn free_port() -> anyhow::Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot find a free port")?;
    Ok(listener.local_addr().context("cannot read the free port")?.port())
}

/// Polls `127.0.0.1:port` until a connection succeeds, the child exits, or `timeout` passes.
fn wait_for_listener(
    child: &mut Child,
    port: u16,
    started: Instant,
    timeout: Duration,
) -> anyhow::Result<Duration> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    loop {
        if TcpStream::connect(address).is_ok() {
            return Ok(started.elapsed());
        }
        if let Some(status) = child.try_wait().context("cannot poll flowrun")? {
            anyhow::bail!("flowrun exited before listening ({status})");
        }
        if started.elapsed() > timeout {
            anyhow::bail!("flowrun did not listen on port {port} within {timeout:?}");
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

fn read_stderr(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(stderr) = child.stderr.as_mut() {
        let _ = stderr.read_to_string(&mut text);
    }
    text
}

/// Prints min, median, p90 and max, and whether the median meets the target.
fn report(samples: &mut [Duration]) {
    samples.sort_unstable();
    let millis = |duration: Duration| duration.as_secs_f64() * 1000.0;
    let median = millis(percentile(samples, 50));
    println!(
        "startup: min {:.2} ms, median {median:.2} ms, p90 {:.2} ms, max {:.2} ms",
        millis(samples[0]),
        millis(percentile(samples, 90)),
        millis(samples[samples.len() - 1]),
    );
    let verdict = if median < TARGET_MS { "met" } else { "NOT met" };
    println!("startup: target median < {TARGET_MS} ms: {verdict}");
}

/// The nearest-rank percentile of sorted, non-empty samples.
fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    let rank = (sorted.len() * percent).div_ceil(100).max(1);
    sorted[rank - 1]
}
