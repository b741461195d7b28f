//! `#[log_call]` on sync and async functions and methods, with every
//! argument: `skip`, `include` with `?` and `%`, `skip_result`,
//! `action_type`, and every kind of result: values, `()`, `Result` with
//! std, boxed and `Display`-only errors, `impl Trait`.

// The generated code is clean under strict lints in users' crates.
#![deny(warnings, unused_qualifications, unused_results, rust_2018_idioms)]

use std::fmt;

use eliot::log_call;
use serde::Serialize;

#[derive(Serialize)]
struct Point {
    x: i32,
    y: i32,
}

struct Secret;

#[derive(Debug)]
struct Config {
    retries: u32,
}

struct Shown;

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("shown")
    }
}

#[log_call]
fn multiply(x: i32, y: i32) -> i32 {
    x * y
}

#[log_call]
fn nothing_returned(point: &Point, (a, b): (u8, u8), _: bool) {
    let _ = (point.x, a, b);
}

#[log_call(skip(secret))]
fn with_secret(user: &str, secret: Secret) -> usize {
    let Secret = secret;
    user.len()
}

#[log_call(include(id, ?config, %shown))]
fn included(id: u64, config: &Config, shown: Shown, _secret: Secret) -> String {
    format!("{id}:{}:{shown}", config.retries)
}

#[log_call(skip_result, action_type = "ui:custom")]
fn unserializable_result() -> Secret {
    Secret
}

#[log_call]
fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    if text.is_empty() {
        return Ok(0);
    }
    Ok(text.parse::<u32>()? + 1)
}

#[log_call]
fn boxed(text: &str) -> Result<(), Box<dyn std::error::Error>> {
    let _: u32 = text.parse()?;
    Ok(())
}

#[log_call]
fn display_error(fail: bool) -> Result<Point, String> {
    if fail { Err("failed".into()) } else { Ok(Point { x: 1, y: 2 }) }
}

#[log_call]
fn io_result() -> std::io::Result<Vec<u8>> {
    Ok(vec![1])
}

#[log_call(skip_result)]
fn impl_result(n: u32) -> impl Iterator<Item = u32> {
    0..n
}

#[log_call]
fn generic<T: Serialize + Clone>(value: &T) -> T {
    value.clone()
}

#[log_call]
fn lifetimes<'a>(text: &'a str, _other: &str) -> &'a str {
    &text[1..]
}

#[log_call]
async fn fetch(id: u64, point: Point) -> Result<i32, std::io::Error> {
    tokio::task::yield_now().await;
    if id == 0 {
        return Err(std::io::Error::other("no id"));
    }
    Ok(point.x + point.y)
}

#[log_call(skip(secret))]
async fn async_unit(secret: Secret) {
    let Secret = secret;
    tokio::task::yield_now().await;
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

    #[log_call]
    async fn total(&self) -> i64 {
        tokio::task::yield_now().await;
        self.total
    }

    #[log_call]
    fn new(total: i64) -> Self {
        Ledger { total }
    }
}

impl Serialize for Ledger {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.total.serialize(s)
    }
}

#[tokio::main]
async fn main() {
    assert_eq!(multiply(3, 4), 12);
    nothing_returned(&Point { x: 1, y: 2 }, (1, 2), true);
    assert_eq!(with_secret("ann", Secret), 3);
    assert_eq!(included(7, &Config { retries: 2 }, Shown, Secret), "7:2:shown");
    let Secret = unserializable_result();
    assert_eq!(parse("41"), Ok(42));
    assert!(parse("x").is_err());
    assert!(boxed("x").is_err());
    assert!(display_error(true).is_err());
    assert_eq!(display_error(false).unwrap().y, 2);
    assert_eq!(io_result().unwrap(), [1]);
    assert_eq!(impl_result(3).count(), 3);
    assert_eq!(generic(&5u8), 5);
    assert_eq!(lifetimes("abc", "d"), "bc");
    assert_eq!(fetch(1, Point { x: 1, y: 2 }).await.unwrap(), 3);
    assert!(fetch(0, Point { x: 1, y: 2 }).await.is_err());
    async_unit(Secret).await;
    let mut ledger = Ledger::new(1);
    assert_eq!(ledger.add(2), 3);
    assert_eq!(ledger.total().await, 3);
    // Spawnable.
    let _ = tokio::spawn(fetch(2, Point { x: 0, y: 0 })).await.unwrap().unwrap();
}
