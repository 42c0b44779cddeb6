//! The built-in steps and connectors of flowrun: core (`set-variable`, `set-payload`,
//! `logger`, the `scheduler` source), HTTP (`http:listener`, `http:request` and their configurations), secure
//! properties, AI connector configuration, and `ee:transform` (DataWeave scripts).
//!
//! Each module exposes a `register` function that adds its element kinds to a
//! [`Registry`]; [`registry`] builds the registry with all of them.

#![warn(missing_docs)]

use flowrun_engine::plugin::Registry;

pub mod ai;
pub mod core;
pub mod http;
pub mod scheduler;
pub mod secure_properties;
pub mod transform;

/// A registry with every built-in element kind.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    core::register(&mut registry);
    http::register(&mut registry);
    scheduler::register(&mut registry);
    ai::register(&mut registry);
    secure_properties::register(&mut registry);
    transform::register(&mut registry);
    registry
}
