//! Stacking with `#[tokio::main]`, in either order. (trybuild builds pass
//! cases as binaries, without `#[test]` functions: stacking with
//! `#[tokio::test]` is tested in tests/macros/inline_actions_context.rs and
//! tests/macros/log_call_actions.rs.)

use eliot::{current_action, inline_actions, start_action};

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
