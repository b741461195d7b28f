//! The current action of each thread, and the guards that change it.
//!
//! Each thread has one current [`Context`]: the action new messages and child
//! actions belong to (or none), plus the destination override that a test's
//! [`MemoryLogger`](crate) style capture installs. Guards replace it and put
//! the previous one back when dropped, so contexts nest like scopes.
//!
//! A guard's context remembers the context it replaced (`previous`), so the
//! stack of entered contexts is a chain that the contexts themselves carry,
//! wherever they go. When a guard is dropped it marks its own context
//! *popped*. If its context is the thread's live one, the thread goes back to
//! the nearest context down the chain that is not popped. If it is not, the
//! guard was dropped somewhere else than where it was entered: out of order,
//! or, in async code, after being held across an `.await` outside an
//! `#[inline_actions]` function. The guard then reports the misuse once and
//! touches nothing else: it never pops another task's context, and since its
//! own context is marked, the thread that still holds it and every guard
//! below it skip it (the current action and restores walk past popped
//! contexts). One mistake is one report, and no finished action stays current.
//!
//! `#[inline_actions]` futures keep a [`SavedContext`] of their own and swap
//! it with the thread's on every poll. The thread holds its context behind an
//! `Arc`, allocated once when a guard installs it, so that this swap moves one
//! word: no allocation and no lock per poll.
//!
//! Spans of a bridged tracing system (`tracing`'s, through `eliot-tokio`'s
//! layer) are entered and exited around every poll of the future they
//! instrument; [`span`] keeps the actions opened inside such a span across
//! its exits.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::action::Action;
use crate::registry::Route;

mod span;

pub use span::{SpanContext, SpanEntry};

/// What is current on one thread.
pub(crate) struct Context {
    pub(crate) action: Option<Action>,
    pub(crate) route: Option<Route>,
    /// For a context a guard installed: the live context it replaced, where
    /// the thread returns when the guard is dropped. `None` otherwise.
    previous: Shared,
    /// Whether a guard installed this context (and will pop it). Only such
    /// contexts are ever popped; a saved context never is.
    guarded: bool,
    /// Set when the guard that installed this context is dropped: from then
    /// on it is skipped wherever it is still referenced (as a thread's
    /// current context after a misused guard, or as the `previous` of a
    /// context above it).
    popped: AtomicBool,
    /// The actions left open inside spans that were exited while this
    /// context was the one to return to; see [`span`]. Allocated on first
    /// use: most contexts never hold any.
    suspended: OnceLock<Box<span::Suspensions>>,
}

impl Context {
    /// A context in which `action` is current. It writes where the action
    /// writes, or, for an action without a route of its own, to `route`
    /// (the route of the context it is entered from).
    fn of_action(action: Action, route: Option<&Route>) -> Self {
        let route = action.route().or(route).cloned();
        Context::new(Some(action), route)
    }

    /// A context no guard owns.
    fn new(action: Option<Action>, route: Option<Route>) -> Self {
        Context {
            action,
            route,
            previous: None,
            guarded: false,
            popped: AtomicBool::new(false),
            suspended: OnceLock::new(),
        }
    }

    fn is_popped(&self) -> bool {
        self.popped.load(Ordering::Acquire)
    }
}

/// A context as the thread holds it: `None` for the thread's initial (empty)
/// context, else shared. Installing a context allocates it once; moving it in
/// and out of a future (twice per poll of an `#[inline_actions]` function) is
/// then a one-word swap.
type Shared = Option<Arc<Context>>;

thread_local! {
    static CURRENT: RefCell<Shared> = const { RefCell::new(None) };
}

/// The first context from `context` down its chain whose guard still lives:
/// what is really current where `context` is installed.
#[inline]
fn live(mut context: &Shared) -> &Shared {
    while let Some(c) = context
        && c.is_popped()
    {
        context = &c.previous;
    }
    context
}

/// The thread's current context: a handle to it, not a copy (one reference
/// count on a context that is, as a rule, this thread's own).
pub(crate) fn current() -> Shared {
    CURRENT
        .try_with(|c| live(&c.borrow()).clone())
        .ok()
        .flatten()
}

/// Runs `f` with the thread's current context, borrowed: for what reads it
/// and runs no code of the user's (which may change the context).
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Context>) -> R) -> Option<R> {
    CURRENT.try_with(|c| f(live(&c.borrow()).as_deref())).ok()
}

/// The route of the thread's current context.
pub(crate) fn current_route() -> Option<Route> {
    CURRENT
        .try_with(|c| live(&c.borrow()).as_ref().and_then(|c| c.route.clone()))
        .ok()
        .flatten()
}

