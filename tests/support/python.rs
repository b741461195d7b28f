//! The real Python tools for the tests that need them: a virtualenv under
//! `target/interop-venv` with the pinned `eliot` and `eliot-tree`
//! (scripts/interop/requirements.txt), created on first use and reused, and
//! the log checker that runs them (scripts/interop/check_logs.py).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace's root, found from the crate whose tests include this file
/// (the workspace's own `tests/`, or a member crate's, such as eliot-tree's).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("scripts/interop/requirements.txt").is_file())
        .expect("the workspace holds scripts/interop/requirements.txt")
        .to_owned()
}

/// An empty `target/interop-runs/<name>` (what an earlier run left there is
/// removed): where a test's processes write the logs the tools then read.
pub fn fresh_run_dir(name: &str) -> PathBuf {
    let dir = workspace().join("target/interop-runs").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
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

/// The virtualenv's `bin` directory: its python and the pinned tools'
/// commands (`eliot-tree`, `eliot-prettyprint`).
pub fn venv_bin() -> PathBuf {
    let python = venv_python();
    python.parent().expect("bin/python has a parent").to_owned()
}

/// Runs scripts/interop/check_logs.py (eliot.parse and eliot-tree, from the
/// virtualenv) on `logs`: whether every check passed, and its report (one
/// line per file, then its problems) with anything it wrote to stderr.
pub fn run_check_logs<P: AsRef<Path>>(logs: &[P]) -> (bool, String) {
    let output = Command::new(venv_python())
        .arg(workspace().join("scripts/interop/check_logs.py"))
        .args(logs.iter().map(AsRef::as_ref))
        .output()
        .expect("running check_logs.py");
    let mut report = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stderr.trim().is_empty() {
        report.push_str(&stderr);
    }
    (output.status.success(), report)
}

/// Checks `logs` with the real Python tools (see [`run_check_logs`]) and
/// returns the report; panics with it if any check failed.
pub fn check_logs<P: AsRef<Path>>(logs: &[P]) -> String {
    let (passed, report) = run_check_logs(logs);
    assert!(passed, "the Python tools rejected the logs:\n{report}");
    report
}

/// What `program args` prints with `input` on its standard input; the
/// program must succeed (the panic names it, its arguments and its stderr).
pub fn stdout_with_input(program: &Path, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "{} {args:?} failed:\n{}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}
