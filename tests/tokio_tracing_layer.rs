//! EliotLayer: tracing spans become Eliot actions (parent spans -> parent
//! actions), events become Eliot messages in the right action, and Eliot
//! messages logged inside an entered span nest under it; checked on a
//! multi-threaded runtime with instrumented tasks interleaving.

mod support;

use crate::support::all_messages::{Line, kind, level, task};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, Once};
use std::time::Duration;

use eliot::{inline_actions, log_message, start_task};
use eliot_tracing::EliotLayer;
use tracing::Instrument;
use tracing_subscriber::prelude::*;

/// The layer is the global subscriber of this test binary; every Eliot
/// message is kept.
fn captured() -> &'static Mutex<Vec<Line>> {
    static SUBSCRIBER: Once = Once::new();
    SUBSCRIBER.call_once(|| {
        tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(EliotLayer::new()),
        )
        .expect("the only global subscriber of this binary");
    });
    crate::support::all_messages::captured()
}

/// Asserts that one task's lines form a complete Eliot tree (every action
/// has its start, its end, and every slot in between), the rule
/// eliot.parse and eliot-tree rely on.
fn assert_complete(lines: &[Line]) {
    let by_level: BTreeMap<Vec<u64>, &Line> = lines.iter().map(|l| (level(l), l)).collect();
    assert_eq!(
        by_level.len(),
        lines.len(),
        "no level is used twice: {lines:#?}"
    );
    fn check(prefix: &[u64], by_level: &BTreeMap<Vec<u64>, &Line>) {
        let mut start = prefix.to_vec();
        start.push(1);
        let first = by_level
            .get(&start)
            .unwrap_or_else(|| panic!("no start at {start:?}"));
        assert_eq!(first["action_status"], "started", "{first:?}");
        let slots: BTreeSet<u64> = by_level
            .keys()
            .filter(|l| l.len() > prefix.len() && l[..prefix.len()] == *prefix)
            .map(|l| l[prefix.len()])
            .collect();
        let last = *slots.iter().max().unwrap();
        assert_eq!(
            slots.len() as u64,
            last,
            "every slot under {prefix:?} is used: {slots:?}"
        );
        for slot in 2..=last {
            let mut at = prefix.to_vec();
            at.push(slot);
            match by_level.get(&at) {
                Some(line) if slot == last => {
                    assert!(
                        line["action_status"] == "succeeded" || line["action_status"] == "failed"
                    );
                    assert_eq!(line["action_type"], first["action_type"]);
                }
                Some(line) => assert!(line.contains_key("message_type"), "{line:?}"),
                None => check(&at, by_level),
            }
        }
    }
    check(&[], &by_level);
}

#[test]
fn spans_become_actions_and_events_messages_in_them() {
    captured();
    let uuid;
    {
        let outer = tracing::info_span!(
            "outer",
            user = "alice",
            attempt = 2,
            result = tracing::field::Empty
        );
        let _outer = outer.enter();
        let inner = tracing::info_span!("inner", table = "users");
        {
            let _inner = inner.enter();
            tracing::info!(rows = 3, ratio = 0.5, "loaded");
            log_message!("test:eliot_inside_span", n = 1);
            uuid = eliot::current_action().unwrap().task_uuid().to_owned();
        }
        drop(inner);
        outer.record("result", "ok");
        tracing::warn!(explicit = true, "after");
    }
    let lines = task(&uuid);
    assert_complete(&lines);
    let summary: Vec<(Vec<u64>, &str)> = lines.iter().map(|l| (level(l), kind(l))).collect();
    assert_eq!(
        summary,
        [
            (vec![1], "tokio_tracing_layer:outer"),
            (vec![2, 1], "tokio_tracing_layer:inner"),
            (vec![2, 2], "tokio_tracing_layer"),
            (vec![2, 3], "test:eliot_inside_span"),
            (vec![2, 4], "tokio_tracing_layer:inner"),
            (vec![3], "tokio_tracing_layer"),
            (vec![4], "tokio_tracing_layer:outer"),
        ]
    );
    assert_eq!(lines[0]["user"], "alice");
    assert_eq!(lines[0]["attempt"], 2);
    assert_eq!(lines[1]["table"], "users");
    assert_eq!(lines[2]["message"], "loaded");
    assert_eq!(lines[2]["rows"], 3);
    assert_eq!(lines[2]["ratio"], 0.5);
    assert_eq!(lines[2]["level"], "INFO");
    assert_eq!(lines[5]["level"], "WARN");
    assert_eq!(lines[6]["action_status"], "succeeded");
    assert_eq!(lines[6]["result"], "ok", "recorded later: a success field");
}

