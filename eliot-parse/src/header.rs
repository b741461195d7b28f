//! The header of a line: its reserved fields (`task_uuid`, `task_level`,
//! `timestamp`, the type and status), read leniently so that a field of the
//! wrong kind is reported, not fatal; every other field is skipped unparsed.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use smallvec::SmallVec;

use super::field_index::FieldIndex;
use super::level::TaskLevel;
use super::message::{ActionStatus, WrittenMessage};
use super::packing::Text;
use super::problem::Problem;
use super::scan::might_be_unreadable;
use super::shape::Shapes;
use super::task_uuid::TaskUuid;

/// The deepest `task_level` read. Building a task walks and allocates an
/// action for every slot of a line's level, and drawing or serializing the
/// tree recurses once per level, so a single line of a few kilobytes with a
/// level thousands of slots deep would exhaust the stack (an abort, not a
/// panic) or take gigabytes. No real log comes close: Python's eliot-tree
/// cannot draw trees 500 levels deep.
const MAX_LEVEL_DEPTH: usize = 512;

/// The slots of a line's `task_level`, read without allocating: the
/// header lives only until its message is built, and the message's level is
/// its shape's, shared.
pub(crate) type Slots = SmallVec<[u32; 8]>;

/// A reserved field as found on a line.
#[derive(Debug, Default, PartialEq)]
pub(crate) enum Found<T> {
    #[default]
    Missing,
    /// Present, with a value of the wrong kind.
    Invalid,
    Valid(T),
}

/// The reserved fields of one line; every other field is skipped unparsed.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Header<'a> {
    pub(super) task_uuid: Found<Cow<'a, str>>,
    pub(super) task_level: Found<Slots>,
    pub(super) timestamp: Found<f64>,
    pub(super) message_type: Found<Cow<'a, str>>,
    pub(super) action_type: Found<Cow<'a, str>>,
    pub(super) action_status: Found<Cow<'a, str>>,
    /// Whether one of the other fields may be one that serde_json cannot
    /// read back (see [`unreadable_fields`]).
    pub(crate) suspect: bool,
    /// Where the other fields are, when the line's reader found them all.
    pub(crate) fields: Option<FieldIndex>,
}

/// A header that describes a message we can place in a tree.
#[derive(Debug)]
pub(crate) struct ValidHeader<'a> {
    pub(crate) task_uuid: Cow<'a, str>,
    pub(crate) task_level: Slots,
    pub(crate) timestamp: f64,
    /// The `action_type`, or the `message_type` of a plain message.
    pub(crate) type_name: Cow<'a, str>,
    /// The `action_status` of an action's message; `None` for a plain one.
    pub(crate) status: Option<ActionStatus>,
    pub(crate) fields: Option<FieldIndex>,
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
            Found::Valid(level) => level,
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
        let (type_name, status) = match (self.action_type, self.message_type) {
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
                let last = task_level.last().copied().unwrap_or(0);
                if status == ActionStatus::Started && last != 1 {
                    return Err(Problem::MisplacedAction {
                        level: TaskLevel::from(&task_level[..]),
                        expected: "an action's start message is at a level ending in 1",
                    });
                }
                if status != ActionStatus::Started && last < 2 {
                    return Err(Problem::MisplacedAction {
                        level: TaskLevel::from(&task_level[..]),
                        expected: "an action's end message is at a level ending in 2 or more",
                    });
                }
                (action_type, Some(status))
            }
            (Found::Invalid, _) => return Err(invalid("action_type", "a string")),
            (Found::Missing, Found::Valid(message_type)) => (message_type, None),
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
            type_name,
            status,
            fields: self.fields,
        })
    }
}

impl ValidHeader<'_> {
    /// The message for `text`, sharing `task_uuid` when given one, its
    /// shape taken from `shapes`.
    pub(crate) fn into_message(
        self,
        text: &str,
        task_uuid: Option<TaskUuid>,
        shapes: &mut Shapes,
    ) -> WrittenMessage {
        let task_uuid = task_uuid.unwrap_or_else(|| TaskUuid::from(&*self.task_uuid));
        let shape = shapes.get(&self.type_name, self.status, &self.task_level);
        let text = Text::plain(text, self.fields.as_ref());
        WrittenMessage::new(text, task_uuid, self.timestamp, shape)
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

impl<'de> Lenient<'de> for Slots {
    const EXPECTING: &'static str = "an array of positive integers";

    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Found<Self>, A::Error> {
        let mut level = Slots::new();
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
            Found::Valid(level)
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
    use crate::{Problem, parse_log};

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
}
