//! Reading Eliot logs back into trees: Eliot's `eliot.parse`, streaming.
//!
//! eliot-core re-exports this crate as `eliot_parse` (and the `eliot`
//! crate as `eliot::parse`); tools that only read logs, like `eliot-tree`,
//! depend on it alone.
//!
//! Every Eliot line carries its `task_uuid` and `task_level`, so a log, in
//! whatever order its lines were written, and split over however many files,
//! can be rebuilt into one tree per task: actions with their start and end
//! messages, their child actions and messages. This crate does that for
//! logs written by eliot-rs and by Python's Eliot alike.
//!
//! - [`LogReader`] reads files or any reader and yields [`Event`]s: each
//!   [`Task`] as soon as its last line is read, each [`Malformed`] line with
//!   its file and line number, then the tasks that never completed.
//! - [`LogReader::chunk_reader`], [`Chunk::scan`] and [`LogReader::place`]
//!   read the same log on every core: chunks of lines scanned on any
//!   thread, placed in order, the same events in the same order.
//! - [`Parser`] is the engine underneath, for messages that come from
//!   somewhere else: add [`WrittenMessage`]s, get tasks back.
//! - [`parse_log`] parses a log held in a string.
//!
//! ```
//! use eliot_parse::{parse_log, ActionStatus};
//!
//! // Lines of one task, out of order.
//! let log = r#"{"y":3,"timestamp":1.3,"task_uuid":"t1","task_level":[3,2],"message_type":"app:sub:detail"}
//! {"action_status":"succeeded","timestamp":1.5,"task_uuid":"t1","action_type":"app:main","task_level":[4]}
//! {"user":"alice","action_status":"started","timestamp":1.0,"task_uuid":"t1","action_type":"app:main","task_level":[1]}
//! {"value":1,"timestamp":1.1,"task_uuid":"t1","task_level":[2],"message_type":"app:main:note"}
//! {"x":2,"action_status":"started","timestamp":1.2,"task_uuid":"t1","action_type":"app:sub","task_level":[3,1]}
//! {"result":6,"action_status":"succeeded","timestamp":1.4,"task_uuid":"t1","action_type":"app:sub","task_level":[3,3]}
//! "#;
//! let parsed = parse_log(log);
//! assert!(parsed.malformed.is_empty());
//! let task = &parsed.tasks[0];
//! assert!(task.is_complete());
//!
//! let main = task.root().as_action().unwrap();
//! assert_eq!(main.start_message().unwrap().fields()["user"], "alice");
//! let sub = main.children()[1].as_action().unwrap();
//! assert_eq!(sub.action_type(), Some("app:sub"));
//! assert_eq!(sub.status(), Some(ActionStatus::Succeeded));
//! assert_eq!(sub.end_message().unwrap().fields()["result"], 6);
//! ```
//!
//! # Completeness
//!
//! A task is complete by Eliot's rule: its root action has its start and
//! end messages, `(last slot of the end's level) - 2` children, and each
//! child action is complete in turn. A message logged outside any action is
//! a complete task by itself. No line may sit at or after its action's
//! end: such a line is refused, so a task is never reported complete with
//! a line missing.
//!
//! # Memory
//!
//! The parser hands each task back the moment it completes and keeps only
//! its UUID (to recognise a line of it read again, a
//! [`Problem::Duplicate`]). What stays in memory is the open tasks, in
//! flight or never to complete (those are kept to the end of the input,
//! so a log of unfinished tasks is held whole), plus one UUID per
//! completed task. Past a few megabytes, the lines of open tasks are kept
//! packed (LZ4) until their task is handed back: of a log whose tasks never
//! complete, the text is held in a fraction of its size, beside the trees
//! (40 bytes a message, a shared shape for its type and level).
//!
//! # Missing lines and bad lines
//!
//! An action seen only through lines inside it (its own start and end are
//! not in the log, as for a task continued from another process) is kept as
//! a *placeholder*: [`WrittenAction::is_placeholder`]. A line that is not
//! JSON, lacks Eliot's fields, holds two messages, or was cut short by a
//! crash is reported as [`Malformed`] with its [`Location`], and reading
//! goes on.
//!
//! The trees serialize with serde (see the `Serialize` impls on [`Task`] and
//! [`Node`]): the JSON form embeds every message as it was logged.

#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod calendar;
mod chunk;
mod decimal;
mod field_index;
mod header;
mod json;
mod level;
mod line;
mod message;
mod packing;
mod parser;
mod problem;
mod quick_header;
mod reader;
mod scan;
mod shape;
mod task;
mod task_uuid;

pub use chunk::{Chunk, ChunkReader, ScannedChunk};
pub use field_index::FieldTexts;
pub use level::TaskLevel;
pub use message::{ActionStatus, RESERVED_KEYS, WrittenMessage};
pub use parser::Parser;
pub use problem::{Location, Malformed, Problem};
pub use reader::{Event, LogReader, ParsedLog, ReadError, parse_log};
pub use task::{Node, Task, WrittenAction};
