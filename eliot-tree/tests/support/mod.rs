//! Running the `eliot-tree` binary in tests.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What one run of the command did.
#[derive(Debug)]
pub struct Run {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `eliot-tree` with `args`, feeding `stdin` if given.
pub fn eliot_tree(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eliot-tree"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the eliot-tree binary runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_owned();
        // Written from a thread so that a large input cannot deadlock
        // against a full stdout pipe.
        std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
    }
    let output = child.wait_with_output().unwrap();
    Run {
        status: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("the output is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("errors are UTF-8"),
    }
}

/// Asserts that the run failed with status 1 and reported `report`.
pub fn assert_reported(run: &Run, report: &str) {
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains(report), "{}", run.stderr);
}

/// Asserts that `text` holds no character that could drive the terminal:
/// C0 and C1 controls and DEL (a newline aside), and the bidirectional
/// overrides and isolates that reorder a line.
pub fn assert_harmless(text: &str) {
    let dangerous = |c: char| {
        (c.is_control() && c != '\n')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    assert!(
        !text.chars().any(dangerous),
        "a control character got through: {text:?}"
    );
}

/// A file of the reference logs written by Python's Eliot.
pub fn reference_log(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/reference-logs"
    ))
    .join(name)
}

/// The names (without extension) of the reference logs.
pub fn reference_logs() -> Vec<String> {
    let dir = reference_log("");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the reference logs are in {}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".tree.txt")?.to_owned())
        })
        .collect();
    names.sort();
    assert!(
        names.len() >= 3,
        "reference logs missing from {}",
        dir.display()
    );
    names
}

/// Writes `content` to a file of this test binary's own directory under
/// `target/tmp`: names are fixed, so each run overwrites the last one's files
/// instead of leaving a directory per run in the system's temp directory.
pub fn scratch_file(name: &str, content: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(env!("CARGO_CRATE_NAME"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// The output split into one block per task.
pub fn task_blocks(output: &str) -> Vec<String> {
    output
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| format!("{}\n", block.trim_start_matches('\n')))
        .collect()
}
