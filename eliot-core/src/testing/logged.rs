//! Logged actions and messages, found by type: Eliot's `LoggedAction` and
//! `LoggedMessage`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::parse::{Node, Task, WrittenAction, WrittenMessage};

use super::memory_logger::{MessageSource, parse, parsed};

/// A message that was logged, with its fields (Eliot's `LoggedMessage`).
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedMessage {
    message: Map<String, Value>,
}

/// An action that was logged: its start and end messages and what was
/// logged in it (Eliot's `LoggedAction`).
///
/// ```
/// use eliot_core::testing::{LoggedAction, MemoryLogger};
/// use eliot_core::{log_message, start_action};
/// use serde_json::json;
///
/// let logger = MemoryLogger::new();
/// logger.run(|| {
///     let _request = start_action!("app:request");
///     log_message!("app:request:received");
///     let _query = start_action!("app:db:query");
///     log_message!("app:db:row");
/// });
/// let request = &LoggedAction::of_type(&logger, "app:request")[0];
/// assert!(request.succeeded());
/// assert_eq!(
///     request.type_tree(),
///     json!({"app:request": ["app:request:received", {"app:db:query": ["app:db:row"]}]})
/// );
/// assert_eq!(request.descendants().len(), 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedAction {
    start_message: Map<String, Value>,
    end_message: Option<Map<String, Value>>,
    children: Vec<LoggedNode>,
}

/// A child of a [`LoggedAction`].
#[derive(Clone, Debug, PartialEq)]
pub enum LoggedNode {
    /// A child action.
    Action(LoggedAction),
    /// A message logged in the action.
    Message(LoggedMessage),
}

impl LoggedMessage {
    /// Every message of type `message_type`, in the order they were logged.
    pub fn of_type(
        source: &(impl MessageSource + ?Sized),
        message_type: &str,
    ) -> Vec<LoggedMessage> {
        source
            .logged_messages()
            .iter()
            .map(parse)
            .filter(|m| m.get("message_type").and_then(Value::as_str) == Some(message_type))
            .map(|message| LoggedMessage { message })
            .collect()
    }

    /// The message's fields, Eliot's own included.
    pub fn message(&self) -> &Map<String, Value> {
        &self.message
    }

    /// The message's `message_type`.
    pub fn message_type(&self) -> &str {
        self.message
            .get("message_type")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    fn from_written(message: &WrittenMessage) -> Self {
        LoggedMessage {
            message: message.to_map(),
        }
    }
}

impl LoggedAction {
    /// Every action of type `action_type`, in the order they started.
    pub fn of_type(source: &(impl MessageSource + ?Sized), action_type: &str) -> Vec<LoggedAction> {
        let lines = source.logged_messages();
        let tasks = parsed(&lines).tasks;
        let mut by_uuid: HashMap<&str, Vec<&Task>> = HashMap::new();
        for task in &tasks {
            by_uuid.entry(task.task_uuid()).or_default().push(task);
        }
        let mut found = Vec::new();
        for line in &lines {
            let Ok(start) = WrittenMessage::from_json(line.as_json()) else {
                continue;
            };
            if start.action_type() != Some(action_type)
                || start.action_status() != Some(crate::parse::ActionStatus::Started)
            {
                continue;
            }
            let level = start.task_level().as_slice();
            let action = by_uuid
                .get(start.task_uuid())
                .into_iter()
                .flatten()
                .filter_map(|task| task.action(&level[..level.len() - 1]))
                .find(|action| action.start_message() == Some(&start));
            if let Some(action) = action.and_then(LoggedAction::from_written) {
                found.push(action);
            }
        }
        found
    }

    /// A logged action from a parsed one; `None` for a placeholder whose
    /// start was not logged.
    pub fn from_written(action: &WrittenAction) -> Option<Self> {
        Some(LoggedAction {
            start_message: action.start_message()?.to_map(),
            end_message: action.end_message().map(WrittenMessage::to_map),
            children: action
                .children()
                .iter()
                .filter_map(|child| match child {
                    Node::Action(action) => {
                        LoggedAction::from_written(action).map(LoggedNode::Action)
                    }
                    Node::Message(message) => {
                        Some(LoggedNode::Message(LoggedMessage::from_written(message)))
                    }
                })
                .collect(),
        })
    }

    /// The start message's fields.
    pub fn start_message(&self) -> &Map<String, Value> {
        &self.start_message
    }

    /// The end message's fields; `None` while the action has not finished.
    pub fn end_message(&self) -> Option<&Map<String, Value>> {
        self.end_message.as_ref()
    }

    /// The action's type.
    pub fn action_type(&self) -> &str {
        self.start_message
            .get("action_type")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The messages and actions logged directly in this action, in order.
    pub fn children(&self) -> &[LoggedNode] {
        &self.children
    }

    /// Every message and action logged in this action, at any depth: each
    /// child, then its own descendants.
    pub fn descendants(&self) -> Vec<&LoggedNode> {
        let mut out = Vec::new();
        for child in &self.children {
            out.push(child);
            if let LoggedNode::Action(action) = child {
                out.extend(action.descendants());
            }
        }
        out
    }

    /// Whether the action finished successfully.
    pub fn succeeded(&self) -> bool {
        self.end_message
            .as_ref()
            .and_then(|end| end.get("action_status"))
            .and_then(Value::as_str)
            == Some("succeeded")
    }

    /// The types in this action as nested JSON: `{"<action type>": [...]}`,
    /// each child a message type string or an action's own type tree.
    pub fn type_tree(&self) -> Value {
        let children = self
            .children
            .iter()
            .map(|child| match child {
                LoggedNode::Action(action) => action.type_tree(),
                LoggedNode::Message(message) => Value::from(message.message_type()),
            })
            .collect();
        let mut tree = Map::new();
        tree.insert(self.action_type().to_owned(), Value::Array(children));
        Value::Object(tree)
    }
}

impl LoggedNode {
    /// The action, if this child is one.
    pub fn as_action(&self) -> Option<&LoggedAction> {
        match self {
            LoggedNode::Action(action) => Some(action),
            LoggedNode::Message(_) => None,
        }
    }

    /// The message, if this child is one.
    pub fn as_message(&self) -> Option<&LoggedMessage> {
        match self {
            LoggedNode::Message(message) => Some(message),
            LoggedNode::Action(_) => None,
        }
    }
}
