//! `#[log_call]`: what the action records, for sync and async functions and
//! methods, and when an async call's action ends (Eliot issue 393: only when
//! the future completes).

use std::time::Duration;

use crate::support::tasks::{Capture, Captured, Task, kind, status};
use eliot::{current_action, inline_actions, log_call, log_message, start_task};
use serde::Serialize;

#[derive(Serialize, Debug, Clone, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}

#[log_call]
fn multiply(x: i32, y: i32) -> i32 {
    log_message!("test:multiply:inside");
    x * y
}

#[log_call(skip(password))]
fn login(user: &str, password: &str) -> bool {
    !user.is_empty() && !password.is_empty()
}

#[derive(Debug)]
struct Config {
    retries: u32,
}

#[log_call(include(id, ?config, %address), action_type = "test:connect")]
fn connect(id: u64, config: &Config, address: std::net::Ipv4Addr, _token: &str) -> Point {
    Point {
        x: id as i32,
        y: config.retries as i32,
    }
}

/// Arguments named with keywords: the start fields are named without `r#`.
#[log_call(include(r#type, ?r#match), action_type = "test:raw")]
fn raw_names(r#type: &str, r#match: Option<u8>, r#fn: u8) -> u8 {
    r#match.unwrap_or(r#fn) + r#type.len() as u8
}

#[log_call(skip(r#fn), action_type = "test:raw_skip")]
fn raw_skip(r#type: u8, r#fn: u8) -> u8 {
    r#type + r#fn
}

#[log_call]
fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    if text == "zero" {
        return Ok(0);
    }
    Ok(text.parse::<u32>()? * 2)
}

#[log_call]
fn boxed(text: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let _: u32 = text.parse()?;
    Ok(())
}

#[log_call]
fn text_error() -> Result<Point, String> {
    Err("plain text".to_owned())
}

#[log_call(skip_result)]
fn unlogged_result(a: (u8, u8)) -> Vec<u8> {
    vec![a.0, a.1]
}

#[log_call]
fn unit(Point { x, y }: Point) {
    log_message!("test:unit:inside", sum = x + y);
}

#[log_call]
fn panics(reason: &str) -> u32 {
    panic!("{}", reason);
}

struct Ledger {
    total: i64,
}

impl Ledger {
    #[log_call]
    fn add(&mut self, amount: i64) -> i64 {
        self.total += amount;
        self.total
    }
}

/// Runs `f` inside a fresh task and returns that task's messages.
fn in_task(name: &str, f: impl FnOnce()) -> Task {
    let capture = Capture::start();
    let uuid = {
        let task = start_task!(name);
        f();
        task.task_uuid().to_owned()
    };
    capture.finish().task(&uuid)
}

fn fields_of<'a>(
    task: &'a Task,
    action_type_suffix: &str,
) -> (
    &'a serde_json::Map<String, serde_json::Value>,
    &'a serde_json::Map<String, serde_json::Value>,
) {
    let start = task
        .messages
        .iter()
        .find(|m| status(m) == Some("started") && kind(m).ends_with(action_type_suffix))
        .unwrap_or_else(|| {
            panic!(
                "no action ending in {action_type_suffix}: {:#?}",
                task.messages
            )
        });
    (start, task.end_of(start))
}

#[test]
fn a_call_is_an_action_with_its_arguments_and_result() {
    let task = in_task("test:log_call:multiply", || assert_eq!(multiply(3, 4), 12));
    let (start, end) = fields_of(&task, "::multiply");
    // The function's path: this test crate's name, then the function.
    assert_eq!(kind(start), "macros::log_call_actions::multiply");
    assert_eq!(start["x"], 3);
    assert_eq!(start["y"], 4);
    assert_eq!(status(end), Some("succeeded"));
    assert_eq!(end["result"], 12);
    let inside = task.one("test:multiply:inside");
    assert_eq!(
        task.path(inside),
        [
            "test:log_call:multiply",
            "macros::log_call_actions::multiply"
        ]
    );
    task.assert_complete();
}

#[test]
fn skip_include_and_formats_choose_the_start_fields() {
    let task = in_task("test:log_call:fields", || {
        assert!(login("ann", "hunter2"));
        let config = Config { retries: 3 };
        let point = connect(7, &config, "10.0.0.1".parse().unwrap(), "secret");
        assert_eq!(point, Point { x: 7, y: 3 });
    });
    let (login_start, login_end) = fields_of(&task, "::login");
    assert_eq!(login_start["user"], "ann");
    assert!(!login_start.contains_key("password"));
    assert_eq!(login_end["result"], true);

    let (start, end) = fields_of(&task, "test:connect");
    assert_eq!(start["id"], 7);
    assert_eq!(start["config"], "Config { retries: 3 }");
    assert_eq!(start["address"], "10.0.0.1");
    assert!(!start.contains_key("_token"));
    assert_eq!(end["result"], serde_json::json!({"x": 7, "y": 3}));
    task.assert_complete();
}

