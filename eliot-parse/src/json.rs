//! Tasks as JSON: the tree, with every message embedded as it was logged.
//!
//! A task serializes as
//! `{"task_uuid": ..., "complete": ..., "root": NODE}`, where a NODE is
//!
//! - an action: `{"node": "action", "action_type", "task_level", "status",
//!   "complete", "start_time", "end_time", "duration", "start", "end",
//!   "children": [NODE...]}` (`start` and `end` are the messages, `null`
//!   when not read; a placeholder has neither), or
//! - a message: `{"node": "message", "message_type", "task_level",
//!   "timestamp", "message"}`.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;

use super::message::WrittenMessage;
use super::task::{Node, Task, WrittenAction};

impl Serialize for Task {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("task_uuid", self.task_uuid())?;
        map.serialize_entry("complete", &self.is_complete())?;
        map.serialize_entry("root", self.root())?;
        map.end()
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Action(action) => action.serialize(serializer),
            Node::Message(message) => {
                let mut map = serializer.serialize_map(Some(5))?;
                map.serialize_entry("node", "message")?;
                map.serialize_entry("message_type", &message.message_type())?;
                map.serialize_entry("task_level", message.task_level().as_slice())?;
                map.serialize_entry("timestamp", &message.timestamp())?;
                map.serialize_entry("message", message)?;
                map.end()
            }
        }
    }
}

impl Serialize for WrittenAction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(11))?;
        map.serialize_entry("node", "action")?;
        map.serialize_entry("action_type", &self.action_type())?;
        map.serialize_entry("task_level", self.task_level().as_slice())?;
        map.serialize_entry("status", &self.status().map(|s| s.as_str()))?;
        map.serialize_entry("complete", &self.is_complete())?;
        map.serialize_entry("start_time", &self.start_time())?;
        map.serialize_entry("end_time", &self.end_time())?;
        map.serialize_entry("duration", &self.duration())?;
        map.serialize_entry("start", &self.start_message())?;
        map.serialize_entry("end", &self.end_message())?;
        map.serialize_entry("children", self.children())?;
        map.end()
    }
}

impl Serialize for WrittenMessage {
    /// The message as it was logged.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The line was checked to be a JSON object when it was read; to a
        // JSON serializer it is written as is, borrowed, not copied.
        match serde_json::from_str::<&RawValue>(self.as_json()) {
            Ok(raw) => raw.serialize(serializer),
            Err(_) => self.to_map().serialize(serializer),
        }
    }
}
