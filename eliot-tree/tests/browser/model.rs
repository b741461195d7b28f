//! What a report must show, computed from the log's lines with nothing but
//! serde_json: the tasks, and for each its actions (rows) and messages
//! (ticks). This does not use eliot-core's parser, which the report is
//! built with.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

/// One line of the log.
#[derive(Clone, Debug)]
pub struct Line {
    pub level: Vec<u32>,
    pub timestamp: f64,
    pub action_type: Option<String>,
    pub action_status: Option<String>,
    pub message_type: Option<String>,
}

/// A task: its lines, in the log's order.
#[derive(Debug)]
pub struct LogTask {
    pub uuid: String,
    pub lines: Vec<Line>,
}

/// An action of a task, as its row must show it.
#[derive(Debug)]
pub struct Action {
    pub level: Vec<u32>,
    pub action_type: Option<String>,
    /// `started` when its end is not in the log, else `succeeded` or `failed`.
    pub status: String,
    /// Where its bar begins and ends, in seconds from the task's start.
    pub bar: (f64, f64),
    /// Its messages (start and end aside), in level order: type and level.
    pub messages: Vec<(String, Vec<u32>, f64)>,
}

/// The tasks of the logs, by UUID.
pub fn tasks(logs: &[&Path]) -> BTreeMap<String, LogTask> {
    let mut tasks: BTreeMap<String, LogTask> = BTreeMap::new();
    for log in logs {
        let text = std::fs::read_to_string(log).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let json: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {line}", log.display()));
            let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
            let uuid = text("task_uuid").expect("a task_uuid");
            let level = json["task_level"]
                .as_array()
                .expect("a task_level")
                .iter()
                .map(|n| n.as_u64().unwrap() as u32)
                .collect();
            tasks
                .entry(uuid.clone())
                .or_insert_with(|| LogTask {
                    uuid,
                    lines: Vec::new(),
                })
                .lines
                .push(Line {
                    level,
                    timestamp: json["timestamp"].as_f64().expect("a timestamp"),
                    action_type: text("action_type"),
                    action_status: text("action_status"),
                    message_type: text("message_type"),
                });
        }
    }
    tasks
}

/// The first task with an action of type `kind`.
pub fn with_action<'a>(tasks: &'a BTreeMap<String, LogTask>, kind: &str) -> &'a LogTask {
    tasks
        .values()
        .find(|t| t.has_action(kind))
        .unwrap_or_else(|| panic!("no task has a {kind} action"))
}

impl LogTask {
    /// Whether an action of type `kind` is in the task.
    pub fn has_action(&self, kind: &str) -> bool {
        self.lines
            .iter()
            .any(|l| l.action_type.as_deref() == Some(kind))
    }

    pub fn start(&self) -> f64 {
        self.lines
            .iter()
            .map(|l| l.timestamp)
            .fold(f64::INFINITY, f64::min)
    }

    pub fn end(&self) -> f64 {
        self.lines
            .iter()
            .map(|l| l.timestamp)
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// Whether the task is one message logged outside any action.
    pub fn is_lone_message(&self) -> bool {
        self.lines.len() == 1 && self.lines[0].level == [1] && self.lines[0].message_type.is_some()
    }

    /// The status the task list shows: that of the root action's end, or
    /// `incomplete` when a line is missing.
    pub fn status(&self) -> &'static str {
        if self.is_lone_message() {
            return "message";
        }
        if !self.is_complete() {
            return "incomplete";
        }
        let root_end = self.lines.iter().find(|l| {
            l.level.len() == 1 && l.action_status.as_deref().is_some_and(|s| s != "started")
        });
        match root_end.and_then(|l| l.action_status.as_deref()) {
            Some("failed") => "failed",
            _ => "succeeded",
        }
    }

    /// Eliot's rule: every action has its start, its end, and as many
    /// children as its end's slot says.
    pub fn is_complete(&self) -> bool {
        let actions = self.actions();
        actions.iter().all(|action| {
            let start = self.lines.iter().any(|l| {
                l.level.len() == action.level.len() + 1
                    && l.level.starts_with(&action.level)
                    && l.action_status.as_deref() == Some("started")
            });
            let end = self.lines.iter().find(|l| {
                l.level.len() == action.level.len() + 1
                    && l.level.starts_with(&action.level)
                    && matches!(l.action_status.as_deref(), Some("succeeded" | "failed"))
            });
            let Some(end) = end else { return false };
            let children: BTreeSet<u32> = self
                .lines
                .iter()
                .filter(|l| l.level.len() > action.level.len() + 1 || l.action_status.is_none())
                .filter(|l| {
                    l.level.starts_with(&action.level) && l.level.len() > action.level.len()
                })
                .map(|l| l.level[action.level.len()])
                .collect();
            start && children.len() + 2 == *end.level.last().unwrap() as usize
        })
    }

    /// The actions, in the order of their rows: by level, each before what
    /// it holds.
    pub fn actions(&self) -> Vec<Action> {
        if self.is_lone_message() {
            return Vec::new();
        }
        let start = self.start();
        let mut levels: BTreeSet<Vec<u32>> = BTreeSet::new();
        for line in &self.lines {
            let parent = &line.level[..line.level.len() - 1];
            for depth in 0..=parent.len() {
                levels.insert(parent[..depth].to_vec());
            }
        }
        let mut actions: Vec<Action> = levels
            .into_iter()
            .map(|level| {
                let own =
                    |l: &&Line| l.level.len() == level.len() + 1 && l.level.starts_with(&level);
                let started = self
                    .lines
                    .iter()
                    .filter(own)
                    .find(|l| l.action_status.as_deref() == Some("started"));
                let ended =
                    self.lines.iter().filter(own).find(|l| {
                        matches!(l.action_status.as_deref(), Some("succeeded" | "failed"))
                    });
                let mut messages: Vec<(String, Vec<u32>, f64)> = self
                    .lines
                    .iter()
                    .filter(own)
                    .filter(|l| l.action_status.is_none())
                    .map(|l| {
                        (
                            l.message_type.clone().unwrap_or_default(),
                            l.level.clone(),
                            l.timestamp - start,
                        )
                    })
                    .collect();
                messages.sort_by(|a, b| a.1.cmp(&b.1));
                let inside = self
                    .lines
                    .iter()
                    .filter(|l| l.level.starts_with(&level))
                    .map(|l| l.timestamp - start)
                    .fold(f64::INFINITY, f64::min);
                let bar_start = started.map_or(inside, |l| l.timestamp - start);
                let bar_end = ended.map_or(self.end() - start, |l| l.timestamp - start);
                Action {
                    action_type: started.or(ended).and_then(|l| l.action_type.clone()),
                    status: ended
                        .and_then(|l| l.action_status.clone())
                        .unwrap_or_else(|| "started".to_owned()),
                    bar: (bar_start, bar_end),
                    level,
                    messages,
                }
            })
            .collect();
        actions.sort_by(|a, b| a.level.cmp(&b.level));
        actions
    }
}

/// `[3, 2]` as the page writes it: `/3/2`.
pub fn level_text(level: &[u32]) -> String {
    if level.is_empty() {
        return "/".to_owned();
    }
    level.iter().map(|n| format!("/{n}")).collect()
}
