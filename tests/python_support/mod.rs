//! The real Python tools for the tests that need them: a virtualenv under
//! `target/interop-venv` with the pinned `eliot` and `eliot-tree`
//! (scripts/interop/requirements.txt), created on first use and reused.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::Command;

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv's python, with the pinned tools installed. Test binaries
/// may run at once (cargo nextest), so the set-up holds a file lock.
pub fn venv_python() -> PathBuf {
    let target = workspace().join("target");
    std::fs::create_dir_all(&target).unwrap();
    let lock = std::fs::File::create(target.join("interop-venv.lock")).unwrap();
    lock.lock().unwrap();

    let venv = target.join("interop-venv");
    let python = venv.join("bin/python");
    let requirements = workspace().join("scripts/interop/requirements.txt");
    let stamp = venv.join("requirements.installed");
    let wanted = std::fs::read_to_string(&requirements).unwrap();
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) && python.exists() {
        return python;
    }
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 is needed for the interop checks");
    assert!(
        status.success(),
        "python3 -m venv {} failed",
        venv.display()
    );
    let output = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "installing the pinned Python tools failed (is PyPI reachable?):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(&stamp, wanted).unwrap();
    python
}
