//! Causal, structured logging: Eliot's actions, tasks and messages for Rust.
//!
//! A log line written by Eliot says not only *what* happened but *why*: every
//! message belongs to an action, actions nest into one tree per task, and the
//! lines carry enough (`task_uuid`, `task_level`) for tools to rebuild that
//! tree from a file, even when the lines of many tasks interleave.
//!
//! This crate writes the exact JSON-lines format of Python Eliot 1.18, so
//! `eliot.parse`, `eliot-tree` and Python services read our logs and continue
//! our tasks, and the other way round.
//!
//! # A first log
//!
//! ```
//! use eliot_core::{add_destination, fields, log_message, remove_destination, start_action, FileDestination};
//!
//! let path = std::env::temp_dir().join("eliot-doc-first.log");
//! # let _ = std::fs::remove_file(&path);
//! let file = add_destination(FileDestination::create(&path)?);
//!
//! {
//!     let request = start_action!("app:request", path = "/users/7");
//!     log_message!("app:request:received", size = 512);
//!     {
//!         let query = start_action!("app:db:query", table = "users");
//!         query.add_success_fields(fields!(rows = 1));
//!     } // the query succeeds when its guard is dropped
//!     request.log("app:request:sent", fields!(status = 200));
//! } // ... and so does the request
//!
//! remove_destination(&file).unwrap();
//! let log = std::fs::read_to_string(&path)?;
//! assert_eq!(log.lines().count(), 6);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The file now holds one task, whose lines nest like this:
//!
//! ```text
//! app:request/1 ⇒ started
//! ├── app:request:received/2
//! ├── app:db:query/3/1 ⇒ started
//! │   └── app:db:query/3/2 ⇒ succeeded   rows: 1
//! ├── app:request:sent/4
//! └── app:request/5 ⇒ succeeded
//! ```
//!
//! # Actions, tasks and context
//!
//! [`start_action!`] starts a child of the *current* action (or a new task when
//! there is none) and makes it current until its [`ActionGuard`] is dropped.
//! [`log_message!`] logs into the current action. The current action is kept
//! per thread:
//!
//! - sync code: guards nest like scopes; [`Action::run`] runs a closure in an
//!   action; [`preserve_context`] carries the current action into another
//!   thread;
//! - async code: the thread is not the task. Use `#[inline_actions]` (crate
//!   `eliot-macros`) on `async fn`s: the function's context is swapped in and
//!   out on every poll, so it survives every `.await` and never leaks to other
//!   tasks;
//! - other processes: [`Action::serialize_task_id`] and [`continue_task`].
//!
//! An action finishes when its guard is dropped: it succeeds, or it fails when
//! the drop happens while panicking (`exception` `"panic"`, `reason` the panic
//! message). [`ActionGuard::finish_with_error`] and [`ActionGuard::within`]
//! record errors; [`write_traceback`] logs an error as `eliot:traceback`.
//!
//! # Guards and `.await`
//!
//! An [`ActionGuard`] or [`ContextGuard`] held across an `.await` in a plain
//! `async fn` is a bug: the task may resume on another thread, and other tasks
//! polled meanwhile on this thread would see its action. eliot-rs detects it
//! when the guard is dropped: it reports it once on stderr and as an
//! `eliot:context_misuse` message, and ends only its own context, never
//! another task's; no thread keeps the finished action as its current one
//! (see [`context_misuse_count`]). Clippy can also catch it at compile time; put
//! this in your `clippy.toml`:
//!
//! ```toml
//! await-holding-invalid-types = [
//!     { path = "eliot_core::action::ActionGuard", reason = "use #[inline_actions], or drop the guard before awaiting" },
//!     { path = "eliot_core::context::ContextGuard", reason = "use #[inline_actions], or drop the guard before awaiting" },
//! ]
//! ```
//!
//! `#[inline_actions]` functions hold guards across awaits legitimately; the
//! macro allows the lint inside them.
//!
//! # Destinations
//!
//! Messages go to every registered [`Destination`]: [`add_destination`],
//! [`remove_destination`], [`add_global_fields`]. Messages logged before the
//! first destination is added are kept (up to [`STARTUP_BUFFER_SIZE`]) and
//! delivered to it. A destination that fails or panics does not stop the
//! others; the failure is logged as `eliot:destination_failure`.
//! [`FileDestination`] writes JSON lines to a file or any writer;
//! [`StdioDestination`] to stdout or stderr, for containers;
//! [`SyslogDestination`] to a syslog server (RFC 5424 over a unix socket,
//! UDP or TCP), for shipping logs through rsyslog; [`ConsoleDestination`]
//! draws messages for a person while developing (see [`console`]). With the
//! `http` feature,
//! the `http` module carries tasks across HTTP requests.
//!
//! # The format
//!
//! One compact JSON object per line, keys in Eliot's order, `timestamp` taken
//! when the message is created, `task_uuid` a UUID4, NaN and infinities as
//! `null`. Where Python Eliot is quirky, eliot-rs does better:
//!
//! - a field whose serialization fails (or whose `Serialize`, `Debug` or
//!   `Display` impl panics) does not lose the message: its value is written
//!   as `{"eliot:unserializable":"<Rust type>","error":"<why>"}`;
//! - a field named like one of Eliot's own keys (`timestamp`, `task_uuid`,
//!   `task_level`, `action_status`, `action_type`, `message_type`) is kept as
//!   `user:<key>`;
//! - global fields never override a message's own fields;
//! - a list or map of more than [`MAX_COLLECTION_LEN`] items, at any depth of
//!   a field's value, is written with its first items and its length, as
//!   Python Eliot writes a huge NumPy array, instead of megabytes.

