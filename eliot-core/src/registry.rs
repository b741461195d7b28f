//! The process-wide registry of destinations and global fields, and the
//! delivery of each message to them.
//!
//! Logging threads read the registry through a per-thread cached snapshot,
//! checked against a generation counter: reading it costs one atomic load and
//! a thread-local borrow, takes no lock and writes no shared memory (the
//! snapshot is borrowed from the cache, not cloned). Changes (adding,
//! removing, global fields) take a mutex, publish a new snapshot and bump the
//! generation.
//!
//! Until the first destination is added, messages are kept in a startup buffer
//! of the newest [`STARTUP_BUFFER_SIZE`] messages and handed to the first
//! destinations added (Eliot issue #260: logs written before set-up were lost).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::destination::Destination;
use crate::failure::Failure;
use crate::field::{Field, OwnedFields};
use crate::message::{Message, with_global_fields};

/// How many messages logged before any destination exists are kept for the
/// first destinations added. When more are logged, the oldest are dropped and
/// an `eliot:startup_buffer_overflow` message says how many.
///
/// ```
/// assert_eq!(eliot_core::STARTUP_BUFFER_SIZE, 1000);
/// ```
pub const STARTUP_BUFFER_SIZE: usize = 1000;

/// A destination that replaces the registered ones for a context: what a
/// test's capturing logger installs.
pub(crate) type Route = Arc<dyn Destination>;

pub(crate) struct Snapshot {
    destinations: Vec<Arc<dyn Destination>>,
    pub(crate) global_fields: OwnedFields,
    buffering: bool,
}

struct State {
    destinations: Vec<Arc<dyn Destination>>,
    global_fields: OwnedFields,
    any_added: bool,
    startup: VecDeque<Message>,
    startup_dropped: u64,
    snapshot: Option<Arc<Snapshot>>,
}

static STATE: Mutex<State> = Mutex::new(State {
    destinations: Vec::new(),
    global_fields: OwnedFields::new(),
    any_added: false,
    startup: VecDeque::new(),
    startup_dropped: 0,
    snapshot: None,
});
static GENERATION: AtomicU64 = AtomicU64::new(1);

fn state() -> MutexGuard<'static, State> {
    // Nothing in the registry can be left half-updated by a panic.
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    fn snapshot(&mut self) -> Arc<Snapshot> {
        self.snapshot
            .get_or_insert_with(|| {
                Arc::new(Snapshot {
                    destinations: self.destinations.clone(),
                    global_fields: self.global_fields.clone(),
                    buffering: !self.any_added,
                })
            })
            .clone()
    }

    fn changed(&mut self) {
        self.snapshot = None;
        GENERATION.fetch_add(1, Ordering::Release);
    }
}

