//! Helpers for the `#[inline_actions]` and `#[log_call]` tests: capture the
//! log into memory, pick out one test's tasks, and check where each message
//! sits in its task's tree.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::capture::{Lines, parse_all};
use eliot::{Destination, add_destination, remove_destination};
use serde_json::{Map, Value};

pub use super::capture::{kind, level, runtime};

/// Runs the future `f` makes on a 4-worker runtime, spawned inside a
/// fresh task `name`, and returns that task, checked complete.
pub fn in_task<F: std::future::Future<Output = ()> + Send + 'static>(
    name: &'static str,
    f: impl FnOnce() -> F,
) -> Task {
    let capture = Capture::start();
    let rt = runtime(4);
    let uuid = {
        let task = eliot::start_task!(name);
        let future = eliot::FutureContextExt::in_current_context(f());
        rt.block_on(async move { tokio::spawn(future).await.ok() });
        task.task_uuid().to_owned()
    };
    drop(rt);
    let task = capture.finish().task(&uuid);
    task.assert_complete();
    task
}

/// One parsed log line.
pub type Msg = Map<String, Value>;

/// Everything logged in this process while it is alive. Other tests of the
/// same binary log too: pick your own tasks with [`Captured::task`].
pub struct Capture {
    lines: Arc<Lines>,
    destination: Arc<dyn Destination>,
}

impl Capture {
    pub fn start() -> Capture {
        let lines = Arc::new(Lines::default());
        let destination = add_destination(lines.clone());
        Capture { lines, destination }
    }

    /// Stops capturing and parses what was captured.
    pub fn finish(self) -> Captured {
        remove_destination(&self.destination).expect("added in start");
        let lines = self.lines.take();
        Captured {
            messages: parse_all(&lines),
            lines,
        }
    }
}

/// A captured log.
pub struct Captured {
    pub lines: Vec<String>,
    pub messages: Vec<Msg>,
}

impl Captured {
    /// The messages of one task, in `task_level` order.
    pub fn task(&self, task_uuid: &str) -> Task {
        let mut messages: Vec<Msg> = self
            .messages
            .iter()
            .filter(|m| m["task_uuid"] == task_uuid)
            .cloned()
            .collect();
        messages.sort_by_key(level);
        assert!(
            !messages.is_empty(),
            "nothing was logged in task {task_uuid}"
        );
        Task { messages }
    }

    /// The tasks whose root action has this type.
    pub fn tasks_of_type(&self, action_type: &str) -> Vec<Task> {
        let uuids: BTreeSet<&str> = self
            .messages
            .iter()
            .filter(|m| level(m) == [1] && kind(m) == action_type)
            .map(|m| m["task_uuid"].as_str().unwrap())
            .collect();
        uuids.into_iter().map(|u| self.task(u)).collect()
    }

    /// The lines of the given tasks, in the order they were written.
    pub fn lines_of(&self, uuids: &BTreeSet<String>) -> Vec<String> {
        self.lines
            .iter()
            .zip(&self.messages)
            .filter(|(_, m)| uuids.contains(m["task_uuid"].as_str().unwrap()))
            .map(|(l, _)| l.clone())
            .collect()
    }
}

pub fn status(message: &Msg) -> Option<&str> {
    message.get("action_status").and_then(Value::as_str)
}

/// The messages of one task.
pub struct Task {
    pub messages: Vec<Msg>,
}

impl Task {
    pub fn uuid(&self) -> &str {
        self.messages[0]["task_uuid"].as_str().unwrap()
    }

    /// The messages of this type (`message_type` or `action_type`).
    pub fn all(&self, kind_: &str) -> Vec<&Msg> {
        self.messages.iter().filter(|m| kind(m) == kind_).collect()
    }

    /// The only message of this type that is not an action message, or the
    /// start of the only action of this type.
    pub fn one(&self, kind_: &str) -> &Msg {
        let found: Vec<&Msg> = self
            .messages
            .iter()
            .filter(|m| kind(m) == kind_ && matches!(status(m), None | Some("started")))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected one `{kind_}` in {:#?}",
            self.messages
        );
        found[0]
    }

    /// The end message of the action whose start is `start`.
    pub fn end_of(&self, start: &Msg) -> &Msg {
        let own = own_level(start);
        self.messages
            .iter()
            .find(|m| {
                let l = level(m);
                l.len() == own.len() + 1
                    && l[..own.len()] == own[..]
                    && matches!(status(m), Some("succeeded" | "failed"))
            })
            .unwrap_or_else(|| panic!("action {start:?} has no end"))
    }

    /// The action types from the task's root down to the action `message`
    /// is logged in (for an action's start or end: down to that action).
    pub fn path(&self, message: &Msg) -> Vec<String> {
        let l = level(message);
        let mut path = Vec::new();
        for depth in 0..l.len() {
            let mut start = l[..depth].to_vec();
            start.push(1);
            let action = self
                .messages
                .iter()
                .find(|m| level(m) == start && status(m) == Some("started"))
                .unwrap_or_else(|| panic!("no action starts at {start:?} in {:#?}", self.messages));
            path.push(kind(action).to_owned());
        }
        path
    }

    /// Checks the task is complete as `eliot.parse` sees it: every action
    /// has a start and an end, its children take every slot between them
    /// exactly once, and no `task_level` appears twice.
    pub fn assert_complete(&self) {
        let mut seen = BTreeSet::new();
        for m in &self.messages {
            assert!(
                seen.insert(level(m)),
                "task_level {:?} written twice",
                level(m)
            );
        }
        check_action(&self.messages, &[]);
    }
}

/// The level of the action a start/end message belongs to.
pub fn own_level(message: &Msg) -> Vec<u64> {
    let l = level(message);
    l[..l.len() - 1].to_vec()
}

fn check_action(messages: &[Msg], own: &[u64]) {
    // Direct slots: slot -> whether it is a child action.
    let mut slots: BTreeMap<u64, bool> = BTreeMap::new();
    for m in messages {
        let l = level(m);
        if l.len() > own.len() && l[..own.len()] == *own {
            let is_child_action = l.len() > own.len() + 1;
            let previous = slots.insert(l[own.len()], is_child_action);
            if let Some(previous) = previous {
                assert!(
                    previous && is_child_action,
                    "slot {:?} of action {own:?} is used twice",
                    l[..=own.len()].to_vec()
                );
            }
        }
    }
    let first = messages.iter().find(|m| level(m) == [own, &[1]].concat());
    let first = first.unwrap_or_else(|| panic!("action at {own:?} has no start"));
    assert_eq!(status(first), Some("started"), "{first:?}");
    let last = *slots.keys().last().unwrap();
    let end = messages
        .iter()
        .find(|m| level(m) == [own, &[last]].concat())
        .unwrap_or_else(|| panic!("action at {own:?} ends in a child action"));
    assert!(
        matches!(status(end), Some("succeeded" | "failed")),
        "action {} at {own:?} has no end: its last line is {end:?}",
        kind(first)
    );
    assert_eq!(kind(end), kind(first));
    let expected: Vec<u64> = (1..=last).collect();
    assert_eq!(
        slots.keys().copied().collect::<Vec<_>>(),
        expected,
        "action {} at {own:?} is missing children",
        kind(first)
    );
    for (slot, is_child_action) in slots {
        if is_child_action {
            check_action(messages, &[own, &[slot]].concat());
        }
    }
}

/// `Send` is checked at compile time.
pub fn assert_send<T: Send>(value: T) -> T {
    value
}
