//! Methods with every kind of receiver, in plain and generic impls.

// The generated code is clean under strict lints in users' crates.
#![deny(warnings, unused_qualifications, unused_results, rust_2018_idioms)]

use std::pin::Pin;

use eliot::{inline_actions, start_action};

struct Counter {
    count: u32,
}

impl Counter {
    #[inline_actions]
    async fn get(&self) -> u32 {
        tokio::task::yield_now().await;
        self.count
    }

    #[inline_actions]
    async fn bump(&mut self) -> &mut Self {
        let _action = start_action!("ui:bump", from = self.count);
        tokio::task::yield_now().await;
        self.count += 1;
        self
    }

    #[inline_actions]
    async fn into_count(self) -> u32 {
        tokio::task::yield_now().await;
        self.count
    }

    #[inline_actions]
    async fn into_count_mut(mut self) -> u32 {
        self.count *= 10;
        tokio::task::yield_now().await;
        self.count
    }

    #[inline_actions]
    async fn boxed(self: Box<Self>) -> u32 {
        tokio::task::yield_now().await;
        self.count
    }

    #[inline_actions]
    async fn pinned(self: Pin<&mut Self>) -> u32 {
        tokio::task::yield_now().await;
        self.get_mut().count
    }

    #[inline_actions]
    async fn associated(start: u32) -> Self {
        tokio::task::yield_now().await;
        Counter { count: start }
    }
}

struct Wrapper<T>(T);

impl<T: Clone + Send + Sync> Wrapper<T> {
    #[inline_actions]
    async fn value(&self) -> T {
        tokio::task::yield_now().await;
        self.0.clone()
    }
}

#[tokio::main]
async fn main() {
    let mut counter = Counter::associated(1).await;
    let _ = counter.bump().await.bump().await;
    assert_eq!(counter.get().await, 3);
    assert_eq!(Counter { count: 4 }.into_count().await, 4);
    assert_eq!(Counter { count: 4 }.into_count_mut().await, 40);
    assert_eq!(Box::new(Counter { count: 5 }).boxed().await, 5);
    let mut pinned = Counter { count: 6 };
    assert_eq!(Pin::new(&mut pinned).pinned().await, 6);
    assert_eq!(Wrapper("w").value().await, "w");
    // Spawnable: the futures are Send.
    let _ = tokio::spawn(async { Wrapper(7u8).value().await }).await.unwrap();
}
