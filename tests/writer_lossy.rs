//! The explicit lossy mode: a full queue drops messages instead of waiting,
//! and the log then says how many were dropped.

mod support;

use std::sync::Arc;

use crate::support::writer::{Gated, SharedBuf};
use eliot::{FileDestination, ThreadedWriter, log_message};

#[test]
fn lossy_mode_drops_and_reports_the_count_in_the_log() {
    let buf = SharedBuf::default();
    let gated = Arc::new(Gated::new(FileDestination::new(buf.clone())));
    let writer = ThreadedWriter::new(gated.clone()).with_capacity(16).lossy();
    writer.start().unwrap();
    let started = std::time::Instant::now();
    for i in 0..1000 {
        log_message!("test:lossy", i = i);
    }
    // Never waited for the blocked destination.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    gated.open();
    let report = writer.stop().unwrap();
    let lines = buf.json_lines();
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
