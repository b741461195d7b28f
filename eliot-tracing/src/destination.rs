//! `TracingDestination`: Eliot messages as `tracing` events, the
//! `TwistedDestination` of Eliot's Twisted integration page, for programs whose main logging system is
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

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{OnceLock, PoisonError, RwLock};

use eliot_core::{Destination, DestinationError, Failure, Message};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use tracing_core::callsite::{self, Callsite, Identifier};
use tracing_core::field::{DisplayValue, FieldSet, Value, display};
use tracing_core::metadata::LevelFilter;
use tracing_core::{Event, Interest, Kind, Level, Metadata, dispatcher};

use crate::reentry::{bridging, is_bridging};

/// The `name` of the metadata of every event [`TracingDestination`] emits;
/// together with [`ELIOT_EVENT_MODULE`] it marks events that came from
/// Eliot.
pub const ELIOT_EVENT_NAME: &str = "eliot message";

/// The `module_path` of the metadata of every event [`TracingDestination`]
/// emits.
pub const ELIOT_EVENT_MODULE: &str = "eliot_tracing::destination";

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
/// use eliot_tracing::TracingDestination;
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
        if is_bridging() || LevelFilter::current() == LevelFilter::OFF {
            return Ok(());
        }
        let fields = parse(message)?;
        bridging(|| emit(message, &fields));
        Ok(())
    }
}

/// A field name, borrowed from the line unless it has escapes.
#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// A message's fields in their order in the line, borrowed from it: the
/// values stay JSON text until an event is actually emitted.
struct OrderedFields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for OrderedFields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = OrderedFields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an Eliot message (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((Key(key), value)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    fields.push((key, value));
                }
                Ok(OrderedFields(fields))
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

type Fields<'a> = [(Cow<'a, str>, &'a RawValue)];

fn parse(message: &Message) -> Result<Vec<(Cow<'_, str>, &RawValue)>, DestinationError> {
    serde_json::from_str::<OrderedFields<'_>>(message.as_json())
        .map(|fields| fields.0)
        .map_err(|e| {
            DestinationError::new(Failure::new(
                "eliot_tracing::TracingDestination",
                format!("an Eliot message that is not a JSON object: {e}"),
            ))
        })
}

/// The string value of field `key`, if it has one.
fn text<'a>(fields: &Fields<'a>, key: &str) -> Option<Cow<'a, str>> {
    let (_, raw) = fields.iter().find(|(k, _)| k == key)?;
    match FieldValue::from_raw(raw) {
        FieldValue::Str(s) => Some(Cow::Borrowed(s)),
        FieldValue::String(s) => Some(Cow::Owned(s)),
        _ => None,
    }
}

