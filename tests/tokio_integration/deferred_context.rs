//! DeferredContext: Eliot's own DeferredContext test scenarios (context
//! captured at construction, results and errors flowing through, nothing
//! logged before completion, the finish message), plus what Rust adds:
//! cancellation, panics, and many deferreds interleaved on a multi-threaded
//! runtime.

use crate::support::all_messages::{captured, level, new_task, task};

use std::time::Duration;

use eliot::{Action, current_action, fields, log_message, start_action, start_task};
use eliot_tokio::{DeferredContext, DeferredContextExt, NoCurrentAction};
use serde_json::json;
use tokio::sync::oneshot;

#[test]
fn creation_without_an_action_is_a_typed_error() {
    let error = DeferredContext::new(async { Ok::<(), ()>(()) }).unwrap_err();
    assert_eq!(error, NoCurrentAction);
    assert!(error.to_string().contains("within an action context"));
    assert!(async { 1 }.deferred_context().is_err());
}

#[test]
fn creation_captures_the_current_action() {
    let action = new_task("test:capture");
    let d = action.run(|| DeferredContext::new(async { 1 })).unwrap();
    assert_eq!(d.action(), &action);
    let explicit = DeferredContext::with_action(&action, async { 1 });
    assert_eq!(explicit.action(), &action);
    action.finish().unwrap();
}

#[test]
fn the_wrapped_future_is_reachable_as_result() {
    crate::support::all_messages::runtime(4).block_on(async {
        let action = new_task("test:result");
        let d = DeferredContext::with_action(&action, async { 41 }).add_both(|n| n + 1);
        assert_eq!(d.result().await, 42);
        // Awaiting the wrapper itself is the same.
        let d = DeferredContext::with_action(&action, async { 7 });
        assert_eq!(d.await, 7);
        // The future with its callbacks carries the action: they run in it.
        let future = DeferredContext::with_action(&action, async { 1 })
            .add_both(|_| current_action())
            .result();
        assert_eq!(future.action(), Some(&action));
        assert_eq!(future.await, Some(action.clone()));
        action.finish().unwrap();
    });
}

/// Eliot's test_addCallbacksCallbackContext and ErrbackContext: callbacks
/// run in the action the DeferredContext was created in, even when added
/// inside another action, and whoever polls them.
#[test]
fn callbacks_run_in_the_action_of_creation_even_when_added_inside_another() {
    crate::support::all_messages::runtime(4).block_on(async {
        let first = new_task("test:first");
        let second = new_task("test:second");
        let third = new_task("test:third");

        let ok = first.run(|| DeferredContext::new(async { Ok::<u32, String>(1) }).unwrap());
        let failed =
            first.run(|| DeferredContext::new(async { Err::<u32, _>("no".to_owned()) }).unwrap());
        let (ok, failed) = second.run(|| {
            (
                ok.add_callbacks(|_| Ok::<_, String>(current_action()), |_| Ok(None)),
                failed.add_callbacks(|_| Ok::<_, String>(None), |_| Ok(current_action())),
            )
        });
        // Polled on worker threads, from a task that runs in a third action.
        let (seen_ok, seen_err) = eliot_tokio::spawn({
            let _third = third.enter();
            async move { (ok.result().await, failed.result().await) }
        })
        .await
        .unwrap();
        assert_eq!(seen_ok.unwrap(), Some(first.clone()));
        assert_eq!(seen_err.unwrap(), Some(first.clone()));

        // The same for add_callback, add_errback and add_both.
        let d = first.run(|| DeferredContext::new(async { Ok::<u8, String>(1) }).unwrap());
        let d = second.run(|| {
            d.add_callback(|_| {
                Err::<(String, Action), _>(current_action().unwrap().action_type().to_owned())
            })
            .add_errback(|from| Ok::<_, String>((from, current_action().unwrap())))
            .add_both(|r| (r, current_action().unwrap()))
        });
        let (result, both) = tokio::spawn(d.result()).await.unwrap();
        let (from, errback) = result.unwrap();
        assert_eq!(from, "test:first");
        assert_eq!(errback, first);
        assert_eq!(both, first);

        for action in [first, second, third] {
            action.finish().unwrap();
        }
    });
}

