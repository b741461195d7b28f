//! The workspace's examples as test subjects: their names, and binaries
//! built from the current sources. Shared by the interop tests and
//! eliot-tree's browser tests (included there by path).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// The workspace root, from the root package or from eliot-tree.
fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = manifest.ancestors();
    let found = dirs.find(|dir| dir.join("examples").is_dir() && dir.join("xtask").is_dir());
    found
        .expect("the workspace holds examples/ and xtask/")
        .to_owned()
}

/// The examples' names: `examples/<name>.rs` and `examples/<name>/main.rs`.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .filter_map(|entry| {
            let path = entry.unwrap().path();
            match path.extension() {
                Some(ext) if ext == "rs" => Some(path.file_stem()?.to_str()?.to_owned()),
                None if path.join("main.rs").exists() => {
                    Some(path.file_name()?.to_str()?.to_owned())
                }
                _ => None,
            }
        })
        .collect();
    names.sort();
    names
}

/// The directory holding binaries of `names` no older than the sources:
/// those `cargo test` built beside this test when they are fresh, else
/// built into `target/interop-build` (the outer cargo holds the lock on
/// our target directory).
pub fn binaries(names: &[String]) -> PathBuf {
    // A test runs from <target>/<profile>/deps/; cargo test puts examples
    // in <target>/<profile>/examples/.
    let exe = std::env::current_exe().unwrap();
    let built = exe.parent().unwrap().parent().unwrap().join("examples");
    let mut newest = SystemTime::UNIX_EPOCH;
    newest_source(&root(), &mut newest);
    let fresh = names.iter().all(|name| {
        std::fs::metadata(built.join(name))
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified >= newest)
    });
    if fresh {
        return built;
    }
    let target = root().join("target/interop-build");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--examples", "--target-dir"])
        .arg(&target)
        .current_dir(root())
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
