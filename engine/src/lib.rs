//! The flowrun engine: loads Mule 4 apps written in XML and runs their flows.
//!
//! Loading goes through a fixed pipeline:
//! 1. [`xml`] reads each file into elements with namespaces resolved and positions kept;
//! 2. [`props`] replaces `${...}` placeholders from system properties, the environment,
//!    property files and global properties;
//! 3. the loader checks every element against the schema its [`plugin`] kind declares,
//!    compiles every [`expr`]ession, and builds the flow model;
//! 4. the [`runtime`] starts each flow's source and runs events through its steps.
//!
//! Steps and connectors are plugins: the engine knows only the step interface in
//! [`plugin`], and the `flowrun-plugins` crate supplies core, HTTP, secure properties and AI.

#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod diag;
pub mod event;
pub mod expr;
pub mod model;
pub mod plugin;
pub mod props;
pub mod runtime;
pub mod secret;
pub mod value;
pub mod xml;
