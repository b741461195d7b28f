//! Reading logs: lines from files or any reader, into tasks and reports of
//! malformed lines.

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use super::chunk::SpareBuffers;
use super::header::ValidHeader;
use super::line::{LineItem, scan_line};
use super::parser::Parser;
use super::problem::{Location, Malformed, Problem};
use super::scan::unreadable_fields;
use super::task::Task;

/// What reading a log produces, in the order it happens.
#[derive(Clone, Debug)]
pub enum Event {
    /// A task: complete as soon as its last line was read, or, at the end
    /// of the input, one that never completed.
    Task(Task),
    /// A line that could not be read in full. Reading goes on after it.
    Malformed(Malformed),
}

impl Parser {
    /// Reads one line of a log (without its newline) and reports what
    /// follows to `emit`: the task it completed, if any, and every problem
    /// found on it. A line holding several messages has each of them read.
    ///
    /// ```
    /// use eliot_parse::{Event, Location, Parser};
    ///
    /// let mut parser = Parser::new();
    /// let at = Location { source: "app.log".into(), line: 7 };
    /// let mut events = Vec::new();
    /// parser.add_line(b"{\"task_uuid\":", &at, |e| events.push(e));
    /// let Event::Malformed(bad) = &events[0] else { panic!() };
    /// assert!(bad.to_string().starts_with("app.log, line 7: not a JSON object"));
    /// ```
    pub fn add_line(&mut self, line: &[u8], location: &Location, emit: impl FnMut(Event)) {
        self.read_line(line, location, false, emit);
    }

    /// Reads what follows the last newline of an input that has ended: a
    /// complete message written without its newline is read; anything else
    /// is reported as a truncated line.
    pub fn add_final_fragment(
        &mut self,
        line: &[u8],
        location: &Location,
        emit: impl FnMut(Event),
    ) {
        self.read_line(line, location, true, emit);
    }

    fn read_line(
        &mut self,
        line: &[u8],
        location: &Location,
        unterminated: bool,
        mut emit: impl FnMut(Event),
    ) {
        scan_line(line, unterminated, |item| match item {
            LineItem::Object {
                header,
                text,
                suspect,
                report_text,
            } => self.place_object(
                header,
                text,
                || suspect.then(|| unreadable_fields(text)).flatten(),
                || report_text,
                location,
                &mut emit,
            ),
            LineItem::Problem { problem, text } => report(problem, &text, location, &mut emit),
        });
    }

    /// Places one of a line's objects (`text`, its `header` checked) and
    /// reports to `emit` what follows: why its other fields cannot be read,
    /// if `unreadable` says so of a message placed in a task that is read
    /// (the fields of a task not read are not looked at); then the task it
    /// completed, or the problem that kept it out. Reports show
    /// `report_text`, asked only for a report.
    pub(crate) fn place_object<'t>(
        &mut self,
        header: Result<ValidHeader<'_>, Problem>,
        text: &str,
        unreadable: impl FnOnce() -> Option<String>,
        report_text: impl Fn() -> &'t str,
        location: &Location,
        emit: &mut impl FnMut(Event),
    ) {
        let mut wanted = false;
        let outcome = header.and_then(|valid| {
            wanted = self.wanted(&valid.task_uuid);
            self.add_header(valid, text)
        });
        let unreadable = if outcome.is_ok() && wanted {
            unreadable()
        } else {
            None
        };
        if let Some(error) = unreadable {
            let problem = Problem::UnreadableFields { error };
            report(problem, report_text(), location, emit);
        }
        match outcome {
            Ok(Some(task)) => emit(Event::Task(task)),
            Ok(None) => {}
            Err(problem) => report(problem, report_text(), location, emit),
        }
    }
}

/// Reports a line's `problem`, showing `text`.
pub(crate) fn report(
    problem: Problem,
    text: &str,
    location: &Location,
    emit: &mut impl FnMut(Event),
) {
    emit(Event::Malformed(Malformed {
        location: location.clone(),
        problem,
        line: text.to_owned(),
    }));
}

