//! Global fields reach the messages held in the startup buffer when they
//! are delivered, as in Python Eliot (whose global fields are added when a
//! message is written), not only messages logged after `add_global_fields`.
//!
//! One test in its own binary: it needs a process where no destination was
//! ever added.

mod support;

use std::sync::Arc;

use crate::support::capture::{Lines, parse};
use eliot::{add_destination, add_global_fields, fields, log_message};

#[test]
fn global_fields_added_before_the_first_destination_reach_buffered_messages() {
    log_message!("t:before_globals", i = 1);
    log_message!("t:own_service", service = "mine");
    add_global_fields(fields!(service = "billing", pid = 42));
    log_message!("t:after_globals");
    let lines = Arc::new(Lines::default());
    add_destination(lines.clone());
    log_message!("t:delivered_directly");

    let messages: Vec<_> = lines.take().iter().map(|l| parse(l)).collect();
    let find = |kind: &str| {
        messages
            .iter()
            .find(|m| m["message_type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {messages:#?}"))
    };
    for kind in [
        "t:before_globals",
        "t:after_globals",
        "t:delivered_directly",
    ] {
        let message = find(kind);
        assert_eq!(message["service"], "billing", "{kind}");
        assert_eq!(message["pid"], 42, "{kind}");
    }
    assert_eq!(find("t:before_globals")["i"], 1);
    // A message's own field is never overridden by a global one.
    let own = find("t:own_service");
    assert_eq!(own["service"], "mine");
    assert_eq!(own["pid"], 42);
}
