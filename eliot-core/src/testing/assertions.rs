//! Eliot's test assertions: `assert_has_message`, `assert_has_action`,
//! `assert_contains_fields`.

use serde_json::{Map, Value};

use super::logged::{LoggedAction, LoggedMessage};
use super::memory_logger::MessageSource;

/// Asserts that `message` has every field of `fields` (a JSON object, or
/// `null` for no check) with the same value (Eliot's
/// `assertContainsFields`).
///
/// ```
/// use eliot_core::testing::assert_contains_fields;
/// use serde_json::json;
///
/// let message = json!({"x": 1, "y": 2}).as_object().unwrap().clone();
/// assert_contains_fields(&message, &json!({"x": 1}));
/// ```
#[track_caller]
pub fn assert_contains_fields(message: &Map<String, Value>, fields: &Value) {
    let expected = match fields {
        Value::Null => return,
        Value::Object(expected) => expected,
        other => panic!("the fields to check must be a JSON object, not {other}"),
    };
    let found: Map<String, Value> = expected
        .keys()
        .filter_map(|key| Some((key.clone(), message.get(key)?.clone())))
        .collect();
    if &found != expected {
        panic!(
            "the message does not have the expected fields\n  expected: {}\n  found:    {}\n  message:  {}",
            Value::Object(expected.clone()),
            Value::Object(found),
            Value::Object(message.clone())
        );
    }
}

/// Asserts that a message of `message_type` was logged and that the first
/// one has `fields` (a JSON object, or `null`); returns it (Eliot's
/// `assertHasMessage`).
///
/// ```
/// use eliot_core::log_message;
/// use eliot_core::testing::{MemoryLogger, assert_has_message};
/// use serde_json::json;
///
/// let logger = MemoryLogger::new();
/// logger.run(|| log_message!("app:hello", who = "world"));
/// assert_has_message(&logger, "app:hello", json!({"who": "world"}));
/// ```
#[track_caller]
pub fn assert_has_message(
    source: &(impl MessageSource + ?Sized),
    message_type: &str,
    fields: Value,
) -> LoggedMessage {
    let Some(first) = LoggedMessage::of_type(source, message_type)
        .into_iter()
        .next()
    else {
        panic!("no message of type {message_type:?} was logged");
    };
    assert_contains_fields(first.message(), &fields);
    first
}

/// Asserts that an action of `action_type` was logged, and that the first
/// one finished, succeeded or not as `succeeded` says, with `start_fields`
/// in its start message and `end_fields` in its end message (JSON objects,
/// or `null`); returns it (Eliot's `assertHasAction`).
///
/// ```
/// use eliot_core::start_action;
/// use eliot_core::testing::{MemoryLogger, assert_has_action};
/// use serde_json::json;
///
/// let logger = MemoryLogger::new();
/// logger.run(|| {
///     let error = std::io::Error::other("disk full");
///     start_action!("app:save", path = "/tmp/x").finish_with_error(&error);
/// });
/// assert_has_action(&logger, "app:save", false, json!({"path": "/tmp/x"}), json!({"reason": "disk full"}));
/// ```
#[track_caller]
pub fn assert_has_action(
    source: &(impl MessageSource + ?Sized),
    action_type: &str,
    succeeded: bool,
    start_fields: Value,
    end_fields: Value,
) -> LoggedAction {
    let Some(first) = LoggedAction::of_type(source, action_type)
        .into_iter()
        .next()
    else {
        panic!("no action of type {action_type:?} was logged");
    };
    let Some(end) = first.end_message() else {
        panic!("the action {action_type:?} never finished");
    };
    if first.succeeded() != succeeded {
        panic!(
            "the action {action_type:?} {} but was expected to {}: {}",
            if first.succeeded() {
                "succeeded"
            } else {
                "failed"
            },
            if succeeded { "succeed" } else { "fail" },
            Value::Object(end.clone())
        );
    }
    assert_contains_fields(first.start_message(), &start_fields);
    assert_contains_fields(end, &end_fields);
    first
}
