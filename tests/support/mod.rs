//! What the workspace's tests share, one module per concern. Each test
//! binary includes the whole of it (`mod support;`, or with `#[path]` from a
//! binary of its own directory) and uses a part.

// Each binary uses a part of these helpers.
#![allow(dead_code, unreachable_pub, unused_imports)]

/// Every message of the test binary kept, for tests that pick out their own
/// tasks.
pub mod all_messages;
/// A routed capture of what one test logs, and readers of its lines.
pub mod capture;
/// A fixed log and a console writing into memory.
pub mod console;
/// The workspace's examples: names and up-to-date binaries.
pub mod examples;
/// The hyper plumbing of the HTTP services tests.
pub mod http_services;
/// Polling futures by hand, for per-poll costs.
pub mod poll;
/// The real Python tools in a virtualenv, and the log checker.
pub mod python;
/// A seedable generator for the stress tests.
pub mod stress;
/// The `#[inline_actions]` and `#[log_call]` tests' capture and task trees.
pub mod tasks;
/// The `EliotLayer` as the binary's global subscriber.
pub mod tracing_layer;
/// In-memory writers, slow and shut destinations, temp directories.
pub mod writer;
