//! Logs written by many tokio tasks at once, on a multi-threaded runtime,
//! read back: every message lands under the action it was logged in, and
//! the trees do not depend on the order of the lines.

use std::time::Duration;

use eliot::parse::{Node, Task, WrittenAction, parse_log};
use eliot::testing::MemoryLogger;
use eliot::tokio_integration::spawn;
use eliot::{inline_actions, log_message, start_action, start_task};

#[inline_actions]
async fn inner(worker: u64, part: u64) {
    let _inner = start_action!("t:pi:inner", worker = worker, part = part);
    for step in 0..3u64 {
        tokio::time::sleep(Duration::from_micros(200 * ((worker + step) % 3))).await;
        log_message!("t:pi:inner_step", worker = worker, part = part, step = step);
    }
}

#[inline_actions]
async fn worker(worker: u64) {
    let _task = start_task!("t:pi:worker", worker = worker);
    for part in 0..3u64 {
        log_message!("t:pi:step", worker = worker, part = part);
        tokio::task::yield_now().await;
        inner(worker, part).await;
    }
}

fn field(action: &WrittenAction, key: &str) -> u64 {
    action.start_message().unwrap().fields()[key]
        .as_u64()
        .unwrap()
}

/// Checks that each message names the action it sits in.
fn check(task: &Task) {
    let root = task.root().as_action().unwrap();
    assert_eq!(root.action_type(), Some("t:pi:worker"));
    assert!(task.is_complete());
    let worker = field(root, "worker");
    let mut parts = Vec::new();
    for child in root.children() {
        match child {
            Node::Message(message) => {
                assert_eq!(message.message_type(), Some("t:pi:step"));
                assert_eq!(
                    message.fields()["worker"],
                    worker,
                    "a step in its own worker"
                );
            }
            Node::Action(inner) => {
                assert_eq!(inner.action_type(), Some("t:pi:inner"));
                assert_eq!(field(inner, "worker"), worker);
                let part = field(inner, "part");
                parts.push(part);
                let steps: Vec<(u64, u64, u64)> = inner
                    .children()
                    .iter()
                    .map(|c| {
                        let f = c
                            .as_message()
                            .expect("inner actions hold messages")
                            .fields();
                        (
                            f["worker"].as_u64().unwrap(),
                            f["part"].as_u64().unwrap(),
                            f["step"].as_u64().unwrap(),
                        )
                    })
                    .collect();
                assert_eq!(
                    steps,
                    [(worker, part, 0), (worker, part, 1), (worker, part, 2)]
                );
            }
        }
    }
    assert_eq!(parts, [0, 1, 2]);
    assert_eq!(task.len(), 2 + 3 * (1 + 2 + 3));
}

#[test]
fn tasks_logged_concurrently_parse_into_the_trees_they_were_logged_as() {
    let logger = MemoryLogger::new();
    let runtime = crate::support::capture::runtime(4);
    runtime.block_on(logger.capturing(async {
        let handles: Vec<_> = (0..40).map(|w| spawn(worker(w))).collect();
        for handle in handles {
            handle.await.unwrap();
        }
    }));
    let lines: Vec<String> = logger
        .lines()
        .iter()
        .map(|m| m.as_json().to_owned())
        .collect();
    assert_eq!(lines.len(), 40 * 20);
    // The lines of different tasks really are interleaved.
    let first_uuid = &lines[0][lines[0].find("task_uuid").unwrap()..][..50];
    assert!(lines[..20].iter().any(|l| !l.contains(first_uuid)));

    let parsed = parse_log(&lines.join("\n"));
    assert!(parsed.malformed.is_empty());
    assert_eq!(parsed.tasks.len(), 40);
    parsed.tasks.iter().for_each(check);

    let mut reversed = lines.clone();
    reversed.reverse();
    let again = parse_log(&reversed.join("\n"));
    assert_eq!(again.tasks.len(), 40);
    again.tasks.iter().for_each(check);
}
