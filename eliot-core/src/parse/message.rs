//! One logged message, read back: its place in the tree, and its fields on
//! demand.
//!
//! Reading a line extracts only what the tree needs (`task_uuid`,
//! `task_level`, `timestamp`, the type and status) and keeps the line's text;
//! the other fields are skipped, not built. [`WrittenMessage::fields`] parses
//! them when someone asks. A task held in memory (open, or never completed
//! and kept to the end of the input) therefore costs about the size of its
//! lines, and a large log is read at the speed of a JSON scan.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::level::TaskLevel;
use super::problem::Problem;

/// Eliot's own keys, which hold its values in every message:
/// `timestamp`, `task_uuid`, `task_level`, `action_status`, `action_type`
/// and `message_type`. [`WrittenMessage::fields`] leaves them out; eliot-rs
/// writes a user field of one of these names as `user:<key>`.
///
/// ```
/// assert!(eliot_core::parse::RESERVED_KEYS.contains(&"task_level"));
/// ```
pub const RESERVED_KEYS: [&str; 6] = crate::json::RESERVED_KEYS;

/// The deepest `task_level` read. Building a task walks and allocates an
/// action for every slot of a line's level, and drawing or serializing the
/// tree recurses once per level, so a single line of a few kilobytes with a
/// level thousands of slots deep would exhaust the stack (an abort, not a
/// panic) or take gigabytes. No real log comes close: Python's eliot-tree
/// cannot draw trees 500 levels deep.
const MAX_LEVEL_DEPTH: usize = 512;

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

    fn parse(status: &str) -> Option<Self> {
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

/// What a message is: a plain message, or the start or end of an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Message(Box<str>),
    Action(Box<str>, ActionStatus),
}

/// One message read from a log.
///
/// ```
/// use eliot_core::parse::{ActionStatus, WrittenMessage};
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
    line: Box<str>,
    task_uuid: Arc<str>,
    task_level: TaskLevel,
    timestamp: f64,
    kind: Kind,
}