/// Eliot's test_addCallbacksCallbackResult and ErrbackResult.
#[test]
fn results_and_errors_flow_through_the_callbacks() {
    crate::support::all_messages::runtime(4).block_on(async {
        let action = new_task("test:flow");
        let d = DeferredContext::with_action(&action, async { Ok::<i32, String>(0) })
            .add_callbacks(|x| Ok::<_, String>(vec![x, 1]), Err);
        assert_eq!(d.await, Ok(vec![0, 1]));

        let d = DeferredContext::with_action(&action, async {
            Err::<i32, _>("zero division".to_owned())
        })
        .add_callbacks(
            |x| Ok::<_, String>(vec![x.to_string()]),
            |e| Ok(vec![e, "1".to_owned()]),
        );
        assert_eq!(
            d.await,
            Ok(vec!["zero division".to_owned(), "1".to_owned()])
        );

        // An error skips callbacks and reaches the next errback unchanged;
        // a value skips errbacks.
        let d = DeferredContext::with_action(&action, async { Err::<i32, _>(5u8) })
            .add_callback(|_| -> Result<i32, u8> { unreachable!("the Ok path is skipped") })
            .add_errback(|e| Err::<i32, _>(u16::from(e) * 100))
            .add_callback(|_| -> Result<i32, u16> { unreachable!("still the error path") });
        assert_eq!(d.await, Err(500));
        let d = DeferredContext::with_action(&action, async { Ok::<i32, u8>(3) })
            .add_errback(|_| -> Result<i32, u8> { unreachable!("the Err path is skipped") })
            .add_callback(|n| Ok(n * 2));
        assert_eq!(d.await, Ok(6));
        action.finish().unwrap();
    });
}

/// Eliot's test_addActionFinishNoImmediateLogging and ...Success: nothing is
/// logged until the future completes; then the action succeeds, and the
/// result passes through unchanged.
#[test]
fn add_action_finish_logs_nothing_until_completion_then_succeeds() {
    crate::support::all_messages::runtime(4).block_on(async {
        let action = new_task("sys:me");
        let (send, receive) = oneshot::channel::<&'static str>();
        let (polled, was_polled) = oneshot::channel();
        let finish = DeferredContext::with_action(&action, async move {
            polled.send(()).unwrap();
            receive.await
        })
        .add_callback(|value| {
            log_message!("sys:me:callback", value = value);
            Ok(value)
        })
        .add_action_finish();
        let running = tokio::spawn(finish);
        // Its first poll has begun: nothing may be logged until it completes.
        was_polled.await.unwrap();
        let lines = task(action.task_uuid());
        assert_eq!(
            lines.len(),
            1,
            "only the start, logged by start_task: {lines:?}"
        );
        assert!(!action.is_finished());

        send.send("result").unwrap();
        assert_eq!(running.await.unwrap(), Ok("result"));
        let lines = task(action.task_uuid());
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[1]["message_type"], "sys:me:callback");
        assert_eq!(lines[1]["value"], "result");
        assert_eq!(level(&lines[1]), [2]);
        assert_eq!(lines[2]["action_type"], "sys:me");
        assert_eq!(lines[2]["action_status"], "succeeded");
        assert_eq!(level(&lines[2]), [3]);
        assert!(action.is_finished());
    });
}

