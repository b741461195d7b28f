//! The innermost wins: a `tracing` span or event with a contextual parent
//! belongs to whatever is innermost on the thread when it is made, an Eliot
//! action opened inside the current span or the span itself; Eliot actions
//! opened inside an entered span survive its exits and re-entries at every
//! suspension. Each case runs on a multi-threaded runtime; every item names
//! the chain it must sit under (`expected`), checked by parsing the log back.
//!
//! `ELIOT_INNERMOST_LOG=<file>` also writes the first scenario's task to a
//! file, to draw it with eliot-tree.

mod support;

use std::time::Duration;

use crate::support::tracing_layer::{captured, check_task, run_many, runtime, suspend, task, uuid};
use eliot::{inline_actions, log_message, start_action};
use tracing::Instrument;

const REQUEST: &str = "tower_http::trace::make_span:request";

#[inline_actions]
async fn lookup() {
    let _lookup = start_action!(
        "app:db:lookup",
        expected = format!("{REQUEST} > app:handler")
    );
    let sql = tracing::info_span!(
        target: "axapp",
        "sql",
        expected = format!("{REQUEST} > app:handler > app:db:lookup")
    );
    sql.in_scope(|| {
        tracing::info!(
            target: "axapp",
            expected = format!("{REQUEST} > app:handler > app:db:lookup > axapp:sql"),
            "query sent"
        )
    });
    suspend().await;
    log_message!(
        "app:db:rows",
        expected = format!("{REQUEST} > app:handler > app:db:lookup")
    );
}

#[inline_actions]
async fn handler() -> String {
    let _handler = start_action!("app:handler", expected = REQUEST);
    lookup().await;
    tracing::info!(
        target: "axapp",
        expected = format!("{REQUEST} > app:handler"),
        "inside handler via tracing"
    );
    suspend().await;
    uuid()
}

/// The scenario of a real service: tower-http's `TraceLayer` makes a
/// `request` span per request, enters it while it calls the handler, and
/// polls the handler's future inside it. What the handler logs through
/// `tracing` (and what libraries it calls do) sits in the Eliot action it
/// happens in, not beside it in the request.
#[test]
fn spans_and_events_inside_a_handlers_actions_sit_in_those_actions() {
    captured();
    let runtime = runtime(4);
    let uuids = runtime.block_on(async {
        let requests = (0..16).map(|_| {
            let span = tracing::info_span!(
                target: "tower_http::trace::make_span",
                parent: None,
                "request",
                expected = ""
            );
            let response = span.in_scope(handler);
            tokio::spawn(response.instrument(span))
        });
        let mut uuids = Vec::new();
        for request in requests.collect::<Vec<_>>() {
            uuids.push(request.await.unwrap());
        }
        uuids
    });
    if let Ok(path) = std::env::var("ELIOT_INNERMOST_LOG") {
        let lines: Vec<String> = task(&uuids[0])
            .iter()
            .map(|l| serde_json::to_string(l).unwrap())
            .collect();
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }
    for uuid in &uuids {
        assert_eq!(check_task(uuid), 7, "every item was checked");
    }
}

/// Checks every task of a scenario, each with `items` placed items.
fn check_all(uuids: &[String], items: usize) {
    for uuid in uuids {
        assert_eq!(check_task(uuid), items, "items checked in task {uuid}");
    }
}

// span > action > span > event, the action held across awaits inside the
// outer span (instrumenting a plain `async` block of an #[inline_actions]
// function).
#[inline_actions]
async fn span_action_span_event() -> String {
    async {
        let _a = start_action!("app:a", expected = "t:outer");
        suspend().await;
        let inner = tracing::info_span!(target: "t", "inner", expected = "t:outer > app:a");
        async {
            tracing::info!(target: "t", expected = "t:outer > app:a > t:inner", "first");
            suspend().await;
            tracing::info!(target: "t", expected = "t:outer > app:a > t:inner", "second");
        }
        .instrument(inner)
        .await;
        suspend().await;
        tracing::info!(target: "t", expected = "t:outer > app:a", "back in a");
        log_message!("app:note", expected = "t:outer > app:a");
        uuid()
    }
    .instrument(tracing::info_span!(target: "t", parent: None, "outer", expected = ""))
    .await
}

#[test]
fn span_then_action_then_span_then_event() {
    let uuids = run_many(24, |_| span_action_span_event());
    check_all(&uuids, 7);
}

