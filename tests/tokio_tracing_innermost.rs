//! The innermost wins: a `tracing` span or event with a contextual parent
//! belongs to whatever is innermost on the thread when it is made, an Eliot
//! action opened inside the current span or the span itself; Eliot actions
//! opened inside an entered span survive its exits and re-entries at every
//! suspension. Each case runs on a multi-threaded runtime; every item names
//! the chain it must sit under (`expected`), checked by parsing the log back.
//!
//! `ELIOT_INNERMOST_LOG=<file>` also writes the first scenario's task to a
//! file, to draw it with eliot-tree.

mod tracing_support;

use std::time::Duration;

use eliot::{current_action, inline_actions, log_message, start_action};
use tracing::Instrument;
use tracing_support::{captured, check_task, runtime, task};

/// A yield that really suspends: the task may resume on another worker.
async fn suspend() {
    tokio::time::sleep(Duration::from_millis(1)).await;
    tokio::task::yield_now().await;
}

fn uuid() -> String {
    current_action()
        .expect("inside an action")
        .task_uuid()
        .to_owned()
}

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
