//! `#[log_call]` stacked with `#[tokio::main]` in either order: the action
//! wraps the `async` body (its result is the body's output), and tasks the
//! runtime polls on this thread meanwhile run outside it.

use eliot::{current_action, log_call};

#[tokio::main(flavor = "current_thread")]
#[log_call(action_type = "ui:below")]
async fn below() -> Result<u32, std::num::ParseIntError> {
    assert_eq!(current_action().unwrap().action_type(), "ui:below");
    let outside = tokio::spawn(async { current_action() }).await.unwrap();
    assert!(outside.is_none(), "a spawned task runs outside the action");
    "1".parse()
}

#[log_call(action_type = "ui:main")]
#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(current_action().unwrap().action_type(), "ui:main");
    let outside = tokio::spawn(async { current_action() }).await.unwrap();
    assert!(outside.is_none(), "a spawned task runs outside the action");
    // Leave the runtime before starting another one.
    assert_eq!(std::thread::spawn(below).join().unwrap(), Ok(1));
}
