//! Shared test helpers: running the binary, a real OpenBao dev server, and a test double for
//! the Anypoint Secrets Manager API (the one service that cannot run here).

pub mod anypoint;
pub mod openbao;
pub mod process;

use std::net::TcpListener;
use std::path::PathBuf;

/// The repository root, where `flows/` lives.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}
