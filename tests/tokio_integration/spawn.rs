//! eliot_tokio::spawn / spawn_blocking / spawn_local carry the current action
//! into the new task; tokio::spawn of a future that already carries its
//! context keeps it; a plain tokio::spawn of a plain future does not.

use crate::support::all_messages::{Line, captured, kind, level, new_task, task};

use std::time::Duration;

use eliot::{FutureContextExt, current_action, log_message, start_action};
use eliot_tokio::{DeferredContext, DeferredContextExt};
use serde_json::Value;

fn lines_of_type(message_type: &str) -> Vec<Line> {
    captured()
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.get("message_type").and_then(Value::as_str) == Some(message_type))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spawn_carries_the_current_action_into_many_interleaved_tasks() {
    let mut roots = Vec::new();
    let mut handles = Vec::new();
    for i in 0..32u64 {
        let root = new_task("test:spawn");
        let handle = {
            let _entered = root.enter();
            eliot_tokio::spawn(async move {
                for step in 0..3u64 {
                    tokio::time::sleep(Duration::from_millis((i + step) % 3)).await;
                    log_message!("test:spawn:step", i = i, step = step);
                    tokio::task::yield_now().await;
                }
                current_action()
            })
        };
        roots.push(root);
        handles.push(handle);
    }
    for (root, handle) in roots.iter().zip(handles) {
        assert_eq!(handle.await.unwrap().as_ref(), Some(root));
    }
    for (i, root) in roots.iter().enumerate() {
        root.finish().unwrap();
        let lines = task(root.task_uuid());
        assert_eq!(lines.len(), 5, "{lines:?}");
        for (step, line) in lines[1..4].iter().enumerate() {
            assert_eq!(line["message_type"], "test:spawn:step");
            assert_eq!(line["i"], i as u64);
            assert_eq!(line["step"], step as u64);
            assert_eq!(level(line), [step as u64 + 2]);
        }
        assert_eq!(lines[4]["action_status"], "succeeded");
    }
    // The spawner's own context was never changed.
    assert!(current_action().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_blocking_carries_the_current_action_into_the_blocking_thread() {
    let root = new_task("test:blocking");
    let handle = {
        let _entered = root.enter();
        eliot_tokio::spawn_blocking(|| {
            log_message!("test:blocking:hashing", bytes = 4096);
            let _child = start_action!("test:blocking:child");
            std::thread::current().id()
        })
    };
    assert_ne!(handle.await.unwrap(), std::thread::current().id());
    root.finish().unwrap();
    let lines = task(root.task_uuid());
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[1]["message_type"], "test:blocking:hashing");
    assert_eq!(level(&lines[1]), [2]);
    assert_eq!(lines[2]["action_type"], "test:blocking:child");
    assert_eq!(level(&lines[2]), [3, 1]);
    assert_eq!(level(&lines[3]), [3, 2]);
    assert_eq!(level(&lines[4]), [4]);
}

#[test]
fn spawn_local_carries_the_current_action() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let root = new_task("test:local");
    let seen = local.block_on(&runtime, async {
        let handle = {
            let _entered = root.enter();
            // A !Send future: Rc.
            let shared = std::rc::Rc::new(1);
            eliot_tokio::spawn_local(async move {
                tokio::task::yield_now().await;
                (*shared, current_action())
            })
        };
        handle.await.unwrap()
    });
    assert_eq!(seen, (1, Some(root.clone())));
    root.finish().unwrap();
}