/// The action that is current on this thread, if any.
///
/// New messages and actions become its children. In an `#[inline_actions]`
/// function this is the function's own action, even across awaits.
///
/// ```
/// use eliot_core::{current_action, start_action};
///
/// assert!(current_action().is_none());
/// let action = start_action!("app:work");
/// assert_eq!(current_action().unwrap().action_type(), "app:work");
/// drop(action);
/// assert!(current_action().is_none());
/// ```
pub fn current_action() -> Option<Action> {
    CURRENT
        .try_with(|c| live(&c.borrow()).as_ref().and_then(|c| c.action.clone()))
        .ok()
        .flatten()
}

/// Keeps an action current on this thread until dropped; then the previous
/// context returns.
///
/// Made by [`Action::enter`], [`preserve_context`] and the guards of
/// [`start_action`](fn@crate::start_action). It is `Send`, so an
/// `#[inline_actions]` function can hold one across awaits and still be
/// spawned. Outside such a function, holding it across an `.await` is a bug
/// (the thread, not the task, carries the context); it is detected when the
/// guard is dropped, reported once on stderr and as an `eliot:context_misuse`
/// message, and never corrupts another task's context. Clippy can flag it at
/// compile time: see the crate docs on `await-holding-invalid-types`.
///
/// ```
/// use eliot_core::{current_action, start_action};
///
/// let job = start_action!("app:job").into_action();
/// {
///     let _guard = job.enter();
///     assert_eq!(current_action().as_ref(), Some(&job));
/// }
/// assert!(current_action().is_none());
/// job.finish().unwrap();
/// ```
#[must_use = "the action is current only while the guard lives"]
pub struct ContextGuard {
    /// The context this guard installed; `None` when the thread's storage
    /// was already gone.
    installed: Shared,
}

impl ContextGuard {
    /// Makes `action` current. It writes where it writes itself, or, without
    /// a route of its own, to `route`: that of the context it is entered
    /// from, which the caller passes when it has already read it.
    pub(crate) fn enter(action: Action, route: Option<&Route>) -> Self {
        Self::install(Context::of_action(action, route))
    }

    /// Makes `context` current, on top of the thread's live context.
    fn install(mut context: Context) -> Self {
        context.guarded = true;
        let installed = CURRENT.try_with(|c| {
            let mut current = c.borrow_mut();
            context.previous = live(&current).clone();
            let installed = Arc::new(context);
            let replaced = current.replace(installed.clone());
            (installed, replaced)
        });
        match installed {
            // Dropped outside the borrow: a popped context left here by a
            // misused guard may hold the last handle to an action.
            Ok((installed, replaced)) => {
                drop(replaced);
                ContextGuard {
                    installed: Some(installed),
                }
            }
            Err(_) => ContextGuard { installed: None },
        }
    }
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        let Some(installed) = self.installed.take() else {
            return; // The thread's storage was gone when we entered.
        };
        let restored = CURRENT.try_with(|c| {
            let mut current = c.borrow_mut();
            let ours = live(&current)
                .as_ref()
                .is_some_and(|live| Arc::ptr_eq(live, &installed));
            ours.then(|| std::mem::replace(&mut *current, live(&installed.previous).clone()))
        });
        // Whether or not this thread held it, the context is over: a thread
        // that still holds it (where the guard was entered, if it was held
        // across an `.await`) and the contexts above it now skip it.
        installed.popped.store(true, Ordering::Release);
        match restored {
            // Values are dropped outside the borrow, so that an action's drop
            // can never run while the context is borrowed.
            Ok(Some(replaced)) => drop(replaced),
            Ok(None) => report_misuse(),
            Err(_) => {} // Thread teardown: nothing left to restore.
        }
    }
}

impl fmt::Debug for ContextGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextGuard")
            .field(
                "action",
                &self.installed.as_ref().and_then(|c| c.action.as_ref()),
            )
            .finish_non_exhaustive()
    }
}

static MISUSE_REPORTED: AtomicBool = AtomicBool::new(false);
static MISUSE_COUNT: AtomicU64 = AtomicU64::new(0);

fn report_misuse() {
    MISUSE_COUNT.fetch_add(1, Ordering::Relaxed);
    if MISUSE_REPORTED.swap(true, Ordering::Relaxed) {
        return;
    }
    let explanation = "an Eliot context guard was dropped under a different context than the one \
        it entered; it was most likely held across an `.await` outside an #[inline_actions] \
        function, where the thread (not the task) carries the context. Only the guard's own \
        context was ended; no other context was touched. Use #[inline_actions], or enter the action only around synchronous code. \
        (Reported once per process.)";
    eprintln!("eliot: {explanation}");
    crate::own_messages::log_context_misuse(explanation);
}

