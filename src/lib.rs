//! eliot-rs: causal, structured logging for async Rust.
//!
//! This crate gathers the workspace's crates behind one dependency:
//!
//! - everything of [`eliot_core`] at the top level: actions, tasks, messages,
//!   context, destinations;
//! - the attribute macros of `eliot-macros`;
//! - `tokio_integration` (feature `tokio`, default): the integration with
//!   tokio (crate `eliot-tokio`);
//! - `tracing_integration` (feature `tracing`, default): the bridges to and
//!   from `tracing` (crate `eliot-tracing`);
//! - `http` (feature `http`): task ids in HTTP headers.
//!
//! A synchronous program that needs neither tokio nor `tracing` depends on
//! `eliot` with `default-features = false`.
//!
//! ```
//! use eliot::{log_message, start_action};
//!
//! let action = start_action!("app:hello", who = "world");
//! log_message!("app:hello:said");
//! action.finish();
//! ```

#![deny(missing_docs)]

pub use eliot_core::*;

// The derives share their names with the traits they implement
// (`eliot_core::{ActionType, Fields, MessageType}`), as serde's do: one
// `use` brings both.
pub use eliot_macros::{
    ActionType, Fields, MessageType, capture_logging, inline_actions, log_call,
};

#[cfg(feature = "tokio")]
pub use eliot_tokio as tokio_integration;

#[cfg(feature = "tracing")]
pub use eliot_tracing as tracing_integration;

/// The README's code blocks are compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
