//! Logging while a thread exits: from the destructor of a thread-local,
//! after the thread-locals eliot-core and its dependencies use may already
//! be gone. Nothing may panic there (a panic in a thread-local's destructor
//! aborts the process) and no line may be lost.
//!
//! A file of its own: it adds a destination and expects to see everything.

mod support;

use std::sync::Arc;

use crate::support::capture::{Lines, kind, parse_all};
use eliot::{add_destination, log_message, remove_destination, start_action};

/// Logs a one-message task and a whole action when dropped.
struct LogsOnDrop;

impl Drop for LogsOnDrop {
    fn drop(&mut self) {
        log_message!("t:from_thread_local_drop");
        let action = start_action!("t:action_from_thread_local_drop");
        action.log("t:inside_action_from_drop", &[]);
    }
}

thread_local! {
    static LOGS_ON_DROP: LogsOnDrop = const { LogsOnDrop };
}

#[test]
fn messages_logged_from_a_thread_local_destructor_are_written() {
    let lines = Arc::new(Lines::default());
    let handle = add_destination(lines.clone());
    std::thread::spawn(|| {
        // Registered before anything of eliot's on this thread, so
        // destroyed after it: thread-locals go in reverse order.
        LOGS_ON_DROP.with(|_| {});
        log_message!("t:before_thread_exit");
        let _action = start_action!("t:action_before_thread_exit");
    })
    .join()
    .expect("the thread exited cleanly");
    remove_destination(&handle).unwrap();
    let seen = parse_all(&lines.take());
    let kinds: Vec<&str> = seen
        .iter()
        .map(kind)
        .filter(|kind| kind.starts_with("t:"))
        .collect();
    assert_eq!(
        kinds,
        [
            "t:before_thread_exit",
            "t:action_before_thread_exit",
            "t:action_before_thread_exit",
            "t:from_thread_local_drop",
            "t:action_from_thread_local_drop",
            "t:inside_action_from_drop",
            "t:action_from_thread_local_drop",
        ],
        "{seen:#?}"
    );
    let uuids: std::collections::HashSet<&str> = seen
        .iter()
        .filter_map(|m| m["task_uuid"].as_str())
        .collect();
    assert_eq!(uuids.len(), 4, "each task has a UUID of its own: {seen:#?}");
}