thread_local! {
    static CACHED: RefCell<Option<(u64, Arc<Snapshot>)>> = const { RefCell::new(None) };
    /// Set while destination failures are being logged, so that a failure to
    /// deliver the failure report is not reported again.
    static REPORTING_FAILURE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with the current registry snapshot.
pub(crate) fn with_snapshot<R>(f: impl FnOnce(&Snapshot) -> R) -> R {
    let generation = GENERATION.load(Ordering::Acquire);
    if CACHED.try_with(|cache| refresh(cache, generation)).is_err() {
        // The thread is being torn down and its cache is gone.
        return f(&fresh_snapshot());
    }
    CACHED.with(|cache| {
        // A destination that logs re-enters here while the cache is borrowed
        // (shared, which is fine); a stale one falls back to the registry.
        let slot = cache.try_borrow().ok();
        match slot.as_deref() {
            Some(Some((cached, snapshot))) if *cached == generation => f(snapshot),
            _ => f(&fresh_snapshot()),
        }
    })
}

/// The registry's snapshot, taken under its lock and released before it is
/// used: `f` above delivers to destinations, which may log, which comes back
/// here.
fn fresh_snapshot() -> Arc<Snapshot> {
    state().snapshot()
}

/// Replaces a cached snapshot older than `generation`, unless the cache is
/// borrowed (by a logging destination up the stack).
fn refresh(cache: &RefCell<Option<(u64, Arc<Snapshot>)>>, generation: u64) {
    let Ok(mut slot) = cache.try_borrow_mut() else {
        return;
    };
    if slot
        .as_ref()
        .is_none_or(|(cached, _)| *cached != generation)
    {
        let stale = slot.replace((generation, fresh_snapshot()));
        drop(slot);
        // Outside the borrow: the last handle to a removed destination may
        // go here, and its drop may log.
        drop(stale);
    }
}

/// Delivers `message` to the registered destinations, or keeps it in the
/// startup buffer when none was ever added.
pub(crate) fn dispatch(snapshot: &Snapshot, message: &Message) {
    if !snapshot.buffering {
        deliver(&snapshot.destinations, message);
        return;
    }
    let mut state = state();
    if state.any_added {
        // Destinations arrived since the snapshot was taken.
        let destinations = state.destinations.clone();
        drop(state);
        deliver(&destinations, message);
        return;
    }
    if state.startup.len() == STARTUP_BUFFER_SIZE {
        state.startup.pop_front();
        state.startup_dropped += 1;
    }
    state.startup.push_back(message.clone());
}

/// How deeply deliveries may nest on one thread: a destination that logs
/// while writing (directly, or through a bridge to another logging system
/// that comes back to Eliot) would otherwise recurse until the stack
/// overflows.
const MAX_DELIVERY_DEPTH: u32 = 8;

static TOO_DEEP: AtomicU64 = AtomicU64::new(0);

/// How many messages were not delivered because destinations kept logging
/// from inside their own writes, deeper than eliot-rs allows (8 levels).
pub fn recursive_delivery_drop_count() -> u64 {
    TOO_DEEP.load(Ordering::Relaxed)
}

thread_local! {
    static DELIVERY_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Whether a destination is writing a message on this thread now.
#[cfg(feature = "log")]
pub(crate) fn is_delivering() -> bool {
    DELIVERY_DEPTH.try_with(Cell::get).unwrap_or(0) > 0
}

/// Writes `message` to each destination; failures are collected and logged
/// after all destinations had their turn.
pub(crate) fn deliver(destinations: &[Arc<dyn Destination>], message: &Message) {
    let depth = DELIVERY_DEPTH.try_with(Cell::get).unwrap_or(0);
    if depth >= MAX_DELIVERY_DEPTH {
        if TOO_DEEP.fetch_add(1, Ordering::Relaxed) == 0 {
            eprintln!(
                "eliot: a destination logs while writing a message, recursively ({MAX_DELIVERY_DEPTH} levels deep); \
                 the message is dropped here and such drops are counted (recursive_delivery_drop_count): {}",
                message.as_json()
            );
        }
        return;
    }
    struct Nested;
    impl Drop for Nested {
        fn drop(&mut self) {
            let _ = DELIVERY_DEPTH.try_with(|d| d.set(d.get().saturating_sub(1)));
        }
    }
    let _ = DELIVERY_DEPTH.try_with(|d| d.set(depth + 1));
    let _nested = Nested;
    let mut failures = Vec::new();
    for destination in destinations {
        match catch_unwind(AssertUnwindSafe(|| destination.write(message))) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => failures.push(error.into_failure()),
            Err(payload) => failures.push(Failure::panic(crate::util::panic::payload_message(
                &*payload,
            ))),
        }
    }
    if !failures.is_empty() {
        report_destination_failures(failures, message);
    }
}

static DESTINATION_FAILURES: AtomicU64 = AtomicU64::new(0);
static UNREPORTED_SHOWN: AtomicU64 = AtomicU64::new(0);
const UNREPORTED_SHOWN_MAX: u64 = 10;

/// How many times a destination failed to write a message (returned an error
/// or panicked) since the process started.
///
/// ```
/// use eliot_core::{add_destination, destination_failure_count, log_message, remove_destination};
/// use eliot_core::{Destination, DestinationError, Message};
///
/// struct Broken;
/// impl Destination for Broken {
///     fn write(&self, _: &Message) -> Result<(), DestinationError> {
///         Err(std::io::Error::other("unplugged").into())
///     }
/// }
///
/// let before = destination_failure_count();
/// let broken = add_destination(Broken);
/// log_message!("app:tick");
/// remove_destination(&broken).unwrap();
/// assert!(destination_failure_count() > before);
/// ```
pub fn destination_failure_count() -> u64 {
    DESTINATION_FAILURES.load(Ordering::Relaxed)
}

fn report_destination_failures(failures: Vec<Failure>, message: &Message) {
    DESTINATION_FAILURES.fetch_add(failures.len() as u64, Ordering::Relaxed);
    if REPORTING_FAILURE.try_with(Cell::get).unwrap_or(true) {
        // The failure report itself could not be written somewhere. It is not
        // logged again (that could recurse forever); stderr is the last resort.
        let shown = UNREPORTED_SHOWN.fetch_add(1, Ordering::Relaxed);
        if shown < UNREPORTED_SHOWN_MAX {
            for failure in &failures {
                eprintln!(
                    "eliot: a destination failed while a destination failure was reported: {failure}"
                );
            }
            if shown + 1 == UNREPORTED_SHOWN_MAX {
                eprintln!("eliot: further such failures are counted but not printed");
            }
        }
        return;
    }
    struct Reporting;
    impl Drop for Reporting {
        fn drop(&mut self) {
            let _ = REPORTING_FAILURE.try_with(|r| r.set(false));
        }
    }
    let _ = REPORTING_FAILURE.try_with(|r| r.set(true));
    let _reporting = Reporting;
    for failure in &failures {
        crate::own_messages::with_destination_failure_fields(failure, Some(message), |fields| {
            crate::message::log_message(crate::own_messages::DESTINATION_FAILURE, fields);
        });
    }
}

/// Something that can be registered as a destination: a destination value, an
/// `Arc` of one, or an `Arc<dyn Destination>`.
///
/// ```
/// use std::sync::Arc;
/// use eliot_core::{add_destination, remove_destination, FileDestination};
///
/// // By value: the registry's handle is returned for removal.
/// let handle = add_destination(FileDestination::new(std::io::sink()));
/// remove_destination(&handle).unwrap();
/// // By Arc: keep your own handle, typed.
/// let mine = Arc::new(FileDestination::new(Vec::new()));
/// add_destination(mine.clone());
/// remove_destination(&mine).unwrap();
/// ```
pub trait IntoDestination {
    /// The shared handle the registry keeps.
    fn into_destination(self) -> Arc<dyn Destination>;
}

impl<D: Destination + 'static> IntoDestination for D {
    fn into_destination(self) -> Arc<dyn Destination> {
        Arc::new(self)
    }
}

