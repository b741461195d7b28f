//! `#[tracing::instrument]` stacked with `#[inline_actions]` or
//! `#[log_call]`, in either order: the span's action encloses the body's
//! actions and messages, which survive every `.await` (the span is exited
//! and entered again at each one), and both orders give the same tree.
//! Cancelled and panicking bodies end every action they opened, the span's
//! too. Checked on a multi-threaded runtime by parsing the log back; no
//! guard is ever reported as misused.

mod support;

use std::time::Duration;

use crate::support::tracing_layer::{
    Line, check_task, kind, level, run_many, status, suspend, task, uuid,
};
use eliot::{context_misuse_count, inline_actions, log_call, log_message};
use eliot::{start_action, start_task};

/// `parent > name`, or `name` at a task's root.
fn under(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent} > {name}")
    }
}

#[inline_actions]
async fn helper(parent: String) {
    let _helper = start_action!("app:helper", expected = parent.as_str());
    suspend().await;
    tracing::info!(
        target: "t",
        expected = under(&parent, "app:helper").as_str(),
        "in the helper"
    );
}

/// The body both orders share: an action held across awaits, messages and
/// events in it, a nested `#[inline_actions]` call, then events after it.
/// Plain, so that it runs right inside the span's `Instrument`, as the body
/// of the stacked function does; it is only awaited by `#[inline_actions]`
/// functions, whose context carries its guard.
#[allow(clippy::await_holding_invalid_type)]
async fn body(span_path: String) -> String {
    let work = start_action!("app:work", expected = span_path.as_str());
    suspend().await;
    let in_work = under(&span_path, "app:work");
    log_message!("app:note", expected = in_work.as_str());
    tracing::info!(target: "t", expected = in_work.as_str(), "event");
    helper(in_work.clone()).await;
    suspend().await;
    log_message!("app:note", expected = in_work.as_str());
    drop(work);
    suspend().await;
    tracing::info!(target: "t", expected = span_path.as_str(), "after the work");
    uuid()
}

#[tracing::instrument(target = "t", name = "stacked", skip_all, fields(expected = parent))]
#[inline_actions]
async fn instrument_above(parent: &'static str) -> String {
    body(under(parent, "t:stacked")).await
}

#[inline_actions]
#[tracing::instrument(target = "t", name = "stacked", skip_all, fields(expected = parent))]
async fn instrument_below(parent: &'static str) -> String {
    body(under(parent, "t:stacked")).await
}

#[inline_actions]
async fn from_a_task(above: bool) -> String {
    let root = start_task!("app:root", expected = "");
    if above {
        instrument_above("app:root").await;
    } else {
        instrument_below("app:root").await;
    }
    root.task_uuid().to_owned()
}

/// A task's shape: each line's level and kind, its status if any.
fn shape(lines: &[Line]) -> Vec<(Vec<u64>, String, Option<String>)> {
    lines
        .iter()
        .map(|l| (level(l), kind(l).to_owned(), status(l).map(str::to_owned)))
        .collect()
}

fn check_both_orders(run: impl Fn(bool) -> Vec<String>, items: usize) {
    let misused = context_misuse_count();
    let above = run(true);
    let below = run(false);
    let mut shapes = Vec::new();
    for uuid in above.iter().chain(&below) {
        assert_eq!(check_task(uuid), items, "items checked in task {uuid}");
        shapes.push(shape(&task(uuid)));
    }
    assert!(
        shapes.windows(2).all(|w| w[0] == w[1]),
        "both orders, every copy: the same tree"
    );
    assert_eq!(context_misuse_count(), misused, "no guard was misused");
}

#[test]
fn instrument_and_inline_actions_in_either_order_inside_a_task() {
    check_both_orders(
        |above| run_many(16, move |_| from_a_task(above)),
        // root; span; work, 2 notes, event; helper, its event; after
        9,
    );
}

#[test]
fn instrument_and_inline_actions_in_either_order_as_a_task_of_their_own() {
    // Called with nothing current: the span is the task's root, and the
    // function's context is its own (empty) one.
    check_both_orders(
        |above| {
            run_many(16, move |_| async move {
                if above {
                    instrument_above("").await
                } else {
                    instrument_below("").await
                }
            })
        },
        8,
    );
}

#[tracing::instrument(target = "t", name = "stuck", skip_all)]
#[inline_actions]
async fn stuck_above(started: tokio::sync::oneshot::Sender<String>) {
    let _waiting = start_action!("app:waiting");
    suspend().await;
    let _ = started.send(uuid());
    std::future::pending::<()>().await;
}

#[inline_actions]
#[tracing::instrument(target = "t", name = "stuck", skip_all)]
async fn stuck_below(started: tokio::sync::oneshot::Sender<String>) {
    let _waiting = start_action!("app:waiting");
    suspend().await;
    let _ = started.send(uuid());
    std::future::pending::<()>().await;
}

#[tracing::instrument(target = "t", name = "panics", skip_all)]
#[inline_actions]
async fn panics_above() {
    let _doomed = start_action!("app:doomed");
    suspend().await;
    panic!("boom after an await");
}

#[inline_actions]
#[tracing::instrument(target = "t", name = "panics", skip_all)]
async fn panics_below() {
    let _doomed = start_action!("app:doomed");
    suspend().await;
    panic!("boom after an await");
}

