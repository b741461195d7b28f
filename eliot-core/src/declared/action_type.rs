//! A declared action type (Eliot's `ActionType`): its start fields are the
//! struct's, its success fields another [`Fields`] type's, and it is started
//! through the declaration so that neither can drift.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::action::{Action, ActionGuard};
use crate::failure::AsFailure;
use crate::future::WithContext;

use super::Fields;

/// An action type declared with `#[derive(eliot::ActionType)]`: the
/// struct's fields are the action's start fields, and
/// [`Success`](ActionType::Success) (`#[eliot(success = Type)]`, `()` when
/// not given) holds its success fields.
///
/// Start one with [`start`](ActionType::start) (a guard, like
/// [`start_action`](crate::start_action())), or run code in one with
/// [`run`](ActionType::run), [`within`](ActionType::within) (finished from a
/// `Result`) and their async forms. `use eliot::ActionType;` brings both
/// the derive and this trait into scope.
pub trait ActionType: Fields + Sized {
    /// Its `action_type`.
    const ACTION_TYPE: &'static str;

    /// The fields it succeeds with: a [`Fields`] type (the derive checks
    /// it; the bound is on the methods that log them, so that a wrong type
    /// is reported once, where the attribute names it).
    type Success;

    /// Starts the action with these start fields, as a child of the
    /// current action (or as a new task when none is current), and makes
    /// it current until the guard is dropped; see [`DeclaredAction`].
    fn start(&self) -> DeclaredAction<Self> {
        let guard = self.with_fields(|fields| crate::start_action(Self::ACTION_TYPE, fields));
        DeclaredAction {
            guard,
            declared: PhantomData,
        }
    }

    /// Runs `f` in a new action of this type, and finishes the action when
    /// `f` returns: succeeded (with the success fields `f` added), or failed
    /// if `f` panics.
    fn run<R>(&self, f: impl FnOnce(&DeclaredAction<Self>) -> R) -> R {
        let action = self.start();
        f(&action)
    }

    /// Runs `f` in a new action of this type, and finishes the action from
    /// its result: succeeded on `Ok`, failed with the error on `Err` (as
    /// [`ActionGuard::within`] does).
    fn within<T, E: AsFailure>(
        &self,
        f: impl FnOnce(&DeclaredAction<Self>) -> Result<T, E>,
    ) -> Result<T, E> {
        let action = self.start();
        let result = f(&action);
        match &result {
            Ok(_) => action.finish(),
            Err(error) => action.finish_with_error(error),
        }
        result
    }

    /// Starts an action of this type now and returns the future `f` makes,
    /// run inside it wherever it is polled; the action finishes when the
    /// future completes: succeeded, or failed if it panics or is dropped
    /// before completing (cancelled).
    fn run_async<Fut: Future>(
        &self,
        f: impl FnOnce(Declared<Self>) -> Fut,
    ) -> WithContext<FinishesAction<Fut, Succeeds>> {
        in_new_action(self, f)
    }

    /// [`run_async`](ActionType::run_async) for a future whose output is a
    /// `Result`: the action fails with the error on `Err`.
    fn within_async<T, E: AsFailure, Fut: Future<Output = Result<T, E>>>(
        &self,
        f: impl FnOnce(Declared<Self>) -> Fut,
    ) -> WithContext<FinishesAction<Fut, FromResult>> {
        in_new_action(self, f)
    }
}

/// Starts an action of type `A` now, and runs the future `f` makes in it.
fn in_new_action<A: ActionType, Fut: Future, How>(
    declared: &A,
    f: impl FnOnce(Declared<A>) -> Fut,
) -> WithContext<FinishesAction<Fut, How>> {
    let action = declared.start().guard.into_action();
    let future = action.run(|| {
        f(Declared {
            action: action.clone(),
            declared: PhantomData,
        })
    });
    let finishing = FinishesAction {
        future,
        // The future owns the guard from now on: dropped unpolled, or
        // cancelled, or unwound by a panic, `WithContext` drops it under
        // the interruption it declares, and the action fails.
        guard: Some(ActionGuard::adopt(action.clone())),
        how: PhantomData,
    };
    WithContext::in_action(&action, finishing)
}

pin_project! {
    /// A future that finishes an action when it completes, `How` telling
    /// how from its output: what [`ActionType::run_async`] and
    /// [`ActionType::within_async`] return, inside a [`WithContext`] that
    /// makes the action current while it is polled.
    #[must_use = "futures do nothing unless polled"]
    pub struct FinishesAction<Fut, How> {
        #[pin]
        future: Fut,
        guard: Option<ActionGuard>,
        how: PhantomData<fn() -> How>,
    }
}