impl<D: Destination + 'static> IntoDestination for Arc<D> {
    fn into_destination(self) -> Arc<dyn Destination> {
        self
    }
}

impl IntoDestination for Arc<dyn Destination> {
    fn into_destination(self) -> Arc<dyn Destination> {
        self
    }
}

/// Registers a destination and returns the handle that
/// [`remove_destination`] takes. The first destinations added also receive
/// the messages logged before them (up to [`STARTUP_BUFFER_SIZE`]).
///
/// ```
/// use eliot_core::{add_destination, remove_destination, FileDestination};
///
/// let file = add_destination(FileDestination::new(std::io::sink()));
/// remove_destination(&file).unwrap();
/// ```
pub fn add_destination(destination: impl IntoDestination) -> Arc<dyn Destination> {
    let destination = destination.into_destination();
    add_destinations([destination.clone()]);
    destination
}

/// Registers several destinations at once (Eliot's `add_destinations`); they
/// all receive the startup buffer if they are the first.
///
/// ```
/// use std::sync::Arc;
/// use eliot_core::{add_destinations, remove_destination, FileDestination};
///
/// let file = Arc::new(FileDestination::new(std::io::sink()));
/// let copy = Arc::new(FileDestination::new(std::io::sink()));
/// add_destinations([file.clone(), copy.clone()]);
/// # remove_destination(&file).unwrap();
/// # remove_destination(&copy).unwrap();
/// ```
pub fn add_destinations<I>(destinations: I)
where
    I: IntoIterator,
    I::Item: IntoDestination,
{
    let added: Vec<Arc<dyn Destination>> = destinations
        .into_iter()
        .map(IntoDestination::into_destination)
        .collect();
    if added.is_empty() {
        return;
    }
    let mut state = state();
    state.destinations.extend(added.iter().cloned());
    let first = !state.any_added;
    state.any_added = true;
    let buffered = std::mem::take(&mut state.startup);
    let dropped = std::mem::take(&mut state.startup_dropped);
    let global_fields = first.then(|| state.global_fields.clone());
    state.changed();
    drop(state);
    if let Some(global_fields) = global_fields {
        // As in Python Eliot, the global fields are those of the delivery:
        // fields added after a message was logged, but before any
        // destination existed, reach it too.
        for message in &buffered {
            deliver(&added, &with_global_fields(message, &global_fields));
        }
        if dropped > 0 {
            crate::own_messages::log_startup_buffer_overflow(dropped, buffered.len());
        }
    }
}

