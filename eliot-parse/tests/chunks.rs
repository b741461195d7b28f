//! A log read in chunks, each scanned on another thread, gives the events
//! that iterating the reader gives, in the same order: on a large log of
//! interleaved tasks with every kind of bad line, split over several
//! inputs, read through buffers of every size, with and without a filter
//! of tasks; and on the reference logs written by Python's Eliot.

use std::io::{BufReader, Cursor};
use std::sync::mpsc;
use std::thread;

use eliot_parse::{Event, LogReader, Parser};

/// A log of `tasks` tasks (nested actions, messages), interleaved, with a
/// bad line of some kind now and then, and no newline after its last line.
fn log(tasks: usize) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut open: Vec<(usize, u32)> = Vec::new(); // (task, lines written)
    let mut next = 0;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut random = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    while next < tasks || !open.is_empty() {
        if next < tasks && (open.len() < 20 || open.is_empty()) {
            open.push((next, 0));
            next += 1;
        }
        let at = random(open.len() as u64) as usize;
        let (task, written) = &mut open[at];
        let task = *task;
        let uuid = format!("task-{task:05}");
        let line = match *written {
            0 => format!(
                r#"{{"action_status":"started","timestamp":{task}.5,"task_uuid":"{uuid}","action_type":"app:request","task_level":[1],"path":"/x/{task}"}}"#
            ),
            1 => format!(
                r#"{{"timestamp":{task}.6,"task_uuid":"{uuid}","task_level":[2],"message_type":"app:note","n":{task},"tags":["a","\u00e9"]}}"#
            ),
            2 => format!(
                r#"{{"action_status":"started","timestamp":{task}.7,"task_uuid":"{uuid}","action_type":"app:step","task_level":[3,1]}}"#
            ),
            3 => format!(
                r#"{{"action_status":"succeeded","timestamp":{task}.8,"task_uuid":"{uuid}","action_type":"app:step","task_level":[3,2],"rows":7}}"#
            ),
            _ => format!(
                r#"{{"action_status":"succeeded","timestamp":{task}.9,"task_uuid":"{uuid}","action_type":"app:request","task_level":[4]}}"#
            ),
        };
        // Every fifth task never ends.
        let last = if task % 5 == 0 { 3 } else { 4 };
        if *written == last {
            open.swap_remove(at);
        } else {
            *written += 1;
        }
        lines.push(line.into_bytes());
        let bad: &[u8] = match random(40) {
            0 => b"not json",
            1 => b"",
            2 => b"{\"timestamp\":1.0,\"task_uuid\":\"glued\",\"task_level\":[1],\"message_type\":\"m\"}{\"x\":",
            3 => b"{\"v\":1e400,\"timestamp\":1.0,\"task_uuid\":\"huge\",\"task_level\":[1],\"message_type\":\"m\"}",
            4 => b"{\"s\":\"\\udce9\",\"timestamp\":1.0,\"task_uuid\":\"lone\",\"task_level\":[1],\"message_type\":\"m\"}",
            5 => b"{\"timestamp\":1.0,\"task_level\":[1],\"message_type\":\"no uuid\"}",
            6 => b"\xff\xfe not utf-8",
            7 => b"{\"timestamp\":2.0,\"task_uuid\":\"crlf\",\"task_level\":[1],\"message_type\":\"m\"}\r",
            8 => b"   ",
            9 => b"{\"timestamp\":1.0,\"task_uuid\":\"task-00001\",\"task_level\":[2],\"message_type\":\"again\"}",
            10 => b"{\"timestamp\":1.0,\"task_uuid\":\"g1\",\"task_level\":[1],\"message_type\":\"m\"} {\"timestamp\":1.0,\"task_uuid\":\"g2\",\"task_level\":[1],\"message_type\":\"m\"}",
            _ => continue,
        };
        lines.push(bad.to_vec());
    }
    let mut text = lines.join(&b'\n');
    text.extend_from_slice(b"\n{\"timestamp\":9.0,\"task_uuid\":\"cut\",\"task_level\":[1],\"mess");
    text
}

/// The log split into three inputs, read through buffers of `capacity`.
fn reader(log: &[u8], capacity: usize, parser: Parser) -> LogReader {
    let mut reader = LogReader::with_parser(parser);
    let thirds = [0, log.len() / 3, 2 * log.len() / 3, log.len()];
    for (i, range) in thirds.windows(2).enumerate() {
        let part = Cursor::new(log[range[0]..range[1]].to_vec());
        reader.add_input(
            format!("part{i}.log"),
            BufReader::with_capacity(capacity, part),
        );
    }
    reader
}

fn by_iterating(mut reader: LogReader) -> Vec<String> {
    reader
        .by_ref()
        .map(|event| format!("{:?}", event.unwrap()))
        .collect()
}

