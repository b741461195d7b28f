//! One logged message, read back: its place in the tree, and its fields on
//! demand.
//!
//! Reading a line extracts only what the tree needs (`task_uuid`,
//! `task_level`, `timestamp`, the type and status) and keeps the line's text;
//! the other fields are skipped, not built. [`WrittenMessage::fields`] parses
//! them when someone asks, so a large log is read at the speed of a JSON
//! scan; [`WrittenMessage::field_texts`] gives each one's JSON text where
//! the scan found it, for a tool that shows every message. The parser packs
//! the text of tasks held open for long (see [`Parser`](super::Parser)).

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::field_index::FieldTexts;
use super::level::TaskLevel;
use super::packing::Text;
use super::problem::Problem;
use super::scan::split_objects;
use super::shape::{Shape, Shapes};
use super::task_uuid::TaskUuid;

/// Eliot's own keys, which hold its values in every message:
/// `timestamp`, `task_uuid`, `task_level`, `action_status`, `action_type`
/// and `message_type`. [`WrittenMessage::fields`] leaves them out; eliot-rs
/// writes a user field of one of these names as `user:<key>`.
///
/// ```
/// assert!(eliot_parse::RESERVED_KEYS.contains(&"task_level"));
/// ```
pub const RESERVED_KEYS: [&str; 6] = [
    "timestamp",
    "task_uuid",
    "task_level",
    "action_status",
    "action_type",
    "message_type",
];

/// Where an action stands, as its start or end message says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionStatus {
    /// The action's start message.
    Started,
    /// The action ended without error.
    Succeeded,
    /// The action ended with an error (`exception` and `reason` say which).
    Failed,
}

impl ActionStatus {
    /// Eliot's spelling: `"started"`, `"succeeded"` or `"failed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Started => "started",
            ActionStatus::Succeeded => "succeeded",
            ActionStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(status: &str) -> Option<Self> {
        match status {
            "started" => Some(ActionStatus::Started),
            "succeeded" => Some(ActionStatus::Succeeded),
            "failed" => Some(ActionStatus::Failed),
            _ => None,
        }
    }
}

impl fmt::Display for ActionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message read from a log.
///
/// ```
/// use eliot_parse::{ActionStatus, WrittenMessage};
///
/// let line = r#"{"x":2,"action_status":"started","timestamp":1795682709.2274165,"task_uuid":"33eb52ae-a906-4532-b550-dbf7c91a0806","action_type":"app:sub","task_level":[3,1]}"#;
/// let message = WrittenMessage::from_json(line).unwrap();
/// assert_eq!(message.action_type(), Some("app:sub"));
/// assert_eq!(message.action_status(), Some(ActionStatus::Started));
/// assert_eq!(message.task_level().as_slice(), &[3, 1]);
/// assert_eq!(message.fields()["x"], 2);
/// assert_eq!(message.as_json(), line);
/// ```
#[derive(Clone)]
pub struct WrittenMessage {
    text: Text,
    task_uuid: TaskUuid,
    timestamp: f64,
    /// The type, status and level, shared with the other lines that have
    /// them: a message in memory is 40 bytes besides its text.
    shape: Arc<Shape>,
}

impl WrittenMessage {
    /// Reads one message from its JSON text.
    pub fn from_json(json: &str) -> Result<WrittenMessage, Problem> {
        let mut found = None;
        let mut count = 0;
        let outcome = split_objects(json, |text, header| {
            count += 1;
            if count == 1 {
                found = Some(
                    header
                        .validate()
                        .map(|valid| valid.into_message(text, None, &mut Shapes::default())),
                );
            }
        });
        if let Some(problem) = outcome {
            return Err(problem);
        }
        if count > 1 {
            return Err(Problem::SeveralMessages { count });
        }
        found.unwrap_or(Err(Problem::Empty))
    }

    pub(crate) fn new(text: Text, task_uuid: TaskUuid, timestamp: f64, shape: Arc<Shape>) -> Self {
        WrittenMessage {
            text,
            task_uuid,
            timestamp,
            shape,
        }
    }

