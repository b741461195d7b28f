//! The `log` crate into Eliot: records of a real published crate that logs
//! through `log` (globset) become `eliot:stdlib` messages inside the current
//! action, filtered with the `RUST_LOG` syntax, never recursing while a
//! destination writes; the Python tools accept the log.
//!
//! One binary of its own: it installs the process's `log` logger.

mod support;

use std::sync::Arc;

use crate::support::capture::{Lines, parse};
use crate::support::python::{check_logs, fresh_run_dir};
use eliot::log::{EliotLog, records_skipped_while_writing};
use eliot::{
    Destination, DestinationError, FileDestination, Message, add_destination, remove_destination,
    start_task,
};

/// A destination built on a library that logs through `log` while writing.
struct Chatty;

impl Destination for Chatty {
    fn write(&self, _: &Message) -> Result<(), DestinationError> {
        log::warn!(target: "chatty", "writing a message");
        Ok(())
    }
}

#[test]
fn records_become_eliot_stdlib_messages_in_the_current_action() {
    EliotLog::builder()
        .parse("warn,globset=debug")
        .build()
        .install()
        .expect("the only logger of this binary");
    let dir = fresh_run_dir("log_bridge");
    let path = dir.join("log_bridge.log");
    let file = add_destination(FileDestination::create(&path).unwrap());
    let lines = Arc::new(Lines::default());
    let captured = add_destination(lines.clone());
    let uuid = {
        let task = start_task!("test:build_globs");
        let mut builder = globset::GlobSetBuilder::new();
        builder.add(globset::Glob::new("**/*.{rs,toml}").unwrap());
        builder.add(globset::Glob::new("src/[a-c]*x?.rs").unwrap());
        let set = builder.build().unwrap();
        assert!(set.is_match("src/lib.rs"));
        log::info!("filtered out: below warn for this target");
        log::warn!("kept: {} at warn", "this");
        task.task_uuid().to_owned()
    };
    let chatty = add_destination(Chatty);
    start_task!("test:chatty").finish();
    remove_destination(&chatty).unwrap();
    remove_destination(&captured).unwrap();
    remove_destination(&file).unwrap();

    let messages: Vec<_> = lines.take().iter().map(|l| parse(l)).collect();
    let stdlib: Vec<_> = messages
        .iter()
        .filter(|m| {
            m.get("message_type").and_then(|t| t.as_str()) == Some("eliot:stdlib")
                && m["task_uuid"] == uuid.as_str()
        })
        .collect();
    let built = stdlib
        .iter()
        .find(|m| {
            m["message"]
                .as_str()
                .is_some_and(|t| t.starts_with("built glob set;"))
        })
        .unwrap_or_else(|| panic!("no globset record in {stdlib:#?}"));
    assert_eq!(built["log_level"], "DEBUG");
    assert_eq!(built["logger"], "globset");
    assert!(built["file"].as_str().unwrap().ends_with("lib.rs"));
    assert!(built["line"].as_u64().unwrap() > 0);
    // Logged inside the task's root action: the second level of the tree.
    assert_eq!(built["task_level"].as_array().unwrap().len(), 1);
    let keys: Vec<&str> = built.keys().map(String::as_str).collect();
    assert!(keys.contains(&"log_level") && keys.contains(&"message"));

    let ours: Vec<_> = stdlib
        .iter()
        .filter(|m| m["logger"] == "log_bridge")
        .collect();
    assert_eq!(ours.len(), 1, "{ours:#?}");
    assert_eq!(ours[0]["log_level"], "WARNING");
    assert_eq!(ours[0]["message"], "kept: this at warn");

    // The chatty destination's records were skipped, not recursed into.
    assert!(records_skipped_while_writing() >= 2);
    assert!(
        !messages
            .iter()
            .any(|m| m.get("logger").and_then(|l| l.as_str()) == Some("chatty"))
    );

    check_logs(&[path]);
}
