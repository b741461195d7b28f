//! A guard dropped where it was not entered (out of order, on another
//! thread, or after being held across an `.await`) ends only its own
//! context: the thread goes back to what was current before the misplaced
//! guard, no finished action stays current anywhere, and one mistake is
//! counted once.
//!
//! The misuse counter is process-wide, so the tests of this binary run one
//! at a time (`serial`) and no other binary's misuses are seen here.

// The futures here hold guards across awaits on purpose: that is the misuse.
#![allow(clippy::await_holding_invalid_type)]

mod support;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Barrier, Mutex, MutexGuard, mpsc};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::support::capture::{capture, kind, level, parse_all};
use eliot::__private::SavedContext;
use eliot::{
    WithContext, context_misuse_count, current_action, log_message, start_action, start_task,
};
use serde_json::{Map, Value};

/// One test at a time: each counts misuses.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn of_kind<'a>(messages: &'a [Map<String, Value>], k: &str) -> Vec<&'a Map<String, Value>> {
    messages.iter().filter(|m| kind(m) == k).collect()
}

#[test]
fn out_of_order_drops_end_both_contexts_and_count_once() {
    let _serial = serial();
    let before = context_misuse_count();
    let ((), lines) = capture(|| {
        let first = start_action!("t:first");
        let second = start_action!("t:second");
        drop(first);
        assert_eq!(
            current_action().unwrap().action_type(),
            "t:second",
            "the misplaced guard must not pop the context above it"
        );
        drop(second);
        assert!(
            current_action().is_none(),
            "the finished `t:first` must not stay current"
        );
        log_message!("t:after");
    });
    assert_eq!(context_misuse_count(), before + 1, "one mistake, one count");
    let messages = parse_all(&lines);
    let first_uuid = &of_kind(&messages, "t:first")[0]["task_uuid"];
    let after = of_kind(&messages, "t:after");
    assert_eq!(after.len(), 1);
    assert_ne!(&after[0]["task_uuid"], first_uuid, "a new task");
    assert_eq!(level(after[0]), [1], "a task of its own");
    // Both actions still finished: started and succeeded.
    assert_eq!(of_kind(&messages, "t:first").len(), 2);
    assert_eq!(of_kind(&messages, "t:second").len(), 2);
}

#[test]
fn an_enclosing_guard_is_not_blamed_for_an_inner_mistake() {
    let _serial = serial();
    let before = context_misuse_count();
    let ((), lines) = capture(|| {
        let outer = start_action!("t:outer");
        let first = start_action!("t:first");
        let second = start_action!("t:second");
        drop(first);
        drop(second);
        assert_eq!(current_action().as_ref(), Some(outer.action()));
        log_message!("t:in_outer");
        drop(outer);
        assert!(current_action().is_none());
    });
    assert_eq!(
        context_misuse_count(),
        before + 1,
        "only `first` was misplaced"
    );
    let messages = parse_all(&lines);
    let outer = of_kind(&messages, "t:outer");
    let in_outer = of_kind(&messages, "t:in_outer");
    assert_eq!(in_outer[0]["task_uuid"], outer[0]["task_uuid"]);
    assert_eq!(level(in_outer[0]), [3], "after the start and `t:first`");
    assert_eq!(outer.len(), 2, "outer finished");
}

#[test]
fn a_guard_entered_above_a_misplaced_one_returns_past_it() {
    let _serial = serial();
    let before = context_misuse_count();
    capture(|| {
        let outer = start_action!("t:outer");
        let first = start_action!("t:first");
        let second = start_action!("t:second");
        drop(first);
        {
            let _third = start_action!("t:third");
        }
        assert_eq!(current_action().unwrap().action_type(), "t:second");
        drop(second);
        assert_eq!(current_action().as_ref(), Some(outer.action()));
    });
    assert_eq!(context_misuse_count(), before + 1);
}

#[test]
fn a_context_captured_before_the_mistake_keeps_its_action() {
    let _serial = serial();
    capture(|| {
        let first = start_action!("t:first");
        let saved = SavedContext::capture();
        let second = start_action!("t:second");
        drop(first);
        drop(second);
        let _entered = saved.enter();
        assert_eq!(current_action().unwrap().action_type(), "t:first");
    });
}

