//! Failures: errors, panics and cancellation end actions as failed, with
//! Eliot's `exception` and `reason`; tracebacks carry the source chain.

// The futures here hold guards across awaits legitimately: they carry their own
// context (WithContext), and each test body is block_on'd on one thread.
#![allow(clippy::await_holding_invalid_type)]

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::support::capture::{capture, parse, parse_all};
use eliot::{
    CANCELLED_EXCEPTION, FutureContextExt, PANIC_EXCEPTION, register_exception_extractor,
    start_action, write_traceback,
};

#[derive(Debug)]
struct Outer(std::io::Error);
impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("could not load the settings")
    }
}
impl Error for Outer {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn a_panic_fails_the_action_with_the_panic_message() {
    let (result, lines) = capture(|| {
        std::panic::catch_unwind(|| {
            let _outer = start_action!("t:outer");
            let _inner = start_action!("t:inner");
            panic!("index {} out of range", 7);
        })
    });
    assert!(result.is_err());
    let messages = parse_all(&lines);
    let ends: Vec<_> = messages
        .iter()
        .filter(|m| m["action_status"] == "failed")
        .collect();
    assert_eq!(ends.len(), 2, "both open actions fail");
    for end in ends {
        assert_eq!(end["exception"], PANIC_EXCEPTION);
        assert_eq!(end["reason"], "index 7 out of range");
    }
    assert!(eliot::current_action().is_none(), "the context unwound too");
}

#[test]
fn within_finishes_from_the_result() {
    let (results, lines) = capture(|| {
        let ok: Result<u8, std::num::ParseIntError> =
            start_action!("t:parse", input = "7").within(|_| "7".parse());
        let err: Result<u8, std::num::ParseIntError> =
            start_action!("t:parse", input = "x").within(|_| "x".parse());
        (ok, err)
    });
    assert_eq!(results.0, Ok(7));
    assert!(results.1.is_err());
    let ends: Vec<_> = parse_all(&lines)
        .into_iter()
        .filter(|m| m["action_status"] != "started")
        .collect();
    assert_eq!(ends[0]["action_status"], "succeeded");
    assert_eq!(ends[1]["action_status"], "failed");
    assert_eq!(ends[1]["exception"], "core::num::error::ParseIntError");
    assert_eq!(ends[1]["reason"], "invalid digit found in string");
}

#[test]
fn failure_drops_success_fields_and_keeps_extractor_fields() {
    let ((), lines) = capture(|| {
        let action = start_action!("t:io");
        action.add_success_fields(eliot::fields!(bytes = 10));
        action.finish_with_error(&std::io::Error::from_raw_os_error(13));
    });
    let end = parse(&lines[1]);
    assert!(end.get("bytes").is_none());
    assert_eq!(end["errno"], 13);
    assert!(
        end["reason"]
            .as_str()
            .unwrap()
            .contains("Permission denied")
    );
}

#[test]
fn dyn_errors_keep_the_name_of_registered_types() {
    let ((), lines) = capture(|| {
        let io: Box<dyn Error + Send + Sync> = Box::new(std::io::Error::other("boxed"));
        start_action!("t:dyn").finish_with_error(&*io);
        let unknown: Box<dyn Error> = "just text".into();
        start_action!("t:dyn").finish_with_error(&*unknown);
    });
    let ends: Vec<_> = parse_all(&lines)
        .into_iter()
        .filter(|m| m["action_status"] == "failed")
        .collect();
    assert_eq!(ends[0]["exception"], "std::io::error::Error");
    assert_eq!(ends[0]["errno"], serde_json::Value::Null);
    assert_eq!(ends[1]["exception"], "dyn core::error::Error");
    assert_eq!(ends[1]["reason"], "just text");
}

#[test]
fn custom_extractors_add_fields() {
    #[derive(Debug)]
    struct Http(u16);
    impl fmt::Display for Http {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "HTTP {}", self.0)
        }
    }
    impl Error for Http {}
    register_exception_extractor(|e: &Http, fields| fields.add("status", &e.0));
    let ((), lines) = capture(|| start_action!("t:http").finish_with_error(&Http(503)));
    let end = parse(&lines[1]);
    assert_eq!(end["status"], 503);
    assert_eq!(
        &crate::support::capture::keys(&lines[1])[..3],
        ["status", "exception", "reason"]
    );
}

#[test]
fn tracebacks_carry_the_source_chain() {
    let ((), lines) = capture(|| {
        let _action = start_action!("t:load");
        write_traceback(&Outer(std::io::Error::from_raw_os_error(2)));
    });
    let traceback = parse(&lines[1]);
    assert_eq!(traceback["message_type"], "eliot:traceback");
    assert_eq!(
        &crate::support::capture::keys(&lines[1])[..3],
        ["reason", "traceback", "exception"],
        "Eliot's order"
    );
    assert_eq!(traceback["reason"], "could not load the settings");
    let text = traceback["traceback"].as_str().unwrap();
    assert!(
        text.starts_with("engine::failures::Outer: could not load the settings\n"),
        "{text}"
    );
    assert!(
        text.contains("Caused by:\n    0: No such file or directory (os error 2)"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_future_fails_its_actions_as_cancelled() {
    let lines = std::sync::Arc::new(crate::support::capture::Lines::default());
    let route = eliot::__private::SavedContext::routed_to(lines.clone()).enter();
    let slow = async {
        let _outer = start_action!("t:slow_outer");
        let _inner = start_action!("t:slow_inner");
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    .in_current_context();
    drop(route);
    assert!(
        tokio::time::timeout(Duration::from_millis(20), slow)
            .await
            .is_err()
    );
    let ends: Vec<_> = parse_all(&lines.take())
        .into_iter()
        .filter(|m| m["action_status"] == "failed")
        .collect();
    assert_eq!(ends.len(), 2);
    for end in &ends {
        assert_eq!(end["exception"], CANCELLED_EXCEPTION);
        assert!(end["reason"].as_str().unwrap().contains("cancelled"));
    }
    // Inner first: the body's locals drop in reverse order, under its context.
    assert_eq!(ends[0]["action_type"], "t:slow_inner");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_task_fails_its_actions_with_the_message() {
    let lines = std::sync::Arc::new(crate::support::capture::Lines::default());
    let route = eliot::__private::SavedContext::routed_to(lines.clone()).enter();
    let task = tokio::spawn(
        async {
            let _action = start_action!("t:doomed");
            tokio::task::yield_now().await;
            panic!("the numbers did not add up");
        }
        .in_current_context(),
    );
    drop(route);
    assert!(task.await.unwrap_err().is_panic());
    let end = parse_all(&lines.take())
        .into_iter()
        .find(|m| m["action_status"] == "failed")
        .expect("the action failed");
    assert_eq!(end["exception"], PANIC_EXCEPTION);
    assert_eq!(end["reason"], "the numbers did not add up");
}
