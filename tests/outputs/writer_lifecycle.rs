//! ThreadedWriter's life: start registers, stop unregisters, misuse is a
//! typed error, the inner destination runs on the writer thread, and a
//! writer dropped without stop still writes what was queued.
//!
//! Tests here run in parallel and every writer sees every message of the
//! process, so each test looks only at its own message types.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::writer::{Slow, TempFile};
use eliot::{
    FileDestination, Message, ThreadedWriter, WriterError, destination_fn, log_message,
    remove_destination,
};

fn lines_of_type(path: &std::path::Path, message_type: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("every line is whole JSON"))
        .filter(|m| m["message_type"] == message_type)
        .collect()
}

#[test]
fn start_registers_and_stop_unregisters() {
    let log = TempFile::new("writer-lifecycle-registers");
    let path = &log.0;
    let writer = ThreadedWriter::new(FileDestination::create(path).unwrap());
    assert!(writer.registered_destination().is_none());
    writer.start().unwrap();
    assert!(writer.is_running());
    let registered = writer.registered_destination().unwrap();

    log_message!("test:lifecycle:before_stop", n = 1);
    let report = writer.stop().unwrap();
    assert!(report.written >= 1);
    assert_eq!(report.failed, 0);
    assert!(!writer.is_running());

    // Unregistered: a later remove is an error, later messages do not arrive.
    assert!(remove_destination(&registered).is_err());
    log_message!("test:lifecycle:after_stop", n = 2);
    assert_eq!(lines_of_type(path, "test:lifecycle:before_stop").len(), 1);
    assert!(lines_of_type(path, "test:lifecycle:after_stop").is_empty());
}

#[test]
fn misuse_is_a_typed_error() {
    let writer = ThreadedWriter::new(FileDestination::new(std::io::sink()));
    assert!(matches!(writer.stop(), Err(WriterError::NotStarted)));
    assert!(matches!(writer.shutdown(), Err(WriterError::NotStarted)));
    writer.start().unwrap();
    assert!(matches!(writer.start(), Err(WriterError::AlreadyStarted)));
    writer.stop().unwrap();
    assert!(matches!(writer.stop(), Err(WriterError::AlreadyStopped)));
    assert!(matches!(writer.start(), Err(WriterError::AlreadyStopped)));
    let message = WriterError::AlreadyStopped.to_string();
    assert!(message.contains("already stopped"), "{message}");
}

#[test]
fn inner_destination_runs_on_the_writer_thread() {
    let seen: Arc<Mutex<Vec<(String, std::thread::ThreadId)>>> = Arc::default();
    let recorder = {
        let seen = seen.clone();
        destination_fn(move |m: &Message| {
            if m.as_json().contains("test:lifecycle:which_thread") {
                let t = std::thread::current();
                seen.lock()
                    .unwrap()
                    .push((t.name().unwrap_or("").to_owned(), t.id()));
            }
        })
    };
    let writer = ThreadedWriter::new(recorder);
    writer.start().unwrap();
    for i in 0..10 {
        log_message!("test:lifecycle:which_thread", i = i);
    }
    writer.stop().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 10);
    for (name, id) in seen.iter() {
        assert_eq!(name, "eliot-writer");
        assert_ne!(*id, std::thread::current().id());
    }
}

#[test]
fn drop_without_stop_writes_everything_queued() {
    let log = TempFile::new("writer-lifecycle-dropped");
    let path = &log.0;
    // Sleeps in every batch: the queue fills while it works.
    let slow = Slow::new(
        FileDestination::create(path).unwrap(),
        Duration::from_millis(2),
    );
    let writer = ThreadedWriter::new(slow).with_capacity(64);
    writer.start().unwrap();
    let registered = writer.registered_destination().unwrap();
    for i in 0..5_000 {
        log_message!("test:lifecycle:drop", i = i);
    }
    let started = Instant::now();
    drop(writer);
    assert!(started.elapsed() < Duration::from_secs(30));
    let lines = lines_of_type(path, "test:lifecycle:drop");
    assert_eq!(lines.len(), 5_000);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["i"], i);
    }
    // Dropping unregistered it.
    assert!(remove_destination(&registered).is_err());
}

#[test]
fn report_counts_what_was_written() {
    let sink: Arc<Mutex<u64>> = Arc::default();
    let counter = {
        let sink = sink.clone();
        destination_fn(move |m: &Message| {
            if m.as_json().contains("test:lifecycle:counted") {
                *sink.lock().unwrap() += 1;
            }
        })
    };
    let writer = ThreadedWriter::new(counter);
    assert_eq!(writer.report(), Default::default());
    writer.start().unwrap();
    for _ in 0..1000 {
        log_message!("test:lifecycle:counted");
    }
    let report = writer.stop().unwrap();
    assert_eq!(*sink.lock().unwrap(), 1000);
    assert!(report.written >= 1000);
    assert_eq!((report.dropped, report.failed), (0, 0));
    // Other tests' threads may still deliver a message or two through
    // their stale snapshot of the registry: written late, counted.
    let later = writer.report();
    assert_eq!(later.written - later.late, report.written - report.late);
}
