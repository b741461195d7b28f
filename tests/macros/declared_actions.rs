//! Declared action types (`#[derive(ActionType)]`, `#[derive(Fields)]`):
//! started through the declaration (`start`, `run`, `within` and their
//! async forms) with their start fields, finished with their success
//! fields, listed by `declarations()`, and checked against a captured log
//! by `validate_declared` (missing, extra and mistyped start and success
//! fields). Async cases run on a multi-threaded runtime with the bodies
//! resuming on other threads.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::tasks::{Msg, assert_send, in_task, level, own_level, status};
use eliot::declared::{DeclaredKind, declarations};
use eliot::testing::{MemoryLogger, validate_declared};
use eliot::{ActionType, Fields, current_action, inline_actions, log_message};

/// A query sent to the database.
#[derive(ActionType)]
#[eliot(
    action_type = "test:db:query",
    success = QueryDone,
    description = "A database query"
)]
struct Query {
    sql: String,
    limit: Option<u32>,
}

/// What a query found.
#[derive(Fields)]
struct QueryDone {
    rows: u64,
}

/// An action type without success fields, and without start fields.
#[derive(ActionType)]
#[eliot(action_type = "test:flush")]
struct Flush;

#[derive(Debug)]
struct DbError;

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset")
    }
}

impl std::error::Error for DbError {}

fn query(sql: &str) -> Query {
    Query {
        sql: sql.into(),
        limit: Some(10),
    }
}

fn statuses(messages: &[Msg]) -> Vec<(&str, &str)> {
    messages
        .iter()
        .filter_map(|m| Some((m.get("action_type")?.as_str()?, status(m)?)))
        .collect()
}

