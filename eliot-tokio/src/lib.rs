//! eliot-rs for tokio: the integration the Eliot page "Using Eliot with
//! Twisted" describes, for tokio programs.
//!
//! | Twisted (Python Eliot) | here |
//! |---|---|
//! | `DeferredContext` | [`DeferredContext`], [`DeferredContextExt`] |
//! | `writeFailure` as an errback | [`WriteFailureExt`], [`FutureWriteFailureExt`] |
//! | (carrying the action into new work) | [`spawn()`], [`spawn_blocking`], [`spawn_local`] |
//! | `TwistedDestination` | `TracingDestination` (crate `eliot-tracing`): Eliot into `tracing` |
//! | (Twisted logs into Eliot) | `EliotLayer` (crate `eliot-tracing`): `tracing` into Eliot |
//! | `ThreadedWriter` as a Twisted `Service` | [`ThreadedWriterService`]: start, awaitable stop |
//! | `redirectLogsForTrial` | [`redirect_logs_for_tests`] |
//!
//! # Futures and actions
//!
//! In async Rust the thread is not the task: a future is polled by whoever
//! awaits or spawns it, so the action current where it was *created* is
//! not, by itself, current when it *runs*. [`DeferredContext`] captures the
//! current action when it wraps a future; its callbacks (and the future)
//! run in that action wherever they are polled, and
//! [`add_action_finish`](DeferredContext::add_action_finish) finishes the
//! action when the future completes:
//!
//! ```
//! use eliot_core::{fields, log_message, start_action};
//! use eliot_tokio::{DeferredContext, DeferredContextExt};
//!
//! async fn lookup(user: u32) -> Result<String, std::io::Error> {
//!     Ok(format!("user-{user}"))
//! }
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Python: with start_action(...).context(): d = DeferredContext(...)
//! let action = start_action!("app:lookup", user = 7).into_action();
//! let name = action.run(|| {
//!     DeferredContext::new(lookup(7)).map(|d| {
//!         d.add_callback(|name| {
//!             log_message!("app:lookup:found", name = name.as_str());
//!             Ok(name.to_uppercase())
//!         })
//!         .add_action_finish()
//!     })
//! })?;
//! // Spawned onto any worker: the callback still logs into "app:lookup",
//! // and the action finishes, succeeded, when the future completes.
//! assert_eq!(tokio::spawn(name).await??, "USER-7");
//!
//! // The same in one line, with the extension trait:
//! let name = lookup(8).in_new_action("app:lookup", fields!(user = 8)).await?;
//! # assert_eq!(name, "user-8");
//! # Ok(())
//! # }
//! ```
//!
//! [`spawn()`] and [`spawn_blocking`] carry the current action into the new
//! task or thread; `tokio::spawn` does not.
//!
//! # Eliot and `tracing`
//!
//! The bridges between Eliot and `tracing` (`TracingDestination`,
//! `EliotLayer`) are in the crate `eliot-tracing`, so that a tokio program
//! that does not use `tracing` does not build it.
//!
//! # Tests
//!
//! [`redirect_logs_for_tests`] makes every test's Eliot messages part of its
//! captured output under `cargo test` and `cargo nextest`, drawn by the
//! console and shown when it fails, and keeps the whole run's log as JSON
//! lines in a file under `target/`.

#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod deferred;
pub mod service;
pub mod spawn;
pub mod test_logs;
pub mod write_failure;

pub use deferred::{
    ActionFinish, Callback, DeferredContext, DeferredContextExt, IntoAction, NoCurrentAction,
};
pub use service::ThreadedWriterService;
pub use spawn::{spawn, spawn_blocking, spawn_local};
pub use test_logs::{Harness, TestLogs, redirect_logs_for_tests};
pub use write_failure::{FutureWriteFailureExt, SwallowFailure, WriteFailure, WriteFailureExt};
