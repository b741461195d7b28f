//! Attribute macros for eliot-rs.
//!
//! `#[inline_actions]` (the Rust stand-in for Eliot's `inline_callbacks`) and
//! `#[log_call]` land here.

#![deny(missing_docs)]
