//! The logs of the workspace's examples (`examples/*.rs`), written by
//! running each example in a directory of its own.
//!
//! The example binaries are those `cargo test --workspace` builds; when
//! they are missing or older than the sources, they are built into
//! `target/interop-build` (the outer cargo holds the lock on our target
//! directory), as the interop tests do.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

#[path = "../../../tests/support/examples.rs"]
mod workspace_examples;

/// The names of the examples.
pub fn names() -> Vec<String> {
    workspace_examples::names()
}

/// Every example's logs, each example run once per test binary.
pub fn logs() -> &'static [(String, PathBuf)] {
    static LOGS: OnceLock<Vec<(String, PathBuf)>> = OnceLock::new();
    LOGS.get_or_init(run_all)
}

/// The log of one example (its first, when it writes several).
pub fn log(name: &str) -> &'static Path {
    logs()
        .iter()
        .find(|(example, _)| example == name)
        .map(|(_, log)| log.as_path())
        .unwrap_or_else(|| panic!("example {name} wrote no log"))
}

fn run_all() -> Vec<(String, PathBuf)> {
    let names = names();
    let binaries = workspace_examples::binaries(&names);
    let mut logs = Vec::new();
    for name in &names {
        let dir = super::scratch_dir(&format!("example-{name}"));
        let output = Command::new(binaries.join(name))
            .current_dir(&dir)
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap_or_else(|e| panic!("running example {name}: {e}"));
        assert!(
            output.status.success(),
            "example {name} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let mut written: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .collect();
        assert!(!written.is_empty(), "example {name} wrote no log");
        written.sort();
        logs.extend(written.into_iter().map(|log| (name.clone(), log)));
    }
    logs
}
