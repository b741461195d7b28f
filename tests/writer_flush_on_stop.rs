//! Eliot's own ThreadedWriter scenario: with the wrapped destination
//! blocked, queue 100 messages and stop; stop returns only once all 100 are
//! written, and the file then holds exactly those 100 lines.
//!
//! One test in this file: it needs a registry with no other destination.

mod support;

use std::sync::Arc;
use std::time::Duration;

use crate::support::writer::{Gated, wait_for};
use eliot::{FileDestination, ThreadedWriter, log_message};

#[test]
fn stop_waits_for_a_blocked_destination_and_writes_every_queued_message() {
    let path = std::env::temp_dir().join(format!("eliot-flush-on-stop-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let gated = Arc::new(Gated::new(FileDestination::create(&path).unwrap()));
    let writer = Arc::new(ThreadedWriter::new(gated.clone()));
    writer.start().unwrap();
    for i in 0..100 {
        log_message!("test:flush_on_stop", i = i);
    }

    let stopper = {
        let writer = writer.clone();
        std::thread::spawn(move || writer.stop().unwrap())
    };
    // The stop is under way (the writer is no longer running: `stop` has
    // begun) before the test looks whether it returned too early.
    wait_for("the stop to begin", || !writer.is_running());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !stopper.is_finished(),
        "stop returned while the destination was blocked"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "");

    gated.open();
    let report = stopper.join().unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 100);
    for (i, line) in lines.iter().enumerate() {
        let message: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(message["message_type"], "test:flush_on_stop");
        assert_eq!(message["i"], i);
    }
    assert_eq!((report.written, report.dropped, report.failed), (100, 0, 0));
    let _ = std::fs::remove_file(&path);
}
