//! `DeferredContext`: a future whose callbacks run in the action that was
//! current when it was wrapped, and which can finish that action when it
//! completes ("Actions and Deferreds" on Eliot's Twisted integration page).
//!
//! Python Eliot needs this because a Deferred's callbacks run in whatever
//! context fires the Deferred, and because a `with start_action(...)` block
//! ends before the callbacks run. Async Rust has the same two problems: a
//! future is polled by whoever awaits or spawns it, and an
//! [`ActionGuard`] dropped at the end of a block
//! finishes its action before the future it started has completed.
//!
//! [`DeferredContext`] grabs the current action when it is created (a typed
//! error when there is none) and keeps the Deferred API, Rust-shaped:
//!
//! | Python | Rust |
//! |---|---|
//! | `DeferredContext(d)` | [`DeferredContext::new(future)?`](DeferredContext::new), or [`DeferredContext::with_action`] |
//! | `addCallback(f)` | [`add_callback(f)`](DeferredContext::add_callback): `f(T) -> Result<U, E>` on the `Ok` path |
//! | `addErrback(f)` | [`add_errback(f)`](DeferredContext::add_errback): `f(E) -> Result<T, E2>` on the `Err` path |
//! | `addCallbacks(f, g)` | [`add_callbacks(f, g)`](DeferredContext::add_callbacks) |
//! | `addBoth(f)` | [`add_both(f)`](DeferredContext::add_both): `f(output) -> R` |
//! | `addActionFinish()` | [`add_action_finish()`](DeferredContext::add_action_finish), which consumes the wrapper |
//! | `.result` | [`result()`](DeferredContext::result), or `.await` the wrapper directly |
//!
//! Misuse that Python reports at run time cannot happen: `add_action_finish`
//! consumes the wrapper and returns a plain future ([`ActionFinish`]), so
//! adding a callback after it, or finishing twice, does not compile.
//!
//! Everything the wrapper runs (the wrapped future and every callback) runs
//! with the captured action current, wherever and whenever it is polled. When
//! the future returned by `add_action_finish` is dropped before it completed
//! (a timeout, a `select!` loser, an aborted task), the action finishes as
//! failed with `exception` `"cancelled"`; when a poll panics, it fails with
//! the panic's message.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use eliot_core::{Action, ActionGuard, AsFailure, Field, WithContext, current_action};
use pin_project_lite::pin_project;

/// A future together with the Eliot action its callbacks run in; see the
/// [module docs](self).
///
/// ```
/// use eliot_core::{current_action, start_action};
/// use eliot_tokio::DeferredContext;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), eliot_tokio::NoCurrentAction> {
/// let fetched = {
///     // `into_action`: the action must outlive this block, it is finished by
///     // `add_action_finish` when the future completes.
///     let action = start_action!("app:fetch", url = "/users/7").into_action();
///     let _entered = action.enter();
///     DeferredContext::new(async { Ok::<_, std::io::Error>(512) })?
///         .add_callback(|size| {
///             // Runs in "app:fetch", whoever polls the future.
///             let here = current_action().unwrap();
///             Ok(format!("{} bytes in {}", size, here.action_type()))
///         })
///         .add_action_finish()
/// };
/// assert_eq!(fetched.await.unwrap(), "512 bytes in app:fetch");
/// # Ok(())
/// # }
/// ```
#[must_use = "a DeferredContext does nothing unless it is awaited, or turned into a future with `add_action_finish` or `result`"]
pub struct DeferredContext<F> {
    action: Action,
    future: F,
}

/// [`DeferredContext::new`] was called while no Eliot action was current.
///
/// Python's `DeferredContext` raises `RuntimeError` in that case. Start or
/// enter an action first, or pass one to [`DeferredContext::with_action`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoCurrentAction;

impl fmt::Display for NoCurrentAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "DeferredContext must be created within an action context: no Eliot action is \
             current here (start or enter one, or use DeferredContext::with_action)",
        )
    }
}

impl std::error::Error for NoCurrentAction {}