/// One field value, in the form `tracing` records it.
enum FieldValue<'a> {
    Str(&'a str),
    /// A string with escapes, unescaped.
    String(String),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    /// `null`, arrays and objects: their JSON text, as written in the line.
    Json(DisplayValue<&'a str>),
}

impl<'a> FieldValue<'a> {
    fn from_raw(raw: &'a RawValue) -> Self {
        let json = raw.get();
        let parsed =
            match json.as_bytes().first() {
                Some(b'"') => serde_json::from_str::<&str>(json)
                    .map(FieldValue::Str)
                    .or_else(|_| serde_json::from_str::<String>(json).map(FieldValue::String))
                    .ok(),
                Some(b't' | b'f') => serde_json::from_str::<bool>(json)
                    .map(FieldValue::Bool)
                    .ok(),
                Some(b'-' | b'0'..=b'9') => serde_json::from_str::<serde_json::Number>(json)
                    .ok()
                    .map(|n| {
                        if let Some(i) = n.as_i64() {
                            FieldValue::I64(i)
                        } else if let Some(u) = n.as_u64() {
                            FieldValue::U64(u)
                        } else {
                            FieldValue::F64(n.as_f64().unwrap_or(f64::NAN))
                        }
                    }),
                _ => None,
            };
        parsed.unwrap_or(FieldValue::Json(display(json)))
    }

    fn as_value(&self) -> &dyn Value {
        match self {
            FieldValue::Str(s) => s,
            FieldValue::String(s) => s,
            FieldValue::I64(i) => i,
            FieldValue::U64(u) => u,
            FieldValue::F64(f) => f,
            FieldValue::Bool(b) => b,
            FieldValue::Json(j) => j,
        }
    }
}

fn emit(message: &Message, fields: &Fields<'_>) {
    let (eliot_type, status) = match text(fields, "action_type") {
        Some(action_type) => (action_type, text(fields, "action_status")),
        None => match text(fields, "message_type") {
            Some(message_type) => (message_type, None),
            None => (Cow::Borrowed("eliot"), None),
        },
    };
    let level = if eliot_type == "eliot:traceback" || status.as_deref() == Some("failed") {
        Level::ERROR
    } else {
        Level::INFO
    };
    if LevelFilter::from_level(level) > LevelFilter::current() {
        return;
    }
    let has_message = fields.iter().any(|(k, _)| k == "message");
    let site = call_site(&eliot_type, level, fields, has_message);
    let used = site.unwrap_or_else(|| fallback_call_site(level));
    let interest = used.interest.load(Ordering::Relaxed);
    if interest == NEVER {
        return;
    }
    let metadata = used.metadata();
    dispatcher::get_default(|dispatch| {
        if interest != ALWAYS && !dispatch.enabled(metadata) {
            return;
        }
        // Enabled: only now are the values converted.
        let summary = match &status {
            Some(status) => FieldValue::String(format!("{eliot_type} {status}")),
            None => FieldValue::Str(&eliot_type),
        };
        let values: Vec<FieldValue<'_>> = match site {
            Some(_) => (!has_message)
                .then_some(summary)
                .into_iter()
                .chain(fields.iter().map(|(_, v)| FieldValue::from_raw(v)))
                .collect(),
            None => vec![
                summary,
                FieldValue::Str(&eliot_type),
                FieldValue::Json(display(message.as_json())),
            ],
        };
        let refs: Vec<Option<&dyn Value>> = values.iter().map(|v| Some(v.as_value())).collect();
        let values = metadata.fields().value_set_all(&refs);
        dispatch.event(&Event::new(metadata, &values));
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

    /// Whether this site's events have `level`, `target` and these field
    /// names, in this order.
    fn has_shape<'n>(
        &'static self,
        level: Level,
        target: &str,
        names: impl Iterator<Item = &'n str>,
    ) -> bool {
        let metadata = self.metadata();
        *metadata.level() == level
            && metadata.target() == target
            && metadata.fields().iter().map(|f| f.name()).eq(names)
    }

    fn make<'n>(
        target: &str,
        level: Level,
        names: impl Iterator<Item = &'n str>,
    ) -> &'static EliotCallSite {
        let site: &'static EliotCallSite = Box::leak(Box::new(EliotCallSite {
            metadata: OnceLock::new(),
            interest: AtomicU8::new(SOMETIMES),
        }));
        let target: &'static str = Box::leak(target.to_owned().into_boxed_str());
        let names: Vec<&'static str> = names
            .map(|n| &*Box::leak(n.to_owned().into_boxed_str()))
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

/// Every call site made so far, by a hash of its shape (level, target,
/// field names); the sites under one hash are told apart by comparing their
/// shape, so a collision costs a comparison, never a wrong site.
#[derive(Default)]
struct CallSites {
    by_shape: HashMap<u64, Vec<&'static EliotCallSite>>,
    count: usize,
}

impl CallSites {
    fn find<'n, I: Iterator<Item = &'n str>>(
        &self,
        hash: u64,
        level: Level,
        target: &str,
        names: impl Fn() -> I,
    ) -> Option<&'static EliotCallSite> {
        self.by_shape
            .get(&hash)?
            .iter()
            .copied()
            .find(|site| site.has_shape(level, target, names()))
    }
}

fn call_sites() -> &'static RwLock<CallSites> {
    static SITES: OnceLock<RwLock<CallSites>> = OnceLock::new();
    SITES.get_or_init(RwLock::default)
}

/// The call site for one shape of message, made the first time the shape is
/// seen; `None` once [`MAX_CALL_SITES`] shapes exist. Looking up a known
/// shape takes a read lock and allocates nothing.
fn call_site(
    target: &str,
    level: Level,
    fields: &Fields<'_>,
    has_message: bool,
) -> Option<&'static EliotCallSite> {
    // The event's field names: `message` first when the message has none.
    let names = || {
        (!has_message)
            .then_some("message")
            .into_iter()
            .chain(fields.iter().map(|(k, _)| k.as_ref()))
    };
    let mut hasher = DefaultHasher::new();
    level.as_str().hash(&mut hasher);
    target.hash(&mut hasher);
    names().for_each(|name| name.hash(&mut hasher));
    let hash = hasher.finish();

    let sites = call_sites().read().unwrap_or_else(PoisonError::into_inner);
    if let Some(site) = sites.find(hash, level, target, names) {
        return Some(site);
    }
    drop(sites);
    let mut sites = call_sites().write().unwrap_or_else(PoisonError::into_inner);
    // Another thread may have made it meanwhile.
    if let Some(site) = sites.find(hash, level, target, names) {
        return Some(site);
    }
    if sites.count >= MAX_CALL_SITES {
        return None;
    }
    let site = EliotCallSite::make(target, level, names());
    sites.by_shape.entry(hash).or_default().push(site);
    sites.count += 1;
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
        let names = ["message", "eliot_type", "eliot_message"];
        let site = EliotCallSite::make("eliot", level, names.into_iter());
        callsite::register(site);
        site
    })
}