#[test]
fn a_span_without_a_parent_span_nests_under_the_current_eliot_action() {
    captured();
    let action = start_task!("test:eliot_root");
    let span = tracing::info_span!("child_of_eliot");
    span.in_scope(|| tracing::info!("inside"));
    drop(span);
    let uuid = action.task_uuid().to_owned();
    drop(action);
    let lines = task(&uuid);
    assert_complete(&lines);
    let summary: Vec<(Vec<u64>, &str)> = lines.iter().map(|l| (level(l), kind(l))).collect();
    assert_eq!(
        summary,
        [
            (vec![1], "test:eliot_root"),
            (vec![2, 1], "tokio_tracing_layer:child_of_eliot"),
            (vec![2, 2], "tokio_tracing_layer"),
            (vec![2, 3], "tokio_tracing_layer:child_of_eliot"),
            (vec![3], "test:eliot_root"),
        ]
    );
}

#[test]
fn an_event_outside_any_span_or_action_is_a_task_of_its_own() {
    captured();
    tracing::error!(target: "test_lonely_target", code = 7, "lonely");
    let lines: Vec<Line> = captured()
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.get("message_type") == Some(&"test_lonely_target".into()))
        .cloned()
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(level(&lines[0]), [1]);
    assert_eq!(lines[0]["code"], 7);
    assert_eq!(lines[0]["level"], "ERROR");
    assert_eq!(lines[0]["message"], "lonely");
}

#[derive(Debug)]
struct NotFound;

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("user 7 not found")
    }
}

impl std::error::Error for NotFound {}

#[tracing::instrument(err)]
fn find_user(id: u32) -> Result<String, NotFound> {
    tracing::info!("looking");
    Err(NotFound)
}

#[test]
fn instrument_err_fails_the_action_with_the_error() {
    captured();
    let action = start_task!("test:instrument");
    assert!(find_user(7).is_err());
    let uuid = action.task_uuid().to_owned();
    drop(action);
    let lines = task(&uuid);
    assert_complete(&lines);
    assert_eq!(lines[1]["action_type"], "tokio_tracing_layer:find_user");
    assert_eq!(lines[1]["id"], 7);
    let end = lines
        .iter()
        .find(|l| {
            l.get("action_type") == Some(&"tokio_tracing_layer:find_user".into())
                && l["action_status"] != "started"
        })
        .unwrap();
    assert_eq!(end["action_status"], "failed");
    assert_eq!(end["exception"], eliot_tracing::layer::SPAN_ERROR_EXCEPTION);
    assert_eq!(end["reason"], "user 7 not found");
}

