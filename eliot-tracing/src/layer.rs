//! `EliotLayer`: `tracing` spans as Eliot actions and `tracing` events as
//! Eliot messages, so libraries that use `tracing` appear in the Eliot tree.
//!
//! It is a [`tracing_subscriber::Layer`]; put it in a
//! [`Registry`](tracing_subscriber::Registry) stack next to any other layers,
//! with a [per-layer filter](tracing_subscriber::layer::Filter) to keep
//! chatty spans and events out of the Eliot log:
//!
//! - a **span** becomes an action when it is created, with the span's fields
//!   as start fields and the action type `"<target>:<name>"` (for
//!   `info_span!("query")` in module `app::db`, `app::db:query`); where it
//!   goes is said [below](#where-spans-and-events-go-the-innermost-wins).
//!   The action is kept in the span's extensions; values recorded later
//!   become success fields;
//! - while a span is **entered** on a thread, its action is current there,
//!   so Eliot messages and actions inside it nest under it;
//! - when the span **closes**, the action succeeds, or fails: with the error
//!   of an `ERROR` event carrying an `error` field logged directly in the
//!   span (what `#[instrument(err)]` emits); else, as an action guard
//!   dropped there would, with the panic's message when the span closes
//!   during a panic, or as `"cancelled"` when it closes because an
//!   `#[inline_actions]` future (or another `WithContext`) holding it was
//!   dropped before it completed;
//! - an **event** becomes a message whose `message_type` is the event's
//!   target, with a `level` field and the event's fields (`message` among
//!   them).
//!
//! It never loops with [`TracingDestination`](crate::TracingDestination):
//! events that came from Eliot are ignored, and what the layer writes into
//! Eliot is not sent back to `tracing`.
//!
//! # Where spans and events go: the innermost wins
//!
//! A span created, or an event emitted, with a *contextual* parent (the
//! usual `info_span!(..)`, `info!(..)`) belongs to whatever is innermost on
//! the thread at that moment: the current Eliot action when one was entered
//! inside the current span (by an `#[inline_actions]` function, a
//! `start_action!` guard, a `WithContext`), else the current span's action.
//! With neither, it starts a task of its own. An explicit parent is
//! respected: `parent: &span` puts it in that span's action, whatever is
//! current, and `parent: None` starts a task of its own.
//!
//! An event in an entered span goes into the span's action:
//!
//! ```text
//! app::db:query ⇒ started          let _query = info_span!("query").entered();
//! ├── app::db  message: sent       info!("sent");
//! └── app::db:query ⇒ succeeded
//! ```
//!
//! An Eliot action opened inside a span is innermost until it ends: what is
//! emitted meanwhile, by the code itself or by a library it calls, goes into
//! it, not beside it in the span (a request span of tower-http's
//! `TraceLayer`, and an `#[inline_actions]` handler):
//!
//! ```text
//! tower_http::trace::make_span:request ⇒ started
//! ├── app:handler ⇒ started              start_action!("app:handler")
//! │   ├── app::db:sql ⇒ started          a library's info_span!("sql") ...
//! │   │   ├── app::db  message: sent     ... and its info!("sent")
//! │   │   └── app::db:sql ⇒ succeeded
//! │   ├── app  message: done             info!("done"), in the handler
//! │   └── app:handler ⇒ succeeded
//! └── tower_http::trace::make_span:request ⇒ succeeded
//! ```
//!
//! A span created inside an Eliot action is that action's child, and an
//! action opened inside the span is the span's; they nest to any depth
//! (action > span > action > event):
//!
//! ```text
//! app:job ⇒ started                      start_task!("app:job")
//! ├── app:fetch ⇒ started                info_span!("fetch"), entered
//! │   ├── app:parse ⇒ started            start_action!("app:parse")
//! │   │   ├── app  message: 3 rows       info!("3 rows")
//! │   │   └── app:parse ⇒ succeeded
//! │   └── app:fetch ⇒ succeeded
//! └── app:job ⇒ succeeded
//! ```
//!
//! An explicit parent wins over what is innermost: inside `app:parse`
//! above, `info!(parent: &job_span, "x")` goes into `job_span`'s action, and
//! `info!(parent: None, "x")` is a task of its own.
//!
//! ```
//! use eliot_core::start_action;
//! use eliot_core::testing::MemoryLogger;
//! use eliot_tracing::EliotLayer;
//! use tracing_subscriber::prelude::*;
//!
//! let logger = MemoryLogger::new();
//! let subscriber = tracing_subscriber::registry().with(EliotLayer::new());
//! tracing::subscriber::with_default(subscriber, || {
//!     logger.run(|| {
//!         let _request = tracing::info_span!("request").entered();
//!         let _handler = start_action!("app:handler");
//!         tracing::info!("inside the handler");
//!     })
//! });
//! let event = &logger.messages()[2];
//! assert_eq!(event["message"], "inside the handler");
//! // In app:handler (level [2]), itself in the request's action.
//! assert_eq!(event["task_level"], serde_json::json!([2, 2]));
//! ```
//!
//! # Actions held across `.await` inside a span
//!
//! A future instrumented with a span (`tracing::Instrument`, or
//! `#[tracing::instrument]` on an `async fn`) enters the span at every poll
//! and exits it at every suspension. An Eliot action opened inside the span
//! in an `#[inline_actions]` function (or any `WithContext`) and held across
//! an `.await` survives those exits: when the span is entered again, that
//! action is current again, not the span's own. So `#[tracing::instrument]`
//! and `#[inline_actions]` stack, in either order, into one tree where the
//! span's action encloses the body's actions and messages:
//!
//! ```
//! use eliot_core::start_action;
//! use eliot_macros::inline_actions;
//!
//! #[tracing::instrument]
//! #[inline_actions(crate = ::eliot_core)]
//! async fn charge(order: u32) {
//!     let _call = start_action!("app:payments:call");
//!     tokio::task::yield_now().await; // the span is exited and entered again
//!     tracing::info!("answered"); // still in app:payments:call
//! }
//! # tokio::runtime::Runtime::new().unwrap().block_on(charge(4));
//! ```
//!
//! ```text
//! app:charge ⇒ started                   the span (in module app), order: 4
//! ├── app:payments:call ⇒ started
//! │   ├── app  message: answered
//! │   └── app:payments:call ⇒ succeeded
//! └── app:charge ⇒ succeeded
//! ```
//!
//! The actions opened inside are kept with the future's own context, the one
//! the span's exit returns to. Two limits follow. A plain future (not in an
//! `#[inline_actions]` function) polled outside any Eliot context has no
//! such context: an action it holds across an `.await` is reported as a
//! misused guard, as without spans. And one span instrumenting two futures
//! polled in turn under the same context, each holding an action across an
//! `.await`, cannot be told apart: give each future its own span.
//!
//! An `#[inline_actions]` function captures its caller's context when it is
//! called. Instrumenting its future with a span made elsewhere
//! (`f().instrument(span)`) makes the span's action a sibling of the body's
//! actions, both in the caller's: call it inside the span
//! (`let future = span.in_scope(|| f()); future.instrument(span)`, what
//! tower-http's `TraceLayer` does with a handler), or put
//! `#[tracing::instrument]` on the function, to nest the body in the span.

