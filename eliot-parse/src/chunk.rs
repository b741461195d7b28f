//! Reading a log on every core: lines read in chunks, each chunk scanned on
//! any thread, the chunks placed in their tasks in the order they were read.
//!
//! Reading a line (checking its JSON, finding its header and its fields)
//! is most of the work of reading a log and needs nothing but the line;
//! placing the message needs the lines before it. A [`ChunkReader`] hands
//! out the lines of the inputs a chunk at a time (on a thread of its own if
//! need be), [`Chunk::scan`] reads
//! them wherever it is called, and [`LogReader::place`] places a scanned
//! chunk: the events are those, in the order, that iterating the reader
//! gives.
//!
//! A scanned line carries its header, not its message: the placing thread
//! makes the message from the chunk's text, so that what lives on is
//! allocated, and freed, by one thread, and the scanning
//! thread's work reaches it as a few words a line. The buffers of a chunk
//! go back to the reader and serve again.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufRead};
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

use super::field_index::FieldIndex;
use super::header::{Slots, ValidHeader};
use super::line::{LineItem, scan_line};
use super::message::ActionStatus;
use super::problem::{Location, Problem};
use super::reader::{Event, Input, LogReader, ReadError, report};
use super::scan::unreadable_fields;

/// The buffers of this many chunks placed are kept to read and scan chunks
/// into again: more than a reader keeps in flight. The threads pass them
/// back and forth instead of one allocating what another frees, which
/// stays in the allocator's pages of the first and raised the peak memory
/// of a log whose tasks never complete well above the log's size (see
/// eliot-tree's perf bench, `never_complete_rss_vs_file`).
const SPARE_BUFFERS: usize = 32;

/// Lines of one input, read by a [`ChunkReader`], to be scanned by
/// [`Chunk::scan`] on any thread.
#[derive(Debug)]
pub struct Chunk {
    source: Arc<str>,
    /// Whether the chunk is its input's first: its lines are numbered from 1.
    starts_input: bool,
    /// Whole lines, the last perhaps without its newline at the end of the
    /// input.
    text: Vec<u8>,
    /// Where the scan puts what it finds: emptied, the buffer of a chunk
    /// placed before.
    found: Found,
}

/// What the lines of a chunk hold, in order, each thing with the index of
/// its line in the chunk (a blank line holds nothing).
pub(crate) type Found = Vec<(u32, Scanned)>;

/// The lines of a [`Chunk`], read: to hand to [`LogReader::place`], in the
/// order the chunks were read.
#[derive(Debug)]
pub struct ScannedChunk {
    source: Arc<str>,
    starts_input: bool,
    /// The chunk's text, which the headers point into.
    text: ChunkText,
    found: Found,
    /// How many lines the chunk has.
    line_count: u32,
}

/// One thing found on a line, read ahead of its placing.
#[derive(Debug)]
pub(crate) enum Scanned {
    /// One of the line's objects: its header, valid or not.
    Object {
        header: Result<ScannedHeader, Problem>,
        /// The object's text.
        text: TextAt,
        /// Why its other fields cannot be read, when they cannot: reported
        /// if the message is placed.
        unreadable: Option<String>,
        /// What reports about the object show.
        report_text: TextAt,
    },
    /// A problem of the whole line.
    Problem { problem: Problem, text: String },
}

/// A valid header, its texts where they are.
#[derive(Debug)]
pub(crate) struct ScannedHeader {
    task_uuid: TextAt,
    task_level: Slots,
    timestamp: f64,
    type_name: TextAt,
    status: Option<ActionStatus>,
    fields: Option<FieldIndex>,
}

/// A text of a line: in the chunk's text, or (repaired, or unescaped) of
/// its own.
#[derive(Debug)]
pub(crate) enum TextAt {
    Chunk(Range<usize>),
    Own(Box<str>),
}

