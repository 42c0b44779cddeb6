//! Source hygiene that rustfmt and clippy do not check: every Rust file opens with a `//!`
//! module doc, and known shortcomings are marked `FIXME:` with an explanation, never a bare
//! to-do marker.

use std::path::{Path, PathBuf};

use crate::support::repo_root;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn all_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["engine", "plugins", "tests", "bench"] {
        rust_files(&repo_root().join(dir), &mut files);
    }
    assert!(files.len() > 10, "found only {} Rust files", files.len());
    files
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let missing: Vec<String> = all_sources()
        .into_iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            !first.starts_with("//!")
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a `//!` module doc:\n{}", missing.join("\n"));
}

#[test]
fn shortcomings_are_marked_fixme_with_a_reason() {
    let marker = ["TO", "DO"].concat();
    let fixme = ["FIX", "ME"].concat();
    let mut bad = Vec::new();
    for path in all_sources() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (idx, line) in text.lines().enumerate() {
            let bare_fixme =
                line.trim_end().ends_with(&fixme) || line.contains(&format!("{fixme}()"));
            if line.contains(&marker) || bare_fixme {
                bad.push(format!("{}:{}: {}", path.display(), idx + 1, line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "use `FIXME: what is wrong and what the fix would be`:\n{}",
        bad.join("\n")
    );
}
