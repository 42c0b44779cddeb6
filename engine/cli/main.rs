//! The `flowrun` command line.

fn main() {}