impl TextAt {
    /// Where `part` is, if it is in `chunk`: found by address, as the
    /// scanner borrows from the line whenever it can.
    fn of(part: &str, chunk: &[u8]) -> TextAt {
        let start = (part.as_ptr() as usize).wrapping_sub(chunk.as_ptr() as usize);
        if start <= chunk.len() && part.len() <= chunk.len() - start {
            TextAt::Chunk(start..start + part.len())
        } else {
            TextAt::Own(part.into())
        }
    }

    /// The text, from `chunk` (of which this part was read as UTF-8).
    fn in_chunk<'a>(&'a self, chunk: &'a ChunkText) -> &'a str {
        match self {
            TextAt::Chunk(range) => chunk.str_at(range),
            TextAt::Own(text) => text,
        }
    }

    /// [`in_chunk`](Self::in_chunk), kept: a text of its own moves out.
    fn into_in_chunk(self, chunk: &ChunkText) -> Cow<'_, str> {
        match self {
            TextAt::Chunk(range) => Cow::Borrowed(chunk.str_at(&range)),
            TextAt::Own(text) => Cow::Owned(text.into()),
        }
    }
}

/// The text of a scanned chunk: checked as UTF-8 as a whole by the thread
/// that scanned it (one pass over the text, where its placing would check
/// every object again), or, when a line is not UTF-8 (rare: a damaged
/// log), as it was read, each text checked as it is taken.
#[derive(Debug)]
enum ChunkText {
    Utf8(String),
    Bytes(Vec<u8>),
}

impl ChunkText {
    /// The text of `range`, a part the scan read as UTF-8.
    fn str_at(&self, range: &Range<usize>) -> &str {
        match self {
            ChunkText::Utf8(text) => text.get(range.clone()),
            ChunkText::Bytes(text) => std::str::from_utf8(&text[range.clone()]).ok(),
        }
        .unwrap_or_default()
    }

    fn into_bytes(self) -> Vec<u8> {
        match self {
            ChunkText::Utf8(text) => text.into_bytes(),
            ChunkText::Bytes(text) => text,
        }
    }
}

impl Chunk {
    /// Reads every line of the chunk: its JSON, its header, where its
    /// fields are. Needs nothing else, and so runs on any thread.
    pub fn scan(self) -> ScannedChunk {
        let Chunk {
            source,
            starts_input,
            text,
            mut found,
        } = self;
        let chunk = &text[..];
        let mut rest = chunk;
        let mut line_count = 0;
        while !rest.is_empty() {
            let (line, unterminated) = match memchr::memchr(b'\n', rest) {
                Some(end) => {
                    let line = &rest[..end];
                    rest = &rest[end + 1..];
                    (line, false)
                }
                None => (std::mem::take(&mut rest), true),
            };
            scan(line, unterminated, chunk, |item| {
                found.push((line_count, item));
            });
            line_count += 1;
        }
        let text = match String::from_utf8(text) {
            Ok(text) => ChunkText::Utf8(text),
            Err(bytes) => ChunkText::Bytes(bytes.into_bytes()),
        };
        ScannedChunk {
            source,
            starts_input,
            text,
            found,
            line_count,
        }
    }
}

/// Calls `found` with what one line of `chunk` holds.
fn scan(line: &[u8], unterminated: bool, chunk: &[u8], mut found: impl FnMut(Scanned)) {
    scan_line(line, unterminated, |item| {
        found(match item {
            LineItem::Object {
                header,
                text,
                suspect,
                report_text,
            } => {
                let unreadable = if header.is_ok() && suspect {
                    unreadable_fields(text)
                } else {
                    None
                };
                let header = header.map(|valid| ScannedHeader {
                    task_uuid: TextAt::of(&valid.task_uuid, chunk),
                    task_level: valid.task_level,
                    timestamp: valid.timestamp,
                    type_name: TextAt::of(&valid.type_name, chunk),
                    status: valid.status,
                    fields: valid.fields,
                });
                Scanned::Object {
                    header,
                    text: TextAt::of(text, chunk),
                    unreadable,
                    report_text: TextAt::of(report_text, chunk),
                }
            }
            LineItem::Problem { problem, text } => Scanned::Problem {
                problem,
                text: text.into_owned(),
            },
        });
    });
}

