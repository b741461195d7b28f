//! `#[capture_logging]` on synchronous tests: the test gets its logger, sees
//! only its own messages, and fails when its log does not validate.

use std::sync::Arc;

use eliot::testing::{LoggedAction, MemoryLogger, assert_has_action};
use eliot::{
    Destination, DestinationError, Message, add_destination, capture_logging, fields, log_message,
    preserve_context, remove_destination, start_action, write_traceback,
};
use serde_json::json;

#[capture_logging]
#[test]
fn the_test_gets_its_logger_and_sees_what_it_logs(logger: MemoryLogger) {
    let action = start_action!("t:sync:sum", a = 2, b = 4);
    log_message!("t:sync:step", n = 1);
    action.add_success_fields(fields!(result = 6));
    drop(action);
    let sum = assert_has_action(
        &logger,
        "t:sync:sum",
        true,
        json!({"a": 2}),
        json!({"result": 6}),
    );
    assert_eq!(sum.type_tree(), json!({"t:sync:sum": ["t:sync:step"]}));
    assert_eq!(logger.messages().len(), 3);
}

// Under `#[test]` (which allows no parameter), the test has no logger to
// check, but its log is still captured and validated.
#[test]
#[capture_logging]
#[should_panic(expected = "unfinished action: t:sync:under")]
fn it_stacks_under_test_without_a_parameter() {
    std::mem::forget(start_action!("t:sync:under").into_action());
}

#[capture_logging]
#[test]
fn the_logger_parameter_is_optional() {
    log_message!("t:sync:no_parameter");
}

#[capture_logging]
#[test]
fn results_and_question_marks_work(logger: MemoryLogger) -> Result<(), std::num::ParseIntError> {
    let port: u16 = "8080".parse()?;
    log_message!("t:sync:port", port = port);
    assert_eq!(logger.messages()[0]["port"], 8080);
    if port == 8080 {
        return Ok(());
    }
    unreachable!("returned above")
}

#[capture_logging]
#[test]
fn threads_that_preserve_the_context_are_captured(logger: MemoryLogger) {
    let job = start_action!("t:sync:job");
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(preserve_context(move || {
                log_message!("t:sync:in_thread", i = i)
            }))
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    drop(job);
    let job = &LoggedAction::of_type(&logger, "t:sync:job")[0];
    assert_eq!(
        job.children().len(),
        4,
        "every thread's message is a child of the job"
    );
}

/// Counts messages of the given type that reach the registered destinations.
struct Count(&'static str, std::sync::atomic::AtomicUsize);

impl Destination for Count {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        if message.as_json().contains(self.0) {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(())
    }
}

#[capture_logging]
#[test]
fn captured_messages_do_not_reach_the_registered_destinations(logger: MemoryLogger) {
    let count = Arc::new(Count("t:sync:private", Default::default()));
    let registered = add_destination(count.clone());
    log_message!("t:sync:private");
    let _action = start_action!("t:sync:private_action");
    remove_destination(&registered).unwrap();
    assert_eq!(count.1.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(logger.messages().len(), 2);
}

#[capture_logging]
#[test]
#[should_panic(expected = "unfinished action: t:sync:left_open started at")]
fn an_unfinished_action_fails_the_test() {
    let action = start_action!("t:sync:left_open").into_action();
    std::mem::forget(action);
}

#[capture_logging]
#[test]
#[should_panic(expected = "unflushed traceback: core::num::error::ParseIntError: invalid digit")]
fn an_unflushed_traceback_fails_the_test() {
    write_traceback(&"x".parse::<u8>().unwrap_err());
}

#[capture_logging]
#[test]
fn a_flushed_traceback_does_not(logger: MemoryLogger) {
    write_traceback(&"x".parse::<u8>().unwrap_err());
    let flushed = logger.flush_tracebacks::<std::num::ParseIntError>();
    assert_eq!(flushed.len(), 1);
}

/// A value whose serialization fails.
struct Unserializable;

impl serde::Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("this value cannot be written"))
    }
}

#[capture_logging]
#[test]
#[should_panic(expected = "unserializable field in t:sync:bad_field: payload")]
fn an_unserializable_field_fails_the_test() {
    log_message!("t:sync:bad_field", payload = Unserializable, fine = 1);
}