// action > span > action > event.
#[inline_actions]
async fn action_span_action_event() -> String {
    let root = eliot::start_task!("app:root", expected = "");
    suspend().await;
    async {
        let _b = start_action!("app:b", expected = "app:root > t:span");
        suspend().await;
        tracing::info!(target: "t", expected = "app:root > t:span > app:b", "in b");
        let _c = start_action!("app:c", expected = "app:root > t:span > app:b");
        suspend().await;
        log_message!("app:note", expected = "app:root > t:span > app:b > app:c");
    }
    .instrument(tracing::info_span!(target: "t", "span", expected = "app:root"))
    .await;
    tracing::info!(target: "t", expected = "app:root", "after the span");
    root.task_uuid().to_owned()
}

#[test]
fn action_then_span_then_action_then_event() {
    let uuids = run_many(24, |_| action_span_action_event());
    check_all(&uuids, 7);
}

// Nested spans, each with an action held across awaits inside it.
#[inline_actions]
async fn nested_spans_with_actions() -> String {
    let root = eliot::start_task!("app:root", expected = "");
    async {
        let _a = start_action!("app:a", expected = "app:root > t:outer");
        suspend().await;
        async {
            let _b = start_action!("app:b", expected = "app:root > t:outer > app:a > t:inner");
            suspend().await;
            tracing::info!(
                target: "t",
                expected = "app:root > t:outer > app:a > t:inner > app:b",
                "in b"
            );
        }
        .instrument(tracing::info_span!(
            target: "t",
            "inner",
            expected = "app:root > t:outer > app:a"
        ))
        .await;
        suspend().await;
        log_message!("app:note", expected = "app:root > t:outer > app:a");
    }
    .instrument(tracing::info_span!(target: "t", "outer", expected = "app:root"))
    .await;
    root.task_uuid().to_owned()
}

#[test]
fn nested_spans_keep_the_actions_opened_in_each() {
    let uuids = run_many(24, |_| nested_spans_with_actions());
    check_all(&uuids, 7);
}

#[inline_actions]
async fn spawned_child(expected: &'static str) {
    suspend().await;
    tracing::info!(target: "t", expected, "in the spawned function");
    let _d = start_action!("app:d", expected);
    let span = tracing::info_span!(
        target: "t",
        "in_d",
        expected = format!("{expected} > app:d")
    );
    span.in_scope(
        || tracing::info!(target: "t", expected = format!("{expected} > app:d > t:in_d"), "e"),
    );
}

// Events and spans inside #[inline_actions] functions spawned with
// `tokio::spawn` and `eliot_tokio::spawn`, and in a plain future spawned
// with a span made in the action.
#[inline_actions]
async fn spawned() -> String {
    let root = eliot::start_task!("app:root", expected = "");
    let _a = start_action!("app:a", expected = "app:root");
    tokio::spawn(spawned_child("app:root > app:a"))
        .await
        .unwrap();
    eliot_tokio::spawn(async {
        suspend().await;
        tracing::info!(target: "t", expected = "app:root > app:a", "carried by eliot_tokio::spawn");
        spawned_child("app:root > app:a").await;
    })
    .await
    .unwrap();
    let span = tracing::info_span!(target: "t", "plain", expected = "app:root > app:a");
    tokio::spawn(
        async {
            suspend().await;
            tracing::info!(target: "t", expected = "app:root > app:a > t:plain", "plain task");
        }
        .instrument(span),
    )
    .await
    .unwrap();
    drop(_a);
    root.task_uuid().to_owned()
}

#[test]
fn spawned_functions_and_tasks_log_where_they_were_spawned() {
    let uuids = run_many(16, |_| spawned());
    check_all(&uuids, 13);
}

#[inline_actions]
async fn in_caller_context() {
    let _f = start_action!("app:f", expected = "app:root > t:wrapping");
    suspend().await;
    tracing::info!(target: "t", expected = "app:root > t:wrapping > app:f", "in f");
}

// An #[inline_actions] function's future instrumented with a span it was
// called in: its body runs in the span's action.
#[inline_actions]
async fn inline_actions_inside_instrument() -> String {
    let root = eliot::start_task!("app:root", expected = "");
    let span = tracing::info_span!(target: "t", "wrapping", expected = "app:root");
    let future = span.in_scope(in_caller_context);
    future.instrument(span).await;
    root.task_uuid().to_owned()
}

