//! The current action of each thread, and the guards that change it.
//!
//! Each thread has one current [`Context`]: the action new messages and child
//! actions belong to (or none), plus the destination override that a test's
//! [`MemoryLogger`](crate) style capture installs. Guards replace it and put
//! the previous one back when dropped, so contexts nest like scopes.
//!
//! Every installed context carries an *entry id*, unique in the process. A
//! guard restores the previous context only when the thread's current entry is
//! still the one it installed. When it is not, the guard was dropped somewhere
//! else than where it was entered, which in async code means it was held across
//! an `.await` outside an `#[inline_actions]` function: the guard then reports
//! the misuse once and leaves the thread's context alone, so it can never pop
//! another task's action.
//!
//! `#[inline_actions]` futures keep a [`SavedContext`] of their own and swap
//! it with the thread's on every poll. The thread holds its context behind an
//! `Arc`, allocated once when a guard installs it, so that this swap moves one
//! word: no allocation and no lock per poll.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::action::Action;
use crate::registry::Route;

/// What is current on one thread.
#[derive(Clone, Default)]
pub(crate) struct Context {
    pub(crate) action: Option<Action>,
    pub(crate) route: Option<Route>,
    /// Which guard installed this context; 0 for a thread's initial context.
    entry: u64,
}

/// A context as the thread holds it: `None` for the thread's initial (empty)
/// context, else shared. Installing a context allocates it once; moving it in
/// and out of a future (twice per poll of an `#[inline_actions]` function) is
/// then a one-word swap.
type Shared = Option<Arc<Context>>;

thread_local! {
    static CURRENT: RefCell<Shared> = const { RefCell::new(None) };
    /// The thread's next entry id and the end of its reserved block.
    static ENTRY_IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// Entry ids are handed out in blocks so that entering a context never
/// touches a shared cache line.
const ENTRY_BLOCK: u64 = 1 << 16;
static NEXT_ENTRY_BLOCK: AtomicU64 = AtomicU64::new(ENTRY_BLOCK);

fn next_entry_id() -> u64 {
    ENTRY_IDS
        .try_with(|ids| {
            let (next, end) = ids.get();
            if next == end {
                let base = NEXT_ENTRY_BLOCK.fetch_add(ENTRY_BLOCK, Ordering::Relaxed);
                ids.set((base + 1, base + ENTRY_BLOCK));
                base
            } else {
                ids.set((next + 1, end));
                next
            }
        })
        // A thread being torn down still gets a unique id, just a slower one.
        .unwrap_or_else(|_| NEXT_ENTRY_BLOCK.fetch_add(1, Ordering::Relaxed))
}

/// A clone of the thread's current context.
pub(crate) fn current() -> Context {
    CURRENT
        .try_with(|c| c.borrow().as_deref().cloned())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// The entry id of a shared context (0 for the thread's initial one).
fn entry_of(context: &Shared) -> u64 {
    context.as_ref().map_or(0, |c| c.entry)
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
        .try_with(|c| c.borrow().as_ref().and_then(|c| c.action.clone()))
        .ok()
        .flatten()
}

/// Keeps an action current on this thread until dropped; then the previous
/// context returns.
///
/// Made by [`Action::enter`], [`preserve_context`] and the guards of
/// [`start_action`](crate::start_action). It is `Send`, so an
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
    entry: u64,
    previous: Option<Shared>,
}

impl ContextGuard {
    /// Makes `action` current (keeping the thread's route unless the action
    /// brings its own).
    pub(crate) fn enter(action: Action) -> Self {
        let route = action.route().cloned().or_else(|| {
            CURRENT
                .try_with(|c| c.borrow().as_ref().and_then(|c| c.route.clone()))
                .ok()
                .flatten()
        });
        Self::install(Context {
            action: Some(action),
            route,
            entry: 0,
        })
    }

    /// Makes `context` current, under a fresh entry id.
    pub(crate) fn install(mut context: Context) -> Self {
        let entry = next_entry_id();
        context.entry = entry;
        let context = Some(Arc::new(context));
        let previous = CURRENT
            .try_with(|c| std::mem::replace(&mut *c.borrow_mut(), context))
            .ok();
        ContextGuard { entry, previous }
    }
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        let Some(previous) = self.previous.take() else {
            return; // The thread's storage was gone when we entered.
        };
        let entry = self.entry;
        // Values are moved out of the thread-local before they are dropped, so
        // that an action's drop can never run while the context is borrowed.
        let outcome = CURRENT.try_with(move |c| {
            let mut current = c.borrow_mut();
            if entry_of(&current) == entry {
                Ok(std::mem::replace(&mut *current, previous))
            } else {
                Err(previous)
            }
        });
        match outcome {
            Ok(Ok(replaced)) => drop(replaced),
            Ok(Err(unused)) => {
                drop(unused);
                report_misuse();
            }
            Err(_) => {} // Thread teardown: nothing left to restore.
        }
    }
}

impl fmt::Debug for ContextGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextGuard")
            .field("entry", &self.entry)
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
        function, where the thread (not the task) carries the context. The thread's context was \
        left untouched. Use #[inline_actions], or enter the action only around synchronous code. \
        (Reported once per process.)";
    eprintln!("eliot: {explanation}");
    // A message of its own task: logging into whatever context is current here
    // would take a slot from an unrelated action.
    crate::message::log_detached(
        "eliot:context_misuse",
        &[crate::Field::new("reason", &explanation)],
    );
}

/// How many context guards were dropped under another context than the one
/// they entered, since the process started. See [`ContextGuard`].
///
/// ```
/// use eliot_core::{context_misuse_count, start_action};
///
/// let before = context_misuse_count();
/// let first = start_action!("app:first");
/// let second = start_action!("app:second");
/// drop(first); // out of order: `second` is the current context
/// drop(second);
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
    pub fn capture() -> Self {
        SavedContext {
            context: CURRENT.try_with(|c| c.borrow().clone()).ok().flatten(),
        }
    }

    /// A context in which `action` is current (routing as the action does).
    pub fn of_action(action: Action) -> Self {
        let route = action.route().cloned();
        SavedContext {
            context: Some(Arc::new(Context {
                action: Some(action),
                route,
                entry: next_entry_id(),
            })),
        }
    }

    /// A context with no current action in which every new task writes only
    /// to `route` instead of the registered destinations: what a test's
    /// capturing logger enters. Actions started in it carry the route with
    /// them, into other threads and futures.
    pub fn routed_to(route: Route) -> Self {
        SavedContext {
            context: Some(Arc::new(Context {
                action: None,
                route: Some(route),
                entry: next_entry_id(),
            })),
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
        self.context.as_ref().and_then(|c| c.action.as_ref())
    }

    /// Makes this context current until the guard is dropped.
    pub fn enter(self) -> ContextGuard {
        ContextGuard::install(self.context.map(Arc::unwrap_or_clone).unwrap_or_default())
    }
}

impl fmt::Debug for SavedContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SavedContext")
            .field("action", &self.action())
            .field("entry", &entry_of(&self.context))
            .finish_non_exhaustive()
    }
}