use std::cell::RefCell;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use eliot_core::__private::{SpanContext, SpanEntry, log_as_task};
use eliot_core::{Action, ActionGuard, Failure, Field, current_action};
use serde_json::Value as Json;
use tracing_core::field::{Field as TracingField, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::destination::is_from_eliot;
use crate::reentry::{bridging, is_bridging};

/// The `exception` of an action whose span saw an `ERROR` event with an
/// `error` field.
pub const SPAN_ERROR_EXCEPTION: &str = "tracing:error";

/// Turns `tracing` spans into Eliot actions and events into Eliot messages;
/// see the [module docs](self).
///
/// ```
/// use tracing_subscriber::prelude::*;
/// use eliot_tracing::EliotLayer;
///
/// let subscriber = tracing_subscriber::registry().with(EliotLayer::new());
/// tracing::subscriber::with_default(subscriber, || {
///     let span = tracing::info_span!("request", path = "/users/7");
///     let _entered = span.enter();
///     // An Eliot message in the "…:request" action.
///     tracing::info!(rows = 1, "loaded");
///     // Eliot messages logged here nest under the span's action too.
///     eliot_core::log_message!("app:note");
/// });
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct EliotLayer {
    _private: (),
}

impl EliotLayer {
    /// A layer that writes spans and events into Eliot.
    pub fn new() -> Self {
        EliotLayer { _private: () }
    }
}

/// What the layer keeps in a span's extensions.
struct SpanAction {
    /// Owns the action's end: dropped when the span closes, it finishes the
    /// action as any guard does (succeeded, or failed with the panic in
    /// flight or the declared cancellation).
    guard: ActionGuard,
    /// The context the span makes current while entered, built once: each
    /// enter clones a handle to it, never allocates.
    context: SpanContext,
    /// The error of an `ERROR` event with an `error` field in the span.
    failure: Mutex<Option<Failure>>,
}

thread_local! {
    /// The contexts that entering spans replaced on this thread, innermost
    /// last, to put back when they exit.
    static ENTERED: RefCell<Vec<(Id, SpanEntry)>> = const { RefCell::new(Vec::new()) };
}

/// The action of the nearest span, from `span` up, that has one.
fn nearest_action<S>(span: Option<SpanRef<'_, S>>) -> Option<Action>
where
    S: for<'a> LookupSpan<'a>,
{
    span?.scope().find_map(|s| {
        s.extensions()
            .get::<SpanAction>()
            .map(|a| a.guard.action().clone())
    })
}

impl<S> Layer<S> for EliotLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if is_bridging() {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let metadata = attrs.metadata();
        let mut values = Values::default();
        attrs.record(&mut values);
        let action_type = format!("{}:{}", metadata.target(), metadata.name());
        let parent = if attrs.is_contextual() {
            current_action().or_else(|| nearest_action(span.parent()))
        } else {
            // An explicit parent, or none (`parent: None`: a new task).
            nearest_action(span.parent())
        };
        let action = bridging(|| {
            values.with_fields(&[], |fields| match &parent {
                Some(parent) => parent.child(&action_type, fields),
                None => eliot_core::start_task(&action_type, fields).into_action(),
            })
        });
        span.extensions_mut().insert(SpanAction {
            context: SpanContext::new(action.clone()),
            guard: ActionGuard::adopt(action),
            failure: Mutex::new(None),
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let extensions = span.extensions();
        let Some(span_action) = extensions.get::<SpanAction>() else {
            return;
        };
        let mut recorded = Values::default();
        values.record(&mut recorded);
        recorded.with_fields(&[], |fields| span_action.guard.add_success_fields(fields));
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        if is_bridging() || is_from_eliot(metadata) {
            return;
        }
        let mut values = Values::default();
        event.record(&mut values);
        let span = ctx.event_span(event);
        if *metadata.level() == Level::ERROR
            && let (Some(span), Some(error)) = (&span, values.get("error"))
            && let Some(span_action) = span.extensions().get::<SpanAction>()
        {
            let reason = match error {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            *span_action
                .failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner) =
                Some(Failure::new(SPAN_ERROR_EXCEPTION, reason));
        }
        let action = if event.is_contextual() {
            current_action().or_else(|| nearest_action(span))
        } else {
            nearest_action(span)
        };
        let level = metadata.level().as_str();
        bridging(|| {
            values.with_fields(&[Field::new("level", &level)], |fields| match &action {
                Some(action) => action.log(metadata.target(), fields),
                None => log_as_task(metadata.target(), fields),
            })
        });
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let Some(context) = span
            .extensions()
            .get::<SpanAction>()
            .map(|a| a.context.clone())
        else {
            return;
        };
        let entry = context.enter();
        let _ = ENTERED.try_with(|entered| entered.borrow_mut().push((id.clone(), entry)));
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        let entry = ENTERED.try_with(|entered| {
            let mut entered = entered.borrow_mut();
            // Spans exit in the reverse order they entered; search from the
            // top so that a span entered twice pops its innermost entry.
            let position = entered
                .iter()
                .rposition(|(entered_id, _)| entered_id == id)?;
            Some(entered.remove(position).1)
        });
        if let Ok(Some(entry)) = entry {
            entry.exit();
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(span_action) = span.extensions_mut().remove::<SpanAction>() else {
            return;
        };
        let SpanAction { guard, failure, .. } = span_action;
        let failure = failure.into_inner().unwrap_or_else(PoisonError::into_inner);
        bridging(|| {
            // A clone may have finished it already; then the first end stands.
            match &failure {
                Some(failure) => guard.finish_with_error(failure),
                None => drop(guard),
            }
        });
    }
}

/// The fields of a span or event, as JSON values, in the order recorded.
#[derive(Default)]
struct Values(Vec<(&'static str, Json)>);

impl Values {
    fn push(&mut self, field: &TracingField, value: Json) {
        self.0.push((field.name(), value));
    }

    fn get(&self, name: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// Runs `f` with `first` followed by these values as Eliot fields.
    fn with_fields<R>(&self, first: &[Field<'_>], f: impl FnOnce(&[Field<'_>]) -> R) -> R {
        let mut fields: Vec<Field<'_>> = Vec::with_capacity(first.len() + self.0.len());
        fields.extend_from_slice(first);
        fields.extend(self.0.iter().map(|(k, v)| Field::new(k, v)));
        f(&fields)
    }
}

impl Visit for Values {
    fn record_f64(&mut self, field: &TracingField, value: f64) {
        // Eliot writes NaN and infinities as null.
        let json = serde_json::Number::from_f64(value).map_or(Json::Null, Json::Number);
        self.push(field, json);
    }

    fn record_i64(&mut self, field: &TracingField, value: i64) {
        self.push(field, Json::from(value));
    }

    fn record_u64(&mut self, field: &TracingField, value: u64) {
        self.push(field, Json::from(value));
    }

    fn record_i128(&mut self, field: &TracingField, value: i128) {
        let json =
            i64::try_from(value).map_or_else(|_| Json::String(value.to_string()), Json::from);
        self.push(field, json);
    }

    fn record_u128(&mut self, field: &TracingField, value: u128) {
        let json =
            u64::try_from(value).map_or_else(|_| Json::String(value.to_string()), Json::from);
        self.push(field, json);
    }

    fn record_bool(&mut self, field: &TracingField, value: bool) {
        self.push(field, Json::Bool(value));
    }

    fn record_str(&mut self, field: &TracingField, value: &str) {
        self.push(field, Json::String(value.to_owned()));
    }

    fn record_error(&mut self, field: &TracingField, value: &(dyn std::error::Error + 'static)) {
        self.push(field, Json::String(value.to_string()));
    }

    fn record_debug(&mut self, field: &TracingField, value: &dyn fmt::Debug) {
        self.push(field, Json::String(format!("{value:?}")));
    }
}
