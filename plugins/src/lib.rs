//! The built-in steps and connectors of flowrun: core (`set-variable`, `set-payload`,
//! `logger`), HTTP (`http:listener`, `http:request` and their configurations), secure
//! properties, and AI connector configuration.
//!
//! Each module exposes a `register` function that adds its element kinds to a
//! [`Registry`]; [`registry`] builds the registry with all of them.

#![warn(missing_docs)]

pub mod http;

use flowrun_engine::plugin::Registry;

/// A registry with every built-in element kind.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    http::register(&mut registry);
    registry
}