#[test]
fn an_inline_actions_future_instrumented_with_its_calling_span() {
    let uuids = run_many(16, |_| inline_actions_inside_instrument());
    check_all(&uuids, 4);
}

// Explicit parents are respected, whatever is innermost; `parent: None` is a
// task of its own.
#[inline_actions]
async fn explicit_parents() -> String {
    let root = eliot::start_task!("app:root", expected = "");
    let holder = tracing::info_span!(target: "t", "holder", expected = "app:root");
    let _a = start_action!("app:a", expected = "app:root");
    suspend().await;
    let child = tracing::info_span!(
        target: "t",
        parent: &holder,
        "explicit",
        expected = "app:root > t:holder"
    );
    tracing::info!(target: "t", parent: &holder, expected = "app:root > t:holder", "to holder");
    {
        let _entered = child.enter();
        tracing::info!(
            target: "t",
            expected = "app:root > t:holder > t:explicit",
            "contextual, in the entered span"
        );
        tracing::info!(target: "t_root", parent: None, "a task of its own");
    }
    tracing::info!(target: "t", expected = "app:root > app:a", "contextual, in a");
    drop((child, holder));
    drop(_a);
    root.task_uuid().to_owned()
}

#[test]
fn explicit_parents_are_respected() {
    let uuids = run_many(16, |_| explicit_parents());
    check_all(&uuids, 7);
    let roots: Vec<_> = captured()
        .lock()
        .unwrap()
        .iter()
        .filter(|l| crate::support::tracing_layer::kind(l) == "t_root")
        .map(|l| {
            (
                crate::support::tracing_layer::level(l),
                l["task_uuid"].clone(),
            )
        })
        .collect();
    assert_eq!(roots.len(), 16);
    for (level, uuid) in roots {
        assert_eq!(level, [1], "a task of its own");
        assert!(
            !uuids.iter().any(|u| *u == uuid),
            "not in a scenario's task"
        );
    }
}

#[inline_actions]
async fn called_outside_the_span() {
    let _f = start_action!("app:f", expected = "app:root");
    suspend().await;
    tracing::info!(target: "t", expected = "app:root > app:f", "in f");
}

// An #[inline_actions] future called outside the span that instruments it
// keeps its caller's context (captured at the call): the body's actions sit
// beside the span's, in the caller's action, as the module docs say.
#[inline_actions]
async fn inline_actions_instrumented_elsewhere() -> String {
    let root = eliot::start_task!("app:root", expected = "");
    let future = called_outside_the_span();
    let span = tracing::info_span!(target: "t", "elsewhere", expected = "app:root");
    future.instrument(span).await;
    root.task_uuid().to_owned()
}

#[test]
fn an_inline_actions_future_instrumented_elsewhere_keeps_its_callers_context() {
    let uuids = run_many(16, |_| inline_actions_instrumented_elsewhere());
    check_all(&uuids, 4);
}

#[inline_actions]
async fn waits_for_ever() {
    let _waiting = start_action!("app:waiting", expected = "app:root > t:holder");
    std::future::pending::<()>().await;
}

// A timeout drops an #[inline_actions] function whose plain future, inside
// it, holds an action across an await inside a span: the action and the
// span end as cancelled, in place.
#[inline_actions]
async fn cancelled_inside_a_span() -> String {
    let root = eliot::start_task!("app:root", expected = "");
    let timed_out = tokio::time::timeout(Duration::from_millis(20), holder()).await;
    assert!(timed_out.is_err());
    root.task_uuid().to_owned()
}

#[inline_actions]
async fn holder() {
    async {
        suspend().await;
        waits_for_ever().await;
    }
    .instrument(tracing::info_span!(target: "t", "holder", expected = "app:root"))
    .await
}

#[test]
fn a_cancelled_function_ends_the_actions_inside_its_spans_as_cancelled() {
    let uuids = run_many(16, |_| cancelled_inside_a_span());
    check_all(&uuids, 3);
    for uuid in &uuids {
        let lines = task(uuid);
        let ends: Vec<_> = lines
            .iter()
            .filter(|l| crate::support::tracing_layer::status(l) == Some("failed"))
            .map(|l| {
                (
                    crate::support::tracing_layer::kind(l),
                    l["exception"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            ends,
            [("app:waiting", "cancelled"), ("t:holder", "cancelled")],
            "{}",
            crate::support::tracing_layer::render(&lines)
        );
    }
}