impl WrittenMessage {
    /// Reads one message from its JSON text.
    pub fn from_json(json: &str) -> Result<WrittenMessage, Problem> {
        let repaired = without_lone_surrogates(json);
        let json = repaired.as_deref().unwrap_or(json);
        let mut found = None;
        let mut count = 0;
        let outcome = split_objects(json, |text, header| {
            count += 1;
            if count == 1 {
                found = Some(
                    header
                        .validate()
                        .map(|valid| valid.into_message(text, None)),
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

    pub(crate) fn new(
        line: &str,
        task_uuid: Arc<str>,
        task_level: TaskLevel,
        timestamp: f64,
        kind: Kind,
    ) -> Self {
        WrittenMessage {
            line: line.into(),
            task_uuid,
            task_level,
            timestamp,
            kind,
        }
    }

    /// The message as it was logged: one JSON object. (A lone UTF-16
    /// surrogate escape, which Python writes for an undecodable byte and
    /// which no Rust string can hold, is read as `\ufffd`.)
    pub fn as_json(&self) -> &str {
        &self.line
    }

    /// Every key of the message, Eliot's own included.
    pub fn to_map(&self) -> Map<String, Value> {
        // The line was checked to be a JSON object when it was read.
        serde_json::from_str(&self.line).unwrap_or_default()
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
        &self.task_uuid
    }

    pub(crate) fn shared_task_uuid(&self) -> &Arc<str> {
        &self.task_uuid
    }

    /// The message's place in its task.
    pub fn task_level(&self) -> &TaskLevel {
        &self.task_level
    }

    /// When the message was logged: float seconds since the Unix epoch.
    pub fn timestamp(&self) -> f64 {
        self.timestamp
    }

    /// The `message_type` of a plain message; `None` for an action's start
    /// or end.
    pub fn message_type(&self) -> Option<&str> {
        match &self.kind {
            Kind::Message(t) => Some(t),
            Kind::Action(..) => None,
        }
    }

    /// The `action_type` of an action's start or end message; `None` for a
    /// plain message.
    pub fn action_type(&self) -> Option<&str> {
        match &self.kind {
            Kind::Action(t, _) => Some(t),
            Kind::Message(_) => None,
        }
    }

    /// The `action_status` of an action's start or end message.
    pub fn action_status(&self) -> Option<ActionStatus> {
        match &self.kind {
            Kind::Action(_, status) => Some(*status),
            Kind::Message(_) => None,
        }
    }

    /// Whether this is an `eliot:traceback` message.
    pub fn is_traceback(&self) -> bool {
        self.message_type() == Some("eliot:traceback")
    }
}

impl fmt::Debug for WrittenMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WrittenMessage").field(&&*self.line).finish()
    }
}

impl PartialEq for WrittenMessage {
    /// Two messages are equal when their lines are.
    fn eq(&self, other: &Self) -> bool {
        self.line == other.line
    }
}

/// Calls `each` with the text and header of every JSON object on `line`, and
/// returns the problem that stopped the scan, if any. A line normally holds
/// one object; a writer that crashed mid-line can leave two glued together,
/// and every complete one is still worth reading.
pub(crate) fn split_objects<'a>(
    line: &'a str,
    mut each: impl FnMut(&'a str, Header<'a>),
) -> Option<Problem> {
    let mut stream = serde_json::Deserializer::from_str(line).into_iter::<Header<'a>>();
    let mut start = 0;
    loop {
        match stream.next() {
            None => return None,
            Some(Ok(header)) => {
                let end = stream.byte_offset();
                each(line[start..end].trim(), header);
                start = end;
            }
            Some(Err(error)) => {
                return Some(Problem::InvalidJson {
                    error: error.to_string(),
                    after_message: start > 0,
                });
            }
        }
    }
}

/// `text` with every lone UTF-16 surrogate escape (`\udce9` not paired
/// with its other half) replaced by `\ufffd`, or `None` when it has none.
///
/// Python writes one for each undecodable byte of a string it decoded with
/// `surrogateescape` (file names, environment variables), and reads it back;
/// serde_json, like Rust's strings, refuses it, so without this every field
/// of such a message would be unreadable.
pub(crate) fn without_lone_surrogates(text: &str) -> Option<String> {
    if !text.contains("\\u") {
        return None;
    }
    let bytes = text.as_bytes();
    let in_range = |at: usize, range: std::ops::Range<u16>| {
        bytes
            .get(at..at + 4)
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .and_then(|digits| u16::from_str_radix(digits, 16).ok())
            .is_some_and(|unit| range.contains(&unit))
    };
    let mut out = None;
    let (mut copied, mut at) = (0, 0);
    while at < bytes.len() {
        if bytes[at] != b'\\' {
            at += 1;
            continue;
        }
        if bytes.get(at + 1) != Some(&b'u') {
            at += 2; // Another escape, `\\` included.
            continue;
        }
        let paired = in_range(at + 2, 0xd800..0xdc00)
            && bytes.get(at + 6..at + 8) == Some(b"\\u")
            && in_range(at + 8, 0xdc00..0xe000);
        if paired {
            at += 12;
        } else if in_range(at + 2, 0xd800..0xe000) {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[copied..at]);
            out.push_str("\\ufffd");
            at += 6;
            copied = at;
        } else {
            at += 6;
        }
    }
    let mut out = out?;
    out.push_str(&text[copied..]);
    Some(out)
}

/// Why the fields of the JSON object `text` cannot be read back, if they
/// cannot: the header scan skips the fields other than Eliot's without
/// building them, so it lets through what [`WrittenMessage::to_map`] and
/// every reader of the fields refuse: arrays and objects nested over 126
/// levels deep in a field (serde_json's limit), numbers beyond an `f64`
/// (`1e400`, which Python reads as `inf`). Called for the lines whose header
/// found a suspect field.
pub(crate) fn unreadable_fields(text: &str) -> Option<String> {
    serde_json::from_str::<Map<String, Value>>(text)
        .err()
        .map(|error| error.to_string())
}

/// A cheap test of one field's JSON value that is true for every value
/// serde_json cannot read (and for a few more, which
/// [`unreadable_fields`] then parses in full).
fn might_be_unreadable(value: &str) -> bool {
    const MAX_NESTING: usize = 100;
    let bytes = value.as_bytes();
    match bytes.first() {
        Some(b'[' | b'{') => {}
        Some(b'-' | b'0'..=b'9') => return huge_number(bytes),
        _ => return false, // Strings were checked by the scan; constants.
    }
    let (mut depth, mut at) = (0usize, 0);
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                // Skip the string: to its closing quote, past escapes.
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'-' | b'0'..=b'9' => {
                let end = bytes[at..]
                    .iter()
                    .position(|b| !matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                    .map_or(bytes.len(), |n| at + n);
                if huge_number(&bytes[at..end]) {
                    return true;
                }
                at = end;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    false
}

/// Whether the JSON number `number` may be beyond an `f64`: it has 300
/// digits or more, or its exponent with its digits reaches 300. (A tiny
/// number reads as 0.)
fn huge_number(number: &[u8]) -> bool {
    let (mantissa, exponent) = match number.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(at) => (&number[..at], &number[at + 1..]),
        None => (number, &b""[..]),
    };
    let digits = mantissa.iter().filter(|b| b.is_ascii_digit()).count();
    if exponent.first() == Some(&b'-') {
        return digits >= 300;
    }
    let exponent = exponent.strip_prefix(b"+").unwrap_or(exponent);
    exponent.len() > 3
        || digits
            + exponent
                .iter()
                .fold(0, |n, d| n * 10 + usize::from(d.wrapping_sub(b'0')))
            >= 300
}

/// A reserved field as found on a line.
#[derive(Debug, Default)]
pub(crate) enum Found<T> {
    #[default]
    Missing,
    /// Present, with a value of the wrong kind.
    Invalid,
    Valid(T),
}

/// The reserved fields of one line; every other field is skipped unparsed.
#[derive(Debug, Default)]
pub(crate) struct Header<'a> {
    task_uuid: Found<Cow<'a, str>>,
    task_level: Found<Box<[u32]>>,
    timestamp: Found<f64>,
    message_type: Found<Cow<'a, str>>,
    action_type: Found<Cow<'a, str>>,
    action_status: Found<Cow<'a, str>>,
    /// Whether one of the other fields may be one that serde_json cannot
    /// read back (see [`unreadable_fields`]).
    pub(crate) suspect: bool,
}

/// A header that describes a message we can place in a tree.
#[derive(Debug)]
pub(crate) struct ValidHeader<'a> {
    pub(crate) task_uuid: Cow<'a, str>,
    pub(crate) task_level: TaskLevel,
    pub(crate) timestamp: f64,
    pub(crate) kind: Kind,
}

