//! `#[inline_actions(debug)]`: a `yielded` message at every `.await` written
//! in the body, in the context the body has there.

use crate::support::tasks::{Capture, kind, status};
use eliot::{inline_actions, log_message, start_action, start_task};

async fn step(label: &'static str) -> &'static str {
    tokio::task::yield_now().await;
    label
}

#[inline_actions(debug)]
async fn chatty() -> usize {
    // In the caller's context: a child of the test's task.
    let first = step("first").await;
    let action = start_action!("test:chatty");
    let second = step("second").await;
    log_message!("test:chatty:between");
    // A nested async block's awaits are its own; awaiting it is ours.
    let nested = async { step("nested").await };
    let third = nested.await;
    // Awaits inside macros are not rewritten (but run in our context).
    let (a, b) = tokio::join!(step("a"), step("b"));
    drop(action);
    [first, second, third, a, b].len()
}

#[inline_actions]
async fn quiet() {
    step("quiet").await;
}

#[inline_actions]
async fn scenario() -> String {
    let task = start_task!("test:debug");
    assert_eq!(chatty().await, 5);
    quiet().await;
    task.task_uuid().to_owned()
}

#[test]
fn every_await_of_the_body_logs_yielded_in_its_context() {
    for runtime in [
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap(),
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    ] {
        let capture = Capture::start();
        let uuid = runtime.block_on(scenario());
        let log = capture.finish();
        let task = log.task(&uuid);
        let order: Vec<(String, Vec<String>)> = task
            .messages
            .iter()
            .filter(|m| status(m).is_none())
            .map(|m| (kind(m).to_owned(), task.path(m)))
            .collect();
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            order,
            [
                ("yielded".to_owned(), path(&["test:debug"])),
                ("yielded".to_owned(), path(&["test:debug", "test:chatty"])),
                (
                    "test:chatty:between".to_owned(),
                    path(&["test:debug", "test:chatty"])
                ),
                ("yielded".to_owned(), path(&["test:debug", "test:chatty"])),
            ],
            "`quiet` (no debug) logs nothing"
        );
        task.assert_complete();
    }
}
