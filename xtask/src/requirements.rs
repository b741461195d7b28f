//! What the test suite needs from the machine beyond the Rust toolchain, and
//! how to tell whether it is there.
//!
//! Each requirement names the tests that need it and the Debian packages that
//! provide it, so that a missing one can be installed, or named exactly in
//! the message to whoever runs the tests.

use std::path::Path;
use std::process::{Command, Stdio};

/// One thing the tests need from the machine.
pub(crate) struct Requirement {
    /// What it is, as a person would say it.
    pub(crate) what: &'static str,
    /// The tests that cannot run without it.
    pub(crate) needed_by: &'static str,
    /// The Debian packages that provide it.
    pub(crate) debian_packages: &'static [&'static str],
    /// Whether the machine has it now.
    pub(crate) is_present: fn() -> bool,
}

/// Everything `cargo test --workspace` needs, in the order it is checked.
pub(crate) const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        what: "python3",
        needed_by: "the interop tests (the pinned Python eliot and eliot-tree judge our logs)",
        debian_packages: &["python3"],
        is_present: || runs("python3", &["--version"]),
    },
    Requirement {
        what: "python3's venv and ensurepip modules",
        needed_by: "the interop tests, which install the pinned Python tools into target/interop-venv",
        debian_packages: &["python3-venv"],
        is_present: || runs("python3", &["-c", "import venv, ensurepip"]),
    },
    Requirement {
        what: "rsyslogd",
        needed_by: "tests/rsyslog_e2e.rs, which runs its own rsyslogd instances",
        debian_packages: &["rsyslog"],
        is_present: || {
            ["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"]
                .iter()
                .any(|dir| Path::new(dir).join("rsyslogd").exists())
        },
    },
    Requirement {
        what: "rsyslog's RELP modules (imrelp, omrelp)",
        needed_by: "tests/rsyslog_e2e.rs, which checks lossless forwarding over RELP",
        debian_packages: &["rsyslog-relp"],
        is_present: || rsyslog_module_exists("imrelp.so") && rsyslog_module_exists("omrelp.so"),
    },
    Requirement {
        what: "Chromium and ChromeDriver",
        needed_by: "eliot-tree's browser tests, which open `eliot-tree --html` reports in headless Chromium",
        debian_packages: &["chromium", "chromium-driver"],
        is_present: || {
            Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists()
        },
    },
];

/// Whether `program args` starts and exits successfully.
fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether an rsyslog plugin is installed where Debian (any architecture) or
/// a distribution without multiarch directories puts it.
fn rsyslog_module_exists(file: &str) -> bool {
    let flat = ["/usr/lib/rsyslog", "/usr/lib64/rsyslog"]
        .iter()
        .any(|dir| Path::new(dir).join(file).exists());
    let multiarch = std::fs::read_dir("/usr/lib").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.path().join("rsyslog").join(file).exists())
    });
    flat || multiarch
}
