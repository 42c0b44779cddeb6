//! Secure configuration properties (placeholder until the crypto lands).
pub mod tool;
