//! Eliot's assertions and the LoggedAction / LoggedMessage helpers.

use eliot::testing::{
    LoggedAction, LoggedMessage, MemoryLogger, assert_contains_fields, assert_has_action,
    assert_has_message,
};
use eliot::{fields, log_message, start_action};
use serde_json::json;

/// A request with a nested query, a failed retry and messages at each level.
fn logged() -> MemoryLogger {
    let logger = MemoryLogger::new();
    logger.run(|| {
        let request = start_action!("t:as:request", path = "/users/7");
        log_message!("t:as:received", size = 512);
        {
            let query = start_action!("t:as:query", table = "users");
            log_message!("t:as:row", id = 7);
            log_message!("t:as:row", id = 8);
            query.add_success_fields(fields!(rows = 2));
        }
        let error = std::io::Error::other("timed out");
        start_action!("t:as:retry", attempt = 1).finish_with_error(&error);
        request.add_success_fields(fields!(status = 200));
    });
    logger
}

#[test]
fn assert_has_action_returns_the_first_action_of_the_type() {
    let logger = logged();
    let request = assert_has_action(
        &logger,
        "t:as:request",
        true,
        json!({"path": "/users/7"}),
        json!({"status": 200}),
    );
    assert_eq!(request.action_type(), "t:as:request");
    assert_eq!(request.end_message().unwrap()["action_status"], "succeeded");
    let retry = assert_has_action(
        &logger,
        "t:as:retry",
        false,
        json!({"attempt": 1}),
        json!({"reason": "timed out"}),
    );
    assert!(!retry.succeeded());
    assert_has_action(&logger, "t:as:query", true, json!(null), json!(null));
}

#[test]
#[should_panic(expected = "no action of type \"t:as:missing\" was logged")]
fn assert_has_action_fails_when_there_is_none() {
    assert_has_action(&logged(), "t:as:missing", true, json!(null), json!(null));
}

#[test]
#[should_panic(expected = "the action \"t:as:retry\" failed but was expected to succeed")]
fn assert_has_action_checks_the_outcome() {
    assert_has_action(&logged(), "t:as:retry", true, json!(null), json!(null));
}

#[test]
#[should_panic(expected = "the message does not have the expected fields")]
fn assert_has_action_checks_the_start_fields() {
    assert_has_action(
        &logged(),
        "t:as:request",
        true,
        json!({"path": "/users/8"}),
        json!(null),
    );
}

#[test]
#[should_panic(expected = "never finished")]
fn assert_has_action_fails_on_an_unfinished_action() {
    let logger = MemoryLogger::new();
    logger.run(|| std::mem::forget(start_action!("t:as:open").into_action()));
    assert_has_action(&logger, "t:as:open", true, json!(null), json!(null));
}

#[test]
fn assert_has_message_checks_the_first_message_of_the_type() {
    let logger = logged();
    let row = assert_has_message(&logger, "t:as:row", json!({"id": 7}));
    assert_eq!(row.message_type(), "t:as:row");
    let rows = LoggedMessage::of_type(&logger, "t:as:row");
    assert_eq!(
        rows.iter()
            .map(|r| r.message()["id"].clone())
            .collect::<Vec<_>>(),
        [7, 8]
    );
}

#[test]
#[should_panic(expected = "no message of type \"t:as:nothing\" was logged")]
fn assert_has_message_fails_when_there_is_none() {
    assert_has_message(&logged(), "t:as:nothing", json!(null));
}

#[test]
#[should_panic(expected = "expected: {\"id\":8}")]
fn assert_has_message_checks_fields() {
    assert_has_message(&logged(), "t:as:row", json!({"id": 8}));
}

#[test]
fn assert_contains_fields_ignores_other_fields() {
    let message = json!({"a": 1, "b": [1, 2], "c": null})
        .as_object()
        .unwrap()
        .clone();
    assert_contains_fields(&message, &json!({"b": [1, 2], "c": null}));
    assert_contains_fields(&message, &json!({}));
    let missing = std::panic::catch_unwind(|| assert_contains_fields(&message, &json!({"d": 1})));
    assert!(missing.is_err(), "a missing key is not a match");
}

#[test]
fn logged_actions_have_children_descendants_and_a_type_tree() {
    let logger = logged();
    let request = &LoggedAction::of_type(&logger, "t:as:request")[0];
    assert_eq!(
        request.type_tree(),
        json!({"t:as:request": ["t:as:received", {"t:as:query": ["t:as:row", "t:as:row"]}, {"t:as:retry": []}]})
    );
    let children: Vec<&str> = request
        .children()
        .iter()
        .map(|child| match (child.as_action(), child.as_message()) {
            (Some(action), None) => action.action_type(),
            (None, Some(message)) => message.message_type(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(children, ["t:as:received", "t:as:query", "t:as:retry"]);
    assert_eq!(
        request.descendants().len(),
        5,
        "received, query, two rows, retry"
    );
    let query = request.children()[1].as_action().unwrap();
    assert_eq!(query.end_message().unwrap()["rows"], 2);
}

#[test]
fn of_type_finds_actions_in_the_order_they_started_across_tasks() {
    let logger = MemoryLogger::new();
    logger.run(|| {
        for i in 0..3 {
            let _outer = start_action!("t:as:outer", i = i);
            let _inner = start_action!("t:as:inner", i = i);
        }
    });
    let inner = LoggedAction::of_type(&logger, "t:as:inner");
    let order: Vec<_> = inner
        .iter()
        .map(|a| a.start_message()["i"].clone())
        .collect();
    assert_eq!(order, [0, 1, 2]);
    // Messages from elsewhere than a MemoryLogger work too.
    let lines = logger.lines();
    assert_eq!(LoggedAction::of_type(&lines[..], "t:as:outer").len(), 3);
}