/// An input that could not be read (as opposed to a line that could not be
/// understood, which is a [`Malformed`] event).
#[derive(Debug)]
pub struct ReadError {
    /// The input's name.
    pub source: Arc<str>,
    /// What went wrong.
    pub error: io::Error,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read {}: {}", self.source, self.error)
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

pub(super) type Input = (Arc<str>, Box<dyn BufRead + Send>);

/// Reads Eliot logs from files or readers, one after the other, as one
/// stream of [`Event`]s: tasks as they complete, malformed lines as they
/// are met, and at the end the tasks that never completed.
///
/// The lines of a task may be spread over several inputs (the logs of two
/// processes that continued each other's tasks): all inputs feed one
/// parser.
///
/// ```
/// use eliot_parse::{Event, LogReader};
///
/// let log = "{\"timestamp\":1.0,\"task_uuid\":\"t1\",\"task_level\":[1],\"message_type\":\"app:hello\"}\nnot json\n";
/// let mut reader = LogReader::new();
/// reader.add_input("example.log", std::io::Cursor::new(log));
/// let events: Vec<Event> = reader.map(Result::unwrap).collect();
/// assert!(matches!(&events[0], Event::Task(task) if task.is_complete()));
/// assert!(matches!(&events[1], Event::Malformed(bad) if bad.location.line == 2));
/// ```
pub struct LogReader {
    pub(super) inputs: VecDeque<Input>,
    pub(super) current: Option<(Input, u64)>,
    pub(super) parser: Option<Parser>,
    pending: VecDeque<Event>,
    /// The tasks that never completed, once every input has ended: each is
    /// unpacked as it is handed back, not all at once.
    unfinished: std::vec::IntoIter<Task>,
    buffer: Vec<u8>,
    pub(super) lines: u64,
    /// The lines placed from chunks of the current input.
    pub(super) placed_in_input: u64,
    /// Buffers of chunks placed, to read and scan chunks into again.
    pub(super) spare_buffers: SpareBuffers,
}

impl Default for LogReader {
    fn default() -> Self {
        LogReader::with_parser(Parser::new())
    }
}

impl LogReader {
    /// A reader with no input yet.
    pub fn new() -> Self {
        LogReader::default()
    }

    /// A reader that feeds `parser` (for example one made with
    /// [`Parser::only_tasks`]).
    pub fn with_parser(parser: Parser) -> Self {
        LogReader {
            inputs: VecDeque::new(),
            current: None,
            parser: Some(parser),
            pending: VecDeque::new(),
            unfinished: Vec::new().into_iter(),
            buffer: Vec::with_capacity(1024),
            lines: 0,
            placed_in_input: 0,
            spare_buffers: SpareBuffers::default(),
        }
    }

    /// Opens every file in `paths` now, so that a missing file is reported
    /// before anything is read.
    pub fn open<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Result<Self, ReadError> {
        let mut reader = LogReader::new();
        for path in paths {
            reader.open_file(path)?;
        }
        Ok(reader)
    }

    /// Adds a file to read after the inputs already added.
    pub fn open_file(&mut self, path: impl AsRef<Path>) -> Result<(), ReadError> {
        let path = path.as_ref();
        let name: Arc<str> = path.display().to_string().into();
        let file = File::open(path).map_err(|error| ReadError {
            source: name.clone(),
            error,
        })?;
        self.add_input(name, BufReader::with_capacity(1 << 16, file));
        Ok(())
    }

    /// Adds an input to read after the ones already added; `name` is what
    /// reports of malformed lines call it. Once the reader has ended (it
    /// returned `None` after handing back the tasks that never completed),
    /// it reads nothing more.
    pub fn add_input(&mut self, name: impl Into<Arc<str>>, input: impl BufRead + Send + 'static) {
        self.inputs.push_back((name.into(), Box::new(input)));
    }

    /// How many lines were read so far, over all inputs.
    pub fn lines_read(&self) -> u64 {
        self.lines
    }

    /// How many tasks are open: started but not complete.
    pub fn open_tasks(&self) -> usize {
        self.parser.as_ref().map_or(0, Parser::open_tasks)
    }

