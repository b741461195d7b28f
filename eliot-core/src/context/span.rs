//! The contexts of spans: Eliot actions opened inside a span survive the
//! span's exits and re-entries.
//!
//! A bridge from another tracing system (`eliot-tracing`'s `EliotLayer`, for
//! `tracing`) gives each span a [`SpanContext`], and makes it current while
//! the span is entered: [`SpanContext::enter`] when the span is entered,
//! [`SpanEntry::exit`] when it is exited.
//!
//! A future instrumented with a span (`tracing::Instrument`, or
//! `#[tracing::instrument]` on an `async fn`) enters the span at the start
//! of every poll and exits it at the end. An Eliot action opened in its body
//! and held across an `.await` sits on top of the span's context when the
//! span is exited at the suspension. Without more, the next poll would enter
//! the span's own context again: the action would be lost, and the next
//! message would land in the span's action instead of in it.
//!
//! What must survive belongs to the future, and the one thing of the
//! future's that the span's exit can see is the context it returns to: the
//! one that was current when the span was entered. Inside an
//! `#[inline_actions]` function (or any `WithContext`), that is the
//! function's own context, or the context of an action opened in it. So
//! when a span is exited while a chain of contexts that was entered inside
//! it is still open, the exit records in the context it returns to:
//! "suspended inside this span: this chain". When the span is entered again
//! with that context current (or a context entered on top of it), the chain
//! is resumed instead of the span's own context. Nested spans work the same
//! way, one level at a time: the record of an inner span is kept in the
//! context that was current inside the outer one.
//!
//! A record holds a strong handle to the span's context and is matched by
//! identity, never by the span's id, which a subscriber may reuse once the
//! span is closed. Contexts whose guards were all dropped since are skipped
//! on resume, and forgotten when their keeper is next used. A chain that
//! would hold its own keeper is never recorded (no cycle, no leak).
//!
//! When nothing was current where the span was entered (a thread's empty
//! context, outside any `WithContext`), there is nowhere to keep the chain:
//! the action's guard is then reported as held across an `.await` outside
//! `#[inline_actions]`, as without spans. And one span instrumenting two
//! futures that are polled in turn under the same context, each holding an
//! action across an `.await`, cannot be told apart: give each future its own
//! span.

use std::sync::{Arc, Mutex, PoisonError};

use super::{CURRENT, Context, Shared, current_route, live};
use crate::action::Action;

/// The context a bridge makes current while one of its spans is entered: the
/// span's action, and the actions that were opened inside the span and are
/// still open. Cheap to clone (one handle).
///
/// Not part of the stable API; used by `eliot-tracing`'s `EliotLayer`.
#[doc(hidden)]
#[derive(Clone)]
pub struct SpanContext {
    base: Arc<Context>,
}

impl SpanContext {
    /// The context of a span whose action is `action`: messages go where the
    /// action writes, or, for an action without a route of its own, where
    /// the thread's current context writes.
    pub fn new(action: Action) -> Self {
        SpanContext {
            base: Arc::new(Context::of_action(action, current_route().as_ref())),
        }
    }

    /// Makes the span's context current on this thread, until the entry is
    /// [exited](SpanEntry::exit): the chain of actions left open inside the
    /// span when it was last exited under the current context, if any, else
    /// the span's own context. Takes a handle (the caller clones one), which
    /// the thread then holds while the span is entered.
    #[inline]
    pub fn enter(self) -> SpanEntry {
        let base = Arc::as_ptr(&self.base);
        let mut context = Some(self.base);
        let mut resumed = None;
        let _ = CURRENT.try_with(|c| {
            let mut current = c.borrow_mut();
            if let Some(record) = take_suspended(&current, base) {
                context = Some(live_from(&record.top).unwrap_or(&record.base).clone());
                resumed = Some(record);
            }
            std::mem::swap(&mut *current, &mut context);
        });
        // The record is dropped outside the borrow.
        drop(resumed);
        SpanEntry {
            replaced: context,
            base,
        }
    }
}

impl std::fmt::Debug for SpanContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanContext")
            .field("action", &self.base.action)
            .finish_non_exhaustive()
    }
}

/// A span's context entered on this thread; [`exit`](SpanEntry::exit) it
/// when the span is exited, on the same thread.
///
/// Not part of the stable API; used by `eliot-tracing`'s `EliotLayer`.
#[doc(hidden)]
#[must_use = "exit the entry when the span is exited"]
pub struct SpanEntry {
    /// The context the entry replaced, to put back on exit.
    replaced: Shared,
    /// Where the span's own context is, to tell it by identity: only
    /// compared, never read (the span holds the context while entered).
    base: *const Context,
}

