//! The future is `Send` exactly when the body's is: compile-time assertions
//! for `Send` bodies here; `fail/inline_actions_not_send.rs` for the rest.

use std::future::Future;
use std::rc::Rc;

use eliot::{inline_actions, start_action};

fn assert_send<F: Future + Send>(future: F) -> F {
    future
}

fn assert_sync<T: Sync>(value: T) -> T {
    value
}

#[inline_actions]
async fn holds_a_guard_across_awaits(n: u32) -> u32 {
    let action = start_action!("ui:send");
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
    action.log("ui:send:done", eliot::fields!(n = n));
    n
}

#[inline_actions]
async fn holds_an_rc_only_between_awaits() -> usize {
    tokio::task::yield_now().await;
    let rc = Rc::new(5);
    *rc
}

#[inline_actions]
async fn not_send_but_fine_locally() -> usize {
    let rc = Rc::new(5);
    tokio::task::yield_now().await;
    *rc
}

#[tokio::main]
async fn main() {
    assert_send(holds_a_guard_across_awaits(2)).await;
    let _ = assert_sync(holds_a_guard_across_awaits(2));
    assert_send(holds_an_rc_only_between_awaits()).await;
    tokio::spawn(holds_a_guard_across_awaits(3)).await.unwrap();
    // A non-Send future still runs where Send is not needed.
    assert_eq!(not_send_but_fine_locally().await, 5);
    tokio::task::LocalSet::new()
        .run_until(async { tokio::task::spawn_local(not_send_but_fine_locally()).await.unwrap() })
        .await;
}
