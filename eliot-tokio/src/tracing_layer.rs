//! `EliotLayer`: `tracing` spans as Eliot actions and `tracing` events as
//! Eliot messages, so libraries that use `tracing` appear in the Eliot tree.
//!
//! It is a [`tracing_subscriber::Layer`]; put it in a
//! [`Registry`](tracing_subscriber::Registry) stack next to any other layers:
//!
//! - a **span** becomes an action when it is created, with the span's fields
//!   as start fields and the action type `"<target>:<name>"` (for
//!   `info_span!("query")` in module `app::db`, `app::db:query`). Its parent
//!   is the action of the span's parent span, else the Eliot action current
//!   on the thread, else it starts a new task. The action is kept in the
//!   span's extensions; values recorded later become success fields;
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
//!   them), in the action of the event's span, or of the current Eliot
//!   action, or as a task of its own.
//!
//! It never loops with [`TracingDestination`](crate::TracingDestination):
//! events that came from Eliot are ignored, and what the layer writes into
//! Eliot is not sent back to `tracing`.

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

use crate::reentry::{bridging, is_bridging};
use crate::tracing_destination::is_from_eliot;

/// The `exception` of an action whose span saw an `ERROR` event with an
/// `error` field.
pub const SPAN_ERROR_EXCEPTION: &str = "tracing:error";

/// Turns `tracing` spans into Eliot actions and events into Eliot messages;
/// see the [module docs](self).
///
/// ```
/// use tracing_subscriber::prelude::*;
/// use eliot_tokio::EliotLayer;
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
