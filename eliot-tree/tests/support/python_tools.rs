//! The pinned Python tools (scripts/interop/requirements.txt) in the
//! workspace's `target/interop-venv`, made on first use as the workspace's
//! interop tests make it (same place, same stamp, same lock).

use std::path::PathBuf;
use std::process::Command;

/// The virtualenv's `bin` directory, with the pinned tools installed.
pub(crate) fn venv_bin() -> PathBuf {
    let workspace = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let target = workspace.join("target");
    std::fs::create_dir_all(&target).unwrap();
    let lock = std::fs::File::create(target.join("interop-venv.lock")).unwrap();
    lock.lock().unwrap();
    let venv = target.join("interop-venv");
    let requirements = workspace.join("scripts/interop/requirements.txt");
    let stamp = venv.join("requirements.installed");
    let wanted = std::fs::read_to_string(&requirements).unwrap();
    let python = venv.join("bin/python");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) || !python.exists()
    {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status();
        assert!(
            made.expect("python3 is needed").success(),
            "python3 -m venv failed"
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
    }
    venv.join("bin")
}