impl<Fut: Future, How: Finish<Fut::Output>> Future for FinishesAction<Fut, How> {
    type Output = Fut::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Fut::Output> {
        let this = self.project();
        let output = std::task::ready!(this.future.poll(cx));
        if let Some(guard) = this.guard.take() {
            How::finish(guard, &output);
        }
        Poll::Ready(output)
    }
}

impl<Fut, How> fmt::Debug for FinishesAction<Fut, How> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FinishesAction")
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

/// How a [`FinishesAction`] finishes its action from the future's output.
pub trait Finish<Output> {
    /// Finishes the action of `guard`.
    fn finish(guard: ActionGuard, output: &Output);
}

/// The action succeeds whatever the output ([`ActionType::run_async`]).
#[derive(Debug)]
pub enum Succeeds {}

impl<Output> Finish<Output> for Succeeds {
    fn finish(guard: ActionGuard, _: &Output) {
        guard.finish();
    }
}

/// The action succeeds on `Ok` and fails with the error on `Err`
/// ([`ActionType::within_async`]).
#[derive(Debug)]
pub enum FromResult {}

impl<T, E: AsFailure> Finish<Result<T, E>> for FromResult {
    fn finish(guard: ActionGuard, output: &Result<T, E>) {
        match output {
            Ok(_) => guard.finish(),
            Err(error) => guard.finish_with_error(error),
        }
    }
}

/// The guard of a started action of a declared type: the action is current
/// while it lives, and finishes when it is dropped, as an [`ActionGuard`]
/// does (succeeded; failed during a panic or a cancellation; in a function
/// under `#[inline_actions]` or `#[log_call]` that returns a `Result`, a
/// guard bound by a top-level `let` fails with the function's `Err`).
///
/// Add the declared success fields with
/// [`add_success`](DeclaredAction::add_success) or finish with them with
/// [`succeed`](DeclaredAction::succeed). It derefs to [`Action`], for
/// `log`, `serialize_task_id` and the rest.
#[must_use = "the action finishes when this guard is dropped; bind it with `let _action = ...`"]
pub struct DeclaredAction<A: ActionType> {
    pub(crate) guard: ActionGuard,
    declared: PhantomData<fn() -> A>,
}

impl<A: ActionType<Success: Fields>> DeclaredAction<A> {
    /// Adds the declared success fields to the action's success message;
    /// see [`Action::add_success_fields`].
    pub fn add_success(&self, success: A::Success) {
        add_success(&self.guard, &success);
    }

    /// Finishes the action as succeeded with the declared success fields.
    pub fn succeed(self, success: A::Success) {
        self.add_success(success);
        self.guard.finish();
    }
}

impl<A: ActionType> DeclaredAction<A> {
    /// Finishes the action as succeeded, with the success fields added so
    /// far (none for an action type without success fields).
    pub fn finish(self) {
        self.guard.finish();
    }

    /// Finishes the action as failed with `error`; see
    /// [`ActionGuard::finish_with_error`].
    pub fn finish_with_error<E: AsFailure + ?Sized>(self, error: &E) {
        self.guard.finish_with_error(error);
    }

    /// A handle to the action, for code that adds its success fields
    /// elsewhere.
    pub fn handle(&self) -> Declared<A> {
        Declared {
            action: self.guard.action().clone(),
            declared: PhantomData,
        }
    }
}

impl<A: ActionType> Deref for DeclaredAction<A> {
    type Target = Action;
    fn deref(&self) -> &Action {
        &self.guard
    }
}

impl<A: ActionType> fmt::Debug for DeclaredAction<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeclaredAction")
            .field("guard", &self.guard)
            .finish()
    }
}

/// A handle to a running action of a declared type (cheap to clone, `Send`
/// and `Sync`): what [`ActionType::run_async`] hands its future, to add the
/// declared success fields. It derefs to [`Action`].
pub struct Declared<A: ActionType> {
    action: Action,
    declared: PhantomData<fn() -> A>,
}

impl<A: ActionType<Success: Fields>> Declared<A> {
    /// Adds the declared success fields to the action's success message;
    /// see [`Action::add_success_fields`].
    pub fn add_success(&self, success: A::Success) {
        add_success(&self.action, &success);
    }
}

fn add_success(action: &Action, success: &impl Fields) {
    success.with_fields(|fields| action.add_success_fields(fields));
}

impl<A: ActionType> Clone for Declared<A> {
    fn clone(&self) -> Self {
        Declared {
            action: self.action.clone(),
            declared: PhantomData,
        }
    }
}

impl<A: ActionType> Deref for Declared<A> {
    type Target = Action;
    fn deref(&self) -> &Action {
        &self.action
    }
}

impl<A: ActionType> fmt::Debug for Declared<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Declared").field(&self.action).finish()
    }
}
