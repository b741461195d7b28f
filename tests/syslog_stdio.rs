//! The other way logs leave a container: JSON lines on stdout (or stderr)
//! for the node's log agent. Every line must be whole: Eliot's lines never
//! interleave with each other nor with the program's own `println!`s, even
//! from many threads at once behind a `ThreadedWriter`.
//!
//! The test re-executes itself as the logging process (environment variable
//! `ELIOT_STDIO_CHILD`) and reads its stdout and stderr.

use std::process::Command;
use std::thread;

use eliot::{StdioDestination, ThreadedWriter, log_message, start_task};

const THREADS: u64 = 4;
const PER_THREAD: u64 = 500;

/// In the child: Eliot lines behind a ThreadedWriter on stdout, `println!`
/// lines from the same threads, and one Eliot line straight to stderr.
fn child(stream: &str) {
    // The harness has written "test <name> ... " without a newline.
    println!();
    let destination = match stream {
        "stderr" => StdioDestination::stderr(),
        _ => StdioDestination::stdout(),
    };
    let writer = ThreadedWriter::new(destination);
    writer.start().unwrap();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            thread::spawn(move || {
                for n in 0..PER_THREAD {
                    let _task = start_task!("stdio:task", thread = t, n = n, text = "ü \" \\n");
                    println!("plain line {t} {n} {}", "-".repeat((n % 50) as usize));
                    log_message!("stdio:note", pad = "x".repeat((n * 37 % 3000) as usize));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let report = writer.stop().unwrap();
    assert_eq!(report.failed, 0);
}

fn run_child(stream: &str) -> (String, String) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "whole_json_lines_on_stdout_and_stderr",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ELIOT_STDIO_CHILD", stream)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Counts the Eliot lines in `text`, checking every line is whole: an
/// Eliot JSON object, one of the child's `println!` lines, or the test
/// harness's own output.
fn eliot_lines(text: &str) -> (u64, u64) {
    let (mut eliot, mut plain) = (0, 0);
    for line in text.lines() {
        if line.starts_with('{') {
            let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("a broken Eliot line ({e}): {line:?}"));
            assert!(fields.contains_key("task_uuid"), "{line}");
            eliot += 1;
        } else if let Some(rest) = line.strip_prefix("plain line ") {
            let parts: Vec<&str> = rest.split(' ').collect();
            assert_eq!(parts.len(), 3, "a broken plain line: {line:?}");
            let n: u64 = parts[1].parse().unwrap();
            assert_eq!(parts[2], "-".repeat((n % 50) as usize), "{line:?}");
            plain += 1;
        } else {
            assert!(
                line.is_empty()
                    || line == "ok"
                    || line.starts_with("running ")
                    || line.starts_with("test "),
                "a line that is neither Eliot's nor the program's: {line:?}"
            );
        }
    }
    (eliot, plain)
}

#[test]
fn whole_json_lines_on_stdout_and_stderr() {
    if let Ok(stream) = std::env::var("ELIOT_STDIO_CHILD") {
        child(&stream);
        return;
    }
    // Per task: start, note, end.
    let expected = THREADS * PER_THREAD * 3;

    let (stdout, stderr) = run_child("stdout");
    assert_eq!(eliot_lines(&stdout), (expected, THREADS * PER_THREAD));
    assert_eq!(eliot_lines(&stderr).0, 0);

    let (stdout, stderr) = run_child("stderr");
    assert_eq!(eliot_lines(&stderr), (expected, 0));
    assert_eq!(eliot_lines(&stdout), (0, THREADS * PER_THREAD));
}
