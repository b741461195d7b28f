//! The attribute macros find the library from the user's `Cargo.toml`, in
//! every shape a crate can depend on eliot-rs: the facade, the facade
//! renamed, `eliot-core` with `eliot-macros`, `eliot-core` renamed, and a
//! re-export reached with `crate = path`. A crate with `eliot-macros` alone
//! gets an error that says what to add.
//!
//! Each shape is a crate of the workspace in
//! `tests/fixtures/dependency_shapes`, checked by the real `cargo` (with
//! its tests, so `#[capture_logging]` expands too), offline, into a target
//! directory of its own.
//!
//! The fixture's lock file is not kept in git: each run starts it from this
//! workspace's `Cargo.lock`, so the fixture builds with exactly the versions
//! the workspace locked, and a dependency added to the library never leaves
//! a stale fixture lock behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The crates that must compile, one per dependency shape.
const WORKING_SHAPES: &[&str] = &[
    "facade",
    "facade_renamed",
    "core_and_macros",
    "core_renamed",
    "reexported",
];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dependency_shapes")
}

/// Starts the fixture's lock file from the workspace's, once per run.
fn seed_lock_file() {
    static SEEDED: OnceLock<()> = OnceLock::new();
    SEEDED.get_or_init(|| {
        let workspace_lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
        std::fs::copy(&workspace_lock, fixture().join("Cargo.lock"))
            .expect("the workspace's Cargo.lock is copied into the fixture");
    });
}

/// Marks a shape's source as changed, so that cargo checks it anew: a shape
/// left fresh by an earlier run would be skipped, and its diagnostics (or
/// its "Checking" line) not printed.
fn touch_shape(package: &str) {
    let source = fixture().join(package).join("src/lib.rs");
    std::fs::File::options()
        .append(true)
        .open(&source)
        .and_then(|file| file.set_modified(std::time::SystemTime::now()))
        .unwrap_or_else(|error| panic!("touch {}: {error}", source.display()));
}

fn cargo_check(packages: &[&str]) -> Output {
    seed_lock_file();
    packages.iter().for_each(|package| touch_shape(package));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(fixture())
        // Offline: every crate the fixture needs is one the workspace locked,
        // already downloaded for this build.
        .args(["check", "--offline", "--all-targets"])
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("dependency-shapes"),
        )
        // The outer build's flags are for this workspace, not the fixture's.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    for package in packages {
        command.args(["--package", package]);
    }
    command.output().expect("cargo runs")
}

#[test]
fn every_dependency_shape_compiles_without_a_crate_argument_where_the_manifest_says_it() {
    let output = cargo_check(WORKING_SHAPES);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "cargo check failed:\n{stderr}");
    for shape in WORKING_SHAPES {
        assert!(
            stderr.contains(&format!("Checking {shape} v0.0.0")),
            "{shape} was not checked:\n{stderr}"
        );
    }
}

#[test]
fn eliot_macros_alone_is_told_what_to_add() {
    let output = cargo_check(&["macros_only"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "macros_only compiled:\n{stderr}");
    assert!(
        stderr.contains(
            "`#[inline_actions]` generates code that calls the eliot library, and this \
             crate's Cargo.toml depends on neither `eliot` nor `eliot-core`: add \
             `eliot = \"0.1\"` to its [dependencies]"
        ),
        "{stderr}"
    );
    // The error points at the attribute, and is the only one: the item is
    // kept as written, without a cascade of errors about it.
    assert!(stderr.contains("src/lib.rs:7:1"), "{stderr}");
    assert!(!stderr.contains("error["), "{stderr}");
}
