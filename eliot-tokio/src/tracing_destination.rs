//! `TracingDestination`: Eliot messages as `tracing` events, the seed's
//! `TwistedDestination` for programs whose main logging system is
//! `tracing`.
//!
//! Each message becomes one event, dispatched on the thread that logged it
//! (so it goes to that thread's subscriber, inside its current span):
//!
//! - the event's *target* is the Eliot type: the `action_type` of an action
//!   message, the `message_type` of a message, so `tracing` filters can
//!   select Eliot types like module paths;
//! - `eliot:traceback` messages and failed actions are `ERROR`, everything
//!   else `INFO`;
//! - every field of the message is a field of the event, under the same name
//!   and in the same order: strings, integers, floats and booleans as
//!   themselves, arrays, objects and `null` as their JSON text (so
//!   `task_level` reads `[3,1]`); plus a `message` (the type, and the status
//!   of an action) unless the message has a `message` field of its own.
//!
//! `tracing` identifies events by static call sites. This destination makes
//! one per distinct (type, level, field names), registered once and kept for
//! the life of the process; past [`MAX_CALL_SITES`] of them, further shapes
//! share one call site per level with target `eliot` and carry the message
//! as its JSON text in an `eliot_message` field, so memory stays bounded.
//!
//! Installed together with [`EliotLayer`](crate::EliotLayer) (`tracing` into
//! Eliot), nothing loops: messages that the layer wrote are not sent back to
//! `tracing` (they came from there), and the events this destination emits
//! are marked (see [`ELIOT_EVENT_NAME`]) and ignored by the layer.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use eliot_core::{Destination, DestinationError, Failure, Message};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value as Json;
use tracing_core::callsite::{self, Callsite, Identifier};
use tracing_core::field::{DisplayValue, FieldSet, Value};
use tracing_core::metadata::LevelFilter;
use tracing_core::{Event, Interest, Kind, Level, Metadata, dispatcher};

use crate::reentry::Bridge;

/// The `name` of the metadata of every event [`TracingDestination`] emits;
/// together with [`ELIOT_EVENT_MODULE`] it marks events that came from
/// Eliot.
pub const ELIOT_EVENT_NAME: &str = "eliot message";

/// The `module_path` of the metadata of every event [`TracingDestination`]
/// emits.
pub const ELIOT_EVENT_MODULE: &str = "eliot_tokio::tracing_destination";

/// How many distinct call sites [`TracingDestination`] registers at most
/// before it falls back to one generic call site per level.
pub const MAX_CALL_SITES: usize = 1024;

/// Whether an event's metadata is that of an event [`TracingDestination`]
/// emitted.
pub fn is_from_eliot(metadata: &Metadata<'_>) -> bool {
    metadata.name() == ELIOT_EVENT_NAME && metadata.module_path() == Some(ELIOT_EVENT_MODULE)
}

/// Sends every Eliot message to `tracing` as an event; see the
/// [module docs](self).
///
/// ```
/// use eliot_core::{add_destination, log_message, remove_destination};
/// use eliot_tokio::TracingDestination;
///
/// let subscriber = tracing_subscriber::fmt().with_writer(std::io::sink).finish();
/// tracing::subscriber::with_default(subscriber, || {
///     let destination = add_destination(TracingDestination::new());
///     // An INFO event with target "app:started" and a field `port`.
///     log_message!("app:started", port = 8080);
///     remove_destination(&destination).unwrap();
/// });
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingDestination {
    _private: (),
}

impl TracingDestination {
    /// A destination that forwards to the `tracing` subscriber of the
    /// thread each message is logged on.
    pub fn new() -> Self {
        TracingDestination { _private: () }
    }
}

impl Destination for TracingDestination {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        // Messages the layer wrote came from `tracing`: sending them back
        // would duplicate them, or loop.
        if Bridge::EliotLayer.is_active() || Bridge::TracingDestination.is_active() {
            return Ok(());
        }
        if LevelFilter::current() == LevelFilter::OFF {
            return Ok(());
        }
        let fields = parse(message)?;
        Bridge::TracingDestination.run(|| emit(message, &fields));
        Ok(())
    }
}

