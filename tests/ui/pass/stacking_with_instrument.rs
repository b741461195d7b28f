//! `#[inline_actions]` and `#[log_call]` written above `#[tracing::instrument]`
//! move themselves below it, arguments and all, on every shape.

use eliot::{current_action, inline_actions, log_call, start_action};
use tracing::instrument;

#[inline_actions(debug)]
#[tracing::instrument(skip(x))]
async fn with_arguments(x: u32) -> u32 {
    tokio::task::yield_now().await;
    x + 1
}

#[inline_actions(crate = ::eliot_core)]
#[instrument]
async fn through_core() -> Option<String> {
    let _action = eliot_core::start_action!("ui:core");
    tokio::task::yield_now().await;
    eliot_core::current_action().map(|a| a.action_type().to_owned())
}

#[inline_actions]
#[allow(clippy::needless_return)]
#[tracing::instrument(level = "debug", fields(extra = 1))]
async fn other_attributes_between() -> bool {
    let _action = start_action!("ui:between");
    tokio::task::yield_now().await;
    return current_action().is_some();
}

#[log_call]
#[tracing::instrument]
fn synchronous(x: u32) -> u32 {
    x * 2
}

#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused")
    }
}

impl std::error::Error for Refused {}

#[log_call(skip_result)]
#[tracing::instrument(err)]
async fn fallible(fail: bool) -> Result<u32, Refused> {
    tokio::task::yield_now().await;
    if fail { Err(Refused) } else { Ok(1) }
}

struct Service;

impl Service {
    #[inline_actions]
    #[tracing::instrument(skip(self))]
    async fn method(&self, id: u32) -> u32 {
        tokio::task::yield_now().await;
        id
    }
}

#[tokio::main]
async fn main() {
    assert_eq!(with_arguments(1).await, 2);
    assert_eq!(through_core().await.as_deref(), Some("ui:core"));
    assert!(other_attributes_between().await);
    assert_eq!(synchronous(3), 6);
    assert!(fallible(true).await.is_err());
    assert_eq!(fallible(false).await.unwrap(), 1);
    assert_eq!(Service.method(5).await, 5);
}
