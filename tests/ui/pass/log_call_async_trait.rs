//! `#[log_call]` on methods desugared by `#[async_trait]`, and on `async fn`
//! in traits and trait impls.

// The generated code is clean under strict lints in users' crates.
#![deny(warnings, unused_qualifications, unused_results, rust_2018_idioms)]

use async_trait::async_trait;
use eliot::log_call;

#[async_trait]
trait Service {
    async fn call(&self, request: u32) -> Result<u32, std::io::Error>;
}

struct Echo;

#[async_trait]
impl Service for Echo {
    #[log_call]
    async fn call(&self, request: u32) -> Result<u32, std::io::Error> {
        tokio::task::yield_now().await;
        Ok(request)
    }
}

trait Native {
    async fn run(&self, input: String) -> usize;
}

impl Native for Echo {
    #[log_call]
    async fn run(&self, input: String) -> usize {
        tokio::task::yield_now().await;
        input.len()
    }
}

#[tokio::main]
async fn main() {
    assert_eq!(Echo.call(3).await.unwrap(), 3);
    assert_eq!(Echo.run("abc".into()).await, 3);
    let _ = tokio::spawn(async { Echo.call(4).await }).await.unwrap().unwrap();
}