/// A message's fields in their order in the line.
struct OrderedFields(Vec<(String, Json)>);

impl<'de> Deserialize<'de> for OrderedFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = OrderedFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an Eliot message (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedFields, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(entry) = map.next_entry::<String, Json>()? {
                    fields.push(entry);
                }
                Ok(OrderedFields(fields))
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

fn parse(message: &Message) -> Result<Vec<(String, Json)>, DestinationError> {
    serde_json::from_str::<OrderedFields>(message.as_json())
        .map(|fields| fields.0)
        .map_err(|e| {
            DestinationError::new(Failure::new(
                "eliot_tokio::TracingDestination",
                format!("an Eliot message that is not a JSON object: {e}"),
            ))
        })
}

/// One field value, in the form `tracing` records it.
enum FieldValue {
    Str(String),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    Json(DisplayValue<String>),
}

impl FieldValue {
    fn from_json(value: &Json) -> Self {
        match value {
            Json::String(s) => FieldValue::Str(s.clone()),
            Json::Bool(b) => FieldValue::Bool(*b),
            Json::Number(n) => {
                if let Some(i) = n.as_i64() {
                    FieldValue::I64(i)
                } else if let Some(u) = n.as_u64() {
                    FieldValue::U64(u)
                } else {
                    FieldValue::F64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            other => FieldValue::Json(tracing_core::field::display(other.to_string())),
        }
    }

    fn as_value(&self) -> &dyn Value {
        match self {
            FieldValue::Str(s) => s,
            FieldValue::I64(i) => i,
            FieldValue::U64(u) => u,
            FieldValue::F64(f) => f,
            FieldValue::Bool(b) => b,
            FieldValue::Json(j) => j,
        }
    }
}

fn emit(message: &Message, fields: &[(String, Json)]) {
    let text = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_str())
    };
    let (eliot_type, status) = match (text("action_type"), text("message_type")) {
        (Some(action_type), _) => (action_type, text("action_status")),
        (None, Some(message_type)) => (message_type, None),
        (None, None) => ("eliot", None),
    };
    let level = if eliot_type == "eliot:traceback" || status == Some("failed") {
        Level::ERROR
    } else {
        Level::INFO
    };
    if LevelFilter::from_level(level) > LevelFilter::current() {
        return;
    }
    let summary = match status {
        Some(status) => format!("{eliot_type} {status}"),
        None => eliot_type.to_owned(),
    };
    let has_message = fields.iter().any(|(k, _)| k == "message");

    match call_site(eliot_type, level, fields, has_message) {
        Some(site) => {
            let mut values: Vec<FieldValue> = Vec::with_capacity(fields.len() + 1);
            if !has_message {
                values.push(FieldValue::Str(summary));
            }
            values.extend(fields.iter().map(|(_, v)| FieldValue::from_json(v)));
            let refs: Vec<Option<&dyn Value>> = values.iter().map(|v| Some(v.as_value())).collect();
            dispatch(site, &refs);
        }
        None => {
            let site = fallback_call_site(level);
            let values = [
                FieldValue::Str(summary),
                FieldValue::Str(eliot_type.to_owned()),
                FieldValue::Json(tracing_core::field::display(message.as_json().to_owned())),
            ];
            let refs: Vec<Option<&dyn Value>> = values.iter().map(|v| Some(v.as_value())).collect();
            dispatch(site, &refs);
        }
    }
}

fn dispatch(site: &'static EliotCallSite, values: &[Option<&dyn Value>]) {
    let interest = site.interest.load(Ordering::Relaxed);
    if interest == NEVER {
        return;
    }
    let metadata = site.metadata();
    dispatcher::get_default(|dispatch| {
        if interest == ALWAYS || dispatch.enabled(metadata) {
            let values = metadata.fields().value_set_all(values);
            dispatch.event(&Event::new(metadata, &values));
        }
    });
}

const NEVER: u8 = 0;
const SOMETIMES: u8 = 1;
const ALWAYS: u8 = 2;

/// A call site made at run time for one shape of Eliot message; leaked, as
/// `tracing` requires call sites to live for the whole program.
struct EliotCallSite {
    metadata: OnceLock<Metadata<'static>>,
    interest: AtomicU8,
}

impl Callsite for EliotCallSite {
    fn set_interest(&self, interest: Interest) {
        let value = if interest.is_never() {
            NEVER
        } else if interest.is_always() {
            ALWAYS
        } else {
            SOMETIMES
        };
        self.interest.store(value, Ordering::Relaxed);
    }

    fn metadata(&self) -> &Metadata<'_> {
        self.metadata
            .get()
            .expect("a call site's metadata is set before it is registered")
    }
}