    /// Reads one line of the current input into `pending`; `false` once
    /// every input is exhausted.
    fn advance(&mut self) -> Result<bool, ReadError> {
        let Some(parser) = self.parser.as_mut() else {
            return Ok(false); // The reader has ended: see `add_input`.
        };
        let Some(((name, input), number)) = &mut self.current else {
            match self.inputs.pop_front() {
                Some(input) => {
                    self.current = Some((input, 0));
                    return Ok(true);
                }
                None => return Ok(false),
            }
        };
        let pending = &mut self.pending;
        // A line whole in the input's buffer is read there, not copied.
        let buffered = match input.fill_buf() {
            Ok(buffered) => memchr::memchr(b'\n', buffered).map(|end| (buffered, end)),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => return Ok(true),
            Err(error) => {
                let source = name.clone();
                self.current = None;
                return Err(ReadError { source, error });
            }
        };
        if let Some((buffered, end)) = buffered {
            let location = next_location(name, number, &mut self.lines);
            parser.add_line(&buffered[..end], &location, |e| pending.push_back(e));
            input.consume(end + 1);
            return Ok(true);
        }
        // The line goes on past the buffer, or is the input's last without
        // a newline: gathered in ours.
        self.buffer.clear();
        // `read_until` retries reads that were interrupted by a signal.
        let read = match input.read_until(b'\n', &mut self.buffer) {
            Ok(read) => read,
            Err(error) => {
                let source = name.clone();
                self.current = None;
                return Err(ReadError { source, error });
            }
        };
        if read == 0 {
            self.current = None;
            return Ok(true);
        }
        let location = next_location(name, number, &mut self.lines);
        match self.buffer.strip_suffix(b"\n") {
            Some(line) => parser.add_line(line, &location, |e| pending.push_back(e)),
            None => parser.add_final_fragment(&self.buffer, &location, |e| pending.push_back(e)),
        }
        Ok(true)
    }
}

/// Counts a line read from the input `name`, whose lines so far were
/// `number` (of `lines` over every input), and says where it is.
fn next_location(name: &Arc<str>, number: &mut u64, lines: &mut u64) -> Location {
    *number += 1;
    *lines += 1;
    Location {
        source: name.clone(),
        line: *number,
    }
}

impl Iterator for LogReader {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            match self.advance() {
                Ok(true) => {}
                Ok(false) => {
                    if let Some(parser) = self.parser.take() {
                        self.unfinished = parser.finish_packed().into_iter();
                    }
                    let mut task = self.unfinished.next()?;
                    task.unpack();
                    return Some(Ok(Event::Task(task)));
                }
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

impl fmt::Debug for LogReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogReader")
            .field("inputs", &self.inputs.len())
            .field("lines", &self.lines)
            .field("open_tasks", &self.open_tasks())
            .finish_non_exhaustive()
    }
}

/// A whole log, parsed: see [`parse_log`].
#[derive(Clone, Debug, Default)]
pub struct ParsedLog {
    /// Every task: the complete ones in the order they completed, then the
    /// incomplete ones in the order they started.
    pub tasks: Vec<Task>,
    /// The lines that could not be read in full.
    pub malformed: Vec<Malformed>,
}

/// Parses a whole log held in memory (for files and streams, use
/// [`LogReader`]).
///
/// ```
/// use eliot_parse::parse_log;
///
/// let parsed = parse_log("{\"timestamp\":1.0,\"task_uuid\":\"t1\",\"task_level\":[1],\"message_type\":\"app:hello\"}\n");
/// assert_eq!(parsed.tasks.len(), 1);
/// assert!(parsed.malformed.is_empty());
/// ```
pub fn parse_log(log: &str) -> ParsedLog {
    ParsedLog::read("<log>", log.to_owned())
}

impl ParsedLog {
    /// Reads the log `text`, called `name` in reports of malformed lines,
    /// with a [`LogReader`]: [`parse_log`] with a name of your choice.
    ///
    /// ```
    /// use eliot_parse::ParsedLog;
    ///
    /// let parsed = ParsedLog::read("the captured log", "not json\n".to_owned());
    /// assert_eq!(parsed.malformed[0].location.to_string(), "the captured log, line 1");
    /// ```
    pub fn read(name: &str, text: String) -> ParsedLog {
        let mut reader = LogReader::new();
        reader.add_input(name, io::Cursor::new(text));
        let mut parsed = ParsedLog::default();
        // Reading from memory cannot fail: every item is an event.
        for event in reader.flatten() {
            match event {
                Event::Task(task) => parsed.tasks.push(task),
                Event::Malformed(bad) => parsed.malformed.push(bad),
            }
        }
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_added_after_the_end_is_not_read_and_nothing_panics() {
        // It used to panic: "the parser lives until the end".
        let line =
            "{\"timestamp\":1.0,\"task_uuid\":\"t\",\"task_level\":[1],\"message_type\":\"m\"}\n";
        let mut reader = LogReader::new();
        reader.add_input("a", io::Cursor::new(line));
        assert_eq!(reader.by_ref().count(), 1);
        reader.add_input("b", io::Cursor::new(line));
        assert!(reader.next().is_none());
        assert_eq!(reader.lines_read(), 1);
    }

    /// What reading `log` through a buffer of `capacity` bytes gives, as
    /// text to compare.
    fn events_through(log: &str, capacity: usize) -> Vec<String> {
        let mut reader = LogReader::new();
        let input = io::BufReader::with_capacity(capacity, io::Cursor::new(log.to_owned()));
        reader.add_input("log", input);
        reader
            .map(|event| format!("{:?}", event.unwrap()))
            .collect()
    }

    #[test]
    fn lines_across_the_input_buffer_read_as_lines_within_it() {
        // Lines read in place, lines gathered across the buffer's end, a
        // blank and a broken line, and a last line without its newline.
        let log = "{\"timestamp\":1.0,\"task_uuid\":\"a\",\"task_level\":[1],\"message_type\":\"m\"}\n\
                   \n\
                   {\"x\":[1,\n\
                   {\"action_status\":\"started\",\"timestamp\":2.0,\"task_uuid\":\"b\",\"task_level\":[1],\"action_type\":\"act\"}\r\n\
                   {\"action_status\":\"succeeded\",\"timestamp\":2.5,\"task_uuid\":\"b\",\"task_level\":[2],\"action_type\":\"act\"}";
        let whole = events_through(log, 1 << 16);
        assert_eq!(whole.len(), 3, "{whole:?}");
        for capacity in [1, 2, 7, 64, 100] {
            assert_eq!(
                events_through(log, capacity),
                whole,
                "a buffer of {capacity} bytes"
            );
        }
    }

    #[test]
    fn unreadable_fields_of_a_task_not_read_are_not_reported() {
        // The report says the message was placed in its task: a parser
        // that reads only other tasks places nothing of it.
        let log = "{\"v\":1e400,\"timestamp\":1.0,\"task_uuid\":\"other\",\"task_level\":[1],\"message_type\":\"m\"}\n\
                   {\"v\":1e400,\"timestamp\":1.0,\"task_uuid\":\"t\",\"task_level\":[1],\"message_type\":\"m\"}\n";
        let mut reader = LogReader::with_parser(Parser::only_tasks(["t"]));
        reader.add_input("a", io::Cursor::new(log));
        let events: Vec<Event> = reader.map(Result::unwrap).collect();
        assert_eq!(events.len(), 2, "{events:?}");
        let Event::Malformed(bad) = &events[0] else {
            panic!("{events:?}");
        };
        assert_eq!(bad.location.line, 2);
        assert!(matches!(bad.problem, Problem::UnreadableFields { .. }));
        assert!(matches!(&events[1], Event::Task(task) if task.task_uuid() == "t"));
    }

    #[test]
    fn reports_of_glued_messages_hold_the_message_not_the_whole_line() {
        // 2,000 copies of one message glued on one line: 1,999 duplicates.
        // Each report used to copy the whole line: 280 MB for this 140 kB
        // line, quadratic in its length.
        let message = r#"{"timestamp":1.0,"task_uuid":"t","task_level":[2],"message_type":"m"}"#;
        let line = message.repeat(2000);
        let parsed = parse_log(&line);
        let duplicates: Vec<&Malformed> = parsed
            .malformed
            .iter()
            .filter(|bad| matches!(bad.problem, Problem::Duplicate { .. }))
            .collect();
        assert_eq!(duplicates.len(), 1999);
        assert!(duplicates.iter().all(|bad| bad.line == message));
        let reported: usize = parsed.malformed.iter().map(|bad| bad.line.len()).sum();
        assert!(reported <= 2 * line.len(), "{reported} bytes reported");
        // The report of the line as a whole still holds all of it.
        assert!(matches!(
            parsed.malformed.last().unwrap().problem,
            Problem::SeveralMessages { count: 2000 }
        ));
        assert_eq!(parsed.malformed.last().unwrap().line, line);
        // A line of one message is reported whole, as it was.
        let alone = format!(
            "  {}  ",
            r#"{"timestamp":1.0,"task_uuid":"t","message_type":"m"}"#
        );
        assert_eq!(parse_log(&alone).malformed[0].line, alone);
    }
}
