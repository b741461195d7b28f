//! `eliot::relay` writes a message serialized elsewhere (a child process's
//! line) to the destinations as it is, with the global fields it lacks, and
//! into a test's own logger inside one.

mod support;

use std::sync::Arc;

use crate::support::capture::{Lines, parse};
use eliot::testing::MemoryLogger;
use eliot::{Message, add_destination, add_global_fields, fields, relay, remove_destination};

const CHILD_LINE: &str = r#"{"value":1,"timestamp":1795682709.2274003,"task_uuid":"33eb52ae-a906-4532-b550-dbf7c91a0806","task_level":[2],"message_type":"child:note"}"#;

#[test]
fn a_relayed_line_is_written_as_it_is_plus_missing_global_fields() {
    add_global_fields(fields!(relay_host = "edge-1", value = 99));
    let lines = Arc::new(Lines::default());
    let handle = add_destination(lines.clone());
    relay(&Message::from_json(CHILD_LINE).unwrap());
    remove_destination(&handle).unwrap();
    let written: Vec<String> = lines
        .take()
        .into_iter()
        .filter(|l| l.contains("child:note"))
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    // The line is kept byte for byte; the global field it lacks follows.
    let expected = format!(
        "{},\"relay_host\":\"edge-1\"}}",
        &CHILD_LINE[..CHILD_LINE.len() - 1]
    );
    assert_eq!(written[0], expected);
    let message = parse(&written[0]);
    assert_eq!(message["value"], 1, "its own field wins");
    assert_eq!(message["task_level"], serde_json::json!([2]));
}

#[test]
fn inside_a_test_logger_a_relayed_line_goes_to_it() {
    let logger = MemoryLogger::new();
    logger.run(|| relay(&Message::from_json(CHILD_LINE).unwrap()));
    let messages = logger.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["message_type"], "child:note");
}
