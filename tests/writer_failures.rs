//! A failing destination is visible, never fatal: `/dev/full`, a closed
//! pipe, a destination that fails for a while and recovers. Each run of
//! failures is reported once (stderr and an `eliot:destination_failure`
//! message), every failed message is counted, and writing goes on.
//!
//! One test running the scenarios in sequence: each counts the failure
//! reports of the whole registry.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::support::writer::{SharedBuf, wait_for};
use eliot::{
    Destination, DestinationError, FileDestination, Message, ThreadedWriter, add_destination,
    destination_fn, log_message, remove_destination,
};

/// Collects the `eliot:destination_failure` messages of the whole process.
fn failure_reports() -> (Arc<dyn Destination>, Arc<Mutex<Vec<serde_json::Value>>>) {
    let seen: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let collector = {
        let seen = seen.clone();
        destination_fn(move |m: &Message| {
            if m.as_json()
                .contains("\"message_type\":\"eliot:destination_failure\"")
            {
                seen.lock()
                    .unwrap()
                    .push(serde_json::from_str(m.as_json()).unwrap());
            }
        })
    };
    (add_destination(collector), seen)
}

/// Fails its first `failures` batches, then writes into the buffer.
struct Flaky {
    file: FileDestination<SharedBuf>,
    failures: AtomicU64,
}

impl Destination for Flaky {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.write_batch(std::slice::from_ref(message))
    }
    fn write_batch(&self, messages: &[Message]) -> Result<(), DestinationError> {
        if self
            .failures
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "disk is busy").into());
        }
        self.file.write_batch(messages)
    }
}

#[test]
fn failing_destinations_are_reported_counted_and_survived() {
    // 1. /dev/full: every write fails with ENOSPC.
    let (collector, reports) = failure_reports();
    let writer = ThreadedWriter::new(FileDestination::create("/dev/full").unwrap());
    writer.start().unwrap();
    for i in 0..100 {
        log_message!("test:failures:full", i = i);
    }
    // Writing goes on after the first failure: these are attempted too.
    wait_for("the first 100 messages to fail", || {
        writer.report().failed >= 100
    });
    for i in 0..100 {
        log_message!("test:failures:full_again", i = i);
    }
    let report = writer.stop().unwrap();
    assert_eq!(report.written, 0);
    // 200 messages plus the failure report, which also reached this writer.
    assert_eq!(report.failed, 201);
    {
        let reports = reports.lock().unwrap();
        assert_eq!(reports.len(), 1, "reported once: {reports:?}");
        assert_eq!(reports[0]["exception"], "std::io::error::Error");
        let reason = reports[0]["reason"].as_str().unwrap();
        assert!(reason.contains("No space left on device"), "{reason}");
        assert_eq!(reports[0]["message"]["message_type"], "test:failures:full");
    }
    remove_destination(&collector).unwrap();

    // 2. A pipe whose reader is gone: EPIPE, the process lives on.
    let (collector, reports) = failure_reports();
    let (reader, pipe) = std::io::pipe().unwrap();
    drop(reader);
    let writer = ThreadedWriter::new(FileDestination::new(pipe));
    writer.start().unwrap();
    for i in 0..50 {
        log_message!("test:failures:pipe", i = i);
    }
    let report = writer.stop().unwrap();
    assert_eq!((report.written, report.failed), (0, 51));
    {
        let reports = reports.lock().unwrap();
        assert_eq!(reports.len(), 1);
        assert!(
            reports[0]["reason"]
                .as_str()
                .unwrap()
                .contains("Broken pipe"),
            "{reports:?}"
        );
    }
    remove_destination(&collector).unwrap();

    // 3. A destination that fails once then recovers: later messages are
    //    written, and so is the report of the failure.
    let (collector, reports) = failure_reports();
    let buf = SharedBuf::default();
    let flaky = Arc::new(Flaky {
        file: FileDestination::new(buf.clone()),
        failures: AtomicU64::new(1),
    });
    let writer = ThreadedWriter::new(flaky.clone());
    writer.start().unwrap();
    log_message!("test:failures:flaky", i = 0);
    wait_for("the first batch to fail", || writer.report().failed > 0);
    for i in 1..=100 {
        log_message!("test:failures:flaky", i = i);
    }
    let report = writer.stop().unwrap();
    let written = buf.json_lines();
    assert_eq!(report.written as usize, written.len());
    assert_eq!(report.failed, 1);
    let kinds = |t: &str| written.iter().filter(|m| m["message_type"] == t).count();
    // Whatever failed was counted; the rest is there.
    assert_eq!(kinds("test:failures:flaky") as u64 + report.failed, 101);
    assert_eq!(
        kinds("eliot:destination_failure"),
        1,
        "the report reached the recovered destination"
    );
    assert_eq!(reports.lock().unwrap().len(), 1);
    remove_destination(&collector).unwrap();
}