/// Polls a future once with a no-op waker.
fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// The async misuse, made deterministic: a plain future enters an action,
/// suspends on one thread and finishes on another. The first thread must not
/// keep the finished action as its current one.
#[test]
fn a_guard_held_across_a_suspension_does_not_stick_to_the_thread() {
    let _serial = serial();
    let before = context_misuse_count();
    let lines = Arc::new(crate::support::capture::Lines::default());
    let route = SavedContext::routed_to(lines.clone());
    let future: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async {
        let _guard = start_task!("t:misbehaving");
        // Suspends once, with the guard alive.
        let mut suspended = false;
        std::future::poll_fn(|_| {
            if std::mem::replace(&mut suspended, true) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    });
    let (to_other, suspended) = mpsc::channel();
    let (finished, done) = mpsc::channel();
    let left_current = std::thread::scope(|s| {
        let worker = s.spawn(move || {
            let _route = route.enter();
            let mut future = future;
            assert!(poll_once(future.as_mut()).is_pending());
            // Resumed elsewhere, where the guard is dropped.
            to_other.send(future).unwrap();
            done.recv().unwrap();
            let left_current = current_action().map(|a| a.action_type().to_owned());
            log_message!("t:next_task");
            left_current
        });
        s.spawn(move || {
            let mut future = suspended.recv().unwrap();
            assert!(poll_once(future.as_mut()).is_ready());
            finished.send(()).unwrap();
        });
        worker.join().unwrap()
    });
    assert_eq!(
        left_current, None,
        "the finished action must not stay current"
    );
    assert_eq!(context_misuse_count(), before + 1);
    let messages = parse_all(&lines.take());
    let misbehaving = of_kind(&messages, "t:misbehaving");
    assert_eq!(misbehaving.len(), 2, "started and finished");
    let next = of_kind(&messages, "t:next_task");
    assert_eq!(next.len(), 1);
    assert_ne!(
        next[0]["task_uuid"], misbehaving[0]["task_uuid"],
        "a new task"
    );
    assert_eq!(level(next[0]), [1]);
}

/// The same on a multi-threaded runtime: after tasks held guards across
/// awaits, every worker is back to no current action.
#[test]
fn after_misbehaving_tasks_no_worker_keeps_their_actions() {
    let _serial = serial();
    let before = context_misuse_count();
    let runtime = crate::support::capture::runtime(2);
    let left_current = runtime.block_on(async {
        let mut handles = Vec::new();
        for i in 0..32u32 {
            handles.push(tokio::spawn(async move {
                let _guard = start_task!("t:misbehaving", i = i);
                for _ in 0..5 {
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
            }));
        }
        for handle in handles {
            handle.await.unwrap();
        }
        let mut checks = Vec::new();
        for _ in 0..64 {
            checks.push(tokio::spawn(async {
                tokio::task::yield_now().await;
                current_action().map(|a| a.action_type().to_owned())
            }));
        }
        let mut left_current = Vec::new();
        for check in checks {
            left_current.extend(check.await.unwrap());
        }
        left_current
    });
    assert_eq!(
        left_current,
        Vec::<String>::new(),
        "finished actions left current"
    );
    assert!(context_misuse_count() > before, "the misuse was detected");
}

#[test]
fn a_guard_dropped_on_another_thread_is_detected() {
    let _serial = serial();
    let before = context_misuse_count();
    let guard = start_task!("t:moved");
    let barrier = Arc::new(Barrier::new(2));
    let b = barrier.clone();
    let other = std::thread::spawn(move || {
        let local = start_task!("t:other_threads_own");
        b.wait();
        drop(guard); // entered on the main thread
        let still = current_action().map(|a| a.action_type().to_owned());
        drop(local);
        still
    });
    barrier.wait();
    let still = other.join().unwrap();
    assert_eq!(still.as_deref(), Some("t:other_threads_own"));
    assert_eq!(context_misuse_count(), before + 1);
}

/// The footgun: an ActionGuard held across an await in a plain future. It is
/// detected, and futures that carry their own context are not affected by
/// the leaked thread context.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The turn is held across awaits on purpose: no task of this runtime takes it.
#[allow(clippy::await_holding_lock)]
async fn guard_held_across_await_in_plain_future_is_detected_and_contained() {
    let lines = Arc::new(crate::support::capture::Lines::default());
    let _route = SavedContext::routed_to(lines.clone()).enter();
    let _serial = serial();
    let before = context_misuse_count();
    let mut handles = Vec::new();
    for i in 0..16u32 {
        // Misbehaving: the guard lives across awaits, on whatever thread.
        handles.push(tokio::spawn(async move {
            let _guard = start_task!("t:misbehaving", i = i);
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        }));
        // Well-behaved: its own context is swapped in on every poll.
        let root = start_task!("t:good", i = i);
        let action = root.action().clone();
        drop(root);
        handles.push(tokio::spawn(WithContext::in_action(&action, async move {
            for step in 0..10u32 {
                tokio::time::sleep(Duration::from_micros(150)).await;
                log_message!("t:good_step", i = i, step = step);
            }
        })));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    drop(_route);
    // Which guards are dropped under another context depends on where their
    // tasks resumed; each of the 16 can be caught at most once.
    let misuses = context_misuse_count() - before;
    assert!(
        (1..=16).contains(&misuses),
        "the misuse was detected: {misuses} misuses"
    );
    let messages = parse_all(&lines.take());
    let good_roots: HashMap<u64, Value> = messages
        .iter()
        .filter(|m| kind(m) == "t:good" && m["action_status"] == "started")
        .map(|m| (m["i"].as_u64().unwrap(), m["task_uuid"].clone()))
        .collect();
    let steps: Vec<_> = messages
        .iter()
        .filter(|m| kind(m) == "t:good_step")
        .collect();
    assert_eq!(steps.len(), 160);
    for m in steps {
        assert_eq!(
            m["task_uuid"],
            good_roots[&m["i"].as_u64().unwrap()],
            "{m:?}"
        );
        assert_eq!(level(m).len(), 1);
    }
}
