//! Helpers of the tests that mix `tracing` and Eliot: the `EliotLayer` as the
//! binary's global subscriber, every message kept, and a check that each
//! logged item sits under the chain of actions it names.
//!
//! An item names its place with an `expected` field: the action types from
//! its task's root down to the action it must be logged in, joined with
//! `" > "` (for an action's start: down to its parent). Spans carry it as a
//! field too, which the layer writes as a start field.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, Once};
use std::time::Duration;

use eliot_tracing::EliotLayer;
use serde_json::Value;
use tracing_subscriber::prelude::*;

pub use super::all_messages::{Line, kind, level, runtime, task};

/// The layer is the global subscriber of the test binary; every Eliot
/// message is kept.
pub fn captured() -> &'static Mutex<Vec<Line>> {
    static SUBSCRIBER: Once = Once::new();
    SUBSCRIBER.call_once(|| {
        tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(EliotLayer::new()),
        )
        .expect("the only global subscriber of this binary");
    });
    super::all_messages::captured()
}

/// Runs `copies` of a scenario at once on a multi-threaded runtime; each
/// returns its task's UUID.
pub fn run_many<F, Fut>(copies: usize, scenario: F) -> Vec<String>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = String> + Send + 'static,
{
    captured();
    runtime(4).block_on(async {
        let handles: Vec<_> = (0..copies).map(|i| tokio::spawn(scenario(i))).collect();
        let mut uuids = Vec::new();
        for handle in handles {
            uuids.push(handle.await.expect("no scenario panics"));
        }
        assert!(
            eliot::current_action().is_none(),
            "nothing leaked into block_on"
        );
        uuids
    })
}

/// A suspension that really suspends: the task may resume on another
/// worker.
pub async fn suspend() {
    tokio::time::sleep(Duration::from_millis(1)).await;
    tokio::task::yield_now().await;
}

/// The UUID of the current action's task.
pub fn uuid() -> String {
    eliot::current_action()
        .expect("inside an action")
        .task_uuid()
        .to_owned()
}

pub fn status(line: &Line) -> Option<&str> {
    line.get("action_status").and_then(Value::as_str)
}

/// The action types from the root of `lines`' task down to the action that
/// `line` is logged in; for an action's start or end, down to its parent.
pub fn place(lines: &BTreeMap<Vec<u64>, &Line>, line: &Line) -> Vec<String> {
    let l = level(line);
    // The level of the action the line is logged in, or of the parent of
    // the action whose start or end it is; `None` for a root's own lines.
    let containing = if status(line).is_some() {
        l.len().checked_sub(2)
    } else {
        Some(l.len() - 1)
    };
    let Some(depth) = containing else {
        return Vec::new();
    };
    (0..=depth)
        .map(|d| {
            let mut start = l[..d].to_vec();
            start.push(1);
            let action = lines
                .get(&start)
                .unwrap_or_else(|| panic!("no action starts at {start:?}: {line:?}"));
            assert_eq!(status(action), Some("started"), "{action:?}");
            kind(action).to_owned()
        })
        .collect()
}

/// Checks one task: complete (every action started and ended, every slot
/// used once), and every line with an `expected` field in its place.
/// Returns how many lines were checked for their place.
pub fn check_task(uuid: &str) -> usize {
    let lines = task(uuid);
    check_lines(uuid, &lines)
}

/// [`check_task`] on lines already picked out.
pub fn check_lines(uuid: &str, lines: &[Line]) -> usize {
    assert!(!lines.is_empty(), "nothing was logged in task {uuid}");
    assert_complete(lines);
    let by_level: BTreeMap<Vec<u64>, &Line> = lines.iter().map(|l| (level(l), l)).collect();
    let mut checked = 0;
    for line in lines {
        let Some(expected) = line.get("expected").and_then(Value::as_str) else {
            continue;
        };
        if status(line).is_some_and(|s| s != "started") {
            continue; // an end repeats no start field
        }
        let place = place(&by_level, line).join(" > ");
        assert_eq!(
            place,
            expected,
            "task {uuid}: `{}` at {:?} is in the wrong place\n{}",
            kind(line),
            level(line),
            render(lines)
        );
        checked += 1;
    }
    checked
}

/// A task's lines as an indented outline, for failure messages.
pub fn render(lines: &[Line]) -> String {
    let mut out = String::new();
    for line in lines {
        let l = level(line);
        let depth = l.len() - 1;
        out.push_str(&format!(
            "{:indent$}{:?} {} {}{}\n",
            "",
            l,
            kind(line),
            status(line).unwrap_or(""),
            line.get("expected")
                .map(|e| format!("  (expected: {e})"))
                .unwrap_or_default(),
            indent = depth * 2
        ));
    }
    out
}

/// Every action has its start and its end, and every slot between them is
/// used exactly once: the rule `eliot.parse` and eliot-tree rely on.
pub fn assert_complete(lines: &[Line]) {
    let mut slots: HashMap<Vec<u64>, BTreeMap<u64, &Line>> = HashMap::new();
    for line in lines {
        let l = level(line);
        let (slot, parent) = l.split_last().unwrap();
        let previous = slots
            .entry(parent.to_vec())
            .or_default()
            .insert(*slot, line);
        assert!(
            previous.is_none(),
            "task_level {l:?} is written twice\n{}",
            render(lines)
        );
    }
    fn check(own: &[u64], slots: &HashMap<Vec<u64>, BTreeMap<u64, &Line>>, lines: &[Line]) {
        let children = slots
            .get(own)
            .unwrap_or_else(|| panic!("no lines at {own:?}\n{}", render(lines)));
        let first = children.get(&1);
        assert!(
            first.is_some_and(|l| status(l) == Some("started")),
            "the action at {own:?} has no start\n{}",
            render(lines)
        );
        let last = *children.keys().last().unwrap();
        for slot in 1..=last {
            let mut at = own.to_vec();
            at.push(slot);
            match children.get(&slot) {
                Some(line) => {
                    if slot == last {
                        assert!(
                            matches!(status(line), Some("succeeded" | "failed")),
                            "the action at {own:?} has no end\n{}",
                            render(lines)
                        );
                        assert_eq!(kind(line), kind(first.unwrap()));
                    } else if slot > 1 {
                        assert!(
                            status(line).is_none(),
                            "an end before the last slot at {at:?}\n{}",
                            render(lines)
                        );
                    }
                }
                None => check(&at, slots, lines),
            }
        }
    }
    check(&[], &slots, lines);
}
