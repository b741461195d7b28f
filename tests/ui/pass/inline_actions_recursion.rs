//! Recursion of an `async fn` through `Box::pin`, and spawning it.

use eliot::{inline_actions, start_action};

#[inline_actions]
async fn fibonacci(n: u64) -> u64 {
    let _action = start_action!("ui:fibonacci", n = n);
    tokio::task::yield_now().await;
    if n < 2 {
        n
    } else {
        Box::pin(fibonacci(n - 1)).await + Box::pin(fibonacci(n - 2)).await
    }
}

#[tokio::main]
async fn main() {
    assert_eq!(fibonacci(10).await, 55);
    assert_eq!(tokio::spawn(fibonacci(8)).await.unwrap(), 21);
}
