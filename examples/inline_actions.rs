//! The `inline_callbacks` example of Eliot's Twisted integration page, in Rust: `go()` opens an action,
//! awaits, and logs `some-report` after the await, inside the action.
//!
//! Without `#[inline_actions]` the action would stay current on the worker
//! thread while `go()` waits (so unrelated work there would be logged as its
//! child), and the message after the await could be logged with no parent
//! at all. Here ten `go()`s run at once on a multi-threaded runtime, among
//! unrelated tasks, and each report lands in its own action.
//!
//! Writes `inline_actions.log` in the working directory.
//!
//! ```text
//! cargo run --example inline_actions
//! ```

use std::time::Duration;

use eliot::{FileDestination, fields, inline_actions, log_message, start_action, start_task};
use eliot_tokio::ThreadedWriterService;

/// Stands in for that page's `some_deferred_api()`.
async fn some_async_api(delay_ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    delay_ms * 2
}

#[inline_actions]
async fn go(delay_ms: u64) {
    let action = start_action!("yourapp:subsystem:frob", delay_ms = delay_ms);
    let x = some_async_api(delay_ms).await;
    action.log("some-report", fields!(x = x));
}

/// Unrelated work on the same workers: without #[inline_actions] on `go`,
/// these messages would show up inside a frob action.
async fn unrelated(n: u64) {
    for tick in 0..3 {
        tokio::time::sleep(Duration::from_millis(n + tick)).await;
        log_message!("yourapp:heartbeat", n = n, tick = tick);
    }
}

/// One request: a task of its own, whose frob happens inside it.
#[inline_actions]
async fn request(i: u64) {
    let _task = start_task!("yourapp:request", request = i);
    go(10 - i).await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let writer = ThreadedWriterService::new(FileDestination::create("inline_actions.log")?);
    writer.start()?;

    let mut work = Vec::new();
    for i in 0..10u64 {
        work.push(tokio::spawn(request(i)));
        work.push(tokio::spawn(unrelated(i)));
    }
    for handle in work {
        handle.await?;
    }

    let report = writer.stop().await?;
    println!("wrote inline_actions.log ({} lines)", report.written);
    Ok(())
}
