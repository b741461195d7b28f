//! A light load reaches the file promptly, without a stop: while the
//! writer thread polls an empty queue, and after it went to sleep on it.
//!
//! One test in this file, so that nothing else keeps the writer busy.

mod support;

use std::time::{Duration, Instant};

use crate::support::writer::TempFile;
use eliot::{FileDestination, ThreadedWriter, log_message};

fn lines_of_type(path: &std::path::Path, message_type: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| l.ends_with(&format!("\"message_type\":\"{message_type}\"}}")))
        .count()
}

/// Polls `path` until a line of `message_type` is there, or gives up.
fn wait_for_line(path: &std::path::Path, message_type: &str, within: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < within {
        if lines_of_type(path, message_type) == 1 {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

#[test]
fn a_light_load_reaches_the_file_promptly_without_a_stop() {
    let log = TempFile::new("light-load");
    let path = &log.0;
    let writer = ThreadedWriter::new(FileDestination::create(path).unwrap());
    writer.start().unwrap();
    // While the writer polls, and after it went to sleep on an idle queue.
    log_message!("test:lifecycle:prompt_polling");
    assert!(wait_for_line(
        path,
        "test:lifecycle:prompt_polling",
        Duration::from_secs(2)
    ));
    std::thread::sleep(eliot::SLEEP_AFTER_IDLE + Duration::from_millis(50));
    log_message!("test:lifecycle:prompt_sleeping");
    assert!(wait_for_line(
        path,
        "test:lifecycle:prompt_sleeping",
        Duration::from_secs(2)
    ));
    writer.stop().unwrap();
}