impl<'a> Header<'a> {
    pub(crate) fn validate(self) -> Result<ValidHeader<'a>, Problem> {
        let task_uuid = match self.task_uuid {
            Found::Valid(uuid) if !uuid.is_empty() => uuid,
            Found::Missing => return Err(Problem::MissingField { field: "task_uuid" }),
            _ => return Err(invalid("task_uuid", "a non-empty string")),
        };
        let task_level = match self.task_level {
            Found::Valid(level) if level.len() > MAX_LEVEL_DEPTH => {
                return Err(invalid(
                    "task_level",
                    "an array of at most 512 positive integers",
                ));
            }
            Found::Valid(level) => TaskLevel::new(level),
            Found::Missing => {
                return Err(Problem::MissingField {
                    field: "task_level",
                });
            }
            Found::Invalid => {
                return Err(invalid(
                    "task_level",
                    "a non-empty array of positive integers",
                ));
            }
        };
        let timestamp = match self.timestamp {
            Found::Valid(t) => t,
            Found::Missing => return Err(Problem::MissingField { field: "timestamp" }),
            Found::Invalid => return Err(invalid("timestamp", "a number")),
        };
        let kind = match (self.action_type, self.message_type) {
            (Found::Valid(action_type), _) => {
                let status = match self.action_status {
                    Found::Valid(s) => ActionStatus::parse(&s),
                    Found::Missing => {
                        return Err(Problem::MissingField {
                            field: "action_status",
                        });
                    }
                    Found::Invalid => None,
                };
                let Some(status) = status else {
                    return Err(invalid(
                        "action_status",
                        "\"started\", \"succeeded\" or \"failed\"",
                    ));
                };
                let last = task_level.last().unwrap_or(0);
                if status == ActionStatus::Started && last != 1 {
                    return Err(Problem::MisplacedAction {
                        level: task_level,
                        expected: "an action's start message is at a level ending in 1",
                    });
                }
                if status != ActionStatus::Started && last < 2 {
                    return Err(Problem::MisplacedAction {
                        level: task_level,
                        expected: "an action's end message is at a level ending in 2 or more",
                    });
                }
                Kind::Action(action_type.into(), status)
            }
            (Found::Invalid, _) => return Err(invalid("action_type", "a string")),
            (Found::Missing, Found::Valid(message_type)) => Kind::Message(message_type.into()),
            (Found::Missing, Found::Invalid) => return Err(invalid("message_type", "a string")),
            (Found::Missing, Found::Missing) => {
                return Err(Problem::MissingField {
                    field: "message_type or action_type",
                });
            }
        };
        Ok(ValidHeader {
            task_uuid,
            task_level,
            timestamp,
            kind,
        })
    }
}

