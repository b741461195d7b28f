//! Logging errors on their way through: `eliot:traceback` messages from a
//! `Result` or from a future's error ("Logging Failures" on Eliot's Twisted integration page).
//!
//! In Twisted, `d.addErrback(writeFailure)` logs the failure and swallows
//! it. Here there are two forms, on a `Result` ([`WriteFailureExt`]) and on
//! a future of one ([`FutureWriteFailureExt`]):
//!
//! - `write_failure()` logs the error and passes it on unchanged, so `?`
//!   still sees it;
//! - `swallow_failure()` logs the error and turns the result into an
//!   `Option`, like the errback of Eliot's Twisted integration page.
//!
//! The message is logged in the action current where the error is seen: for
//! a `Result`, where the method is called; for a future, in the context that
//! polls it when it completes. A future awaited inside an action (an
//! `#[inline_actions]` function, a [`DeferredContext`](crate::DeferredContext)
//! callback, a task started with [`spawn()`](crate::spawn())) logs into that
//! action.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use eliot_core::{AsFailure, write_traceback};
use pin_project_lite::pin_project;

/// Logs the error of a `Result` as `eliot:traceback` in the current action.
///
/// ```
/// use eliot_core::start_action;
/// use eliot_tokio::WriteFailureExt;
///
/// fn port(text: &str) -> Result<u16, std::num::ParseIntError> {
///     let _action = start_action!("app:parse_port", text = text);
///     // Logged in "app:parse_port", then returned to the caller.
///     text.parse::<u16>().write_failure()
/// }
///
/// assert!(port("80a").is_err());
/// // The errback of Eliot's Twisted integration page: log it and carry on without a value.
/// let _action = start_action!("app:optional_port");
/// assert_eq!("x".parse::<u16>().swallow_failure(), None);
/// ```
pub trait WriteFailureExt<T, E> {
    /// Logs the error, if any, and returns the result unchanged.
    fn write_failure(self) -> Result<T, E>;

    /// Logs the error, if any, and drops it: `Some(value)` or `None`.
    fn swallow_failure(self) -> Option<T>;
}

impl<T, E: AsFailure> WriteFailureExt<T, E> for Result<T, E> {
    fn write_failure(self) -> Result<T, E> {
        if let Err(error) = &self {
            write_traceback(error);
        }
        self
    }

    fn swallow_failure(self) -> Option<T> {
        self.write_failure().ok()
    }
}

/// Logs the error a future completes with as `eliot:traceback`, in the
/// context that polls it.
///
/// ```
/// use eliot_core::{start_action, FutureContextExt};
/// use eliot_tokio::FutureWriteFailureExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let action = start_action!("app:load").into_action();
/// let load = async { std::fs::read("/nonexistent/app.toml") }
///     .write_failure()
///     .in_action(&action);
/// assert!(load.await.is_err());
/// action.finish().unwrap();
/// # }
/// ```
pub trait FutureWriteFailureExt: Future + Sized {
    /// Logs the error, if the future fails, and passes the output on.
    fn write_failure<T, E>(self) -> WriteFailure<Self>
    where
        Self: Future<Output = Result<T, E>>,
        E: AsFailure,
    {
        WriteFailure { future: self }
    }

    /// Logs the error, if the future fails, and completes with `Some(value)`
    /// or `None`.
    fn swallow_failure<T, E>(self) -> SwallowFailure<Self>
    where
        Self: Future<Output = Result<T, E>>,
        E: AsFailure,
    {
        SwallowFailure {
            future: self.write_failure(),
        }
    }
}

impl<F: Future> FutureWriteFailureExt for F {}

pin_project! {
    /// A future that logs its error as `eliot:traceback` and passes it on;
    /// see [`FutureWriteFailureExt::write_failure`].
    #[must_use = "futures do nothing unless polled"]
    pub struct WriteFailure<F> {
        #[pin]
        future: F,
    }
}

impl<F, T, E> Future for WriteFailure<F>
where
    F: Future<Output = Result<T, E>>,
    E: AsFailure,
{
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
        let output = ready!(self.project().future.poll(cx));
        Poll::Ready(output.write_failure())
    }
}

impl<F> fmt::Debug for WriteFailure<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteFailure").finish_non_exhaustive()
    }
}

pin_project! {
    /// A future that logs its error as `eliot:traceback` and completes with
    /// an `Option`; see [`FutureWriteFailureExt::swallow_failure`].
    #[must_use = "futures do nothing unless polled"]
    pub struct SwallowFailure<F> {
        #[pin]
        future: WriteFailure<F>,
    }
}

impl<F, T, E> Future for SwallowFailure<F>
where
    F: Future<Output = Result<T, E>>,
    E: AsFailure,
{
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        // The error was logged by `WriteFailure`; only the value is kept.
        self.project().future.poll(cx).map(Result::ok)
    }
}

impl<F> fmt::Debug for SwallowFailure<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SwallowFailure").finish_non_exhaustive()
    }
}
