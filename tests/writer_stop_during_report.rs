//! A stop that lands while a ThreadedWriter reports its destination's
//! failure: the report reaches the destination exactly once, whether the
//! writer's handle was still registered when the report was delivered or
//! not. (Deciding by the writer's "closed" flag after the delivery wrote it
//! twice when the stop fell in between; writer_panicking caught it about
//! once in twelve runs.)
//!
//! One test in this file: the stop is made to fall in between
//! deterministically, by a second destination that calls `shutdown` when it
//! receives the report.

mod support;

use std::sync::{Arc, Mutex, OnceLock};

use crate::support::writer::wait_for;
use eliot::{
    Destination, DestinationError, Message, ThreadedWriter, add_destination, log_message,
    remove_destination,
};

/// Keeps what it is given; fails the `test:stop_during_report:bad` message.
#[derive(Default)]
struct FailsOnce(Mutex<Vec<String>>);

impl Destination for FailsOnce {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        if message
            .as_json()
            .ends_with(r#""message_type":"test:stop_during_report:bad"}"#)
        {
            return Err(std::io::Error::other("refused").into());
        }
        self.0.lock().unwrap().push(message.as_json().to_owned());
        Ok(())
    }
}

fn is_report(line: &str) -> bool {
    line.contains(r#""message_type":"eliot:destination_failure""#)
}

#[test]
fn a_stop_during_the_failure_report_writes_the_report_once() {
    let inner = Arc::new(FailsOnce::default());
    let writer = Arc::new(ThreadedWriter::new(inner.clone()));
    // Registered after the writer's handle, so the handle gets the report
    // first; then this destination stops the writer (without waiting: it
    // runs on the writer thread).
    let to_stop: Arc<OnceLock<Arc<ThreadedWriter>>> = Arc::default();
    let shutdown = Arc::new(Mutex::new(None));
    writer.start().unwrap();
    let stopper = {
        let to_stop = to_stop.clone();
        let shutdown = shutdown.clone();
        add_destination(eliot::destination_fn(move |m: &Message| {
            if is_report(m.as_json())
                && m.as_json().contains("refused")
                && let Some(writer) = to_stop.get()
            {
                let mut slot = shutdown.lock().unwrap();
                if slot.is_none() {
                    *slot = Some(writer.shutdown().unwrap());
                }
            }
        }))
    };
    to_stop.set(writer.clone()).ok().unwrap();

    log_message!("test:stop_during_report:before");
    log_message!("test:stop_during_report:bad");
    wait_for("the stopper to shut the writer down", || {
        shutdown.lock().unwrap().is_some()
    });
    let report = shutdown.lock().unwrap().take().unwrap().wait();
    remove_destination(&stopper).unwrap();

    let lines = inner.0.lock().unwrap();
    let reports: Vec<&String> = lines.iter().filter(|l| is_report(l)).collect();
    assert_eq!(reports.len(), 1, "{lines:#?}");
    assert!(reports[0].contains("refused"), "{}", reports[0]);
    // The bad message's batch fails as a whole (it may hold `before` too).
    assert!((1..=2).contains(&report.failed), "{report:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains(r#""message_type":"test:stop_during_report:before""#))
    );
}
