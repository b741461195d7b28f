//! The parser streams: each task comes out the moment its last line is
//! read, the tasks it keeps open are at most those in flight, and what
//! never completed comes out at the end.

use std::io::{BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use eliot::parse::{Event, LogReader, Parser, WrittenMessage};
use eliot::testing::MemoryLogger;
use eliot::{Action, fields, start_task};

/// Writes `tasks` tasks of 3 lines each, `in_flight` of them open at a time,
/// their lines interleaved; returns the lines.
fn interleaved(tasks: usize, in_flight: usize) -> Vec<String> {
    let logger = MemoryLogger::new();
    logger.run(|| {
        let mut open: Vec<(Action, usize)> = Vec::new();
        let mut started = 0;
        let mut turn = 0usize;
        while started < tasks || !open.is_empty() {
            while open.len() < in_flight && started < tasks {
                open.push((start_task!("t:stream:task", n = started).into_action(), 0));
                started += 1;
            }
            turn = turn.wrapping_mul(31).wrapping_add(7);
            let index = turn % open.len();
            let (action, done) = &mut open[index];
            *done += 1;
            if *done == 1 {
                action.log("t:stream:note", fields!());
            } else {
                action.finish().unwrap();
                open.swap_remove(index);
            }
        }
    });
    logger
        .lines()
        .iter()
        .map(|m| m.as_json().to_owned())
        .collect()
}

#[test]
fn a_task_comes_out_when_its_last_line_is_added_and_memory_follows_open_tasks() {
    let lines = interleaved(1000, 10);
    assert_eq!(lines.len(), 3000);
    let mut parser = Parser::new();
    let mut seen_lines = std::collections::HashMap::<String, usize>::new();
    let mut completed = 0;
    let mut most_open = 0;
    for line in &lines {
        let message = WrittenMessage::from_json(line).unwrap();
        let uuid = message.task_uuid().to_owned();
        let count = seen_lines.entry(uuid.clone()).or_default();
        *count += 1;
        let done = parser.add(message).unwrap();
        // Complete exactly with its third line, not before.
        assert_eq!(
            done.is_some(),
            *count == 3,
            "task {uuid} after {count} lines"
        );
        if let Some(task) = done {
            assert_eq!(task.task_uuid(), uuid);
            assert!(task.is_complete());
            completed += 1;
        }
        most_open = most_open.max(parser.open_tasks());
    }
    assert_eq!(completed, 1000);
    assert!(
        most_open <= 10,
        "at most the tasks in flight are kept: {most_open}"
    );
    assert!(parser.finish().is_empty());
}

/// A reader that counts the lines handed out.
struct Counting<R> {
    inner: R,
    lines: Arc<AtomicUsize>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        // One line at a time, so that the count is exact.
        let available = self.inner.fill_buf()?;
        let end = available
            .iter()
            .position(|b| *b == b'\n')
            .map_or(available.len(), |i| i + 1);
        Ok(&available[..end])
    }
    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
        self.lines.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn the_reader_hands_out_each_task_before_reading_further() {
    let lines = interleaved(50, 5);
    let text = lines.join("\n") + "\n";
    let read = Arc::new(AtomicUsize::new(0));
    let mut reader = LogReader::new();
    reader.add_input(
        "counted",
        Counting {
            inner: std::io::Cursor::new(text.into_bytes()),
            lines: read.clone(),
        },
    );
    let mut last_line_of = std::collections::HashMap::new();
    for (number, line) in lines.iter().enumerate() {
        let uuid = WrittenMessage::from_json(line)
            .unwrap()
            .task_uuid()
            .to_owned();
        last_line_of.insert(uuid, number + 1);
    }
    let mut tasks = 0;
    for event in reader.by_ref() {
        let Event::Task(task) = event.unwrap() else {
            panic!("no malformed lines here")
        };
        assert_eq!(
            read.load(Ordering::SeqCst),
            last_line_of[task.task_uuid()],
            "a task is handed out right after its last line, before the next is read"
        );
        tasks += 1;
    }
    assert_eq!(tasks, 50);
    assert_eq!(reader.lines_read(), 150);
}

#[test]
fn incomplete_tasks_come_last_in_the_order_they_started() {
    let lines = interleaved(6, 6);
    // Drop the end of tasks 2 and 4 (in the order they started).
    let starts: Vec<String> = lines
        .iter()
        .filter(|l| l.contains("\"action_status\":\"started\""))
        .map(|l| WrittenMessage::from_json(l).unwrap().task_uuid().to_owned())
        .collect();
    let kept: Vec<&String> = lines
        .iter()
        .filter(|l| {
            let m = WrittenMessage::from_json(l).unwrap();
            let unfinished = [&starts[4], &starts[2]].contains(&&m.task_uuid().to_owned());
            !(unfinished
                && m.action_status()
                    .is_some_and(|s| s != eliot::parse::ActionStatus::Started))
        })
        .collect();
    let parsed =
        eliot::parse::parse_log(&kept.iter().map(|l| format!("{l}\n")).collect::<String>());
    let order: Vec<&str> = parsed.tasks.iter().map(|t| t.task_uuid()).collect();
    assert_eq!(order.len(), 6);
    assert_eq!(&order[4..], [starts[2].as_str(), starts[4].as_str()]);
    assert!(parsed.tasks[..4].iter().all(|t| t.is_complete()));
    assert!(parsed.tasks[4..].iter().all(|t| !t.is_complete()));
}