/// Chunks scanned on a thread of their own, several in flight, placed in
/// the order they were read.
fn by_chunks(mut reader: LogReader) -> Vec<String> {
    let mut events = Vec::new();
    let mut record = |event: Event| events.push(format!("{event:?}"));
    let (to_scan, chunks) = mpsc::sync_channel(4);
    let (to_place, scanned) = mpsc::sync_channel(4);
    let scanner = thread::spawn(move || {
        for chunk in chunks {
            let chunk: eliot_parse::Chunk = chunk;
            if to_place.send(chunk.scan()).is_err() {
                return;
            }
        }
    });
    let mut in_flight = 0;
    for chunk in reader.chunk_reader() {
        to_scan.send(chunk.unwrap()).unwrap();
        in_flight += 1;
        if in_flight == 4 {
            reader.place(scanned.recv().unwrap(), &mut record);
            in_flight -= 1;
        }
    }
    drop(to_scan);
    for chunk in scanned {
        reader.place(chunk, &mut record);
    }
    scanner.join().unwrap();
    for event in reader.by_ref() {
        record(event.unwrap());
    }
    events
}

#[test]
fn a_log_read_in_chunks_gives_the_events_of_a_log_read_line_by_line() {
    let log = log(2_000);
    assert!(log.len() > 8 * (64 << 10), "several chunks to an input");
    let expected = by_iterating(reader(&log, 1 << 16, Parser::new()));
    // Every kind of event is there: the comparison is not vacuous.
    for kind in [
        "Task(",
        "NotUtf8",
        "InvalidJson",
        "Truncated",
        "SeveralMessages",
        "UnreadableFields",
        "MissingField",
        "Duplicate",
    ] {
        assert!(
            expected.iter().any(|event| event.contains(kind)),
            "no {kind} among the events"
        );
    }
    for capacity in [1 << 16, 100, 7] {
        let chunked = by_chunks(reader(&log, capacity, Parser::new()));
        let differ = chunked.iter().zip(&expected).position(|(a, b)| a != b);
        assert!(
            chunked.len() == expected.len() && differ.is_none(),
            "buffers of {capacity} bytes: {} events, {} expected; first difference: {:?}",
            chunked.len(),
            expected.len(),
            differ.map(|at| (&chunked[at], &expected[at]))
        );
    }
    let only = || Parser::only_tasks(["task-00001", "task-00010", "huge"]);
    assert_eq!(
        by_chunks(reader(&log, 1 << 16, only())),
        by_iterating(reader(&log, 1 << 16, only()))
    );
}

#[test]
fn the_reference_logs_read_in_chunks_as_line_by_line() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/reference-logs");
    let mut read = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "log") {
            let log = std::fs::read(&path).unwrap();
            let expected = by_iterating(reader(&log, 1 << 16, Parser::new()));
            assert!(!expected.is_empty(), "{}", path.display());
            assert_eq!(
                by_chunks(reader(&log, 64, Parser::new())),
                expected,
                "{}",
                path.display()
            );
            read += 1;
        }
    }
    assert!(read >= 3, "the reference logs are in {dir}");
}

/// An input that hands out its text in pieces, as a pipe does, and counts
/// how many it was asked for.
struct Pieces {
    pieces: std::collections::VecDeque<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
    asked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl std::io::Read for Pieces {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let buffered = std::io::BufRead::fill_buf(self)?;
        let n = buffered.len().min(out.len());
        out[..n].copy_from_slice(&buffered[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for Pieces {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.at == self.current.len() {
            self.current = self.pieces.pop_front().unwrap_or_default();
            self.at = 0;
            self.asked
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(&self.current[self.at..])
    }

    fn consume(&mut self, n: usize) {
        self.at += n;
    }
}

#[test]
fn the_lines_of_a_pipe_are_placed_as_they_come() {
    use std::sync::atomic::Ordering;
    let message = |uuid: &str| {
        format!(r#"{{"timestamp":1.0,"task_uuid":"{uuid}","task_level":[1],"message_type":"m"}}"#)
    };
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let first = format!("{}\n{}\n{{\"timestamp\":1.0,", message("a"), message("b"));
    let second = r#""task_uuid":"c","task_level":[1],"message_type":"m"}"#.to_owned() + "\n";
    let mut reader = LogReader::new();
    reader.add_input(
        "pipe",
        Pieces {
            pieces: [first.into_bytes(), second.into_bytes()].into(),
            current: Vec::new(),
            at: 0,
            asked: asked.clone(),
        },
    );
    let mut tasks = Vec::new();
    let mut chunks = reader.chunk_reader();
    let chunk = chunks.next().unwrap().unwrap();
    reader.place(chunk.scan(), |event| tasks.push(format!("{event:?}")));
    // The two whole lines of the first piece are placed before the second
    // piece is asked for.
    assert_eq!(asked.load(Ordering::Relaxed), 1);
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    // The line cut between the pieces is read whole.
    let chunk = chunks.next().unwrap().unwrap();
    reader.place(chunk.scan(), |event| tasks.push(format!("{event:?}")));
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    assert!(tasks[2].contains(r#"task_uuid: "c""#), "{tasks:?}");
    assert!(chunks.next().is_none());
}