impl ValidHeader<'_> {
    /// The message for `text`, sharing `task_uuid` when given one.
    pub(crate) fn into_message(self, text: &str, task_uuid: Option<Arc<str>>) -> WrittenMessage {
        let task_uuid = task_uuid.unwrap_or_else(|| Arc::from(&*self.task_uuid));
        WrittenMessage::new(text, task_uuid, self.task_level, self.timestamp, self.kind)
    }
}

fn invalid(field: &'static str, expected: &'static str) -> Problem {
    Problem::InvalidField { field, expected }
}

enum Key {
    TaskUuid,
    TaskLevel,
    Timestamp,
    MessageType,
    ActionType,
    ActionStatus,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "task_uuid" => Key::TaskUuid,
                    "task_level" => Key::TaskLevel,
                    "timestamp" => Key::Timestamp,
                    "message_type" => Key::MessageType,
                    "action_type" => Key::ActionType,
                    "action_status" => Key::ActionStatus,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Header<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeaderVisitor;
        impl<'de> Visitor<'de> for HeaderVisitor {
            type Value = Header<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an Eliot message (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header<'de>, A::Error> {
                let mut header = Header::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::TaskUuid => header.task_uuid = map.next_value::<Loose<_>>()?.0,
                        Key::TaskLevel => header.task_level = map.next_value::<Loose<_>>()?.0,
                        Key::Timestamp => header.timestamp = map.next_value::<Loose<_>>()?.0,
                        Key::MessageType => header.message_type = map.next_value::<Loose<_>>()?.0,
                        Key::ActionType => header.action_type = map.next_value::<Loose<_>>()?.0,
                        Key::ActionStatus => {
                            header.action_status = map.next_value::<Loose<_>>()?.0;
                        }
                        Key::Other => {
                            // As fast to skip as `IgnoredAny`, and it can be
                            // looked at.
                            let value = map.next_value::<&'de RawValue>()?;
                            header.suspect |= might_be_unreadable(value.get());
                        }
                    }
                }
                Ok(header)
            }
        }
        deserializer.deserialize_map(HeaderVisitor)
    }
}

