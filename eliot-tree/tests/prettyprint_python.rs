//! `eliot-prettyprint` writes what the pinned Python `eliot-prettyprint`
//! (Eliot 1.18) writes, byte for byte, in both layouts: on the reference
//! logs written by Python's Eliot, and on thousands of random messages
//! (seeded) full of what is hard to print: quotes, control characters,
//! escapes, non-BMP characters, lone surrogates in values, huge integers,
//! floats on rounding ties, nested values, long strings.

// The workspace's tests make the same virtualenv: one copy of the set-up.
#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/support/python.rs"]
mod python;
mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs a command with `input` on stdin; its stdout.
fn run(program: &Path, args: &[&str], input: &[u8]) -> Vec<u8> {
    python::stdout_with_input(program, args, input)
}

fn assert_same_as_python(name: &str, log: &[u8]) {
    let python = python::venv_bin().join("eliot-prettyprint");
    let ours = Path::new(env!("CARGO_BIN_EXE_eliot-prettyprint"));
    for args in [&[][..], &["-c"][..], &["--compact"][..]] {
        let want = run(&python, args, log);
        let got = run(ours, args, log);
        assert!(!want.is_empty(), "{name}: Python printed nothing");
        if got != want {
            let at = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
            let from = at.saturating_sub(200);
            panic!(
                "{name} {args:?}: differs from Python at byte {at}:\nours:   {:?}\npython: {:?}",
                String::from_utf8_lossy(&got[from..(at + 200).min(got.len())]),
                String::from_utf8_lossy(&want[from..(at + 200).min(want.len())]),
            );
        }
    }
}

#[test]
fn reference_logs_print_exactly_as_python_prints_them() {
    for name in support::reference_logs() {
        let log = std::fs::read(support::reference_log(&format!("{name}.log"))).unwrap();
        assert_same_as_python(&name, &log);
    }
}

#[test]
fn random_messages_print_exactly_as_python_prints_them() {
    let python = python::venv_bin().join("python");
    let generator = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/random_messages.py"
    );
    for seed in ["1", "2", "3"] {
        let log = run(&python, &[generator, seed, "1500"], b"");
        assert_eq!(log.iter().filter(|&&b| b == b'\n').count(), 1500);
        assert_same_as_python(&format!("random seed {seed}"), &log);
    }
}

/// Runs `program` with `TZ` set; its stdout.
fn run_in_zone(program: &Path, zone: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new(program)
        .args(args)
        .env("TZ", zone)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn local_time_zones_are_python_s_in_both_commands() {
    let bin = python::venv_bin();
    let tree = Path::new(env!("CARGO_BIN_EXE_eliot-tree"));
    let prettyprint = Path::new(env!("CARGO_BIN_EXE_eliot-prettyprint"));
    for name in support::reference_logs() {
        let path = support::reference_log(&format!("{name}.log"));
        let log = std::fs::read(&path).unwrap();
        let path = path.to_str().unwrap();
        let mut seen = Vec::new();
        for zone in ["UTC", "America/New_York", "Asia/Kolkata"] {
            let args = ["--local-timezone", "--color", "never", path];
            let want = run_in_zone(&bin.join("eliot-tree"), zone, &args);
            assert_eq!(
                run_in_zone(tree, zone, &args),
                want,
                "eliot-tree {name} in {zone}"
            );
            seen.push(want);
            for args in [&["-l"][..], &["-l", "-c"][..]] {
                let python = Command::new(bin.join("eliot-prettyprint"))
                    .args(args)
                    .env("TZ", zone)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                python.stdin.as_ref().unwrap().write_all(&log).unwrap();
                let want = python.wait_with_output().unwrap().stdout;
                let ours = Command::new(prettyprint)
                    .args(args)
                    .arg(path)
                    .env("TZ", zone)
                    .output()
                    .unwrap()
                    .stdout;
                assert_eq!(ours, want, "eliot-prettyprint {args:?} {name} in {zone}");
            }
        }
        // The zones really change what is shown.
        assert_ne!(seen[0], seen[1]);
        assert_ne!(seen[1], seen[2]);
    }
}
