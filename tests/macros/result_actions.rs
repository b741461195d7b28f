//! `?` and `return Err` fail the actions a `Result` function opened with a
//! top-level `let` (`#[inline_actions]`, `#[log_call]`), and
//! `FailActionExt::fail_action` does it by hand elsewhere; everything else
//! keeps its behaviour: `Ok`, inner blocks, explicit finishes, moved
//! guards, cancellation and panics. Async cases run on a multi-threaded
//! runtime, with the body resuming on other threads.

use std::time::Duration;

use crate::support::tasks::{Msg, Task, in_task, status};
use eliot::{ActionGuard, FailActionExt, inline_actions, log_call, log_message, start_action};

#[derive(Debug)]
struct DbError;

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no such row")
    }
}

impl std::error::Error for DbError {}

async fn lookup(id: u64) -> Result<u64, DbError> {
    tokio::time::sleep(Duration::from_millis(1)).await;
    if id == 0 { Err(DbError) } else { Ok(id * 10) }
}

/// The example: the `?` must fail `app:handle`.
#[inline_actions]
async fn handle(id: u64) -> Result<u64, DbError> {
    let _action = start_action!("app:handle", id = id);
    let user = lookup(id).await?;
    log_message!("app:handle:found", user = user);
    Ok(user)
}

#[inline_actions]
async fn returns_err(fail: bool) -> Result<(), DbError> {
    let _action = start_action!("app:returns");
    tokio::task::yield_now().await;
    if fail {
        return Err(DbError);
    }
    Ok(())
}

#[inline_actions]
async fn early_ok() -> Result<u8, DbError> {
    let _action = start_action!("app:early_ok");
    tokio::task::yield_now().await;
    if true {
        return Ok(1);
    }
    Err(DbError)
}

#[inline_actions]
async fn finished_explicitly() -> Result<(), DbError> {
    let action = start_action!("app:explicit");
    tokio::task::yield_now().await;
    action.finish();
    Err(DbError)
}

#[inline_actions]
async fn inner_scope() -> Result<(), DbError> {
    let _outer = start_action!("app:outer");
    {
        let _inner = start_action!("app:inner");
        tokio::task::yield_now().await;
    }
    Err(DbError)
}

#[inline_actions]
async fn moved_guard(keep: &mut Vec<ActionGuard>) -> Result<(), DbError> {
    let action = start_action!("app:moved");
    tokio::task::yield_now().await;
    keep.push(action);
    Err(DbError)
}

#[inline_actions]
async fn dropped_early() -> Result<(), DbError> {
    let action = start_action!("app:dropped");
    drop(action);
    tokio::task::yield_now().await;
    Err(DbError)
}

#[inline_actions]
async fn nested() -> Result<u64, DbError> {
    let _outer = start_action!("app:nested:outer");
    let _inner = start_action!("app:nested:inner");
    handle(0).await
}

#[inline_actions]
async fn boxed(text: &str) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    let _action = start_action!("app:boxed");
    tokio::task::yield_now().await;
    Ok(text.parse::<u32>()?)
}

#[inline_actions]
async fn with_anyhow(text: &str) -> anyhow::Result<u32> {
    let _action = start_action!("app:anyhow");
    tokio::task::yield_now().await;
    let number = text.parse::<u32>()?;
    anyhow::ensure!(number > 0, "zero is not a port");
    Ok(number)
}

#[inline_actions]
async fn cancelled() -> Result<(), DbError> {
    let _action = start_action!("app:cancelled");
    tokio::time::sleep(Duration::from_secs(60)).await;
    Ok(())
}

#[inline_actions]
async fn panics() -> Result<(), DbError> {
    let _action = start_action!("app:panics");
    tokio::task::yield_now().await;
    panic!("boom");
}

type Outcome<T> = Result<T, DbError>;

#[inline_actions(result)]
async fn aliased() -> Outcome<()> {
    let _action = start_action!("app:aliased");
    tokio::task::yield_now().await;
    Err(DbError)
}

#[log_call]
fn sync_call(id: u64) -> Result<u64, DbError> {
    let _action = start_action!("app:sync:step");
    if id == 0 {
        return Err(DbError);
    }
    Ok(id)
}

#[log_call(result, skip_result)]
async fn log_call_aliased() -> Outcome<()> {
    let _action = start_action!("app:log_call:step");
    tokio::task::yield_now().await;
    Err(DbError)
}

fn manual(text: &str) -> Result<u16, Box<dyn std::error::Error>> {
    let action = start_action!("app:manual");
    let port = text
        .parse::<u16>()
        .map_err(Box::<dyn std::error::Error>::from)
        .fail_action(&action)?;
    Ok(port)
}