impl<F: Future> DeferredContext<F> {
    /// Wraps `future` in the action current now.
    ///
    /// ```
    /// use eliot_tokio::{DeferredContext, NoCurrentAction};
    ///
    /// let outside = DeferredContext::new(async { Ok::<(), ()>(()) });
    /// assert_eq!(outside.err(), Some(NoCurrentAction));
    /// ```
    pub fn new(future: F) -> Result<Self, NoCurrentAction> {
        let action = current_action().ok_or(NoCurrentAction)?;
        Ok(DeferredContext { action, future })
    }

    /// Wraps `future` in `action`, whatever is current now.
    pub fn with_action(action: impl IntoAction, future: F) -> Self {
        DeferredContext {
            action: action.into_action(),
            future,
        }
    }

    /// The action the callbacks run in.
    pub fn action(&self) -> &Action {
        &self.action
    }

    /// Adds a callback for the future's output, whatever it is (Python's
    /// `addBoth`); its return value is the new output.
    ///
    /// ```
    /// # use eliot_tokio::DeferredContext;
    /// # let action = eliot_core::start_action!("app:job").into_action();
    /// let d = DeferredContext::with_action(&action, async { "7".parse::<u8>() })
    ///     .add_both(|parsed| parsed.unwrap_or(0) + 1);
    /// # drop(d);
    /// # action.finish().unwrap();
    /// ```
    pub fn add_both<G, R>(self, callback: G) -> DeferredContext<Callback<F, G>>
    where
        G: FnOnce(F::Output) -> R,
    {
        DeferredContext {
            future: Callback {
                future: self.future,
                callback: Some(callback),
            },
            action: self.action,
        }
    }

    /// The wrapped future with its callbacks, Python's `result` attribute.
    /// It still runs in the action (it is a [`WithContext`], whose
    /// [`action`](WithContext::action) is this one), and the action is not
    /// finished when it completes; see
    /// [`add_action_finish`](DeferredContext::add_action_finish) for that.
    /// Awaiting the `DeferredContext` itself does the same.
    pub fn result(self) -> WithContext<F> {
        WithContext::in_action(&self.action, self.future)
    }
}

impl<F, T, E> DeferredContext<F>
where
    F: Future<Output = Result<T, E>>,
{
    /// Adds a callback and an errback at once (Python's `addCallbacks`):
    /// `callback` runs on `Ok`, `errback` on `Err`, and whichever ran gives
    /// the new output.
    #[allow(clippy::type_complexity)]
    pub fn add_callbacks<G, H, U, E2>(
        self,
        callback: G,
        errback: H,
    ) -> DeferredContext<Callback<F, impl FnOnce(Result<T, E>) -> Result<U, E2>>>
    where
        G: FnOnce(T) -> Result<U, E2>,
        H: FnOnce(E) -> Result<U, E2>,
    {
        self.add_both(move |output| match output {
            Ok(value) => callback(value),
            Err(error) => errback(error),
        })
    }

    /// Adds a callback for the `Ok` path (Python's `addCallback`). It returns
    /// `Ok(new value)` to pass a value on, or `Err` to switch to the error
    /// path; an error skips it and passes on unchanged.
    ///
    /// ```
    /// # use eliot_tokio::DeferredContext;
    /// # let action = eliot_core::start_action!("app:job").into_action();
    /// let d = DeferredContext::with_action(&action, async { "7".parse::<u8>() })
    ///     .add_callback(|n| Ok(n * 2));
    /// # drop(d);
    /// # action.finish().unwrap();
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn add_callback<G, U>(
        self,
        callback: G,
    ) -> DeferredContext<Callback<F, impl FnOnce(Result<T, E>) -> Result<U, E>>>
    where
        G: FnOnce(T) -> Result<U, E>,
    {
        self.add_both(move |output| output.and_then(callback))
    }

    /// Adds an errback for the `Err` path (Python's `addErrback`). It returns
    /// `Ok(value)` to recover, or `Err` to pass an error (the same or another)
    /// on; a value skips it and passes on unchanged.
    ///
    /// ```
    /// # use eliot_tokio::DeferredContext;
    /// # let action = eliot_core::start_action!("app:job").into_action();
    /// let d = DeferredContext::with_action(&action, async { "x".parse::<u8>() })
    ///     .add_errback(|_error| Ok::<_, std::convert::Infallible>(0));
    /// # drop(d);
    /// # action.finish().unwrap();
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn add_errback<G, E2>(
        self,
        errback: G,
    ) -> DeferredContext<Callback<F, impl FnOnce(Result<T, E>) -> Result<T, E2>>>
    where
        G: FnOnce(E) -> Result<T, E2>,
    {
        self.add_both(move |output| output.or_else(errback))
    }

    /// Finishes the action when the future completes, after the callbacks
    /// added so far (Python's `addActionFinish`): succeeded on `Ok`, failed
    /// with the error's type as `exception` and its message as `reason` on
    /// `Err`. The output is passed through unchanged.
    ///
    /// Nothing is logged until the future completes. It consumes the
    /// wrapper: no callback can be added after it, and it cannot be called
    /// twice. If the returned future is dropped before it completed, the
    /// action fails as cancelled.
    pub fn add_action_finish(self) -> ActionFinish<F>
    where
        E: AsFailure,
    {
        ActionFinish::new(self.action, self.future)
    }
}