impl SpanEntry {
    /// Puts back the context that was current when the span was entered,
    /// after recording in it the chain of actions still open inside the
    /// span, to resume at the next entry.
    #[inline]
    pub fn exit(self) {
        let SpanEntry { mut replaced, base } = self;
        let mut stale = None;
        let _ = CURRENT.try_with(|c| {
            let mut current = c.borrow_mut();
            // The span's own context, as a rule: nothing was left open.
            let left_open = current
                .as_ref()
                .is_some_and(|c| !std::ptr::eq(Arc::as_ptr(c), base));
            if left_open
                && let (Some(top), Some(keeper)) = (live(&current), live(&replaced))
                && !std::ptr::eq(Arc::as_ptr(top), base)
            {
                stale = suspend(top, base, keeper);
            }
            std::mem::swap(&mut *current, &mut replaced);
        });
        // `replaced` now holds what was current inside the span. Dropped
        // outside the borrow, as the stale records are (in place, at the
        // end): a context may hold the last handle to an action or a
        // destination.
        drop(replaced);
    }
}

/// Records in `keeper` the chain from `top` down to the span's context at
/// `base`, when `top` was entered inside the span; hands back the records of
/// `keeper` gone stale, to be dropped outside the caller's borrows.
#[cold]
fn suspend(
    top: &Arc<Context>,
    base: *const Context,
    keeper: &Arc<Context>,
) -> Option<Vec<Suspended>> {
    let base = opened_inside(top, base, keeper)?;
    Some(keeper.suspensions().keep(Suspended {
        base: base.clone(),
        top: top.clone(),
    }))
}

impl std::fmt::Debug for SpanEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanEntry").finish_non_exhaustive()
    }
}

/// The span's own context, at `base`, when `top` is a context entered
/// inside the span (the chain from `top` down reaches it, and is not it)
/// that can be kept in `keeper` without a cycle (`keeper` is not on that
/// chain).
fn opened_inside<'a>(
    top: &'a Arc<Context>,
    base: *const Context,
    keeper: &Arc<Context>,
) -> Option<&'a Arc<Context>> {
    let mut context = top;
    loop {
        if Arc::ptr_eq(context, keeper) {
            return None;
        }
        if std::ptr::eq(Arc::as_ptr(context), base) {
            return (!Arc::ptr_eq(context, top)).then_some(context);
        }
        context = context.previous.as_ref()?;
    }
}

/// The first context from `context` down its chain whose guard still lives;
/// `None` if there is none.
#[inline]
fn live_from(context: &Arc<Context>) -> Option<&Arc<Context>> {
    let mut context = context;
    while context.is_popped() {
        context = context.previous.as_ref()?;
    }
    Some(context)
}

/// Takes the record of the span whose context is `base` from the live
/// context of `current` or one below it.
#[inline]
fn take_suspended(current: &Shared, base: *const Context) -> Option<Suspended> {
    let mut context = live(current);
    while let Some(c) = context {
        if let Some(suspensions) = c.suspended.get()
            && let Some(record) = suspensions.take(base)
        {
            return Some(record);
        }
        context = live(&c.previous);
    }
    None
}

/// A chain of contexts left open inside a span when it was exited.
struct Suspended {
    /// The span's own context: the record's key, and the chain's bottom.
    base: Arc<Context>,
    /// The innermost context of the chain.
    top: Arc<Context>,
}

impl Suspended {
    /// Whether every context of the chain was left since (its guards were
    /// dropped): nothing is left to resume.
    fn is_stale(&self) -> bool {
        live_from(&self.top).is_none_or(|live| Arc::ptr_eq(live, &self.base))
    }
}

/// The records a context keeps.
#[derive(Default)]
pub(super) struct Suspensions(Mutex<Vec<Suspended>>);

impl Context {
    fn suspensions(&self) -> &Suspensions {
        self.suspended.get_or_init(Box::default)
    }
}

impl Suspensions {
    /// Takes the latest record of the span whose context is `base`.
    fn take(&self, base: *const Context) -> Option<Suspended> {
        let mut records = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let position = records
            .iter()
            .rposition(|record| std::ptr::eq(Arc::as_ptr(&record.base), base))?;
        Some(records.remove(position))
    }

    /// Keeps `record`, and hands back the records gone stale, for the caller
    /// to drop outside its borrows.
    fn keep(&self, record: Suspended) -> Vec<Suspended> {
        let mut records = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let stale = records.extract_if(.., |r| r.is_stale()).collect();
        records.push(record);
        stale
    }
}
