//! Placeholder.
use std::io::Write;
/// Placeholder.
pub fn run(_args: &[String], _stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let _ = writeln!(stderr, "not yet");
    1
}