impl<F: Future> IntoFuture for DeferredContext<F> {
    type Output = F::Output;
    type IntoFuture = WithContext<F>;

    /// Awaiting a `DeferredContext` runs it in its action, without finishing
    /// the action; the same as [`result`](DeferredContext::result).
    fn into_future(self) -> WithContext<F> {
        self.result()
    }
}

impl<F> fmt::Debug for DeferredContext<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeferredContext")
            .field("action", &self.action)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// A future followed by a callback; what the `add_*` methods of
    /// [`DeferredContext`] build.
    ///
    /// It is only reachable inside a [`WithContext`] in the deferred's
    /// action ([`result`](DeferredContext::result), `.await`,
    /// [`add_action_finish`](DeferredContext::add_action_finish)), so the
    /// callback runs with that action current without entering it itself.
    #[must_use = "futures do nothing unless polled"]
    pub struct Callback<F, G> {
        #[pin]
        future: F,
        callback: Option<G>,
    }
}

impl<F, G, R> Future for Callback<F, G>
where
    F: Future,
    G: FnOnce(F::Output) -> R,
{
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let this = self.project();
        let output = ready!(this.future.poll(cx));
        let callback = this
            .callback
            .take()
            .expect("a DeferredContext callback future polled after it completed");
        Poll::Ready(callback(output))
    }
}

impl<F, G> fmt::Debug for Callback<F, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("completed", &self.callback.is_none())
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// The future [`DeferredContext::add_action_finish`] returns: it runs in
    /// the action and finishes the action when it completes, passing the
    /// output through.
    ///
    /// Dropped before it completed, it first drops the wrapped future (with
    /// the action current, so actions opened inside it fail as cancelled
    /// too), then finishes the action as failed with `exception`
    /// `"cancelled"`. A panicking poll fails the action with the panic's
    /// message, then the panic continues.
    #[must_use = "the action is finished only when this future completes; drop it and the action fails as cancelled"]
    pub struct ActionFinish<F> {
        // `WithContext` does the work: it runs `Finishing` in the action, and
        // drops it with the cancellation or the panic declared, which the
        // guard inside records.
        #[pin]
        future: WithContext<Finishing<F>>,
    }
}

pin_project! {
    /// The wrapped future and the guard that owns the action's end.
    struct Finishing<F> {
        // Declared before the guard, so dropped first: the wrapped future's
        // own actions end before the action that contains them.
        #[pin]
        future: F,
        // Taken when the future completes and the action is finished from
        // its output; dropped unfinished, it fails the action as cancelled
        // or with the panic's message.
        guard: Option<ActionGuard>,
    }
}

impl<F> ActionFinish<F> {
    fn new(action: Action, future: F) -> Self {
        let finishing = Finishing {
            future,
            guard: Some(ActionGuard::adopt(action.clone())),
        };
        ActionFinish {
            future: WithContext::in_action(&action, finishing),
        }
    }

    /// The action this future finishes.
    pub fn action(&self) -> &Action {
        self.future
            .action()
            .expect("an ActionFinish runs in the action it finishes")
    }
}

