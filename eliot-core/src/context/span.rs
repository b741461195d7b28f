//! The contexts of spans: Eliot actions opened inside a span survive the
//! span's exits and re-entries.
//!
//! A bridge from another tracing system (`eliot-tokio`'s `EliotLayer`, for
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
/// Not part of the stable API; used by `eliot-tokio`'s `EliotLayer`.
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
    /// the span's own context.
    pub fn enter(&self) -> SpanEntry {
        let base = self.base.clone();
        let entered = CURRENT.try_with(|c| {
            let mut current = c.borrow_mut();
            let resumed = take_suspended(&current, &base);
            let install = resumed
                .as_ref()
                .and_then(|record| live_from(&record.top))
                .unwrap_or(&base)
                .clone();
            let replaced = current.replace(install);
            (replaced, resumed)
        });
        match entered {
            // The record is dropped outside the borrow.
            Ok((replaced, _resumed)) => SpanEntry {
                replaced: Some(replaced),
                base,
            },
            Err(_) => SpanEntry {
                replaced: None,
                base,
            },
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
/// Not part of the stable API; used by `eliot-tokio`'s `EliotLayer`.
#[doc(hidden)]
#[must_use = "exit the entry when the span is exited"]
pub struct SpanEntry {
    /// The context the entry replaced, to put back on exit; `None` when the
    /// thread's storage was already gone.
    replaced: Option<Shared>,
    base: Arc<Context>,
}

impl SpanEntry {
    /// Puts back the context that was current when the span was entered,
    /// after recording in it the chain of actions still open inside the
    /// span, to resume at the next entry.
    pub fn exit(self) {
        let SpanEntry { replaced, base } = self;
        let Some(replaced) = replaced else { return };
        let left = CURRENT.try_with(|c| {
            let mut current = c.borrow_mut();
            let stale = match (live(&current), live(&replaced)) {
                (Some(top), Some(keeper)) if opened_inside(top, &base, keeper) => {
                    keeper.suspensions().keep(Suspended {
                        base: base.clone(),
                        top: top.clone(),
                    })
                }
                _ => Vec::new(),
            };
            (std::mem::replace(&mut *current, replaced), stale)
        });
        // Dropped outside the borrow: a context may hold the last handle to
        // an action or a destination.
        drop(left);
    }
}

impl std::fmt::Debug for SpanEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanEntry")
            .field("action", &self.base.action)
            .finish_non_exhaustive()
    }
}

/// Whether `top` is a context entered inside the span whose context is
/// `base` (the chain from `top` down reaches `base`, and is not `base`
/// itself), and can be kept in `keeper` without a cycle (`keeper` is not on
/// that chain).
fn opened_inside(top: &Arc<Context>, base: &Arc<Context>, keeper: &Arc<Context>) -> bool {
    if Arc::ptr_eq(top, base) {
        return false;
    }
    let mut context = top;
    loop {
        if Arc::ptr_eq(context, keeper) {
            return false;
        }
        if Arc::ptr_eq(context, base) {
            return true;
        }
        match &context.previous {
            Some(previous) => context = previous,
            None => return false,
        }
    }
}

/// The first context from `context` down its chain whose guard still lives;
/// `None` if there is none.
fn live_from(context: &Arc<Context>) -> Option<&Arc<Context>> {
    let mut context = context;
    while context.is_popped() {
        context = context.previous.as_ref()?;
    }
    Some(context)
}

/// Takes the record of the span whose context is `base` from the live
/// context of `current` or one below it.
fn take_suspended(current: &Shared, base: &Arc<Context>) -> Option<Suspended> {
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
    fn take(&self, base: &Arc<Context>) -> Option<Suspended> {
        let mut records = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let position = records
            .iter()
            .rposition(|record| Arc::ptr_eq(&record.base, base))?;
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
