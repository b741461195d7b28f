//! Stacking with `#[tokio::main]` and `#[tokio::test]`, in either order.

use eliot::{current_action, inline_actions, start_action};

#[inline_actions]
#[tokio::test]
async fn inline_actions_above_tokio_test() {
    let _action = start_action!("ui:test");
    tokio::task::yield_now().await;
    assert_eq!(current_action().unwrap().action_type(), "ui:test");
}

#[tokio::test]
#[inline_actions]
async fn inline_actions_below_tokio_test() {
    let _action = start_action!("ui:test");
    tokio::task::yield_now().await;
    assert_eq!(current_action().unwrap().action_type(), "ui:test");
}

#[tokio::main(flavor = "current_thread")]
#[inline_actions]
async fn below() -> u32 {
    let _action = start_action!("ui:below");
    tokio::task::yield_now().await;
    assert_eq!(current_action().unwrap().action_type(), "ui:below");
    1
}

#[inline_actions]
#[tokio::main]
async fn main() {
    let _action = start_action!("ui:main");
    tokio::task::yield_now().await;
    assert_eq!(current_action().unwrap().action_type(), "ui:main");
    // Leave the runtime before starting another one.
    std::thread::spawn(below).join().unwrap();
}
