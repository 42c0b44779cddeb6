//! The built-in steps and connectors of flowrun.

pub mod secure_properties;
