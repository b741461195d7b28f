//! The repository's own commands, run as `cargo xtask <command>`.
//!
//! - `cargo xtask test [ARGS...]`: checks that the machine has what the test
//!   suite needs (Python's venv for the interop tests, rsyslog for the
//!   syslog end-to-end test, ...), installs what is missing with Debian's
//!   `apt-get` when it can (as root, or through password-less `sudo`), says
//!   exactly what to install when it cannot, and then runs
//!   `cargo test --workspace ARGS...`.
//! - `cargo xtask setup`: only the check and the installation.
//!
//! Plain `cargo test --workspace` keeps working on a machine that already has
//! the packages.

use std::process::ExitCode;

mod install;
mod requirements;

use install::Installer;
use requirements::{REQUIREMENTS, Requirement};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test [ARGS...]   install what the tests need, then run `cargo test --workspace ARGS...`
  setup            only install what the tests need
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("test") => {
            if let Err(message) = setup() {
                eprintln!("{message}");
                return ExitCode::FAILURE;
            }
            run_tests(args.collect())
        }
        Some("setup") => match setup() {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("{message}");
                ExitCode::FAILURE
            }
        },
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => {
            if let Some(command) = other {
                eprintln!("xtask: unknown command `{command}`");
            }
            eprint!("{USAGE}");
            ExitCode::FAILURE
        }
    }
}

/// Makes sure every requirement is met, installing what is missing when it
/// can; the error says what is still missing and how to install it.
fn setup() -> Result<(), String> {
    let missing: Vec<&Requirement> = REQUIREMENTS.iter().filter(|r| !(r.is_present)()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages = packages_of(&missing);
    for requirement in &missing {
        eprintln!(
            "xtask: missing {} (needed by {}; Debian package: {})",
            requirement.what,
            requirement.needed_by,
            requirement.debian_packages.join(", ")
        );
    }
    let installer = Installer::detect();
    let result = match &installer {
        Installer::Unavailable(reason) => Err(format!("cannot install: {reason}")),
        Installer::AptGet { .. } => installer.install(&packages),
    };
    let still_missing: Vec<&Requirement> =
        missing.into_iter().filter(|r| !(r.is_present)()).collect();
    if still_missing.is_empty() {
        return Ok(());
    }
    let why = result
        .err()
        .unwrap_or_else(|| "installed, but still not found".to_owned());
    Err(format!(
        "xtask: the tests cannot run: {why}.\n\
         Install what is missing, then run `cargo xtask test` again:\n\
         \n    sudo apt-get install -y {}\n",
        packages_of(&still_missing).join(" ")
    ))
}

/// The Debian packages that provide `requirements`, each named once.
fn packages_of<'a>(requirements: &[&'a Requirement]) -> Vec<&'a str> {
    let mut packages: Vec<&str> = Vec::new();
    for package in requirements.iter().flat_map(|r| r.debian_packages) {
        if !packages.contains(package) {
            packages.push(package);
        }
    }
    packages
}

/// `cargo test --workspace` with the caller's extra arguments; its exit code
/// is ours.
fn run_tests(extra: Vec<String>) -> ExitCode {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace");
    let status = std::process::Command::new(cargo)
        .current_dir(workspace)
        .args(["test", "--workspace"])
        .args(extra)
        .status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => ExitCode::from(u8::try_from(status.code().unwrap_or(1)).unwrap_or(1)),
        Err(error) => {
            eprintln!("xtask: could not run cargo: {error}");
            ExitCode::FAILURE
        }
    }
}