#[test]
fn raw_identifiers_are_logged_under_their_plain_names() {
    let task = in_task("test:log_call:raw", || {
        assert_eq!(raw_names("ab", Some(3), 9), 5);
        assert_eq!(raw_skip(1, 2), 3);
    });
    let (start, end) = fields_of(&task, "test:raw");
    assert_eq!(start["type"], "ab");
    assert_eq!(start["match"], "Some(3)");
    assert!(!start.contains_key("fn") && !start.contains_key("r#fn"));
    assert_eq!(end["result"], 5);
    let (start, _) = fields_of(&task, "test:raw_skip");
    assert_eq!(start["type"], 1);
    assert!(!start.contains_key("fn") && !start.contains_key("r#fn"));
    task.assert_complete();
}

#[test]
fn results_ok_and_err() {
    let task = in_task("test:log_call:results", || {
        assert_eq!(parse("21"), Ok(42));
        assert_eq!(parse("zero"), Ok(0));
        assert!(parse("x").is_err());
        assert!(boxed("y").is_err());
        assert!(text_error().is_err());
        assert_eq!(unlogged_result((1, 2)), [1, 2]);
        unit(Point { x: 1, y: 2 });
    });
    let parses: Vec<_> = task
        .all("macros::log_call_actions::parse")
        .into_iter()
        .filter(|m| status(m) == Some("started"))
        .map(|start| {
            (
                start["text"].as_str().unwrap().to_owned(),
                task.end_of(start).clone(),
            )
        })
        .collect();
    assert_eq!(parses[0].0, "21");
    assert_eq!(parses[0].1["result"], 42);
    assert_eq!(parses[1].1["result"], 0, "an early return is seen");
    assert_eq!(status(&parses[2].1), Some("failed"), "`?` is seen");
    assert_eq!(parses[2].1["exception"], "core::num::error::ParseIntError");
    assert_eq!(parses[2].1["reason"], "invalid digit found in string");
    assert!(!parses[2].1.contains_key("result"));

    let (_, end) = fields_of(&task, "::boxed");
    assert_eq!(status(end), Some("failed"));
    assert_eq!(
        end["exception"], "core::num::error::ParseIntError",
        "named through the box"
    );

    let (_, end) = fields_of(&task, "::text_error");
    assert_eq!(end["exception"], "alloc::string::String");
    assert_eq!(end["reason"], "plain text");

    let (start, end) = fields_of(&task, "::unlogged_result");
    assert_eq!(start["a"], serde_json::json!([1, 2]));
    assert_eq!(status(end), Some("succeeded"));
    assert!(!end.contains_key("result"));

    let (start, end) = fields_of(&task, "::unit");
    assert_eq!(
        (start["x"].clone(), start["y"].clone()),
        (1.into(), 2.into())
    );
    assert!(!end.contains_key("result"), "`()` is not logged");
    task.assert_complete();
}

#[test]
fn a_panic_fails_the_action() {
    let capture = Capture::start();
    let uuid = {
        let task = start_task!("test:log_call:panic");
        let caught = std::panic::catch_unwind(|| panics("kaboom"));
        assert!(caught.is_err());
        assert_eq!(
            current_action().unwrap().action_type(),
            "test:log_call:panic"
        );
        task.task_uuid().to_owned()
    };
    let task = capture.finish().task(&uuid);
    let (start, end) = fields_of(&task, "::panics");
    assert_eq!(start["reason"], "kaboom");
    assert_eq!(status(end), Some("failed"));
    assert_eq!(end["exception"], "panic");
    assert_eq!(end["reason"], "kaboom");
    task.assert_complete();
}

#[test]
fn methods_are_named_with_their_type_and_never_log_self() {
    let task = in_task("test:log_call:method", || {
        let mut ledger = Ledger { total: 1 };
        assert_eq!(ledger.add(2), 3);
    });
    let (start, end) = fields_of(&task, "::add");
    assert_eq!(kind(start), "macros::log_call_actions::Ledger::add");
    assert_eq!(start["amount"], 2);
    assert!(!start.contains_key("self"));
    assert_eq!(end["result"], 3);
}

