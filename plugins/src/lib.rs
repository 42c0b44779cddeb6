//! The built-in steps and connectors of flowrun.