#[test]
fn started_with_its_start_fields_and_finished_with_its_success_fields() {
    let logger = MemoryLogger::new();
    logger.run(|| {
        let query = query("SELECT 1").start();
        log_message!("test:db:note");
        query.succeed(QueryDone { rows: 1 });
        Flush.start().finish();
    });
    let messages = logger.messages();
    assert_eq!(messages[0]["sql"], "SELECT 1");
    assert_eq!(messages[0]["limit"], 10);
    assert_eq!(messages[0]["action_type"], "test:db:query");
    assert_eq!(messages[1]["task_level"], serde_json::json!([2]));
    assert_eq!(messages[2]["rows"], 1);
    assert_eq!(
        statuses(&messages),
        [
            ("test:db:query", "started"),
            ("test:db:query", "succeeded"),
            ("test:flush", "started"),
            ("test:flush", "succeeded"),
        ]
    );
    // The start's user fields come first, in declaration order, as Eliot
    // writes them.
    let line = logger.lines()[0].as_json().to_owned();
    assert!(
        line.starts_with(r#"{"sql":"SELECT 1","limit":10,"action_status":"started""#),
        "{line}"
    );
    logger.validate().unwrap();
}

#[test]
fn run_and_within_run_inside_the_action_and_within_fails_it_on_err() {
    let logger = MemoryLogger::new();
    let (inside, ok, err) = logger.run(|| {
        let inside = query("SELECT 2").run(|query| {
            query.add_success(QueryDone { rows: 2 });
            current_action().map(|a| a.action_type().to_owned())
        });
        let ok = query("SELECT 3").within(|query| {
            query.add_success(QueryDone { rows: 3 });
            Ok::<_, DbError>(3)
        });
        let err = query("SELECT 4").within(|query| {
            query.add_success(QueryDone { rows: 4 }); // dropped: it failed
            Err::<u64, _>(DbError)
        });
        (inside, ok, err)
    });
    assert_eq!(inside.as_deref(), Some("test:db:query"));
    assert_eq!(ok.unwrap(), 3);
    assert!(err.is_err());
    let messages = logger.messages();
    assert_eq!(messages[1]["rows"], 2);
    assert_eq!(messages[3]["rows"], 3);
    assert_eq!(status(&messages[5]), Some("failed"));
    assert_eq!(
        messages[5]["exception"],
        "macros::declared_actions::DbError"
    );
    assert_eq!(messages[5]["reason"], "connection reset");
    assert!(messages[5].get("rows").is_none());
    logger.validate().unwrap();
}

#[test]
fn a_panic_in_run_fails_the_action() {
    let logger = MemoryLogger::new();
    let caught = logger.run(|| std::panic::catch_unwind(|| Flush.run(|_| panic!("disk on fire"))));
    assert!(caught.is_err());
    let messages = logger.messages();
    assert_eq!(status(&messages[1]), Some("failed"));
    assert_eq!(messages[1]["reason"], "disk on fire");
}

/// Many declared actions at once, each spawned (so each future is `Send`)
/// and yielding and sleeping between its messages: every message lands in
/// its own action, and each action ends as its future did.
#[test]
fn async_actions_keep_their_context_across_awaits_and_threads() {
    let task = in_task("test:declared:many", || async {
        let mut handles = Vec::new();
        for i in 0..64_u64 {
            let future = query(&format!("SELECT {i}")).within_async(move |query| async move {
                for step in 0..3 {
                    tokio::task::yield_now().await;
                    tokio::time::sleep(Duration::from_micros(50 * (i % 5))).await;
                    log_message!("test:db:step", i = i, step = step);
                }
                query.add_success(QueryDone { rows: i });
                if i.is_multiple_of(4) {
                    Err(DbError)
                } else {
                    Ok(i)
                }
            });
            handles.push(tokio::spawn(assert_send(future)));
            let flush = Flush.run_async(|_| async move {
                tokio::task::yield_now().await;
                log_message!("test:flush:step", i = i);
            });
            handles.push(tokio::spawn(async move {
                flush.await;
                Ok(0)
            }));
        }
        for handle in handles {
            let _ = handle.await.unwrap();
        }
    });
    let mut seen = BTreeSet::new();
    for start in task.all("test:db:query") {
        if status(start) != Some("started") {
            continue;
        }
        let i: u64 = start["sql"].as_str().unwrap()[7..].parse().unwrap();
        let end = task.end_of(start);
        if i.is_multiple_of(4) {
            assert_eq!(status(end), Some("failed"));
            assert_eq!(end["reason"], "connection reset");
        } else {
            assert_eq!(status(end), Some("succeeded"));
            assert_eq!(end["rows"], i);
        }
        seen.insert(i);
    }
    assert_eq!(seen.len(), 64);
    for step in task.all("test:db:step") {
        let path = task.path(step);
        assert_eq!(path, ["test:declared:many", "test:db:query"], "{step:?}");
        // The step's own action is the query with the same number.
        let mut start = own_level(step);
        start.push(1);
        let own = task.messages.iter().find(|m| level(m) == start).unwrap();
        let i = step["i"].as_u64().unwrap();
        assert_eq!(own["sql"], format!("SELECT {i}"));
    }
    assert_eq!(task.all("test:db:step").len(), 64 * 3);
    for step in task.all("test:flush:step") {
        assert_eq!(task.path(step), ["test:declared:many", "test:flush"]);
    }
}

#[test]
fn a_cancelled_or_never_polled_async_action_fails_as_cancelled() {
    let task = in_task("test:declared:cancelled", || async {
        let slow = Flush.run_async(|_| tokio::time::sleep(Duration::from_secs(60)));
        assert!(
            tokio::time::timeout(Duration::from_millis(5), slow)
                .await
                .is_err()
        );
        drop(query("SELECT never").within_async(|_| async { Ok::<_, DbError>(()) }));
    });
    let ends: Vec<&Msg> = task
        .messages
        .iter()
        .filter(|m| status(m) == Some("failed"))
        .collect();
    assert_eq!(ends.len(), 2, "{:#?}", task.messages);
    for end in ends {
        assert_eq!(end["exception"], eliot::CANCELLED_EXCEPTION);
    }
}

#[inline_actions]
async fn load(fail: bool) -> Result<u64, DbError> {
    let query = query("SELECT * FROM users").start();
    tokio::task::yield_now().await;
    if fail {
        Err(DbError)?;
    }
    query.add_success(QueryDone { rows: 7 });
    Ok(7)
}

#[test]
fn in_an_inline_actions_function_question_mark_fails_a_started_declared_action() {
    let task = in_task("test:declared:inline", || async {
        assert!(load(true).await.is_err());
        assert_eq!(load(false).await.unwrap(), 7);
    });
    let ends: Vec<(&str, Option<&serde_json::Value>)> = task
        .all("test:db:query")
        .into_iter()
        .filter(|m| status(m) != Some("started"))
        .map(|m| (status(m).unwrap(), m.get("rows")))
        .collect();
    assert_eq!(
        ends,
        [("failed", None), ("succeeded", Some(&serde_json::json!(7)))]
    );
}

#[test]
fn drifted_starts_and_successes_are_reported() {
    let logger = MemoryLogger::new();
    logger.run(|| {
        // Started by hand with drifted fields, and ended without the
        // declared success fields.
        let _ = eliot::start_action!("test:db:query", sql = 5, colour = "red");
        drop(query("SELECT 5").start()); // no success fields
        let flush = eliot::start_action!("test:flush");
        flush.add_success_fields(eliot::fields!(rows = 3));
    });
    let problems = validate_declared(&logger).unwrap_err();
    assert_eq!(
        problems.problems(),
        [
            "test:db:query (start): field `sql` is 5, not a string (`String` in Query)",
            "test:db:query (start): field `limit` is missing (declared by Query)",
            "test:db:query (start): field `colour` is not declared by Query",
            "test:db:query (success): field `rows` is missing \
             (declared by the success fields of Query)",
            "test:db:query (success): field `rows` is missing \
             (declared by the success fields of Query)",
            "test:flush (success): field `rows` is not declared by the success fields of Flush",
        ]
    );
    assert_eq!(
        logger.validate().unwrap_err().problems(),
        problems.problems()
    );
}

#[test]
fn failures_are_not_checked_against_the_success_fields() {
    let logger = MemoryLogger::new();
    logger.run(|| query("SELECT 6").start().finish_with_error(&DbError));
    validate_declared(&logger).unwrap();
}

#[test]
fn action_types_are_listed_with_their_start_and_success_fields() {
    let declared = declarations()
        .find(|d| d.name == "test:db:query")
        .expect("registered");
    assert_eq!(declared.kind, DeclaredKind::Action);
    assert_eq!(declared.rust_type, "Query");
    assert_eq!(declared.description, "A database query");
    let names = |fields: &[eliot::declared::DeclaredField]| {
        fields
            .iter()
            .map(|f| (f.name, f.rust_type))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(declared.fields),
        [("sql", "String"), ("limit", "Option<u32>")]
    );
    assert_eq!(names(declared.success_fields), [("rows", "u64")]);
    let flush = declarations().find(|d| d.name == "test:flush").unwrap();
    assert!(flush.fields.is_empty() && flush.success_fields.is_empty());
    // A set of fields alone declares no type.
    assert!(declarations().all(|d| d.rust_type != "QueryDone"));
}