/// A future that captured its context when it was created keeps it under a
/// plain `tokio::spawn`; a plain future does not get one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn plain_tokio_spawn_keeps_the_context_of_a_context_carrying_future() {
    let root = new_task("test:plain_spawn");
    let (carrying, deferred, finishing, plain) = {
        let _entered = root.enter();
        (
            async {
                tokio::task::yield_now().await;
                log_message!("test:plain_spawn:carried");
            }
            .in_current_context(),
            DeferredContext::new(async {
                tokio::task::yield_now().await;
                log_message!("test:plain_spawn:deferred");
            })
            .unwrap()
            .result(),
            async {
                tokio::task::yield_now().await;
                log_message!("test:plain_spawn:finishing");
                Ok::<_, std::io::Error>(())
            }
            .in_new_action("test:plain_spawn:child", &[]),
            async {
                tokio::task::yield_now().await;
                log_message!("test:plain_spawn:plain");
            },
        )
    };
    // Spawned from inside an unrelated action, polled on any worker.
    let other = new_task("test:plain_spawn:other");
    let handles = {
        let _entered = other.enter();
        (
            tokio::spawn(carrying),
            tokio::spawn(deferred),
            tokio::spawn(finishing),
            tokio::spawn(plain),
        )
    };
    handles.0.await.unwrap();
    handles.1.await.unwrap();
    handles.2.await.unwrap().unwrap();
    handles.3.await.unwrap();
    root.finish().unwrap();
    other.finish().unwrap();

    let lines = task(root.task_uuid());
    let types: Vec<_> = lines.iter().map(|l| kind(l).to_owned()).collect();
    assert!(
        types.contains(&"test:plain_spawn:carried".to_owned()),
        "{types:?}"
    );
    assert!(
        types.contains(&"test:plain_spawn:deferred".to_owned()),
        "{types:?}"
    );
    assert!(
        types.contains(&"test:plain_spawn:finishing".to_owned()),
        "{types:?}"
    );
    assert!(
        !types.contains(&"test:plain_spawn:plain".to_owned()),
        "{types:?}"
    );
    let finishing = lines
        .iter()
        .find(|l| l.get("message_type") == Some(&"test:plain_spawn:finishing".into()))
        .unwrap();
    let child = |status: &str| {
        lines
            .iter()
            .find(|l| {
                l.get("action_type") == Some(&"test:plain_spawn:child".into())
                    && l["action_status"] == status
            })
            .unwrap_or_else(|| panic!("no {status} test:plain_spawn:child: {lines:?}"))
    };
    let (started, ended) = (level(child("started")), level(child("succeeded")));
    assert_eq!(started.len(), 2, "a child of the root: {started:?}");
    assert_eq!(
        level(finishing),
        [started[0], 2],
        "the first message inside the child action"
    );
    assert_eq!(ended, [started[0], 3]);

    // The plain future ran with no action: a task of its own, not inside the
    // unrelated action it was spawned from either.
    let plain = lines_of_type("test:plain_spawn:plain");
    assert_eq!(plain.len(), 1);
    assert_ne!(plain[0]["task_uuid"], root.task_uuid());
    assert_ne!(plain[0]["task_uuid"], other.task_uuid());
    assert_eq!(level(&plain[0]), [1]);
}

// The guard held across an await below lives in a task started by
// eliot_tokio::spawn, which swaps its context in and out on every poll, as
// #[inline_actions] does; clippy cannot see that.
#[allow(clippy::await_holding_invalid_type)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_spawned_task_fails_the_actions_it_opened_as_cancelled() {
    let root = new_task("test:abort");
    let (started, has_started) = tokio::sync::oneshot::channel();
    let handle = {
        let _entered = root.enter();
        eliot_tokio::spawn(async {
            let _inner = start_action!("test:abort:inner");
            started.send(()).unwrap();
            std::future::pending::<()>().await;
        })
    };
    // Aborted with its action surely open, not before its first poll.
    has_started.await.unwrap();
    handle.abort();
    assert!(handle.await.unwrap_err().is_cancelled());
    root.finish().unwrap();
    let lines = task(root.task_uuid());
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[1]["action_type"], "test:abort:inner");
    assert_eq!(lines[2]["action_status"], "failed");
    assert_eq!(lines[2]["exception"], "cancelled");
    assert_eq!(lines[3]["action_status"], "succeeded");
}
