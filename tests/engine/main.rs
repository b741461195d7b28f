//! The engine, the `testing` helpers and reading logs back: tests that capture
//! their messages through routed contexts or filter their own tasks, so they
//! share one binary.
//!
//! A test that needs a process of its own (a global subscriber, a panic hook,
//! an allocator, a registry it alone uses) stays a binary of its own in `tests/`.

#[path = "../support/mod.rs"]
mod support;

mod capture_logging_async;
mod capture_logging_sync;
mod context;
mod declared_types;
mod failures;
mod format;
mod huge_values;
mod parse_interleaved_tasks;
mod parse_streaming;
mod slots;
mod testing_assertions;
mod testing_memory_logger;
