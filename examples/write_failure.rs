//! The "Logging Failures" example of Eliot's Twisted integration page, in Rust: errors logged as
//! `eliot:traceback` in the current action, from a `Result` or from a
//! future, passed on or swallowed like the errback of Eliot's Twisted integration page.
//!
//! Python:
//!
//! ```python
//! class YourClass(object):
//!     def run(self):
//!         d = dosomething()
//!         d.addErrback(writeFailure)
//! ```
//!
//! Writes `write_failure.log` in the working directory.
//!
//! ```text
//! cargo run --example write_failure
//! ```

use std::fs::File;
use std::time::Duration;

use eliot::{
    FileDestination, FutureContextExt, add_destination, fields, log_message, remove_destination,
    start_task,
};
use eliot_tokio::{DeferredContext, DeferredContextExt, FutureWriteFailureExt, WriteFailureExt};

/// Something asynchronous that fails.
async fn do_something(path: &str) -> Result<Vec<u8>, std::io::Error> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    tokio::fs::read(path).await
}

struct YourClass;

impl YourClass {
    /// Python's `d.addErrback(writeFailure)`: the error is logged in the
    /// action and swallowed.
    async fn run(&self) -> Option<Vec<u8>> {
        do_something("/nonexistent/your-class.dat")
            .swallow_failure()
            .await
    }

    /// The same on a DeferredContext: the errback runs in the action that
    /// was current when the future was wrapped, wherever it is polled.
    fn run_deferred(&self) -> impl std::future::Future<Output = Option<Vec<u8>>> + Send + use<> {
        let action = eliot::current_action().expect("called inside an action");
        DeferredContext::with_action(action, do_something("/nonexistent/deferred.dat"))
            .add_both(|result| result.swallow_failure())
            .result()
    }
}

/// Logged and passed on: `?` still sees the error.
fn parse_port(text: &str) -> Result<u16, std::num::ParseIntError> {
    let port = text.trim().parse::<u16>().write_failure()?;
    log_message!("yourapp:port", port = port);
    Ok(port)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = "write_failure.log";
    let log = add_destination(FileDestination::from_file(File::create(path)?)?);

    let task = start_task!("yourapp:main").into_action();
    // Inside the task's action, whoever polls it.
    let swallowed = tokio::spawn(async { YourClass.run().await }.in_action(&task)).await?;
    println!("run: {swallowed:?}");
    let deferred = tokio::spawn(task.run(|| YourClass.run_deferred())).await?;
    println!("run_deferred: {deferred:?}");

    let ports: Vec<_> = task
        .run(|| ["8080", "80a"].map(parse_port))
        .into_iter()
        .collect();
    println!("ports: {ports:?}");

    // A child action that fails with the error it passed on.
    let loaded = task.run(|| {
        do_something("/nonexistent/config.toml")
            .write_failure()
            .in_new_action(
                "yourapp:load_config",
                fields!(path = "/nonexistent/config.toml"),
            )
    });
    println!("load_config: {}", tokio::spawn(loaded).await?.is_err());
    task.finish()?;

    remove_destination(&log).expect("registered above");
    eprintln!("(wrote {path})");
    Ok(())
}
