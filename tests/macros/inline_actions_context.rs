//! `#[inline_actions]`: the function's context survives every await, never
//! leaks to other tasks, and is captured when the function is called.
//!
//! Every test runs on a multi-threaded runtime (tasks migrate between
//! workers and interleave) and most also on a current-thread runtime (many
//! tasks share one thread, the case where a leaked context is seen by
//! another task at once).

use std::time::Duration;

use crate::support::tasks::{Capture, assert_send, kind, level, status};
use eliot::{current_action, fields, inline_actions, log_message, start_action, start_task};

fn multi_thread() -> tokio::runtime::Runtime {
    crate::support::tasks::runtime(4)
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn both_runtimes(test: impl Fn(&tokio::runtime::Runtime)) {
    test(&multi_thread());
    test(&current_thread());
}

async fn some_async_api() -> u32 {
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    42
}

/// The example of Eliot's Twisted integration page: the message after the await is still logged inside
/// `yourapp:subsystem:frob`.
#[inline_actions]
async fn go() {
    let action = start_action!("yourapp:subsystem:frob");
    let x = some_async_api().await;
    action.log("some-report", fields!(x = x));
}

#[inline_actions]
async fn seed_scenario() -> String {
    let _task = start_task!("test:seed");
    // Other tasks log on the same workers meanwhile.
    let noise = tokio::spawn(async {
        for _ in 0..50 {
            tokio::task::yield_now().await;
            log_message!("test:seed:noise");
        }
    });
    // Spawned: it runs on any worker, interleaved with the noise, and still
    // finds its action after the await.
    tokio::spawn(go()).await.unwrap();
    noise.await.unwrap();
    current_action().unwrap().task_uuid().to_owned()
}

#[test]
fn the_seed_example_logs_some_report_inside_frob() {
    both_runtimes(|rt| {
        let capture = Capture::start();
        let uuid = rt.block_on(seed_scenario());
        let log = capture.finish();
        let task = log.task(&uuid);
        let report = task.one("some-report");
        assert_eq!(report["x"], 42);
        assert_eq!(task.path(report), ["test:seed", "yourapp:subsystem:frob"]);
        assert!(
            task.all("test:seed:noise").is_empty(),
            "no noise leaked into the task"
        );
        task.assert_complete();
    });
}

#[inline_actions]
async fn worker(name: String, rounds: usize) -> String {
    let _action = start_action!("test:worker", name = name);
    for round in 0..rounds {
        tokio::task::yield_now().await;
        assert_eq!(
            current_action()
                .map(|a| a.action_type().to_owned())
                .as_deref(),
            Some("test:worker")
        );
        log_message!("test:worker:round", name = name, round = round);
        if round % 3 == 0 {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    name
}

#[inline_actions]
async fn interleaved_one(i: usize) -> String {
    let task = start_task!("test:interleaved", index = i);
    // Called here, in the task's context; run as a task of its own.
    let name = tokio::spawn(worker(format!("w{i}"), 12)).await.unwrap();
    assert_eq!(name, format!("w{i}"));
    // The worker's actions never became ours.
    assert_eq!(current_action().unwrap().action_type(), "test:interleaved");
    task.task_uuid().to_owned()
}

#[test]
fn interleaved_tasks_never_see_each_others_actions() {
    both_runtimes(|rt| {
        let capture = Capture::start();
        let uuids = rt.block_on(async {
            let handles: Vec<_> = (0..40).map(|i| tokio::spawn(interleaved_one(i))).collect();
            let mut uuids = Vec::new();
            for handle in handles {
                uuids.push(handle.await.unwrap());
            }
            // Whatever ran on this thread left no context behind.
            assert!(current_action().is_none());
            uuids
        });
        let log = capture.finish();
        for (i, uuid) in uuids.iter().enumerate() {
            let task = log.task(uuid);
            assert_eq!(task.messages[0]["index"], i);
            let rounds = task.all("test:worker:round");
            assert_eq!(rounds.len(), 12);
            for round in rounds {
                assert_eq!(round["name"], format!("w{i}"), "another task's message");
                assert_eq!(task.path(round), ["test:interleaved", "test:worker"]);
            }
            task.assert_complete();
        }
    });
}

#[inline_actions]
async fn inner(depth: u32) -> u32 {
    let _action = start_action!("test:inner", depth = depth);
    tokio::task::yield_now().await;
    log_message!("test:inner:after_yield", depth = depth);
    if depth == 0 {
        0
    } else {
        Box::pin(inner(depth - 1)).await + 1
    }
}

#[inline_actions]
async fn outer() -> u32 {
    let _action = start_action!("test:outer");
    let a = inner(2).await;
    log_message!("test:outer:between");
    let b = inner(0).await;
    a + b
}

#[inline_actions]
async fn nested_scenario() -> String {
    let task = start_task!("test:nested");
    assert_eq!(tokio::spawn(outer()).await.unwrap(), 2);
    task.task_uuid().to_owned()
}

#[test]
fn nested_functions_nest_their_actions() {
    both_runtimes(|rt| {
        let capture = Capture::start();
        let uuid = rt.block_on(nested_scenario());
        let log = capture.finish();
        let task = log.task(&uuid);
        let paths: Vec<Vec<String>> = task
            .all("test:inner:after_yield")
            .into_iter()
            .map(|m| task.path(m))
            .collect();
        let p = |types: &[&str]| types.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            paths,
            [
                p(&["test:nested", "test:outer", "test:inner"]),
                p(&["test:nested", "test:outer", "test:inner", "test:inner"]),
                p(&[
                    "test:nested",
                    "test:outer",
                    "test:inner",
                    "test:inner",
                    "test:inner"
                ]),
                p(&["test:nested", "test:outer", "test:inner"]),
            ]
        );
        let between = task.one("test:outer:between");
        assert_eq!(task.path(between), ["test:nested", "test:outer"]);
        task.assert_complete();
    });
}

/// The context is captured when the function is called, not when the
/// future is first polled.
#[inline_actions]
async fn call_here_poll_there() -> (String, String) {
    let caller = start_task!("test:caller").into_action();
    let future = assert_send(caller.run(go));
    // Polled first under another task: still the caller's child.
    let poller = start_task!("test:poller");
    future.await;
    log_message!("test:poller:after");
    caller.finish().unwrap();
    (caller.task_uuid().to_owned(), poller.task_uuid().to_owned())
}

#[test]
fn the_context_is_captured_at_the_call() {
    both_runtimes(|rt| {
        let capture = Capture::start();
        let (uuid, other) = rt.block_on(call_here_poll_there());
        let log = capture.finish();
        let task = log.task(&uuid);
        let report = task.one("some-report");
        assert_eq!(task.path(report), ["test:caller", "yourapp:subsystem:frob"]);
        task.assert_complete();
        let poller = log.task(&other);
        assert_eq!(poller.messages.len(), 3, "{:#?}", poller.messages);
        poller.assert_complete();
    });
}

#[inline_actions]
async fn sleeper(millis: u64) -> &'static str {
    let _action = start_action!("test:sleeper", millis = millis);
    log_message!("test:sleeper:before");
    tokio::time::sleep(Duration::from_millis(millis)).await;
    log_message!("test:sleeper:after");
    "woke"
}

#[test]
fn cancellation_by_timeout_fails_the_open_actions() {
    #[inline_actions]
    async fn scenario() -> String {
        let task = start_task!("test:timeout");
        let uuid = task.task_uuid().to_owned();
        let timed_out = tokio::time::timeout(Duration::from_millis(5), sleeper(10_000)).await;
        assert!(timed_out.is_err());
        // The cancelled body's guard did not pop our context.
        assert_eq!(current_action().unwrap().action_type(), "test:timeout");
        drop(task);
        uuid
    }

    both_runtimes(|rt| {
        let capture = Capture::start();
        let uuid = rt.block_on(scenario());
        let log = capture.finish();
        let task = log.task(&uuid);
        let start = task.one("test:sleeper");
        let end = task.end_of(start);
        assert_eq!(status(end), Some("failed"));
        assert_eq!(end["exception"], "cancelled");
        assert!(end["reason"].as_str().unwrap().contains("cancelled"));
        assert!(task.all("test:sleeper:after").is_empty());
        task.assert_complete();
    });
}

#[test]
fn cancellation_by_select_fails_only_the_loser() {
    #[inline_actions]
    async fn scenario() -> String {
        let task = start_task!("test:select");
        let uuid = task.task_uuid().to_owned();
        let winner = tokio::select! {
            w = sleeper(1) => w,
            _ = sleeper(10_000) => "loser",
        };
        assert_eq!(winner, "woke");
        assert_eq!(current_action().unwrap().action_type(), "test:select");
        drop(task);
        uuid
    }

    both_runtimes(|rt| {
        let capture = Capture::start();
        let uuid = rt.block_on(scenario());
        let log = capture.finish();
        let task = log.task(&uuid);
        let ends: Vec<(u64, String)> = task
            .all("test:sleeper")
            .into_iter()
            .filter(|m| status(m) == Some("started"))
            .map(|start| {
                let end = task.end_of(start);
                (
                    start["millis"].as_u64().unwrap(),
                    status(end).unwrap().to_owned(),
                )
            })
            .collect();
        assert!(ends.contains(&(1, "succeeded".to_owned())), "{ends:?}");
        assert!(ends.contains(&(10_000, "failed".to_owned())), "{ends:?}");
        task.assert_complete();
    });
}

#[test]
fn cancellation_by_abort_fails_the_open_actions() {
    /// `sleeper`, telling when its action is open.
    #[inline_actions]
    async fn signalling_sleeper(started: tokio::sync::oneshot::Sender<()>) {
        let _action = start_action!("test:sleeper", millis = 10_000);
        log_message!("test:sleeper:before");
        started.send(()).unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        log_message!("test:sleeper:after");
    }

    #[inline_actions]
    async fn scenario() -> String {
        let task = start_task!("test:abort");
        let uuid = task.task_uuid().to_owned();
        let (started, has_started) = tokio::sync::oneshot::channel();
        let handle = tokio::spawn(signalling_sleeper(started));
        // Aborted with its action surely open, not before its first poll.
        has_started.await.unwrap();
        handle.abort();
        assert!(handle.await.unwrap_err().is_cancelled());
        drop(task);
        uuid
    }

    both_runtimes(|rt| {
        let capture = Capture::start();
        let uuid = rt.block_on(scenario());
        let log = capture.finish();
        let task = log.task(&uuid);
        let end = task.end_of(task.one("test:sleeper"));
        assert_eq!(end["exception"], "cancelled");
        assert_eq!(
            task.path(task.one("test:sleeper:before")),
            ["test:abort", "test:sleeper"]
        );
        assert!(task.all("test:sleeper:after").is_empty());
        task.assert_complete();
    });
}

#[inline_actions]
async fn panics_after_a_yield() {
    let _action = start_action!("test:panicky");
    tokio::task::yield_now().await;
    log_message!("test:panicky:about_to");
    panic!("boom after yield");
}

#[test]
fn a_panic_fails_the_open_actions_with_its_message() {
    #[inline_actions]
    async fn scenario() -> String {
        let task = start_task!("test:panic");
        let uuid = task.task_uuid().to_owned();
        let joined = tokio::spawn(panics_after_a_yield()).await;
        assert!(joined.unwrap_err().is_panic());
        assert_eq!(current_action().unwrap().action_type(), "test:panic");
        drop(task);
        uuid
    }

    both_runtimes(|rt| {
        let capture = Capture::start();
        let uuid = rt.block_on(scenario());
        let log = capture.finish();
        let task = log.task(&uuid);
        let end = task.end_of(task.one("test:panicky"));
        assert_eq!(status(end), Some("failed"));
        assert_eq!(end["exception"], "panic");
        assert_eq!(end["reason"], "boom after yield");
        task.assert_complete();
    });
}

#[test]
fn a_panic_inside_block_on_restores_the_pollers_context() {
    let rt = current_thread();
    let task = start_task!("test:panic_poller");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(panics_after_a_yield())
    }));
    assert!(result.is_err());
    assert_eq!(current_action().unwrap().action_type(), "test:panic_poller");
    drop(task);
}

