//! Spawning that carries the current action into the new task or thread.
//!
//! `tokio::spawn` hands a future to whichever worker thread is free; the
//! action current where `spawn` was called is not carried along (the thread,
//! not the task, holds Eliot's context), so the task's messages would become
//! tasks of their own. These helpers capture the current context when they
//! are called and make it current in the new task on every poll
//! ([`WithContext`]), or in the blocking thread ([`preserve_context`]).
//!
//! A future that already carries its context (made by `#[inline_actions]`,
//! [`FutureContextExt::in_current_context`](eliot_core::FutureContextExt),
//! or a [`DeferredContext`](crate::DeferredContext)) keeps it under a plain
//! `tokio::spawn` too: its context was captured when it was created.
//!
//! The spawned task does not finish the action: whoever started it still
//! owns it. An action started *inside* the task and still open when the
//! task is aborted finishes as failed, cancelled.

use std::future::Future;

use eliot_core::{WithContext, preserve_context};
use tokio::task::JoinHandle;

/// `tokio::spawn`, with the current action carried into the task.
///
/// ```
/// use eliot_core::{current_action, start_action};
///
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
/// # async fn main() {
/// let handle = {
///     let _action = start_action!("app:request");
///     eliot_tokio::spawn(async {
///         // Logged in "app:request", on whichever worker runs it.
///         current_action().map(|a| a.action_type().to_owned())
///     })
/// };
/// assert_eq!(handle.await.unwrap().as_deref(), Some("app:request"));
/// # }
/// ```
///
/// # Panics
///
/// Like `tokio::spawn`, when called outside a tokio runtime.
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(WithContext::current(future))
}

/// `tokio::task::spawn_blocking`, with the current action carried into the
/// blocking thread.
///
/// ```
/// use eliot_core::{current_action, start_action};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let handle = {
///     let _action = start_action!("app:hash_file");
///     eliot_tokio::spawn_blocking(|| current_action().map(|a| a.action_type().to_owned()))
/// };
/// assert_eq!(handle.await.unwrap().as_deref(), Some("app:hash_file"));
/// # }
/// ```
///
/// # Panics
///
/// Like `tokio::task::spawn_blocking`, when called outside a tokio runtime.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    tokio::task::spawn_blocking(preserve_context(f))
}

/// `tokio::task::spawn_local`, with the current action carried into the
/// task; for `!Send` futures on a `LocalSet`.
///
/// # Panics
///
/// Like `tokio::task::spawn_local`, when called outside a `LocalSet`.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    tokio::task::spawn_local(WithContext::current(future))
}
