//! The 200,000-line log of `cargo bench -p eliot-tree --bench perf`, also
//! opened in the browser by the HTML report's timing test: 2,000 tasks of
//! 100 lines each (nested actions, messages with nested fields, some failed
//! actions), 100 of them in flight at any time, so that their lines
//! interleave as a busy server's do. Written with eliot-core.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::Path;

use eliot_core::{
    Action, FileDestination, add_destination, fields, remove_destination, start_task,
};

pub const TASKS: usize = 2_000;
pub const LINES_PER_TASK: usize = 100;
pub const IN_FLIGHT: usize = 100;
const STEPS: usize = 13;

/// Writes the benchmark's log with eliot-core: `TASKS` tasks, `IN_FLIGHT` at
/// a time, each step of a randomly chosen open task logged in turn.
pub fn generate(path: &Path) {
    let _ = std::fs::remove_file(path);
    let file = add_destination(FileDestination::create(path).expect("the log file"));
    let mut random = XorShift(0x2545_f491_4f6c_dd1d);
    let mut open: Vec<TaskState> = Vec::with_capacity(IN_FLIGHT);
    let mut started = 0;
    while started < TASKS || !open.is_empty() {
        while open.len() < IN_FLIGHT && started < TASKS {
            open.push(TaskState::new(started));
            started += 1;
        }
        let index = random.below(open.len());
        if open[index].step(&mut random) {
            open.swap_remove(index);
        }
    }
    remove_destination(&file).expect("registered above");
}

/// One task of the benchmark, logged one line per call of `step`.
struct TaskState {
    id: usize,
    root: Option<Action>,
    step: Option<Action>,
    /// Lines logged so far.
    done: usize,
}

impl TaskState {
    fn new(id: usize) -> Self {
        TaskState {
            id,
            root: None,
            step: None,
            done: 0,
        }
    }

    /// Logs the task's next line; true when the task is finished. The
    /// plan: start, a received message, 13 steps of 7 lines (start, 5
    /// messages, end; one in ten fails), the first five each followed by a
    /// checkpoint message, a last checkpoint, then the end: 100 lines.
    fn step(&mut self, random: &mut XorShift) -> bool {
        let n = self.done;
        self.done += 1;
        let Some(root) = &self.root else {
            let root = start_task!(
                "perf:request",
                method = "GET",
                path = format!("/api/v1/users/{}/orders", self.id),
                client = format!("10.0.{}.{}", self.id / 256 % 256, self.id % 256),
                request_id = self.id as u64 * 7919
            );
            self.root = Some(root.into_action());
            return false;
        };
        if n == 1 {
            let headers = BTreeMap::from([
                ("accept", "application/json"),
                ("user-agent", "perf-client/1.0 (eliot-rs benchmark)"),
            ]);
            root.log(
                "perf:request:received",
                fields!(size = 512 + self.id % 1000, headers),
            );
            return false;
        }
        if n == LINES_PER_TASK - 1 {
            root.add_success_fields(fields!(status = 200, bytes = 18_000 + self.id));
            root.finish().expect("finished once");
            return true;
        }
        // Lines 2 to 97: 13 steps of 7 lines, the first five followed by a
        // checkpoint (5 * 8 + 8 * 7 = 96); line 98: a last checkpoint.
        let (step, within) = step_position(n - 2);
        match within {
            Position::Start => {
                let kind = ["db", "cache", "render", "auth"][step % 4];
                self.step =
                    Some(root.child("perf:step", fields!(step = step, kind = kind, attempt = 1)));
            }
            Position::Message(i) => {
                let action = self.step.as_ref().expect("a step's lines follow its start");
                let ratio = (i + 1) as f64 / 7.0;
                let tags = ["alpha", "beta", "gamma"];
                action.log(
                    "perf:step:progress",
                    fields!(
                        done = i,
                        ratio = ratio,
                        tags = tags,
                        note = "processing the next batch of rows"
                    ),
                );
            }
            Position::End => {
                let action = self.step.take().expect("a step's lines follow its start");
                if (self.id + step).is_multiple_of(10) {
                    let error = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "upstream did not answer in 250 ms",
                    );
                    action.finish_with_error(&error).expect("finished once");
                } else {
                    action.add_success_fields(fields!(
                        rows = random.below(500),
                        cached = step % 2 == 0
                    ));
                    action.finish().expect("finished once");
                }
            }
            Position::Checkpoint => {
                root.log(
                    "perf:request:checkpoint",
                    fields!(after_step = step, elapsed_ms = 1.5 * step as f64),
                );
            }
        }
        false
    }
}

enum Position {
    Start,
    Message(usize),
    End,
    Checkpoint,
}

/// Where line `n` (counted from the first step line) falls in the plan of
/// `TaskState::step`.
fn step_position(mut n: usize) -> (usize, Position) {
    for step in 0..STEPS {
        let len = if step < 5 { 8 } else { 7 };
        if n < len {
            return (
                step,
                match n {
                    0 => Position::Start,
                    1..=5 => Position::Message(n - 1),
                    6 => Position::End,
                    _ => Position::Checkpoint,
                },
            );
        }
        n -= len;
    }
    (STEPS, Position::Checkpoint)
}

/// A small deterministic generator, so every run writes the same log.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