fn end<'a>(task: &'a Task, action_type: &str) -> &'a Msg {
    task.end_of(task.one(action_type))
}

fn assert_failed(task: &Task, action_type: &str, exception: &str, reason: &str) {
    let end = end(task, action_type);
    assert_eq!(status(end), Some("failed"), "{action_type}: {end:?}");
    assert_eq!(end["exception"], exception, "{action_type}");
    assert_eq!(end["reason"], reason, "{action_type}");
}

fn assert_succeeded(task: &Task, action_type: &str) {
    let end = end(task, action_type);
    assert_eq!(status(end), Some("succeeded"), "{action_type}: {end:?}");
}

const DB_ERROR: &str = "macros::result_actions::DbError";

#[test]
fn question_mark_fails_the_action_and_ok_succeeds() {
    let task = in_task("test:question_mark", || async {
        assert!(handle(0).await.is_err());
    });
    assert_failed(&task, "app:handle", DB_ERROR, "no such row");
    let task = in_task("test:ok", || async {
        assert_eq!(handle(4).await.unwrap(), 40);
    });
    assert_succeeded(&task, "app:handle");
    assert_eq!(
        task.path(task.one("app:handle:found")),
        ["test:ok", "app:handle"]
    );
}

#[test]
fn return_err_fails_and_early_return_ok_succeeds() {
    let task = in_task("test:return_err", || async {
        assert!(returns_err(true).await.is_err());
    });
    assert_failed(&task, "app:returns", DB_ERROR, "no such row");
    let task = in_task("test:early_ok", || async {
        assert!(returns_err(false).await.is_ok());
        assert_eq!(early_ok().await.unwrap(), 1);
    });
    assert_succeeded(&task, "app:returns");
    assert_succeeded(&task, "app:early_ok");
}

#[test]
fn explicit_finishes_inner_scopes_and_moved_guards_keep_their_end() {
    let task = in_task("test:kept", || async {
        assert!(finished_explicitly().await.is_err());
        assert!(inner_scope().await.is_err());
        let mut keep = Vec::new();
        assert!(moved_guard(&mut keep).await.is_err());
        // Still open: the guard lives on in `keep`.
        assert!(!keep[0].is_finished());
        drop(keep);
        assert!(dropped_early().await.is_err());
    });
    assert_succeeded(&task, "app:explicit");
    assert_succeeded(&task, "app:inner");
    assert_failed(&task, "app:outer", DB_ERROR, "no such row");
    assert_succeeded(&task, "app:moved");
    assert_succeeded(&task, "app:dropped");
}

#[test]
fn every_top_level_action_of_every_function_on_the_way_out_fails() {
    let task = in_task("test:nested", || async {
        assert!(nested().await.is_err());
    });
    for action_type in ["app:handle", "app:nested:inner", "app:nested:outer"] {
        assert_failed(&task, action_type, DB_ERROR, "no such row");
    }
    // Children end before their parents.
    let inner = end(&task, "app:nested:inner")["timestamp"]
        .as_f64()
        .unwrap();
    let outer = end(&task, "app:nested:outer")["timestamp"]
        .as_f64()
        .unwrap();
    assert!(inner <= outer);
}

#[test]
fn boxed_and_anyhow_errors_are_described_by_the_error_inside() {
    let task = in_task("test:boxed", || async {
        assert!(boxed("x").await.is_err());
        assert!(with_anyhow("y").await.is_err());
    });
    assert_failed(
        &task,
        "app:boxed",
        "core::num::error::ParseIntError",
        "invalid digit found in string",
    );
    assert_failed(
        &task,
        "app:anyhow",
        "core::num::error::ParseIntError",
        "invalid digit found in string",
    );
    let task = in_task("test:anyhow_message", || async {
        assert!(with_anyhow("0").await.is_err());
    });
    let end = end(&task, "app:anyhow");
    assert_eq!(status(end), Some("failed"));
    assert_eq!(end["reason"], "zero is not a port");
}

#[test]
fn cancellation_and_panics_are_unchanged() {
    let task = in_task("test:cancel", || async {
        let timed_out = tokio::time::timeout(Duration::from_millis(20), cancelled()).await;
        assert!(timed_out.is_err());
        let panicked = tokio::spawn(eliot::FutureContextExt::in_current_context(panics())).await;
        assert!(panicked.is_err());
    });
    assert_failed(&task, "app:cancelled", eliot::CANCELLED_EXCEPTION, {
        let end = end(&task, "app:cancelled");
        end["reason"].as_str().unwrap()
    });
    let end = end(&task, "app:panics");
    assert_eq!(status(end), Some("failed"));
    assert_eq!(end["exception"], eliot::PANIC_EXCEPTION);
    assert_eq!(end["reason"], "boom");
}