impl<F, T, E> Future for ActionFinish<F>
where
    F: Future<Output = Result<T, E>>,
    E: AsFailure,
{
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
        self.project().future.poll(cx)
    }
}

impl<F, T, E> Future for Finishing<F>
where
    F: Future<Output = Result<T, E>>,
    E: AsFailure,
{
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
        let this = self.project();
        let output = ready!(this.future.poll(cx));
        // `WithContext` never polls a completed future, so the guard is
        // still there. Finished elsewhere already (through a clone of the
        // action): the first end stands and nothing more is logged.
        if let Some(guard) = this.guard.take() {
            match &output {
                Ok(_) => guard.finish(),
                Err(error) => guard.finish_with_error(error),
            }
        }
        Poll::Ready(output)
    }
}

impl<F> fmt::Debug for ActionFinish<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionFinish")
            .field("future", &self.future)
            .finish()
    }
}

/// Anything that names an action to run a future in: an [`Action`], a
/// reference to one, or an [`ActionGuard`] (taken over unfinished, so that
/// the future finishes it instead of the guard's drop).
pub trait IntoAction {
    /// The action.
    fn into_action(self) -> Action;
}

impl IntoAction for Action {
    fn into_action(self) -> Action {
        self
    }
}

impl IntoAction for &Action {
    fn into_action(self) -> Action {
        self.clone()
    }
}

impl IntoAction for ActionGuard {
    fn into_action(self) -> Action {
        ActionGuard::into_action(self)
    }
}

/// Futures in actions, the idiomatic way: wrap a future in a
/// [`DeferredContext`], or run it as an action that its completion
/// finishes.
///
/// ```
/// use eliot_core::fields;
/// use eliot_tokio::DeferredContextExt;
///
/// async fn fetch(id: u32) -> Result<String, std::io::Error> {
///     Ok(format!("user {id}"))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // Starts "app:fetch" now (a child of the current action, or a new task),
/// // finishes it when `fetch` completes: succeeded, or failed with its error.
/// let user = fetch(7).in_new_action("app:fetch", fields!(id = 7)).await.unwrap();
/// assert_eq!(user, "user 7");
/// # }
/// ```
pub trait DeferredContextExt: Future + Sized {
    /// Wraps the future in the action current now; see
    /// [`DeferredContext::new`].
    fn deferred_context(self) -> Result<DeferredContext<Self>, NoCurrentAction> {
        DeferredContext::new(self)
    }

    /// Wraps the future in `action`; see [`DeferredContext::with_action`].
    ///
    /// ```
    /// use eliot_core::{current_action, start_action};
    /// use eliot_tokio::DeferredContextExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let job = start_action!("app:job").into_action();
    /// let seen = async { 21 }
    ///     .deferred_context_in(&job)
    ///     .add_both(|n| (n * 2, current_action().unwrap().action_type().to_owned()));
    /// assert_eq!(seen.await, (42, "app:job".to_owned()));
    /// job.finish().unwrap();
    /// # }
    /// ```
    fn deferred_context_in(self, action: impl IntoAction) -> DeferredContext<Self> {
        DeferredContext::with_action(action, self)
    }

    /// Runs the future in `action` and finishes the action when it
    /// completes (succeeded on `Ok`, failed with the error on `Err`); pass
    /// an [`ActionGuard`] to hand its action over to the future.
    fn finishing_action<T, E>(self, action: impl IntoAction) -> ActionFinish<Self>
    where
        Self: Future<Output = Result<T, E>>,
        E: AsFailure,
    {
        ActionFinish::new(action.into_action(), self)
    }

    /// Starts an action now (a child of the current action, or a new task
    /// when there is none), runs the future in it, and finishes it when the
    /// future completes.
    fn in_new_action<T, E>(self, action_type: &str, fields: &[Field<'_>]) -> ActionFinish<Self>
    where
        Self: Future<Output = Result<T, E>>,
        E: AsFailure,
    {
        let action = eliot_core::start_action(action_type, fields).into_action();
        ActionFinish::new(action, self)
    }
}

impl<F: Future> DeferredContextExt for F {}