    /// The fields of the message besides Eliot's own ([`RESERVED_KEYS`]),
    /// as found when its line was read: each key with its value's JSON
    /// text, in the order of the line (a key written twice comes twice),
    /// without reading the line again. Every value is JSON that
    /// [`fields`](Self::fields) reads.
    ///
    /// `None` when the line was not read in one pass: its keys have escapes,
    /// its header is unusual, it is very long, or its task was held open
    /// long enough to be packed. Read [`as_json`](Self::as_json) then.
    ///
    /// ```
    /// use eliot_parse::WrittenMessage;
    ///
    /// let line = r#"{"user":"alice","task_uuid":"t1","task_level":[1],"timestamp":1.5,"message_type":"login","tries":[1,2]}"#;
    /// let message = WrittenMessage::from_json(line).unwrap();
    /// let fields: Vec<(&str, &str)> = message.field_texts().unwrap().collect();
    /// assert_eq!(fields, [("user", r#""alice""#), ("tries", "[1,2]")]);
    /// ```
    pub fn field_texts(&self) -> Option<FieldTexts<'_>> {
        self.text.field_texts()
    }

    /// The message as it was logged: one JSON object. (A lone UTF-16
    /// surrogate escape, which Python writes for an undecodable byte and
    /// which no Rust string can hold, is read as `\ufffd`.)
    pub fn as_json(&self) -> &str {
        self.text.as_str()
    }

    /// Reads a byte of each cache line of the message's text (see
    /// [`Task::warm_cache`](super::Task::warm_cache)).
    pub(crate) fn touch(&self) -> u8 {
        self.text.touch()
    }

    /// Where the message's text is: the parser packs the text of the
    /// messages of tasks left open for long.
    pub(crate) fn text_mut(&mut self) -> &mut Text {
        &mut self.text
    }

    /// Every key of the message, Eliot's own included.
    pub fn to_map(&self) -> Map<String, Value> {
        // The line was checked to be a JSON object when it was read.
        serde_json::from_str(self.as_json()).unwrap_or_default()
    }

    /// The message's own fields: every key but Eliot's `timestamp`,
    /// `task_uuid`, `task_level`, `action_status`, `action_type` and
    /// `message_type`. Empty when a value is one serde_json cannot read
    /// (a [`LogReader`](super::LogReader) or
    /// [`Parser::add_line`](super::Parser::add_line) reports that line as
    /// [`Problem::UnreadableFields`]; `from_json` does not look).
    pub fn fields(&self) -> Map<String, Value> {
        let mut map = self.to_map();
        for key in RESERVED_KEYS {
            map.remove(key);
        }
        map
    }

    /// The UUID of the task the message belongs to.
    pub fn task_uuid(&self) -> &str {
        self.task_uuid.as_str()
    }

    pub(crate) fn shared_task_uuid(&self) -> &TaskUuid {
        &self.task_uuid
    }

    /// The message's place in its task.
    pub fn task_level(&self) -> &TaskLevel {
        &self.shape.level
    }

    /// When the message was logged: float seconds since the Unix epoch.
    pub fn timestamp(&self) -> f64 {
        self.timestamp
    }

    /// The `message_type` of a plain message; `None` for an action's start
    /// or end.
    pub fn message_type(&self) -> Option<&str> {
        let shape = &*self.shape;
        shape.status.is_none().then_some(&*shape.type_name)
    }

    /// The `action_type` of an action's start or end message; `None` for a
    /// plain message.
    pub fn action_type(&self) -> Option<&str> {
        let shape = &*self.shape;
        shape.status.is_some().then_some(&*shape.type_name)
    }

    /// The `action_status` of an action's start or end message.
    pub fn action_status(&self) -> Option<ActionStatus> {
        self.shape.status
    }

    /// Whether this is an `eliot:traceback` message.
    pub fn is_traceback(&self) -> bool {
        self.message_type() == Some("eliot:traceback")
    }
}

impl fmt::Debug for WrittenMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WrittenMessage")
            .field(&self.as_json())
            .finish()
    }
}

impl PartialEq for WrittenMessage {
    /// Two messages are equal when their lines are.
    fn eq(&self, other: &Self) -> bool {
        self.as_json() == other.as_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_read_exactly_as_python_reads_them() {
        // Python reads a JSON number as the nearest double; so does Rust's
        // `str::parse`. A parser that is off by one unit in the last place
        // moves a timestamp by 0.24 µs, enough to round a duration of
        // 0.4998 ms to 0.001 s instead of Python's 0.000 s.
        let mut t = 1_795_695_247.341_665_7_f64;
        for _ in 0..20_000 {
            let text = t.to_string();
            let line = format!(
                r#"{{"timestamp":{text},"task_uuid":"t","task_level":[1],"message_type":"m"}}"#
            );
            let read = WrittenMessage::from_json(&line).unwrap().timestamp();
            assert_eq!(read, text.parse::<f64>().unwrap(), "{text}");
            t += 0.000_123_4;
        }
    }
}