/// Many instrumented tasks on a multi-threaded runtime: each span's action,
/// events, Eliot messages and nested spans stay in their own tree, whichever
/// worker polls them and however they interleave.
#[test]
fn instrumented_tasks_interleaving_on_workers_keep_their_own_trees() {
    captured();
    let runtime = crate::support::all_messages::runtime(4);
    let uuids = runtime.block_on(async {
        let mut handles = Vec::new();
        for job in 0..32u64 {
            let span = tracing::info_span!("job", job);
            handles.push(tokio::spawn(
                async move {
                    let uuid = eliot::current_action().unwrap().task_uuid().to_owned();
                    for step in 0..3u64 {
                        tracing::info!(job, step, "step");
                        tokio::time::sleep(Duration::from_millis((job + step) % 3)).await;
                        log_message!("test:job:eliot", job = job, step = step);
                        async {
                            tokio::task::yield_now().await;
                            tracing::debug!(job, step, "in sub");
                        }
                        .instrument(tracing::info_span!("sub", step))
                        .await;
                    }
                    uuid
                }
                .instrument(span),
            ));
        }
        let mut uuids = Vec::new();
        for handle in handles {
            uuids.push(handle.await.unwrap());
        }
        uuids
    });
    for (job, uuid) in uuids.iter().enumerate() {
        let lines = task(uuid);
        assert_complete(&lines);
        // job start, 3 × (event, eliot message, sub start, sub event, sub end), job end
        assert_eq!(lines.len(), 17, "{lines:#?}");
        assert_eq!(lines[0]["job"], job as u64);
        for line in &lines {
            if let Some(j) = line.get("job") {
                assert_eq!(
                    *j, job as u64,
                    "a line of another job in this tree: {line:?}"
                );
            }
        }
        for step in 0..3usize {
            let base = 1 + step * 5;
            assert_eq!(kind(&lines[base]), "tokio_tracing_layer");
            assert_eq!(level(&lines[base]), [base as u64 + 1 - step as u64 * 2]);
            assert_eq!(kind(&lines[base + 1]), "test:job:eliot");
            assert_eq!(kind(&lines[base + 2]), "tokio_tracing_layer:sub");
            assert_eq!(lines[base + 3]["message"], "in sub");
            assert_eq!(level(&lines[base + 3]).len(), 2);
        }
    }
}

/// The end of the one action of type `span_type` in a task, checked to be a
/// child of the task's root.
fn span_end(uuid: &str, span_type: &str) -> Line {
    let lines = task(uuid);
    assert_complete(&lines);
    let ends: Vec<&Line> = lines
        .iter()
        .filter(|l| kind(l) == span_type && l["action_status"] != "started")
        .collect();
    assert_eq!(ends.len(), 1, "{lines:#?}");
    assert_eq!(level(ends[0]).len(), 2, "a child of the root: {lines:#?}");
    ends[0].clone()
}

#[inline_actions]
async fn waits_in_a_span() {
    std::future::pending::<()>()
        .instrument(tracing::info_span!("waits_forever"))
        .await
}

/// An `.instrument(span)` future dropped with the `#[inline_actions]`
/// future that holds it (a timeout): the span closes during the drop, and
/// its action fails as cancelled, like the actions the body opened itself.
#[test]
fn a_span_closed_by_a_cancelled_inline_actions_future_fails_as_cancelled() {
    captured();
    let runtime = crate::support::all_messages::runtime(2);
    let root = start_task!("test:cancelled_span").into_action();
    let waiting = root.run(waits_in_a_span);
    let timed_out = runtime.block_on(async {
        tokio::spawn(tokio::time::timeout(Duration::from_millis(20), waiting))
            .await
            .unwrap()
    });
    assert!(timed_out.is_err());
    root.finish().unwrap();
    let end = span_end(root.task_uuid(), "tokio_tracing_layer:waits_forever");
    assert_eq!(end["action_status"], "failed");
    assert_eq!(end["exception"], eliot::CANCELLED_EXCEPTION);
}

/// A span that closes while a panic unwinds fails with the panic's message.
#[test]
fn a_span_closed_by_a_panic_fails_with_its_message() {
    captured();
    let root = start_task!("test:panicked_span").into_action();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        root.run(|| {
            let span = tracing::info_span!("panics_inside");
            let _entered = span.enter();
            panic!("boom inside the span");
        })
    }));
    assert!(unwound.is_err());
    root.finish().unwrap();
    let end = span_end(root.task_uuid(), "tokio_tracing_layer:panics_inside");
    assert_eq!(end["action_status"], "failed");
    assert_eq!(end["exception"], eliot::PANIC_EXCEPTION);
    assert_eq!(end["reason"], "boom inside the span");
}
