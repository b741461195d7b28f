//! What `MemoryLogger::validate` checks.

use std::collections::HashSet;
use std::fmt;

use serde_json::Value;

use crate::message::Message;
use crate::util::json::UNSERIALIZABLE_KEY;

use super::memory_logger::{is_traceback, parse, parsed};

/// What was wrong with a captured log; its `Display` lists every problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    problems: Vec<String>,
}

impl ValidationError {
    /// One line per problem found.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the captured log has {} problem(s):",
            self.problems.len()
        )?;
        for problem in &self.problems {
            write!(f, "\n- {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

pub(super) fn validate(lines: &[Message], flushed: &HashSet<usize>) -> Result<(), ValidationError> {
    let mut problems = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let message = parse(line);
        let kind = message
            .get("message_type")
            .or(message.get("action_type"))
            .and_then(Value::as_str)
            .unwrap_or("<untyped>");
        for (key, value) in &message {
            unserializable(kind, key, value, &mut problems);
        }
        crate::declared::check_message(&message, &mut problems);
        if !flushed.contains(&index) && is_traceback(line) {
            let field = |key: &str| message.get(key).and_then(Value::as_str).unwrap_or("?");
            problems.push(format!(
                "unflushed traceback: {}: {} (flush expected ones with MemoryLogger::flush_tracebacks)",
                field("exception"),
                field("reason")
            ));
        }
    }
    let log = parsed(lines);
    for bad in &log.malformed {
        problems.push(format!("unplaced line: {bad}"));
    }
    for task in &log.tasks {
        for action in task.actions() {
            if let (Some(start), None) = (action.start_message(), action.end_message()) {
                problems.push(format!(
                    "unfinished action: {} started at {}{} never finished",
                    start.action_type().unwrap_or("?"),
                    task.task_uuid(),
                    start.task_level()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ValidationError { problems })
    }
}

/// Reports the placeholders written for values that failed to serialize.
fn unserializable(kind: &str, path: &str, value: &Value, problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(type_name) = map.get(UNSERIALIZABLE_KEY) {
                let error = map.get("error").and_then(Value::as_str).unwrap_or("?");
                problems.push(format!(
                    "unserializable field in {kind}: {path} (a {}): {error}",
                    type_name.as_str().unwrap_or("?")
                ));
                return;
            }
            for (key, value) in map {
                unserializable(kind, &format!("{path}.{key}"), value, problems);
            }
        }
        Value::Array(values) => {
            for (index, value) in values.iter().enumerate() {
                unserializable(kind, &format!("{path}[{index}]"), value, problems);
            }
        }
        _ => {}
    }
}

/// Checks every message of a declared type (`#[derive(MessageType)]`) in
/// `logger` against its declaration, as Python's `validate_logging` does:
/// a missing field, a field the declaration does not have, or a value that
/// the field's type cannot serialize to is reported. `MemoryLogger::validate`
/// makes the same checks among its others. (Runnable in the documentation
/// of `#[derive(MessageType)]` and in `examples/declared_types.rs`.)
///
/// ```text
/// use eliot::MessageType;
/// use eliot::testing::{MemoryLogger, validate_declared};
///
/// #[derive(MessageType)]
/// #[eliot(message_type = "doc:row")]
/// struct Row { id: u64 }
///
/// let logger = MemoryLogger::new();
/// logger.run(|| {
///     Row { id: 1 }.log();
///     eliot::log_message!("doc:row", id = "one", extra = true); // drifted from the declaration
/// });
/// let problems = validate_declared(&logger).unwrap_err();
/// assert_eq!(problems.problems().len(), 2);
/// ```
pub fn validate_declared(logger: &super::MemoryLogger) -> Result<(), ValidationError> {
    let mut problems = Vec::new();
    for message in logger.messages() {
        crate::declared::check_message(&message, &mut problems);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ValidationError { problems })
    }
}
