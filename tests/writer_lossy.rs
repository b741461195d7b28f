//! The explicit lossy mode: a full queue drops messages instead of waiting,
//! and the log then says how many were dropped.

use std::sync::{Arc, Condvar, Mutex};

use eliot::{Destination, DestinationError, FileDestination, Message, ThreadedWriter, log_message};

/// A `Write` into memory that the test can still read after the writer is
/// gone (the registry's per-thread snapshots may keep the writer's handle,
/// and so its destination, alive a while).
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

struct Gated {
    file: FileDestination<SharedBuf>,
    gate: Arc<(Mutex<bool>, Condvar)>,
}

impl Destination for Gated {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.write_batch(std::slice::from_ref(message))
    }
    fn write_batch(&self, messages: &[Message]) -> Result<(), DestinationError> {
        let (open, changed) = &*self.gate;
        let mut open = open.lock().unwrap();
        while !*open {
            open = changed.wait(open).unwrap();
        }
        self.file.write_batch(messages)
    }
}

#[test]
fn lossy_mode_drops_and_reports_the_count_in_the_log() {
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let buf = SharedBuf::default();
    let gated = Arc::new(Gated {
        file: FileDestination::new(buf.clone()),
        gate: gate.clone(),
    });
    let writer = ThreadedWriter::new(gated.clone()).with_capacity(16).lossy();
    writer.start().unwrap();
    let started = std::time::Instant::now();
    for i in 0..1000 {
        log_message!("test:lossy", i = i);
    }
    // Never waited for the blocked destination.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    let report = writer.stop().unwrap();
    let text = buf.text();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kept: Vec<u64> = lines
        .iter()
        .filter(|m| m["message_type"] == "test:lossy")
        .map(|m| m["i"].as_u64().unwrap())
        .collect();
    let notices: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|m| m["message_type"] == "eliot:messages_dropped")
        .collect();

    assert!(report.dropped > 0);
    assert!(!notices.is_empty());
    let noticed: u64 = notices.iter().map(|m| m["dropped"].as_u64().unwrap()).sum();
    assert_eq!(noticed, report.dropped);
    assert_eq!(notices[0]["capacity"], 16);
    assert_eq!(kept.len() as u64 + report.dropped, 1000);
    assert!(
        kept.windows(2).all(|w| w[0] < w[1]),
        "kept messages stay in order"
    );
    assert_eq!(report.written as usize, lines.len());
    // What the writer took before it blocked (one batch) plus a full
    // queue: memory is bounded by the queue and the batch size.
    assert!(kept.len() <= 16 + eliot::MAX_BATCH, "{} kept", kept.len());
}
