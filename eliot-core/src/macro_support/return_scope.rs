//! Actions that end with their function's `Result`: what `#[inline_actions]`
//! and `#[log_call]` generate in a function that returns one.
//!
//! In Python, an exception leaving `with start_action(..)` fails the action.
//! In Rust the error is a value returned past the guard, which is dropped
//! before anyone looks at the value, so the action would say "succeeded".
//! The macros therefore watch the guards bound by the body's top-level
//! `let`s: such a guard, when it is dropped where it was bound (not moved
//! elsewhere, not finished explicitly, not during a panic or a
//! cancellation), leaves its context as usual but leaves its end to the
//! function's [`ReturnScope`], which ends it once the function's value is
//! known: failed with the error on `Err`, succeeded on `Ok`.
//!
//! "Where it was bound" is told by the guard's address: a move copies the
//! guard elsewhere, so a guard dropped at another address (passed to
//! `drop`, stored in a struct, sent to another task) was moved and finishes
//! as it always does.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::action::{Action, ActionGuard};
use crate::failure::Failure;

/// The function-wide record of the watched guards whose end waits for the
/// function's value. Generated code creates one per call of a function
/// that returns a `Result`, and ends it with [`succeed`](Self::succeed) or
/// [`fail_with`](Self::fail_with).
#[derive(Debug, Default)]
pub struct ReturnScope {
    /// Created by the first watched guard: a function that opens no action
    /// allocates nothing.
    waiting: OnceLock<Arc<Waiting>>,
}

/// The actions whose guards were dropped in place, in drop order (the
/// innermost first, as scopes end).
#[derive(Debug, Default)]
pub(crate) struct Waiting {
    actions: Mutex<Vec<Action>>,
}

/// What a watched guard keeps: where it was bound, and whom to leave its
/// end to.
#[derive(Debug)]
pub(crate) struct Watch {
    address: usize,
    waiting: Arc<Waiting>,
}

impl Watch {
    /// Leaves the end of `action`, whose guard is being dropped at
    /// `address`, to the scope, when the guard is dropped where it was bound
    /// and no panic or cancellation is ending it. Returns whether it did.
    pub(crate) fn defer(&self, action: &Action, address: usize) -> bool {
        if address != self.address || crate::failure::interruption::current_failure().is_some() {
            return false;
        }
        self.waiting
            .actions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(action.clone());
        true
    }
}

impl ReturnScope {
    /// A scope for one call.
    pub fn new() -> Self {
        Self::default()
    }

    /// Watches the guard bound by a top-level `let` of the function's body,
    /// at the place it was bound.
    pub fn watch(&self, guard: &ActionGuard) {
        let waiting = self.waiting.get_or_init(Arc::default).clone();
        guard.watch(Watch {
            address: std::ptr::from_ref(guard).addr(),
            waiting,
        });
    }

    /// The function returned `Ok`: the waiting actions succeed.
    pub fn succeed(self) {
        for action in self.take() {
            // Finished through a clone meanwhile: nothing more to log.
            let _ = action.finish();
        }
    }

    /// The function returned `Err`: the waiting actions fail with the
    /// error, described by `failure` only when some action waits.
    pub fn fail_with(self, failure: impl FnOnce() -> Failure) {
        let actions = self.take();
        if actions.is_empty() {
            return;
        }
        let failure = failure();
        for action in actions {
            let _ = action.finish_with_error(&failure);
        }
    }

    fn take(&self) -> Vec<Action> {
        match self.waiting.get() {
            Some(waiting) => std::mem::take(
                &mut *waiting
                    .actions
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
            ),
            None => Vec::new(),
        }
    }
}

impl Drop for ReturnScope {
    /// Dropped without a value (a panic or a cancellation between the body's
    /// end and the value's inspection): the waiting actions end as a guard
    /// dropped now would end them.
    fn drop(&mut self) {
        for action in self.take() {
            action.finish_as_dropped();
        }
    }
}

/// A value a function marked `result` returns, seen as a `Result`.
#[diagnostic::on_unimplemented(
    message = "`result` needs a function that returns a `Result`, and `{Self}` is not one",
    label = "this function's value ends its actions as a `Result`",
    note = "remove `result` from the attribute's arguments, or return a `Result` (directly or through a type alias)"
)]
pub trait ReturnedResult {
    /// The `Ok` type.
    type Ok;
    /// The `Err` type.
    type Err;
    /// The value, as a `Result` of references.
    fn as_result(&self) -> Result<&Self::Ok, &Self::Err>;
}

impl<T, E> ReturnedResult for Result<T, E> {
    type Ok = T;
    type Err = E;
    fn as_result(&self) -> Result<&T, &E> {
        self.as_ref()
    }
}

