//! Destinations: where messages go.
//!
//! A destination receives every message as a finished JSON line. It may be
//! called from many threads at once, so it synchronizes itself (a
//! [`FileDestination`](crate::FileDestination) holds a mutex around its
//! writer). A destination that fails, by returning an error or by panicking,
//! never stops the others: the failure is logged as an
//! `eliot:destination_failure` message.

use std::error::Error;
use std::fmt;

use crate::failure::Failure;
use crate::message::Message;

/// Receives Eliot messages.
///
/// ```
/// use std::sync::Mutex;
/// use eliot_core::{Destination, DestinationError, Message};
///
/// /// Keeps the message types it sees.
/// #[derive(Default)]
/// struct Types(Mutex<Vec<String>>);
///
/// impl Destination for Types {
///     fn write(&self, message: &Message) -> Result<(), DestinationError> {
///         let fields = message.to_map()?;
///         let kind = fields.get("message_type").or(fields.get("action_type"));
///         self.0.lock().unwrap().push(kind.and_then(|t| t.as_str()).unwrap_or("").to_owned());
///         Ok(())
///     }
/// }
/// ```
pub trait Destination: Send + Sync {
    /// Writes one message. Called on the thread that logged it, possibly on
    /// many threads at once.
    fn write(&self, message: &Message) -> Result<(), DestinationError>;

    /// Pushes out anything written but still buffered. Called by writers
    /// that batch, such as `ThreadedWriter`, when their queue drains.
    fn flush(&self) -> Result<(), DestinationError> {
        Ok(())
    }

    /// Writes several messages, in order. What a batching writer such as
    /// [`ThreadedWriter`](crate::ThreadedWriter) calls; the default writes
    /// them one by one and stops at the first error.
    ///
    /// Override it when one write of many lines is cheaper than many writes
    /// ([`FileDestination`](crate::FileDestination) does: one `write_all`).
    /// On error, any part of the batch may have been written; the caller
    /// counts the whole batch as failed.
    fn write_batch(&self, messages: &[Message]) -> Result<(), DestinationError> {
        messages.iter().try_for_each(|message| self.write(message))
    }

    /// Writes several messages given as their lines: `lines` holds whole
    /// JSON lines, each followed by `\n`. What
    /// [`ThreadedWriter`](crate::ThreadedWriter) calls with the lines its
    /// logging threads queued; the default makes a [`Message`] of each line
    /// and calls [`write_batch`](Destination::write_batch).
    ///
    /// Override it when the lines can be written as they are
    /// ([`FileDestination`](crate::FileDestination) does: one `write_all`,
    /// no copy). Errors count as for `write_batch`.
    fn write_lines(&self, lines: &str) -> Result<(), DestinationError> {
        let messages: Vec<Message> = lines
            .split_terminator('\n')
            .map(Message::from_line)
            .collect();
        self.write_batch(&messages)
    }
}

/// Why a destination could not write a message.
///
/// Any `std::error::Error` converts into it with `?`, keeping its type name
/// for the `exception` field of the `eliot:destination_failure` message.
pub struct DestinationError {
    failure: Failure,
}

impl DestinationError {
    /// An error described by a [`Failure`].
    pub fn new(failure: Failure) -> Self {
        DestinationError { failure }
    }

    /// What will be recorded about the error.
    pub fn failure(&self) -> &Failure {
        &self.failure
    }

    pub(crate) fn into_failure(self) -> Failure {
        self.failure
    }
}

impl<E: Error + Send + Sync + 'static> From<E> for DestinationError {
    fn from(error: E) -> Self {
        DestinationError::new(Failure::from_error(&error))
    }
}

impl fmt::Display for DestinationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.failure, f)
    }
}

impl fmt::Debug for DestinationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DestinationError")
            .field(&self.failure)
            .finish()
    }
}

/// A destination made of a closure; see [`destination_fn`].
pub struct FnDestination<F>(F);

/// Turns a closure into a destination; handy in tests and for forwarding
/// messages to another system.
///
/// ```
/// use eliot_core::{add_destination, destination_fn, log_message, remove_destination};
///
/// let printer = add_destination(destination_fn(|m| eprintln!("{}", m.as_json())));
/// log_message!("app:hello", to = "stderr");
/// remove_destination(&printer).unwrap();
/// ```
pub fn destination_fn<F: Fn(&Message) + Send + Sync>(f: F) -> FnDestination<F> {
    FnDestination(f)
}

impl<F: Fn(&Message) + Send + Sync> Destination for FnDestination<F> {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        (self.0)(message);
        Ok(())
    }
}

impl<F> fmt::Debug for FnDestination<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnDestination")
    }
}
