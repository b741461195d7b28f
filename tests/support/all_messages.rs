//! Every message of the test binary is
//! kept, parsed, and each test picks out the tasks it started.

use std::sync::{Arc, Mutex, OnceLock};

use eliot::{Action, destination_fn, start_task};
use serde_json::{Map, Value};

pub use super::capture::{kind, level, runtime};

pub type Line = Map<String, Value>;

/// Every message of this test binary, parsed; the destination is added on
/// first use and stays for the life of the process.
pub fn captured() -> &'static Mutex<Vec<Line>> {
    static LINES: OnceLock<Arc<Mutex<Vec<Line>>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::mem::forget(eliot::add_destination(destination_fn(
            move |m: &eliot::Message| {
                sink.lock().unwrap().push(m.to_map().unwrap());
            },
        )));
        lines
    })
}

/// The lines of one task, in task_level order.
pub fn task(uuid: &str) -> Vec<Line> {
    let mut lines: Vec<Line> = captured()
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l["task_uuid"] == uuid)
        .cloned()
        .collect();
    lines.sort_by_key(level);
    lines
}

/// A new task whose root action is left open, to be finished by the code
/// under test.
pub fn new_task(action_type: &str) -> Action {
    captured();
    start_task!(action_type).into_action()
}
