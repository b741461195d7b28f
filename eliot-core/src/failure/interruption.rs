//! Why a scope is ending early: a panic unwinding through it, or the future
//! that owned it being cancelled.
//!
//! An action whose guard is dropped normally succeeds. When the drop happens
//! because of a panic, or because an `#[inline_actions]` future was dropped
//! before completing, it must fail instead, with a reason that says so. A
//! guard cannot see why it is being dropped, so this module keeps, per thread,
//! the answer: the message of the panic in flight (captured by a panic hook
//! that chains to the previous one) or an interruption that a future wrapper
//! declared around the drop of its body.

use std::cell::RefCell;
use std::sync::Once;

use crate::failure::Failure;
use crate::util::panic::payload_message;

thread_local! {
    /// The message of the last panic that started on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Set while a future wrapper drops a body it did not run to completion.
    static DECLARED: RefCell<Option<Interruption>> = const { RefCell::new(None) };
}

/// Why a future's body is being dropped before it completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Interruption {
    /// The future was dropped before it completed (timeout, `select!` loser,
    /// aborted task).
    Cancelled,
    /// A poll of the future panicked with this message.
    Panicked(String),
}

impl Interruption {
    pub(crate) fn to_failure(&self) -> Failure {
        match self {
            Interruption::Cancelled => Failure::cancelled(),
            Interruption::Panicked(message) => Failure::panic(message.clone()),
        }
    }
}

static HOOK: Once = Once::new();

/// Installs, once per process, a panic hook that records each panic's message
/// for the thread it happens on and then calls the hook that was there before.
///
/// Called when the first action guard is created. If the application later
/// replaces the hook without chaining, actions still fail on panic, with the
/// reason "panicked (message unavailable)".
pub(crate) fn install_panic_hook() {
    // Every action guard calls this: once the hook is in, one atomic load.
    if HOOK.is_completed() {
        return;
    }
    if std::thread::panicking() {
        return; // set_hook would panic; try again with the next guard.
    }
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = payload_message(info.payload());
            let _ = LAST_PANIC.try_with(|p| *p.borrow_mut() = Some(message));
            previous(info);
        }));
    });
}

/// The failure a guard being dropped now should record, if any.
pub(crate) fn current_failure() -> Option<Failure> {
    if std::thread::panicking() {
        let message = LAST_PANIC
            .try_with(|p| p.borrow().clone())
            .ok()
            .flatten()
            .unwrap_or_else(|| "panicked (message unavailable)".to_owned());
        return Some(Failure::panic(message));
    }
    DECLARED
        .try_with(|d| d.borrow().as_ref().map(Interruption::to_failure))
        .ok()
        .flatten()
}

/// Runs `f` (which drops an unfinished body) with `interruption` declared, so
/// that every action guard dropped inside finishes as failed with it.
pub(crate) fn while_interrupted<R>(interruption: Interruption, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Interruption>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            let _ = DECLARED.try_with(|d| *d.borrow_mut() = previous);
        }
    }
    let previous = DECLARED
        .try_with(|d| d.borrow_mut().replace(interruption))
        .ok()
        .flatten();
    let _restore = Restore(previous);
    f()
}
