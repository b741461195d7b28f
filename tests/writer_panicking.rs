//! A wrapped destination that panics does not kill logging: the panic is
//! caught, reported (exception "panic", reason the panic message), counted,
//! and later messages are written.

mod support;

use std::sync::{Arc, Mutex};

use crate::support::writer::wait_for;
use eliot::{Destination, DestinationError, Message, ThreadedWriter, log_message};

/// Keeps the lines it is given, and panics on the `test:panicking:bad` one.
#[derive(Default)]
struct Touchy(Mutex<Vec<String>>);

impl Destination for Touchy {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        // Only the message itself, not a report that quotes it.
        if message
            .as_json()
            .ends_with(r#""message_type":"test:panicking:bad"}"#)
        {
            panic!("Touchy cannot stand {}", "boom");
        }
        self.0.lock().unwrap().push(message.as_json().to_owned());
        Ok(())
    }
}

#[test]
fn a_panicking_destination_does_not_stop_the_writer() {
    let touchy = Arc::new(Touchy::default());
    let writer = ThreadedWriter::new(touchy.clone());
    writer.start().unwrap();
    for i in 0..20 {
        log_message!("test:panicking:before", i = i);
    }
    log_message!("test:panicking:bad", word = "boom");
    wait_for("the panic to be counted", || writer.report().failed > 0);
    for i in 0..20 {
        log_message!("test:panicking:after", i = i);
    }
    let report = writer.stop().unwrap();

    let lines = touchy.0.lock().unwrap();
    let of = |t: &str| {
        lines
            .iter()
            .filter(|l| l.contains(&format!("\"message_type\":\"{t}\"")))
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    // Every message after the panic got through, in order.
    let after = of("test:panicking:after");
    assert_eq!(after.len(), 20);
    assert!(after.iter().enumerate().all(|(i, m)| m["i"] == i));
    // The report of the panic was written once the destination worked.
    let reports = of("eliot:destination_failure");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["exception"], eliot::PANIC_EXCEPTION);
    assert_eq!(reports[0]["reason"], "Touchy cannot stand boom");
    // The batch that held the bad message counts as failed as a whole
    // (the default `write_batch` may have written the part before it):
    // every message before the panic was written or counted.
    let before = of("test:panicking:before").len() as u64;
    assert!((1..=21).contains(&report.failed), "{report:?}");
    assert!(before + report.failed >= 21, "{before} + {report:?}");
    // Lines written before the panic in its batch are there but counted as
    // failed, never as written.
    let lines = lines.len() as u64;
    assert!(report.written <= lines && lines <= report.written + report.failed);
}
