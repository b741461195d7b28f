//! Rotation under concurrent writers: 8 threads logging into a rotating
//! file, through a ThreadedWriter and straight through a FileDestination.
//! No line is lost or split; each thread's order is preserved across files.
//!
//! One test, running both set-ups in sequence on a quiet registry.

mod support;

use std::path::Path;

use crate::support::writer::{files_oldest_first, fresh_dir};
use eliot::{
    FileDestination, RotatingFile, ThreadedWriter, add_destination, log_message, remove_destination,
};

const THREADS: usize = 8;
const PER_THREAD: u64 = 20_000;

fn produce() {
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                for seq in 0..PER_THREAD {
                    log_message!("test:rotation:concurrent", t = t, seq = seq);
                }
            });
        }
    });
}

fn check(path: &Path) -> usize {
    let files = files_oldest_first(path);
    let mut next = [0u64; THREADS];
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.ends_with('\n'), "{} ends mid-line", file.display());
        for line in text.lines() {
            let message: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}: split line {line:?}: {e}", file.display()));
            let t = message["t"].as_u64().unwrap() as usize;
            assert_eq!(message["seq"], next[t], "{}: thread {t}", file.display());
            next[t] += 1;
        }
    }
    assert!(next.iter().all(|&n| n == PER_THREAD), "{next:?}");
    files.len()
}

#[test]
fn many_threads_rotate_without_losing_or_splitting_lines() {
    let dir = fresh_dir("rotation-concurrent");

    let threaded = dir.join("threaded.log");
    let file = RotatingFile::builder()
        .max_bytes(256 * 1024)
        .keep(10_000)
        .open(&threaded)
        .unwrap();
    let writer = ThreadedWriter::new(FileDestination::new(file)).with_capacity(512);
    writer.start().unwrap();
    produce();
    let report = writer.stop().unwrap();
    assert_eq!(report.written, THREADS as u64 * PER_THREAD);
    assert!(check(&threaded) > 10);

    let direct = dir.join("direct.log");
    let file = RotatingFile::builder()
        .max_bytes(256 * 1024)
        .keep(10_000)
        .open(&direct)
        .unwrap();
    let destination = add_destination(FileDestination::new(file));
    produce();
    remove_destination(&destination).unwrap();
    assert!(check(&direct) > 10);
    let _ = std::fs::remove_dir_all(&dir);
}
