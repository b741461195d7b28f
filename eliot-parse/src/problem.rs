//! What can be wrong with a line of a log, and where it was.

use std::fmt;
use std::sync::Arc;

use super::level::TaskLevel;

/// Why a line (or part of one) could not be placed in a task.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Problem {
    /// There was no JSON object at all.
    Empty,
    /// The line is not UTF-8.
    NotUtf8,
    /// The line is not a JSON object.
    InvalidJson {
        /// The JSON parser's explanation, with the column.
        error: String,
        /// Whether a complete message came before the bad part on the same
        /// line (that message was read).
        after_message: bool,
    },
    /// The last line of the input has no newline and is not a complete JSON
    /// object: the writer stopped in the middle of it.
    Truncated {
        /// The JSON parser's explanation.
        error: String,
    },
    /// Several JSON objects on one line, as when two writers' lines were
    /// glued together. Each complete message was read.
    SeveralMessages {
        /// How many complete objects the line held.
        count: usize,
    },
    /// One of Eliot's fields is missing.
    MissingField {
        /// The missing key.
        field: &'static str,
    },
    /// One of Eliot's fields has a value of the wrong kind.
    InvalidField {
        /// The key.
        field: &'static str,
        /// What it should hold.
        expected: &'static str,
    },
    /// The message was placed in its task, but its fields cannot be read:
    /// a value nests arrays and objects over 126 levels deep, or a number is
    /// beyond an `f64` (`1e400`), which serde_json refuses.
    /// [`WrittenMessage::fields`](super::WrittenMessage::fields) is empty
    /// for it.
    UnreadableFields {
        /// serde_json's explanation, with the column.
        error: String,
    },
    /// An action's start or end at a level where none can be.
    MisplacedAction {
        /// The line's `task_level`.
        level: TaskLevel,
        /// The rule it breaks.
        expected: &'static str,
    },
    /// A second line for the same place of the same task (a line written
    /// twice, or two processes that reused a task id). The first was kept.
    /// A line of a task already handed back complete is reported so too
    /// (the parser keeps each completed task's UUID for this): a complete
    /// task has no free place, so the line repeats one of its lines or
    /// contradicts its tree.
    Duplicate {
        /// The task.
        task_uuid: String,
        /// The place both lines claim.
        level: TaskLevel,
    },
    /// The line cannot be placed in its task: its place is held by
    /// something of another kind (a message where an action's children
    /// are, or the reverse), or it lies at or after the end of its action
    /// (or it is an end, and a child of the action already lies at or after
    /// its slot).
    Conflict {
        /// The task.
        task_uuid: String,
        /// The line's `task_level`.
        level: TaskLevel,
        /// What is in the way.
        reason: &'static str,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Empty => f.write_str("no JSON object"),
            Problem::NotUtf8 => f.write_str("not UTF-8 text"),
            Problem::InvalidJson {
                error,
                after_message: false,
            } => write!(f, "not a JSON object: {error}"),
            Problem::InvalidJson {
                error,
                after_message: true,
            } => write!(
                f,
                "text after a complete message (which was read) is not a JSON object: {error}"
            ),
            Problem::Truncated { error } => write!(
                f,
                "truncated: the last line has no newline and is not a complete JSON object ({error})"
            ),
            Problem::SeveralMessages { count } => write!(
                f,
                "{count} messages on one line (each was read); lines from two writers were glued together"
            ),
            Problem::MissingField { field } => write!(f, "not an Eliot message: no {field}"),
            Problem::InvalidField { field, expected } => {
                write!(f, "not an Eliot message: {field} must be {expected}")
            }
            Problem::UnreadableFields { error } => write!(
                f,
                "the message was placed in its task, but its fields cannot be read: {error}"
            ),
            Problem::MisplacedAction { level, expected } => {
                write!(f, "action message at task_level {level}: {expected}")
            }
            Problem::Duplicate { task_uuid, level } => write!(
                f,
                "task {task_uuid} already has a line at task_level {level}; this one was left out"
            ),
            Problem::Conflict {
                task_uuid,
                level,
                reason,
            } => write!(
                f,
                "task {task_uuid}, task_level {level}: {reason}; this line was left out"
            ),
        }
    }
}

impl std::error::Error for Problem {}

/// Where a line came from: the name of its file (or `<stdin>`) and its
/// number, counting from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file's name as given, or a name such as `<stdin>`.
    pub source: Arc<str>,
    /// The line's number in it, from 1.
    pub line: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, line {}", self.source, self.line)
    }
}

/// A line that could not be read in full, where it was, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Malformed {
    /// Where the line is.
    pub location: Location,
    /// What is wrong with it.
    pub problem: Problem,
    /// The line itself (without its newline; invalid UTF-8 replaced); for a
    /// problem with one of several messages on one line, that message.
    pub line: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.problem)
    }
}

impl std::error::Error for Malformed {}
