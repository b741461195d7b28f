//! `#[inline_actions]`, `#[log_call]` and the macros' dependency shapes: tests
//! that pick out their own tasks, so they share one binary.
//!
//! A test that needs a process of its own (a global subscriber, a panic hook,
//! an allocator, a registry it alone uses) stays a binary of its own in `tests/`.

#[path = "../support/mod.rs"]
mod support;

mod declared_actions;
mod dependency_shapes;
mod inline_actions_context;
mod inline_actions_debug;
mod log_call_actions;
mod result_actions;
