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
use std::time::SystemTime;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The names of the examples.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace().join("examples"))
        .unwrap()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    names
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
    let binaries = binaries(&names);
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

/// The directory of up-to-date example binaries.
fn binaries(names: &[String]) -> PathBuf {
    // This test runs from <target>/<profile>/deps/.
    let exe = std::env::current_exe().unwrap();
    let built = exe.parent().unwrap().parent().unwrap().join("examples");
    let mut newest = SystemTime::UNIX_EPOCH;
    newest_source(&workspace(), &mut newest);
    let fresh = names.iter().all(|name| {
        std::fs::metadata(built.join(name))
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified >= newest)
    });
    if fresh {
        return built;
    }
    let target = workspace().join("target/interop-build");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--examples", "--target-dir"])
        .arg(&target)
        .current_dir(workspace())
        .status()
        .unwrap();
    assert!(status.success(), "building the examples failed");
    target.join("debug/examples")
}

fn newest_source(dir: &Path, newest: &mut SystemTime) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            newest_source(&path, newest);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "toml") {
            *newest = (*newest).max(entry.metadata().unwrap().modified().unwrap());
        }
    }
}