/// The inputs of a [`LogReader`], read a chunk at a time: see
/// [`LogReader::chunk_reader`]. It owns them, and can be sent to a thread
/// of its own, so that waiting for an input (a pipe, a terminal) holds up
/// nothing else.
pub struct ChunkReader {
    inputs: VecDeque<Input>,
    /// The input being read, and whether a chunk of it was read yet.
    current: Option<(Input, bool)>,
    /// An input that failed while a chunk was read: reported after it.
    read_error: Option<ReadError>,
    spare: SpareBuffers,
}

impl Iterator for ChunkReader {
    type Item = Result<Chunk, ReadError>;

    /// The next lines of the inputs, a chunk to [`scan`](Chunk::scan) and
    /// then to [`place`](LogReader::place). `None` once every input has
    /// ended. An input that cannot be read is reported once the lines read
    /// from it before are handed out, and reading goes on with the next.
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(error) = self.read_error.take() {
            return Some(Err(error));
        }
        loop {
            let Some(((name, input), read_before)) = &mut self.current else {
                let Some(input) = self.inputs.pop_front() else {
                    self.spare.close(); // No chunk is read again.
                    return None;
                };
                self.current = Some((input, false));
                continue;
            };
            let starts_input = !std::mem::replace(read_before, true);
            let (mut text, found) = self.spare.take();
            let ended = read_lines(input.as_mut(), &mut text);
            let source = name.clone();
            match ended {
                Ok(false) => {}
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
                    found,
                }));
            }
            self.spare.give_back(text, found);
            if let Some(error) = self.read_error.take() {
                return Some(Err(error));
            }
        }
    }
}

impl fmt::Debug for ChunkReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkReader")
            .field(
                "inputs",
                &(self.inputs.len() + usize::from(self.current.is_some())),
            )
            .finish_non_exhaustive()
    }
}

/// The buffers of chunks placed, shared by the placing [`LogReader`] and
/// its [`ChunkReader`] (on whatever thread each is), to read chunks into
/// again. Closed once the chunk reader has ended: no chunk is read any
/// more, so none is kept.
#[derive(Clone, Debug, Default)]
pub(crate) struct SpareBuffers(Arc<Mutex<Spare>>);

#[derive(Debug, Default)]
struct Spare {
    buffers: Vec<(Vec<u8>, Found)>,
    closed: bool,
}

impl SpareBuffers {
    fn take(&self) -> (Vec<u8>, Found) {
        self.lock().buffers.pop().unwrap_or_default()
    }

    fn give_back(&self, mut text: Vec<u8>, mut found: Found) {
        let mut spare = self.lock();
        if !spare.closed && spare.buffers.len() < SPARE_BUFFERS {
            text.clear();
            found.clear();
            spare.buffers.push((text, found));
        }
    }

