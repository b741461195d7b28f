//! Free functions of every shape: arguments by value, `mut`, patterns and
//! `_`; generics, where clauses and `impl Trait`; named and elided
//! lifetimes; `Result` with `?` and early `return`; `impl Trait` results.

// The generated code is clean under strict lints in users' crates.
#![deny(warnings, unused_qualifications, unused_results, rust_2018_idioms)]

use std::fmt::Display;

use eliot::{current_action, inline_actions, start_action};

#[inline_actions]
async fn no_arguments() {}

#[inline_actions]
async fn by_value(name: String, mut count: u32, (a, b): (u8, u8), _: bool, _unused: f64) -> String {
    count += u32::from(a + b);
    tokio::task::yield_now().await;
    format!("{name}:{count}")
}

#[inline_actions]
async fn generic<T, U: Clone>(value: T, extra: &U) -> (T, U)
where
    T: Display + Send,
{
    let _action = start_action!("ui:generic", value = %value);
    tokio::task::yield_now().await;
    (value, extra.clone())
}

#[inline_actions]
async fn impl_trait_argument(items: impl IntoIterator<Item = u32>) -> u32 {
    tokio::task::yield_now().await;
    items.into_iter().sum()
}

#[inline_actions]
async fn impl_trait_result(x: u32) -> impl Display {
    tokio::task::yield_now().await;
    x * 2
}

#[inline_actions]
async fn named_lifetimes<'a, 'b: 'a>(a: &'a str, _b: &'b str) -> &'a str {
    tokio::task::yield_now().await;
    a
}

#[inline_actions]
async fn elided_lifetime(text: &str) -> &str {
    tokio::task::yield_now().await;
    text.trim()
}

#[inline_actions]
async fn elided_in_paths(text: std::borrow::Cow<'_, str>, cell: std::cell::Ref<'_, u32>) -> usize {
    text.len() + *cell as usize
}

#[inline_actions]
async fn question_mark(input: &str) -> Result<u32, std::num::ParseIntError> {
    let _action = start_action!("ui:parse", input = input);
    tokio::task::yield_now().await;
    if input.is_empty() {
        return Ok(0);
    }
    let value = input.parse::<u32>()?;
    Ok(value + 1)
}

#[inline_actions]
async fn boxed_error(input: &str) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    tokio::task::yield_now().await;
    let value: u32 = input.parse()?;
    if value > 10 {
        return Err("too big".into());
    }
    Ok(value)
}

#[inline_actions]
pub(crate) async fn visibility_and_attributes() -> Option<String> {
    #![allow(clippy::let_and_return)]
    let seen = current_action().map(|a| a.action_type().to_owned());
    seen
}

#[tokio::main]
async fn main() {
    no_arguments().await;
    assert_eq!(by_value("n".into(), 1, (2, 3), true, 0.5).await, "n:6");
    assert_eq!(generic(5, &"x").await, (5, "x"));
    assert_eq!(impl_trait_argument(vec![1, 2, 3]).await, 6);
    assert_eq!(impl_trait_result(4).await.to_string(), "8");
    assert_eq!(named_lifetimes("a", "b").await, "a");
    assert_eq!(elided_lifetime("  x ").await, "x");
    let cell = std::cell::RefCell::new(2);
    assert_eq!(elided_in_paths("abc".into(), cell.borrow()).await, 5);
    assert_eq!(question_mark("41").await, Ok(42));
    assert_eq!(question_mark("").await, Ok(0));
    assert!(question_mark("x").await.is_err());
    assert_eq!(boxed_error("3").await.unwrap(), 3);
    assert!(boxed_error("30").await.is_err());
    let _outer = start_action!("ui:outer");
    assert_eq!(visibility_and_attributes().await.as_deref(), Some("ui:outer"));
}