#![deny(missing_docs)]
#![deny(unsafe_code)]

// The engine: actions, their context, messages, and the registry of
// destinations that every message goes through.
mod action;
mod context;
pub mod declared;
mod destination;
mod fail_action;
mod failure;
mod field;
pub mod future;
mod message;
mod own_messages;
mod registry;
mod relay;
mod task_id;
mod task_uuid;

mod macros;
pub mod testing;

// Bridges to other crates: `http` headers, the `log` crate.
mod integrations;
// What the code the proc macros generate calls.
mod macro_support;

// The destinations messages go to.
mod output;
// Small helpers the engine and the outputs share.
mod util;

pub use eliot_parse as parse;
#[cfg(feature = "http")]
pub use integrations::http;
#[cfg(feature = "log")]
pub use integrations::log;
pub use output::{console, syslog};

pub use action::{
    Action, ActionGuard, AlreadyFinished, continue_task, continue_task_with, start_action,
    start_task,
};
pub use context::{ContextGuard, context_misuse_count, current_action, preserve_context};
pub use declared::{ActionType, Fields, MessageType};
pub use destination::{Destination, DestinationError, FnDestination, destination_fn};
pub use fail_action::{Described, DescribedThroughDeref, FailActionExt};
pub use failure::{
    AsFailure, CANCELLED_EXCEPTION, ExceptionFields, Failure, PANIC_EXCEPTION,
    register_exception_extractor,
};
pub use field::{DebugValue, DisplayValue, Field, FieldValue};
pub use future::{FutureContextExt, WithContext};
pub use message::{Message, log_message};
pub use output::console::ConsoleDestination;
pub use output::file::FileDestination;
pub use output::rotating_file::{DEFAULT_KEEP, RotatingFile, RotatingFileBuilder};
pub use output::stdio::StdioDestination;
pub use output::syslog::SyslogDestination;
pub use output::threaded_writer::{
    DEFAULT_CAPACITY, DROP_PATIENCE, MAX_BATCH, MAX_IDLE_POLL, SLEEP_AFTER_IDLE, Shutdown,
    ThreadedWriter, WriterError, WriterReport,
};
pub use own_messages::{write_failure, write_traceback};
pub use registry::{
    IntoDestination, NotRegistered, STARTUP_BUFFER_SIZE, add_destination, add_destinations,
    add_global_fields, destination_failure_count, recursive_delivery_drop_count,
    remove_destination,
};
pub use relay::relay;
pub use task_id::{TaskId, TaskIdError};
pub use util::cut::MAX_COLLECTION_LEN;

/// What the `eliot-macros` and `eliot-tokio` crates build on. Not a stable API.
#[doc(hidden)]
pub mod __private {
    // What `#[derive(MessageType)]`, `#[derive(ActionType)]` and
    // `#[derive(Fields)]` expand to.
    pub use crate::context::SavedContext;
    pub use crate::declared::{Declaration, DeclaredField, DeclaredKind, FieldKind};
    pub use crate::macro_support::declared_field;
    pub use inventory;
    // What eliot-tracing's `EliotLayer` needs: the context a `tracing` span
    // makes current while entered (resuming the actions opened inside it,
    // see `context/span.rs`), and messages of events without a parent.
    pub use crate::context::{SpanContext, SpanEntry};
    pub use crate::message::log_as_task;
    pub use crate::util::panic::payload_message;

    // What `#[inline_actions]` and `#[log_call]` expand to.
    pub use crate::future::WithContext;
    pub use crate::macro_support::return_scope::{
        NotAGuard, ReturnScope, ReturnedResult, ScopeError, ScopeViaAsFailure, ScopeViaDeref,
        ScopeViaDisplay, ScopeViaTypeName, WatchBinding,
    };
    pub use crate::macro_support::{
        DescribedError, ErrorRef, LoggedArgument, LoggedResult, ViaAsFailure, ViaDeref, argument,
        finish, finish_with_failure, finish_with_result, function_path, yielded,
    };
    pub use crate::{DebugValue, DisplayValue, Field, start_action};
}