#[test]
fn join_and_select_inside_the_body_run_in_its_context() {
    #[inline_actions]
    async fn fan_out() {
        let _action = start_action!("test:fan_out");
        // Awaits the macro cannot see: inside join! and select!.
        let (a, b) = tokio::join!(
            async {
                tokio::task::yield_now().await;
                log_message!("test:fan_out:a");
                1
            },
            async {
                tokio::time::sleep(Duration::from_millis(2)).await;
                log_message!("test:fan_out:b");
                2
            }
        );
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(1)) => log_message!("test:fan_out:select", sum = a + b),
        }
        let children = tokio::join!(sleeper(1), sleeper(2));
        assert_eq!(children, ("woke", "woke"));
    }

    #[inline_actions]
    async fn scenario() -> String {
        let task = start_task!("test:join");
        let uuid = task.task_uuid().to_owned();
        let noise = tokio::spawn(async {
            let _other = start_task!("test:join:noise");
            for _ in 0..20 {
                // Misuse on purpose would be a bug; this one drops its
                // guard only at the end, on the task that made it.
                log_message!("test:join:noise:tick");
            }
        });
        tokio::spawn(fan_out()).await.unwrap();
        noise.await.unwrap();
        drop(task);
        uuid
    }

    both_runtimes(|rt| {
        let capture = Capture::start();
        let uuid = rt.block_on(scenario());
        let log = capture.finish();
        let task = log.task(&uuid);
        for kind_ in ["test:fan_out:a", "test:fan_out:b", "test:fan_out:select"] {
            assert_eq!(
                task.path(task.one(kind_)),
                ["test:join", "test:fan_out"],
                "{kind_}"
            );
        }
        assert_eq!(task.one("test:fan_out:select")["sum"], 3);
        assert_eq!(task.all("test:sleeper:before").len(), 2);
        for before in task.all("test:sleeper:before") {
            assert_eq!(
                task.path(before),
                ["test:join", "test:fan_out", "test:sleeper"]
            );
        }
        assert!(task.all("test:join:noise:tick").is_empty());
        task.assert_complete();
    });
}

