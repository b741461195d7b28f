//! Eliot's reserved keys (`timestamp`, `task_uuid`, ...) are Eliot's own in
//! every line, whichever way a user's field comes in: message and start
//! fields, success fields, exception extractors and global fields all keep a
//! reserved key as `user:<key>`. No line holds a key twice, and a line's own
//! field always wins over a global one.
//!
//! Global fields are process-wide and cannot be removed, so this binary has
//! one test, which adds them and runs the scenarios in sequence.

mod support;

use std::collections::HashSet;
use std::sync::Arc;

use crate::support::capture::{keys, kind, parse};
use eliot::{
    Destination, add_destination, add_global_fields, fields, log_message,
    register_exception_extractor, remove_destination, start_action, write_traceback,
};
use serde_json::{Map, Value};

#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused")
    }
}

impl std::error::Error for Refused {}

/// The lines of `message_type` (or action type), parsed.
fn lines_of(lines: &[String], message_type: &str) -> Vec<(String, Map<String, Value>)> {
    lines
        .iter()
        .map(|line| (line.clone(), parse(line)))
        .filter(|(_, message)| kind(message) == message_type)
        .collect()
}

#[test]
fn reserved_keys_stay_eliots_and_a_lines_own_field_wins() {
    let lines = Arc::new(crate::support::capture::Lines::default());
    let destination: Arc<dyn Destination> = lines.clone();
    add_destination(destination.clone());
    register_exception_extractor(|_: &Refused, fields| {
        fields.add("task_uuid", &"from the extractor");
        fields.add("code", &7);
    });
    add_global_fields(fields!(
        "timestamp" = "global",
        "t_region" = "eu",
        "reason" = "global reason",
    ));

    // A message with none of the global keys: the global `timestamp` comes
    // in renamed, once.
    log_message!("t:plain", x = 1);
    // A message's own reserved key wins over the global one of that name,
    // whether it was written as `timestamp` or as `user:timestamp`.
    log_message!("t:own_reserved", "timestamp" = "mine");
    log_message!("t:own_renamed", "user:timestamp" = "mine too");
    // Success fields: renamed, and they win over globals.
    {
        let action = start_action!("t:success");
        action.add_success_fields(fields!("timestamp" = "success", "t_region" = "us"));
    }
    // Extractor fields on a failed action and in a traceback; the failure's
    // own `reason` wins over the global one.
    start_action!("t:failure").finish_with_error(&Refused);
    write_traceback(&Refused);

    remove_destination(&destination).unwrap();
    let lines = lines.take();

    let mut checked = 0;
    for line in &lines {
        let keys = keys(line);
        let unique: HashSet<&String> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "a key written twice: {line}");
        checked += 1;
    }
    assert!(checked >= 7);

    let (line, plain) = &lines_of(&lines, "t:plain")[0];
    assert!(plain["timestamp"].is_f64(), "{line}");
    assert_eq!(plain["user:timestamp"], "global", "{line}");
    assert_eq!(plain["t_region"], "eu");

    for (message_type, own) in [("t:own_reserved", "mine"), ("t:own_renamed", "mine too")] {
        let (line, message) = &lines_of(&lines, message_type)[0];
        assert_eq!(message["user:timestamp"], own, "{line}");
        assert!(message["timestamp"].is_f64(), "{line}");
    }

    let success = lines_of(&lines, "t:success");
    let (line, end) = &success[1];
    assert_eq!(end["action_status"], "succeeded");
    assert!(end["timestamp"].is_f64(), "{line}");
    assert_eq!(end["user:timestamp"], "success", "{line}");
    assert_eq!(end["t_region"], "us", "{line}");

    let failure = lines_of(&lines, "t:failure");
    let (line, end) = &failure[1];
    assert_eq!(end["action_status"], "failed");
    assert_eq!(end["task_uuid"], failure[0].1["task_uuid"], "{line}");
    assert_eq!(end["user:task_uuid"], "from the extractor", "{line}");
    assert_eq!(end["code"], 7);
    assert_eq!(end["reason"], "refused", "{line}");
    assert_eq!(end["user:timestamp"], "global", "{line}");

    let (line, traceback) = &lines_of(&lines, "eliot:traceback")
        .into_iter()
        .find(|(_, m)| m["exception"].as_str().unwrap().ends_with("Refused"))
        .unwrap();
    assert_eq!(traceback["user:task_uuid"], "from the extractor", "{line}");
    assert!(
        traceback["task_uuid"].as_str().unwrap().len() == 36,
        "{line}"
    );
    assert_eq!(traceback["reason"], "refused", "{line}");
}
