//! The console's format, rotating files and the `ThreadedWriter`'s life: tests
//! that write to destinations of their own or look only at their own message
//! types, so they share one binary.
//!
//! A test that needs a process of its own (a global subscriber, a panic hook,
//! an allocator, a registry it alone uses) stays a binary of its own in `tests/`.

#[path = "../support/mod.rs"]
mod support;

mod console_format;
mod rotation_size;
mod rotation_time;
mod writer_lifecycle;
