//! A misused context guard is reported once per process: one explanation on
//! stderr and one `eliot:context_misuse` message (a task of its own), however
//! many misuses follow; the counter still counts every one.
//!
//! The report is once per process, so this binary has one test, and it runs
//! the misuses in a child process (this same binary, re-executed) whose
//! stderr it reads.

use std::process::Command;
use std::sync::{Arc, Mutex};

use eliot::{add_destination, context_misuse_count, destination_fn, start_action};

const CHILD: &str = "ELIOT_MISUSE_REPORT_CHILD";
const EXPLANATION: &str = "eliot: an Eliot context guard was dropped under a different context";

/// Two misuses, and what was logged: each guard dropped out of order.
fn misuse_twice() {
    let messages = Arc::new(Mutex::new(Vec::new()));
    let sink = messages.clone();
    let destination = add_destination(destination_fn(move |m: &eliot::Message| {
        sink.lock().unwrap().push(m.to_map().unwrap());
    }));
    let before = context_misuse_count();
    for _ in 0..2 {
        // On a fresh thread each time: a misuse leaves the thread's context
        // as it found it, so the next misuse starts from a clean one.
        std::thread::spawn(|| {
            let first = start_action!("t:first");
            let second = start_action!("t:second");
            drop(first);
            drop(second);
        })
        .join()
        .unwrap();
    }
    assert_eq!(context_misuse_count(), before + 2);
    eliot::remove_destination(&destination).unwrap();

    let messages = messages.lock().unwrap();
    let reports: Vec<_> = messages
        .iter()
        .filter(|m| m.get("message_type").and_then(|t| t.as_str()) == Some("eliot:context_misuse"))
        .collect();
    assert_eq!(reports.len(), 1, "{messages:#?}");
    let report = reports[0];
    assert_eq!(
        report["task_level"],
        serde_json::json!([1]),
        "a task of its own"
    );
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("#[inline_actions]"),
        "{report:?}"
    );
    let tasks_of_actions: Vec<_> = messages
        .iter()
        .filter(|m| m.contains_key("action_type"))
        .map(|m| &m["task_uuid"])
        .collect();
    assert!(
        !tasks_of_actions.contains(&&report["task_uuid"]),
        "not logged inside the misused actions' tasks"
    );
}

#[test]
fn two_misuses_are_reported_once_on_stderr_and_in_the_log() {
    if std::env::var_os(CHILD).is_some() {
        misuse_twice();
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "two_misuses_are_reported_once_on_stderr_and_in_the_log",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the child ran the test: {stdout}"
    );
    assert_eq!(stderr.matches(EXPLANATION).count(), 1, "{stderr}");
    assert_eq!(
        stderr.matches("Reported once per process").count(),
        1,
        "{stderr}"
    );
}
