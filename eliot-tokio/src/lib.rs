//! eliot-rs for tokio: the integration the Eliot page "Using Eliot with
//! Twisted" describes, for tokio programs.

#![deny(missing_docs)]
