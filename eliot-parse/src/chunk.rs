//! Reading a log on every core: lines read in chunks, each chunk scanned on
//! any thread, the chunks placed in their tasks in the order they were read.
//!
//! Reading a line (checking its JSON, its header, building its message) is
//! most of the work of reading a log and needs nothing but the line;
//! placing the message needs the lines before it. [`LogReader::read_chunk`]
//! hands out the lines of an input a chunk at a time, [`Chunk::scan`] reads
//! them wherever it is called, and [`LogReader::place`] places a scanned
//! chunk: the events are those, in the order, that iterating the reader
//! gives.

use std::io::{self, BufRead};
use std::sync::Arc;

use smallvec::SmallVec;

use super::line::{LineItem, scan_line};
use super::message::WrittenMessage;
use super::problem::{Location, Problem};
use super::reader::{Event, LogReader, ReadError, report, report_outcome};
use super::scan::unreadable_fields;
use super::shape::Shapes;

/// About how much text a chunk holds: a few hundred lines, enough that
/// handing it to another thread costs little beside scanning it.
const CHUNK_BYTES: usize = 64 << 10;

/// Lines of one input, read by [`LogReader::read_chunk`], to be scanned by
/// [`Chunk::scan`] on any thread.
#[derive(Debug)]
pub struct Chunk {
    source: Arc<str>,
    /// Whether the chunk is its input's first: its lines are numbered from 1.
    starts_input: bool,
    /// Whole lines, the last perhaps without its newline at the end of the
    /// input.
    text: Vec<u8>,
}

/// The lines of a [`Chunk`], read: to hand to [`LogReader::place`], in the
/// order the chunks were read.
#[derive(Debug)]
pub struct ScannedChunk {
    source: Arc<str>,
    starts_input: bool,
    /// What each line holds; a blank line holds nothing.
    lines: Vec<SmallVec<[Scanned; 1]>>,
}

/// One thing found on a line, read ahead of its placing.
#[derive(Debug)]
enum Scanned {
    /// One of the line's objects: its message, or why it has none.
    Object {
        message: Result<WrittenMessage, Problem>,
        /// Why its other fields cannot be read, when they cannot: reported
        /// if the message is placed.
        unreadable: Option<String>,
        /// The text reports about the object show, when it is not the
        /// message's own (a line with more around the object, or a lone
        /// surrogate repaired in it), or when the message cannot give it
        /// back: it has none, or it is placed despite unreadable fields.
        report_text: Option<Box<str>>,
    },
    /// A problem of the whole line.
    Problem { problem: Problem, text: String },
}

impl Chunk {
    /// Reads every line of the chunk: its JSON, its header, its message.
    /// Needs nothing else, and so runs on any thread.
    pub fn scan(self) -> ScannedChunk {
        // Shapes and task UUIDs of the chunk's own, shared by its lines:
        // the parser shares its own as it places the messages.
        let mut shared = Shared::default();
        let mut lines = Vec::with_capacity(self.text.len() / 128);
        let mut rest = &self.text[..];
        while !rest.is_empty() {
            let (line, unterminated) = match memchr::memchr(b'\n', rest) {
                Some(end) => {
                    let line = &rest[..end];
                    rest = &rest[end + 1..];
                    (line, false)
                }
                None => (std::mem::take(&mut rest), true),
            };
            lines.push(scan(line, unterminated, &mut shared));
        }
        ScannedChunk {
            source: self.source,
            starts_input: self.starts_input,
            lines,
        }
    }
}

/// What the lines of a chunk share: their shapes, and the UUIDs of their
/// tasks (a task has a few lines in a chunk, each of which would otherwise
/// allocate its UUID here and free it on the thread that places it).
#[derive(Default)]
struct Shared {
    shapes: Shapes,
    task_uuids: foldhash::HashSet<Arc<str>>,
}

impl Shared {
    fn task_uuid(&mut self, task_uuid: &str) -> Arc<str> {
        if let Some(shared) = self.task_uuids.get(task_uuid) {
            return shared.clone();
        }
        let shared: Arc<str> = task_uuid.into();
        self.task_uuids.insert(shared.clone());
        shared
    }
}

/// What one line holds, each message built with the chunk's UUIDs and
/// shapes.
fn scan(line: &[u8], unterminated: bool, shared: &mut Shared) -> SmallVec<[Scanned; 1]> {
    let mut found = SmallVec::new();
    scan_line(line, unterminated, |item| {
        found.push(match item {
            LineItem::Object {
                header,
                text,
                suspect,
                report_text,
            } => {
                let message = header.map(|valid| {
                    let task_uuid = shared.task_uuid(&valid.task_uuid);
                    valid.into_message(text, Some(task_uuid), &mut shared.shapes)
                });
                let unreadable = if message.is_ok() && suspect {
                    unreadable_fields(text)
                } else {
                    None
                };
                let own_text = message.is_ok() && unreadable.is_none() && report_text == text;
                Scanned::Object {
                    message,
                    unreadable,
                    report_text: (!own_text).then(|| report_text.into()),
                }
            }
            LineItem::Problem { problem, text } => Scanned::Problem {
                problem,
                text: text.into_owned(),
            },
        });
    });
    found
}