#[derive(Debug, PartialEq)]
struct Because(&'static str);

impl std::fmt::Display for Because {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Because {}

/// Eliot's test_addActionFinishFailure and ...FailurePassThrough.
#[test]
fn add_action_finish_fails_the_action_with_the_error_and_passes_it_on() {
    crate::support::all_messages::runtime(4).block_on(async {
        let action = new_task("sys:me");
        let (send, receive) = oneshot::channel::<()>();
        let (polled, was_polled) = oneshot::channel();
        let finish = DeferredContext::with_action(&action, async move {
            polled.send(()).unwrap();
            receive.await.unwrap();
            Err::<(), _>(Because("because"))
        })
        .add_action_finish();
        let running = tokio::spawn(finish);
        // Its first poll has begun: nothing may be logged until it completes.
        was_polled.await.unwrap();
        assert_eq!(task(action.task_uuid()).len(), 1);
        send.send(()).unwrap();
        assert_eq!(running.await.unwrap(), Err(Because("because")));

        let lines = task(action.task_uuid());
        assert_eq!(lines.len(), 2);
        let end = &lines[1];
        assert_eq!(end["action_status"], "failed");
        assert_eq!(end["reason"], "because");
        assert_eq!(
            end["exception"],
            "tokio_integration::deferred_context::Because"
        );
        assert_eq!(level(end), [2]);
    });
}

// The guard held across an await below lives in a future wrapped by the
// DeferredContext, which swaps its context in and out on every poll, as
// #[inline_actions] does; clippy cannot see that.
#[allow(clippy::await_holding_invalid_type)]
#[test]
fn dropped_before_completion_the_action_fails_as_cancelled() {
    crate::support::all_messages::runtime(4).block_on(async {
        // Aborted task.
        let action = new_task("test:aborted");
        let finish =
            DeferredContext::with_action(&action, std::future::pending::<Result<(), Because>>())
                .add_action_finish();
        let running = tokio::spawn(finish);
        tokio::time::sleep(Duration::from_millis(20)).await;
        running.abort();
        assert!(running.await.unwrap_err().is_cancelled());
        let lines = task(action.task_uuid());
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[1]["action_status"], "failed");
        assert_eq!(lines[1]["exception"], "cancelled");

        // A timeout, with an action opened inside the wrapped future still
        // open: it fails as cancelled too, and ends before its parent.
        let action = new_task("test:timeout");
        let finish = DeferredContext::with_action(&action, async {
            let _inner = start_action!("test:inner");
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<(), Because>(())
        })
        .add_action_finish();
        assert!(
            tokio::time::timeout(Duration::from_millis(20), finish)
                .await
                .is_err()
        );
        let lines = task(action.task_uuid());
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[1]["action_type"], "test:inner");
        assert_eq!(level(&lines[1]), [2, 1]);
        assert_eq!(lines[2]["action_type"], "test:inner");
        assert_eq!(lines[2]["exception"], "cancelled");
        assert_eq!(level(&lines[2]), [2, 2]);
        assert_eq!(lines[3]["action_type"], "test:timeout");
        assert_eq!(lines[3]["exception"], "cancelled");
        assert_eq!(level(&lines[3]), [3]);
        let inner_end = captured()
            .lock()
            .unwrap()
            .iter()
            .position(|l| l == &lines[2]);
        let outer_end = captured()
            .lock()
            .unwrap()
            .iter()
            .position(|l| l == &lines[3]);
        assert!(inner_end < outer_end, "the inner action ends first");
    });
}

#[test]
fn a_panicking_callback_fails_the_action_with_the_panic_message() {
    crate::support::all_messages::runtime(4).block_on(async {
        let action = new_task("test:panic");
        let finish = DeferredContext::with_action(&action, async { Ok::<u8, Because>(1) })
            .add_callback(|_| -> Result<u8, Because> { panic!("callback exploded") })
            .add_action_finish();
        let error = tokio::spawn(finish).await.unwrap_err();
        assert!(error.is_panic());
        let lines = task(action.task_uuid());
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[1]["action_status"], "failed");
        assert_eq!(lines[1]["exception"], "panic");
        assert_eq!(lines[1]["reason"], "callback exploded");
        // The poller's context was restored: the worker is not left inside.
        assert!(
            tokio::spawn(async { current_action() })
                .await
                .unwrap()
                .is_none()
        );
    });
}