#[test]
fn an_alias_opts_in_with_result() {
    let task = in_task("test:alias", || async {
        assert!(aliased().await.is_err());
        assert!(log_call_aliased().await.is_err());
    });
    assert_failed(&task, "app:aliased", DB_ERROR, "no such row");
    assert_failed(&task, "app:log_call:step", DB_ERROR, "no such row");
    assert_failed(
        &task,
        "macros::result_actions::log_call_aliased",
        DB_ERROR,
        "no such row",
    );
}

#[test]
fn log_call_fails_the_body_s_actions_and_its_own() {
    let task = in_task("test:sync", || async {
        assert!(sync_call(0).is_err());
    });
    assert_failed(&task, "app:sync:step", DB_ERROR, "no such row");
    assert_failed(
        &task,
        "macros::result_actions::sync_call",
        DB_ERROR,
        "no such row",
    );
    let task = in_task("test:sync_ok", || async {
        assert_eq!(sync_call(3).unwrap(), 3);
    });
    assert_succeeded(&task, "app:sync:step");
}

#[test]
fn fail_action_fails_an_action_outside_the_macros() {
    let task = in_task("test:manual", || async {
        assert!(manual("eighty").is_err());
        assert_eq!(manual("80").unwrap(), 80);
    });
    let ends: Vec<&Msg> = task
        .messages
        .iter()
        .filter(|m| m["action_type"] == "app:manual" && status(m) != Some("started"))
        .collect();
    assert_eq!(status(ends[0]), Some("failed"));
    assert_eq!(ends[0]["exception"], "core::num::error::ParseIntError");
    assert_eq!(status(ends[1]), Some("succeeded"));
}

/// A store behind a trait, as services write it with `#[async_trait]`: the
/// methods' actions end with their `Result` as an `async fn`'s do.
#[async_trait::async_trait]
trait Store {
    async fn get(&self, id: u64) -> Result<u64, DbError>;
    async fn check(&self, id: u64) -> Result<(), DbError>;
}

struct Db {
    scale: u64,
}

#[async_trait::async_trait]
impl Store for Db {
    #[inline_actions]
    async fn get(&self, id: u64) -> Result<u64, DbError> {
        let _action = start_action!("app:store:get", id = id);
        let found = lookup(id).await?;
        Ok(found * self.scale)
    }

    #[inline_actions]
    async fn check(&self, id: u64) -> Result<(), DbError> {
        let _action = start_action!("app:store:check", id = id);
        tokio::task::yield_now().await;
        if id == 0 {
            return Err(DbError);
        }
        Ok(())
    }
}

#[test]
fn async_trait_methods_fail_their_actions_on_err() {
    let task = in_task("test:async_trait_err", || async {
        let db = Db { scale: 2 };
        assert!(db.get(0).await.is_err());
        assert!(db.check(0).await.is_err());
    });
    assert_failed(&task, "app:store:get", DB_ERROR, "no such row");
    assert_failed(&task, "app:store:check", DB_ERROR, "no such row");
    let task = in_task("test:async_trait_ok", || async {
        let db = Db { scale: 2 };
        assert_eq!(db.get(3).await.unwrap(), 60);
        db.check(3).await.unwrap();
    });
    assert_succeeded(&task, "app:store:get");
    assert_succeeded(&task, "app:store:check");
}

/// `#[tokio::main]` above `#[inline_actions]` ran first: the attribute wraps
/// the `async` body it left, and the `Result` still ends the actions.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
#[inline_actions]
async fn blocking_handle(id: u64) -> Result<u64, DbError> {
    let _action = start_action!("app:blocking", id = id);
    let found = tokio::spawn(lookup(id)).await.expect("lookup ran")?;
    Ok(found)
}

#[test]
fn a_runtime_attribute_above_keeps_the_result_path() {
    for (id, succeeds) in [(0, false), (5, true)] {
        let capture = crate::support::tasks::Capture::start();
        let uuid = {
            let task = eliot::start_task!("test:tokio_main");
            assert_eq!(blocking_handle(id).is_ok(), succeeds);
            task.task_uuid().to_owned()
        };
        let task = capture.finish().task(&uuid);
        task.assert_complete();
        if succeeds {
            assert_succeeded(&task, "app:blocking");
        } else {
            assert_failed(&task, "app:blocking", DB_ERROR, "no such row");
        }
        assert_eq!(
            task.path(task.one("app:blocking")),
            ["test:tokio_main", "app:blocking"]
        );
    }
}