/// A value read leniently: one of the wrong kind becomes
/// [`Found::Invalid`] instead of failing the whole line, so that the
/// problem can be named.
struct Loose<T>(Found<T>);

/// What a lenient value accepts. Each method is called for one kind of
/// JSON value; by default it is the wrong kind (and nested values are
/// consumed unread), so each value type names only what it takes.
trait Lenient<'de>: Sized {
    /// What the value should be, for serde's messages.
    const EXPECTING: &'static str;

    fn from_number(_: f64) -> Found<Self> {
        Found::Invalid
    }

    fn from_str(_: &str) -> Found<Self> {
        Found::Invalid
    }

    fn from_borrowed_str(text: &'de str) -> Found<Self> {
        Self::from_str(text)
    }

    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Found<Self>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Found::Invalid)
    }
}

impl<'de> Lenient<'de> for Cow<'de, str> {
    const EXPECTING: &'static str = "a string";

    fn from_str(text: &str) -> Found<Self> {
        Found::Valid(Cow::Owned(text.to_owned()))
    }

    fn from_borrowed_str(text: &'de str) -> Found<Self> {
        Found::Valid(Cow::Borrowed(text))
    }
}

impl Lenient<'_> for f64 {
    const EXPECTING: &'static str = "a number";

    fn from_number(n: f64) -> Found<Self> {
        Found::Valid(n)
    }
}

impl<'de> Lenient<'de> for Box<[u32]> {
    const EXPECTING: &'static str = "an array of positive integers";

    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Found<Self>, A::Error> {
        let mut level = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        let mut valid = true;
        while let Some(slot) = seq.next_element::<Loose<f64>>()? {
            match slot.0 {
                Found::Valid(n) if n >= 1.0 && n <= f64::from(u32::MAX) && n.fract() == 0.0 => {
                    level.push(n as u32);
                }
                _ => valid = false,
            }
        }
        Ok(if valid && !level.is_empty() {
            Found::Valid(level.into_boxed_slice())
        } else {
            Found::Invalid
        })
    }
}

