//! eliot-tokio: `DeferredContext`, `spawn`, `ThreadedWriterService` and the
//! `write_failure` adapters; each test picks out its own tasks or message
//! types, so they share one binary.
//!
//! A test that needs a process of its own (a global subscriber, a panic hook,
//! an allocator, a registry it alone uses) stays a binary of its own in `tests/`.

#[path = "../support/mod.rs"]
mod support;

mod deferred_context;
mod service;
mod spawn;
mod write_failure;
