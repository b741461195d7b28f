//! A process killed with SIGKILL in the middle of writing leaves whole
//! lines, except possibly the very last one.
//!
//! The test re-executes its own binary as the child (selected by an
//! environment variable); the child logs large lines flat out through a
//! ThreadedWriter into a rotating file until it is killed.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::writer::{files_oldest_first, fresh_dir};
use eliot::{FileDestination, RotatingFile, ThreadedWriter, log_message};

const CHILD_ENV: &str = "ELIOT_WRITER_CRASH_CHILD";

/// The child: never returns; killed by the parent.
fn child(path: &Path) -> ! {
    let file = RotatingFile::builder()
        .max_bytes(2 * 1024 * 1024)
        .keep(1000)
        .open(path)
        .unwrap();
    let writer = ThreadedWriter::new(FileDestination::new(file));
    writer.start().unwrap();
    let payload = "x".repeat(3000);
    for seq in 0u64.. {
        log_message!("test:crash", seq = seq, payload = payload);
    }
    unreachable!("the child logs until it is killed")
}

#[test]
fn sigkill_mid_write_leaves_whole_lines_except_possibly_the_last() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(Path::new(&path));
    }
    let dir = fresh_dir("writer-crash");
    let path = dir.join("crash.log");

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigkill_mid_write_leaves_whole_lines_except_possibly_the_last",
            "--nocapture",
        ])
        .env(CHILD_ENV, &path)
        .spawn()
        .unwrap();
    // Let it write a few files' worth, then kill it mid-flight.
    let started = Instant::now();
    while !Path::new(&format!("{}.2", path.display())).exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the child wrote nothing"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child exited on its own"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(37));
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());

    let files = files_oldest_first(&path);
    assert!(files.len() >= 3);
    let mut next_seq = 0u64;
    for (i, file) in files.iter().enumerate() {
        let bytes = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let last_file = i + 1 == files.len();
        let mut pieces: Vec<&str> = text.split('\n').collect();
        // After the final '\n': empty, or the one partial line of the kill.
        let tail = pieces.pop().unwrap();
        assert!(
            tail.is_empty() || last_file,
            "{}: a partial line before the end",
            file.display()
        );
        for (n, line) in pieces.iter().enumerate() {
            let message: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{} line {}: not whole ({e})", file.display(), n + 1));
            assert_eq!(
                message["seq"],
                next_seq,
                "{} line {}",
                file.display(),
                n + 1
            );
            next_seq += 1;
        }
    }
    assert!(next_seq > 1000, "only {next_seq} lines");
    let _ = std::fs::remove_dir_all(&dir);
}
