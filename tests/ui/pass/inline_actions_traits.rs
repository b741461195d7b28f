//! `async fn` in traits: on a default body, in trait impls (of an `async fn`
//! declaration and of one that promises a `Send` future), and called through
//! generics.

// The generated code is clean under strict lints in users' crates.
#![deny(warnings, unused_qualifications, unused_results, rust_2018_idioms)]

use std::future::Future;

use eliot::{inline_actions, start_action};

trait Store {
    async fn get(&self, key: &str) -> Option<String>;

    #[inline_actions]
    async fn get_or(&self, key: &str, default: &str) -> String {
        let _action = start_action!("ui:get_or", key = key);
        tokio::task::yield_now().await;
        self.get(key).await.unwrap_or_else(|| default.to_owned())
    }
}

trait SendStore {
    fn fetch(&self, key: String) -> impl Future<Output = usize> + Send;
}

struct Memory;

impl Store for Memory {
    #[inline_actions]
    async fn get(&self, key: &str) -> Option<String> {
        tokio::task::yield_now().await;
        (key == "a").then(|| "A".to_owned())
    }
}

impl SendStore for Memory {
    #[inline_actions]
    async fn fetch(&self, key: String) -> usize {
        tokio::task::yield_now().await;
        key.len()
    }
}

async fn through_generics<S: Store>(store: &S) -> String {
    store.get_or("b", "default").await
}

#[tokio::main]
async fn main() {
    assert_eq!(Memory.get("a").await.as_deref(), Some("A"));
    assert_eq!(Memory.get_or("a", "-").await, "A");
    assert_eq!(through_generics(&Memory).await, "default");
    // The impl's future is Send, as the trait promises.
    assert_eq!(tokio::spawn(async { Memory.fetch("abc".into()).await }).await.unwrap(), 3);
}
