//! Messages logged before any destination exists are kept (the newest 1000)
//! and delivered to the first destinations added (Eliot issue #260).
//!
//! One test in its own binary: it needs a process where no destination was
//! ever added.

mod support;

use std::sync::Arc;

use crate::support::capture::{Lines, parse};
use eliot::{
    STARTUP_BUFFER_SIZE, add_destination, add_destinations, log_message, remove_destination,
};

#[test]
fn the_first_destinations_receive_the_startup_buffer() {
    let early = STARTUP_BUFFER_SIZE + 5;
    for i in 0..early {
        log_message!("t:early", i = i);
    }
    let first = Arc::new(Lines::default());
    let second = Arc::new(Lines::default());
    add_destinations([first.clone(), second.clone()]);
    log_message!("t:after_setup");
    let late = Arc::new(Lines::default());
    let late_handle = add_destination(late.clone());
    log_message!("t:after_late");

    for destination in [&first, &second] {
        let lines = destination.take();
        let messages: Vec<_> = lines.iter().map(|l| parse(l)).collect();
        let early_seen: Vec<u64> = messages
            .iter()
            .filter(|m| m["message_type"] == "t:early")
            .map(|m| m["i"].as_u64().unwrap())
            .collect();
        // The newest 1000 are kept, in order.
        assert_eq!(early_seen, (5..early as u64).collect::<Vec<_>>());
        let overflow = messages
            .iter()
            .find(|m| m["message_type"] == "eliot:startup_buffer_overflow")
            .expect("the overflow is reported, not silent");
        assert_eq!(overflow["dropped"], 5);
        assert_eq!(overflow["kept"], 1000);
        assert!(
            messages
                .iter()
                .any(|m| m["message_type"] == "t:after_setup")
        );
    }
    let late_lines = late.take();
    assert_eq!(
        late_lines.len(),
        1,
        "a later destination gets no replay: {late_lines:?}"
    );
    assert!(late_lines[0].contains("t:after_late"));
    remove_destination(&late_handle).unwrap();
}
