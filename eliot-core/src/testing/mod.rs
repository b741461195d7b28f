//! Testing your logging: Eliot's `eliot.testing`, for Rust tests.
//!
//! - [`MemoryLogger`] captures what one test logs, and only that, even when
//!   `cargo test` runs tests in parallel threads and when the test's
//!   actions move to other threads or futures.
//! - [`MemoryLogger::validate`] fails on fields that could not be
//!   serialized, actions that never finished, tracebacks the test did not
//!   declare with [`MemoryLogger::flush_tracebacks`], and lines that have no
//!   place of their own in their task's tree.
//! - [`assert_has_action`], [`assert_has_message`] and
//!   [`assert_contains_fields`] check what was logged; [`LoggedAction`] and
//!   [`LoggedMessage`] find actions and messages by type and walk their
//!   children.
//!
//! The `#[capture_logging]` attribute (crate `eliot-macros`, re-exported by
//! `eliot`) does the set-up: it gives the test a `MemoryLogger`, runs it
//! inside, and validates the log when the test returns.
//!
//! ```
//! use eliot_core::testing::{LoggedAction, MemoryLogger, assert_has_message};
//! use eliot_core::{log_message, preserve_context, start_action};
//! use serde_json::json;
//!
//! fn work() {
//!     let _job = start_action!("app:job");
//!     let worker = std::thread::spawn(preserve_context(|| log_message!("app:job:in_thread", n = 1)));
//!     worker.join().unwrap();
//! }
//!
//! let logger = MemoryLogger::new();
//! logger.run(work);
//! logger.validate().unwrap();
//! assert_has_message(&logger, "app:job:in_thread", json!({"n": 1}));
//! let job = &LoggedAction::of_type(&logger, "app:job")[0];
//! assert_eq!(job.type_tree(), json!({"app:job": ["app:job:in_thread"]}));
//! ```

mod assertions;
mod logged;
mod memory_logger;
mod validate;

pub use assertions::{assert_contains_fields, assert_has_action, assert_has_message};
pub use logged::{LoggedAction, LoggedMessage, LoggedNode};
pub use memory_logger::{MemoryLogger, MessageSource};
pub use validate::{ValidationError, validate_declared};

/// The assertions take expected fields as JSON; `json!` builds them.
pub use serde_json::{Value, json};
