//! 8 producer threads x 100,000 messages through one ThreadedWriter into a
//! file: every line present, whole, and each producer's order preserved.

mod support;

use crate::support::writer::TempFile;
use eliot::{FileDestination, ThreadedWriter, log_message};

const PRODUCERS: usize = 8;
const PER_PRODUCER: u64 = 100_000;

#[test]
fn eight_producers_lose_nothing_and_keep_their_order() {
    // Over 100 MB: removed at the end, also when the test fails.
    let log = TempFile::new("producers");
    let path = &log.0;
    // A small queue, so that backpressure is exercised too.
    let writer = ThreadedWriter::new(FileDestination::create(path).unwrap()).with_capacity(1024);
    writer.start().unwrap();
    std::thread::scope(|s| {
        for p in 0..PRODUCERS {
            s.spawn(move || {
                for seq in 0..PER_PRODUCER {
                    log_message!("test:producers", producer = p, seq = seq, pad = "some text");
                }
            });
        }
    });
    let report = writer.stop().unwrap();
    assert_eq!(report.written, PRODUCERS as u64 * PER_PRODUCER);
    assert_eq!((report.dropped, report.failed), (0, 0));

    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.ends_with('\n'));
    let mut next = [0u64; PRODUCERS];
    let mut count = 0u64;
    for (n, line) in text.lines().enumerate() {
        // User fields come first: {"producer":P,"seq":S,...}
        let rest = line
            .strip_prefix("{\"producer\":")
            .unwrap_or_else(|| panic!("line {n}: {line}"));
        let (p, rest) = rest.split_once(",\"seq\":").unwrap();
        let (seq, _) = rest.split_once(',').unwrap();
        let (p, seq): (usize, u64) = (p.parse().unwrap(), seq.parse().unwrap());
        assert_eq!(seq, next[p], "line {n}: producer {p} out of order");
        next[p] += 1;
        assert!(
            line.ends_with("\"message_type\":\"test:producers\"}"),
            "line {n} is not whole: {line}"
        );
        if n % 997 == 0 {
            let _: serde_json::Value = serde_json::from_str(line).unwrap();
        }
        count += 1;
    }
    assert_eq!(count, PRODUCERS as u64 * PER_PRODUCER);
    assert!(next.iter().all(|&n| n == PER_PRODUCER));
}