/// The end of the one action of type `action_type` in `lines`.
fn end_of<'a>(lines: &'a [Line], action_type: &str) -> &'a Line {
    let ends: Vec<&Line> = lines
        .iter()
        .filter(|l| kind(l) == action_type && status(l).is_some_and(|s| s != "started"))
        .collect();
    assert_eq!(
        ends.len(),
        1,
        "{}",
        crate::support::tracing_layer::render(lines)
    );
    ends[0]
}

#[inline_actions]
async fn cancel_one(above: bool) -> String {
    let root = start_task!("app:root");
    let (started, has_started) = tokio::sync::oneshot::channel();
    let limit = Duration::from_millis(30);
    let waited = if above {
        tokio::time::timeout(limit, stuck_above(started)).await
    } else {
        tokio::time::timeout(limit, stuck_below(started)).await
    };
    assert!(waited.is_err(), "timed out");
    assert_eq!(has_started.await.unwrap(), root.task_uuid());
    root.task_uuid().to_owned()
}

/// A timeout drops the function's future while its action waits: the
/// body's action and the span's end as failed, "cancelled", in place.
#[test]
fn a_cancelled_stacked_function_fails_its_actions_as_cancelled() {
    let misused = context_misuse_count();
    let mut shapes = Vec::new();
    for above in [true, false] {
        for uuid in run_many(8, move |_| cancel_one(above)) {
            let lines = task(&uuid);
            crate::support::tracing_layer::assert_complete(&lines);
            for action_type in ["app:waiting", "t:stuck"] {
                let end = end_of(&lines, action_type);
                assert_eq!(end["action_status"], "failed", "{action_type}");
                assert_eq!(end["exception"], eliot::CANCELLED_EXCEPTION);
            }
            shapes.push(shape(&lines));
        }
    }
    assert!(shapes.windows(2).all(|w| w[0] == w[1]), "{shapes:#?}");
    assert_eq!(
        shapes[0]
            .iter()
            .map(|(l, k, _)| (l.clone(), k.as_str()))
            .collect::<Vec<_>>(),
        [
            (vec![1], "app:root"),
            (vec![2, 1], "t:stuck"),
            (vec![2, 2, 1], "app:waiting"),
            (vec![2, 2, 2], "app:waiting"),
            (vec![2, 3], "t:stuck"),
            (vec![3], "app:root"),
        ]
    );
    assert_eq!(context_misuse_count(), misused, "no guard was misused");
}

#[inline_actions]
async fn panic_one(above: bool) -> String {
    let root = start_task!("app:root");
    let handle = if above {
        eliot_tokio::spawn(panics_above())
    } else {
        eliot_tokio::spawn(panics_below())
    };
    let error = handle.await.unwrap_err();
    assert!(error.is_panic());
    root.task_uuid().to_owned()
}

/// A panic after an await fails the body's action and the span's with the
/// panic's message.
#[test]
fn a_panicking_stacked_function_fails_its_actions_with_the_panic() {
    let misused = context_misuse_count();
    for above in [true, false] {
        for uuid in run_many(8, move |_| panic_one(above)) {
            let lines = task(&uuid);
            crate::support::tracing_layer::assert_complete(&lines);
            for action_type in ["app:doomed", "t:panics"] {
                let end = end_of(&lines, action_type);
                assert_eq!(end["action_status"], "failed", "{action_type}");
                assert_eq!(end["exception"], eliot::PANIC_EXCEPTION);
                assert_eq!(end["reason"], "boom after an await");
            }
            let doomed = lines.iter().find(|l| kind(l) == "app:doomed").unwrap();
            assert_eq!(level(doomed), [2, 2, 1], "inside the span's action");
        }
    }
    assert_eq!(context_misuse_count(), misused, "no guard was misused");
}

#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused by the upstream")
    }
}

impl std::error::Error for Refused {}

#[tracing::instrument(
    target = "t",
    name = "logged",
    skip_all,
    fields(expected = "app:root > app:logged")
)]
#[log_call(action_type = "app:logged", skip_result)]
async fn log_call_above(fail: bool) -> Result<u32, Refused> {
    logged_body(fail).await
}

#[log_call(action_type = "app:logged", skip_result)]
#[tracing::instrument(
    target = "t",
    name = "logged",
    skip_all,
    fields(expected = "app:root > app:logged")
)]
async fn log_call_below(fail: bool) -> Result<u32, Refused> {
    logged_body(fail).await
}

/// Plain, like `body`: awaited only by the `#[log_call]` functions.
#[allow(clippy::await_holding_invalid_type)]
async fn logged_body(fail: bool) -> Result<u32, Refused> {
    let _inner = start_action!("app:inner", expected = "app:root > app:logged > t:logged");
    suspend().await;
    log_message!(
        "app:note",
        expected = "app:root > app:logged > t:logged > app:inner"
    );
    if fail { Err(Refused) } else { Ok(7) }
}

#[inline_actions]
async fn log_call_one(above: bool, fail: bool) -> String {
    let root = start_task!("app:root", expected = "");
    let result = if above {
        log_call_above(fail).await
    } else {
        log_call_below(fail).await
    };
    assert_eq!(result.is_err(), fail);
    root.task_uuid().to_owned()
}

/// `#[log_call]` with `#[tracing::instrument]`, either order: the call's
/// action encloses the span's, which encloses the body.
#[test]
fn log_call_and_instrument_in_either_order() {
    for fail in [false, true] {
        check_both_orders(
            |above| run_many(8, move |_| log_call_one(above, fail)),
            // root; logged start (no expected); span; inner; note
            4,
        );
    }
}