/// How many context guards were dropped under another context than the one
/// they entered, since the process started. See [`ContextGuard`].
///
/// One misplaced guard counts once, and the contexts around it recover:
///
/// ```
/// use eliot_core::{context_misuse_count, current_action, start_action};
///
/// let before = context_misuse_count();
/// let first = start_action!("app:first");
/// let second = start_action!("app:second");
/// drop(first); // out of order: `second` is the current context
/// assert_eq!(current_action().unwrap().action_type(), "app:second");
/// drop(second); // back to what was current before `first`
/// assert!(current_action().is_none());
/// assert_eq!(context_misuse_count(), before + 1);
/// ```
pub fn context_misuse_count() -> u64 {
    MISUSE_COUNT.load(Ordering::Relaxed)
}

/// Wraps `f` so that it runs in the context that is current now, wherever and
/// whenever it is called: Eliot's `preserve_context`, for threads.
///
/// The action is not finished by running `f`; whoever started it still owns
/// it.
///
/// ```
/// use eliot_core::{current_action, preserve_context, start_action};
///
/// let action = start_action!("app:parallel");
/// let in_thread = preserve_context(|| current_action().map(|a| a.action_type().to_owned()));
/// let seen = std::thread::spawn(in_thread).join().unwrap();
/// assert_eq!(seen.as_deref(), Some("app:parallel"));
/// # drop(action);
/// ```
pub fn preserve_context<F, R>(f: F) -> impl FnOnce() -> R + Send + 'static
where
    F: FnOnce() -> R + Send + 'static,
{
    let saved = SavedContext::capture();
    move || {
        let _guard = saved.enter();
        f()
    }
}

/// A context held by something other than a thread: the context an
/// `#[inline_actions]` future or a spawned task runs in.
///
/// Not part of the stable API; used by the macros and by `eliot-tokio`.
#[doc(hidden)]
#[derive(Clone, Default)]
pub struct SavedContext {
    context: Shared,
}

impl SavedContext {
    /// The thread's current context, to be resumed elsewhere later.
    ///
    /// A context a guard installed is copied (its action and route, not its
    /// place in the thread's chain): what was current when the capture was
    /// made stays current in it even after that guard is gone, however the
    /// guard was dropped. A saved context is shared as it is.
    pub fn capture() -> Self {
        let context = CURRENT
            .try_with(|c| match live(&c.borrow()) {
                Some(c) if c.guarded => {
                    Some(Arc::new(Context::new(c.action.clone(), c.route.clone())))
                }
                other => other.clone(),
            })
            .ok()
            .flatten();
        SavedContext { context }
    }

    /// A context in which `action` is current, as [`Action::enter`] makes
    /// it: writing where the action writes, or, for an action without a
    /// route of its own, where the thread's current context writes.
    pub fn of_action(action: Action) -> Self {
        SavedContext {
            context: Some(Arc::new(Context::of_action(
                action,
                current_route().as_ref(),
            ))),
        }
    }

    /// A context with no current action in which every new task writes only
    /// to `route` instead of the registered destinations: what a test's
    /// capturing logger enters. Actions started in it carry the route with
    /// them, into other threads and futures.
    pub fn routed_to(route: Route) -> Self {
        SavedContext {
            context: Some(Arc::new(Context::new(None, Some(route)))),
        }
    }

    /// This context, held by no one else: a shared context is copied (its
    /// action and route) and an empty one made, once. What a span's exit
    /// records in the context it returns to (see [`span`]) then belongs to
    /// the one future that holds it, and no future's context is ever the
    /// thread's empty one, where nothing can be recorded.
    pub(crate) fn into_own(self) -> Self {
        let context = match self.context {
            Some(own) if Arc::strong_count(&own) == 1 => own,
            Some(shared) => Arc::new(Context::new(shared.action.clone(), shared.route.clone())),
            None => Arc::new(Context::new(None, None)),
        };
        SavedContext {
            context: Some(context),
        }
    }

    /// Exchanges this context with the thread's current one. Calling it twice
    /// restores both; this is the whole per-poll cost of `#[inline_actions]`:
    /// a one-word swap in a thread-local, inlined into the caller.
    #[inline]
    pub fn swap_with_current(&mut self) {
        let _ = CURRENT.try_with(|c| std::mem::swap(&mut *c.borrow_mut(), &mut self.context));
    }

    /// The action current in this context.
    pub fn action(&self) -> Option<&Action> {
        live(&self.context).as_ref().and_then(|c| c.action.as_ref())
    }

    /// Makes this context current until the guard is dropped.
    pub fn enter(self) -> ContextGuard {
        let context = match live(&self.context) {
            Some(c) => Context::new(c.action.clone(), c.route.clone()),
            None => Context::new(None, None),
        };
        ContextGuard::install(context)
    }
}

impl fmt::Debug for SavedContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SavedContext")
            .field("action", &self.action())
            .finish_non_exhaustive()
    }
}