/// The destination passed to [`remove_destination`] was not registered.
///
/// ```
/// use eliot_core::{add_destination, remove_destination, FileDestination, NotRegistered};
///
/// let handle = add_destination(FileDestination::new(std::io::sink()));
/// remove_destination(&handle).unwrap();
/// assert_eq!(remove_destination(&handle), Err(NotRegistered));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRegistered;

impl fmt::Display for NotRegistered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("this destination is not registered (never added, or already removed)")
    }
}

impl std::error::Error for NotRegistered {}

/// Unregisters a destination added earlier. Messages logged after this
/// returns no longer reach it (a message whose delivery already started on
/// another thread may still arrive). The destination itself is dropped when
/// the last handle to it goes: threads that logged before the removal keep a
/// snapshot of the registry and release it with their next message or when
/// they exit, so flush or close what matters through your own handle.
pub fn remove_destination<D: ?Sized>(destination: &Arc<D>) -> Result<(), NotRegistered> {
    let wanted = Arc::as_ptr(destination) as *const ();
    let mut state = state();
    let position = state
        .destinations
        .iter()
        .position(|d| Arc::as_ptr(d) as *const () == wanted)
        .ok_or(NotRegistered)?;
    let removed = state.destinations.remove(position);
    state.changed();
    drop(state);
    drop(removed);
    Ok(())
}

/// Adds fields to every message written to the registered destinations
/// (Eliot's `add_global_fields`). Unlike Python Eliot, a global field never
/// overrides a field the message has itself; a global field named like one
/// of Eliot's reserved keys is kept as `user:<key>`. As in Python Eliot,
/// messages held in the startup buffer get the global fields current when
/// they are delivered to the first destinations.
///
/// ```
/// use eliot_core::{add_global_fields, fields};
///
/// add_global_fields(fields!(service = "billing", pid = std::process::id()));
/// ```
pub fn add_global_fields(fields: &[Field<'_>]) {
    // Serialized before the lock is taken: a value's `Serialize` impl that
    // logs reads the registry.
    let mut added = OwnedFields::new();
    added.extend(fields);
    let mut state = state();
    state.global_fields.merge(added);
    state.changed();
}