    fn close(&self) {
        let mut spare = self.lock();
        spare.closed = true;
        spare.buffers = Vec::new();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Spare> {
        // Buffers are only pushed and popped under the lock: a panic
        // elsewhere leaves the list as it was.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl LogReader {
    /// Takes the inputs added so far, to read them a chunk at a time (on
    /// any thread): each [`Chunk`] to [`scan`](Chunk::scan) (on any thread)
    /// and then to [`place`](Self::place) here, chunks in the order they
    /// were read. Once the chunk reader has ended and every chunk is
    /// placed, iterating this reader gives the tasks that never completed.
    ///
    /// Read a reader's inputs by chunks or by iterating it, not both.
    ///
    /// ```
    /// use eliot_parse::{Event, LogReader};
    ///
    /// let log = "{\"timestamp\":1.0,\"task_uuid\":\"t1\",\"task_level\":[1],\"message_type\":\"app:hello\"}\nnot json\n";
    /// let mut reader = LogReader::new();
    /// reader.add_input("example.log", std::io::Cursor::new(log));
    /// // Chunks read on a thread of their own, scanned on another, placed here.
    /// let chunks = reader.chunk_reader();
    /// let (to_place, scanned) = std::sync::mpsc::sync_channel(4);
    /// std::thread::spawn(move || {
    ///     for chunk in chunks {
    ///         to_place.send(chunk.unwrap().scan()).unwrap();
    ///     }
    /// });
    /// let mut events = Vec::new();
    /// for chunk in scanned {
    ///     reader.place(chunk, |event| events.push(event));
    /// }
    /// events.extend(reader.map(Result::unwrap)); // Tasks never completed: none here.
    /// assert!(matches!(&events[0], Event::Task(task) if task.is_complete()));
    /// assert!(matches!(&events[1], Event::Malformed(bad) if bad.location.line == 2));
    /// assert_eq!(events.len(), 2);
    /// ```
    pub fn chunk_reader(&mut self) -> ChunkReader {
        let mut inputs = std::mem::take(&mut self.inputs);
        if let Some((input, _)) = self.current.take() {
            inputs.push_front(input);
        }
        ChunkReader {
            inputs,
            current: None,
            read_error: None,
            spare: self.spare_buffers.clone(),
        }
    }

    /// Places the messages of a chunk read by a
    /// [`chunk_reader`](Self::chunk_reader) and scanned, and reports to `emit` what follows: each task they
    /// complete, each line that could not be read in full. Chunks must come
    /// in the order they were read.
    pub fn place(&mut self, chunk: ScannedChunk, mut emit: impl FnMut(Event)) {
        let Some(parser) = self.parser.as_mut() else {
            return;
        };
        let ScannedChunk {
            source,
            starts_input,
            text: chunk_text,
            mut found,
            line_count,
        } = chunk;
        if starts_input {
            self.placed_in_input = 0;
        }
        let chunk = &chunk_text;
        for (line, scanned) in found.drain(..) {
            let location = Location {
                source: source.clone(),
                line: self.placed_in_input + u64::from(line) + 1,
            };
            match scanned {
                Scanned::Object {
                    header,
                    text,
                    unreadable,
                    report_text,
                } => {
                    // Texts are checked as UTF-8 no more (see `ChunkText`).
                    let object = text.in_chunk(chunk);
                    let header = header.map(|header| ValidHeader {
                        task_uuid: header.task_uuid.into_in_chunk(chunk),
                        task_level: header.task_level,
                        timestamp: header.timestamp,
                        type_name: header.type_name.into_in_chunk(chunk),
                        status: header.status,
                        fields: header.fields,
                    });
                    parser.place_object(
                        header,
                        object,
                        || unreadable,
                        || report_text.in_chunk(chunk),
                        &location,
                        &mut emit,
                    );
                }
                Scanned::Problem { problem, text } => {
                    report(problem, &text, &location, &mut emit);
                }
            }
        }
        self.placed_in_input += u64::from(line_count);
        self.lines += u64::from(line_count);
        self.spare_buffers.give_back(chunk_text.into_bytes(), found);
    }
}

/// Reads into `text` the whole lines `input` has buffered, or, when it has
/// none, reads until it has one (the input's last line perhaps without its
/// newline). Returns whether the input ended, or the error that stopped
/// the reading (what was read before it is in `text` all the same).
///
/// It asks the input for more only when what is buffered holds no whole
/// line: a chunk of a file is about what its buffer holds (64 KiB for a
/// file a reader opens), and the lines of a pipe are read, scanned and
/// placed as they come, not once enough of them have.
fn read_lines(input: &mut dyn BufRead, text: &mut Vec<u8>) -> io::Result<bool> {
    loop {
        let buffered = match input.fill_buf() {
            Ok([]) => return Ok(true),
            Ok(buffered) => buffered,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        // Every whole line buffered at once.
        if let Some(last) = memchr::memrchr(b'\n', buffered) {
            text.extend_from_slice(&buffered[..=last]);
            input.consume(last + 1);
            return Ok(false);
        }
        // Part of a line longer than what is buffered, or of the input's
        // last line without a newline: kept, and more read.
        text.extend_from_slice(buffered);
        let taken = buffered.len();
        input.consume(taken);
    }
}
