//! write_failure adapters: errors logged as eliot:traceback in the current
//! action, on a Result and on a future's error, passed on or swallowed.

use crate::support::all_messages::{Line, level, new_task, task};

use eliot::FutureContextExt;
use eliot_tokio::{DeferredContext, FutureWriteFailureExt, WriteFailureExt};

fn assert_traceback(line: &Line, exception: &str, reason: &str) {
    assert_eq!(line["message_type"], "eliot:traceback");
    assert_eq!(line["exception"], exception);
    assert_eq!(line["reason"], reason);
    assert!(
        line["traceback"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{exception}: {reason}")),
        "{line:?}"
    );
}

#[test]
fn a_result_error_is_logged_in_the_current_action_and_passed_on() {
    let action = new_task("test:result");
    let (passed, swallowed, ok) = action.run(|| {
        (
            "x1".parse::<u8>().write_failure(),
            "x2".parse::<u8>().swallow_failure(),
            "7".parse::<u8>().write_failure(),
        )
    });
    assert_eq!(
        passed.unwrap_err().to_string(),
        "invalid digit found in string"
    );
    assert_eq!(swallowed, None);
    assert_eq!(ok, Ok(7));
    action.finish().unwrap();
    let lines = task(action.task_uuid());
    assert_eq!(lines.len(), 4, "an Ok logs nothing: {lines:?}");
    assert_traceback(
        &lines[1],
        "core::num::error::ParseIntError",
        "invalid digit found in string",
    );
    assert_eq!(level(&lines[1]), [2]);
    assert_traceback(
        &lines[2],
        "core::num::error::ParseIntError",
        "invalid digit found in string",
    );
    assert_eq!(level(&lines[2]), [3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_future_error_is_logged_in_the_action_that_polls_it() {
    let mut actions = Vec::new();
    let mut handles = Vec::new();
    for i in 0..16u32 {
        let action = new_task("test:future");
        let read = async move {
            tokio::task::yield_now().await;
            std::fs::read(format!("/nonexistent/eliot-{i}"))
        };
        let checked = async move {
            if i % 2 == 0 {
                read.write_failure().await.is_err()
            } else {
                read.swallow_failure().await.is_none()
            }
        };
        handles.push(tokio::spawn(checked.in_action(&action)));
        actions.push(action);
    }
    for handle in handles {
        assert!(
            handle.await.unwrap(),
            "the error was passed on, or swallowed into None"
        );
    }
    for action in &actions {
        action.finish().unwrap();
        let lines = task(action.task_uuid());
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_traceback(
            &lines[1],
            "std::io::error::Error",
            "No such file or directory (os error 2)",
        );
        assert_eq!(lines[1]["errno"], 2);
        assert_eq!(level(&lines[1]), [2]);
    }
}

/// Python's `d.addErrback(writeFailure)`, on a DeferredContext: the errback
/// runs in the captured action, logs and swallows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_errback_on_a_deferred_context() {
    let action = new_task("test:errback");
    let d = DeferredContext::with_action(&action, async { "nope".parse::<u32>() })
        .add_both(|result| result.swallow_failure())
        .result();
    assert_eq!(tokio::spawn(d).await.unwrap(), None);
    action.finish().unwrap();
    let lines = task(action.task_uuid());
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_traceback(
        &lines[1],
        "core::num::error::ParseIntError",
        "invalid digit found in string",
    );
}
