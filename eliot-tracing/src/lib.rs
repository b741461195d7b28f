//! Bridges between eliot-rs and [`tracing`](https://docs.rs/tracing), the
//! way Eliot's Twisted integration page bridges Eliot and Twisted's logging:
//!
//! - [`EliotLayer`], a `tracing-subscriber` layer: `tracing` spans become
//!   Eliot actions and events become Eliot messages, so libraries that use
//!   `tracing` appear in the Eliot tree;
//! - [`TracingDestination`], an Eliot destination: each Eliot message
//!   becomes a `tracing` event (target: the Eliot type; `ERROR` for
//!   tracebacks and failed actions, `INFO` otherwise).
//!
//! Both can be installed at once: each recognises what the other wrote, so
//! nothing loops or repeats.

#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod destination;
pub mod layer;
mod reentry;

pub use destination::TracingDestination;
pub use layer::EliotLayer;
