//! `#[capture_logging]` on async tests, stacked with `#[tokio::test]` in
//! either order: the logger follows the test across awaits and into the
//! tasks it spawns with its context, on a multi-threaded runtime, and tests
//! running at the same time never see each other's messages.

use std::time::Duration;

use eliot::testing::{LoggedAction, MemoryLogger};
use eliot::tokio_integration::spawn;
use eliot::{Action, capture_logging, inline_actions, log_message, start_action};
use serde_json::json;

/// A worker with a nested action that yields and sleeps between messages,
/// so that workers interleave across the runtime's threads.
#[inline_actions]
async fn worker(tag: &'static str, index: u64) {
    let _work = start_action!("t:async:worker", tag = tag, index = index);
    for step in 0..5u64 {
        if (index + step).is_multiple_of(2) {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        log_message!("t:async:step", tag = tag, index = index, step = step);
    }
}

/// Spawns `count` workers in `root` and waits for them.
async fn run_workers(root: &Action, tag: &'static str, count: u64) {
    let handles: Vec<_> = (0..count)
        .map(|index| root.run(|| spawn(worker(tag, index))))
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
}

/// Checks that every worker's steps are its own children, in order, and
/// that nothing else was captured.
fn check_workers(logger: &MemoryLogger, tag: &str, count: u64) {
    let tasks = logger.tasks();
    assert_eq!(tasks.len(), 1, "one task: the test's root action");
    assert!(tasks[0].is_complete());
    let workers = LoggedAction::of_type(logger, "t:async:worker");
    assert_eq!(workers.len() as u64, count, "only this test's workers");
    for worker in &workers {
        assert!(worker.succeeded());
        assert_eq!(worker.start_message()["tag"], tag);
        let index = worker.start_message()["index"].as_u64().unwrap();
        let steps: Vec<(u64, u64)> = worker
            .children()
            .iter()
            .map(|child| {
                let message = child
                    .as_message()
                    .expect("a worker holds messages only")
                    .message();
                (
                    message["index"].as_u64().unwrap(),
                    message["step"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(steps, (0..5).map(|step| (index, step)).collect::<Vec<_>>());
    }
    let root = &LoggedAction::of_type(logger, "t:async:root")[0];
    assert_eq!(
        root.children().len() as u64,
        count,
        "every worker is a child of the root"
    );
    assert_eq!(root.descendants().len() as u64, count * 6);
}

#[capture_logging]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spawned_workers_are_captured_under_their_action(logger: MemoryLogger) {
    let root = start_action!("t:async:root").into_action();
    run_workers(&root, "above", 16).await;
    root.finish().unwrap();
    check_workers(&logger, "above", 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[capture_logging]
async fn it_also_works_below_tokio_test(logger: MemoryLogger) {
    let root = start_action!("t:async:root").into_action();
    run_workers(&root, "below", 12).await;
    root.finish().unwrap();
    check_workers(&logger, "below", 12);
}

#[capture_logging]
#[tokio::test(flavor = "current_thread")]
async fn messages_outside_actions_are_captured_across_awaits(logger: MemoryLogger) {
    log_message!("t:async:before");
    tokio::time::sleep(Duration::from_millis(2)).await;
    log_message!("t:async:after");
    let types: Vec<String> = logger
        .messages()
        .iter()
        .map(|m| m["message_type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, ["t:async:before", "t:async:after"]);
}

#[capture_logging]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "unfinished action: t:async:abandoned")]
async fn an_action_left_open_in_a_task_fails_the_test() {
    let root = start_action!("t:async:abandoned").into_action();
    let _ = root
        .run(|| spawn(async { log_message!("t:async:in_task") }))
        .await;
}

/// Several tests log the same types at the same time; each sees its own.
macro_rules! isolation_test {
    ($name:ident, $tag:literal, $count:literal) => {
        #[capture_logging]
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name(logger: MemoryLogger) {
            for _ in 0..3 {
                let root = start_action!("t:async:root").into_action();
                run_workers(&root, $tag, $count).await;
                root.finish().unwrap();
                let workers = LoggedAction::of_type(&logger, "t:async:worker");
                assert_eq!(workers.len(), $count, "exactly this test's workers");
                assert!(
                    workers
                        .iter()
                        .all(|w| w.start_message()["tag"] == json!($tag))
                );
                logger.reset();
            }
        }
    };
}

isolation_test!(isolation_a, "a", 20);
isolation_test!(isolation_b, "b", 21);
isolation_test!(isolation_c, "c", 22);