/// The error of a function that returned `Err`, described for its actions
/// by the best means its type offers. Generated code calls
/// `(&&&&ScopeError(&error)).scope_failure()` with the four `ScopeVia*`
/// traits in scope; method resolution picks, in this order:
/// [`AsFailure`](crate::AsFailure) (every `std::error::Error`), a `Deref`
/// to one (`Box<dyn Error + ..>`, `anyhow::Error`), its `Display` form,
/// and its type name alone, so that any error type compiles.
#[derive(Debug)]
pub struct ScopeError<'a, E: ?Sized>(pub &'a E);

/// See [`ScopeError`].
pub trait ScopeViaAsFailure {
    /// The failure recorded for the error.
    fn scope_failure(&self) -> Failure;
}

impl<E: crate::AsFailure + ?Sized> ScopeViaAsFailure for &&&ScopeError<'_, E> {
    fn scope_failure(&self) -> Failure {
        self.0.to_failure()
    }
}

/// See [`ScopeError`].
pub trait ScopeViaDeref {
    /// The failure recorded for the error.
    fn scope_failure(&self) -> Failure;
}

impl<E, T> ScopeViaDeref for &&ScopeError<'_, E>
where
    E: std::ops::Deref<Target = T> + ?Sized,
    T: crate::AsFailure + ?Sized,
{
    fn scope_failure(&self) -> Failure {
        (**self.0).to_failure()
    }
}

/// See [`ScopeError`].
pub trait ScopeViaDisplay {
    /// The failure recorded for the error.
    fn scope_failure(&self) -> Failure;
}

impl<E: std::fmt::Display + ?Sized> ScopeViaDisplay for &ScopeError<'_, E> {
    fn scope_failure(&self) -> Failure {
        Failure::new(std::any::type_name::<E>(), self.0.to_string())
    }
}

/// See [`ScopeError`].
pub trait ScopeViaTypeName {
    /// The failure recorded for the error.
    fn scope_failure(&self) -> Failure;
}

impl<E: ?Sized> ScopeViaTypeName for ScopeError<'_, E> {
    fn scope_failure(&self) -> Failure {
        Failure::new(std::any::type_name::<E>(), "")
    }
}

/// Generated code's way to watch a top-level `let` binding: the guards of
/// actions are watched (an inherent method, preferred by method
/// resolution); anything else a `start_action`-like call returned is left
/// alone (through [`NotAGuard`]).
#[derive(Debug)]
pub struct WatchBinding<'a, T: ?Sized>(pub &'a T);

impl WatchBinding<'_, ActionGuard> {
    /// Watches the guard.
    pub fn watch_in(&self, scope: &ReturnScope) {
        scope.watch(self.0);
    }
}

impl<A: crate::declared::ActionType> WatchBinding<'_, crate::declared::DeclaredAction<A>> {
    /// Watches the guard of the declared action.
    pub fn watch_in(&self, scope: &ReturnScope) {
        scope.watch(&self.0.guard);
    }
}

/// See [`WatchBinding`]: a binding that is not an action's guard.
pub trait NotAGuard {
    /// Does nothing.
    fn watch_in(&self, scope: &ReturnScope);
}

impl<T: ?Sized> NotAGuard for WatchBinding<'_, T> {
    fn watch_in(&self, _: &ReturnScope) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryLogger;

    fn statuses(logger: &MemoryLogger) -> Vec<(String, String)> {
        logger
            .messages()
            .iter()
            .filter_map(|m| {
                let status = m.get("action_status")?.as_str()?.to_owned();
                let reason = m.get("reason").and_then(|r| r.as_str()).unwrap_or_default();
                Some((status, reason.to_owned()))
            })
            .collect()
    }

    #[test]
    fn a_guard_dropped_in_place_ends_with_the_scope() {
        let logger = MemoryLogger::new();
        logger.run(|| {
            let scope = ReturnScope::new();
            {
                let action = crate::start_action("test:in_place", &[]);
                WatchBinding(&action).watch_in(&scope);
            }
            assert_eq!(statuses(&logger), [("started".into(), String::new())]);
            scope.fail_with(|| Failure::new("test:error", "it broke"));
        });
        assert_eq!(
            statuses(&logger),
            [
                ("started".into(), String::new()),
                ("failed".into(), "it broke".into())
            ]
        );
    }

    #[test]
    fn a_moved_guard_finishes_as_before() {
        let logger = MemoryLogger::new();
        logger.run(|| {
            let scope = ReturnScope::new();
            let action = crate::start_action("test:moved", &[]);
            WatchBinding(&action).watch_in(&scope);
            let moved = Some(action);
            drop(moved);
            scope.fail_with(|| unreachable!("no action waits"));
        });
        assert_eq!(statuses(&logger)[1], ("succeeded".into(), String::new()));
    }

    #[test]
    fn other_bindings_are_not_watched() {
        let scope = ReturnScope::new();
        let number = 7;
        WatchBinding(&number).watch_in(&scope);
        assert!(scope.waiting.get().is_none());
    }
}