#[log_call]
async fn fetch(id: u64, delay_ms: u64) -> Result<Point, std::io::Error> {
    log_message!("test:fetch:before");
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    log_message!("test:fetch:after");
    if id == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such id",
        ));
    }
    Ok(Point { x: id as i32, y: 0 })
}

struct Client {
    base: String,
}

impl Client {
    #[log_call]
    async fn get(&self, path: &str) -> String {
        tokio::task::yield_now().await;
        format!("{}{path}", self.base)
    }
}

#[inline_actions]
async fn async_scenario() -> String {
    let task = start_task!("test:log_call:async");
    // Created now, polled later: the action starts at the first poll and
    // ends when the future completes, with the result.
    let pending = fetch(1, 5);
    log_message!("test:log_call:async:created");
    let point = pending.await.unwrap();
    assert_eq!(point.x, 1);
    assert!(fetch(0, 1).await.is_err());
    let client = Client {
        base: "http://h".into(),
    };
    assert_eq!(client.get("/p").await, "http://h/p");
    // Interleaved with other tasks on the workers.
    let handles: Vec<_> = (10..20).map(|id| tokio::spawn(fetch(id, id % 3))).collect();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    // Cancelled: the action fails as cancelled.
    assert!(
        tokio::time::timeout(Duration::from_millis(5), fetch(2, 10_000))
            .await
            .is_err()
    );
    task.task_uuid().to_owned()
}

#[test]
fn async_calls_finish_when_the_future_completes() {
    let runtime = crate::support::tasks::runtime(4);
    let capture = Capture::start();
    let uuid = runtime.block_on(async_scenario());
    let log: Captured = capture.finish();
    let task = log.task(&uuid);
    let starts: Vec<_> = task
        .all("macros::log_call_actions::fetch")
        .into_iter()
        .filter(|m| status(m) == Some("started"))
        .collect();
    assert_eq!(starts.len(), 13);
    for start in &starts {
        let end = task.end_of(start);
        let id = start["id"].as_u64().unwrap();
        match id {
            0 => {
                assert_eq!(status(end), Some("failed"));
                assert_eq!(end["exception"], "std::io::error::Error");
                assert_eq!(end["reason"], "no such id");
            }
            2 => {
                assert_eq!(status(end), Some("failed"));
                assert_eq!(end["exception"], "cancelled");
            }
            _ => {
                assert_eq!(status(end), Some("succeeded"));
                assert_eq!(end["result"], serde_json::json!({"x": id, "y": 0}));
            }
        }
    }
    // The first call's messages, before and after its await, are inside its
    // action, and the action started after the caller's next message.
    let created = task.one("test:log_call:async:created");
    let first = starts.iter().find(|m| m["id"] == 1).unwrap();
    assert!(crate::support::tasks::level(created) < crate::support::tasks::level(first));
    assert_eq!(task.all("test:fetch:after").len(), 12);
    for message in task.all("test:fetch:after") {
        assert_eq!(
            task.path(message),
            ["test:log_call:async", "macros::log_call_actions::fetch"]
        );
    }
    let (start, end) = fields_of(&task, "Client::get");
    assert_eq!(start["path"], "/p");
    assert!(!start.contains_key("self"));
    assert_eq!(end["result"], "http://h/p");
    task.assert_complete();
}

// `#[log_call]` stacked with `#[tokio::test]`, in either order: the action
// wraps the test's `async` body, not the runtime around it, so a task that
// the test's runtime polls on the same thread meanwhile runs outside it.

#[log_call(action_type = "test:log_call:above_tokio_test")]
#[tokio::test]
async fn log_call_above_tokio_test() {
    let here = || current_action().unwrap().action_type().to_owned();
    assert_eq!(here(), "test:log_call:above_tokio_test");
    tokio::task::yield_now().await;
    let outside = tokio::spawn(async { current_action() }).await.unwrap();
    assert_eq!(outside, None);
    assert_eq!(here(), "test:log_call:above_tokio_test");
}

#[tokio::test]
#[log_call(action_type = "test:log_call:below_tokio_test")]
async fn log_call_below_tokio_test() {
    let here = || current_action().unwrap().action_type().to_owned();
    assert_eq!(here(), "test:log_call:below_tokio_test");
    tokio::task::yield_now().await;
    let outside = tokio::spawn(async { current_action() }).await.unwrap();
    assert_eq!(outside, None);
    assert_eq!(here(), "test:log_call:below_tokio_test");
}