impl EliotCallSite {
    fn metadata(&'static self) -> &'static Metadata<'static> {
        self.metadata
            .get()
            .expect("a call site's metadata is set before it is registered")
    }

    fn make(target: &str, level: Level, names: Vec<String>) -> &'static EliotCallSite {
        let site: &'static EliotCallSite = Box::leak(Box::new(EliotCallSite {
            metadata: OnceLock::new(),
            interest: AtomicU8::new(SOMETIMES),
        }));
        let target: &'static str = Box::leak(target.to_owned().into_boxed_str());
        let names: Vec<&'static str> = names
            .into_iter()
            .map(|n| &*Box::leak(n.into_boxed_str()))
            .collect();
        let names: &'static [&'static str] = Box::leak(names.into_boxed_slice());
        let fields = FieldSet::new(names, Identifier(site));
        let metadata = Metadata::new(
            ELIOT_EVENT_NAME,
            target,
            level,
            None,
            None,
            Some(ELIOT_EVENT_MODULE),
            fields,
            Kind::EVENT,
        );
        if site.metadata.set(metadata).is_err() {
            unreachable!("the call site was created just above");
        }
        site
    }
}

struct CallSites {
    by_shape: HashMap<String, &'static EliotCallSite>,
}

fn call_sites() -> &'static Mutex<CallSites> {
    static SITES: OnceLock<Mutex<CallSites>> = OnceLock::new();
    SITES.get_or_init(|| {
        Mutex::new(CallSites {
            by_shape: HashMap::new(),
        })
    })
}

/// The call site for one shape of message, made the first time the shape is
/// seen; `None` once [`MAX_CALL_SITES`] shapes exist.
fn call_site(
    target: &str,
    level: Level,
    fields: &[(String, Json)],
    has_message: bool,
) -> Option<&'static EliotCallSite> {
    // Field names cannot contain the separator in a way that makes two
    // shapes collide: the count of names is part of the key.
    let mut key = format!("{level}\u{1f}{target}\u{1f}{}", fields.len());
    for (name, _) in fields {
        key.push('\u{1f}');
        key.push_str(name);
    }
    let mut sites = call_sites().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(site) = sites.by_shape.get(&key) {
        return Some(site);
    }
    if sites.by_shape.len() >= MAX_CALL_SITES {
        return None;
    }
    let mut names = Vec::with_capacity(fields.len() + 1);
    if !has_message {
        names.push("message".to_owned());
    }
    names.extend(fields.iter().map(|(k, _)| k.clone()));
    let site = EliotCallSite::make(target, level, names);
    sites.by_shape.insert(key, site);
    drop(sites);
    // Registration calls into every subscriber, so it happens outside our
    // lock. Until it is done the site's interest is "sometimes", which asks
    // the subscriber, so an event on another thread meanwhile is not lost.
    callsite::register(site);
    Some(site)
}

fn fallback_call_site(level: Level) -> &'static EliotCallSite {
    static ERROR: OnceLock<&'static EliotCallSite> = OnceLock::new();
    static INFO: OnceLock<&'static EliotCallSite> = OnceLock::new();
    let cell = if level == Level::ERROR { &ERROR } else { &INFO };
    cell.get_or_init(|| {
        let site = EliotCallSite::make(
            "eliot",
            level,
            vec![
                "message".to_owned(),
                "eliot_type".to_owned(),
                "eliot_message".to_owned(),
            ],
        );
        callsite::register(site);
        site
    })
}
