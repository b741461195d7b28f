//! Futures that carry their own action context.
//!
//! In async Rust the thread is not the task: between two polls of a future,
//! the same worker thread runs other tasks. [`WithContext`] gives a future a
//! context of its own, captured when it is created, and swaps it with the
//! thread's on every poll: while the future is polled its context is current,
//! and when it returns (ready or pending) the poller's context is back. This
//! is the engine of `#[inline_actions]` and of `eliot-tokio`'s spawn helpers.
//!
//! The context is the future's alone (a copy when the one captured is
//! shared, an empty one of its own when nothing was current), allocated
//! once when the future is made: a `tracing` span that instruments code
//! inside the future keeps in it the actions opened inside the span while
//! the span is exited at a suspension.
//!
//! It also finishes what the future leaves open. When a `WithContext` is
//! dropped before its future completed (a timeout, a `select!` loser, an
//! aborted task), the future is dropped under its own context with the
//! interruption "cancelled" declared, so every action guard it holds finishes
//! as failed with `exception` `"cancelled"`. When a poll panics, the future is
//! dropped the same way with the panic's message, the poller's context is
//! restored, and the panic continues.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use pin_project_lite::pin_project;

use crate::action::Action;
use crate::context::SavedContext;
use crate::failure::interruption::{Interruption, while_interrupted};
use crate::util::panic::payload_message;

pin_project! {
    /// A future that runs in an action context of its own; see the
    /// [module docs](self).
    ///
    /// ```
    /// use eliot_core::{current_action, start_action, WithContext};
    ///
    /// let action = start_action!("app:job");
    /// let future = WithContext::current(async {
    ///     current_action().map(|a| a.action_type().to_owned())
    /// });
    /// drop(action);
    /// // Polled later, outside the action, it still runs inside it.
    /// let seen = futures_lite_block_on(future);
    /// assert_eq!(seen.as_deref(), Some("app:job"));
    /// # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     use std::task::{Context, Poll, Waker};
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = Context::from_waker(Waker::noop());
    /// #     loop { if let Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct WithContext<F> {
        context: SavedContext,
        #[pin]
        future: Option<F>,
    }

    impl<F> PinnedDrop for WithContext<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.future.is_some() {
                // Dropped before completion: cancelled. The body's guards
                // drop under its own context and finish as failed.
                let mut future = this.future;
                let context = this.context;
                context.swap_with_current();
                let _restore = SwapBack(context);
                while_interrupted(Interruption::Cancelled, || future.set(None));
            }
        }
    }
}

/// Swaps a saved context back out when dropped, also during unwinding.
struct SwapBack<'a>(&'a mut SavedContext);

impl Drop for SwapBack<'_> {
    fn drop(&mut self) {
        self.0.swap_with_current();
    }
}

impl<F> WithContext<F> {
    /// Runs `future` in the context that is current now.
    pub fn current(future: F) -> Self {
        Self::new(SavedContext::capture(), future)
    }

    /// Runs `future` with `action` current (the action is not finished when
    /// the future completes; see `eliot-tokio`'s `DeferredContext` for that).
    pub fn in_action(action: &Action, future: F) -> Self {
        Self::new(SavedContext::of_action(action.clone()), future)
    }

    /// Runs `future` in a saved context (a copy of it, if it is shared).
    #[doc(hidden)]
    pub fn new(context: SavedContext, future: F) -> Self {
        WithContext {
            context: context.into_own(),
            future: Some(future),
        }
    }

    /// The action the future runs in, if any.
    pub fn action(&self) -> Option<&Action> {
        self.context.action()
    }
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut future = this.future;
        this.context.swap_with_current();
        let _restore = SwapBack(this.context);
        let polled = catch_unwind(AssertUnwindSafe(|| match future.as_mut().as_pin_mut() {
            Some(inner) => inner.poll(cx),
            None => panic!("`WithContext` polled after it completed"),
        }));
        match polled {
            Ok(Poll::Ready(output)) => {
                future.set(None);
                Poll::Ready(output)
            }
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => {
                let message = payload_message(&*payload);
                while_interrupted(Interruption::Panicked(message), || future.set(None));
                // `_restore` puts the poller's context back as the panic
                // unwinds out of here.
                resume_unwind(payload)
            }
        }
    }
}

impl<F> std::fmt::Debug for WithContext<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithContext")
            .field("context", &self.context)
            .field("completed", &self.future.is_none())
            .finish()
    }
}

/// Runs futures in an action context: `future.in_current_context()`,
/// `future.in_action(&action)`.
///
/// ```
/// use eliot_core::{start_action, FutureContextExt};
///
/// let action = start_action!("app:fetch");
/// let fetch = async { 42 }.in_current_context();
/// # drop(fetch);
/// ```
pub trait FutureContextExt: Future + Sized {
    /// Runs the future in the context current now, wherever it is polled.
    fn in_current_context(self) -> WithContext<Self> {
        WithContext::current(self)
    }

    /// Runs the future with `action` current, wherever it is polled.
    fn in_action(self, action: &Action) -> WithContext<Self> {
        WithContext::in_action(action, self)
    }
}

impl<F: Future> FutureContextExt for F {}