#[test]
fn spawned_calls_keep_the_callers_action() {
    #[inline_actions]
    async fn parent() {
        let _action = start_action!("test:spawn:parent");
        let mut handles = Vec::new();
        for i in 0..8u64 {
            // Called here, inside the parent's action; run on any worker.
            handles.push(tokio::spawn(sleeper(i % 3)));
        }
        tokio::task::yield_now().await;
        log_message!("test:spawn:spawned");
        for handle in handles {
            handle.await.unwrap();
        }
    }

    #[inline_actions]
    async fn scenario() -> String {
        let task = start_task!("test:spawn");
        let uuid = task.task_uuid().to_owned();
        tokio::spawn(parent()).await.unwrap();
        drop(task);
        uuid
    }

    both_runtimes(|rt| {
        let capture = Capture::start();
        let uuid = rt.block_on(scenario());
        let log = capture.finish();
        let task = log.task(&uuid);
        let afters = task.all("test:sleeper:after");
        assert_eq!(afters.len(), 8);
        for after in afters {
            assert_eq!(
                task.path(after),
                ["test:spawn", "test:spawn:parent", "test:sleeper"]
            );
        }
        task.assert_complete();
    });
}

#[test]
fn a_function_without_actions_leaves_the_callers_context_current() {
    #[inline_actions]
    async fn plain() -> Option<String> {
        tokio::task::yield_now().await;
        log_message!("test:plain:msg");
        current_action().map(|a| a.action_type().to_owned())
    }
    #[inline_actions]
    async fn scenario() -> String {
        let task = start_task!("test:plain");
        let uuid = task.task_uuid().to_owned();
        let seen = tokio::spawn(plain()).await.unwrap();
        assert_eq!(seen.as_deref(), Some("test:plain"));
        drop(task);
        uuid
    }

    both_runtimes(|rt| {
        let capture = Capture::start();
        let uuid = rt.block_on(scenario());
        let log = capture.finish();
        let task = log.task(&uuid);
        assert_eq!(level(task.one("test:plain:msg")), [2]);
        assert_eq!(kind(&task.messages[0]), "test:plain");
        task.assert_complete();
    });
}

// `#[inline_actions]` stacked with `#[tokio::test]`, in either order (a
// trybuild pass case never runs `#[test]` functions, so they are here): the
// body keeps its action across awaits, and a task that the test's runtime
// polls on the same thread meanwhile runs outside it.

#[inline_actions]
#[tokio::test]
async fn inline_actions_above_tokio_test() {
    let _action = start_action!("test:entry:above");
    tokio::task::yield_now().await;
    assert_eq!(current_action().unwrap().action_type(), "test:entry:above");
    let outside = tokio::spawn(async { current_action() }).await.unwrap();
    assert_eq!(outside, None);
    assert_eq!(current_action().unwrap().action_type(), "test:entry:above");
}

#[tokio::test]
#[inline_actions]
async fn inline_actions_below_tokio_test() {
    let _action = start_action!("test:entry:below");
    tokio::task::yield_now().await;
    assert_eq!(current_action().unwrap().action_type(), "test:entry:below");
    let outside = tokio::spawn(async { current_action() }).await.unwrap();
    assert_eq!(outside, None);
    assert_eq!(current_action().unwrap().action_type(), "test:entry:below");
}