impl<'de, T: Lenient<'de>> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LooseVisitor<T>(PhantomData<T>);

        impl<'de, T: Lenient<'de>> Visitor<'de> for LooseVisitor<T> {
            type Value = Loose<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
                Ok(Loose(T::from_number(n as f64)))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
                Ok(Loose(T::from_number(n as f64)))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
                Ok(Loose(T::from_number(n)))
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Loose(T::from_borrowed_str(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Loose(T::from_str(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                T::from_seq(seq).map(Loose)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Loose(Found::Invalid))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Loose(Found::Invalid))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose(Found::Invalid))
            }
        }

        deserializer.deserialize_any(LooseVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_log;

    fn line_at(level: &[u32]) -> String {
        format!(r#"{{"timestamp":1.0,"task_uuid":"t","task_level":{level:?},"message_type":"m"}}"#)
    }

    #[test]
    fn task_levels_too_deep_are_refused_not_a_stack_overflow() {
        // Every slot of a level becomes an action on the way to the line:
        // 100,000 of them overflowed the stack (an abort) and took
        // quadratic memory.
        let parsed = parse_log(&line_at(&[2; 100_000]));
        assert!(parsed.tasks.is_empty());
        assert_eq!(
            parsed.malformed[0].problem,
            Problem::InvalidField {
                field: "task_level",
                expected: "an array of at most 512 positive integers"
            }
        );
        assert!(parse_log(&line_at(&[2; 513])).tasks.is_empty());
        // 512 levels are read: each action open at its start, then closed.
        let mut log = String::new();
        for depth in 1..=512 {
            let mut level = vec![2; depth - 1];
            level.push(1);
            log += &format!(
                "{{\"action_status\":\"started\",\"timestamp\":1.0,\"task_uuid\":\"t\",\"action_type\":\"a\",\"task_level\":{level:?}}}\n"
            );
        }
        for depth in (1..=512).rev() {
            let mut level = vec![2; depth - 1];
            level.push(if depth == 512 { 2 } else { 3 });
            log += &format!(
                "{{\"action_status\":\"succeeded\",\"timestamp\":2.0,\"task_uuid\":\"t\",\"action_type\":\"a\",\"task_level\":{level:?}}}\n"
            );
        }
        let parsed = parse_log(&log);
        assert!(parsed.malformed.is_empty(), "{:?}", parsed.malformed[0]);
        assert!(parsed.tasks[0].is_complete());
        assert_eq!(parsed.tasks[0].actions().count(), 512);
    }

    #[test]
    fn lone_surrogate_escapes_are_read_as_replacement_characters() {
        // Python writes `\udce9` for the undecodable byte of a file name.
        let line = r#"{"path":"/tmp/caf\udce9","pair":"\ud83d\ude00","lone":"\uDC00\ud800x","escaped":"\\udce9","n":1,"timestamp":1.0,"task_uuid":"t","task_level":[1],"message_type":"m"}"#;
        let message = WrittenMessage::from_json(line).unwrap();
        let fields = message.fields();
        assert_eq!(fields["path"], "/tmp/caf\u{fffd}");
        assert_eq!(fields["pair"], "\u{1f600}");
        assert_eq!(fields["lone"], "\u{fffd}\u{fffd}x");
        assert_eq!(fields["escaped"], "\\udce9");
        assert_eq!(fields["n"], 1);
        let parsed = parse_log(line);
        assert!(parsed.malformed.is_empty());
        let read = parsed.tasks[0].root().as_message().unwrap();
        assert_eq!(read.fields()["path"], "/tmp/caf\u{fffd}");
        // Lines without one are kept as they were.
        let plain = r#"{"s":"caf\u00e9 \ud83d\ude00","timestamp":1.0,"task_uuid":"t","task_level":[1],"message_type":"m"}"#;
        assert_eq!(WrittenMessage::from_json(plain).unwrap().as_json(), plain);
    }

    #[test]
    fn fields_that_cannot_be_read_are_reported_and_the_line_placed() {
        let with = |value: &str| {
            format!(
                r#"{{"deep":{value},"timestamp":1.0,"task_uuid":"t","task_level":[1],"message_type":"m"}}"#
            )
        };
        let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        for readable in [
            nested(126),
            "1e308".to_owned(),
            "-1.5E-400".to_owned(),
            format!("{}e+8", "9".repeat(290)),
            format!("\"{}e400\"", "[".repeat(200)),
        ] {
            let parsed = parse_log(&with(&readable));
            assert!(parsed.malformed.is_empty(), "{readable}");
            let message = parsed.tasks[0].root().as_message().unwrap();
            assert!(message.fields().contains_key("deep"), "{readable}");
        }
        for (unreadable, error) in [
            (nested(127), "recursion limit exceeded"),
            ("1e400".to_owned(), "number out of range"),
            ("-1E+309".to_owned(), "number out of range"),
            (format!("{}e+9", "9".repeat(300)), "number out of range"),
            (format!("{}.0", "9".repeat(310)), "number out of range"),
        ] {
            let parsed = parse_log(&with(&unreadable));
            assert_eq!(parsed.malformed.len(), 1, "{unreadable}");
            let Problem::UnreadableFields { error: found } = &parsed.malformed[0].problem else {
                panic!("{:?}", parsed.malformed[0]);
            };
            assert!(found.starts_with(error), "{found}");
            assert!(parsed.tasks[0].is_complete(), "the line is placed");
            let message = parsed.tasks[0].root().as_message().unwrap();
            assert!(message.fields().is_empty());
        }
    }

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