/// Many deferreds on a multi-threaded runtime, completing in random order
/// from other tasks, each callback logging: every message lands in its own
/// action at the expected level, whichever worker ran it.
#[test]
fn many_deferreds_interleaved_on_worker_threads_keep_their_own_actions() {
    crate::support::all_messages::runtime(4).block_on(async {
        let mut senders = Vec::new();
        let mut running = Vec::new();
        let mut actions = Vec::new();
        for i in 0..64u32 {
            let action = new_task("test:many");
            let (send, receive) = oneshot::channel::<u32>();
            let finish = action.run(|| {
                async move {
                    let value = receive.await.unwrap();
                    log_message!("test:many:received", value = value);
                    tokio::task::yield_now().await;
                    Ok::<_, Because>(value)
                }
                .deferred_context()
                .unwrap()
                .add_callback(move |value| {
                    log_message!("test:many:callback", value = value, i = i);
                    Ok(value * 2)
                })
                .add_action_finish()
            });
            // Spawned from inside other actions, to tempt misattribution.
            let other = start_action!("test:unrelated");
            running.push(tokio::spawn(finish));
            drop(other);
            senders.push((i, send));
            actions.push(action);
        }
        // Complete them in a scrambled order, from several tasks.
        senders.sort_by_key(|(i, _)| (i * 37) % 64);
        let feeders: Vec<_> = senders
            .into_iter()
            .map(|(i, send)| {
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(u64::from(i % 5))).await;
                    send.send(i).unwrap();
                })
            })
            .collect();
        for feeder in feeders {
            feeder.await.unwrap();
        }
        for (i, handle) in running.into_iter().enumerate() {
            assert_eq!(handle.await.unwrap(), Ok(i as u32 * 2));
        }
        for (i, action) in actions.iter().enumerate() {
            let lines = task(action.task_uuid());
            assert_eq!(lines.len(), 4, "{lines:?}");
            assert_eq!(lines[1]["message_type"], "test:many:received");
            assert_eq!(lines[1]["value"], json!(i));
            assert_eq!(level(&lines[1]), [2]);
            assert_eq!(lines[2]["message_type"], "test:many:callback");
            assert_eq!(lines[2]["i"], json!(i));
            assert_eq!(level(&lines[2]), [3]);
            assert_eq!(lines[3]["action_status"], "succeeded");
            assert_eq!(level(&lines[3]), [4]);
        }
    });
}

#[test]
fn the_extension_trait_runs_futures_as_actions() {
    crate::support::all_messages::runtime(4).block_on(async {
        let parent = new_task("test:ext");
        let id = {
            let _entered = parent.enter();
            async { Ok::<_, Because>(current_action().unwrap().task_level().to_vec()) }
                .in_new_action("test:ext:child", fields!(n = 1))
        };
        // Started now as a child of "test:ext", run and finished on a worker.
        assert_eq!(tokio::spawn(id).await.unwrap(), Ok(vec![2]));

        let (uuid, failed) = {
            let guard = start_task!("test:ext:guard");
            let uuid = guard.task_uuid().to_owned();
            (
                uuid,
                async { Err::<(), _>(Because("bad")) }.finishing_action(guard),
            )
        };
        assert_eq!(tokio::spawn(failed).await.unwrap(), Err(Because("bad")));
        parent.finish().unwrap();

        let lines = task(parent.task_uuid());
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[1]["action_type"], "test:ext:child");
        assert_eq!(lines[1]["n"], 1);
        assert_eq!(level(&lines[1]), [2, 1]);
        assert_eq!(lines[2]["action_status"], "succeeded");
        assert_eq!(level(&lines[2]), [2, 2]);
        assert_eq!(lines[3]["action_type"], "test:ext");
        assert_eq!(level(&lines[3]), [3]);
        let lines = task(&uuid);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["action_status"], "failed");
        assert_eq!(lines[1]["reason"], "bad");
    });
}

#[test]
fn deferred_futures_are_send_when_their_future_is() {
    fn assert_send<T: Send>(_: &T) {}
    let action = new_task("test:send");
    let d = DeferredContext::with_action(&action, async { Ok::<u8, Because>(1) });
    assert_send(&d);
    let d = d.add_callback(|n| Ok(n + 1));
    assert_send(&d);
    let finish = d.add_action_finish();
    assert_send(&finish);
    drop(finish);
}

/// An `add_action_finish` future dropped by a panic unwinding past it (not
/// by a panic of its own poll) fails the action with that panic's message,
/// as an action guard dropped there would, not as cancelled.
#[test]
fn dropped_while_a_panic_unwinds_the_action_fails_with_the_panic_message() {
    let action = new_task("test:unwound");
    let finish =
        DeferredContext::with_action(&action, std::future::pending::<Result<(), Because>>())
            .add_action_finish();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _finish = finish;
        panic!("unwinding past the deferred");
    }));
    assert!(unwound.is_err());
    let lines = task(action.task_uuid());
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[1]["action_status"], "failed");
    assert_eq!(lines[1]["exception"], "panic");
    assert_eq!(lines[1]["reason"], "unwinding past the deferred");
}
