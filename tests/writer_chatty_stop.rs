//! A destination that logs while it writes or flushes, behind a
//! ThreadedWriter whose handle is reached through a destination forwarding
//! to it (a filter, say): what it logs comes back to its own writer thread,
//! also during the final drain of a stop.
//!
//! One test in this file, running its scenarios in sequence: each replaces
//! its writer's registration with a forwarder, which sees every message of
//! the process.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::support::writer::{SharedBuf, wait_for};
use eliot::{
    Destination, DestinationError, FileDestination, Message, ThreadedWriter, WriterReport,
    add_destination, destination_fn, log_message, remove_destination,
};

fn is_type(message: &Message, message_type: &str) -> bool {
    message
        .as_json()
        .contains(&format!("\"message_type\":\"{message_type}\""))
}

/// Starts `destination` behind a writer registered through a forwarder,
/// logs `test:chatty:message` `count` times, runs `before_stop`, stops
/// (failing if the stop does not return), and unregisters the forwarder.
fn run(
    destination: Arc<dyn Destination>,
    count: usize,
    before_stop: impl FnOnce(&ThreadedWriter),
) -> WriterReport {
    let writer = Arc::new(ThreadedWriter::new(destination));
    writer.start().unwrap();
    let handle = writer.registered_destination().unwrap();
    remove_destination(&handle).unwrap();
    let forwarder = add_destination(destination_fn(move |m: &Message| {
        let _ = handle.write(m);
    }));
    for i in 0..count {
        log_message!("test:chatty:message", i = i);
    }
    before_stop(&writer);
    let stopper = {
        let writer = writer.clone();
        std::thread::spawn(move || writer.stop().unwrap())
    };
    wait_for("stop to return", || stopper.is_finished());
    let report = stopper.join().unwrap();
    remove_destination(&forwarder).unwrap();
    report
}

/// Logs a note on every write; writes only the test's messages, and counts
/// its notes (so that a writer that never stops does not fill the memory).
struct Chatty {
    file: FileDestination<SharedBuf>,
    notes: AtomicU64,
}

impl Destination for Chatty {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.write_batch(std::slice::from_ref(message))
    }

    fn write_batch(&self, messages: &[Message]) -> Result<(), DestinationError> {
        let notes = messages
            .iter()
            .filter(|m| is_type(m, "test:chatty:wrote"))
            .count();
        self.notes.fetch_add(notes as u64, Ordering::Relaxed);
        let own: Vec<Message> = messages
            .iter()
            .filter(|m| is_type(m, "test:chatty:message"))
            .cloned()
            .collect();
        self.file.write_batch(&own)?;
        log_message!("test:chatty:wrote", lines = messages.len());
        Ok(())
    }
}

/// Once armed, logs a note on every flush, and fails the first write of a
/// note.
struct NoteOnFlush {
    file: FileDestination<SharedBuf>,
    armed: AtomicBool,
    failed_once: AtomicBool,
    flushes: AtomicU64,
}

impl Destination for NoteOnFlush {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.write_batch(std::slice::from_ref(message))
    }

    fn write_batch(&self, messages: &[Message]) -> Result<(), DestinationError> {
        if messages.iter().any(|m| is_type(m, "test:chatty:note"))
            && !self.failed_once.swap(true, Ordering::Relaxed)
        {
            return Err(std::io::Error::other("notes are refused once").into());
        }
        self.file.write_batch(messages)
    }

    fn flush(&self) -> Result<(), DestinationError> {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        if self.armed.load(Ordering::Relaxed) {
            log_message!("test:chatty:note");
        }
        Ok(())
    }
}

#[test]
fn a_destination_that_logs_while_the_writer_stops() {
    // 1. It logs on every write: each write during the final drain brings
    //    one more message to write. The stop returns all the same, with
    //    every queued message written.
    let buf = SharedBuf::default();
    let chatty = Arc::new(Chatty {
        file: FileDestination::new(buf.clone()),
        notes: AtomicU64::new(0),
    });
    let report = run(chatty.clone(), 10, |_| {});
    let lines = buf.json_lines();
    assert_eq!(lines.len(), 10, "{lines:?}");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["i"], i);
    }
    assert_eq!(report.failed, 0);
    // The notes it logged came back and were written too, a few rounds of
    // them at the end.
    let notes = chatty.notes.load(Ordering::Relaxed);
    assert!(notes >= 1, "{notes}");
    assert!(report.written >= 10 + notes, "{report:?}, {notes} notes");

    // 2. It logs on the final flush, and the write of that note fails: the
    //    report of the failure, logged after the last batch of the drain,
    //    is still written.
    let buf = SharedBuf::default();
    let noting = Arc::new(NoteOnFlush {
        file: FileDestination::new(buf.clone()),
        armed: AtomicBool::new(false),
        failed_once: AtomicBool::new(false),
        flushes: AtomicU64::new(0),
    });
    let report = run(noting.clone(), 5, |writer| {
        // Written and flushed: the writer thread now waits for more, and
        // flushes again only in its final drain.
        wait_for("the messages to be written and flushed", || {
            writer.report().written == 5 && noting.flushes.load(Ordering::Relaxed) > 0
        });
        noting.armed.store(true, Ordering::Relaxed);
    });
    let lines = buf.json_lines();
    let of = |t: &str| lines.iter().filter(|m| m["message_type"] == t).count();
    assert_eq!(of("test:chatty:message"), 5);
    assert_eq!(report.failed, 1, "{report:?}");
    // Twice, in fact: once through the forwarder, and once as the copy an
    // unregistered writer gives its own destination.
    assert!(
        of("eliot:destination_failure") >= 1,
        "the report of the failed note was written: {lines:?}"
    );
    assert!(of("test:chatty:note") >= 1, "{lines:?}");
}