impl LogReader {
    /// The next lines of the inputs, a chunk to [`scan`](Chunk::scan) (on
    /// any thread) and then to [`place`](Self::place), chunks in the order
    /// they were read. `None` once every input has ended; then iterating
    /// the reader gives the tasks that never completed. An input that
    /// cannot be read is reported once the lines read from it before are
    /// handed out, and reading goes on with the next.
    ///
    /// Read a reader by chunks or by iterating, not both, until every input
    /// has ended.
    ///
    /// ```
    /// use eliot_parse::{Event, LogReader};
    ///
    /// let log = "{\"timestamp\":1.0,\"task_uuid\":\"t1\",\"task_level\":[1],\"message_type\":\"app:hello\"}\nnot json\n";
    /// let mut reader = LogReader::new();
    /// reader.add_input("example.log", std::io::Cursor::new(log));
    /// let mut events = Vec::new();
    /// while let Some(chunk) = reader.read_chunk() {
    ///     let scanned = std::thread::spawn(move || chunk.unwrap().scan()).join().unwrap();
    ///     reader.place(scanned, |event| events.push(event));
    /// }
    /// events.extend(reader.map(Result::unwrap)); // Tasks never completed: none here.
    /// assert!(matches!(&events[0], Event::Task(task) if task.is_complete()));
    /// assert!(matches!(&events[1], Event::Malformed(bad) if bad.location.line == 2));
    /// assert_eq!(events.len(), 2);
    /// ```
    pub fn read_chunk(&mut self) -> Option<Result<Chunk, ReadError>> {
        if let Some(error) = self.read_error.take() {
            return Some(Err(error));
        }
        self.parser.as_ref()?; // The reader has ended: see `add_input`.
        loop {
            let Some(((name, input), lines)) = &mut self.current else {
                let input = self.inputs.pop_front()?;
                self.current = Some((input, 0));
                continue;
            };
            let starts_input = *lines == 0;
            let (text, ended) = read_lines(input.as_mut(), CHUNK_BYTES);
            let source = name.clone();
            match ended {
                // Not the input's first chunk any more.
                Ok(false) => *lines += 1,
                Ok(true) => self.current = None,
                Err(error) => {
                    let source = source.clone();
                    self.read_error = Some(ReadError { source, error });
                    self.current = None;
                }
            }
            if !text.is_empty() {
                return Some(Ok(Chunk {
                    source,
                    starts_input,
                    text,
                }));
            }
            if let Some(error) = self.read_error.take() {
                return Some(Err(error));
            }
        }
    }

    /// Places the messages of a chunk read by [`read_chunk`](Self::read_chunk)
    /// and scanned, and reports to `emit` what follows: each task they
    /// complete, each line that could not be read in full. Chunks must come
    /// in the order they were read.
    pub fn place(&mut self, chunk: ScannedChunk, mut emit: impl FnMut(Event)) {
        let Some(parser) = self.parser.as_mut() else {
            return;
        };
        if chunk.starts_input {
            self.placed_in_input = 0;
        }
        for line in chunk.lines {
            self.placed_in_input += 1;
            self.lines += 1;
            let location = Location {
                source: chunk.source.clone(),
                line: self.placed_in_input,
            };
            for scanned in line {
                match scanned {
                    Scanned::Object {
                        message,
                        unreadable,
                        report_text,
                    } => {
                        let mut wanted = false;
                        let mut refused = None;
                        let outcome = message.and_then(|message| {
                            wanted = parser.wanted(message.task_uuid());
                            if !wanted {
                                return Ok(None);
                            }
                            parser.add_read_ahead(message).map_err(|back| {
                                refused = Some(back.message);
                                back.problem
                            })
                        });
                        let unreadable = unreadable.filter(|_| outcome.is_ok() && wanted);
                        let report_text = match (&report_text, &refused) {
                            (Some(text), _) => text,
                            (None, Some(message)) => message.as_json(),
                            (None, None) => "",
                        };
                        report_outcome(outcome, unreadable, report_text, &location, &mut emit);
                    }
                    Scanned::Problem { problem, text } => {
                        report(problem, &text, &location, &mut emit);
                    }
                }
            }
        }
    }
}

/// Reads whole lines from `input` until there are `at_least` bytes of them
/// or the input ends (the last line then perhaps without its newline).
/// Returns them, and whether the input ended, or the error that stopped the
/// reading (the lines read before it are returned all the same).
fn read_lines(input: &mut dyn BufRead, at_least: usize) -> (Vec<u8>, io::Result<bool>) {
    let mut text = Vec::with_capacity(at_least + (at_least >> 3));
    while text.len() < at_least {
        let buffered = match input.fill_buf() {
            Ok([]) => return (text, Ok(true)),
            Ok(buffered) => buffered,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return (text, Err(error)),
        };
        // Every whole line buffered at once.
        if let Some(last) = memchr::memrchr(b'\n', buffered) {
            text.extend_from_slice(&buffered[..=last]);
            input.consume(last + 1);
            continue;
        }
        // A line longer than what is buffered, or the input's last without
        // a newline. (`read_until` retries reads interrupted by a signal.)
        match input.read_until(b'\n', &mut text) {
            Ok(_) if text.last() == Some(&b'\n') => {}
            Ok(_) => return (text, Ok(true)),
            Err(error) => return (text, Err(error)),
        }
    }
    (text, Ok(false))
}
