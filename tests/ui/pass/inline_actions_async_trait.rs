//! Functions already desugared into `Box::pin(async move { .. })`: by
//! `#[async_trait]` (in traits and impls), or by hand to recurse.

// The generated code is clean under strict lints in users' crates.
#![deny(warnings, unused_qualifications, unused_results, rust_2018_idioms)]

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use eliot::{current_action, inline_actions, start_action};

#[async_trait]
trait Handler {
    async fn handle(&self, request: u32) -> u32;

    #[inline_actions]
    async fn handle_twice(&self, request: u32) -> u32 {
        let _action = start_action!("ui:handle_twice");
        self.handle(request).await + self.handle(request).await
    }
}

struct Doubler;

#[async_trait]
impl Handler for Doubler {
    #[inline_actions]
    async fn handle(&self, request: u32) -> u32 {
        let _action = start_action!("ui:handle", request = request);
        tokio::task::yield_now().await;
        assert_eq!(current_action().unwrap().action_type(), "ui:handle");
        request * 2
    }
}

/// Recursion needs a boxed future; written by hand.
#[inline_actions]
fn countdown(n: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move {
        let _action = start_action!("ui:countdown", n = n);
        tokio::task::yield_now().await;
        if n == 0 { 0 } else { countdown(n - 1).await + 1 }
    })
}

#[tokio::main]
async fn main() {
    assert_eq!(Doubler.handle(3).await, 6);
    assert_eq!(Doubler.handle_twice(3).await, 12);
    let handler: Box<dyn Handler + Send + Sync> = Box::new(Doubler);
    assert_eq!(tokio::spawn(async move { handler.handle(5).await }).await.unwrap(), 10);
    assert_eq!(countdown(4).await, 4);
}
